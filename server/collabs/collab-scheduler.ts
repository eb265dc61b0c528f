import type { Clock } from '../shared/clock.js'
import { AppError, errorText } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { CollabStore } from '../storage/collab-store.js'
import type { AccessReviews } from './access-reviews.js'
import type { CollabDigest } from './collab-digest.js'
import type { CollabSync } from './collab-sync.js'

const TICK_MS = 60_000
/** An incremental pass per portal each hour (sooner after an ONUSERADD); the sync itself goes full once a day. */
const SYNC_EVERY_MS = 60 * 60_000
const PORTALS_PER_TICK = 20

/**
 * Collab work on time: syncs, the daily digest, due and periodic access reviews. Each step is guarded per
 * portal in the database (the sync's claim, the digest's day, the review's compare-and-set), so several
 * instances running this together do each thing once.
 */
export function createCollabScheduler(deps: {
  sync: CollabSync
  digest: CollabDigest
  reviews: AccessReviews
  collabs: CollabStore
  clock: Clock
  log: Logger
}) {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  /** Syncs started outside the tick (a first visit to the dashboard); stop() waits for them too. */
  const kicked = new Map<string, Promise<void>>()

  async function pass(): Promise<void> {
    const now = deps.clock.now()
    for (const memberId of await deps.collabs.dueForSync(now - SYNC_EVERY_MS, PORTALS_PER_TICK)) {
      try {
        await deps.sync.sync(memberId)
      } catch (e) {
        // A portal without the workgroup methods is not retried every minute: its state says why.
        const unavailable = e instanceof AppError && e.code === 'collabs_unavailable'
        await deps.collabs.setSyncState(memberId, { incrementalAt: deps.clock.now(), lastError: errorText(e) })
        if (!unavailable) deps.log.warn({ memberId, err: errorText(e) }, 'collab sync failed')
      }
    }
    const withCollabs = await deps.collabs.membersWithCollabs(500)
    for (const memberId of withCollabs) {
      await deps.digest.run(memberId).catch((e: unknown) => deps.log.warn({ memberId, err: errorText(e) }, 'collab digest failed'))
    }
    await deps.reviews.runDue(withCollabs)
  }

  function tick(): Promise<void> {
    running ??= pass()
      .catch((e: unknown) => deps.log.error({ err: errorText(e) }, 'collab pass failed'))
      .finally(() => {
        running = undefined
      })
    return running
  }

  return {
    start(): void {
      timer = setInterval(() => void tick(), TICK_MS)
      timer.unref()
    },
    /** One pass now (tests). */
    runNow: tick,
    /** A sync of one portal now, in the background (at most one per portal from this instance). */
    kick(memberId: string): void {
      if (kicked.has(memberId)) return
      const p = deps.sync.sync(memberId)
        .then(() => undefined, (e: unknown) => deps.log.warn({ memberId, err: errorText(e) }, 'collab sync failed'))
        .finally(() => kicked.delete(memberId))
      kicked.set(memberId, p)
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer)
      await Promise.all([running, ...kicked.values()])
    },
  }
}

export type CollabScheduler = ReturnType<typeof createCollabScheduler>
