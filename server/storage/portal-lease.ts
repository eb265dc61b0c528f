import type { AppDatabase } from './database.js'
import { hasInFlight } from './job-store.js'

/** One worker per portal at a time: the holder of a portal's lease is the only one sending its invites. */
export interface PortalLeases {
  /**
   * Members whose lease is free, expired or `owner`'s own and that have a 'running' job, or a paused/cancelled
   * one with items in 'sending' (JobStore.runnable): candidates for a worker, the portal with the oldest such
   * job first. Its own: a worker that could not release a lease (the database was gone) takes its portals up
   * again at once instead of waiting out its own lease.
   */
  candidates(nowMs: number, limit: number, owner?: string): Promise<string[]>
  /** Take or renew until nowMs + ttlMs: succeeds if free, expired (lease_until ≤ now), or already ours. Two concurrent acquirers → exactly one wins. */
  acquire(memberId: string, owner: string, nowMs: number, ttlMs: number): Promise<boolean>
  /** Frees the lease if `owner` holds it (expired or not); otherwise does nothing. */
  release(memberId: string, owner: string): Promise<void>
  /** The owner of the unexpired lease, or null. */
  holder(memberId: string, nowMs: number): Promise<string | null>
}

export function createPortalLeases(app: AppDatabase): PortalLeases {
  const { db } = app

  return {
    async candidates(nowMs, limit, owner) {
      if (limit <= 0) return []
      const rows = await db
        .selectFrom('invite_jobs')
        .select('invite_jobs.member_id')
        .where((eb) => eb.or([eb('invite_jobs.status', '=', 'running'), eb.and([eb('invite_jobs.status', 'in', ['paused', 'cancelled']), hasInFlight(eb)])]))
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('portal_leases')
                .select('portal_leases.member_id')
                .whereRef('portal_leases.member_id', '=', 'invite_jobs.member_id')
                .where('portal_leases.lease_until', '>', nowMs)
                .$if(owner !== undefined, (q) => q.where('portal_leases.owner', '!=', owner!)),
            ),
          ),
        )
        .groupBy('invite_jobs.member_id')
        .orderBy((eb) => eb.fn.min('invite_jobs.created_at'))
        .orderBy('invite_jobs.member_id')
        .limit(limit)
        .execute()
      return rows.map((r) => r.member_id)
    },

    async acquire(memberId, owner, nowMs, ttlMs) {
      // One conditional upsert on both backends. A concurrent first insert makes the other wait on
      // the unique index and then take the ON CONFLICT branch, whose WHERE is evaluated against the
      // committed row (PostgreSQL locks it; SQLite serialises writers): exactly one contender wins.
      const row = await db
        .insertInto('portal_leases')
        .values({ member_id: memberId, owner, lease_until: nowMs + ttlMs, acquired_at: nowMs })
        .onConflict((oc) =>
          oc
            .column('member_id')
            .doUpdateSet((eb) => ({
              owner: eb.ref('excluded.owner'),
              lease_until: eb.ref('excluded.lease_until'),
              // A renewal keeps the time the lease was first taken.
              acquired_at: eb
                .case()
                .when('portal_leases.owner', '=', owner)
                .then(eb.ref('portal_leases.acquired_at'))
                .else(eb.ref('excluded.acquired_at'))
                .end(),
            }))
            .where((eb) => eb.or([eb('portal_leases.owner', '=', owner), eb('portal_leases.lease_until', '<=', nowMs)])),
        )
        .returning('owner')
        .executeTakeFirst()
      return row !== undefined
    },

    async release(memberId, owner) {
      await db.deleteFrom('portal_leases').where('member_id', '=', memberId).where('owner', '=', owner).execute()
    },

    async holder(memberId, nowMs) {
      const row = await db
        .selectFrom('portal_leases')
        .select('owner')
        .where('member_id', '=', memberId)
        .where('lease_until', '>', nowMs)
        .executeTakeFirst()
      return row?.owner ?? null
    },
  }
}
