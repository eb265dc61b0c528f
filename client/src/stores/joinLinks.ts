import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { toApiError, type ApiError } from '../api/http'
import {
  createJoinLink,
  getJoinLink,
  JOIN_LINKS_PAGE_SIZE,
  JOINS_PAGE_SIZE,
  listJoinLinks,
  listJoins,
  runJoinLinkAction,
  updateJoinLink,
  type JoinLinkQuery,
} from '../api/joinLinks'
import type { JoinLinkAction, JoinLinkFilters, JoinLinkInput, JoinLinkView, JoinView } from '../api/types'
import type { LoadStatus } from './dashboard'
import { usePortalStore } from './portal'

export function emptyJoinLinkFilters(): JoinLinkFilters {
  return { status: '', q: '' }
}

/** What is being done to a link right now (one thing at a time per link). */
export type JoinLinkBusy = JoinLinkAction | 'update'

/**
 * Join links: the list (status filter, search and pages from the server; `canCreate` from its answer),
 * one link opened with its joins (paged), and creating, editing, pausing, resuming and revoking. Every
 * answer that carries a link updates it wherever it is shown (its row, the opened link).
 */
export const useJoinLinksStore = defineStore('joinLinks', () => {
  const portal = usePortalStore()

  function fail(cause: unknown): ApiError {
    portal.noteError(cause)
    return toApiError(cause)
  }

  // --- The list -----------------------------------------------------------------------------------

  const filters = ref<JoinLinkFilters>(emptyJoinLinkFilters())
  const offset = ref(0)
  const pageSize = JOIN_LINKS_PAGE_SIZE
  const rows = shallowRef<JoinLinkView[]>([])
  const total = ref(0)
  /** Null until the first answer: the create button waits for it. */
  const canCreate = ref<boolean | null>(null)
  const listStatus = ref<LoadStatus>('idle')
  const listError = shallowRef<ApiError | null>(null)
  let listSeq = 0

  const query = computed<JoinLinkQuery>(() => ({ ...filters.value, offset: offset.value, limit: pageSize }))
  const page = computed(() => Math.floor(offset.value / pageSize) + 1)
  const pageCount = computed(() => Math.max(1, Math.ceil(total.value / pageSize)))
  const hasFilters = computed(() => !!(filters.value.status || filters.value.q.trim()))

  /** Load the current page; a newer call wins over an older one still in flight. */
  async function loadList(): Promise<void> {
    const mine = ++listSeq
    listStatus.value = 'loading'
    listError.value = null
    try {
      const data = await listJoinLinks(query.value)
      if (mine !== listSeq) return
      rows.value = data.rows
      total.value = data.total
      canCreate.value = data.canCreate
      listStatus.value = 'ready'
    } catch (cause) {
      if (mine !== listSeq) return
      listError.value = fail(cause)
      listStatus.value = 'error'
    }
  }

  /** Change filters and go back to the first page. */
  function setFilters(patch: Partial<JoinLinkFilters>): Promise<void> {
    filters.value = { ...filters.value, ...patch }
    offset.value = 0
    return loadList()
  }

  function resetFilters(): Promise<void> {
    filters.value = emptyJoinLinkFilters()
    offset.value = 0
    return loadList()
  }

  /** 1-based page. */
  function setPage(next: number): Promise<void> {
    offset.value = Math.max(0, (Math.floor(next) - 1) * pageSize)
    return loadList()
  }

  // --- One link -----------------------------------------------------------------------------------

  const linkId = ref<string | null>(null)
  const link = shallowRef<JoinLinkView | null>(null)
  const linkStatus = ref<LoadStatus>('idle')
  const linkError = shallowRef<ApiError | null>(null)
  let linkSeq = 0

  /** Open a link: shown at once from its row when the list has it, then read again from the server. */
  async function openLink(id: string): Promise<void> {
    const mine = ++linkSeq
    if (linkId.value !== id) {
      linkId.value = id
      link.value = rows.value.find(row => row.id === id) ?? null
      resetJoins()
    }
    linkStatus.value = 'loading'
    linkError.value = null
    try {
      const fresh = await getJoinLink(id)
      if (mine !== linkSeq) return
      apply(fresh)
      linkStatus.value = 'ready'
    } catch (cause) {
      if (mine !== linkSeq) return
      linkError.value = fail(cause)
      linkStatus.value = 'error'
    }
  }

  function closeLink(): void {
    linkSeq++
    joinsSeq++
    linkId.value = null
    link.value = null
    linkStatus.value = 'idle'
    linkError.value = null
    resetJoins()
  }

  /** A link the server answered with: its row and the opened link follow. */
  function apply(fresh: JoinLinkView): void {
    if (rows.value.some(row => row.id === fresh.id)) rows.value = rows.value.map(row => (row.id === fresh.id ? fresh : row))
    if (linkId.value === fresh.id) link.value = fresh
  }

  // --- Joins of the opened link -------------------------------------------------------------------

  const joins = shallowRef<JoinView[]>([])
  const joinsTotal = ref(0)
  const joinsOffset = ref(0)
  const joinsPageSize = JOINS_PAGE_SIZE
  const joinsStatus = ref<LoadStatus>('idle')
  const joinsError = shallowRef<ApiError | null>(null)
  let joinsSeq = 0

  function resetJoins(): void {
    joins.value = []
    joinsTotal.value = 0
    joinsOffset.value = 0
    joinsStatus.value = 'idle'
    joinsError.value = null
  }

  async function loadJoins(): Promise<void> {
    const id = linkId.value
    if (!id) return
    const mine = ++joinsSeq
    joinsStatus.value = 'loading'
    joinsError.value = null
    try {
      const data = await listJoins(id, { offset: joinsOffset.value, limit: joinsPageSize })
      if (mine !== joinsSeq || id !== linkId.value) return
      joins.value = data.rows
      joinsTotal.value = data.total
      joinsStatus.value = 'ready'
    } catch (cause) {
      if (mine !== joinsSeq) return
      joinsError.value = fail(cause)
      joinsStatus.value = 'error'
    }
  }

  /** 1-based page of the joins. */
  function setJoinsPage(next: number): Promise<void> {
    joinsOffset.value = Math.max(0, (Math.floor(next) - 1) * joinsPageSize)
    return loadJoins()
  }

  // --- Changes ------------------------------------------------------------------------------------

  const creating = ref(false)
  const busy = ref<{ id: string; action: JoinLinkBusy } | null>(null)

  /** POST; the list is read again when shown (the new link's place depends on the server's order). Throws ApiError. */
  async function create(input: JoinLinkInput): Promise<JoinLinkView> {
    creating.value = true
    try {
      const created = await createJoinLink(input)
      canCreate.value = true
      if (listStatus.value !== 'idle') void loadList()
      return created
    } catch (cause) {
      throw fail(cause)
    } finally {
      creating.value = false
    }
  }

  async function change(id: string, action: JoinLinkBusy, call: () => Promise<JoinLinkView>): Promise<JoinLinkView> {
    if (busy.value) throw toApiError(new Error('Another change of a join link is in progress'))
    busy.value = { id, action }
    try {
      const fresh = await call()
      apply(fresh)
      return fresh
    } catch (cause) {
      throw fail(cause)
    } finally {
      busy.value = null
    }
  }

  /** PATCH with the changed fields. Throws ApiError (400 with field details, 409 join_link_revoked). */
  function update(id: string, patch: Partial<JoinLinkInput>): Promise<JoinLinkView> {
    return change(id, 'update', () => updateJoinLink(id, patch))
  }

  function pause(id: string): Promise<JoinLinkView> {
    return change(id, 'pause', () => runJoinLinkAction(id, 'pause'))
  }

  function resume(id: string): Promise<JoinLinkView> {
    return change(id, 'resume', () => runJoinLinkAction(id, 'resume'))
  }

  /** Final: a revoked link never works again. */
  function revoke(id: string): Promise<JoinLinkView> {
    return change(id, 'revoke', () => runJoinLinkAction(id, 'revoke'))
  }

  return {
    filters, offset, pageSize, rows, total, canCreate, listStatus, listError, query, page, pageCount, hasFilters,
    loadList, setFilters, resetFilters, setPage,
    linkId, link, linkStatus, linkError, openLink, closeLink,
    joins, joinsTotal, joinsOffset, joinsPageSize, joinsStatus, joinsError, loadJoins, setJoinsPage,
    creating, busy, create, update, pause, resume, revoke,
  }
})
