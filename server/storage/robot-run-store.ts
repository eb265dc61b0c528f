import { randomUUID } from 'node:crypto'
import { sql, type ExpressionBuilder, type Selectable } from 'kysely'
import { chunked, IN_LIST_CHUNK } from './batch.js'
import type { AppDatabase } from './database.js'
import { parseJsonObject, toJsonText } from './json-column.js'
import type { SecretBox } from './portal-store.js'
import type { RobotRunsTable, Schema } from './schema.js'

export type RobotRunState = RobotRunsTable['state']
export type RobotReplyState = RobotRunsTable['reply_state']
export type RobotOutcome = 'invited' | 'already_exists' | 'added' | 'already_member' | 'accepted' | 'not_accepted' | 'failed'
export type ReturnValues = Record<string, string | number>

/** One call of a robot by an automation rule or workflow, from its arrival to the reply it is owed. */
export interface RobotRun {
  id: string
  memberId: string
  robotCode: string
  workflowId: string
  /** The credential bizproc.event.send needs; decrypted on read. */
  eventToken: string
  /** document_id[2], e.g. DEAL_123. */
  document: string
  documentId: string[]
  documentType: string[]
  properties: Record<string, unknown>
  useSubscription: boolean
  authUserId: number | null
  email: string | null
  userId: number | null
  state: RobotRunState
  outcome: RobotOutcome | null
  errorText: string | null
  returnValues: ReturnValues | null
  jobId: string | null
  jobSeq: number | null
  admittedAt: number | null
  waitUntil: number | null
  portalTimeoutAt: number | null
  reply: RobotReplyState
  replyAttempts: number
  replyNextAt: number | null
  replyError: string | null
  createdAt: number
  updatedAt: number
  decidedAt: number | null
  repliedAt: number | null
}

export interface NewRobotRun {
  memberId: string
  robotCode: string
  workflowId: string
  eventToken: string
  /** A keyed hash of the event token (the idempotency key with workflowId). */
  eventTokenHash: string
  documentId: string[]
  documentType: string[]
  properties: Record<string, unknown>
  useSubscription: boolean
  authUserId: number | null
  portalTimeoutAt: number | null
  /** Lower-cased e-mail the run is about, when it names one. */
  email: string | null
}

export interface RunDecision {
  outcome: RobotOutcome
  userId?: number | null
  errorText?: string | null
  returnValues: ReturnValues
}

/** A queued run whose job item has reached its outcome. */
export interface SettledRun {
  run: RobotRun
  /** groupInvite: the item brought someone already in the portal into a group (no new account). */
  item: { state: 'invited' | 'skipped' | 'failed'; userId: number | null; errorCode: string | null; errorMessage: string | null; groupInvite: boolean }
}

export interface RobotRunFilter {
  robotCode?: string
  /** An outcome, or 'pending' for runs not decided yet. */
  outcome?: RobotOutcome | 'pending'
  /** E-mail, document or workflow id, case-insensitive substring. */
  search?: string
}

export interface RobotRunCounts { total: number; succeeded: number; failed: number; waiting: number; notAccepted: number }

export interface RobotRunStore {
  /** Idempotent per (memberId, workflowId, eventTokenHash): a repeated delivery returns the first run and duplicate = true. */
  insert(run: NewRobotRun, now: number): Promise<{ run: RobotRun; duplicate: boolean }>
  get(memberId: string, id: string): Promise<RobotRun | undefined>
  /** Newest first (createdAt, then id); total counts every match. */
  list(memberId: string, filter: RobotRunFilter, page: { limit: number; offset: number }): Promise<{ rows: RobotRun[]; total: number }>
  /** Portals with runs in 'received', or in 'dispatching' since before staleBefore (a dispatcher died). */
  membersToDispatch(staleBefore: number, limit: number): Promise<string[]>
  /**
   * received → dispatching under jobId (a fresh id per call), oldest first, at most `limit`. Returns the
   * claimed runs. Runs a dead dispatcher left 'dispatching' are found by `staleDispatching`.
   */
  claimReceived(memberId: string, jobId: string, now: number, limit: number): Promise<RobotRun[]>
  /** Runs left in 'dispatching' since before staleBefore, by job id: the dispatcher finds out whether their job exists. */
  staleDispatching(memberId: string, staleBefore: number): Promise<RobotRun[]>
  /** dispatching → received (the job was not created: nothing was sent). */
  release(memberId: string, ids: string[], now: number): Promise<void>
  /** dispatching → queued with each run's item seq; admittedAt = now (counts under the daily cap). */
  markQueued(memberId: string, jobId: string, seqs: Array<{ id: string; seq: number }>, now: number): Promise<void>
  /** dispatching → waiting (wait_acceptance) for this person until waitUntil. */
  markWaiting(memberId: string, id: string, wait: { email: string | null; userId: number | null; waitUntil: number }, now: number): Promise<boolean>
  /**
   * Compare-and-set to 'done' from one of `from`, with the outcome and the reply it is owed ('pending' when
   * the workflow waits for one, else 'none'). False when the run was not in `from` (someone else decided it).
   */
  decide(memberId: string, id: string, from: RobotRunState[], d: RunDecision, now: number): Promise<boolean>
  /** Runs admitted (job items) since `since`: the daily cap's use. */
  admittedSince(memberId: string, since: number): Promise<number>
  /** Queued runs whose job item is invited, skipped or failed, oldest first. */
  settledQueued(limit: number): Promise<SettledRun[]>
  /** Waiting runs for this user id or e-mail. */
  waitingFor(memberId: string, who: { userId: number | null; email: string | null }): Promise<RobotRun[]>
  /** Waiting runs with waitUntil ≤ now, oldest deadline first. */
  dueWaits(now: number, limit: number): Promise<RobotRun[]>
  /**
   * Replies to send now: 'pending' with replyNextAt ≤ now, and 'sending' claimed before staleBefore (the
   * sender died), moved to 'sending' (claimed at now, attempts + 1), oldest first, at most `limit`, one portal.
   */
  claimReplies(memberId: string, now: number, staleBefore: number, limit: number): Promise<RobotRun[]>
  /** Portals with replies to send now. */
  membersWithReplies(now: number, staleBefore: number, limit: number): Promise<string[]>
  /** sending → sent | failed | expired, or back to pending with the next attempt's time. */
  finishReply(memberId: string, id: string, r: { state: 'sent' | 'failed' | 'expired' | 'pending'; error?: string | null; nextAt?: number | null }, now: number): Promise<void>
  /** Counts of runs created since `since`, per robot code. */
  countsSince(memberId: string, since: number): Promise<Record<string, RobotRunCounts>>
}

type Row = Selectable<RobotRunsTable>

/** A reply to send now: pending and due, or claimed by a sender that has not finished it in time. */
const replyDue = (eb: ExpressionBuilder<Schema, 'robot_runs'>, now: number, staleBefore: number) =>
  eb.or([
    eb.and([eb('reply_state', '=', 'pending'), eb('reply_next_at', '<=', now)]),
    eb.and([eb('reply_state', '=', 'sending'), eb('reply_claimed_at', '<', staleBefore)]),
  ])
const MAX_TEXT = 2_000
const SUCCEEDED: RobotOutcome[] = ['invited', 'already_exists', 'added', 'already_member', 'accepted']

const strings = (text: string): string[] => {
  try {
    const v: unknown = JSON.parse(text)
    return Array.isArray(v) ? v.map(String) : []
  } catch {
    return []
  }
}

export function createRobotRunStore(app: AppDatabase, box: SecretBox): RobotRunStore {
  const { db } = app

  const toRun = (row: Row): RobotRun => ({
    id: row.id,
    memberId: row.member_id,
    robotCode: row.robot_code,
    workflowId: row.workflow_id,
    eventToken: box.open(row.event_token),
    document: row.document,
    documentId: strings(row.document_id),
    documentType: strings(row.document_type),
    properties: parseJsonObject<Record<string, unknown>>(row.properties, {}),
    useSubscription: Number(row.use_subscription) === 1,
    authUserId: row.auth_user_id === null ? null : Number(row.auth_user_id),
    email: row.email,
    userId: row.user_id === null ? null : Number(row.user_id),
    state: row.state,
    outcome: row.outcome as RobotOutcome | null,
    errorText: row.error_text,
    returnValues: row.return_values === null ? null : parseJsonObject<ReturnValues>(row.return_values, {}),
    jobId: row.job_id,
    jobSeq: row.job_seq === null ? null : Number(row.job_seq),
    admittedAt: row.admitted_at === null ? null : Number(row.admitted_at),
    waitUntil: row.wait_until === null ? null : Number(row.wait_until),
    portalTimeoutAt: row.portal_timeout_at === null ? null : Number(row.portal_timeout_at),
    reply: row.reply_state,
    replyAttempts: Number(row.reply_attempts),
    replyNextAt: row.reply_next_at === null ? null : Number(row.reply_next_at),
    replyError: row.reply_error,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    decidedAt: row.decided_at === null ? null : Number(row.decided_at),
    repliedAt: row.replied_at === null ? null : Number(row.replied_at),
  })

  const byIds = async (memberId: string, ids: string[]): Promise<RobotRun[]> => {
    const out: RobotRun[] = []
    for (const part of chunked(ids, IN_LIST_CHUNK)) {
      const rows = await db.selectFrom('robot_runs').selectAll().where('member_id', '=', memberId).where('id', 'in', part).execute()
      out.push(...rows.map(toRun))
    }
    return out.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
  }

  return {
    async insert(run, now) {
      const values = {
        id: randomUUID(),
        member_id: run.memberId,
        robot_code: run.robotCode,
        workflow_id: run.workflowId,
        event_token_hash: run.eventTokenHash,
        event_token: box.seal(run.eventToken),
        document: run.documentId[2] ?? run.documentId.join(':'),
        document_id: toJsonText(run.documentId),
        document_type: toJsonText(run.documentType),
        properties: toJsonText(run.properties),
        use_subscription: run.useSubscription ? 1 : 0,
        auth_user_id: run.authUserId,
        email: run.email,
        user_id: null,
        state: 'received' as const,
        reply_state: (run.useSubscription ? 'pending' : 'none') as RobotReplyState,
        // Not due before a decision: decide() sets the time.
        reply_next_at: null,
        portal_timeout_at: run.portalTimeoutAt,
        created_at: now,
        updated_at: now,
      }
      const inserted = await db
        .insertInto('robot_runs')
        .values(values)
        .onConflict((oc) => oc.columns(['member_id', 'workflow_id', 'event_token_hash']).doNothing())
        .returningAll()
        .executeTakeFirst()
      if (inserted) return { run: toRun(inserted), duplicate: false }
      const existing = await db
        .selectFrom('robot_runs')
        .selectAll()
        .where('member_id', '=', run.memberId)
        .where('workflow_id', '=', run.workflowId)
        .where('event_token_hash', '=', run.eventTokenHash)
        .executeTakeFirstOrThrow()
      return { run: toRun(existing), duplicate: true }
    },

    async get(memberId, id) {
      const row = await db.selectFrom('robot_runs').selectAll().where('member_id', '=', memberId).where('id', '=', id).executeTakeFirst()
      return row ? toRun(row) : undefined
    },

    async list(memberId, filter, page) {
      let q = db.selectFrom('robot_runs').where('member_id', '=', memberId)
      if (filter.robotCode) q = q.where('robot_code', '=', filter.robotCode)
      if (filter.outcome === 'pending') q = q.where('outcome', 'is', null)
      else if (filter.outcome) q = q.where('outcome', '=', filter.outcome)
      const term = filter.search?.trim().toLowerCase()
      if (term) {
        const like = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
        q = q.where((eb) =>
          eb.or([
            eb(sql`lower(coalesce(email, ''))`, 'like', sql`${like} escape '\\'`),
            eb(sql`lower(document)`, 'like', sql`${like} escape '\\'`),
            eb(sql`lower(workflow_id)`, 'like', sql`${like} escape '\\'`),
          ]),
        )
      }
      const [rows, total] = await Promise.all([
        q.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
        q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
      ])
      return { rows: rows.map(toRun), total: Number(total.n) }
    },

    async membersToDispatch(staleBefore, limit) {
      const rows = await db
        .selectFrom('robot_runs')
        .select('member_id')
        .distinct()
        .where((eb) => eb.or([eb('state', '=', 'received'), eb.and([eb('state', '=', 'dispatching'), eb('updated_at', '<', staleBefore)])]))
        .orderBy('member_id')
        .limit(limit)
        .execute()
      return rows.map((r) => r.member_id)
    },

    async claimReceived(memberId, jobId, now, limit) {
      const candidates = await db
        .selectFrom('robot_runs')
        .select('id')
        .where('member_id', '=', memberId)
        .where('state', '=', 'received')
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit)
        .execute()
      if (candidates.length === 0) return []
      const ids = candidates.map((c) => c.id)
      // The state check makes the claim exclusive: a concurrent claimer's UPDATE finds them gone.
      for (const part of chunked(ids, IN_LIST_CHUNK)) {
        await db
          .updateTable('robot_runs')
          .set({ state: 'dispatching', job_id: jobId, updated_at: now })
          .where('member_id', '=', memberId)
          .where('state', '=', 'received')
          .where('id', 'in', part)
          .execute()
      }
      const rows = await db
        .selectFrom('robot_runs')
        .selectAll()
        .where('member_id', '=', memberId)
        .where('state', '=', 'dispatching')
        .where('job_id', '=', jobId)
        .orderBy('created_at')
        .orderBy('id')
        .execute()
      return rows.map(toRun)
    },

    async staleDispatching(memberId, staleBefore) {
      const rows = await db
        .selectFrom('robot_runs')
        .selectAll()
        .where('member_id', '=', memberId)
        .where('state', '=', 'dispatching')
        .where('updated_at', '<', staleBefore)
        .orderBy('created_at')
        .orderBy('id')
        .execute()
      return rows.map(toRun)
    },

    async release(memberId, ids, now) {
      for (const part of chunked(ids, IN_LIST_CHUNK)) {
        await db
          .updateTable('robot_runs')
          .set({ state: 'received', job_id: null, updated_at: now })
          .where('member_id', '=', memberId)
          .where('state', '=', 'dispatching')
          .where('id', 'in', part)
          .execute()
      }
    },

    async markQueued(memberId, jobId, seqs, now) {
      if (seqs.length === 0) return
      await db.transaction().execute(async (trx) => {
        for (const { id, seq } of seqs) {
          await trx
            .updateTable('robot_runs')
            .set({ state: 'queued', job_id: jobId, job_seq: seq, admitted_at: now, updated_at: now })
            .where('member_id', '=', memberId)
            .where('id', '=', id)
            .where('state', '=', 'dispatching')
            .execute()
        }
      })
    },

    async markWaiting(memberId, id, wait, now) {
      const r = await db
        .updateTable('robot_runs')
        .set({ state: 'waiting', job_id: null, email: wait.email, user_id: wait.userId, wait_until: wait.waitUntil, updated_at: now })
        .where('member_id', '=', memberId)
        .where('id', '=', id)
        .where('state', '=', 'dispatching')
        .executeTakeFirst()
      return Number(r.numUpdatedRows) > 0
    },

    async decide(memberId, id, from, d, now) {
      if (from.length === 0) return false
      const r = await db
        .updateTable('robot_runs')
        .set((eb) => ({
          state: 'done',
          outcome: d.outcome,
          ...(d.userId !== undefined ? { user_id: d.userId } : {}),
          error_text: d.errorText ? d.errorText.slice(0, MAX_TEXT) : null,
          return_values: toJsonText(d.returnValues),
          reply_next_at: eb.case().when('reply_state', '=', 'pending').then(now).else(null).end(),
          // A run decided without a send keeps no job id (the claim stamped one on it, maybe never created).
          job_id: sql<string | null>`case when job_seq is null then null else job_id end`,
          decided_at: now,
          updated_at: now,
        }))
        .where('member_id', '=', memberId)
        .where('id', '=', id)
        .where('state', 'in', from)
        .executeTakeFirst()
      return Number(r.numUpdatedRows) > 0
    },

    async admittedSince(memberId, since) {
      const r = await db
        .selectFrom('robot_runs')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('member_id', '=', memberId)
        .where('admitted_at', '>=', since)
        .executeTakeFirstOrThrow()
      return Number(r.n)
    },

    async settledQueued(limit) {
      const rows = await db
        .selectFrom('robot_runs as r')
        .innerJoin('invite_job_items as i', (j) => j.onRef('i.job_id', '=', 'r.job_id').onRef('i.seq', '=', 'r.job_seq'))
        .selectAll('r')
        .select(['i.state as item_state', 'i.user_id as item_user_id', 'i.error_code as item_error_code', 'i.error_message as item_error_message', 'i.payload as item_payload'])
        .where('r.state', '=', 'queued')
        .where('i.state', 'in', ['invited', 'skipped', 'failed'])
        .orderBy('r.created_at')
        .orderBy('r.id')
        .limit(limit)
        .execute()
      return rows.map((row) => ({
        run: toRun(row),
        item: {
          state: row.item_state as SettledRun['item']['state'],
          userId: row.item_user_id === null ? null : Number(row.item_user_id),
          errorCode: row.item_error_code,
          errorMessage: row.item_error_message,
          groupInvite: !!parseJsonObject<Record<string, unknown>>(row.item_payload, {}).groupInvite,
        },
      }))
    },

    async waitingFor(memberId, who) {
      if (who.userId === null && !who.email) return []
      const rows = await db
        .selectFrom('robot_runs')
        .selectAll()
        .where('member_id', '=', memberId)
        .where('state', '=', 'waiting')
        .where((eb) => {
          const any = []
          if (who.userId !== null) any.push(eb('user_id', '=', who.userId))
          if (who.email) any.push(eb('email', '=', who.email.trim().toLowerCase()))
          return eb.or(any)
        })
        .orderBy('created_at')
        .execute()
      return rows.map(toRun)
    },

    async dueWaits(now, limit) {
      const rows = await db
        .selectFrom('robot_runs')
        .selectAll()
        .where('state', '=', 'waiting')
        .where('wait_until', '<=', now)
        .orderBy('wait_until')
        .orderBy('id')
        .limit(limit)
        .execute()
      return rows.map(toRun)
    },

    async membersWithReplies(now, staleBefore, limit) {
      const rows = await db
        .selectFrom('robot_runs')
        .select('member_id')
        .distinct()
        .where((eb) => replyDue(eb, now, staleBefore))
        .orderBy('member_id')
        .limit(limit)
        .execute()
      return rows.map((r) => r.member_id)
    },

    async claimReplies(memberId, now, staleBefore, limit) {
      const candidates = await db
        .selectFrom('robot_runs')
        .select(['id', 'reply_state', 'reply_claimed_at'])
        .where('member_id', '=', memberId)
        .where((eb) => replyDue(eb, now, staleBefore))
        .orderBy('reply_next_at')
        .orderBy('id')
        .limit(limit)
        .execute()
      const claimed: string[] = []
      for (const c of candidates) {
        // Per row, with the state it was read in: two senders never both take one reply.
        const r = await db
          .updateTable('robot_runs')
          .set((eb) => ({ reply_state: 'sending', reply_claimed_at: now, reply_attempts: eb('reply_attempts', '+', 1), updated_at: now }))
          .where('member_id', '=', memberId)
          .where('id', '=', c.id)
          .where('reply_state', '=', c.reply_state)
          .where((eb) => (c.reply_claimed_at === null ? eb('reply_claimed_at', 'is', null) : eb('reply_claimed_at', '=', c.reply_claimed_at)))
          .executeTakeFirst()
        if (Number(r.numUpdatedRows) > 0) claimed.push(c.id)
      }
      return byIds(memberId, claimed)
    },

    async finishReply(memberId, id, r, now) {
      await db
        .updateTable('robot_runs')
        .set({
          reply_state: r.state,
          reply_error: r.error ? r.error.slice(0, MAX_TEXT) : null,
          reply_next_at: r.state === 'pending' ? (r.nextAt ?? now) : null,
          ...(r.state === 'sent' ? { replied_at: now } : {}),
          updated_at: now,
        })
        .where('member_id', '=', memberId)
        .where('id', '=', id)
        .where('reply_state', '=', 'sending')
        .execute()
    },

    async countsSince(memberId, since) {
      const rows = await db
        .selectFrom('robot_runs')
        .select(['robot_code', 'outcome', (eb) => eb.fn.countAll().as('n')])
        .where('member_id', '=', memberId)
        .where('created_at', '>=', since)
        .groupBy(['robot_code', 'outcome'])
        .execute()
      const out: Record<string, RobotRunCounts> = {}
      for (const r of rows) {
        const c = (out[r.robot_code] ??= { total: 0, succeeded: 0, failed: 0, waiting: 0, notAccepted: 0 })
        const n = Number(r.n)
        c.total += n
        const o = r.outcome as RobotOutcome | null
        if (o === null) c.waiting += n
        else if (o === 'failed') c.failed += n
        else if (o === 'not_accepted') c.notAccepted += n
        else if (SUCCEEDED.includes(o)) c.succeeded += n
      }
      return out
    },
  }
}
