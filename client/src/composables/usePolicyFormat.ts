import { useI18n } from 'vue-i18n'
import type { ApiError } from '../api/http'
import type { InviteRequestState } from '../api/types'
import { useErrorText } from './useErrorText'

/**
 * The server gives the policy's reasons as English sentences. Known ones get a localised text (with
 * their numbers); anything else is shown as the server wrote it.
 */
export type ReasonMessage =
  | { key: 'noEmployees' | 'noGuests' | 'template' | 'department' | 'group' | 'always' | 'noRule' }
  | { key: 'quota'; quota: number; sent: number }

const FIXED_REASONS: Record<string, Exclude<ReasonMessage['key'], 'quota'>> = {
  'employee invitations are not allowed to you': 'noEmployees',
  'guest invitations are not allowed to you': 'noGuests',
  'this template is not allowed to you': 'template',
  'you may not invite into this department': 'department',
  'you may not invite into this group': 'group',
  'every invitation needs approval': 'always',
  'no invitation rule covers you': 'noRule',
}
const QUOTA_REASON = /^your daily quota is (\d+) invitations? \((\d+) sent in the last 24 hours\)\.?$/i

export function reasonMessage(reason: string): ReasonMessage | null {
  const text = reason.trim()
  const fixed = FIXED_REASONS[text.replace(/\.$/, '').toLowerCase()]
  if (fixed) return { key: fixed }
  const quota = QUOTA_REASON.exec(text)
  if (quota) return { key: 'quota', quota: Number(quota[1]), sent: Number(quota[2]) }
  return null
}

/**
 * The reasons of a 403 policy_denied: `details.reasons` when the server gives them, else the message's
 * list ("The invite policy does not allow this: a; b").
 */
export function deniedReasons(error: Pick<ApiError, 'message' | 'details'>): string[] {
  const details = error.details as { reasons?: unknown } | unknown[] | null | undefined
  const listed = Array.isArray(details) ? details : details && typeof details === 'object' ? details.reasons : undefined
  if (Array.isArray(listed)) {
    const reasons = listed.filter((item): item is string => typeof item === 'string' && item.trim() !== '')
    if (reasons.length) return reasons
  }
  const colon = error.message.indexOf(': ')
  const tail = colon >= 0 ? error.message.slice(colon + 2) : ''
  return tail.split('; ').map(part => part.trim()).filter(Boolean)
}

/** Placements the app knows by name; others are shown as the portal names them. */
const PLACEMENT_KEYS: Record<string, string> = {
  SONET_GROUP_DETAIL_TAB: 'group',
  CRM_CONTACT_DETAIL_TAB: 'crmContact',
  CRM_COMPANY_DETAIL_TAB: 'crmCompany',
  USER_PROFILE_MENU: 'profile',
  join_link: 'joinLink',
  DEFAULT: 'app',
}

export const REQUEST_STATE_COLORS: Record<InviteRequestState, 'air-primary-warning' | 'air-primary-success' | 'air-primary-alert' | 'air-tertiary'> = {
  pending: 'air-primary-warning',
  approved: 'air-primary-success',
  declined: 'air-primary-alert',
  cancelled: 'air-tertiary',
  failed: 'air-primary-alert',
}

/** Texts of the invite policy and its requests (needs the working sections' catalog). */
export function usePolicyFormat() {
  const { t, te } = useI18n()
  const { describe } = useErrorText()

  function reasonText(reason: string): string {
    const message = reasonMessage(reason)
    if (!message) return reason
    return message.key === 'quota'
      ? t('policyFormat.reasons.quota', { quota: message.quota, sent: message.sent }, message.quota)
      : t(`policyFormat.reasons.${message.key}`)
  }

  function placementLabel(placement: string): string {
    const key = PLACEMENT_KEYS[placement]
    return key && te(`policyFormat.placements.${key}`) ? t(`policyFormat.placements.${key}`) : placement
  }

  function stateLabel(state: InviteRequestState): string {
    return t(`policyFormat.states.${state}`)
  }

  /** A user by id: "you" for the viewer. */
  function userLabel(id: number | null, me: number | null | undefined): string {
    if (id === null) return '—'
    return id === me ? t('policyFormat.you', { id }) : t('policyFormat.userId', { id })
  }

  /** An API error of the policy's calls; a 403 policy_denied with its reasons. */
  function describePolicyError(error: ApiError | null | undefined): string {
    if (error?.code === 'policy_denied') {
      const reasons = deniedReasons(error).map(reasonText)
      return reasons.length ? `${t('workErrors.policy_denied')} ${reasons.join('; ')}` : t('workErrors.policy_denied')
    }
    return describe(error)
  }

  return { reasonText, placementLabel, stateLabel, userLabel, describePolicyError }
}
