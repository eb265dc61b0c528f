import { downloadFile, getJson, patchJson, postJson, type DownloadedFile, type QueryValue } from './http'
import type {
  JoinLinkAction,
  JoinLinkFilters,
  JoinLinkInput,
  JoinLinkListResponse,
  JoinLinkQrFormat,
  JoinLinkView,
  JoinListResponse,
} from './types'

export const JOIN_LINKS_PAGE_SIZE = 50
export const JOINS_PAGE_SIZE = 50

const id = (value: string) => encodeURIComponent(value)
const linkPath = (linkId: string) => `/api/join-links/${id(linkId)}`

/** One page of join links: the filters and where the page starts. */
export interface JoinLinkQuery extends JoinLinkFilters {
  offset: number
  /** @defaultValue {@link JOIN_LINKS_PAGE_SIZE} */
  limit?: number
}

/** Filters and the page as query parameters; empty filters are left out. */
export function joinLinkQuery({ status, q, offset, limit }: JoinLinkQuery): Record<string, QueryValue> {
  return {
    status: status || undefined,
    q: q.trim() || undefined,
    limit: limit ?? JOIN_LINKS_PAGE_SIZE,
    offset: Math.max(0, Math.floor(offset)),
  }
}

/** GET /api/join-links: one page (admins: every link; others: their own) and whether the viewer may create one. */
export function listJoinLinks(query: JoinLinkQuery): Promise<JoinLinkListResponse> {
  return getJson<JoinLinkListResponse>('/api/join-links', joinLinkQuery(query))
}

/** GET /api/join-links/:id (404 join_link_not_found). */
export function getJoinLink(linkId: string): Promise<JoinLinkView> {
  return getJson<JoinLinkView>(linkPath(linkId))
}

/** POST /api/join-links: 201 with the link; 400 bad_request (`[{ path, message }]`), 403 forbidden / policy_denied. */
export function createJoinLink(input: JoinLinkInput): Promise<JoinLinkView> {
  return postJson<JoinLinkView>('/api/join-links', input)
}

/** PATCH /api/join-links/:id with any subset of the input (409 join_link_revoked). */
export function updateJoinLink(linkId: string, patch: Partial<JoinLinkInput>): Promise<JoinLinkView> {
  return patchJson<JoinLinkView>(linkPath(linkId), patch)
}

/** POST /api/join-links/:id/pause|resume|revoke; revoking is final (409 on a revoked link). */
export function runJoinLinkAction(linkId: string, action: JoinLinkAction): Promise<JoinLinkView> {
  return postJson<JoinLinkView>(`${linkPath(linkId)}/${action}`)
}

/** GET /api/join-links/:id/joins: one page, newest first. */
export function listJoins(linkId: string, page: { offset: number; limit?: number }): Promise<JoinListResponse> {
  return getJson<JoinListResponse>(`${linkPath(linkId)}/joins`, {
    limit: page.limit ?? JOINS_PAGE_SIZE,
    offset: Math.max(0, Math.floor(page.offset)),
  })
}

/**
 * GET /api/join-links/:id/qr.svg|qr.png with the bearer token (an <img src> cannot send it): show it
 * through an object URL, or (`download`) save it under the server's file name.
 */
export function getJoinLinkQr(linkId: string, format: JoinLinkQrFormat, download = false): Promise<DownloadedFile> {
  return downloadFile(`${linkPath(linkId)}/qr.${format}`, `join-link-qr.${format}`, download ? { download: 1 } : undefined)
}
