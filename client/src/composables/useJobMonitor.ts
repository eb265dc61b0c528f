import { onScopeDispose, ref, shallowRef, watch, type Ref } from 'vue'
import { toApiError, type ApiError } from '../api/http'
import { getJob, runJobAction } from '../api/jobs'
import type { Job, JobAction, JobStatus } from '../api/types'

/** Statuses in which the job still changes by itself (and is polled). */
export const ACTIVE_JOB_STATUSES: ReadonlySet<JobStatus> = new Set(['queued', 'running'])

export const JOB_POLL_MS = 1_000
/** After a failed poll, wait longer before the next one. */
const RETRY_POLL_MS = 3_000

export function isJobActive(job: Job | null | undefined): boolean {
  return !!job && ACTIVE_JOB_STATUSES.has(job.status)
}

/**
 * Whether the job's numbers can still change by themselves: it runs, or it was paused or cancelled
 * while a batch was on the wire (those rows settle afterwards).
 */
export function isJobSettling(job: Job | null | undefined): boolean {
  return isJobActive(job) || (!!job && (job.status === 'paused' || job.status === 'cancelled') && job.totals.sending > 0)
}

/**
 * Follow one send job: GET /api/jobs/:id every second while it is queued or running, or still has
 * rows on the wire after a pause or cancel. Polling pauses while the document is hidden (another
 * portal tab, minimised) and stops for good when the calling component's scope is disposed
 * (unmounted), so no request outlives the view.
 */
export function useJobMonitor(jobId: Ref<string | null>, intervalMs: number = JOB_POLL_MS) {
  const job = shallowRef<Job | null>(null)
  const ratePerMin = ref<number | null>(null)
  const etaSec = ref<number | null>(null)
  /** The last failed poll (cleared by the next success). */
  const error = shallowRef<ApiError | null>(null)
  const acting = ref<JobAction | null>(null)

  let timer: ReturnType<typeof setTimeout> | undefined
  let controller: AbortController | null = null
  let disposed = false

  const isVisible = () => typeof document === 'undefined' || document.visibilityState !== 'hidden'

  function stop(): void {
    clearTimeout(timer)
    timer = undefined
    controller?.abort()
    controller = null
  }

  function schedule(): void {
    clearTimeout(timer)
    if (disposed || !jobId.value || !isVisible()) return
    // Unknown yet (first load failed) or still moving: keep polling.
    if (job.value && !isJobSettling(job.value)) return
    // A client error (404 no such job, 403) will not fix itself: wait for an explicit refresh.
    const status = error.value?.status ?? 0
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) return
    timer = setTimeout(() => void poll(), error.value ? RETRY_POLL_MS : intervalMs)
  }

  async function poll(): Promise<void> {
    const id = jobId.value
    stop()
    if (!id || disposed) return
    const own = new AbortController()
    controller = own
    try {
      const data = await getJob(id, own.signal)
      if (own.signal.aborted || id !== jobId.value) return
      job.value = data.job
      ratePerMin.value = data.ratePerMin
      etaSec.value = data.etaSec
      error.value = null
    } catch (cause) {
      if (own.signal.aborted) return
      error.value = toApiError(cause)
    } finally {
      if (controller === own) controller = null
    }
    if (!own.signal.aborted) schedule()
  }

  /** Pause/resume/cancel/retry-failed; the answer replaces the job and restarts polling if needed. */
  async function act(action: JobAction): Promise<ApiError | null> {
    const id = jobId.value
    if (!id || acting.value) return null
    acting.value = action
    try {
      const { job: next } = await runJobAction(id, action)
      if (id === jobId.value) job.value = next
      schedule()
      return null
    } catch (cause) {
      return toApiError(cause)
    } finally {
      acting.value = null
    }
  }

  function onVisibilityChange(): void {
    if (isVisible()) void poll()
    else stop()
  }

  if (typeof document !== 'undefined') document.addEventListener('visibilitychange', onVisibilityChange)

  watch(
    jobId,
    () => {
      job.value = null
      ratePerMin.value = null
      etaSec.value = null
      error.value = null
      void poll()
    },
    { immediate: true },
  )

  onScopeDispose(() => {
    disposed = true
    stop()
    if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', onVisibilityChange)
  })

  return { job, ratePerMin, etaSec, error, acting, refresh: poll, act }
}
