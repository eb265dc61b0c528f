import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { ApiError, toApiError } from '../api/http'
import { approveRequest, cancelRequest, declineRequest, getRequest, listRequests, REQUESTS_MAX_LIMIT, REQUESTS_PAGE_SIZE } from '../api/policy'
import type { InviteRequest, InviteRequestState } from '../api/types'
import type { LoadStatus } from './dashboard'
import { usePortalStore } from './portal'

/** A decision on a request (the store's single action in flight). */
export type RequestAction = 'approve' | 'decline' | 'cancel'

/** Client-side code of a decline without a reason (never sent: the server would answer 400 as well). */
export const REASON_REQUIRED = 'reason_required'

/** The longest reason or note the server takes. */
export const REQUEST_REASON_MAX = 1000

/**
 * Invite requests: the page of the list (state filter, pages by offset), one request opened in detail,
 * the decisions on it (approve with an optional note, decline with a required reason, withdraw), and
 * how many pending requests wait for the viewer (`pendingForMe`: pending rows they may decide), for the
 * navigation badge and the dashboard's notice.
 */
export const useRequestsStore = defineStore('requests', () => {
  const portal = usePortalStore()

  function fail(cause: unknown): ApiError {
    portal.noteError(cause)
    return toApiError(cause)
  }

  // --- The list -----------------------------------------------------------------------------------

  /** '' = any state. Pending first: what waits for someone. */
  const stateFilter = ref<InviteRequestState | ''>('pending')
  const offset = ref(0)
  const pageSize = REQUESTS_PAGE_SIZE
  const rows = shallowRef<InviteRequest[]>([])
  const total = ref(0)
  const status = ref<LoadStatus>('idle')
  const error = shallowRef<ApiError | null>(null)
  let listSeq = 0

  const page = computed(() => Math.floor(offset.value / pageSize) + 1)
  const pageCount = computed(() => Math.max(1, Math.ceil(total.value / pageSize)))

  /** Load the page; a newer call wins over an older one still in flight. */
  async function load(): Promise<void> {
    const mine = ++listSeq
    status.value = 'loading'
    error.value = null
    try {
      const data = await listRequests({ state: stateFilter.value, offset: offset.value, limit: pageSize })
      if (mine !== listSeq) return
      rows.value = data.rows
      total.value = data.total
      status.value = 'ready'
    } catch (cause) {
      if (mine !== listSeq) return
      error.value = fail(cause)
      status.value = 'error'
    }
  }

  /** Another state ('' = any); back to the first page. */
  function setState(next: InviteRequestState | ''): Promise<void> {
    stateFilter.value = next
    offset.value = 0
    return load()
  }

  /** 1-based page. */
  function setPage(next: number): Promise<void> {
    offset.value = Math.max(0, (Math.floor(next) - 1) * pageSize)
    return load()
  }

  // --- Waiting for the viewer ---------------------------------------------------------------------

  const pendingForMe = ref(0)
  /** More pending requests exist than one page holds: `pendingForMe` counts the first page only. */
  const pendingMore = ref(false)
  const pendingStatus = ref<LoadStatus>('idle')
  let pendingInflight: Promise<void> | null = null
  let pendingSeq = 0

  /** Count the pending requests the viewer may decide (once; `force` counts again). Never throws. */
  function loadPending(force = false): Promise<void> {
    if (!force && pendingStatus.value === 'ready') return Promise.resolve()
    if (pendingInflight && !force) return pendingInflight
    const mine = ++pendingSeq
    const run = (async () => {
      if (pendingStatus.value !== 'ready') pendingStatus.value = 'loading'
      try {
        const data = await listRequests({ state: 'pending', offset: 0, limit: REQUESTS_MAX_LIMIT })
        if (mine !== pendingSeq) return
        pendingForMe.value = data.rows.filter(row => row.state === 'pending' && row.canDecide).length
        pendingMore.value = data.total > data.rows.length
        pendingStatus.value = 'ready'
      } catch (cause) {
        if (mine !== pendingSeq) return
        // Only a badge: a failure leaves the last count (the Requests page shows its own errors).
        fail(cause)
        if (pendingStatus.value !== 'ready') pendingStatus.value = 'error'
      }
    })().finally(() => {
      if (pendingInflight === run) pendingInflight = null
    })
    pendingInflight = run
    return run
  }

  // --- One request --------------------------------------------------------------------------------

  const selectedId = ref<string | null>(null)
  const selected = shallowRef<InviteRequest | null>(null)
  const detailStatus = ref<LoadStatus>('idle')
  const detailError = shallowRef<ApiError | null>(null)
  let detailSeq = 0

  /** Open a request: at once from its row (when given or listed), then read again from the server. */
  async function open(request: InviteRequest | string): Promise<void> {
    const requestId = typeof request === 'string' ? request : request.id
    const mine = ++detailSeq
    selectedId.value = requestId
    selected.value = typeof request === 'string' ? (rows.value.find(row => row.id === requestId) ?? null) : request
    detailStatus.value = 'loading'
    detailError.value = null
    try {
      const fresh = (await getRequest(requestId)).request
      if (mine !== detailSeq) return
      replace(fresh)
      detailStatus.value = 'ready'
    } catch (cause) {
      if (mine !== detailSeq) return
      detailError.value = fail(cause)
      detailStatus.value = 'error'
    }
  }

  function close(): void {
    detailSeq++
    selectedId.value = null
    selected.value = null
    detailStatus.value = 'idle'
    detailError.value = null
  }

  /** A fresh copy of a request: the row, the opened one and the count of what waits for the viewer follow it. */
  function replace(fresh: InviteRequest): void {
    const before = rows.value.find(row => row.id === fresh.id) ?? (selected.value?.id === fresh.id ? selected.value : null)
    if (rows.value.some(row => row.id === fresh.id)) rows.value = rows.value.map(row => (row.id === fresh.id ? fresh : row))
    if (selectedId.value === fresh.id) selected.value = fresh
    const waited = !!before && before.state === 'pending' && before.canDecide
    const waits = fresh.state === 'pending' && fresh.canDecide
    if (pendingStatus.value === 'ready' && before && waited !== waits) pendingForMe.value = Math.max(0, pendingForMe.value + (waits ? 1 : -1))
  }

  // --- Decisions ----------------------------------------------------------------------------------

  const acting = ref<{ id: string; action: RequestAction } | null>(null)

  async function decide(requestId: string, action: RequestAction, call: () => Promise<{ request: InviteRequest }>): Promise<InviteRequest> {
    if (acting.value) throw new ApiError(0, 'busy', 'Another decision is on its way')
    acting.value = { id: requestId, action }
    try {
      const { request } = await call()
      replace(request)
      return request
    } catch (cause) {
      const error = fail(cause)
      // Decided meanwhile (by another approver, or withdrawn): show what it is now.
      if (error.code === 'request_decided') {
        void getRequest(requestId).then(({ request }) => replace(request), () => undefined)
        void loadPending(true)
      }
      throw error
    } finally {
      acting.value = null
    }
  }

  /** Approve (the viewer may decide); an optional note. Throws ApiError (403 forbidden, 409 request_decided). */
  function approve(requestId: string, note?: string): Promise<InviteRequest> {
    return decide(requestId, 'approve', () => approveRequest(requestId, note))
  }

  /** Decline with a reason: an empty one is refused here (ApiError `reason_required`) and nothing is sent. */
  function decline(requestId: string, reason: string): Promise<InviteRequest> {
    if (!reason.trim()) return Promise.reject(new ApiError(0, REASON_REQUIRED, 'Say why the request is declined'))
    return decide(requestId, 'decline', () => declineRequest(requestId, reason))
  }

  /** Withdraw one's own pending request. */
  function cancel(requestId: string): Promise<InviteRequest> {
    return decide(requestId, 'cancel', () => cancelRequest(requestId))
  }

  return {
    stateFilter, offset, pageSize, rows, total, status, error, page, pageCount, load, setState, setPage,
    pendingForMe, pendingMore, pendingStatus, loadPending,
    selectedId, selected, detailStatus, detailError, open, close,
    acting, approve, decline, cancel,
  }
})
