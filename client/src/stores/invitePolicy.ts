import { defineStore } from 'pinia'
import { toApiError, type ApiError } from '../api/http'
import { getPolicy, savePolicy } from '../api/policy'
import type { InvitePolicy } from '../api/types'
import { usePortalStore } from './portal'
import { savedSettings } from './savedSettings'

/** The invite policy (admins, in Settings): who may invite whom, quotas and approvals. */
export const useInvitePolicyStore = defineStore('invitePolicy', () => {
  const portal = usePortalStore()

  function fail(cause: unknown): ApiError {
    portal.noteError(cause)
    return toApiError(cause)
  }

  // GET/PUT /api/policy answer `{ policy }`: the shared loader reads `{ settings }`.
  const { settings: policy, settingsStatus: status, settingsError: error, loadSettings: load, saveSettings: save } = savedSettings<InvitePolicy>({
    load: async () => ({ settings: (await getPolicy()).policy }),
    save: async next => ({ settings: (await savePolicy(next)).policy }),
    fail,
  })

  return { policy, status, error, load, save }
})
