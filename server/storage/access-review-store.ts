import { randomUUID } from 'node:crypto'
import type { Insertable, Selectable } from 'kysely'
import { chunked, isUniqueViolation, parseIntArray, rowsPerInsert } from './batch.js'
import type { AppDatabase } from './database.js'
import { toJsonText } from './json-column.js'
import type { AccessReviewItemsTable, AccessReviewsTable } from './schema.js'

export type ReviewDecision = 'keep' | 'end'
export type ReviewOutcome = 'kept' | 'ended' | 'failed'

export interface AccessReview {
  id: string
  memberId: string
  status: 'open' | 'closed'
  /** null: started by the schedule. */
  startedBy: number | null
  startedAt: number
  dueAt: number
  closedAt: number | null
  unanswered: ReviewDecision
  /** null: every collab. */
  collabIds: number[] | null
}

export interface AccessReviewItem {
  id: string
  reviewId: string
  collabId: number
  userId: number
  /** The guest's state when the review started. */
  state: string
  sponsorId: number | null
  sponsorSource: 'ledger' | 'owner'
  decision: ReviewDecision | null
  decidedBy: number | null
  decidedAt: number | null
  reason: string | null
  outcome: ReviewOutcome | null
  outcomeError: string | null
}

export interface NewReviewItem {
  collabId: number
  userId: number
  state: string
  sponsorId: number | null
  sponsorSource: 'ledger' | 'owner'
}

export interface ReviewCounts {
  total: number
  kept: number
  ended: number
  /** No decision yet. */
  pending: number
}

export interface AccessReviewStore {
  /** The review and all its items in one transaction. Throws ReviewOpenError while the portal has an open review. */
  create(review: Omit<AccessReview, 'id' | 'status' | 'closedAt'>, items: NewReviewItem[]): Promise<AccessReview>
  get(memberId: string, id: string): Promise<AccessReview | undefined>
  /** Newest first. */
  list(memberId: string, limit: number): Promise<AccessReview[]>
  /** True while the portal has an open review. */
  hasOpen(memberId: string): Promise<boolean>
  items(memberId: string, reviewId: string, opts?: { sponsorId?: number }): Promise<AccessReviewItem[]>
  item(memberId: string, reviewId: string, itemId: string): Promise<AccessReviewItem | undefined>
  /** Decided counts per review; `sponsorId` also counts that sponsor's own items (mine). */
  counts(memberId: string, reviewIds: string[], sponsorId?: number): Promise<Map<string, { all: ReviewCounts; mine: ReviewCounts }>>
  /**
   * Compare-and-set: records the decision while the review is open and the item has no outcome yet (a
   * decision may be changed until then). False otherwise.
   */
  decide(memberId: string, reviewId: string, itemId: string, decision: ReviewDecision, by: number, at: number, reason: string | null): Promise<boolean>
  /** Compare-and-set on a missing outcome: the first caller records it, and only it acts on it. */
  claimOutcome(memberId: string, itemId: string, outcome: ReviewOutcome, error: string | null): Promise<boolean>
  /** Overwrites an outcome (a claimed 'ended' that then failed becomes 'failed'). */
  setOutcome(memberId: string, itemId: string, outcome: ReviewOutcome, error: string | null): Promise<void>
  /** Compare-and-set open → closed. */
  close(memberId: string, id: string, at: number): Promise<boolean>
  /** Open reviews past their due time, across portals. */
  due(now: number, limit: number): Promise<AccessReview[]>
  /** Open reviews' undecided items of a sponsor (for the "you have N to review" banner). */
  pendingFor(memberId: string, sponsorId: number): Promise<Array<{ reviewId: string; pending: number }>>
  /** Last review started for the portal (the schedule starts the next one from it). */
  latest(memberId: string): Promise<AccessReview | undefined>
}

const ITEM_COLUMNS = 15

/** The portal already has an open review (one at a time). */
export class ReviewOpenError extends Error {
  constructor() {
    super('An access review is already open')
  }
}
const emptyCounts = (): ReviewCounts => ({ total: 0, kept: 0, ended: 0, pending: 0 })

export function createAccessReviewStore(app: AppDatabase): AccessReviewStore {
  const { db, dialect } = app

  const toReview = (r: Selectable<AccessReviewsTable>): AccessReview => ({
    id: r.id,
    memberId: r.member_id,
    status: r.status,
    startedBy: r.started_by === null ? null : Number(r.started_by),
    startedAt: Number(r.started_at),
    dueAt: Number(r.due_at),
    closedAt: r.closed_at === null ? null : Number(r.closed_at),
    unanswered: r.unanswered,
    collabIds: r.collab_ids === null ? null : parseIntArray(r.collab_ids),
  })
  const toItem = (r: Selectable<AccessReviewItemsTable>): AccessReviewItem => ({
    id: r.id,
    reviewId: r.review_id,
    collabId: Number(r.collab_id),
    userId: Number(r.user_id),
    state: r.state,
    sponsorId: r.sponsor_id === null ? null : Number(r.sponsor_id),
    sponsorSource: r.sponsor_source,
    decision: r.decision,
    decidedBy: r.decided_by === null ? null : Number(r.decided_by),
    decidedAt: r.decided_at === null ? null : Number(r.decided_at),
    reason: r.reason,
    outcome: r.outcome,
    outcomeError: r.outcome_error,
  })

  return {
    async create(input, items) {
      const review: AccessReview = { ...input, id: randomUUID(), status: 'open', closedAt: null }
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('access_reviews').values({
          id: review.id, member_id: review.memberId, status: 'open', started_by: review.startedBy, started_at: review.startedAt,
          due_at: review.dueAt, closed_at: null, unanswered: review.unanswered, collab_ids: review.collabIds === null ? null : toJsonText(review.collabIds),
        }).execute()
        const rows: Insertable<AccessReviewItemsTable>[] = items.map((i) => ({
          id: randomUUID(), review_id: review.id, member_id: review.memberId, collab_id: i.collabId, user_id: i.userId, state: i.state,
          sponsor_id: i.sponsorId, sponsor_source: i.sponsorSource, decision: null, decided_by: null, decided_at: null, reason: null,
          outcome: null, outcome_error: null,
        }))
        for (const chunk of chunked(rows, rowsPerInsert(dialect, ITEM_COLUMNS))) await trx.insertInto('access_review_items').values(chunk).execute()
      }).catch((e: unknown) => {
        throw isUniqueViolation(e, { name: 'access_reviews_one_open', sqliteColumns: 'access_reviews.member_id' }) ? new ReviewOpenError() : e
      })
      return review
    },

    async get(memberId, id) {
      const r = await db.selectFrom('access_reviews').selectAll().where('member_id', '=', memberId).where('id', '=', id).executeTakeFirst()
      return r ? toReview(r) : undefined
    },

    async list(memberId, limit) {
      const rows = await db.selectFrom('access_reviews').selectAll().where('member_id', '=', memberId)
        .orderBy('started_at', 'desc').orderBy('id').limit(limit).execute()
      return rows.map(toReview)
    },

    async hasOpen(memberId) {
      const r = await db.selectFrom('access_reviews').select('id').where('member_id', '=', memberId).where('status', '=', 'open').limit(1).executeTakeFirst()
      return r !== undefined
    },

    async items(memberId, reviewId, opts = {}) {
      let q = db.selectFrom('access_review_items').selectAll().where('member_id', '=', memberId).where('review_id', '=', reviewId)
      if (opts.sponsorId !== undefined) q = q.where('sponsor_id', '=', opts.sponsorId)
      const rows = await q.orderBy('collab_id').orderBy('user_id').execute()
      return rows.map(toItem)
    },

    async item(memberId, reviewId, itemId) {
      const r = await db.selectFrom('access_review_items').selectAll()
        .where('member_id', '=', memberId).where('review_id', '=', reviewId).where('id', '=', itemId).executeTakeFirst()
      return r ? toItem(r) : undefined
    },

    async counts(memberId, reviewIds, sponsorId) {
      const out = new Map<string, { all: ReviewCounts; mine: ReviewCounts }>()
      for (const id of reviewIds) out.set(id, { all: emptyCounts(), mine: emptyCounts() })
      if (reviewIds.length === 0) return out
      const rows = await db.selectFrom('access_review_items')
        .select(['review_id', 'decision', 'sponsor_id', (eb) => eb.fn.countAll<string | number>().as('n')])
        .where('member_id', '=', memberId).where('review_id', 'in', reviewIds)
        .groupBy(['review_id', 'decision', 'sponsor_id']).execute()
      for (const r of rows) {
        const c = out.get(r.review_id)
        if (!c) continue
        const n = Number(r.n)
        const buckets = sponsorId !== undefined && r.sponsor_id !== null && Number(r.sponsor_id) === sponsorId ? [c.all, c.mine] : [c.all]
        for (const b of buckets) {
          b.total += n
          if (r.decision === 'keep') b.kept += n
          else if (r.decision === 'end') b.ended += n
          else b.pending += n
        }
      }
      return out
    },

    async decide(memberId, reviewId, itemId, decision, by, at, reason) {
      // One statement: a close landing between a check and the write cannot leave a decision on a closed review.
      const r = await db.updateTable('access_review_items').set({ decision, decided_by: by, decided_at: at, reason })
        .where('member_id', '=', memberId).where('review_id', '=', reviewId).where('id', '=', itemId).where('outcome', 'is', null)
        .where((eb) => eb.exists(eb.selectFrom('access_reviews').select('id').where('id', '=', reviewId).where('member_id', '=', memberId).where('status', '=', 'open')))
        .executeTakeFirst()
      return Number(r.numUpdatedRows) === 1
    },

    async claimOutcome(memberId, itemId, outcome, error) {
      const r = await db.updateTable('access_review_items').set({ outcome, outcome_error: error })
        .where('member_id', '=', memberId).where('id', '=', itemId).where('outcome', 'is', null).executeTakeFirst()
      return Number(r.numUpdatedRows) === 1
    },

    async setOutcome(memberId, itemId, outcome, error) {
      await db.updateTable('access_review_items').set({ outcome, outcome_error: error }).where('member_id', '=', memberId).where('id', '=', itemId).execute()
    },

    async close(memberId, id, at) {
      const r = await db.updateTable('access_reviews').set({ status: 'closed', closed_at: at })
        .where('member_id', '=', memberId).where('id', '=', id).where('status', '=', 'open').executeTakeFirst()
      return Number(r.numUpdatedRows) === 1
    },

    async due(now, limit) {
      const rows = await db.selectFrom('access_reviews').selectAll().where('status', '=', 'open').where('due_at', '<=', now)
        .orderBy('due_at').limit(limit).execute()
      return rows.map(toReview)
    },

    async pendingFor(memberId, sponsorId) {
      const rows = await db.selectFrom('access_review_items as i')
        .innerJoin('access_reviews as r', 'r.id', 'i.review_id')
        .select(['i.review_id', (eb) => eb.fn.countAll<string | number>().as('n')])
        .where('i.member_id', '=', memberId).where('i.sponsor_id', '=', sponsorId).where('i.decision', 'is', null).where('r.status', '=', 'open')
        .groupBy('i.review_id').execute()
      return rows.map((r) => ({ reviewId: r.review_id, pending: Number(r.n) }))
    },

    async latest(memberId) {
      const r = await db.selectFrom('access_reviews').selectAll().where('member_id', '=', memberId).orderBy('started_at', 'desc').limit(1).executeTakeFirst()
      return r ? toReview(r) : undefined
    },
  }
}
