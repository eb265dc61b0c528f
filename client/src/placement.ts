import type { CrmEntity } from './api/types'

/**
 * Where the portal opened the app (PLACEMENT and PLACEMENT_OPTIONS of the frame POST). Inside a
 * workgroup's tab (SONET_GROUP_DETAIL_TAB, options `{ GROUP_ID: '10', URI: '/workgroups/group/10/' }`)
 * the app is that group's Extranet page, without the main navigation. Inside a CRM contact's or
 * company's tab (`{ ID: '12' }`) it is the focused "invite this contact as a guest" form, and from a
 * user's profile menu (`{ USER_ID: '5' }`) the "invite a colleague into my department" form.
 */
export const GROUP_TAB_PLACEMENT = 'SONET_GROUP_DETAIL_TAB'
export const CRM_CONTACT_TAB_PLACEMENT = 'CRM_CONTACT_DETAIL_TAB'
export const CRM_COMPANY_TAB_PLACEMENT = 'CRM_COMPANY_DETAIL_TAB'
export const USER_PROFILE_MENU_PLACEMENT = 'USER_PROFILE_MENU'

/** A positive 32-bit id from a placement option ('10' or 10), else null. */
function optionId(raw: unknown): number | null {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : ''
  if (!/^\d{1,10}$/.test(text)) return null
  const id = Number(text)
  return id > 0 && id <= 2_147_483_647 ? id : null
}

/** The group whose tab hosts the app, or null anywhere else (or with options that name no group). */
export function groupTabId(placement: string, options: Readonly<Record<string, unknown>>): number | null {
  if (placement !== GROUP_TAB_PLACEMENT) return null
  return optionId(options.GROUP_ID)
}

/** A place in the portal that hosts one focused view of the app, without its navigation. */
export type EmbeddedPlacement =
  | { kind: 'group'; groupId: number }
  | { kind: 'crm'; entity: CrmEntity; id: number }
  | { kind: 'colleague' }

/**
 * The focused view the placement asks for, or null for the whole app (the app's own page, or a tab
 * whose options name nothing usable). Only the placement's own id option is read: nothing else in
 * the options can pick a route.
 */
export function embeddedPlacement(placement: string, options: Readonly<Record<string, unknown>>): EmbeddedPlacement | null {
  switch (placement) {
    case GROUP_TAB_PLACEMENT: {
      const groupId = groupTabId(placement, options)
      return groupId === null ? null : { kind: 'group', groupId }
    }
    case CRM_CONTACT_TAB_PLACEMENT:
    case CRM_COMPANY_TAB_PLACEMENT: {
      const id = optionId(options.ID)
      return id === null ? null : { kind: 'crm', entity: placement === CRM_CONTACT_TAB_PLACEMENT ? 'contact' : 'company', id }
    }
    case USER_PROFILE_MENU_PLACEMENT:
      return { kind: 'colleague' }
    default:
      return null
  }
}

/** The route of a focused view. */
export function embeddedPath(embedded: EmbeddedPlacement): string {
  switch (embedded.kind) {
    case 'group':
      return `/extranet/${embedded.groupId}`
    case 'crm':
      return `/embedded/crm/${embedded.entity}/${embedded.id}`
    case 'colleague':
      return '/embedded/colleague'
  }
}

/**
 * Views a link from outside the app may open (e.g. a Bitrix24 notification about an access review):
 * only these, so a crafted link cannot pick any route.
 */
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
const DEEP_LINK = new RegExp(`^(?:/collabs(?:/reviews/${UUID})?|/requests(?:/${UUID})?|/links(?:/${UUID})?)$`)

/**
 * The view a deep link asks for, or null: the frame URL's hash (`#/collabs/reviews/12`), else the
 * placement option `route` (`{ route: '/collabs/reviews/12' }`, e.g. from `BX24.openApplication`).
 */
export function deepLinkPath(options: Readonly<Record<string, unknown>>, hash = ''): string | null {
  const candidates = [hash.replace(/^#/, ''), typeof options.route === 'string' ? options.route : '']
  for (const raw of candidates) {
    let path: string
    try {
      path = decodeURIComponent(raw.trim())
    } catch {
      continue
    }
    if (DEEP_LINK.test(path)) return path
  }
  return null
}

/**
 * The first view: a focused view in its placement (the group's page in its tab, the CRM card's or the
 * profile menu's invite form), a deep link's view, else the dashboard.
 */
export function initialPathFor(placement: string, options: Readonly<Record<string, unknown>>, hash = ''): string {
  const embedded = embeddedPlacement(placement, options)
  if (embedded) return embeddedPath(embedded)
  return deepLinkPath(options, hash) ?? '/'
}

/** Whether the first view is also home (a focused view in its placement, which has no navigation). */
export function pinsHome(placement: string, options: Readonly<Record<string, unknown>>): boolean {
  return embeddedPlacement(placement, options) !== null
}
