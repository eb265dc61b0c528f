import { createI18n } from 'vue-i18n'
import type { Lang } from '../api/types'
import en, { type MessageSchema } from './en'
import ru from './ru'

export type { MessageSchema }

declare module 'vue-i18n' {
  // Typed keys for t()/te() everywhere (an interface merge, hence the empty body).
  export interface DefineLocaleMessage extends MessageSchema {}
}

export const SUPPORTED_LANGS: readonly Lang[] = ['ru', 'en']

/** BCP 47 tags for Intl formatting. */
export const INTL_LOCALES: Record<Lang, string> = { ru: 'ru-RU', en: 'en-US' }

export function createAppI18n(locale: Lang) {
  return createI18n<[MessageSchema], Lang, false>({
    legacy: false,
    locale,
    fallbackLocale: 'en',
    messages: { en, ru },
    // Both catalogs are complete; warnings would only be noise in production.
    missingWarn: import.meta.env.DEV,
    fallbackWarn: import.meta.env.DEV,
  })
}
