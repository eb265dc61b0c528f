import type { Clock } from '../shared/clock.js'
import { errorText } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { LedgerStore } from '../storage/ledger-store.js'
import type { InvitationLifecycle } from './invitation-lifecycle.js'

const PASS_EVERY_MS = 60_000
const PORTALS_PER_PASS = 100
/** Acceptance seen by the directory (a first login) when ONUSERADD was lost: hourly is soon enough. */
const SYNC_EVERY_MS = 60 * 60_000

/**
 * Reminders and expiry on time: once a minute, every portal with due invitations gets a pass. Each step is
 * a compare-and-set in the ledger, so two instances running the same pass do each thing once.
 */
export function createInvitationScheduler(deps: {
  ledger: LedgerStore
  lifecycle: InvitationLifecycle
  clock: Clock
  log: Logger
  /** Refreshes a portal's directory cache (full when stale), accepting invitations whose person logged in. */
  syncDirectory: (memberId: string) => Promise<void>
  /** Guest stays: notices before their end date, and ends (server/extranet/guest-lifecycle.ts). */
  guests?: { membersWithDue(now: number, limit: number): Promise<string[]>; runDue(memberId: string): Promise<unknown> }
  /** The inviters' daily digest for a portal with outstanding invitations (it claims its own day). */
  digest?: (memberId: string) => Promise<unknown>
}) {
  let timer: NodeJS.Timeout | undefined
  let syncTimer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let syncing: Promise<void> | undefined

  async function syncPass(): Promise<void> {
    for (const memberId of await deps.ledger.membersWithOutstanding(PORTALS_PER_PASS)) {
      await deps.syncDirectory(memberId).catch((e: unknown) => deps.log.warn({ memberId, err: errorText(e) }, 'directory sync pass failed'))
    }
  }

  function syncNow(): Promise<void> {
    syncing ??= syncPass()
      .catch((e: unknown) => deps.log.error({ err: errorText(e) }, 'directory sync pass failed'))
      .finally(() => {
        syncing = undefined
      })
    return syncing
  }

  async function pass(): Promise<void> {
    for (const memberId of await deps.ledger.membersWithDue(deps.clock.now(), PORTALS_PER_PASS)) {
      await deps.lifecycle.runDue(memberId).catch((e: unknown) => deps.log.warn({ memberId, err: errorText(e) }, 'reminder pass failed'))
    }
    const guests = deps.guests
    if (guests) {
      for (const memberId of await guests.membersWithDue(deps.clock.now(), PORTALS_PER_PASS)) {
        await guests.runDue(memberId).catch((e: unknown) => deps.log.warn({ memberId, err: errorText(e) }, 'guest pass failed'))
      }
    }
    const digest = deps.digest
    if (digest) {
      for (const memberId of await deps.ledger.membersWithOutstanding(PORTALS_PER_PASS)) {
        await digest(memberId).catch((e: unknown) => deps.log.warn({ memberId, err: errorText(e) }, 'inviters digest failed'))
      }
    }
  }

  function tick(): Promise<void> {
    running ??= pass()
      .catch((e: unknown) => deps.log.error({ err: errorText(e) }, 'scheduler pass failed'))
      .finally(() => {
        running = undefined
      })
    return running
  }

  return {
    start(): void {
      timer = setInterval(() => void tick(), PASS_EVERY_MS)
      timer.unref()
      syncTimer = setInterval(() => void syncNow(), SYNC_EVERY_MS)
      syncTimer.unref()
    },
    /** Run the directory pass now (tests). */
    syncNow,
    /** Run one pass now (tests, and after a long pause). */
    runNow: tick,
    async stop(): Promise<void> {
      if (timer) clearInterval(timer)
      if (syncTimer) clearInterval(syncTimer)
      await Promise.all([running, syncing])
    },
  }
}
