import { randomUUID } from 'node:crypto'
import { sql, type Expression, type ExpressionBuilder, type Selectable, type SqlBool } from 'kysely'
import { chunked, IN_LIST_CHUNK, parseIntArray } from './batch.js'
import type { AppDatabase } from './database.js'
import { parseJsonObject, toJsonText } from './json-column.js'
import type { InvitationEventsTable, InvitationsTable, Schema } from './schema.js'

export type InvitationState = 'sent' | 'pending' | 'accepted' | 'expired' | 'revoked' | 'failed'
export type InvitationSource = 'wizard' | 'group_tab' | 'robot' | 'join_link'

export interface Invitation {
  /** UUID. */
  id: string
  memberId: string
  email: string | null
  phone: string | null
  userId: number | null
  name: string | null
  lastName: string | null
  invitedBy: number | null
  source: InvitationSource
  templateId: string | null
  jobId: string | null
  jobSeq: number | null
  /** existingUser: someone already in the portal, brought into the groups (no new account to accept). */
  target: { kind: 'intranet' | 'extranet'; departmentId: number | null; groupIds: number[]; existingUser?: boolean }
  state: InvitationState
  /** Where it came from beyond `source`: the automation rule's document and workflow. Absent for most. */
  origin?: InvitationOrigin
  sentAt: number | null
  acceptedAt: number | null
  remindersSent: number
  lastReminderAt: number | null
  expiresAt: number | null
  createdAt: number
  updatedAt: number
}

export type InvitationOrigin = RobotOrigin | JoinLinkOrigin

export interface RobotOrigin {
  kind: 'robot'
  robotCode: string
  runId: string
  workflowId: string
  /** e.g. DEAL_123 */
  document: string
  documentType: string[]
  /** invite_guest's ACCESS_END_DATE (epoch ms), applied to the guest's stay. */
  accessEndsAt?: number
}

/** Someone who joined through a managed join link. */
export interface JoinLinkOrigin {
  kind: 'join_link'
  linkId: string
  joinId: string
  /** The link's name when the person joined. */
  linkName: string
}

export interface InvitationEvent {
  id: number
  invitationId: string
  at: number
  /** null for the event written by record(). */
  from: InvitationState | null
  to: InvitationState
  actorUserId: number | null
  detail: Record<string, unknown>
}

export interface LedgerFilter {
  states?: InvitationState[]
  templateId?: string
  invitedBy?: number
  /** Invitations by any of these users (a manager's view of their departments). */
  invitedByAny?: number[]
  source?: InvitationSource
  /** sentAt < sentBefore (exclusive). */
  sentBefore?: number
  /** sentAt ≥ sentAfter (inclusive). */
  sentAfter?: number
  /** email/name/lastName, case-insensitive substring (Cyrillic included); % and _ are literal. */
  search?: string
}

export type NewInvitation = Omit<Invitation, 'id' | 'createdAt' | 'updatedAt' | 'remindersSent' | 'lastReminderAt'>

export interface RecordOptions {
  /** Detail of the first history event. */
  detail?: Record<string, unknown>
  /** Reminder schedule in days after sending; default: the template's reminderDays (none without a template). */
  reminderDays?: number[]
}

/** States in which an invitation is outstanding: it can be reminded about and can expire. */
export const OUTSTANDING_STATES: readonly InvitationState[] = ['sent', 'pending']

export interface LedgerStore {
  /**
   * Idempotent per (memberId, jobId, jobSeq) when jobId and jobSeq are both given: a second record for
   * the same row returns the existing invitation unchanged and writes no event, except that a 'failed'
   * entry recorded again in another state (a retried row got through) moves to it, taking the new userId,
   * sentAt and expiresAt, with a history event. Otherwise writes the
   * invitation and its first InvitationEvent (from null) in one transaction. The reminder schedule is
   * snapshotted from the template (or opts.reminderDays) at this point.
   */
  record(inv: NewInvitation, actorUserId: number | null, opts?: RecordOptions): Promise<Invitation>
  /**
   * Compare-and-set transition with history; false if the current state ∉ from (or the id is unknown /
   * another portal's). 'accepted' sets acceptedAt = at; 'sent' sets sentAt = at if it was null.
   */
  transition(
    memberId: string,
    id: string,
    from: InvitationState[],
    to: InvitationState,
    at: number,
    actorUserId: number | null,
    detail?: Record<string, unknown>,
  ): Promise<boolean>
  get(memberId: string, id: string): Promise<Invitation | undefined>
  /** Newest first. */
  findByUserId(memberId: string, userId: number): Promise<Invitation[]>
  /** Every invitation of these users, newest first (one query per 1,000 ids). */
  findByUserIds(memberId: string, userIds: number[]): Promise<Invitation[]>
  /** Case-insensitive on the address; newest first. */
  findByEmail(memberId: string, email: string): Promise<Invitation[]>
  /** order 'newest' (default) / 'oldest' by createdAt, ties by id; total counts every match, not just the page. */
  list(
    memberId: string,
    filter: LedgerFilter,
    page: { limit: number; offset: number; order?: 'newest' | 'oldest' },
  ): Promise<{ rows: Invitation[]; total: number }>
  /** Oldest first (at, then insertion order); [] for another portal's id. */
  history(memberId: string, id: string): Promise<InvitationEvent[]>
  /** Every state present, zero when none. */
  counts(memberId: string): Promise<Record<InvitationState, number>>
  /**
   * Outstanding ('sent' or 'pending') invitations past expiresAt or due for their next scheduled
   * reminder, most overdue first. The scheduler expires those with expiresAt ≤ now and reminds the rest.
   */
  duePending(memberId: string, nowMs: number, limit: number): Promise<Invitation[]>
  /** Portals with at least one outstanding invitation past expiresAt or due for a reminder (the scheduler's work list). */
  membersWithDue(nowMs: number, limit: number): Promise<string[]>
  /** Portals with at least one outstanding ('sent' or 'pending') invitation, by member id. */
  membersWithOutstanding(limit: number): Promise<string[]>
  /** A reminder came due but nothing was sent (the portal cannot resend): the next one moves on, remindersSent stays. No-op for an unknown id. */
  deferReminder(memberId: string, id: string, at: number): Promise<void>
  /** remindersSent + 1, lastReminderAt = at, and the next reminder becomes the first scheduled one after `at` (past ones are not replayed). No-op for an unknown id. */
  noteReminder(memberId: string, id: string, at: number): Promise<void>
}

const DAY_MS = 86_400_000
const ALL_STATES: readonly InvitationState[] = ['sent', 'pending', 'accepted', 'expired', 'revoked', 'failed']

type InvitationRow = Selectable<InvitationsTable>

/** What search matches against: lower-cased by JavaScript so Cyrillic folds the same on both backends. */
function searchText(inv: { email: string | null; name: string | null; lastName: string | null }): string {
  const fullName = [inv.name, inv.lastName].filter((part) => part).join(' ')
  return `${fullName}\n${inv.email ?? ''}`.toLowerCase()
}

function normalizeEmail(email: string | null): string | null {
  const trimmed = email?.trim().toLowerCase()
  return trimmed ? trimmed : null
}

/** Sorted, de-duplicated, non-negative whole days. */
function normalizeDays(days: readonly number[]): number[] {
  return [...new Set(days.filter((d) => Number.isInteger(d) && d >= 0))].sort((a, b) => a - b)
}

/** The first scheduled reminder strictly after `after` (or the first of all when `after` is null). */
function nextReminder(base: number, days: number[], after: number | null): number | null {
  for (const d of days) {
    const at = base + d * DAY_MS
    if (after === null || at > after) return at
  }
  return null
}

/** Past its expiry, or its next reminder has come. */
function isDue(eb: ExpressionBuilder<Schema, 'invitations'>, nowMs: number) {
  return eb.or([
    eb.and([eb('expires_at', 'is not', null), eb('expires_at', '<=', nowMs)]),
    eb.and([eb('next_reminder_at', 'is not', null), eb('next_reminder_at', '<=', nowMs)]),
  ])
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

export function createLedgerStore(app: AppDatabase, clock: () => number = Date.now): LedgerStore {
  const { db } = app

  const toInvitation = (row: InvitationRow): Invitation => ({
    id: row.id,
    memberId: row.member_id,
    email: row.email,
    phone: row.phone,
    userId: row.user_id,
    name: row.name,
    lastName: row.last_name,
    invitedBy: row.invited_by,
    source: row.source,
    templateId: row.template_id,
    jobId: row.job_id,
    jobSeq: row.job_seq,
    target: { kind: row.target_kind, departmentId: row.target_department_id, groupIds: parseIntArray(row.target_group_ids), ...(Number(row.existing_user) === 1 ? { existingUser: true } : {}) },
    state: row.state,
    ...(row.origin ? { origin: parseJsonObject<InvitationOrigin, InvitationOrigin>(row.origin, {} as InvitationOrigin) } : {}),
    sentAt: row.sent_at,
    acceptedAt: row.accepted_at,
    remindersSent: row.reminders_sent,
    lastReminderAt: row.last_reminder_at,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  })

  const toEvent = (row: Selectable<InvitationEventsTable>): InvitationEvent => ({
    id: row.id,
    invitationId: row.invitation_id,
    at: row.at,
    from: row.from_state,
    to: row.to_state,
    actorUserId: row.actor_user_id,
    detail: parseJsonObject<Record<string, unknown>>(row.detail, {}),
  })

  const filterBy = (memberId: string, f: LedgerFilter) => (eb: ExpressionBuilder<Schema, 'invitations'>) => {
    const conditions: Expression<SqlBool>[] = [eb('member_id', '=', memberId)]
    if (f.states !== undefined) conditions.push(f.states.length ? eb('state', 'in', f.states) : eb.lit(false))
    if (f.templateId !== undefined) conditions.push(eb('template_id', '=', f.templateId))
    if (f.invitedBy !== undefined) conditions.push(eb('invited_by', '=', f.invitedBy))
    if (f.invitedByAny !== undefined) conditions.push(f.invitedByAny.length ? eb('invited_by', 'in', f.invitedByAny) : eb.val(false))
    if (f.source !== undefined) conditions.push(eb('source', '=', f.source))
    if (f.sentBefore !== undefined) conditions.push(eb('sent_at', '<', f.sentBefore))
    if (f.sentAfter !== undefined) conditions.push(eb('sent_at', '>=', f.sentAfter))
    const search = f.search?.trim().toLowerCase()
    if (search) conditions.push(sql<boolean>`${eb.ref('search_text')} like ${`%${escapeLike(search)}%`} escape '\\'`)
    return eb.and(conditions)
  }

  /** Portals with outstanding invitations (matching `also`), by member id. */
  const outstandingMembers = async (limit: number, also?: (eb: ExpressionBuilder<Schema, 'invitations'>) => Expression<SqlBool>) => {
    if (limit <= 0) return []
    const rows = await db
      .selectFrom('invitations')
      .select('member_id')
      .distinct()
      .where('state', 'in', OUTSTANDING_STATES)
      .$if(also !== undefined, (qb) => qb.where((eb) => also!(eb)))
      .orderBy('member_id')
      .limit(limit)
      .execute()
    return rows.map((r) => r.member_id)
  }

  const newestFirst = (memberId: string) =>
    db.selectFrom('invitations').selectAll().where('member_id', '=', memberId).orderBy('created_at', 'desc').orderBy('id', 'desc')

  return {
    async record(inv, actorUserId, opts = {}) {
      let days = opts.reminderDays
      if (days === undefined && inv.templateId !== null) {
        // Read before the transaction: on SQLite a transaction that reads first and writes later
        // can fail with SQLITE_BUSY_SNAPSHOT against another connection.
        const template = await db
          .selectFrom('invite_templates')
          .select('reminder_days')
          .where('member_id', '=', inv.memberId)
          .where('id', '=', inv.templateId)
          .executeTakeFirst()
        days = template ? parseIntArray(template.reminder_days) : []
      }
      const schedule = normalizeDays(days ?? [])
      const now = clock()
      const keyed = inv.jobId !== null && inv.jobSeq !== null

      return db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('invitations')
          .values({
            id: randomUUID(),
            member_id: inv.memberId,
            email: inv.email,
            email_lc: normalizeEmail(inv.email),
            phone: inv.phone,
            user_id: inv.userId,
            name: inv.name,
            last_name: inv.lastName,
            invited_by: inv.invitedBy,
            source: inv.source,
            template_id: inv.templateId,
            job_id: inv.jobId,
            job_seq: inv.jobSeq,
            target_kind: inv.target.kind,
            target_department_id: inv.target.departmentId,
            target_group_ids: toJsonText(inv.target.groupIds),
            existing_user: inv.target.existingUser ? 1 : 0,
            origin: inv.origin ? toJsonText(inv.origin) : null,
            state: inv.state,
            sent_at: inv.sentAt,
            accepted_at: inv.acceptedAt,
            reminders_sent: 0,
            last_reminder_at: null,
            reminder_days: toJsonText(schedule),
            next_reminder_at: nextReminder(inv.sentAt ?? now, schedule, null),
            expires_at: inv.expiresAt,
            search_text: searchText(inv),
            created_at: now,
            updated_at: now,
          })
          // Only the (member_id, job_id, job_seq) index can conflict (ids are fresh UUIDs); with a
          // null job_id or job_seq it never does, since NULLs are distinct on both backends.
          .$if(keyed, (qb) => qb.onConflict((oc) => oc.columns(['member_id', 'job_id', 'job_seq']).doNothing()))
          .returningAll()
          .executeTakeFirst()
        if (!inserted) {
          // A concurrent or earlier record of the same job row: PostgreSQL waited for it to commit
          // before taking DO NOTHING, so this fresh read sees it.
          const existing = await trx
            .selectFrom('invitations')
            .selectAll()
            .where('member_id', '=', inv.memberId)
            .where('job_id', '=', inv.jobId)
            .where('job_seq', '=', inv.jobSeq)
            .executeTakeFirstOrThrow()
          if (existing.state !== 'failed' || inv.state === 'failed') return toInvitation(existing)
          // The row failed before and a retry got it through: the same entry moves on, with its history.
          const revived = await trx
            .updateTable('invitations')
            .set({
              state: inv.state, user_id: inv.userId, sent_at: inv.sentAt, accepted_at: inv.acceptedAt, expires_at: inv.expiresAt,
              next_reminder_at: nextReminder(inv.sentAt ?? now, parseIntArray(existing.reminder_days), null), updated_at: now,
            })
            .where('id', '=', existing.id)
            .where('state', '=', 'failed')
            .returningAll()
            .executeTakeFirst()
          if (!revived) return toInvitation(existing)
          await trx
            .insertInto('invitation_events')
            .values({
              invitation_id: existing.id, member_id: inv.memberId, at: now, from_state: 'failed', to_state: inv.state,
              actor_user_id: actorUserId, detail: toJsonText(opts.detail ?? {}),
            })
            .execute()
          return toInvitation(revived)
        }
        await trx
          .insertInto('invitation_events')
          .values({
            invitation_id: inserted.id,
            member_id: inv.memberId,
            at: now,
            from_state: null,
            to_state: inv.state,
            actor_user_id: actorUserId,
            detail: toJsonText(opts.detail ?? {}),
          })
          .execute()
        return toInvitation(inserted)
      })
    },

    async transition(memberId, id, from, to, at, actorUserId, detail = {}) {
      if (from.length === 0) return false
      return db.transaction().execute(async (trx) => {
        // One conditional UPDATE per accepted source state, so the event records the state actually
        // left. The UPDATE comes first, taking the write lock (SQLite) or the row lock (PostgreSQL,
        // which re-checks the WHERE after a concurrent writer): two racing transitions cannot both win.
        for (const state of new Set(from)) {
          const result = await trx
            .updateTable('invitations')
            .set((eb) => ({
              state: to,
              updated_at: at,
              accepted_at: to === 'accepted' ? at : eb.ref('accepted_at'),
              sent_at: to === 'sent' ? sql<number>`coalesce(${eb.ref('sent_at')}, ${at})` : eb.ref('sent_at'),
            }))
            .where('member_id', '=', memberId)
            .where('id', '=', id)
            .where('state', '=', state)
            .executeTakeFirst()
          if (result.numUpdatedRows === 0n) continue
          await trx
            .insertInto('invitation_events')
            .values({
              invitation_id: id,
              member_id: memberId,
              at,
              from_state: state,
              to_state: to,
              actor_user_id: actorUserId,
              detail: toJsonText(detail),
            })
            .execute()
          return true
        }
        return false
      })
    },

    async get(memberId, id) {
      const row = await db
        .selectFrom('invitations')
        .selectAll()
        .where('member_id', '=', memberId)
        .where('id', '=', id)
        .executeTakeFirst()
      return row && toInvitation(row)
    },

    async findByUserId(memberId, userId) {
      return (await newestFirst(memberId).where('user_id', '=', userId).execute()).map(toInvitation)
    },

    async findByUserIds(memberId, userIds) {
      const out: Invitation[] = []
      for (const chunk of chunked([...new Set(userIds)], IN_LIST_CHUNK)) {
        out.push(...(await newestFirst(memberId).where('user_id', 'in', chunk).execute()).map(toInvitation))
      }
      return out.sort((a, b) => (b.sentAt ?? b.createdAt) - (a.sentAt ?? a.createdAt))
    },

    async findByEmail(memberId, email) {
      const key = normalizeEmail(email)
      if (key === null) return []
      return (await newestFirst(memberId).where('email_lc', '=', key).execute()).map(toInvitation)
    },

    async list(memberId, filter, page) {
      const where = filterBy(memberId, filter)
      const direction = page.order === 'oldest' ? 'asc' : 'desc'
      const [countRow, rows] = await Promise.all([
        db
          .selectFrom('invitations')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where(where)
          .executeTakeFirstOrThrow(),
        page.limit <= 0
          ? Promise.resolve([])
          : db
              .selectFrom('invitations')
              .selectAll()
              .where(where)
              .orderBy('created_at', direction)
              .orderBy('id', direction)
              .limit(page.limit)
              .offset(Math.max(0, page.offset))
              .execute(),
      ])
      return { rows: rows.map(toInvitation), total: Number(countRow.n) }
    },

    async history(memberId, id) {
      const rows = await db
        .selectFrom('invitation_events')
        .selectAll()
        .where('invitation_id', '=', id)
        .where('member_id', '=', memberId)
        .orderBy('at')
        .orderBy('id')
        .execute()
      return rows.map(toEvent)
    },

    async counts(memberId) {
      const rows = await db
        .selectFrom('invitations')
        .select((eb) => ['state', eb.fn.countAll<number>().as('n')])
        .where('member_id', '=', memberId)
        .groupBy('state')
        .execute()
      const counts = Object.fromEntries(ALL_STATES.map((s) => [s, 0])) as Record<InvitationState, number>
      for (const row of rows) counts[row.state] = Number(row.n)
      return counts
    },

    async duePending(memberId, nowMs, limit) {
      if (limit <= 0) return []
      const rows = await db
        .selectFrom('invitations')
        .selectAll()
        .where('member_id', '=', memberId)
        .where('state', 'in', OUTSTANDING_STATES)
        .where((eb) => isDue(eb, nowMs))
        // Most overdue first: the earlier of the two due times that has come.
        .orderBy((eb) =>
          eb
            .case()
            .when(eb.and([eb('expires_at', 'is not', null), eb('expires_at', '<=', nowMs)]))
            .then(eb.ref('expires_at'))
            .else(eb.ref('next_reminder_at'))
            .end(),
        )
        .orderBy('id')
        .limit(limit)
        .execute()
      return rows.map(toInvitation)
    },

    async membersWithDue(nowMs, limit) {
      return outstandingMembers(limit, (eb) => isDue(eb, nowMs))
    },

    async membersWithOutstanding(limit) {
      return outstandingMembers(limit)
    },

    async deferReminder(memberId, id, at) {
      const row = await db
        .selectFrom('invitations')
        .select(['reminder_days', 'sent_at', 'created_at'])
        .where('member_id', '=', memberId)
        .where('id', '=', id)
        .executeTakeFirst()
      if (!row) return
      const next = nextReminder(row.sent_at ?? row.created_at, parseIntArray(row.reminder_days), at)
      await db.updateTable('invitations').set({ next_reminder_at: next, updated_at: at }).where('member_id', '=', memberId).where('id', '=', id).execute()
    },

    async noteReminder(memberId, id, at) {
      // Read, compute the next reminder, write back only if nobody noted one meanwhile (CAS on
      // reminders_sent); a lost race is retried so every call counts once.
      for (let attempt = 0; attempt < 5; attempt++) {
        const row = await db
          .selectFrom('invitations')
          .select(['reminders_sent', 'reminder_days', 'sent_at', 'created_at'])
          .where('member_id', '=', memberId)
          .where('id', '=', id)
          .executeTakeFirst()
        if (!row) return
        const next = nextReminder(row.sent_at ?? row.created_at, parseIntArray(row.reminder_days), at)
        const result = await db
          .updateTable('invitations')
          .set({ reminders_sent: row.reminders_sent + 1, last_reminder_at: at, next_reminder_at: next, updated_at: at })
          .where('member_id', '=', memberId)
          .where('id', '=', id)
          .where('reminders_sent', '=', row.reminders_sent)
          .executeTakeFirst()
        if (result.numUpdatedRows > 0n) return
      }
      throw new Error(`noteReminder: invitation ${id} kept changing; reminder not noted`)
    },
  }
}
