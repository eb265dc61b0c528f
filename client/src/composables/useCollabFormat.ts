import { computed } from 'vue'
import { useI18n } from 'vue-i18n'
import type { ApiError } from '../api/http'
import type { CollabActionKey, CollabGuestState, CollabSponsor, Lang } from '../api/types'
import { INTL_LOCALES } from '../i18n'
import { useErrorText } from './useErrorText'

export type BadgeColor = 'air-secondary-accent' | 'air-primary-success' | 'air-primary-warning' | 'air-tertiary' | 'air-primary-alert' | 'air-primary'

export const COLLAB_STATE_COLORS: Record<CollabGuestState, BadgeColor> = {
  invited: 'air-secondary-accent',
  active: 'air-primary-success',
  inactive: 'air-primary-warning',
  deactivated: 'air-tertiary',
}

/** Names, dates, days and error sentences of the Collabs section (needs the working sections' catalog). */
export function useCollabFormat() {
  const { t, te, locale } = useI18n()
  const { describe } = useErrorText()
  const tag = computed(() => INTL_LOCALES[locale.value as Lang] ?? 'en-US')
  const dateFormat = computed(() => new Intl.DateTimeFormat(tag.value, { dateStyle: 'medium' }))
  const dayFormat = computed(() => new Intl.DateTimeFormat(tag.value, { day: 'numeric', month: 'short' }))

  function formatDate(value: number | string): string {
    const date = new Date(value)
    return Number.isNaN(date.getTime()) ? String(value) : dateFormat.value.format(date)
  }

  /** 'YYYY-MM-DD' of the history as a short local date ("12 Mar"), read as a calendar day (no time zone shift). */
  function formatDay(day: string, long = false): string {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day)
    if (!match) return day
    const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]))
    return (long ? dateFormat.value : dayFormat.value).format(date)
  }

  /** "today", "1 day ago", "5 days ago". */
  function daysAgo(days: number | null): string {
    if (days === null) return ''
    return days <= 0 ? t('collabFormat.today') : t('collabFormat.daysAgo', { count: days }, days)
  }

  function stateLabel(state: CollabGuestState | 'accepted'): string {
    return t(`collabFormat.states.${state}`)
  }

  function sponsorName(sponsor: CollabSponsor): string {
    return sponsor.name?.trim() || (sponsor.id !== null ? t('collabFormat.userId', { id: sponsor.id }) : t('collabFormat.noSponsor'))
  }

  /** Where the sponsor comes from: Invite Desk's own record, or (nobody recorded) the collab's owner. */
  function sponsorSource(sponsor: CollabSponsor): string {
    return t(`collabFormat.sponsorSources.${sponsor.source}`)
  }

  /** Why an action cannot be done from here, in the viewer's language (the server's note is English). */
  function unavailableText(action: CollabActionKey): string {
    return t(`settings.collabActions.notes.${action}`)
  }

  /** A 403 here means "not this collab's owner or moderator", not "not an administrator". */
  function describeCollabError(error: ApiError | null | undefined): string {
    if (error?.status === 403 && error.code === 'forbidden') return t('collabFormat.forbidden')
    if (error && te(`collabErrors.${error.code}`)) return t(`collabErrors.${error.code}`)
    return describe(error)
  }

  /** The collab's page from a 409 not_available answer, if the server named it. */
  function collabUrlOf(error: ApiError | null | undefined): string | null {
    const details = error?.details
    if (typeof details !== 'object' || details === null) return null
    const url = (details as { collabUrl?: unknown }).collabUrl
    return typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null
  }

  return { formatDate, formatDay, daysAgo, stateLabel, sponsorName, sponsorSource, unavailableText, describeCollabError, collabUrlOf }
}
