import type { Clock } from '../shared/clock.js'
import { errorText } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { FULL_SYNC_EVERY_MS } from '../invites/directory-sync.js'
import type { DirectoryStore } from '../storage/directory-store.js'
import type { LedgerStore } from '../storage/ledger-store.js'
import type { PortalTasks } from '../storage/portal-tasks.js'
import type { InvitationLifecycle } from './invitation-lifecycle.js'

const PASS_EVERY_MS = 60_000
const PORTALS_PER_PASS = 100
/** Acceptance seen by the directory (a first login) when ONUSERADD was lost: hourly is soon enough. */
const SYNC_EVERY_MS = 60 * 60_000
/** A pass held longer than this belongs to an instance that died; another takes the portal over. */
const TASK_LEASE_MS = 10 * 60_000

/**
 * Reminders and expiry on time: once a minute, every portal with due invitations gets a pass; guest stays
 * likewise; the directory hourly. Each portal's pass is held by one instance at a time (a task lease) and
 * reads what is due once it holds it, so several instances do each reminder, end and sync once.
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
  /** Per-portal task leases shared by the instances, and this instance's name in them. */
  tasks: PortalTasks
  owner: string
  /** When the directory was last read (a recent sync by anyone makes the hourly one needless). */
  directory: Pick<DirectoryStore, 'getSyncState'>
}) {
  /** Runs `work` for the portal if this instance can hold the task; another instance holding it does it. */
  async function held(memberId: string, task: string, work: () => Promise<unknown>): Promise<void> {
    if (!(await deps.tasks.claim(memberId, task, deps.owner, deps.clock.now(), TASK_LEASE_MS))) return
    try {
      await work()
    } finally {
      await deps.tasks.release(memberId, task, deps.owner).catch(() => undefined)
    }
  }

  let timer: NodeJS.Timeout | undefined
  let syncTimer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let syncing: Promise<void> | undefined

  async function syncPass(): Promise<void> {
    for (const memberId of await deps.ledger.membersWithOutstanding(PORTALS_PER_PASS)) {
      await held(memberId, 'directory-sync', async () => {
        // Read within the last half hour (by another instance's pass, a dry run, robots) and no full read due: done.
        const state = await deps.directory.getSyncState(memberId)
        const now = deps.clock.now()
        const fresh = state.usersSyncedAt !== null && now - state.usersSyncedAt < SYNC_EVERY_MS / 2
        const fullDue = !state.fullSyncAt || now - state.fullSyncAt > FULL_SYNC_EVERY_MS
        if (fresh && !fullDue) return
        await deps.syncDirectory(memberId)
      }).catch((e: unknown) => deps.log.warn({ memberId, err: errorText(e) }, 'directory sync pass failed'))
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
      await held(memberId, 'invitation-schedule', () => deps.lifecycle.runDue(memberId)).catch((e: unknown) => deps.log.warn({ memberId, err: errorText(e) }, 'reminder pass failed'))
    }
    const guests = deps.guests
    if (guests) {
      for (const memberId of await guests.membersWithDue(deps.clock.now(), PORTALS_PER_PASS)) {
        await held(memberId, 'guest-schedule', () => guests.runDue(memberId)).catch((e: unknown) => deps.log.warn({ memberId, err: errorText(e) }, 'guest pass failed'))
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
