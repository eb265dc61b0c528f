import { randomUUID } from 'node:crypto'
import type { Clock } from '../shared/clock.js'
import { AppError, errorText } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { readChained, type ChainedList } from '../portals/chained-list.js'
import { readGroupRosters } from '../portals/group-rosters.js'
import type { PortalGateway } from '../portals/portal-gateway.js'
import type { Collab, CollabPerson, CollabRole, CollabStore } from '../storage/collab-store.js'
import type { LedgerStore } from '../storage/ledger-store.js'
import type { PortalStore } from '../storage/portal-store.js'
import { countByCollab, historyDay } from './guest-state.js'
import type { CollabSettingsService } from './collab-settings.js'

/** A full pass once a day repairs what an incremental pass cannot see (an existing guest invited into another collab). */
const FULL_EVERY_MS = 24 * 60 * 60_000
/** Changes are read from a little before the last pass began, so a change racing the pass is not lost. */
const OVERLAP_MS = 5 * 60_000
/** Held for at most this long by one pass; a crashed holder's claim lapses. */
const PASS_LEASE_MS = 10 * 60_000
const GET_PER_BATCH = 50

export interface CollabSyncReport {
  mode: 'full' | 'incremental'
  /** HTTP requests to the portal. */
  requests: number
  collabs: number
  guests: number
  /** Collabs whose members were read in this pass. */
  changedCollabs: number
  durationMs: number
}

interface ApiWorkgroup {
  id?: string | number
  name?: string
  type?: string
  ownerId?: string | number
  active?: string
  numberOfMembers?: string | number
  dateUpdate?: string | null
  dateActivity?: string | null
}

interface ApiUser {
  ID?: string | number
  EMAIL?: string
  NAME?: string
  LAST_NAME?: string
  ACTIVE?: boolean | string
  USER_TYPE?: string
  LAST_LOGIN?: string
  LAST_ACTIVITY_DATE?: string
  DATE_REGISTER?: string
}

const USER_SELECT = ['ID', 'EMAIL', 'NAME', 'LAST_NAME', 'ACTIVE', 'USER_TYPE', 'LAST_LOGIN', 'LAST_ACTIVITY_DATE', 'DATE_REGISTER']

/**
 * Reads the portal's collabs, who is in or invited into each, and their guests' profiles (rest-facts §3).
 * Collabs are workgroups whose TYPE is `collab`; TYPE is not a documented filter of
 * socialnetwork.api.workgroup.list, so every workgroup is listed (ID, TYPE and the fields that show a change)
 * and the collabs are picked here.
 *
 * A full pass reads every collab's roster (workgroup.get, 50 per request) and every extranet user. An
 * incremental pass costs one request for the list of workgroups and the people changed since the last pass
 * (new IDs, TIMESTAMP_X, LAST_ACTIVITY_DATE), then reads only the rosters that can have changed: new collabs,
 * collabs whose member count or dates moved, and collabs holding a changed person. A new guest nobody here
 * invited can be in any collab, so that one case reads every roster.
 */
export function createCollabSync(deps: {
  gateway: PortalGateway
  collabs: CollabStore
  portals: PortalStore
  ledger: LedgerStore
  settings: CollabSettingsService
  clock: Clock
  log: Logger
}) {
  const { gateway, collabs: store, clock } = deps
  const owner = randomUUID()

  /** Why tracking cannot work on this portal, or null. */
  async function unavailable(memberId: string): Promise<string | null> {
    const portal = await deps.portals.get(memberId)
    if (!portal) throw new AppError('portal_not_found', 'Unknown portal', 404)
    const caps = portal.capabilities
    const missing = ['socialnetwork.api.workgroup.list', 'socialnetwork.api.workgroup.get'].filter((m) => caps[m] === false)
    return missing.length ? `The portal does not answer ${missing.join(' and ')}` : null
  }

  const workgroupList = (after: number): ChainedList<ApiWorkgroup> => ({
    method: 'socialnetwork.api.workgroup.list',
    params: (from) => ({
      filter: { '>ID': from },
      select: ['ID', 'NAME', 'TYPE', 'OWNER_ID', 'ACTIVE', 'NUMBER_OF_MEMBERS', 'DATE_UPDATE', 'DATE_ACTIVITY'],
      order: { ID: 'ASC' },
      params: { IS_ADMIN: 'Y' },
      start: -1,
    }),
    items: (r) => {
      const list = (r as { workgroups?: unknown } | null)?.workgroups
      return Array.isArray(list) ? (list as ApiWorkgroup[]) : []
    },
    idOf: (w) => Number(w.id),
    lastIdRef: (k) => `$result[${k}][workgroups][49][id]`,
    after,
  })

  const userList = (filter: Record<string, unknown>, after: number, pagesPerBatch?: number): ChainedList<ApiUser> => ({
    method: 'user.get',
    params: (from) => ({ sort: 'ID', order: 'ASC', FILTER: { ...filter, '>ID': from }, ADMIN_MODE: 'True', SELECT: USER_SELECT, start: -1 }),
    items: (r) => (Array.isArray(r) ? (r as ApiUser[]) : []),
    idOf: (u) => Number(u.ID),
    lastIdRef: (k) => `$result[${k}][49][ID]`,
    after,
    ...(pagesPerBatch ? { pagesPerBatch } : {}),
  })

  async function pass(memberId: string, full: boolean): Promise<CollabSyncReport> {
    const started = clock.now()
    const state = await store.getSyncState(memberId)
    const known = new Map((await store.collabs(memberId)).map((c) => [c.id, c]))
    const since = state.changedSince === null ? null : new Date(state.changedSince - OVERLAP_MS).toISOString()
    const reads: Record<string, ChainedList<any>> = full || since === null
      ? {
          groups: workgroupList(0),
          people: userList({ USER_TYPE: 'extranet' }, 0),
        }
      : {
          groups: { ...workgroupList(0), pagesPerBatch: Math.ceil((known.size + 1) / 50) + 1 },
          fresh: userList({ USER_TYPE: 'extranet' }, state.userCursor, 2),
          touched: userList({ USER_TYPE: 'extranet', '>TIMESTAMP_X': since }, 0, 2),
          active: userList({ USER_TYPE: 'extranet', '>LAST_ACTIVITY_DATE': since }, 0, 2),
        }
    const isFull = !('fresh' in reads)
    const { results, requests: listRequests } = await readChained(gateway, memberId, reads)
    let requests = listRequests

    const listed = (results.groups as ApiWorkgroup[]).filter((w) => w.type === 'collab').map((w) => toCollab(w, started))
    const people = new Map<number, CollabPerson>()
    for (const key of ['people', 'fresh', 'touched', 'active']) {
      for (const u of (results[key] ?? []) as ApiUser[]) {
        const p = toPerson(u, started)
        if (p) people.set(p.userId, p)
      }
    }
    const freshIds = new Set(((results.fresh ?? []) as ApiUser[]).map((u) => Number(u.ID)))

    // Rosters to read.
    let toRead: number[]
    if (isFull) {
      toRead = listed.map((c) => c.id)
    } else {
      const changed = new Set<number>()
      for (const c of listed) {
        const before = known.get(c.id)
        if (!before || before.membersCount !== c.membersCount || before.dateUpdate !== c.dateUpdate || before.dateActivity !== c.dateActivity) changed.add(c.id)
      }
      const listedIds = new Set(listed.map((c) => c.id))
      if (people.size > 0) {
        for (const m of await store.memberships(memberId)) if (people.has(m.userId) && listedIds.has(m.collabId)) changed.add(m.collabId)
      }
      // New guests: the ledger says where Invite Desk invited them; anyone else could be in any collab.
      let unplaced = false
      for (const id of freshIds) {
        const invs = await deps.ledger.findByUserId(memberId, id)
        const targets = invs.flatMap((i) => i.target.groupIds).filter((g) => listedIds.has(g))
        if (targets.length === 0) unplaced = true
        for (const g of targets) changed.add(g)
      }
      toRead = unplaced ? listed.map((c) => c.id) : [...changed]
    }

    const byCollab = new Map<number, Array<{ userId: number; role: CollabRole }>>()
    for (let i = 0; i < toRead.length; i += GET_PER_BATCH) {
      const ids = toRead.slice(i, i + GET_PER_BATCH)
      const rosters = await readGroupRosters(gateway, memberId, ids, { missingIsEmpty: true })
      requests++
      for (const id of ids) {
        const r = rosters.get(id)
        if (!r) continue
        const rows: Array<{ userId: number; role: CollabRole }> = []
        for (const u of r.members) rows.push({ userId: u, role: u === r.ownerId ? 'owner' : r.moderators.has(u) ? 'moderator' : 'member' })
        for (const u of r.invited) if (!r.members.has(u)) rows.push({ userId: u, role: 'invited' })
        byCollab.set(id, rows)
      }
    }

    // Profiles of people met in a roster but never read: an extranet user older than our cursor who joined a
    // collab, or an employee (owner, moderator), kept too so that the next pass knows them.
    if (!isFull) {
      const have = await store.people(memberId)
      const missing = [...new Set([...byCollab.values()].flat().map((m) => m.userId))].filter((u) => !have.has(u) && !people.has(u))
      if (missing.length > 0) {
        const { results: extra, requests: r } = await readChained(gateway, memberId, {
          missing: userList({ '@ID': missing.slice(0, 2_500) }, 0),
        })
        requests += r
        for (const u of extra.missing as ApiUser[]) {
          const p = toPerson(u, started)
          if (p) people.set(p.userId, p)
        }
      }
    }

    await store.upsertCollabs(memberId, listed)
    await store.removeCollabsExcept(memberId, listed.map((c) => c.id))
    await store.replaceMemberships(memberId, byCollab, started)
    await store.upsertPeople(memberId, [...people.values()])
    if (isFull) await store.prunePeople(memberId, started)
    const maxId = Math.max(state.userCursor, ...[...people.keys()])
    const finished = clock.now()
    await store.setSyncState(memberId, {
      ...(isFull ? { fullAt: finished } : {}),
      incrementalAt: finished,
      userCursor: maxId,
      changedSince: started,
      lastMode: isFull ? 'full' : 'incremental',
      lastRequests: requests,
      lastError: null,
    })
    const guests = await snapshot(memberId, finished)
    return { mode: isFull ? 'full' : 'incremental', requests, collabs: listed.length, guests, changedCollabs: byCollab.size, durationMs: finished - started }
  }

  /** Today's counts per collab and overall, for the trend chart. Returns the number of guest memberships. */
  async function snapshot(memberId: string, now: number): Promise<number> {
    const { activeDays } = await deps.settings.get(memberId)
    const [memberships, people] = await Promise.all([store.memberships(memberId), store.people(memberId)])
    const counts = countByCollab(memberships, people, now, activeDays)
    await store.saveHistory(memberId, historyDay(now), [...counts.entries()].map(([collabId, c]) => ({ collabId, ...c })))
    return counts.get(0)?.guests ?? 0
  }

  return {
    unavailable,
    /**
     * One pass for the portal, unless another instance is running one (then null). Full when asked, when never
     * done, or once a day.
     */
    async sync(memberId: string, opts: { full?: boolean } = {}): Promise<CollabSyncReport | null> {
      const reason = await unavailable(memberId)
      if (reason) throw new AppError('collabs_unavailable', reason, 409)
      const now = clock.now()
      if (!(await store.claimSync(memberId, owner, now, now + PASS_LEASE_MS))) return null
      try {
        const state = await store.getSyncState(memberId)
        const full = opts.full === true || state.fullAt === null || now - state.fullAt > FULL_EVERY_MS
        return await pass(memberId, full)
      } catch (e) {
        await store.setSyncState(memberId, { lastError: errorText(e) }).catch(() => {})
        throw e
      } finally {
        await store.releaseSync(memberId, owner).catch(() => {})
      }
    },
    /** ONUSERADD: someone registered; an incremental pass soon places them. */
    async noteUserAdded(memberId: string): Promise<void> {
      await store.markDirty(memberId)
    },
    snapshot,
  }
}

export type CollabSync = ReturnType<typeof createCollabSync>

function toCollab(w: ApiWorkgroup, at: number): Collab {
  const owner = Number(w.ownerId)
  return {
    id: Number(w.id),
    name: String(w.name ?? ''),
    ownerId: Number.isInteger(owner) && owner > 0 ? owner : null,
    active: w.active !== 'N',
    membersCount: Number(w.numberOfMembers ?? 0) || 0,
    dateUpdate: w.dateUpdate ?? null,
    dateActivity: w.dateActivity ?? null,
    syncedAt: at,
  }
}

function toPerson(u: ApiUser, at: number): CollabPerson | undefined {
  const id = Number(u.ID)
  if (!Number.isInteger(id) || id <= 0) return undefined
  return {
    userId: id,
    email: u.EMAIL ? u.EMAIL.trim().toLowerCase() : null,
    name: u.NAME || null,
    lastName: u.LAST_NAME || null,
    active: u.ACTIVE === true || u.ACTIVE === 'Y' || u.ACTIVE === 'true',
    userType: u.USER_TYPE || 'extranet',
    lastLogin: parseDate(u.LAST_LOGIN),
    lastActivity: parseDate(u.LAST_ACTIVITY_DATE),
    dateRegister: parseDate(u.DATE_REGISTER),
    syncedAt: at,
  }
}

/**
 * ISO dates (LAST_LOGIN, DATE_REGISTER) carry their offset. LAST_ACTIVITY_DATE comes as `2024-08-29 10:30:11`
 * (user-current.md) with no zone; it is read as UTC: a few hours either way do not move a count of days much.
 */
export function parseDate(v: string | undefined | null): number | null {
  if (!v) return null
  const text = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/.test(v) ? `${v.replace(' ', 'T')}Z` : v
  const ms = Date.parse(text)
  return Number.isFinite(ms) ? ms : null
}
