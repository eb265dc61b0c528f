import { useI18n } from 'vue-i18n'
import type { InvitationState, JoinLinkStatus, JoinLinkView, JoinLinkWarning, JoinState, JoinTarget, JoinTargetKind, Lang } from '../../api/types'
import type { BadgeColor } from '../../composables/useCollabFormat'
import { INTL_LOCALES } from '../../i18n'
import { daysUntil } from './joinLinkForm'

/** The `placement` of an invite request filed by someone who joined through a link. */
export const JOIN_LINK_PLACEMENT = 'join_link'

export const JOIN_LINK_STATUS_COLORS: Record<JoinLinkStatus, BadgeColor> = {
  active: 'air-primary-success',
  paused: 'air-primary-warning',
  full: 'air-primary-warning',
  expired: 'air-tertiary',
  revoked: 'air-primary-alert',
}

export const JOIN_STATE_COLORS: Record<JoinState, BadgeColor> = {
  queued: 'air-secondary-accent',
  dispatching: 'air-secondary-accent',
  awaiting_approval: 'air-primary-warning',
  declined: 'air-tertiary',
  sent: 'air-primary-success',
  existing: 'air-secondary-accent',
  failed: 'air-primary-alert',
}

/** `t(key, named)` or, with `plural`, the plural form for that number. */
export type Translate = (key: string, named?: Record<string, unknown>, plural?: number) => string

/**
 * Every text of a join link in words (status, warnings, usage, target, dates), from a translator and a
 * language: no component needed, so the wording is testable in both languages.
 */
export function joinLinkTexts(t: Translate, lang: Lang) {
  const tag = INTL_LOCALES[lang] ?? 'en-US'
  const numbers = new Intl.NumberFormat(tag)
  // The link works through the end of a UTC day: show that day, not the local date of its last millisecond.
  const days = new Intl.DateTimeFormat(tag, { dateStyle: 'medium', timeZone: 'UTC' })
  const n = (value: number) => numbers.format(value)

  function formatDay(at: number): string {
    return days.format(new Date(at))
  }

  function statusLabel(status: JoinLinkStatus): string {
    return t(`joinLinks.statuses.${status}`)
  }

  /** The status in a sentence: what visitors get and what would change it. */
  function statusExplanation(link: Pick<JoinLinkView, 'status' | 'expiresAt' | 'cap'>): string {
    if (link.status === 'expired') return t('joinLinks.statusHints.expired', { date: link.expiresAt === null ? '—' : formatDay(link.expiresAt) })
    if (link.status === 'full') return t('joinLinks.statusHints.full', { count: n(link.cap ?? 0) }, link.cap ?? 0)
    return t(`joinLinks.statusHints.${link.status}`)
  }

  /** "Near its cap: 8 of 10 used", "Expires in 2 days". */
  function warningText(link: Pick<JoinLinkView, 'uses' | 'cap' | 'expiresAt'>, warning: JoinLinkWarning, now: number): string {
    if (warning === 'near_cap') return t('joinLinks.warnings.near_cap', { uses: n(link.uses), cap: n(link.cap ?? 0) })
    const left = link.expiresAt === null ? 0 : Math.max(0, daysUntil(link.expiresAt, now))
    return t('joinLinks.warnings.near_expiry', { count: n(left) }, left)
  }

  /** "8 of 10" or "3 joined, no cap". */
  function usageText(link: Pick<JoinLinkView, 'uses' | 'cap'>): string {
    return link.cap === null ? t('joinLinks.usesNoCap', { uses: n(link.uses) }, link.uses) : t('joinLinks.uses', { uses: n(link.uses), cap: n(link.cap) })
  }

  function expiryText(link: Pick<JoinLinkView, 'expiresAt'>): string {
    return link.expiresAt === null ? t('joinLinks.never') : formatDay(link.expiresAt)
  }

  function targetKindLabel(kind: JoinTargetKind): string {
    return t(`joinLinks.targetKinds.${kind}`)
  }

  /** The target's name, or "Workgroup #12" when the directory does not know it. */
  function targetName(target: Pick<JoinTarget, 'kind' | 'id' | 'name'>): string {
    return target.name?.trim() || t(`joinLinks.targetUnknown.${target.kind}`, { id: target.id })
  }

  function joinStateLabel(state: JoinState): string {
    return t(`joinLinks.joinStates.${state}`)
  }

  function invitationStateLabel(state: InvitationState): string {
    return t(`joinLinks.invitationStates.${state}`)
  }

  return { formatDay, statusLabel, statusExplanation, warningText, usageText, expiryText, targetKindLabel, targetName, joinStateLabel, invitationStateLabel }
}

export type JoinLinkTexts = ReturnType<typeof joinLinkTexts>

/** {@link joinLinkTexts} in the app's language. */
export function useJoinLinkFormat(): JoinLinkTexts {
  const { t, locale } = useI18n()
  const translate: Translate = (key, named = {}, plural) => (plural === undefined ? t(key, named) : t(key, named, plural))
  // The language never changes at runtime (it comes from the portal): one set of texts.
  return joinLinkTexts(translate, locale.value === 'ru' ? 'ru' : 'en')
}
