import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import { toApiError, type ApiError } from '../api/http'
import { INVITATIONS_PAGE_SIZE, listInvitations } from '../api/invitations'
import type { Invitation, InvitationFilters } from '../api/types'
import type { LoadStatus } from './dashboard'
import { usePortalStore } from './portal'

export function emptyFilters(): Required<Omit<InvitationFilters, 'invitedBy' | 'olderThanDays'>> & Pick<InvitationFilters, 'invitedBy' | 'olderThanDays'> {
  return { state: '', templateId: '', source: '', q: '', invitedBy: null, olderThanDays: null }
}

/** The invitation ledger: server-side filters and offset pages of 50. */
export const useLedgerStore = defineStore('ledger', () => {
  const status = ref<LoadStatus>('idle')
  const error = shallowRef<ApiError | null>(null)
  const filters = ref(emptyFilters())
  const rows = shallowRef<Invitation[]>([])
  const total = ref(0)
  /** How this portal resends invitations (null until the first page). */
  const resend = ref<'api' | 'portal' | null>(null)
  const offset = ref(0)
  const pageSize = INVITATIONS_PAGE_SIZE

  let seq = 0

  /** Load the current page; a newer call wins over an older one still in flight. */
  async function load(): Promise<void> {
    const mine = ++seq
    status.value = 'loading'
    error.value = null
    try {
      const data = await listInvitations(filters.value, { limit: pageSize, offset: offset.value })
      if (mine !== seq) return
      rows.value = data.rows
      total.value = data.total
      resend.value = data.resend ?? null
      status.value = 'ready'
    } catch (cause) {
      if (mine !== seq) return
      usePortalStore().noteError(cause)
      error.value = toApiError(cause)
      status.value = 'error'
    }
  }

  /** Change filters and go back to the first page. */
  function setFilters(patch: Partial<InvitationFilters>): Promise<void> {
    filters.value = { ...filters.value, ...patch }
    offset.value = 0
    return load()
  }

  function resetFilters(): Promise<void> {
    filters.value = emptyFilters()
    offset.value = 0
    return load()
  }

  function setPage(page: number): Promise<void> {
    offset.value = Math.max(0, (page - 1) * pageSize)
    return load()
  }

  /** Replace one row after an action (e.g. a reminder updated remindersSent). */
  function updateRow(next: Invitation): void {
    rows.value = rows.value.map(row => (row.id === next.id ? next : row))
  }

  return { status, error, filters, rows, total, resend, offset, pageSize, load, setFilters, resetFilters, setPage, updateRow }
})
