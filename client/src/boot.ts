import type { InjectionKey } from 'vue'
import type { Boot, ErrorInfo, Lang, PortalStatus, Registration } from './api/types'

/** id of the `<script type="application/json">` the server injects into `<head>`. */
export const BOOT_ELEMENT_ID = 'invite-desk-boot'

export const BOOT_KEY: InjectionKey<Boot> = Symbol('invite-desk-boot')

/** Client-side error codes for a missing or malformed boot document (shown by the error view). */
export const BOOT_ERROR_CODES = {
  missing: 'boot_missing',
  invalid: 'boot_invalid',
} as const

const PORTAL_STATUSES: readonly PortalStatus[] = ['installing', 'installed', 'needs_reinstall']

/**
 * Read the boot document. Never throws: a missing or malformed document becomes an `error` boot,
 * so the page always renders something meaningful (e.g. when index.html is opened directly).
 */
export function readBoot(doc: Document = document): Boot {
  const fallbackLang = guessLang(doc)
  const element = doc.getElementById(BOOT_ELEMENT_ID)
  if (!element?.textContent) {
    return errorBoot(fallbackLang, BOOT_ERROR_CODES.missing, 'The boot document is missing')
  }
  let raw: unknown
  try {
    raw = JSON.parse(element.textContent)
  } catch {
    return errorBoot(fallbackLang, BOOT_ERROR_CODES.invalid, 'The boot document is not valid JSON')
  }
  return parseBoot(raw, fallbackLang)
}

/** Validate an already-parsed boot value (exported for tests). */
export function parseBoot(raw: unknown, fallbackLang: Lang = 'en'): Boot {
  if (!isRecord(raw)) return errorBoot(fallbackLang, BOOT_ERROR_CODES.invalid, 'The boot document is not an object')
  const lang = isLang(raw.lang) ? raw.lang : fallbackLang
  const invalid = (what: string) => errorBoot(lang, BOOT_ERROR_CODES.invalid, `The boot document has an invalid ${what}`)

  switch (raw.mode) {
    case 'app': {
      const { session, user, portal } = raw
      if (!isRecord(session) || typeof session.token !== 'string' || typeof session.expiresAt !== 'number') return invalid('session')
      if (!isRecord(user) || typeof user.id !== 'number' || typeof user.name !== 'string' || typeof user.isAdmin !== 'boolean') return invalid('user')
      if (!isRecord(portal) || typeof portal.memberId !== 'string' || typeof portal.domain !== 'string' || !isPortalStatus(portal.status)) return invalid('portal')
      return {
        mode: 'app',
        lang,
        session: { token: session.token, expiresAt: session.expiresAt },
        placement: typeof raw.placement === 'string' && raw.placement ? raw.placement : 'DEFAULT',
        placementOptions: isRecord(raw.placementOptions) ? raw.placementOptions : {},
        user: { id: user.id, name: user.name, isAdmin: user.isAdmin },
        portal: { memberId: portal.memberId, domain: portal.domain, status: portal.status },
      }
    }
    case 'install': {
      if (raw.ok === true) {
        const registration = toRegistration(raw.registration)
        return registration ? { mode: 'install', lang, ok: true, registration } : invalid('registration')
      }
      const error = toErrorInfo(raw.error)
      return error ? { mode: 'install', lang, ok: false, error } : invalid('error')
    }
    case 'error': {
      const error = toErrorInfo(raw.error)
      return error ? { mode: 'error', lang, error } : invalid('error')
    }
    default:
      return invalid('mode')
  }
}

function errorBoot(lang: Lang, code: string, message: string): Boot {
  return { mode: 'error', lang, error: { code, message } }
}

function guessLang(doc: Document): Lang {
  const candidates = [doc.documentElement.lang, typeof navigator === 'undefined' ? '' : navigator.language]
  return candidates.some(value => value?.toLowerCase().startsWith('ru')) ? 'ru' : 'en'
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isLang(value: unknown): value is Lang {
  return value === 'ru' || value === 'en'
}

function isPortalStatus(value: unknown): value is PortalStatus {
  return PORTAL_STATUSES.includes(value as PortalStatus)
}

function toStringArray(value: unknown): string[] | null {
  return Array.isArray(value) && value.every(item => typeof item === 'string') ? value : null
}

function toRegistration(value: unknown): Registration | null {
  if (!isRecord(value)) return null
  const events = toStringArray(value.events)
  const placements = toStringArray(value.placements)
  const robots = toStringArray(value.robots)
  const errors = toStringArray(value.errors ?? [])
  if (!events || !placements || !robots || !errors) return null
  return { events, placements, robots, errors }
}

function toErrorInfo(value: unknown): ErrorInfo | null {
  if (!isRecord(value) || typeof value.code !== 'string') return null
  return { code: value.code, message: typeof value.message === 'string' ? value.message : '' }
}
