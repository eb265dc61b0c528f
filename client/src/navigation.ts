import type { IconComponent } from '@bitrix24/b24ui-nuxt'
import AddPersonIcon from '@bitrix24/b24icons-vue/outline/AddPersonIcon'
import CheckListIcon from '@bitrix24/b24icons-vue/outline/CheckListIcon'
import CollabIcon from '@bitrix24/b24icons-vue/outline/CollabIcon'
import GlobeExtranetIcon from '@bitrix24/b24icons-vue/outline/GlobeExtranetIcon'
import HomeIcon from '@bitrix24/b24icons-vue/outline/HomeIcon'
import LinkIcon from '@bitrix24/b24icons-vue/outline/LinkIcon'
import MailIcon from '@bitrix24/b24icons-vue/outline/MailIcon'
import RobotIcon from '@bitrix24/b24icons-vue/outline/RobotIcon'
import SettingsIcon from '@bitrix24/b24icons-vue/outline/SettingsIcon'

/** The app's sections, in menu order. `id` is the route name, the i18n key under `nav.` and the test id suffix. */
export const SECTIONS = ['dashboard', 'invites', 'requests', 'links', 'templates', 'extranet', 'collabs', 'automation', 'settings'] as const

export type SectionId = (typeof SECTIONS)[number]

export const SECTION_ICONS: Record<SectionId, IconComponent> = {
  dashboard: HomeIcon,
  invites: AddPersonIcon,
  requests: CheckListIcon,
  links: LinkIcon,
  templates: MailIcon,
  extranet: GlobeExtranetIcon,
  collabs: CollabIcon,
  automation: RobotIcon,
  settings: SettingsIcon,
}
