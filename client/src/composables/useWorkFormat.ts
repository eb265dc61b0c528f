import { computed } from 'vue'
import { useI18n } from 'vue-i18n'
import type { DryRunSummary, Lang } from '../api/types'
import { INTL_LOCALES } from '../i18n'

/** Formatting used by the working sections (needs their lazily loaded catalog for durations). */
export function useWorkFormat() {
  const { t, locale } = useI18n()
  const tag = computed(() => INTL_LOCALES[locale.value as Lang] ?? 'en-US')

  /** "45 s", "12 min", "2 h 5 min". */
  function formatDuration(totalSeconds: number): string {
    const seconds = Math.max(0, Math.round(totalSeconds))
    if (seconds < 60) return t('time.seconds', { n: seconds })
    const minutes = Math.round(seconds / 60)
    if (minutes < 60) return t('time.minutes', { n: minutes })
    return t('time.hoursMinutes', { h: Math.floor(minutes / 60), m: minutes % 60 })
  }

  /** "820 kB", "4.2 MB". */
  function formatBytes(bytes: number): string {
    const [value, unit] = bytes >= 1024 * 1024 ? [bytes / (1024 * 1024), 'megabyte'] : [Math.max(bytes / 1024, 0.1), 'kilobyte']
    return new Intl.NumberFormat(tag.value, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1 }).format(value)
  }

  /** 12.5 → "12.5" / "12,5" (rates). */
  function formatDecimal(value: number): string {
    return new Intl.NumberFormat(tag.value, { maximumFractionDigits: 1 }).format(value)
  }

  /** "Anna Smirnova" in English, "Смирнова Анна" (surname first, as in Russian lists) in Russian. */
  function personName(name: string | null | undefined, lastName: string | null | undefined): string {
    const parts = locale.value === 'ru' ? [lastName, name] : [name, lastName]
    return parts.filter(part => part && part.trim()).join(' ')
  }

  /** The dry run's outcome as one sentence, for the live region (the chips are not read out by themselves). */
  function dryRunSummaryText(summary: DryRunSummary): string {
    return t('dryRun.announce', { total: summary.total, ready: summary.ready, warnings: summary.warnings, errors: summary.errors })
  }

  return { formatDuration, formatBytes, formatDecimal, personName, dryRunSummaryText }
}
