import { getJson, postJson } from './http'
import type { ReapplyRegistrationResponse, SettingsResponse } from './types'

/** GET /api/settings: capability matrix and the last registration. */
export function getSettings(): Promise<SettingsResponse> {
  return getJson<SettingsResponse>('/api/settings')
}

/** POST /api/settings/reapply (admins): re-bind events, placements and robots in the portal. */
export function reapplyRegistration(): Promise<ReapplyRegistrationResponse> {
  // Re-registration makes several REST calls to the portal; give it more time than a read.
  return postJson<ReapplyRegistrationResponse>('/api/settings/reapply', {}, { timeoutMs: 60_000 })
}
