import type { Insertable, Selectable } from 'kysely'
import { chunked, IN_LIST_CHUNK, rowsPerInsert } from './batch.js'
import type { AppDatabase } from './database.js'
import { parseJsonObject, toJsonText } from './json-column.js'
import type { CollabHistoryTable, CollabMembershipsTable, CollabPeopleTable, CollabsTable, CollabSyncTable } from './schema.js'

/** A collab as the sync last read it from socialnetwork.api.workgroup.list. */
export interface Collab {
  id: number
  name: string
  ownerId: number | null
  active: boolean
  membersCount: number
  dateUpdate: string | null
  dateActivity: string | null
  syncedAt: number
}

export type CollabRole = CollabMembershipsTable['role']

export interface CollabMembership {
  collabId: number
  userId: number
  role: CollabRole
  firstSeenAt: number
  joinedAt: number | null
}

/** A guest's profile from user.get. */
export interface CollabPerson {
  userId: number
  email: string | null
  name: string | null
  lastName: string | null
  active: boolean
  userType: string
  lastLogin: number | null
  lastActivity: number | null
  dateRegister: number | null
  syncedAt: number
}

export interface CollabSyncState {
  fullAt: number | null
  incrementalAt: number | null
  userCursor: number
  changedSince: number | null
  lastMode: 'full' | 'incremental' | null
  lastRequests: number | null
  lastError: string | null
  dirty: boolean
  running: boolean
}

export interface CollabCounts {
  guests: number
  invited: number
  active: number
  inactive: number
  deactivated: number
}

export interface CollabHistoryPoint extends CollabCounts {
  day: string
}

export interface CollabStore {
  /** Upserts the collabs given (by id). */
  upsertCollabs(memberId: string, collabs: Collab[]): Promise<void>
  /** Deletes collabs (and their memberships) that are not in `keep`: gone from the portal or no longer collabs. */
  removeCollabsExcept(memberId: string, keep: number[]): Promise<number[]>
  collabs(memberId: string): Promise<Collab[]>
  /**
   * Replaces each listed collab's memberships with what the portal holds now, in one transaction. A relation
   * seen before keeps its firstSeenAt; joinedAt is set the first time it is seen as a member.
   */
  replaceMemberships(memberId: string, byCollab: Map<number, Array<{ userId: number; role: CollabRole }>>, at: number): Promise<void>
  /** Drops one relation from our copy (after the portal removed it). */
  removeMembership(memberId: string, collabId: number, userId: number): Promise<void>
  /** Every membership of the portal, or those of the given collabs. */
  memberships(memberId: string, collabIds?: number[]): Promise<CollabMembership[]>
  /** Batch upsert of profiles by user id. */
  upsertPeople(memberId: string, people: CollabPerson[]): Promise<void>
  /** Deletes extranet profiles not refreshed since `before` (a full pass read every extranet user; employees stay). */
  prunePeople(memberId: string, before: number): Promise<void>
  /** Keyed by user id; all of the portal's when ids is omitted. */
  people(memberId: string, ids?: number[]): Promise<Map<number, CollabPerson>>
  getSyncState(memberId: string): Promise<CollabSyncState>
  /** Sets the fields given. */
  setSyncState(memberId: string, patch: Partial<Omit<CollabSyncState, 'running' | 'dirty'>>): Promise<void>
  /** Marks the portal for an early incremental pass (an ONUSERADD came in). */
  markDirty(memberId: string): Promise<void>
  /** Installed portals with a pending mark, never synced, or whose last pass is older than `before`. */
  dueForSync(before: number, limit: number): Promise<string[]>
  /**
   * One pass per portal across instances: true if `owner` now holds the portal until `until` (free, expired
   * or already its own). Taking it clears the dirty mark; a mark that arrives during the pass stays.
   */
  claimSync(memberId: string, owner: string, now: number, until: number): Promise<boolean>
  releaseSync(memberId: string, owner: string): Promise<void>
  /** Upserts one day's counts per collab (collabId 0 = every collab). */
  saveHistory(memberId: string, day: string, rows: Array<CollabCounts & { collabId: number }>): Promise<void>
  /** Oldest first, days ≥ fromDay. */
  history(memberId: string, collabId: number, fromDay: string): Promise<CollabHistoryPoint[]>
  /** The portal's stored settings object, or undefined. */
  getSettings(memberId: string): Promise<Record<string, unknown> | undefined>
  saveSettings(memberId: string, settings: Record<string, unknown>, at: number): Promise<void>
  /** Compare-and-set: true for the first caller on `day` (one digest per portal per day across instances). */
  claimDigest(memberId: string, day: string, at: number): Promise<boolean>
  /** Portals that hold any collab. */
  membersWithCollabs(limit: number): Promise<string[]>
}

const MEMBERSHIP_COLUMNS = 6
const PEOPLE_COLUMNS = 11
const COLLAB_COLUMNS = 9

export function createCollabStore(app: AppDatabase, clock: () => number = Date.now): CollabStore {
  const { db, dialect } = app

  const toCollab = (r: Selectable<CollabsTable>): Collab => ({
    id: Number(r.collab_id),
    name: r.name,
    ownerId: r.owner_id === null ? null : Number(r.owner_id),
    active: r.active === 1,
    membersCount: r.members_count,
    dateUpdate: r.date_update,
    dateActivity: r.date_activity,
    syncedAt: Number(r.synced_at),
  })
  const toMembership = (r: Selectable<CollabMembershipsTable>): CollabMembership => ({
    collabId: Number(r.collab_id),
    userId: Number(r.user_id),
    role: r.role,
    firstSeenAt: Number(r.first_seen_at),
    joinedAt: r.joined_at === null ? null : Number(r.joined_at),
  })
  const num = (v: number | string | null): number | null => (v === null ? null : Number(v))
  const toPerson = (r: Selectable<CollabPeopleTable>): CollabPerson => ({
    userId: Number(r.user_id),
    email: r.email,
    name: r.name,
    lastName: r.last_name,
    active: r.active === 1,
    userType: r.user_type,
    lastLogin: num(r.last_login),
    lastActivity: num(r.last_activity),
    dateRegister: num(r.date_register),
    syncedAt: Number(r.synced_at),
  })
  const toSync = (r: Selectable<CollabSyncTable> | undefined, now = clock()): CollabSyncState => ({
    fullAt: num(r?.full_at ?? null),
    incrementalAt: num(r?.incremental_at ?? null),
    userCursor: Number(r?.user_cursor ?? 0),
    changedSince: num(r?.changed_since ?? null),
    lastMode: r?.last_mode ?? null,
    lastRequests: r?.last_requests ?? null,
    lastError: r?.last_error ?? null,
    dirty: r?.dirty === 1,
    running: r?.running_until != null && Number(r.running_until) > now,
  })

  async function ensureSyncRow(memberId: string): Promise<void> {
    await db.insertInto('collab_sync').values({ member_id: memberId, user_cursor: 0, dirty: 0 }).onConflict((oc) => oc.column('member_id').doNothing()).execute()
  }

  return {
    async upsertCollabs(memberId, collabs) {
      if (collabs.length === 0) return
      const rows: Insertable<CollabsTable>[] = [...new Map(collabs.map((c) => [c.id, c])).values()].map((c) => ({
        member_id: memberId, collab_id: c.id, name: c.name, owner_id: c.ownerId, active: c.active ? 1 : 0, members_count: c.membersCount,
        date_update: c.dateUpdate, date_activity: c.dateActivity, synced_at: c.syncedAt,
      }))
      await db.transaction().execute(async (trx) => {
        for (const chunk of chunked(rows, rowsPerInsert(dialect, COLLAB_COLUMNS))) {
          await trx.insertInto('collabs').values(chunk).onConflict((oc) => oc.columns(['member_id', 'collab_id']).doUpdateSet((eb) => ({
            name: eb.ref('excluded.name'), owner_id: eb.ref('excluded.owner_id'), active: eb.ref('excluded.active'),
            members_count: eb.ref('excluded.members_count'), date_update: eb.ref('excluded.date_update'),
            date_activity: eb.ref('excluded.date_activity'), synced_at: eb.ref('excluded.synced_at'),
          }))).execute()
        }
      })
    },

    async removeCollabsExcept(memberId, keep) {
      const keepSet = new Set(keep)
      const existing = await db.selectFrom('collabs').select('collab_id').where('member_id', '=', memberId).execute()
      const gone = existing.map((r) => Number(r.collab_id)).filter((id) => !keepSet.has(id))
      if (gone.length === 0) return []
      await db.transaction().execute(async (trx) => {
        for (const chunk of chunked(gone, IN_LIST_CHUNK)) {
          await trx.deleteFrom('collab_memberships').where('member_id', '=', memberId).where('collab_id', 'in', chunk).execute()
          await trx.deleteFrom('collabs').where('member_id', '=', memberId).where('collab_id', 'in', chunk).execute()
        }
      })
      return gone
    },

    async collabs(memberId) {
      const rows = await db.selectFrom('collabs').selectAll().where('member_id', '=', memberId).orderBy('collab_id').execute()
      return rows.map(toCollab)
    },

    async replaceMemberships(memberId, byCollab, at) {
      if (byCollab.size === 0) return
      await db.transaction().execute(async (trx) => {
        for (const [collabId, list] of byCollab) {
          const before = await trx.selectFrom('collab_memberships').selectAll()
            .where('member_id', '=', memberId).where('collab_id', '=', collabId).execute()
          const prev = new Map(before.map((r) => [Number(r.user_id), toMembership(r)]))
          await trx.deleteFrom('collab_memberships').where('member_id', '=', memberId).where('collab_id', '=', collabId).execute()
          const rows: Insertable<CollabMembershipsTable>[] = [...new Map(list.map((m) => [m.userId, m])).values()].map((m) => {
            const old = prev.get(m.userId)
            // Seen turning from invited into a member: that pass is when they joined. A first sighting as a
            // member says nothing about when they joined, so it stays unknown.
            const joinedAt = m.role === 'invited' ? null : old?.joinedAt ?? (old?.role === 'invited' ? at : null)
            return { member_id: memberId, collab_id: collabId, user_id: m.userId, role: m.role, first_seen_at: old?.firstSeenAt ?? at, joined_at: joinedAt }
          })
          // An upsert, not a plain insert: a pass overlapping another instance's (a lapsed lease) must not fail.
          for (const chunk of chunked(rows, rowsPerInsert(dialect, MEMBERSHIP_COLUMNS))) {
            await trx.insertInto('collab_memberships').values(chunk).onConflict((oc) => oc.columns(['member_id', 'collab_id', 'user_id']).doUpdateSet((eb) => ({
              role: eb.ref('excluded.role'), first_seen_at: eb.ref('excluded.first_seen_at'), joined_at: eb.ref('excluded.joined_at'),
            }))).execute()
          }
        }
      })
    },

    async removeMembership(memberId, collabId, userId) {
      await db.deleteFrom('collab_memberships').where('member_id', '=', memberId).where('collab_id', '=', collabId).where('user_id', '=', userId).execute()
    },

    async memberships(memberId, collabIds) {
      if (collabIds === undefined) {
        const rows = await db.selectFrom('collab_memberships').selectAll().where('member_id', '=', memberId).execute()
        return rows.map(toMembership)
      }
      const out: CollabMembership[] = []
      for (const chunk of chunked([...new Set(collabIds)], IN_LIST_CHUNK)) {
        const rows = await db.selectFrom('collab_memberships').selectAll().where('member_id', '=', memberId).where('collab_id', 'in', chunk).execute()
        out.push(...rows.map(toMembership))
      }
      return out
    },

    async upsertPeople(memberId, people) {
      if (people.length === 0) return
      const rows: Insertable<CollabPeopleTable>[] = [...new Map(people.map((p) => [p.userId, p])).values()].map((p) => ({
        member_id: memberId, user_id: p.userId, email: p.email?.trim().toLowerCase() || null, name: p.name, last_name: p.lastName,
        active: p.active ? 1 : 0, user_type: p.userType, last_login: p.lastLogin, last_activity: p.lastActivity,
        date_register: p.dateRegister, synced_at: p.syncedAt,
      }))
      await db.transaction().execute(async (trx) => {
        for (const chunk of chunked(rows, rowsPerInsert(dialect, PEOPLE_COLUMNS))) {
          await trx.insertInto('collab_people').values(chunk).onConflict((oc) => oc.columns(['member_id', 'user_id']).doUpdateSet((eb) => ({
            email: eb.ref('excluded.email'), name: eb.ref('excluded.name'), last_name: eb.ref('excluded.last_name'),
            active: eb.ref('excluded.active'), user_type: eb.ref('excluded.user_type'), last_login: eb.ref('excluded.last_login'),
            last_activity: eb.ref('excluded.last_activity'), date_register: eb.ref('excluded.date_register'), synced_at: eb.ref('excluded.synced_at'),
          }))).execute()
        }
      })
    },

    async prunePeople(memberId, before) {
      await db.deleteFrom('collab_people').where('member_id', '=', memberId).where('user_type', '=', 'extranet').where('synced_at', '<', before).execute()
    },

    async people(memberId, ids) {
      const out = new Map<number, CollabPerson>()
      if (ids === undefined) {
        const rows = await db.selectFrom('collab_people').selectAll().where('member_id', '=', memberId).execute()
        for (const r of rows) out.set(Number(r.user_id), toPerson(r))
        return out
      }
      for (const chunk of chunked([...new Set(ids)], IN_LIST_CHUNK)) {
        const rows = await db.selectFrom('collab_people').selectAll().where('member_id', '=', memberId).where('user_id', 'in', chunk).execute()
        for (const r of rows) out.set(Number(r.user_id), toPerson(r))
      }
      return out
    },

    async getSyncState(memberId) {
      return toSync(await db.selectFrom('collab_sync').selectAll().where('member_id', '=', memberId).executeTakeFirst())
    },

    async setSyncState(memberId, patch) {
      await ensureSyncRow(memberId)
      const set: Partial<Selectable<CollabSyncTable>> = {}
      if (patch.fullAt !== undefined) set.full_at = patch.fullAt
      if (patch.incrementalAt !== undefined) set.incremental_at = patch.incrementalAt
      if (patch.userCursor !== undefined) set.user_cursor = patch.userCursor
      if (patch.changedSince !== undefined) set.changed_since = patch.changedSince
      if (patch.lastMode !== undefined) set.last_mode = patch.lastMode
      if (patch.lastRequests !== undefined) set.last_requests = patch.lastRequests
      if (patch.lastError !== undefined) set.last_error = patch.lastError
      if (Object.keys(set).length === 0) return
      await db.updateTable('collab_sync').set(set).where('member_id', '=', memberId).execute()
    },

    async markDirty(memberId) {
      await ensureSyncRow(memberId)
      await db.updateTable('collab_sync').set({ dirty: 1 }).where('member_id', '=', memberId).execute()
    },

    async dueForSync(before, limit) {
      // Installed portals never synced have no row yet: the left join finds them too.
      const rows = await db.selectFrom('portals as p').leftJoin('collab_sync as s', 's.member_id', 'p.member_id').select('p.member_id')
        .where('p.status', '=', 'installed')
        .where((eb) => eb.or([eb('s.member_id', 'is', null), eb('s.dirty', '=', 1), eb('s.incremental_at', 'is', null), eb('s.incremental_at', '<', before)]))
        .orderBy('p.member_id').limit(limit).execute()
      return rows.map((r) => r.member_id)
    },

    async claimSync(memberId, owner, now, until) {
      await ensureSyncRow(memberId)
      const r = await db.updateTable('collab_sync').set({ running_owner: owner, running_until: until, dirty: 0 })
        .where('member_id', '=', memberId)
        .where((eb) => eb.or([eb('running_until', 'is', null), eb('running_until', '<=', now), eb('running_owner', '=', owner)]))
        .executeTakeFirst()
      return Number(r.numUpdatedRows) === 1
    },

    async releaseSync(memberId, owner) {
      await db.updateTable('collab_sync').set({ running_owner: null, running_until: null })
        .where('member_id', '=', memberId).where('running_owner', '=', owner).execute()
    },

    async saveHistory(memberId, day, rows) {
      if (rows.length === 0) return
      // One row per collab: PostgreSQL refuses an upsert that touches the same row twice.
      const values: Insertable<CollabHistoryTable>[] = [...new Map(rows.map((r) => [r.collabId, r])).values()].map((r) => ({
        member_id: memberId, day, collab_id: r.collabId, guests: r.guests, invited: r.invited, active: r.active, inactive: r.inactive, deactivated: r.deactivated,
      }))
      await db.transaction().execute(async (trx) => {
        for (const chunk of chunked(values, rowsPerInsert(dialect, 8))) {
          await trx.insertInto('collab_history').values(chunk).onConflict((oc) => oc.columns(['member_id', 'collab_id', 'day']).doUpdateSet((eb) => ({
            guests: eb.ref('excluded.guests'), invited: eb.ref('excluded.invited'), active: eb.ref('excluded.active'),
            inactive: eb.ref('excluded.inactive'), deactivated: eb.ref('excluded.deactivated'),
          }))).execute()
        }
      })
    },

    async history(memberId, collabId, fromDay) {
      const rows = await db.selectFrom('collab_history').selectAll()
        .where('member_id', '=', memberId).where('collab_id', '=', collabId).where('day', '>=', fromDay).orderBy('day').execute()
      return rows.map((r) => ({ day: r.day, guests: r.guests, invited: r.invited, active: r.active, inactive: r.inactive, deactivated: r.deactivated }))
    },

    async getSettings(memberId) {
      const row = await db.selectFrom('collab_settings').select('settings').where('member_id', '=', memberId).executeTakeFirst()
      return row ? parseJsonObject<Record<string, unknown>>(row.settings, {}) : undefined
    },

    async saveSettings(memberId, settings, at) {
      await db.insertInto('collab_settings').values({ member_id: memberId, settings: toJsonText(settings), digest_day: null, updated_at: at })
        .onConflict((oc) => oc.column('member_id').doUpdateSet({ settings: toJsonText(settings), updated_at: at })).execute()
    },

    async claimDigest(memberId, day, at) {
      await db.insertInto('collab_settings').values({ member_id: memberId, settings: '{}', digest_day: null, updated_at: at })
        .onConflict((oc) => oc.column('member_id').doNothing()).execute()
      const r = await db.updateTable('collab_settings').set({ digest_day: day })
        .where('member_id', '=', memberId)
        .where((eb) => eb.or([eb('digest_day', 'is', null), eb('digest_day', '<', day)]))
        .executeTakeFirst()
      return Number(r.numUpdatedRows) === 1
    },

    async membersWithCollabs(limit) {
      const rows = await db.selectFrom('collabs').select('member_id').distinct().orderBy('member_id').limit(limit).execute()
      return rows.map((r) => r.member_id)
    },
  }
}
