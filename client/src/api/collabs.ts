import { downloadFile, getJson, patchJson, postJson, request, type DownloadedFile, type QueryValue } from './http'
import type {
  CollabActionsResponse,
  CollabGuestActionKey,
  CollabGuestActionResponse,
  CollabGuestFilters,
  CollabGuestListResponse,
  CollabGuestSort,
  CollabHistoryResponse,
  CollabReviewDetailResponse,
  CollabReviewListResponse,
  CollabReviewResponse,
  CollabSettings,
  CollabSettingsResponse,
  CollabSummaryResponse,
  CollabSyncResponse,
  DryRunRow,
  DryRunSummary,
  GroupInviteResponse,
  ReviewDecision,
  SendImportResponse,
  SortDir,
  StartCollabReviewRequest,
  CollabReviewItem,
} from './types'

export const COLLAB_GUESTS_PAGE_SIZE = 50
/** The active-days choices offered next to the numbers (the settings may hold another value). */
export const ACTIVE_DAYS_CHOICES = [7, 14, 30, 60, 90] as const

/** Same as the extranet group's pasted list: parsed and checked in one call, as slow as a dry run. */
const INVITE_TIMEOUT_MS = 180_000
/** A full sync reads every collab and its members; it may take minutes on a big portal. */
const SYNC_TIMEOUT_MS = 300_000

const id = (value: number | string) => encodeURIComponent(String(value))
const collabPath = (collabId: number) => `/api/collabs/${id(collabId)}`
const reviewPath = (reviewId: string) => `/api/collabs/reviews/${id(reviewId)}`

export interface CollabGuestQuery {
  filters: CollabGuestFilters
  sort: CollabGuestSort
  dir: SortDir
  activeDays: number | null
}

/** Filters, order and active days as query parameters; empty values are left out. */
export function collabGuestQuery({ filters, sort, dir, activeDays }: CollabGuestQuery): Record<string, QueryValue> {
  return {
    collabId: filters.collabId ?? undefined,
    state: filters.state || undefined,
    sponsorId: filters.sponsorId ?? undefined,
    q: filters.q.trim() || undefined,
    sort,
    dir,
    activeDays: activeDays ?? undefined,
  }
}

/** GET /api/collabs/summary?activeDays= (the server's setting when omitted). */
export function getCollabSummary(activeDays: number | null): Promise<CollabSummaryResponse> {
  return getJson<CollabSummaryResponse>('/api/collabs/summary', { activeDays: activeDays ?? undefined })
}

/** GET /api/collabs/guests: one page of guests, filtered and sorted by the server. */
export function listCollabGuests(query: CollabGuestQuery, page: { offset: number; limit?: number }): Promise<CollabGuestListResponse> {
  return getJson<CollabGuestListResponse>('/api/collabs/guests', {
    ...collabGuestQuery(query),
    offset: page.offset,
    limit: page.limit ?? COLLAB_GUESTS_PAGE_SIZE,
  })
}

/** GET /api/collabs/guests/export?format=csv|xlsx with the list's filters and order. */
export function downloadCollabGuests(query: CollabGuestQuery, format: 'csv' | 'xlsx'): Promise<DownloadedFile> {
  return downloadFile('/api/collabs/guests/export', `collab-guests.${format}`, { format, ...collabGuestQuery(query) })
}

/** GET /api/collabs/history?collabId=&days=: guests per state, one point per synced day. */
export function getCollabHistory(collabId: number | null, days = 90): Promise<CollabHistoryResponse> {
  return getJson<CollabHistoryResponse>('/api/collabs/history', { collabId: collabId ?? undefined, days })
}

/** POST /api/collabs/sync (admins): read collabs and guests from the portal now. */
export function syncCollabs(full = false): Promise<CollabSyncResponse> {
  return postJson<CollabSyncResponse>('/api/collabs/sync', { full }, { timeoutMs: SYNC_TIMEOUT_MS })
}

/** GET /api/collabs/actions: which guest actions this portal allows, and through which method. */
export function getCollabActions(): Promise<CollabActionsResponse> {
  return getJson<CollabActionsResponse>('/api/collabs/actions')
}

/** POST /api/collabs/:collabId/guests/:userId/remind|remove|deactivate (409 not_available with details.collabUrl). */
export function runCollabGuestAction(action: CollabGuestActionKey, collabId: number, userId: number): Promise<CollabGuestActionResponse> {
  return postJson<CollabGuestActionResponse>(`${collabPath(collabId)}/guests/${id(userId)}/${action}`, {})
}

/** POST /api/collabs/:collabId/invite: the dry run of a pasted list into this collab. */
export function inviteToCollab(collabId: number, people: string): Promise<GroupInviteResponse> {
  return postJson<GroupInviteResponse>(`${collabPath(collabId)}/invite`, { people }, { timeoutMs: INVITE_TIMEOUT_MS })
}

/** POST /api/collabs/:collabId/invite/:importId/send: queue the checked list. */
export function sendCollabInvite(collabId: number, importId: string): Promise<SendImportResponse> {
  return postJson<SendImportResponse>(`${collabPath(collabId)}/invite/${id(importId)}/send`, {})
}

/** PATCH /api/collabs/:collabId/invite/:importId/rows/:row: exclude or include a row of the checked list. */
export function setCollabInviteRowExcluded(collabId: number, importId: string, rowNumber: number, excluded: boolean): Promise<{ row: DryRunRow; summary: DryRunSummary }> {
  return patchJson<{ row: DryRunRow; summary: DryRunSummary }>(`${collabPath(collabId)}/invite/${id(importId)}/rows/${id(rowNumber)}`, { excluded })
}

/** GET /api/collabs/reviews */
export function listCollabReviews(): Promise<CollabReviewListResponse> {
  return getJson<CollabReviewListResponse>('/api/collabs/reviews')
}

/** POST /api/collabs/reviews (admins). */
export function startCollabReview(input: StartCollabReviewRequest): Promise<CollabReviewResponse> {
  return postJson<CollabReviewResponse>('/api/collabs/reviews', input)
}

/** GET /api/collabs/reviews/:id: the review and the items the viewer may see. */
export function getCollabReview(reviewId: string): Promise<CollabReviewDetailResponse> {
  return getJson<CollabReviewDetailResponse>(reviewPath(reviewId))
}

/** POST /api/collabs/reviews/:id/items/:itemId: keep the guest, or end their access. */
export function decideCollabReviewItem(reviewId: string, itemId: string, decision: ReviewDecision, reason?: string): Promise<{ item: CollabReviewItem }> {
  const body = reason?.trim() ? { decision, reason: reason.trim() } : { decision }
  return postJson<{ item: CollabReviewItem }>(`${reviewPath(reviewId)}/items/${id(itemId)}`, body)
}

/** POST /api/collabs/reviews/:id/close (admins): unanswered items follow review.unanswered. */
export function closeCollabReview(reviewId: string): Promise<CollabReviewResponse> {
  return postJson<CollabReviewResponse>(`${reviewPath(reviewId)}/close`, {}, { timeoutMs: 120_000 })
}

/** GET /api/collabs/settings */
export function getCollabSettings(): Promise<CollabSettingsResponse> {
  return getJson<CollabSettingsResponse>('/api/collabs/settings')
}

/** PUT /api/collabs/settings (admins). 400 bad_request with details per field. */
export function saveCollabSettings(settings: CollabSettings): Promise<CollabSettingsResponse> {
  return request<CollabSettingsResponse>('/api/collabs/settings', { method: 'PUT', body: settings })
}
