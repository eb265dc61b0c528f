import { computed } from 'vue'
import { useI18n } from 'vue-i18n'
import { INTL_LOCALES } from '../../i18n'
import type { Lang, RobotCode, RobotInfo, RobotReplyState, RobotRun, RobotRunFilterOutcome, RobotRunOutcome, RobotRunState } from '../../api/types'
import type { BadgeColor } from '../../composables/useCollabFormat'

export const OUTCOME_COLORS: Record<RobotRunFilterOutcome, BadgeColor> = {
  invited: 'air-primary-success',
  added: 'air-primary-success',
  accepted: 'air-primary-success',
  already_exists: 'air-secondary-accent',
  already_member: 'air-secondary-accent',
  not_accepted: 'air-primary-warning',
  failed: 'air-primary-alert',
  pending: 'air-tertiary',
}

export const REPLY_COLORS: Record<RobotReplyState, BadgeColor> = {
  none: 'air-tertiary',
  pending: 'air-secondary-accent',
  sending: 'air-secondary-accent',
  sent: 'air-primary-success',
  failed: 'air-primary-alert',
  expired: 'air-primary-warning',
}

/** Epoch milliseconds as an ISO string for `<time datetime>`, undefined when not a date. */
export function toIso(at: number | null | undefined): string | undefined {
  if (at === null || at === undefined) return undefined
  const date = new Date(at)
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}

/** The filter's outcome of a run: its outcome, or 'pending' while undecided. */
export function runOutcome(run: Pick<RobotRun, 'outcome'>): RobotRunFilterOutcome {
  return run.outcome ?? 'pending'
}

const DOCUMENT_TYPES = new Set(['DEAL', 'LEAD', 'CONTACT', 'COMPANY', 'QUOTE'])

/**
 * Names, labels and values of the Automation section (needs the working sections' catalog). Robot
 * names and descriptions come from the server in both languages; the catalog's names stand in while
 * the robots are not loaded.
 */
export function useRobotFormat() {
  const { t, locale } = useI18n()
  const lang = computed<Lang>(() => (locale.value === 'ru' ? 'ru' : 'en'))
  const shortFormat = computed(() => new Intl.DateTimeFormat(INTL_LOCALES[lang.value], { dateStyle: 'short', timeStyle: 'short' }))

  /** A compact date and time for table cells ("23.11.2026, 14:05"). */
  function formatShortDateTime(value: number): string {
    const date = new Date(value)
    return Number.isNaN(date.getTime()) ? String(value) : shortFormat.value.format(date)
  }

  /** The server's text in the UI language, the other language when that one is blank. */
  function localized(text: { ru: string; en: string } | null | undefined): string {
    if (!text) return ''
    const other: Lang = lang.value === 'ru' ? 'en' : 'ru'
    return text[lang.value]?.trim() || text[other]?.trim() || ''
  }

  function robotName(code: RobotCode, info?: RobotInfo | null): string {
    return localized(info?.name) || t(`robotFormat.robots.${code}`)
  }

  function outcomeLabel(outcome: RobotRunFilterOutcome | RobotRunOutcome): string {
    return t(`robotFormat.outcomes.${outcome}`)
  }

  function stateLabel(state: RobotRunState): string {
    return t(`robotFormat.states.${state}`)
  }

  function replyLabel(reply: RobotReplyState): string {
    return t(`robotFormat.replies.${reply}`)
  }

  /** 'DEAL_123' → "Deal 123"; other documents as the portal named them. */
  function documentLabel(document: string): string {
    const match = /^([A-Z]+)_(\d+)$/.exec(document)
    if (match?.[1] && match[2] && DOCUMENT_TYPES.has(match[1])) return t(`robotFormat.documents.${match[1] as 'DEAL'}`, { id: match[2] })
    return document
  }

  /** A property or return value as text: scalars as they are, lists joined, objects as JSON. */
  function formatValue(value: unknown): string {
    if (value === null || value === undefined || value === '') return t('robotFormat.empty')
    if (typeof value === 'boolean') return value ? t('robotFormat.yes') : t('robotFormat.no')
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return String(value)
    if (Array.isArray(value) && value.every(item => item === null || typeof item !== 'object')) return value.map(item => String(item ?? '')).join(', ')
    try {
      return JSON.stringify(value)
    } catch {
      return String(value)
    }
  }

  return { lang, formatShortDateTime, localized, robotName, outcomeLabel, stateLabel, replyLabel, documentLabel, formatValue }
}
