import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { AUDIT_PAGE_SIZE, emptyAuditFilters, listAuditEntries, type AuditFilters } from '../api/audit'
import { getCollabActions } from '../api/collabs'
import { toApiError, type ApiError } from '../api/http'
import { getSettings, reapplyRegistration } from '../api/settings'
import type { AppliedRegistration, AuditEntry, CollabActionsResponse } from '../api/types'
import type { LoadStatus } from './dashboard'
import { usePortalStore } from './portal'

export interface CapabilityRow {
  method: string
  available: boolean
}

export type ReapplyOutcome =
  | { kind: 'success'; registration: AppliedRegistration }
  | { kind: 'partial'; registration: AppliedRegistration }
  | { kind: 'error'; error: ApiError }

export const useSettingsStore = defineStore('settings', () => {
  const status = ref<LoadStatus>('idle')
  const error = shallowRef<ApiError | null>(null)
  const capabilities = ref<Record<string, boolean>>({})
  const registration = ref<AppliedRegistration | null>(null)

  const reapplying = ref(false)
  const lastReapply = shallowRef<ReapplyOutcome | null>(null)

  const auditStatus = ref<LoadStatus>('idle')
  const auditError = shallowRef<ApiError | null>(null)
  const auditEntries = ref<AuditEntry[]>([])
  const auditHasMore = ref(false)
  const auditLoadingMore = ref(false)
  /** The filters the loaded entries match (the next pages use the same). */
  const auditFilters = ref<AuditFilters>(emptyAuditFilters())

  // What the collab guest actions can do on this portal (GET /api/collabs/actions).
  const collabActions = ref<CollabActionsResponse['actions'] | null>(null)
  const collabActionsStatus = ref<LoadStatus>('idle')
  const collabActionsError = shallowRef<ApiError | null>(null)

  const capabilityRows = computed<CapabilityRow[]>(() =>
    Object.entries(capabilities.value)
      .map(([method, available]) => ({ method, available }))
      .sort((a, b) => a.method.localeCompare(b.method)),
  )
  const availableCount = computed(() => capabilityRows.value.filter(row => row.available).length)

  async function load(): Promise<void> {
    const portal = usePortalStore()
    status.value = 'loading'
    error.value = null
    try {
      const data = await getSettings()
      capabilities.value = data.capabilities
      registration.value = data.registration
      portal.setStatus(data.portal.status)
      status.value = 'ready'
    } catch (cause) {
      portal.noteError(cause)
      error.value = toApiError(cause)
      status.value = 'error'
    }
  }

  async function loadCollabActions(): Promise<void> {
    collabActionsStatus.value = 'loading'
    collabActionsError.value = null
    try {
      collabActions.value = (await getCollabActions()).actions
      collabActionsStatus.value = 'ready'
    } catch (cause) {
      usePortalStore().noteError(cause)
      collabActionsError.value = toApiError(cause)
      collabActionsStatus.value = 'error'
    }
  }

  let reapplyInflight: Promise<ReapplyOutcome> | null = null

  /** POST /api/settings/reapply (single-flight); the outcome is also kept in `lastReapply`. */
  function reapply(): Promise<ReapplyOutcome> {
    reapplyInflight ??= doReapply().finally(() => {
      reapplyInflight = null
    })
    return reapplyInflight
  }

  async function doReapply(): Promise<ReapplyOutcome> {
    reapplying.value = true
    let outcome: ReapplyOutcome
    try {
      const { registration: next } = await reapplyRegistration()
      registration.value = next
      outcome = { kind: next.errors.length > 0 ? 'partial' : 'success', registration: next }
    } catch (cause) {
      usePortalStore().noteError(cause)
      outcome = { kind: 'error', error: toApiError(cause) }
    } finally {
      reapplying.value = false
    }
    lastReapply.value = outcome
    return outcome
  }

  /** First page of the audit log (replaces what was loaded). */
  async function loadAudit(filters?: AuditFilters): Promise<void> {
    if (filters) auditFilters.value = { ...filters }
    auditStatus.value = 'loading'
    auditError.value = null
    try {
      const { entries } = await listAuditEntries({ limit: AUDIT_PAGE_SIZE, filters: auditFilters.value })
      auditEntries.value = entries
      auditHasMore.value = entries.length >= AUDIT_PAGE_SIZE
      auditStatus.value = 'ready'
    } catch (cause) {
      auditError.value = toApiError(cause)
      auditStatus.value = 'error'
    }
  }

  /** Next (older) page; returns how many entries were added (0 on failure, see `auditError`). */
  async function loadMoreAudit(): Promise<number> {
    const oldest = auditEntries.value.at(-1)
    if (!oldest || auditLoadingMore.value) return 0
    auditLoadingMore.value = true
    auditError.value = null
    try {
      const { entries } = await listAuditEntries({ limit: AUDIT_PAGE_SIZE, beforeId: oldest.id, filters: auditFilters.value })
      const known = new Set(auditEntries.value.map(entry => entry.id))
      const fresh = entries.filter(entry => !known.has(entry.id))
      auditEntries.value = [...auditEntries.value, ...fresh]
      auditHasMore.value = entries.length >= AUDIT_PAGE_SIZE
      return fresh.length
    } catch (cause) {
      auditError.value = toApiError(cause)
      return 0
    } finally {
      auditLoadingMore.value = false
    }
  }

  return {
    status, error, capabilities, registration, capabilityRows, availableCount, load,
    collabActions, collabActionsStatus, collabActionsError, loadCollabActions,
    reapplying, lastReapply, reapply,
    auditStatus, auditError, auditEntries, auditHasMore, auditLoadingMore, auditFilters, loadAudit, loadMoreAudit,
  }
})
