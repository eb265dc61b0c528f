import type { AppDatabase } from './database.js'

/**
 * A portal's scheduled pass held by one instance at a time: a lease row per (portal, task) that lapses when
 * its holder stops (dies) without releasing it. Whoever holds it re-reads what is due, so a pass another
 * instance just finished finds nothing left.
 */
export interface PortalTasks {
  /** Takes (or renews) the task for `owner` until now + ttl; false while another owner holds it. */
  claim(memberId: string, task: string, owner: string, now: number, ttlMs: number): Promise<boolean>
  release(memberId: string, task: string, owner: string): Promise<void>
}

export function createPortalTasks(app: AppDatabase): PortalTasks {
  const { db } = app
  return {
    async claim(memberId, task, owner, now, ttlMs) {
      const row = await db
        .insertInto('portal_tasks')
        .values({ member_id: memberId, task, owner, until: now + ttlMs })
        .onConflict((oc) => oc.columns(['member_id', 'task']).doUpdateSet({ owner, until: now + ttlMs }).where((eb) => eb.or([eb('portal_tasks.owner', '=', owner), eb('portal_tasks.until', '<=', now)])))
        .returning('owner')
        .executeTakeFirst()
      return row?.owner === owner
    },
    async release(memberId, task, owner) {
      await db.deleteFrom('portal_tasks').where('member_id', '=', memberId).where('task', '=', task).where('owner', '=', owner).execute()
    },
  }
}
