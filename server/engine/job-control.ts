import { AppError, NotFoundError } from '../shared/errors.js'
import type { Clock } from '../shared/clock.js'
import type { AuditLog } from '../storage/audit-log.js'
import type { Job, JobItem, JobStatus, JobStore } from '../storage/job-store.js'

/** The pace is measured over the last minute, so a pause or a backoff shows at once. */
const RATE_WINDOW_MS = 60_000
const EXPORT_PAGE = 1_000

export type JobAction = 'pause' | 'resume' | 'cancel' | 'retry-failed'

export interface JobProgress {
  job: Job
  /** Rows settled per minute over the recent window; null before there is data or once the job stopped. */
  ratePerMin: number | null
  etaSec: number | null
}

/** Who is looking: job results carry other people's invitations, so non-admins see only jobs they started. */
export interface JobViewer {
  userId: number
  isAdmin: boolean
}
const canSee = (job: Job, viewer: JobViewer | undefined) => !viewer || viewer.isAdmin || job.createdBy === viewer.userId
/** A non-admin's list is filtered from the portal's: scanned in pages, up to a bound. */
const LIST_SCAN_PAGE = 100
const LIST_SCAN_PAGES = 20

/** Which statuses each action moves from, and to. */
const MOVES: Record<Exclude<JobAction, 'retry-failed'>, { from: JobStatus[]; to: JobStatus }> = {
  pause: { from: ['queued', 'running'], to: 'paused' },
  resume: { from: ['paused'], to: 'running' },
  cancel: { from: ['queued', 'running', 'paused'], to: 'cancelled' },
}

/**
 * What a person can do with a running send, apart from the engine that works it: progress, pause, resume,
 * cancel (every queued row ends 'skipped', nothing is left half-done), retry only the failed rows.
 */
export function createJobControl(deps: { jobs: JobStore; audit: AuditLog; clock: Clock; kick: () => void }) {
  const { jobs, clock } = deps

  /** A job someone may not see answers exactly like one that does not exist. */
  async function load(memberId: string, id: string, viewer?: JobViewer): Promise<Job> {
    const job = await jobs.get(memberId, id)
    if (!job || !canSee(job, viewer)) throw new NotFoundError('job_not_found', 'There is no such send job on this portal')
    return job
  }

  return {
    load,

    /** Newest first: every job for an admin, only their own for anyone else. */
    async list(memberId: string, viewer: JobViewer, limit: number): Promise<Job[]> {
      if (viewer.isAdmin) return jobs.list(memberId, { limit })
      const out: Job[] = []
      let before: number | undefined
      for (let page = 0; page < LIST_SCAN_PAGES && out.length < limit; page++) {
        const rows = await jobs.list(memberId, { limit: LIST_SCAN_PAGE, ...(before !== undefined ? { beforeCreatedAt: before } : {}) })
        out.push(...rows.filter((j) => canSee(j, viewer)))
        if (rows.length < LIST_SCAN_PAGE) break
        before = rows.at(-1)!.createdAt
      }
      return out.slice(0, limit)
    },

    async progress(memberId: string, id: string, viewer?: JobViewer): Promise<JobProgress> {
      const job = await load(memberId, id, viewer)
      if (job.status !== 'running') return { job, ratePerMin: null, etaSec: null }
      const now = clock.now()
      const since = Math.max(now - RATE_WINDOW_MS, job.startedAt ?? now)
      const elapsed = now - since
      const settled = await jobs.settledSince(job.id, since)
      if (settled === 0 || elapsed < 1_000) return { job, ratePerMin: null, etaSec: null }
      const perMs = settled / elapsed
      const left = job.totals.queued + job.totals.sending
      return { job, ratePerMin: Math.round(perMs * 60_000), etaSec: Math.ceil(left / perMs / 1_000) }
    },

    async act(memberId: string, id: string, action: JobAction, actorUserId: number): Promise<Job> {
      const job = await load(memberId, id)
      if (action === 'retry-failed') {
        if (job.status === 'cancelled') throw new AppError('job_cancelled', 'A cancelled job cannot be retried; start a new send', 409)
        const n = await jobs.requeueFailed(memberId, id)
        if (n === 0) throw new AppError('nothing_to_retry', 'No rows failed, so there is nothing to retry', 409)
        if (job.status === 'completed') await jobs.setStatus(memberId, id, ['completed'], 'running')
        await audit(memberId, id, action, actorUserId, { requeued: n })
        deps.kick()
        return load(memberId, id)
      }
      const move = MOVES[action]
      if (!(await jobs.setStatus(memberId, id, move.from, move.to))) {
        throw new AppError('job_state', `The job is ${job.status}; it cannot ${action === 'cancel' ? 'be cancelled' : action} now`, 409)
      }
      const details: Record<string, unknown> = {}
      if (action === 'cancel') details.skipped = await jobs.skipQueued(memberId, id, 'Not sent: the job was cancelled')
      if (action === 'resume') deps.kick()
      await audit(memberId, id, action, actorUserId, details)
      return load(memberId, id)
    },

    /** Every item, for the results export, page by page. */
    async *allItems(memberId: string, id: string, viewer?: JobViewer): AsyncGenerator<JobItem[]> {
      await load(memberId, id, viewer)
      let after = 0
      for (;;) {
        const page = await jobs.items(memberId, id, { limit: EXPORT_PAGE, afterSeq: after })
        if (page.length === 0) return
        yield page
        after = page.at(-1)!.seq
      }
    },
  }

  async function audit(memberId: string, id: string, action: JobAction, actorUserId: number, details: Record<string, unknown>): Promise<void> {
    await deps.audit.record({ memberId, at: clock.now(), actorUserId, actorKind: 'user', action: `job.${action}`, subject: id, details, result: 'ok' })
  }
}

export type JobControl = ReturnType<typeof createJobControl>
