import type { ExpressionBuilder } from 'kysely'
import type { AppDatabase } from './database.js'
import { groupCommit } from '../shared/group-commit.js'
import { parseJsonObject, toJsonText } from './json-column.js'
import type { EventInboxTable, Schema } from './schema.js'

export type InboxStatus = EventInboxTable['status']

export interface InboxItem {
  id: number
  memberId: string
  event: string
  payload: Record<string, unknown>
  receivedAt: number
  /** Deliveries so far, including the current claim. */
  attempts: number
}

export interface EventInbox {
  add(i: { memberId: string; event: string; payload: Record<string, unknown>; receivedAt: number }): Promise<number>
  /** Leases up to `limit` due items: pending ones whose next_attempt_at has come, and processing ones whose lease expired. Two concurrent claimers never get the same item. */
  claim(owner: string, nowMs: number, leaseMs: number, limit: number): Promise<InboxItem[]>
  /** Marks the item done; ignored unless `owner` holds its lease. */
  complete(id: number, owner: string): Promise<void>
  /** retryAtMs null gives up (status 'failed'); otherwise the item is pending again from retryAtMs. Ignored unless `owner` holds the lease. */
  fail(id: number, owner: string, error: string, retryAtMs: number | null): Promise<void>
  stats(memberId?: string): Promise<Record<InboxStatus, number>>
}

// Bitrix24 error bodies can be large; the inbox keeps enough to diagnose, not the whole response.
const MAX_ERROR_LENGTH = 2_000

export function createEventInbox(app: AppDatabase): EventInbox {
  const { db, dialect } = app

  const due = (nowMs: number) => (eb: ExpressionBuilder<Schema, 'event_inbox'>) =>
    eb.or([
      eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', nowMs)]),
      eb.and([eb('status', '=', 'processing'), eb('lease_until', '<=', nowMs)]),
    ])

  // Events arrive by the thousand a second at peaks, each to be stored before it is answered: the rows that
  // arrive while one insert is running go into the next one together (ids are assigned in VALUES order).
  const addGrouped = groupCommit(async (items: Array<{ memberId: string; event: string; payload: Record<string, unknown>; receivedAt: number }>) => {
    const rows = await db
      .insertInto('event_inbox')
      .values(items.map((i) => ({
        member_id: i.memberId, event: i.event, payload: toJsonText(i.payload), received_at: i.receivedAt, status: 'pending' as const, attempts: 0, next_attempt_at: i.receivedAt,
      })))
      .returning('id')
      .execute()
    return rows.map((r) => Number(r.id)).sort((a, b) => a - b)
  })

  return {
    add: addGrouped,

    async claim(owner, nowMs, leaseMs, limit) {
      if (limit <= 0) return []
      // One statement: pick due ids in a materialised CTE, then lease them. The CTE matters on
      // PostgreSQL: as a plain `id IN (subquery)` the planner may re-run the LIMIT subquery per
      // outer row, and since rows this statement already updated are invisible to FOR UPDATE, each
      // re-run picks fresh rows and the claim overshoots its limit. SKIP LOCKED lets concurrent
      // claimers pass over each other's picks instead of queueing on them. SQLite has no row locks
      // (FOR UPDATE is a syntax error there) but runs the statement under its single writer lock.
      const rows = await db
        .with(
          (cte) => cte('picked').materialized(),
          (qb) =>
            qb
              .selectFrom('event_inbox')
              .select('id')
              .where(due(nowMs))
              .orderBy('next_attempt_at')
              .orderBy('id')
              .limit(limit)
              .$if(dialect === 'postgres', (q) => q.forUpdate().skipLocked()),
        )
        .updateTable('event_inbox')
        .set((eb) => ({
          status: 'processing',
          lease_owner: owner,
          lease_until: nowMs + leaseMs,
          attempts: eb('attempts', '+', 1),
        }))
        .where('id', 'in', (eb) => eb.selectFrom('picked').select('picked.id'))
        .returning(['id', 'member_id', 'event', 'payload', 'received_at', 'attempts', 'next_attempt_at'])
        .execute()
      // RETURNING order is unspecified; hand items out in the order they were picked.
      rows.sort((a, b) => a.next_attempt_at - b.next_attempt_at || a.id - b.id)
      return rows.map((row) => ({
        id: row.id,
        memberId: row.member_id,
        event: row.event,
        payload: parseJsonObject<Record<string, unknown>>(row.payload, {}),
        receivedAt: row.received_at,
        attempts: row.attempts,
      }))
    },

    async complete(id, owner) {
      await db
        .updateTable('event_inbox')
        .set({ status: 'done', lease_owner: null, lease_until: null, last_error: null })
        .where('id', '=', id)
        .where('status', '=', 'processing')
        .where('lease_owner', '=', owner)
        .execute()
    },

    async fail(id, owner, error, retryAtMs) {
      await db
        .updateTable('event_inbox')
        .set((eb) => ({
          status: retryAtMs === null ? 'failed' : 'pending',
          next_attempt_at: retryAtMs ?? eb.ref('next_attempt_at'),
          lease_owner: null,
          lease_until: null,
          last_error: error.slice(0, MAX_ERROR_LENGTH),
        }))
        .where('id', '=', id)
        .where('status', '=', 'processing')
        .where('lease_owner', '=', owner)
        .execute()
    },

    async stats(memberId) {
      const rows = await db
        .selectFrom('event_inbox')
        .select((eb) => ['status', eb.fn.countAll<number>().as('count')])
        .$if(memberId !== undefined, (qb) => qb.where('member_id', '=', memberId!))
        .groupBy('status')
        .execute()
      const stats: Record<InboxStatus, number> = { pending: 0, processing: 0, done: 0, failed: 0 }
      for (const row of rows) stats[row.status] = Number(row.count)
      return stats
    },
  }
}
