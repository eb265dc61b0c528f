import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import {
  COLLAB_GUESTS_PAGE_SIZE,
  getCollabActions,
  getCollabHistory,
  getCollabSettings,
  getCollabSummary,
  inviteToCollab,
  listCollabGuests,
  runCollabGuestAction,
  saveCollabSettings,
  sendCollabInvite,
  setCollabInviteRowExcluded,
  syncCollabs,
  type CollabGuestQuery,
} from '../api/collabs'
import { toApiError, type ApiError } from '../api/http'
import type {
  CollabActionsResponse,
  CollabGuestActionKey,
  CollabGuestActionResponse,
  CollabGuestFilters,
  CollabGuestRow,
  CollabGuestSort,
  CollabHistoryPoint,
  CollabSettings,
  CollabSummaryResponse,
  CollabSyncReport,
  GroupInviteResponse,
  RowPatchResponse,
  SortDir,
} from '../api/types'
import type { LoadStatus } from './dashboard'
import { usePortalStore } from './portal'
import { savedSettings } from './savedSettings'

export function emptyCollabGuestFilters(): CollabGuestFilters {
  return { collabId: null, state: '', sponsorId: null, q: '' }
}

/** Days of history the chart shows. */
export const HISTORY_DAYS = 90

/**
 * The Collabs section: the summary (counts, funnel, sync), the history chart, the guest list
 * (server-side filters, order and pages), the portal's guest actions, inviting and the settings.
 * Each part loads and fails on its own, so a failed chart never hides the guests.
 */
export const useCollabsStore = defineStore('collabs', () => {
  const portal = usePortalStore()

  function fail(cause: unknown): ApiError {
    portal.noteError(cause)
    return toApiError(cause)
  }

  /** A guest is active with activity within this many days; null until the server said (its setting). */
  const activeDays = ref<number | null>(null)

  // --- Summary ------------------------------------------------------------------------------------

  const summary = shallowRef<CollabSummaryResponse | null>(null)
  const summaryStatus = ref<LoadStatus>('idle')
  const summaryError = shallowRef<ApiError | null>(null)
  let summarySeq = 0

  const collabs = computed(() => [...(summary.value?.collabs ?? [])].sort((a, b) => a.name.localeCompare(b.name)))
  const collabById = computed(() => new Map(collabs.value.map(collab => [collab.id, collab])))

  /** Load the summary; a newer call wins over an older one still in flight. */
  async function loadSummary(): Promise<void> {
    const mine = ++summarySeq
    if (summaryStatus.value !== 'ready') summaryStatus.value = 'loading'
    summaryError.value = null
    try {
      const data = await getCollabSummary(activeDays.value)
      if (mine !== summarySeq) return
      summary.value = data
      activeDays.value = data.activeDays
      for (const collab of data.collabs) if (collab.ownerName) rememberSponsor(collab.ownerId, collab.ownerName)
      summaryStatus.value = 'ready'
    } catch (cause) {
      if (mine !== summarySeq) return
      summaryError.value = fail(cause)
      summaryStatus.value = 'error'
    }
  }

  /** Another definition of "active": the summary and the list are counted again. */
  function setActiveDays(days: number): Promise<void> {
    activeDays.value = days
    offset.value = 0
    return Promise.all([loadSummary(), guestsStatus.value === 'idle' ? Promise.resolve() : loadGuests()]).then(() => undefined)
  }

  // --- History ------------------------------------------------------------------------------------

  /** The collab the overview (chart, cards, funnel) is narrowed to; null = all. */
  const overviewCollabId = ref<number | null>(null)
  const history = shallowRef<CollabHistoryPoint[]>([])
  const historyStatus = ref<LoadStatus>('idle')
  const historyError = shallowRef<ApiError | null>(null)
  let historySeq = 0

  async function loadHistory(): Promise<void> {
    const mine = ++historySeq
    historyStatus.value = 'loading'
    historyError.value = null
    try {
      const data = await getCollabHistory(overviewCollabId.value, HISTORY_DAYS)
      if (mine !== historySeq) return
      history.value = data.points
      historyStatus.value = 'ready'
    } catch (cause) {
      if (mine !== historySeq) return
      historyError.value = fail(cause)
      historyStatus.value = 'error'
    }
  }

  function setOverviewCollab(collabId: number | null): Promise<void> {
    overviewCollabId.value = collabId
    return loadHistory()
  }

  // --- Sync ---------------------------------------------------------------------------------------

  const syncing = ref(false)
  const syncReport = shallowRef<CollabSyncReport | null>(null)
  const syncError = shallowRef<ApiError | null>(null)

  /** POST /api/collabs/sync, then everything counted from it again. Resolves to the report or null (see syncError). */
  async function sync(full = false): Promise<CollabSyncReport | null> {
    if (syncing.value) return null
    syncing.value = true
    syncError.value = null
    try {
      const { report } = await syncCollabs(full)
      syncReport.value = report
      return report
    } catch (cause) {
      syncError.value = fail(cause)
      return null
    } finally {
      syncing.value = false
      // Even after a timeout the sync may have gone on: the summary says whether it still runs.
      await Promise.all([loadSummary(), loadHistory(), guestsStatus.value === 'idle' ? Promise.resolve() : loadGuests()])
    }
  }

  // --- Actions the portal allows ------------------------------------------------------------------

  const actions = shallowRef<CollabActionsResponse['actions'] | null>(null)
  const actionsStatus = ref<LoadStatus>('idle')
  const actionsError = shallowRef<ApiError | null>(null)

  async function loadActions(force = false): Promise<void> {
    if (!force && (actionsStatus.value === 'ready' || actionsStatus.value === 'loading')) return
    actionsStatus.value = 'loading'
    actionsError.value = null
    try {
      actions.value = (await getCollabActions()).actions
      actionsStatus.value = 'ready'
    } catch (cause) {
      actionsError.value = fail(cause)
      actionsStatus.value = 'error'
    }
  }

  // --- Guests -------------------------------------------------------------------------------------

  const filters = ref<CollabGuestFilters>(emptyCollabGuestFilters())
  const sort = ref<CollabGuestSort>('invitedAt')
  const dir = ref<SortDir>('desc')
  const offset = ref(0)
  const pageSize = COLLAB_GUESTS_PAGE_SIZE
  const guests = shallowRef<CollabGuestRow[]>([])
  const total = ref(0)
  const guestsStatus = ref<LoadStatus>('idle')
  const guestsError = shallowRef<ApiError | null>(null)
  let guestsSeq = 0

  /** Sponsors seen so far (collab owners, sponsors of listed guests), for the sponsor filter. */
  const sponsors = ref<Map<number, string>>(new Map())
  function rememberSponsor(id: number, name: string): void {
    if (sponsors.value.get(id) === name) return
    const next = new Map(sponsors.value)
    next.set(id, name)
    sponsors.value = next
  }

  const query = computed<CollabGuestQuery>(() => ({ filters: filters.value, sort: sort.value, dir: dir.value, activeDays: activeDays.value }))

  async function loadGuests(): Promise<void> {
    const mine = ++guestsSeq
    guestsStatus.value = 'loading'
    guestsError.value = null
    try {
      const data = await listCollabGuests(query.value, { offset: offset.value, limit: pageSize })
      if (mine !== guestsSeq) return
      guests.value = data.rows
      total.value = data.total
      for (const row of data.rows) if (row.sponsor.id !== null && row.sponsor.name) rememberSponsor(row.sponsor.id, row.sponsor.name)
      guestsStatus.value = 'ready'
    } catch (cause) {
      if (mine !== guestsSeq) return
      guestsError.value = fail(cause)
      guestsStatus.value = 'error'
    }
  }

  /** Change filters and go back to the first page. */
  function setFilters(patch: Partial<CollabGuestFilters>): Promise<void> {
    filters.value = { ...filters.value, ...patch }
    offset.value = 0
    return loadGuests()
  }

  function resetFilters(): Promise<void> {
    filters.value = emptyCollabGuestFilters()
    offset.value = 0
    return loadGuests()
  }

  /** Sort by a column; the same column again flips the direction. */
  function setSort(next: CollabGuestSort): Promise<void> {
    if (sort.value === next) dir.value = dir.value === 'asc' ? 'desc' : 'asc'
    else {
      sort.value = next
      // Dates read newest first; names and states A to Z.
      dir.value = next === 'invitedAt' || next === 'lastActivityAt' ? 'desc' : 'asc'
    }
    offset.value = 0
    return loadGuests()
  }

  function setPage(page: number): Promise<void> {
    offset.value = Math.max(0, (page - 1) * pageSize)
    return loadGuests()
  }

  /** Remind, remove or deactivate one guest; then the list and the counts again. Throws ApiError. */
  async function guestAction(action: CollabGuestActionKey, row: CollabGuestRow): Promise<CollabGuestActionResponse> {
    let result: CollabGuestActionResponse
    try {
      result = await runCollabGuestAction(action, row.collabId, row.userId)
    } catch (cause) {
      throw fail(cause)
    }
    // A reminder changes no state; the others move the guest to another state (or out of the list).
    if (action !== 'remind') await Promise.all([loadGuests(), loadSummary()])
    return result
  }

  // --- Inviting into a collab ---------------------------------------------------------------------

  /** The dry run of a pasted list into a collab. Throws ApiError. */
  async function checkInvite(collabId: number, people: string): Promise<GroupInviteResponse> {
    try {
      return await inviteToCollab(collabId, people)
    } catch (cause) {
      throw fail(cause)
    }
  }

  async function excludeInviteRow(collabId: number, importId: string, rowNumber: number, excluded: boolean): Promise<RowPatchResponse> {
    try {
      return await setCollabInviteRowExcluded(collabId, importId, rowNumber, excluded)
    } catch (cause) {
      throw fail(cause)
    }
  }

  /** Queue the checked list; resolves to the job to follow. Throws ApiError. */
  async function sendInvite(collabId: number, importId: string): Promise<string> {
    try {
      return (await sendCollabInvite(collabId, importId)).jobId
    } catch (cause) {
      throw fail(cause)
    }
  }

  /** After a send settled: the new guests are counted and listed. */
  function refreshAfterInvite(): Promise<void> {
    return Promise.all([loadSummary(), guestsStatus.value === 'idle' ? Promise.resolve() : loadGuests()]).then(() => undefined)
  }

  // --- Settings -----------------------------------------------------------------------------------

  const { settings, settingsStatus, settingsError, loadSettings, saveSettings } = savedSettings<CollabSettings>({
    load: getCollabSettings,
    save: saveCollabSettings,
    fail,
    // A new activeDays recounts the overview.
    afterSave: (saved, previous) => {
      if (previous && previous.activeDays !== saved.activeDays) void setActiveDays(saved.activeDays)
    },
  })

  return {
    activeDays, setActiveDays,
    summary, summaryStatus, summaryError, collabs, collabById, loadSummary,
    overviewCollabId, history, historyStatus, historyError, loadHistory, setOverviewCollab,
    syncing, syncReport, syncError, sync,
    actions, actionsStatus, actionsError, loadActions,
    filters, sort, dir, offset, pageSize, guests, total, guestsStatus, guestsError, sponsors, query,
    loadGuests, setFilters, resetFilters, setSort, setPage, guestAction,
    checkInvite, excludeInviteRow, sendInvite, refreshAfterInvite,
    settings, settingsStatus, settingsError, loadSettings, saveSettings,
  }
})
