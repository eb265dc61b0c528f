import { computed } from 'vue'
import { useI18n } from 'vue-i18n'
import type { Lang } from '../api/types'
import { INTL_LOCALES } from '../i18n'

/** Locale-aware number and date formatting (Intl, following the active vue-i18n locale). */
export function useFormat() {
  const { locale } = useI18n()
  const tag = computed(() => INTL_LOCALES[locale.value as Lang] ?? 'en-US')
  const numberFormat = computed(() => new Intl.NumberFormat(tag.value))
  const percentFormat = computed(() => new Intl.NumberFormat(tag.value, { style: 'percent', maximumFractionDigits: 0 }))
  const dateTimeFormat = computed(() => new Intl.DateTimeFormat(tag.value, { dateStyle: 'medium', timeStyle: 'short' }))

  function formatNumber(value: number): string {
    return numberFormat.value.format(value)
  }

  /** 0.42 → "42%" / "42 %". */
  function formatPercent(ratio: number): string {
    return percentFormat.value.format(ratio)
  }

  function formatDateTime(value: number | string | Date): string {
    const date = value instanceof Date ? value : new Date(value)
    return Number.isNaN(date.getTime()) ? String(value) : dateTimeFormat.value.format(date)
  }

  return { formatNumber, formatPercent, formatDateTime }
}
