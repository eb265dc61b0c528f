import { randomUUID } from 'node:crypto'
import { sql, type ExpressionBuilder, type Insertable, type Kysely, type Selectable } from 'kysely'
import { chunked, IN_LIST_CHUNK, rowsPerInsert } from './batch.js'
import type { AppDatabase } from './database.js'
import { parseJsonObject, toJsonText } from './json-column.js'
import type { InviteJobItemsTable, InviteJobsTable, Schema } from './schema.js'

export type JobStatus = 'queued' | 'running' | 'paused' | 'cancelled' | 'completed'
export type ItemState = 'queued' | 'sending' | 'invited' | 'skipped' | 'failed'
export type JobSource = 'wizard' | 'group_tab' | 'robot' | 'join_link'

export interface JobTotals {
  total: number
  queued: number
  sending: number
  invited: number
  skipped: number
  failed: number
}

export interface Job {
  /** UUID. */
  id: string
  memberId: string
  kind: 'bulk_invite'
  source: JobSource
  createdBy: number | null
  templateId: string | null
  title: string
  status: JobStatus
  /** Derived from the items on every read (GROUP BY state), never a stored counter. */
  totals: JobTotals
  options: Record<string, unknown>
  createdAt: number
  startedAt: number | null
  finishedAt: number | null
  updatedAt: number
}

export interface JobItem {
  jobId: string
  /** 1..n, the row order. */
  seq: number
  memberId: string
  state: ItemState
  email: string | null
  phone: string | null
  /** What to send (user.add fields etc.). */
  payload: Record<string, unknown>
  /** Sends started (markSending calls), retries included. */
  attempts: number
  nextAttemptAt: number | null
  errorCode: string | null
  errorMessage: string | null
  userId: number | null
  sendingSince: number | null
  updatedAt: number
}

export interface NewJob {
  /** A caller that must know the id before the job exists (robots claim their runs under it first); a UUID. */
  id?: string
  memberId: string
  kind: 'bulk_invite'
  source: JobSource
  createdBy: number | null
  templateId: string | null
  title: string
  options: Record<string, unknown>
}

export interface NewJobItem {
  email: string | null
  phone: string | null
  payload: Record<string, unknown>
  /** 'queued' by default; 'skipped' (or 'failed') for rows excluded up front. 'sending' and 'invited' are refused. */
  state?: ItemState
  errorCode?: string | null
  errorMessage?: string | null
}

export interface ItemOutcome {
  seq: number
  /** 'queued' puts the item back for a retry from nextAttemptAt (null: at once). */
  state: 'invited' | 'skipped' | 'failed' | 'queued'
  /** Omitted: the stored userId is kept. */
  userId?: number | null
  errorCode?: string | null
  errorMessage?: string | null
  nextAttemptAt?: number | null
}

export interface JobStore {
  /** One transaction: the job (status 'queued') and all its items, seq 1..n in the given order, in multi-row INSERTs sized under both backends' parameter limits. */
  create(job: NewJob, items: NewJobItem[]): Promise<Job>
  /** undefined for an unknown id or another portal's job. */
  get(memberId: string, id: string): Promise<Job | undefined>
  /** Newest first (createdAt, then id); beforeCreatedAt is an exclusive cursor. */
  list(memberId: string, opts: { limit: number; beforeCreatedAt?: number }): Promise<Job[]>
  /** Compare-and-set: only when the current status ∈ from. Sets startedAt on the first 'running', finishedAt on 'completed'/'cancelled' (cleared on any other status). */
  setStatus(memberId: string, id: string, from: JobStatus[], to: JobStatus): Promise<boolean>
  /** GROUP BY state over the items, served by the (job_id, state, seq) index. All zero for an unknown job. */
  totals(jobId: string): Promise<JobTotals>
  /** By seq; afterSeq is an exclusive cursor. Empty for another portal's job. */
  items(memberId: string, jobId: string, q: { states?: ItemState[]; limit: number; afterSeq?: number }): Promise<JobItem[]>
  /** Next items to send: state 'queued' and (nextAttemptAt null or ≤ now), by seq. */
  due(jobId: string, nowMs: number, limit: number): Promise<JobItem[]>
  /** queued → sending for exactly these seqs (only those still queued and not being claimed concurrently); attempts + 1, sendingSince = now. Returns the seqs moved, ascending. */
  markSending(jobId: string, seqs: number[], nowMs: number): Promise<number[]>
  /** sending → outcome, in one transaction, only for items currently 'sending'; others are left alone. */
  settle(jobId: string, outcomes: ItemOutcome[], nowMs: number): Promise<void>
  /** Items left in 'sending' (crash), by seq: reconcile them against the portal before any retry. */
  inFlight(jobId: string): Promise<JobItem[]>
  /** failed → queued (attempts kept, errors and nextAttemptAt cleared); returns how many. The job's status is not changed. */
  requeueFailed(memberId: string, jobId: string): Promise<number>
  /** queued → skipped (errorCode 'cancelled') for a cancelled job, so every row ends terminal; returns how many. Items in 'sending' are left to their send. */
  skipQueued(memberId: string, jobId: string, errorMessage: string): Promise<number>
  /**
   * The portal's jobs a worker has to look at, oldest first: every 'running' job, and paused or cancelled
   * jobs that still have items in 'sending' (a crash or a lost answer left them; only reconcile settles them).
   */
  runnable(memberId: string): Promise<Job[]>
  /** Items that went through a send (attempts > 0) and settled (invited, skipped, failed) at or after sinceMs: the job's recent pace. */
  settledSince(jobId: string, sinceMs: number): Promise<number>
}

const INITIAL_STATES: ReadonlySet<ItemState> = new Set(['queued', 'skipped', 'failed'])
const OUTCOME_STATES: ReadonlySet<ItemOutcome['state']> = new Set(['invited', 'skipped', 'failed', 'queued'])
/** Columns written per item by create(); the rest take their defaults. */
const ITEM_INSERT_COLUMNS = 10
// Portal error bodies can be long; an item keeps enough to show and diagnose.
const MAX_ERROR_MESSAGE = 2_000

type Executor = Kysely<Schema>

/** The job has an item in 'sending' (served by the (job_id, state, seq) index). */
export const hasInFlight = (eb: ExpressionBuilder<Schema, 'invite_jobs'>) =>
  eb.exists(eb.selectFrom('invite_job_items').select('invite_job_items.seq').whereRef('invite_job_items.job_id', '=', 'invite_jobs.id').where('invite_job_items.state', '=', 'sending'))

const emptyTotals = (): JobTotals => ({ total: 0, queued: 0, sending: 0, invited: 0, skipped: 0, failed: 0 })

export function createJobStore(app: AppDatabase, clock: () => number = Date.now): JobStore {
  const { db, dialect } = app

  const toItem = (row: Selectable<InviteJobItemsTable>): JobItem => ({
    jobId: row.job_id,
    seq: row.seq,
    memberId: row.member_id,
    state: row.state,
    email: row.email,
    phone: row.phone,
    payload: parseJsonObject<Record<string, unknown>>(row.payload, {}),
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    userId: row.user_id,
    sendingSince: row.sending_since,
    updatedAt: row.updated_at,
  })

  const toJob = (row: Selectable<InviteJobsTable>, totals: JobTotals): Job => ({
    id: row.id,
    memberId: row.member_id,
    kind: row.kind,
    source: row.source,
    createdBy: row.created_by,
    templateId: row.template_id,
    title: row.title,
    status: row.status,
    totals,
    options: parseJsonObject<Record<string, unknown>>(row.options, {}),
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    updatedAt: row.updated_at,
  })

  /** Totals of several jobs in one grouped query. */
  const totalsOf = async (executor: Executor, jobIds: string[]): Promise<Map<string, JobTotals>> => {
    const result = new Map<string, JobTotals>(jobIds.map((id) => [id, emptyTotals()]))
    if (jobIds.length === 0) return result
    const rows = await executor
      .selectFrom('invite_job_items')
      .select((eb) => ['job_id', 'state', eb.fn.countAll<number>().as('n')])
      .where('job_id', 'in', jobIds)
      .groupBy(['job_id', 'state'])
      .execute()
    for (const row of rows) {
      const totals = result.get(row.job_id)
      if (!totals) continue
      const n = Number(row.n)
      totals[row.state] += n
      totals.total += n
    }
    return result
  }

  const withTotals = async (executor: Executor, rows: Selectable<InviteJobsTable>[]): Promise<Job[]> => {
    const totals = await totalsOf(executor, rows.map((r) => r.id))
    return rows.map((row) => toJob(row, totals.get(row.id) ?? emptyTotals()))
  }

  const itemsWhere = (jobId: string) => db.selectFrom('invite_job_items').selectAll().where('job_id', '=', jobId)

  return {
    async create(job, items) {
      for (const [i, item] of items.entries()) {
        const state = item.state ?? 'queued'
        if (!INITIAL_STATES.has(state)) throw new RangeError(`job item ${i + 1}: a new item cannot start as '${state}'`)
      }
      const now = clock()
      const id = job.id ?? randomUUID()
      return db.transaction().execute(async (trx) => {
        const jobRow = await trx
          .insertInto('invite_jobs')
          .values({
            id,
            member_id: job.memberId,
            kind: job.kind,
            source: job.source,
            created_by: job.createdBy,
            template_id: job.templateId,
            title: job.title,
            status: 'queued',
            options: toJsonText(job.options),
            created_at: now,
            started_at: null,
            finished_at: null,
            updated_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow()
        // Rows (and their payload JSON) are built one statement's worth at a time: 100,000 payloads as JSON
        // text at once would be far more memory than the items themselves.
        const size = rowsPerInsert(dialect, ITEM_INSERT_COLUMNS)
        for (let from = 0; from < items.length; from += size) {
          const chunk: Insertable<InviteJobItemsTable>[] = items.slice(from, from + size).map((item, k) => ({
            job_id: id,
            seq: from + k + 1,
            member_id: job.memberId,
            state: item.state ?? 'queued',
            email: item.email,
            phone: item.phone,
            payload: toJsonText(item.payload),
            error_code: item.errorCode ?? null,
            error_message: item.errorMessage == null ? null : item.errorMessage.slice(0, MAX_ERROR_MESSAGE),
            updated_at: now,
          }))
          await trx.insertInto('invite_job_items').values(chunk).execute()
        }
        const [created] = await withTotals(trx, [jobRow])
        return created!
      })
    },

    async get(memberId, id) {
      const row = await db
        .selectFrom('invite_jobs')
        .selectAll()
        .where('member_id', '=', memberId)
        .where('id', '=', id)
        .executeTakeFirst()
      if (!row) return undefined
      const [job] = await withTotals(db, [row])
      return job
    },

    async list(memberId, opts) {
      if (opts.limit <= 0) return []
      const rows = await db
        .selectFrom('invite_jobs')
        .selectAll()
        .where('member_id', '=', memberId)
        .$if(opts.beforeCreatedAt !== undefined, (qb) => qb.where('created_at', '<', opts.beforeCreatedAt!))
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(opts.limit)
        .execute()
      return withTotals(db, rows)
    },

    async setStatus(memberId, id, from, to) {
      if (from.length === 0) return false
      const now = clock()
      const terminal = to === 'completed' || to === 'cancelled'
      const result = await db
        .updateTable('invite_jobs')
        .set((eb) => ({
          status: to,
          updated_at: now,
          started_at: to === 'running' ? sql<number>`coalesce(${eb.ref('started_at')}, ${now})` : eb.ref('started_at'),
          finished_at: terminal ? now : null,
        }))
        .where('member_id', '=', memberId)
        .where('id', '=', id)
        .where('status', 'in', from)
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    },

    async totals(jobId) {
      return (await totalsOf(db, [jobId])).get(jobId) ?? emptyTotals()
    },

    async items(memberId, jobId, q) {
      if (q.limit <= 0 || (q.states !== undefined && q.states.length === 0)) return []
      const rows = await itemsWhere(jobId)
        .where('member_id', '=', memberId)
        .$if(q.states !== undefined, (qb) => qb.where('state', 'in', q.states!))
        .$if(q.afterSeq !== undefined, (qb) => qb.where('seq', '>', q.afterSeq!))
        .orderBy('seq')
        .limit(q.limit)
        .execute()
      return rows.map(toItem)
    },

    async due(jobId, nowMs, limit) {
      if (limit <= 0) return []
      const rows = await itemsWhere(jobId)
        .where('state', '=', 'queued')
        .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', nowMs)]))
        .orderBy('seq')
        .limit(limit)
        .execute()
      return rows.map(toItem)
    },

    async markSending(jobId, seqs, nowMs) {
      const moved: number[] = []
      for (const chunk of chunked([...new Set(seqs)], IN_LIST_CHUNK)) {
        // Same shape as EventInbox.claim: pick in a materialised CTE, then update. On PostgreSQL
        // SKIP LOCKED makes a concurrent markSending of overlapping seqs pass over rows the other
        // is moving (no waiting, no lock-order deadlock); the outer state check then ensures each
        // seq moves once. SQLite runs the statement under its single writer lock.
        const rows = await db
          .with(
            (cte) => cte('picked').materialized(),
            (qb) =>
              qb
                .selectFrom('invite_job_items')
                .select('seq')
                .where('job_id', '=', jobId)
                .where('seq', 'in', chunk)
                .where('state', '=', 'queued')
                .orderBy('seq')
                .$if(dialect === 'postgres', (q) => q.forUpdate().skipLocked()),
          )
          .updateTable('invite_job_items')
          .set((eb) => ({
            state: 'sending',
            attempts: eb('attempts', '+', 1),
            sending_since: nowMs,
            updated_at: nowMs,
          }))
          .where('job_id', '=', jobId)
          .where('state', '=', 'queued')
          .where('seq', 'in', (eb) => eb.selectFrom('picked').select('picked.seq'))
          .returning('seq')
          .execute()
        for (const row of rows) moved.push(row.seq)
      }
      return moved.sort((a, b) => a - b)
    },

    async settle(jobId, outcomes, nowMs) {
      for (const o of outcomes) {
        if (!OUTCOME_STATES.has(o.state)) throw new RangeError(`item ${o.seq}: cannot settle to '${String(o.state)}'`)
      }
      if (outcomes.length === 0) return
      await db.transaction().execute(async (trx) => {
        for (const o of outcomes) {
          await trx
            .updateTable('invite_job_items')
            .set({
              state: o.state,
              ...(o.userId !== undefined ? { user_id: o.userId } : {}),
              error_code: o.errorCode ?? null,
              error_message: o.errorMessage == null ? null : o.errorMessage.slice(0, MAX_ERROR_MESSAGE),
              next_attempt_at: o.state === 'queued' ? (o.nextAttemptAt ?? null) : null,
              sending_since: null,
              updated_at: nowMs,
            })
            .where('job_id', '=', jobId)
            .where('seq', '=', o.seq)
            .where('state', '=', 'sending')
            .execute()
        }
      })
    },

    async inFlight(jobId) {
      const rows = await itemsWhere(jobId).where('state', '=', 'sending').orderBy('seq').execute()
      return rows.map(toItem)
    },

    async requeueFailed(memberId, jobId) {
      const result = await db
        .updateTable('invite_job_items')
        .set({ state: 'queued', error_code: null, error_message: null, next_attempt_at: null, updated_at: clock() })
        .where('job_id', '=', jobId)
        .where('member_id', '=', memberId)
        .where('state', '=', 'failed')
        .executeTakeFirst()
      return Number(result.numUpdatedRows)
    },

    async runnable(memberId) {
      const rows = await db
        .selectFrom('invite_jobs')
        .selectAll()
        .where('member_id', '=', memberId)
        .where((eb) => eb.or([eb('status', '=', 'running'), eb.and([eb('status', 'in', ['paused', 'cancelled']), hasInFlight(eb)])]))
        .orderBy('created_at')
        .orderBy('id')
        .execute()
      return withTotals(db, rows)
    },

    async skipQueued(memberId, jobId, errorMessage) {
      const result = await db
        .updateTable('invite_job_items')
        .set({ state: 'skipped', error_code: 'cancelled', error_message: errorMessage.slice(0, MAX_ERROR_MESSAGE), next_attempt_at: null, updated_at: clock() })
        .where('job_id', '=', jobId)
        .where('member_id', '=', memberId)
        .where('state', '=', 'queued')
        .executeTakeFirst()
      return Number(result.numUpdatedRows)
    },

    async settledSince(jobId, sinceMs) {
      const row = await db
        .selectFrom('invite_job_items')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('job_id', '=', jobId)
        .where('state', 'in', ['invited', 'skipped', 'failed'])
        .where('attempts', '>', 0)
        .where('updated_at', '>=', sinceMs)
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },
  }
}
