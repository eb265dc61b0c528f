import { createI18n } from 'vue-i18n'
import type { Lang } from '../api/types'
import en, { type MessageSchema } from './en'
import { russianPlural } from './plural'
import ru from './ru'
import type { WorkMessageSchema } from './work/en'

export type { MessageSchema, WorkMessageSchema }
export { russianPlural }

declare module 'vue-i18n' {
  // Typed keys for t()/te() everywhere (an interface merge, hence the empty body). The working
  // sections' catalog is part of the type but loaded lazily (see loadWorkMessages).
  export interface DefineLocaleMessage extends MessageSchema, WorkMessageSchema {}
}

export const SUPPORTED_LANGS: readonly Lang[] = ['ru', 'en']

/** BCP 47 tags for Intl formatting. */
export const INTL_LOCALES: Record<Lang, string> = { ru: 'ru-RU', en: 'en-US' }

export function createAppI18n(locale: Lang) {
  const i18n = createI18n<[MessageSchema], Lang, false>({
    legacy: false,
    locale,
    fallbackLocale: 'en',
    messages: { en, ru },
    pluralRules: { ru: russianPlural },
    // Both catalogs are complete; warnings would only be noise in production.
    missingWarn: import.meta.env.DEV,
    fallbackWarn: import.meta.env.DEV,
  })
  appI18n = i18n
  return i18n
}

let appI18n: ReturnType<typeof createAppI18n> | null = null
const workMessages = new Map<Lang, Promise<void>>()

/**
 * Load the Invites/Templates catalog of the active language into the app's i18n (once). The
 * routes of those sections await it together with their view chunk, so the first view does not
 * carry their strings. The language never changes at runtime (it comes from the portal).
 */
export function loadWorkMessages(): Promise<void> {
  const i18n = appI18n
  if (!i18n) return Promise.resolve()
  const lang = i18n.global.locale.value
  let pending = workMessages.get(lang)
  if (!pending) {
    pending = (lang === 'ru' ? import('./work/ru') : import('./work/en'))
      .then(module => {
        i18n.global.mergeLocaleMessage(lang, module.default as never)
      })
      .catch((error: unknown) => {
        // Let a later navigation retry (e.g. after a network blip).
        workMessages.delete(lang)
        throw error
      })
    workMessages.set(lang, pending)
  }
  return pending
}
