import { errorText } from '../shared/errors.js'
import { randomUUID } from 'node:crypto'
import type { Clock } from '../shared/clock.js'
import type { Logger } from '../shared/logger.js'
import type { PortalGateway } from '../portals/portal-gateway.js'
import type { ItemOutcome, Job, JobItem, JobStore } from '../storage/job-store.js'
import type { Invitation, InvitationOrigin, LedgerStore } from '../storage/ledger-store.js'
import type { PortalLeases } from '../storage/portal-lease.js'
import type { PortalStore } from '../storage/portal-store.js'
import { holds, readGroupRosters, type GroupRoster } from '../portals/group-rosters.js'
import { findUsersByEmail } from './reconcile.js'
import { methodOf, sendInviteChunk, type InvitePayload, type SendOutcome } from './send-invites.js'

const CHUNK = 50
export const LEASE_TTL_MS = 30_000
/**
 * How long after a row went 'sending' the portal is surely done with the request that carried it (ours
 * waits for the pacer before marking rows, so the request leaves at once). A request that got no answer
 * (timeout, dropped connection, a crashed worker) may still be running: a look-up before this can miss
 * rows the portal has yet to create, and sending those again would invite them twice.
 */
export const IN_FLIGHT_SETTLE_MS = 5 * 60_000
const POLL_MS = 500
const MAX_ATTEMPTS = 6

/** The engine's clocks and width. Production uses the defaults; a bench against an emulated portal whose longest request is known may shorten the waits a crash leaves behind. */
export interface EngineTiming {
  /** A dead worker's portals wait this long for another worker. */
  leaseTtlMs: number
  /** Rows a dead worker left 'sending' wait this long before they are looked up (see IN_FLIGHT_SETTLE_MS). */
  inFlightSettleMs: number
  /** Portals one instance sends for at once: each portal's pace is its own, so this is what an instance adds. */
  portalsInParallel: number
}
export const DEFAULT_ENGINE_TIMING: EngineTiming = { leaseTtlMs: LEASE_TTL_MS, inFlightSettleMs: IN_FLIGHT_SETTLE_MS, portalsInParallel: 32 }

/** Named retry policy for transient portal failures: exponential, capped, jittered (bolt-js style). */
export const INVITE_RETRY_POLICY = {
  name: 'invite-transient',
  // Whole milliseconds: nextAttemptAt is a BIGINT column, and PostgreSQL refuses a fraction.
  delayMs: (attempt: number) => Math.round(Math.min(60_000, 1_000 * 2 ** Math.max(0, attempt - 1)) * (0.8 + Math.random() * 0.4)),
  maxAttempts: MAX_ATTEMPTS,
} as const

export interface JobItemPayload extends InvitePayload {
  ledger: {
    name: string | null; lastName: string | null; kind: 'intranet' | 'extranet'; departmentId: number | null; groupIds: number[]
    /** Per-row values for jobs that gather rows from several callers (robots); the job's own otherwise. */
    invitedBy?: number | null; templateId?: string | null; expireAfterDays?: number | null; origin?: InvitationOrigin
  }
}

/**
 * The job engine. A portal's work is held by one worker at a time through a lease; many portals run in
 * parallel. Each item is a persisted state machine (queued → sending → invited | skipped | failed) written
 * before and after every REST call. Items found in 'sending' after a crash are reconciled against the
 * portal (user.get by e-mail) before anything is retried, so nobody is invited twice and no row is lost;
 * only once the portal is surely done with their request (IN_FLIGHT_SETTLE_MS), and the lease is renewed
 * while a worker holds it, so a slow portal never lets another worker reconcile rows still being sent.
 */
export function createJobRunner(deps: {
  jobs: JobStore
  leases: PortalLeases
  ledger: LedgerStore
  portals: PortalStore
  gateway: PortalGateway
  clock: Clock
  log: Logger
  onJobFinished?: (job: Job) => Promise<void>
  /** An invitation was recorded as sent (guest stays are opened from it). Idempotent: it may run twice. */
  onInvited?: (invitation: Invitation) => Promise<void>
  /** Some of the job's items reached an outcome (robots answer their workflows from it). A nudge only. */
  onItemsSettled?: (job: Job) => void
  timing?: Partial<EngineTiming>
}) {
  const { jobs, leases, ledger, portals, gateway, clock, log } = deps
  const timing: EngineTiming = { ...DEFAULT_ENGINE_TIMING, ...deps.timing }
  // Renewed at a third of its life, so one slow request never lets it lapse.
  const leaseRenewMs = Math.round(timing.leaseTtlMs / 3)
  const owner = `worker-${randomUUID()}`
  const active = new Map<string, Promise<void>>()
  let timer: NodeJS.Timeout | undefined
  let stopped = true

  /** One ledger entry per row that went out (or finally failed); idempotent per (job, seq). */
  async function ledgerFor(job: Job, item: JobItem, outcome: { userId: number } | { failed: { code: string; message: string } }): Promise<void> {
    const p = item.payload as unknown as JobItemPayload
    const ok = 'userId' in outcome
    const now = clock.now()
    const invitedBy = p.ledger?.invitedBy !== undefined ? p.ledger.invitedBy : job.createdBy
    const expireAfterDays = p.ledger?.expireAfterDays !== undefined ? p.ledger.expireAfterDays : job.options.expireAfterDays
    const invitation = await ledger.record(
      {
        memberId: job.memberId, email: item.email, phone: item.phone, userId: ok ? outcome.userId : null, name: p.ledger?.name ?? null, lastName: p.ledger?.lastName ?? null,
        invitedBy, source: job.source, templateId: p.ledger?.templateId !== undefined ? p.ledger.templateId : job.templateId, jobId: job.id, jobSeq: item.seq,
        ...(p.ledger?.origin ? { origin: p.ledger.origin } : {}),
        target: {
          kind: p.ledger?.kind ?? 'intranet', departmentId: p.ledger?.departmentId ?? null,
          groupIds: p.groupInvite ? [p.groupInvite.groupId] : p.ledger?.groupIds ?? [], ...(p.groupInvite ? { existingUser: true } : {}),
        },
        state: ok ? 'pending' : 'failed', sentAt: ok ? now : null, acceptedAt: null,
        expiresAt: ok && typeof expireAfterDays === 'number' ? now + expireAfterDays * 86_400_000 : null,
      },
      invitedBy,
      ok ? {} : { detail: { code: outcome.failed.code, message: outcome.failed.message } },
    )
    if (ok && deps.onInvited) {
      await deps.onInvited(invitation).catch((e: unknown) => log.warn({ memberId: job.memberId, jobId: job.id, err: errorText(e) }, 'invited hook failed'))
    }
  }

  /**
   * Crash recovery: what happened to items we were sending when the process died (or whose request got no
   * answer)? Only items whose request the portal has surely finished; younger ones wait.
   */
  async function reconcile(job: Job): Promise<void> {
    const settledBy = clock.now() - timing.inFlightSettleMs
    const inflight = (await jobs.inFlight(job.id)).filter((i) => (i.sendingSince ?? 0) <= settledBy)
    if (inflight.length === 0) return
    const groupRow = (i: JobItem) => (i.payload as unknown as InvitePayload).groupInvite
    // People already in the portal exist whether or not their group invitation went out: the group tells.
    const emails = inflight.filter((i) => !groupRow(i)).map((i) => i.email).filter((e): e is string => !!e)
    const found = emails.length ? await findUsersByEmail(gateway, job.memberId, emails) : new Map()
    const groupIds = [...new Set(inflight.map((i) => groupRow(i)?.groupId).filter((g): g is number => g !== undefined))]
    const inGroup = groupIds.length && job.status === 'cancelled' ? await readGroupRosters(gateway, job.memberId, groupIds) : new Map<number, GroupRoster>()
    const now = clock.now()
    const outcomes = inflight.map((i) => {
      const g = groupRow(i)
      if (g) {
        // Sending it again is harmless (the portal never invites a member twice, and an empty answer is
        // checked against the group); a cancelled job only records what did happen.
        if (job.status !== 'cancelled') return { seq: i.seq, state: 'queued' as const, nextAttemptAt: now }
        return holds(inGroup.get(g.groupId), g.userId)
          ? { seq: i.seq, state: 'invited' as const, userId: g.userId }
          : { seq: i.seq, state: 'skipped' as const, errorCode: 'cancelled', errorMessage: 'Not sent: the job was cancelled' }
      }
      const u = i.email ? found.get(i.email.toLowerCase()) : undefined
      if (u) return { seq: i.seq, state: 'invited' as const, userId: u.id }
      // Never reached the portal: a cancelled job does not send it any more.
      if (i.email && job.status === 'cancelled') return { seq: i.seq, state: 'skipped' as const, errorCode: 'cancelled', errorMessage: 'Not sent: the job was cancelled' }
      if (i.email) return { seq: i.seq, state: 'queued' as const, nextAttemptAt: now }
      // A phone-only invite cannot be looked up: failing it is safer than inviting twice.
      return { seq: i.seq, state: 'failed' as const, errorCode: 'unconfirmed', errorMessage: 'The send was interrupted and the portal cannot confirm a phone invitation; check the person before retrying' }
    })
    for (const o of outcomes) {
      const item = inflight.find((i) => i.seq === o.seq)!
      if (o.state === 'invited') await ledgerFor(job, item, { userId: o.userId })
      if (o.state === 'failed') await ledgerFor(job, item, { failed: { code: o.errorCode, message: o.errorMessage } })
    }
    await jobs.settle(job.id, outcomes, now)
    deps.onItemsSettled?.(job)
    log.info({ memberId: job.memberId, jobId: job.id, reconciled: inflight.length }, 'reconciled interrupted items')
  }

  async function sendChunk(job: Job, items: JobItem[], caps: { messageText: boolean; phoneInvite: boolean }): Promise<void> {
    // Pacing waits happen before the rows are marked, so 'sending' means on the wire (see IN_FLIGHT_SETTLE_MS).
    const perMethod = new Map<string, number>()
    for (const i of items) {
      const m = methodOf(i.payload as unknown as InvitePayload, caps)
      if (m) perMethod.set(m, (perMethod.get(m) ?? 0) + 1)
    }
    for (const [method, n] of perMethod) await gateway.pacer.waitForMethod(job.memberId, method, n)
    const moved = new Set(await jobs.markSending(job.id, items.map((i) => i.seq), clock.now()))
    const batch = items.filter((i) => moved.has(i.seq))
    if (batch.length === 0) return
    let outcomes: SendOutcome[]
    try {
      outcomes = await sendInviteChunk(gateway, job.memberId, batch.map((i) => i.payload as unknown as InvitePayload), caps)
    } catch (e) {
      // Not knowing what happened is exactly the crash case: the items stay in 'sending' for reconcile.
      log.warn({ memberId: job.memberId, jobId: job.id, err: errorText(e) }, 'chunk failed; rows left for reconcile')
      return
    }
    // A transient failure that may have run on the portal (5xx, dropped answer): ask before queueing it again.
    // (Group rows are not looked up by e-mail: their person exists anyway, and sending again is harmless.)
    const isGroupRow = (item: JobItem) => !!(item.payload as unknown as InvitePayload).groupInvite
    const unsure = batch.filter((item, k) => { const o = outcomes[k]!; return o.kind === 'retry' && o.maybeApplied === true && !!item.email && !isGroupRow(item) })
    if (unsure.length) {
      let found: Map<string, { id: number }>
      try {
        found = await findUsersByEmail(gateway, job.memberId, unsure.map((i) => i.email!))
      } catch (e) {
        // Still unknown: settle what we know and leave these in 'sending' for the next reconcile.
        log.warn({ memberId: job.memberId, jobId: job.id, err: errorText(e) }, 'could not confirm uncertain sends; left for reconcile')
        const keep = new Set(unsure.map((i) => i.seq))
        const known = batch.map((item, k) => [item, outcomes[k]!] as const).filter(([item]) => !keep.has(item.seq))
        await settleOutcomes(job, known.map(([i]) => i), known.map(([, o]) => o))
        return
      }
      const running = new Set<number>()
      batch.forEach((item, k) => {
        const o = outcomes[k]!
        const u = item.email && !isGroupRow(item) ? found.get(item.email.toLowerCase()) : undefined
        if (u && o.kind === 'retry') outcomes[k] = { kind: 'invited', userId: u.id }
        // Not there yet, but the portal may still be creating it: left 'sending' until reconcile may decide.
        else if (o.kind === 'retry' && o.mayStillRun === true) running.add(item.seq)
      })
      if (running.size) {
        log.warn({ memberId: job.memberId, jobId: job.id, rows: running.size }, 'no answer from the portal; rows left for reconcile')
        const known = batch.map((item, k) => [item, outcomes[k]!] as const).filter(([item]) => !running.has(item.seq))
        await settleOutcomes(job, known.map(([i]) => i), known.map(([, o]) => o))
        return
      }
    }
    await settleOutcomes(job, batch, outcomes)
  }

  async function settleOutcomes(job: Job, batch: JobItem[], outcomes: SendOutcome[]): Promise<void> {
    const now = clock.now()
    const settled: ItemOutcome[] = batch.map((item, k) => {
        const o = outcomes[k]!
        switch (o.kind) {
          case 'invited':
            return { seq: item.seq, state: 'invited' as const, userId: o.userId }
          case 'skipped':
            return { seq: item.seq, state: 'skipped' as const, errorCode: o.code, errorMessage: o.message }
          case 'failed':
            return { seq: item.seq, state: 'failed' as const, errorCode: o.code, errorMessage: o.message }
          case 'retry':
            return item.attempts >= INVITE_RETRY_POLICY.maxAttempts
              ? { seq: item.seq, state: 'failed' as const, errorCode: o.code, errorMessage: `${o.message} (gave up after ${item.attempts} attempts)` }
              : { seq: item.seq, state: 'queued' as const, errorCode: o.code, errorMessage: o.message, nextAttemptAt: now + INVITE_RETRY_POLICY.delayMs(item.attempts) }
        }
      })
    // Ledger first, then the item: a crash in between leaves the item 'sending', and its reconcile
    // records the same (job, seq) again, which the ledger ignores.
    for (const [k, item] of batch.entries()) {
      const o = settled[k]!
      if (o.state === 'invited') await ledgerFor(job, item, { userId: o.userId! })
      if (o.state === 'failed') await ledgerFor(job, item, { failed: { code: o.errorCode ?? 'failed', message: o.errorMessage ?? '' } })
    }
    await jobs.settle(job.id, settled, now)
    deps.onItemsSettled?.(job)
  }

  async function runJob(job: Job): Promise<'more' | 'idle'> {
    const portal = await portals.get(job.memberId)
    const caps = { messageText: true, phoneInvite: portal?.capabilities['intranet.invite.inviteusersbyphonenumber'] === true }
    // A look-up that fails leaves its rows in 'sending' for the next round; the other rows need not wait.
    await reconcile(job).catch((e: unknown) => log.warn({ memberId: job.memberId, jobId: job.id, err: errorText(e) }, 'reconcile failed; rows left for the next round'))
    for (;;) {
      // Stopping (SIGTERM): the chunk just sent was the last; the lease goes back and another instance goes on.
      if (stopped) return 'idle'
      // Paused or cancelled (meanwhile, or listed only for its rows in flight): nothing more to send.
      const current = await jobs.get(job.memberId, job.id)
      if (!current || current.status !== 'running') return 'idle'
      if (!(await leases.acquire(job.memberId, owner, clock.now(), timing.leaseTtlMs))) return 'idle'
      const due = await jobs.due(job.id, clock.now(), CHUNK)
      if (due.length === 0) {
        const totals = await jobs.totals(job.id)
        if (totals.queued === 0 && totals.sending === 0) {
          if (await jobs.setStatus(job.memberId, job.id, ['running'], 'completed')) {
            const done = await jobs.get(job.memberId, job.id)
            if (done) await deps.onJobFinished?.(done).catch((e: unknown) => log.warn({ err: errorText(e) }, 'job-finished hook failed'))
          }
          return 'more'
        }
        return 'idle' // waiting for a backoff to pass
      }
      await sendChunk(current, due, caps)
    }
  }

  /** Renews the portal's lease every leaseRenewMs until the returned stop is awaited (which then may release it). */
  function holdLease(memberId: string): () => Promise<void> {
    let held = true
    let wake!: () => void
    const stopped = new Promise<void>((resolve) => (wake = resolve))
    const renewing = (async () => {
      for (;;) {
        await Promise.race([clock.sleep(leaseRenewMs), stopped])
        if (!held) return
        const ok = await leases.acquire(memberId, owner, clock.now(), timing.leaseTtlMs).catch(() => false)
        // Lost (another worker took it after ours lapsed): the loop stops before its next chunk.
        if (!ok) log.warn({ memberId }, 'portal lease lost while working')
      }
    })()
    return async () => {
      held = false
      wake()
      await renewing
    }
  }

  async function runPortal(memberId: string): Promise<void> {
    const letGo = holdLease(memberId)
    try {
      for (let rounds = 0; !stopped && rounds < 1000; rounds++) {
        if (!(await leases.acquire(memberId, owner, clock.now(), timing.leaseTtlMs))) return
        const runnable = await jobs.runnable(memberId)
        if (runnable.length === 0) return
        let progressed = false
        for (const job of runnable) if ((await runJob(job)) === 'more') progressed = true
        if (!progressed) return
      }
    } catch (e) {
      log.error({ memberId, err: errorText(e) }, 'portal worker failed')
    } finally {
      await letGo()
      await leases.release(memberId, owner).catch(() => undefined)
    }
  }

  async function claimPortals(): Promise<void> {
    if (stopped) return
    const candidates = await leases.candidates(clock.now(), timing.portalsInParallel, owner)
    for (const memberId of candidates) {
      if (stopped || active.has(memberId) || active.size >= timing.portalsInParallel) continue
      const p = runPortal(memberId).finally(() => active.delete(memberId))
      active.set(memberId, p)
    }
  }

  // One look for work at a time; stop() awaits it, so no query outlives the database.
  let ticking: Promise<void> | undefined
  function tick(): Promise<void> {
    ticking ??= claimPortals()
      .catch((e: unknown) => {
        if (!stopped) log.error({ err: errorText(e) }, 'job tick failed')
      })
      .finally(() => {
        ticking = undefined
      })
    return ticking
  }

  return {
    owner,
    start(): void {
      stopped = false
      timer = setInterval(() => void tick(), POLL_MS)
      timer.unref()
      void tick()
    },
    /** Nudge after a job was created or resumed. */
    kick(): void {
      void tick()
    },
    /** Stop taking work; finish the chunk in hand; leases are released so another instance takes over. */
    async stop(): Promise<void> {
      stopped = true
      if (timer) clearInterval(timer)
      await ticking
      await Promise.allSettled([...active.values()])
    },
    /** Tests: wait until no portal has runnable work in this instance. */
    async drain(): Promise<void> {
      await tick()
      while (active.size) await Promise.allSettled([...active.values()]).then(() => tick())
    },
  }
}

export type JobRunner = ReturnType<typeof createJobRunner>
