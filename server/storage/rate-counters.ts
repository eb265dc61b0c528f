import { sql } from 'kysely'
import type { AppDatabase } from './database.js'

/**
 * Fixed-window counters in the database, so a limit holds across every instance behind the proxy. Keys are
 * the caller's (hashed where they would name a person, e.g. an IP address).
 */
export interface RateCounters {
  /** Counts one hit in the key's current window and answers the window's count, this hit included. */
  hit(key: string, windowMs: number, now: number): Promise<number>
  /** Drops windows that started before `before`; answers how many. */
  prune(before: number): Promise<number>
}

export function createRateCounters(app: AppDatabase): RateCounters {
  const { db } = app
  return {
    async hit(key, windowMs, now) {
      const windowStart = now - (now % windowMs)
      const row = await db
        .insertInto('rate_counters')
        .values({ key, window_start: windowStart, count: 1 })
        .onConflict((oc) => oc.columns(['key', 'window_start']).doUpdateSet({ count: sql<number>`rate_counters.count + 1` }))
        .returning('count')
        .executeTakeFirstOrThrow()
      return Number(row.count)
    },
    async prune(before) {
      const r = await db.deleteFrom('rate_counters').where('window_start', '<', before).executeTakeFirst()
      return Number(r.numDeletedRows)
    },
  }
}
