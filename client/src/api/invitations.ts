import { downloadFile, getJson, postJson, type DownloadedFile, type QueryValue } from './http'
import type { InvitationDetailsResponse, InvitationFilters, InvitationListResponse, RemindResponse } from './types'

export const INVITATIONS_PAGE_SIZE = 50

const invitationPath = (id: string) => `/api/invitations/${encodeURIComponent(id)}`

/** Filters as query parameters; empty values are left out. */
export function invitationQuery(filters: InvitationFilters): Record<string, QueryValue> {
  return {
    state: filters.state || undefined,
    templateId: filters.templateId || undefined,
    invitedBy: filters.invitedBy ?? undefined,
    source: filters.source || undefined,
    olderThanDays: filters.olderThanDays ?? undefined,
    q: filters.q?.trim() || undefined,
  }
}

/** GET /api/invitations?state=&templateId=&invitedBy=&source=&olderThanDays=&q=&limit=&offset= */
export function listInvitations(filters: InvitationFilters, page: { limit?: number; offset?: number } = {}): Promise<InvitationListResponse> {
  return getJson<InvitationListResponse>('/api/invitations', {
    ...invitationQuery(filters),
    limit: page.limit ?? INVITATIONS_PAGE_SIZE,
    offset: page.offset ?? 0,
  })
}

/** GET /api/invitations/:id: the invitation and its state history. */
export function getInvitation(id: string): Promise<InvitationDetailsResponse> {
  return getJson<InvitationDetailsResponse>(invitationPath(id))
}

/** POST /api/invitations/:id/remind: resend if the portal can, else say where to do it. */
export function remindInvitation(id: string): Promise<RemindResponse> {
  return postJson<RemindResponse>(`${invitationPath(id)}/remind`, {})
}

/** GET /api/invitations/export.csv|.xlsx with the same filters as the list. */
export function downloadInvitations(filters: InvitationFilters, format: 'csv' | 'xlsx'): Promise<DownloadedFile> {
  return downloadFile(`/api/invitations/export.${format}`, `invitations.${format}`, invitationQuery(filters))
}
