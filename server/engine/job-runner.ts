import { randomUUID } from 'node:crypto'
import type { Clock } from '../shared/clock.js'
import type { Logger } from '../shared/logger.js'
import type { PortalGateway } from '../portals/portal-gateway.js'
import type { Job, JobItem, JobStore } from '../storage/job-store.js'
import type { LedgerStore } from '../storage/ledger-store.js'
import type { PortalLeases } from '../storage/portal-lease.js'
import type { PortalStore } from '../storage/portal-store.js'
import { findUsersByEmail } from './reconcile.js'
import { sendInviteChunk, type InvitePayload, type SendOutcome } from './send-invites.js'

const CHUNK = 50
const LEASE_TTL_MS = 30_000
const POLL_MS = 500
const MAX_ATTEMPTS = 6
const MAX_PORTALS_IN_PARALLEL = 32

/** Named retry policy for transient portal failures: exponential, capped, jittered (bolt-js style). */
export const INVITE_RETRY_POLICY = {
  name: 'invite-transient',
  delayMs: (attempt: number) => Math.min(60_000, 1_000 * 2 ** Math.max(0, attempt - 1)) * (0.8 + Math.random() * 0.4),
  maxAttempts: MAX_ATTEMPTS,
} as const

export interface JobItemPayload extends InvitePayload {
  ledger: { name: string | null; lastName: string | null; kind: 'intranet' | 'extranet'; departmentId: number | null; groupIds: number[] }
}

/**
 * The job engine. A portal's work is held by one worker at a time through a lease; many portals run in
 * parallel. Each item is a persisted state machine (queued → sending → invited | skipped | failed) written
 * before and after every REST call. Items found in 'sending' after a crash are reconciled against the
 * portal (user.get by e-mail) before anything is retried, so nobody is invited twice and no row is lost.
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
}) {
  const { jobs, leases, ledger, portals, gateway, clock, log } = deps
  const owner = `worker-${randomUUID()}`
  const active = new Map<string, Promise<void>>()
  let timer: NodeJS.Timeout | undefined
  let stopped = true

  async function ledgerFor(job: Job, item: JobItem, userId: number): Promise<void> {
    const p = item.payload as unknown as JobItemPayload
    const inv = await ledger.record(
      {
        memberId: job.memberId, email: item.email, phone: item.phone, userId, name: p.ledger?.name ?? null, lastName: p.ledger?.lastName ?? null,
        invitedBy: job.createdBy, source: job.source, templateId: job.templateId, jobId: job.id, jobSeq: item.seq,
        target: { kind: p.ledger?.kind ?? 'intranet', departmentId: p.ledger?.departmentId ?? null, groupIds: p.ledger?.groupIds ?? [] },
        state: 'pending', sentAt: clock.now(), acceptedAt: null, expiresAt: typeof job.options.expireAfterDays === 'number' ? clock.now() + job.options.expireAfterDays * 86_400_000 : null,
      },
      job.createdBy,
    )
    return void inv
  }

  /** Crash recovery: what happened to items we were sending when the process died? */
  async function reconcile(job: Job): Promise<void> {
    const inflight = await jobs.inFlight(job.id)
    if (inflight.length === 0) return
    const emails = inflight.map((i) => i.email).filter((e): e is string => !!e)
    const found = emails.length ? await findUsersByEmail(gateway, job.memberId, emails) : new Map()
    const now = clock.now()
    const outcomes = inflight.map((i) => {
      const u = i.email ? found.get(i.email.toLowerCase()) : undefined
      if (u) return { seq: i.seq, state: 'invited' as const, userId: u.id }
      if (i.email) return { seq: i.seq, state: 'queued' as const, nextAttemptAt: now }
      // A phone-only invite cannot be looked up: failing it is safer than inviting twice.
      return { seq: i.seq, state: 'failed' as const, errorCode: 'unconfirmed', errorMessage: 'The send was interrupted and the portal cannot confirm a phone invitation; check the person before retrying' }
    })
    await jobs.settle(job.id, outcomes, now)
    for (const o of outcomes) {
      if (o.state === 'invited') await ledgerFor(job, inflight.find((i) => i.seq === o.seq)!, o.userId)
    }
    log.info({ memberId: job.memberId, jobId: job.id, reconciled: inflight.length }, 'reconciled interrupted items')
  }

  async function sendChunk(job: Job, items: JobItem[], caps: { messageText: boolean; phoneInvite: boolean }): Promise<void> {
    const moved = new Set(await jobs.markSending(job.id, items.map((i) => i.seq), clock.now()))
    const batch = items.filter((i) => moved.has(i.seq))
    if (batch.length === 0) return
    let outcomes: SendOutcome[]
    try {
      outcomes = await sendInviteChunk(gateway, job.memberId, batch.map((i) => i.payload as unknown as InvitePayload), caps)
    } catch (e) {
      // Not knowing what happened is exactly the crash case: leave the items in 'sending' for reconcile.
      log.warn({ memberId: job.memberId, jobId: job.id, err: e instanceof Error ? e.message : String(e) }, 'chunk failed; reconciling')
      await reconcile(job)
      return
    }
    const now = clock.now()
    await jobs.settle(
      job.id,
      batch.map((item, k) => {
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
      }),
      now,
    )
    for (const [k, item] of batch.entries()) {
      const o = outcomes[k]!
      if (o.kind === 'invited') await ledgerFor(job, item, o.userId)
    }
  }

  async function runJob(job: Job): Promise<'more' | 'idle'> {
    const portal = await portals.get(job.memberId)
    const caps = { messageText: true, phoneInvite: portal?.capabilities['intranet.invite.inviteusersbyphonenumber'] === true }
    await reconcile(job)
    for (;;) {
      const current = await jobs.get(job.memberId, job.id)
      if (!current || current.status !== 'running') return 'more'
      if (!(await leases.acquire(job.memberId, owner, clock.now(), LEASE_TTL_MS))) return 'idle'
      const due = await jobs.due(job.id, clock.now(), CHUNK)
      if (due.length === 0) {
        const totals = await jobs.totals(job.id)
        if (totals.queued === 0 && totals.sending === 0) {
          if (await jobs.setStatus(job.memberId, job.id, ['running'], 'completed')) {
            const done = await jobs.get(job.memberId, job.id)
            if (done) await deps.onJobFinished?.(done).catch((e) => log.warn({ err: String(e) }, 'job-finished hook failed'))
          }
          return 'more'
        }
        return 'idle' // waiting for a backoff to pass
      }
      await sendChunk(current, due, caps)
    }
  }

  async function runPortal(memberId: string): Promise<void> {
    try {
      for (let rounds = 0; !stopped && rounds < 1000; rounds++) {
        if (!(await leases.acquire(memberId, owner, clock.now(), LEASE_TTL_MS))) return
        const runnable = await jobs.runnable(memberId)
        if (runnable.length === 0) return
        let progressed = false
        for (const job of runnable) if ((await runJob(job)) === 'more') progressed = true
        if (!progressed) return
      }
    } catch (e) {
      log.error({ memberId, err: e instanceof Error ? e.message : String(e) }, 'portal worker failed')
    } finally {
      await leases.release(memberId, owner).catch(() => undefined)
    }
  }

  async function tick(): Promise<void> {
    if (stopped) return
    const candidates = await leases.candidates(clock.now(), MAX_PORTALS_IN_PARALLEL)
    for (const memberId of candidates) {
      if (active.has(memberId) || active.size >= MAX_PORTALS_IN_PARALLEL) continue
      const p = runPortal(memberId).finally(() => active.delete(memberId))
      active.set(memberId, p)
    }
  }

  return {
    owner,
    start(): void {
      stopped = false
      timer = setInterval(() => void tick().catch((e) => log.error({ err: String(e) }, 'job tick failed')), POLL_MS)
      timer.unref()
      void tick()
    },
    /** Nudge after a job was created or resumed. */
    kick(): void {
      void tick().catch(() => undefined)
    },
    /** Stop taking work; finish the chunk in hand; leases are released so another instance takes over. */
    async stop(): Promise<void> {
      stopped = true
      if (timer) clearInterval(timer)
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
