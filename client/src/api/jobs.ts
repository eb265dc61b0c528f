import { downloadFile, getJson, postJson, request, type DownloadedFile } from './http'
import type { JobAction, JobActionResponse, JobItemState, JobItemsResponse, JobListResponse, JobResponse } from './types'

export const JOB_ITEMS_PAGE_SIZE = 50

const jobPath = (id: string) => `/api/jobs/${encodeURIComponent(id)}`

/** GET /api/jobs: recent send jobs, newest first. */
export function listJobs(): Promise<JobListResponse> {
  return getJson<JobListResponse>('/api/jobs')
}

/** GET /api/jobs/:id: status, totals per state, rate and ETA. */
export function getJob(id: string, signal?: AbortSignal): Promise<JobResponse> {
  return request<JobResponse>(jobPath(id), signal ? { signal } : {})
}

/** POST /api/jobs/:id/pause|resume|cancel|retry-failed */
export function runJobAction(id: string, action: JobAction): Promise<JobActionResponse> {
  return postJson<JobActionResponse>(`${jobPath(id)}/${action}`, {})
}

export interface ListJobItemsParams {
  state?: JobItemState | null
  /** Items after this seq (keyset pagination, oldest first). */
  afterSeq?: number | null
  limit?: number
}

/** GET /api/jobs/:id/items?state=&afterSeq=&limit= */
export function listJobItems(id: string, params: ListJobItemsParams = {}): Promise<JobItemsResponse> {
  return getJson<JobItemsResponse>(`${jobPath(id)}/items`, {
    state: params.state || undefined,
    afterSeq: params.afterSeq ?? undefined,
    limit: params.limit ?? JOB_ITEMS_PAGE_SIZE,
  })
}

/** GET /api/jobs/:id/results.csv|.xlsx */
export function downloadJobResults(id: string, format: 'csv' | 'xlsx'): Promise<DownloadedFile> {
  return downloadFile(`${jobPath(id)}/results.${format}`, `invite-results-${id}.${format}`)
}
