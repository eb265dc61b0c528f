import type { CallParams, PortalGateway } from '../portals/portal-gateway.js'
import type { DirectoryStore, DirectoryUser } from '../storage/directory-store.js'
import { normalizePhone } from './import/index.js'

const PAGE = 50
const PAGES_PER_BATCH = 50
/** A full pass refreshes states that changed (dismissed, accepted); new users come in between by ID. */
export const FULL_SYNC_EVERY_MS = 12 * 60 * 60 * 1000

interface ApiUser {
  ID?: string | number
  EMAIL?: string
  NAME?: string
  LAST_NAME?: string
  ACTIVE?: boolean | string
  USER_TYPE?: string
  LAST_LOGIN?: string
  UF_DEPARTMENT?: Array<string | number> | string | number | null
  PERSONAL_MOBILE?: string
  WORK_PHONE?: string
  PERSONAL_PHONE?: string
}

export interface SyncReport {
  mode: 'full' | 'incremental'
  users: number
  requests: number
}

/**
 * Keeps the local directory cache fresh enough for a dry run without asking the portal once per row.
 * Users are read 2,500 at a time: one batch of 50 chained user.get pages, each page continuing after the
 * last ID of the previous one through a `$result[...]` reference (batch.md), with `start: -1` so the portal
 * skips counting (huge-data.md). A 20,000-user portal costs 8 requests; an incremental pass costs 1.
 */
export function createDirectorySync(deps: { gateway: PortalGateway; directory: DirectoryStore; now?: () => number }) {
  const { gateway, directory } = deps
  const now = deps.now ?? Date.now

  /** Stores each batch's users as it comes, so a 20,000-user portal is never held in memory at once. */
  async function readUsersAfter(memberId: string, afterId: number): Promise<{ users: number; requests: number }> {
    let users = 0
    let requests = 0
    let cursor = afterId
    for (;;) {
      const calls: Record<string, [string, CallParams]> = {}
      for (let p = 0; p < PAGES_PER_BATCH; p++) {
        const after = p === 0 ? cursor : `$result[p${p - 1}][${PAGE - 1}][ID]`
        calls[`p${p}`] = ['user.get', { sort: 'ID', order: 'ASC', FILTER: { '>ID': after }, ADMIN_MODE: 'True', start: -1 }]
      }
      const out = await gateway.batch(memberId, calls)
      requests++
      let done = false
      const batch: DirectoryUser[] = []
      for (let p = 0; p < PAGES_PER_BATCH && !done; p++) {
        const o = out[`p${p}`]
        if (!o || !o.ok) throw new Error(`user.get failed while syncing the directory: ${o && !o.ok ? o.code : 'no answer'}`)
        const page = Array.isArray(o.result) ? (o.result as ApiUser[]) : []
        for (const u of page) {
          const d = toDirectoryUser(u, now())
          if (d && d.id > cursor) batch.push(d)
        }
        const last = page.at(-1)
        if (page.length < PAGE || !last) done = true
        else cursor = Number(last.ID)
      }
      await directory.upsertUsers(memberId, batch)
      users += batch.length
      if (done) break
    }
    return { users, requests }
  }

  async function syncStructure(memberId: string): Promise<number> {
    const out = await gateway.batch(memberId, {
      deps: ['department.get', { sort: 'ID', order: 'ASC' }],
      groups: ['sonet_group.get', { ORDER: { ID: 'ASC' }, IS_ADMIN: 'Y' }],
    })
    let requests = 1
    const departments = await collectPaged(out.deps, (start) => gateway.batch(memberId, { p: ['department.get', { sort: 'ID', order: 'ASC', START: start }] }).then((r) => { requests++; return r.p }))
    const groups = await collectPaged(out.groups, (start) => gateway.batch(memberId, { p: ['sonet_group.get', { ORDER: { ID: 'ASC' }, IS_ADMIN: 'Y', start }] }).then((r) => { requests++; return r.p }))
    await directory.replaceDepartments(memberId, departments.map((d: any) => ({ id: Number(d.ID), name: String(d.NAME ?? ''), parentId: d.PARENT ? Number(d.PARENT) : null, headId: Number(d.UF_HEAD) > 0 ? Number(d.UF_HEAD) : null })))
    await directory.replaceGroups(memberId, groups.map((g: any) => ({
      id: Number(g.ID), name: String(g.NAME ?? ''), isExtranet: g.IS_EXTRANET === 'Y' || g.IS_EXTRANET === true,
      type: typeof g.TYPE === 'string' ? g.TYPE : null, ownerId: g.OWNER_ID ? Number(g.OWNER_ID) : null, active: g.ACTIVE !== 'N', visible: g.VISIBLE !== 'N' && g.VISIBLE !== false,
    })))
    return requests
  }

  return {
    /** Full when never done or stale, otherwise only users added since the newest one we know. */
    async sync(memberId: string, opts: { forceFull?: boolean } = {}): Promise<SyncReport> {
      const state = await directory.getSyncState(memberId)
      const full = opts.forceFull || !state.fullSyncAt || now() - state.fullSyncAt > FULL_SYNC_EVERY_MS
      const afterId = full ? 0 : await directory.maxUserId(memberId)
      const { users, requests } = await readUsersAfter(memberId, afterId)
      const structureRequests = await syncStructure(memberId)
      const at = now()
      await directory.setSyncState(memberId, full ? { usersSyncedAt: at, fullSyncAt: at, structureSyncedAt: at } : { usersSyncedAt: at, structureSyncedAt: at })
      return { mode: full ? 'full' : 'incremental', users, requests: requests + structureRequests }
    },
    /** ONUSERADD: the event's data is enough to add the person to the cache without a REST call. */
    async noteUserAdded(memberId: string, data: Record<string, unknown>): Promise<void> {
      const d = toDirectoryUser({ ...(data as ApiUser), LAST_LOGIN: new Date(now()).toISOString(), ACTIVE: true }, now())
      if (d) await directory.upsertUsers(memberId, [d])
    },
  }
}

export type DirectorySync = ReturnType<typeof createDirectorySync>

async function collectPaged(first: { ok: boolean; result?: unknown } | undefined, more: (start: number) => Promise<{ ok: boolean; result?: unknown } | undefined>): Promise<unknown[]> {
  const all: unknown[] = []
  let page = first
  let start = 0
  for (let guard = 0; guard < 200; guard++) {
    if (!page || !page.ok || !Array.isArray(page.result)) break
    all.push(...page.result)
    if (page.result.length < PAGE) break
    start += PAGE
    page = await more(start)
  }
  return all
}

function toDirectoryUser(u: ApiUser, syncedAt: number): DirectoryUser | undefined {
  const id = Number(u.ID)
  if (!Number.isInteger(id) || id <= 0) return undefined
  const active = u.ACTIVE === true || u.ACTIVE === 'Y' || u.ACTIVE === 'true'
  const lastLogin = u.LAST_LOGIN ? Date.parse(u.LAST_LOGIN) : NaN
  const deps = Array.isArray(u.UF_DEPARTMENT) ? u.UF_DEPARTMENT : u.UF_DEPARTMENT ? [u.UF_DEPARTMENT] : []
  const phone = [u.PERSONAL_MOBILE, u.WORK_PHONE, u.PERSONAL_PHONE].find((p) => typeof p === 'string' && p.trim())
  return {
    id,
    email: u.EMAIL ? u.EMAIL.trim().toLowerCase() : null,
    phone: phoneKey(phone),
    name: u.NAME || null,
    lastName: u.LAST_NAME || null,
    active,
    userType: u.USER_TYPE || 'employee',
    lastLogin: Number.isFinite(lastLogin) ? lastLogin : null,
    invited: active && !Number.isFinite(lastLogin),
    departments: deps.map(Number).filter((n) => Number.isInteger(n)),
    syncedAt,
  }
}


/** Phones are keyed the way import rows are normalised, so the two compare equal. */
function phoneKey(raw: string | undefined): string | null {
  if (!raw) return null
  const r = normalizePhone(raw)
  return r.ok ? r.value : null
}
