import { useI18n } from 'vue-i18n'
import type { ApiError } from '../api/http'

/** A localised sentence for an API error: known codes get our text, others the server's message. */
export function useErrorText() {
  const { t, te } = useI18n()

  function describe(error: ApiError | null | undefined): string {
    if (!error) return t('errors.generic')
    const key = `errors.codes.${error.code}`
    if (te(key)) return t(key)
    // Codes of the Invites/Templates sections live in their lazily loaded catalog.
    const workKey = `workErrors.${error.code}`
    if (te(workKey)) return t(workKey)
    return error.message || t('errors.generic')
  }

  return { describe }
}
