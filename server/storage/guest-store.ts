import { randomUUID } from 'node:crypto'
import { sql, type Expression, type ExpressionBuilder, type Selectable, type SqlBool, type UpdateObject } from 'kysely'
import { isUniqueViolation } from './batch.js'
import type { AppDatabase } from './database.js'
import type { ExtranetGuestsTable, Schema } from './schema.js'

export type GuestState = 'pending' | 'active' | 'awaiting_confirmation' | 'ended'

/** A guest's stay in one extranet group. */
export interface Guest {
  /** UUID. */
  id: string
  memberId: string
  groupId: number
  /** The ledger invitation this stay came from. */
  invitationId: string | null
  userId: number | null
  email: string | null
  name: string | null
  sponsorId: number
  accessEndsAt: number | null
  /** When the sponsor is told the end date is near. */
  noticeAt: number | null
  state: GuestState
  welcomedAt: number | null
  noticeSentAt: number | null
  endRequestedAt: number | null
  removedAt: number | null
  deactivatedAt: number | null
  createdAt: number
  updatedAt: number
}

export interface InvitedGuest {
  memberId: string
  groupId: number
  /** At least one of email and userId is required. */
  email: string | null
  userId: number | null
  name: string | null
  sponsorId: number
  accessEndsAt: number | null
  noticeAt: number | null
  invitationId: string | null
}

export interface GuestStore {
  /**
   * The stay of this guest in this group, created 'pending' if there is none. The same (member, group,
   * email case-insensitively) or (member, group, userId) yields the same row, in any state (an ended stay
   * included); when both match different rows the userId one wins. A re-run only fills a missing userId,
   * invitationId or name: state, sponsor, dates and timestamps stay as they were. Safe under concurrency.
   * Throws RangeError when neither email nor userId is given.
   */
  upsertInvited(input: InvitedGuest): Promise<Guest>
  get(memberId: string, id: string): Promise<Guest | undefined>
  /** Oldest first (createdAt, then id); states [] matches nothing. */
  listByGroup(memberId: string, groupId: number, opts?: { states?: GuestState[] }): Promise<Guest[]>
  /** Every stay of the user in the portal, oldest first. */
  listByUser(memberId: string, userId: number): Promise<Guest[]>
  /**
   * The user accepted: every 'pending' stay matching match.userId or match.email (any group) becomes
   * 'active' with userId set; returns those moved (by createdAt, id). A pending stay whose group already
   * holds another stay of userId (invited once by address, once by id) is folded into that one: it is
   * deleted, the other takes its missing email/invitationId and is moved if it was pending.
   */
  markAccepted(memberId: string, match: { userId?: number; email?: string }, userId: number, now: number): Promise<Guest[]>
  /** welcomedAt null → now, only for an 'active' stay. True when this call claimed it. */
  claimWelcome(memberId: string, id: string, now: number): Promise<boolean>
  /** noticeSentAt null → now, only for a 'pending' or 'active' stay. True when this call claimed it. */
  claimNotice(memberId: string, id: string, now: number): Promise<boolean>
  /** pending|active → awaiting_confirmation, endRequestedAt = now. */
  requestEnd(memberId: string, id: string, now: number): Promise<boolean>
  /** pending|active|awaiting_confirmation → ended; removedAt / deactivatedAt = now for what was done. */
  finishEnd(memberId: string, id: string, r: { removed: boolean; deactivated: boolean }, now: number): Promise<boolean>
  /**
   * awaiting_confirmation → active, endRequestedAt cleared (the sponsor keeps the guest). The end date
   * is not touched: unless the caller moves it (setAccessEnd), the stay is due again at once.
   */
  cancelEnd(memberId: string, id: string): Promise<boolean>
  /** True when the sponsor changed (false if it already was this one, or the stay ended). */
  setSponsor(memberId: string, id: string, sponsorId: number): Promise<boolean>
  /**
   * New end and notice times (null: none) for a stay that has not ended; clears noticeSentAt so the
   * new date gets its own notice. False when both are already these values (noticeSentAt kept).
   */
  setAccessEnd(memberId: string, id: string, accessEndsAt: number | null, noticeAt: number | null): Promise<boolean>
  /** pending|active stays with noticeAt ≤ now and no notice sent, by noticeAt then id. */
  dueNotices(memberId: string, now: number, limit: number): Promise<Guest[]>
  /** pending|active stays with accessEndsAt ≤ now, by accessEndsAt then id. */
  dueEnds(memberId: string, now: number, limit: number): Promise<Guest[]>
  /** Portals with a due notice or end (the scheduler's work list), by member id. */
  membersWithDue(now: number, limit: number): Promise<string[]>
  /** The user's stays in groups other than exceptGroupId that have not ended. */
  otherStays(memberId: string, userId: number, exceptGroupId: number): Promise<number>
}

/** States in which a stay runs on: notices and ends come due only in these. */
const RUNNING: readonly GuestState[] = ['pending', 'active']
const USER_INDEX = {
  name: 'extranet_guests_member_id_group_id_user_id',
  sqliteColumns: 'extranet_guests.member_id, extranet_guests.group_id, extranet_guests.user_id',
}
/** Lost races (a concurrent insert or fill) are retried; each retry sees the winner's row. */
const MAX_ATTEMPTS = 5

type GuestRow = Selectable<ExtranetGuestsTable>
type Where = ExpressionBuilder<Schema, 'extranet_guests'>

function normalizeEmail(email: string | null | undefined): string | null {
  const trimmed = email?.trim().toLowerCase()
  return trimmed ? trimmed : null
}

const noticeDue = (eb: Where, now: number) =>
  eb.and([eb('notice_at', 'is not', null), eb('notice_at', '<=', now), eb('notice_sent_at', 'is', null)])
const endDue = (eb: Where, now: number) => eb.and([eb('access_ends_at', 'is not', null), eb('access_ends_at', '<=', now)])

/** Null-safe "column differs from value", spelled the same on both backends (no IS DISTINCT FROM in SQLite). */
const differs = (eb: Where, column: 'access_ends_at' | 'notice_at', value: number | null): Expression<SqlBool> =>
  value === null ? eb(column, 'is not', null) : eb.or([eb(column, 'is', null), eb(column, '<>', value)])

export function createGuestStore(app: AppDatabase, clock: () => number = Date.now): GuestStore {
  const { db } = app

  const toGuest = (row: GuestRow): Guest => ({
    id: row.id,
    memberId: row.member_id,
    groupId: row.group_id,
    invitationId: row.invitation_id,
    userId: row.user_id,
    email: row.email,
    name: row.name,
    sponsorId: row.sponsor_id,
    accessEndsAt: row.access_ends_at,
    noticeAt: row.notice_at,
    state: row.state,
    welcomedAt: row.welcomed_at,
    noticeSentAt: row.notice_sent_at,
    endRequestedAt: row.end_requested_at,
    removedAt: row.removed_at,
    deactivatedAt: row.deactivated_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  })

  const oldestFirst = (memberId: string) =>
    // Stays opened in the same millisecond (one job's rows) list by address, so a page reads the same twice.
    db.selectFrom('extranet_guests').selectAll().where('member_id', '=', memberId).orderBy('created_at').orderBy('email').orderBy('id')

  /** A compare-and-set UPDATE on one stay: true when it changed the row. */
  const cas = async (
    memberId: string,
    id: string,
    set: (eb: Where) => UpdateObject<Schema, 'extranet_guests'>,
    where: (eb: Where) => Expression<SqlBool>,
  ) => {
    const result = await db
      .updateTable('extranet_guests')
      .set(set)
      .where('member_id', '=', memberId)
      .where('id', '=', id)
      .where(where)
      .executeTakeFirst()
    return result.numUpdatedRows > 0n
  }

  /** markAccepted for one pending stay: the id of the stay moved to active, if any. */
  const accept = async (row: GuestRow, userId: number, now: number): Promise<string | undefined> => {
    try {
      const moved = await db
        .updateTable('extranet_guests')
        .set({ state: 'active', user_id: userId, updated_at: now })
        .where('member_id', '=', row.member_id)
        .where('id', '=', row.id)
        .where('state', '=', 'pending')
        .returning('id')
        .executeTakeFirst()
      return moved?.id
    } catch (error) {
      if (!isUniqueViolation(error, USER_INDEX)) throw error
    }
    // The group already has a stay of this user: fold this duplicate into it. The DELETE comes first so
    // the transaction starts with a write (a SQLite read-then-write transaction can fail with
    // SQLITE_BUSY_SNAPSHOT against another connection).
    return db.transaction().execute(async (trx) => {
      const gone = await trx
        .deleteFrom('extranet_guests')
        .where('member_id', '=', row.member_id)
        .where('id', '=', row.id)
        .where('state', '=', 'pending')
        .returning(['email', 'email_lc', 'invitation_id'])
        .executeTakeFirst()
      if (!gone) return undefined
      const holder = (eb: Where) =>
        eb.and([eb('member_id', '=', row.member_id), eb('group_id', '=', row.group_id), eb('user_id', '=', userId)])
      await trx
        .updateTable('extranet_guests')
        .set((eb) => ({
          email: sql<string | null>`coalesce(${eb.ref('email')}, ${gone.email})`,
          email_lc: sql<string | null>`coalesce(${eb.ref('email_lc')}, ${gone.email_lc})`,
          invitation_id: sql<string | null>`coalesce(${eb.ref('invitation_id')}, ${gone.invitation_id})`,
        }))
        .where(holder)
        .execute()
      const moved = await trx
        .updateTable('extranet_guests')
        .set({ state: 'active', updated_at: now })
        .where(holder)
        .where('state', '=', 'pending')
        .returning('id')
        .executeTakeFirst()
      return moved?.id
    })
  }

  return {
    async upsertInvited(input) {
      const email = normalizeEmail(input.email)
      const userId = input.userId
      if (email === null && userId === null) throw new RangeError('a guest needs an email or a userId')
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const found = await db
          .selectFrom('extranet_guests')
          .selectAll()
          .where('member_id', '=', input.memberId)
          .where('group_id', '=', input.groupId)
          .where((eb) => {
            const keys: Expression<SqlBool>[] = []
            if (email !== null) keys.push(eb('email_lc', '=', email))
            if (userId !== null) keys.push(eb('user_id', '=', userId))
            return eb.or(keys)
          })
          .execute()
        const existing = found.find((r) => userId !== null && r.user_id === userId) ?? found[0]
        if (existing) {
          const fills =
            (existing.user_id === null && userId !== null) ||
            (existing.invitation_id === null && input.invitationId !== null) ||
            (existing.name === null && input.name !== null)
          if (!fills) return toGuest(existing)
          try {
            const filled = await db
              .updateTable('extranet_guests')
              .set((eb) => ({
                user_id: sql<number | null>`coalesce(${eb.ref('user_id')}, ${userId})`,
                invitation_id: sql<string | null>`coalesce(${eb.ref('invitation_id')}, ${input.invitationId})`,
                name: sql<string | null>`coalesce(${eb.ref('name')}, ${input.name})`,
                updated_at: clock(),
              }))
              .where('member_id', '=', input.memberId)
              .where('id', '=', existing.id)
              .returningAll()
              .executeTakeFirst()
            if (filled) return toGuest(filled)
          } catch (error) {
            // Another stay took this userId meanwhile: the next look-up finds and returns it.
            if (!isUniqueViolation(error, USER_INDEX)) throw error
          }
          continue
        }
        const now = clock()
        // DO NOTHING without a target covers both partial unique indexes; a concurrent insert of the
        // same guest makes this one return nothing, and the next look-up finds the winner.
        const inserted = await db
          .insertInto('extranet_guests')
          .values({
            id: randomUUID(),
            member_id: input.memberId,
            group_id: input.groupId,
            invitation_id: input.invitationId,
            user_id: userId,
            email: input.email,
            email_lc: email,
            name: input.name,
            sponsor_id: input.sponsorId,
            access_ends_at: input.accessEndsAt,
            notice_at: input.noticeAt,
            state: 'pending',
            welcomed_at: null,
            notice_sent_at: null,
            end_requested_at: null,
            removed_at: null,
            deactivated_at: null,
            created_at: now,
            updated_at: now,
          })
          .onConflict((oc) => oc.doNothing())
          .returningAll()
          .executeTakeFirst()
        if (inserted) return toGuest(inserted)
      }
      throw new Error(`upsertInvited: the guest of group ${input.groupId} kept changing; not recorded`)
    },

    async get(memberId, id) {
      const row = await db
        .selectFrom('extranet_guests')
        .selectAll()
        .where('member_id', '=', memberId)
        .where('id', '=', id)
        .executeTakeFirst()
      return row && toGuest(row)
    },

    async listByGroup(memberId, groupId, opts = {}) {
      if (opts.states !== undefined && opts.states.length === 0) return []
      const rows = await oldestFirst(memberId)
        .where('group_id', '=', groupId)
        .$if(opts.states !== undefined, (qb) => qb.where('state', 'in', opts.states!))
        .execute()
      return rows.map(toGuest)
    },

    async listByUser(memberId, userId) {
      return (await oldestFirst(memberId).where('user_id', '=', userId).execute()).map(toGuest)
    },

    async markAccepted(memberId, match, userId, now) {
      const email = normalizeEmail(match.email)
      if (match.userId === undefined && email === null) return []
      const pending = await oldestFirst(memberId)
        .where('state', '=', 'pending')
        .where((eb) => {
          const keys: Expression<SqlBool>[] = []
          if (match.userId !== undefined) keys.push(eb('user_id', '=', match.userId))
          if (email !== null) keys.push(eb('email_lc', '=', email))
          return eb.or(keys)
        })
        .execute()
      const moved: string[] = []
      // One CAS per stay: a concurrent markAccepted moves each stay once between them.
      for (const row of pending) {
        const id = await accept(row, userId, now)
        if (id !== undefined) moved.push(id)
      }
      if (moved.length === 0) return []
      // Read back: a stay moved early in the loop may have taken a later duplicate's email/invitationId.
      return (await oldestFirst(memberId).where('id', 'in', moved).execute()).map(toGuest)
    },

    async claimWelcome(memberId, id, now) {
      return cas(memberId, id, () => ({ welcomed_at: now, updated_at: now }), (eb) =>
        eb.and([eb('welcomed_at', 'is', null), eb('state', '=', 'active')]),
      )
    },

    async claimNotice(memberId, id, now) {
      return cas(memberId, id, () => ({ notice_sent_at: now, updated_at: now }), (eb) =>
        eb.and([eb('notice_sent_at', 'is', null), eb('state', 'in', RUNNING)]),
      )
    },

    async requestEnd(memberId, id, now) {
      return cas(memberId, id, () => ({ state: 'awaiting_confirmation', end_requested_at: now, updated_at: now }), (eb) =>
        eb('state', 'in', RUNNING),
      )
    },

    async finishEnd(memberId, id, r, now) {
      return cas(
        memberId,
        id,
        (eb) => ({
          state: 'ended',
          removed_at: r.removed ? now : eb.ref('removed_at'),
          deactivated_at: r.deactivated ? now : eb.ref('deactivated_at'),
          updated_at: now,
        }),
        (eb) => eb('state', 'in', [...RUNNING, 'awaiting_confirmation']),
      )
    },

    async cancelEnd(memberId, id) {
      return cas(memberId, id, () => ({ state: 'active', end_requested_at: null, updated_at: clock() }), (eb) =>
        eb('state', '=', 'awaiting_confirmation'),
      )
    },

    async setSponsor(memberId, id, sponsorId) {
      return cas(memberId, id, () => ({ sponsor_id: sponsorId, updated_at: clock() }), (eb) =>
        eb.and([eb('state', '<>', 'ended'), eb('sponsor_id', '<>', sponsorId)]),
      )
    },

    async setAccessEnd(memberId, id, accessEndsAt, noticeAt) {
      return cas(
        memberId,
        id,
        () => ({ access_ends_at: accessEndsAt, notice_at: noticeAt, notice_sent_at: null, updated_at: clock() }),
        (eb) =>
          eb.and([
            eb('state', '<>', 'ended'),
            eb.or([differs(eb, 'access_ends_at', accessEndsAt), differs(eb, 'notice_at', noticeAt)]),
          ]),
      )
    },

    async dueNotices(memberId, now, limit) {
      if (limit <= 0) return []
      const rows = await db
        .selectFrom('extranet_guests')
        .selectAll()
        .where('member_id', '=', memberId)
        .where('state', 'in', RUNNING)
        .where((eb) => noticeDue(eb, now))
        .orderBy('notice_at')
        .orderBy('id')
        .limit(limit)
        .execute()
      return rows.map(toGuest)
    },

    async dueEnds(memberId, now, limit) {
      if (limit <= 0) return []
      const rows = await db
        .selectFrom('extranet_guests')
        .selectAll()
        .where('member_id', '=', memberId)
        .where('state', 'in', RUNNING)
        .where((eb) => endDue(eb, now))
        .orderBy('access_ends_at')
        .orderBy('id')
        .limit(limit)
        .execute()
      return rows.map(toGuest)
    },

    async membersWithDue(now, limit) {
      if (limit <= 0) return []
      const rows = await db
        .selectFrom('extranet_guests')
        .select('member_id')
        .distinct()
        .where('state', 'in', RUNNING)
        .where((eb) => eb.or([noticeDue(eb, now), endDue(eb, now)]))
        .orderBy('member_id')
        .limit(limit)
        .execute()
      return rows.map((r) => r.member_id)
    },

    async otherStays(memberId, userId, exceptGroupId) {
      const row = await db
        .selectFrom('extranet_guests')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('member_id', '=', memberId)
        .where('user_id', '=', userId)
        .where('group_id', '<>', exceptGroupId)
        .where('state', '<>', 'ended')
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },
  }
}
