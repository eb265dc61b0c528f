import { computed } from 'vue'
import { useI18n } from 'vue-i18n'
import type { ApiError } from '../api/http'
import type { ExtranetPerson, GuestView, Lang } from '../api/types'
import { INTL_LOCALES } from '../i18n'
import { useErrorText } from './useErrorText'

/** Names, dates and error sentences of the Extranet section (needs the working sections' catalog). */
export function useExtranetFormat() {
  const { t, locale } = useI18n()
  const { describe } = useErrorText()
  const dateFormat = computed(() => new Intl.DateTimeFormat(INTL_LOCALES[locale.value as Lang] ?? 'en-US', { dateStyle: 'medium' }))

  /** A person as the directory knows them; someone it does not know, by id. */
  function personName(person: ExtranetPerson | null | undefined, id?: number | null): string {
    const name = person?.name?.trim() || person?.email?.trim()
    if (name) return name
    const known = person?.id ?? id
    return known != null ? t('extranetGroup.userId', { id: known }) : '—'
  }

  function guestName(guest: GuestView): string {
    return guest.name?.trim() || guest.email?.trim() || (guest.userId !== null ? t('extranetGroup.userId', { id: guest.userId }) : '—')
  }

  function formatDate(value: number | string): string {
    const date = new Date(value)
    return Number.isNaN(date.getTime()) ? String(value) : dateFormat.value.format(date)
  }

  /** A 403 here means "not this group's owner or moderator", not "not an administrator". */
  function describeGroupError(error: ApiError | null | undefined): string {
    return error?.status === 403 && error.code === 'forbidden' ? t('extranetGroup.forbidden') : describe(error)
  }

  return { personName, guestName, formatDate, describeGroupError }
}
