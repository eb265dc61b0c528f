import { ApiError, CLIENT_ERROR_CODES, getJson, postJson, request, type QueryValue } from './http'
import type {
  CrmPrefillRequest,
  CrmPrefillResponse,
  EmbeddedCheckRequest,
  EmbeddedCheckResponse,
  EmbeddedSendResponse,
  InvitePolicy,
  InvitePolicyResponse,
  InviteRequestListResponse,
  InviteRequestResponse,
  InviteRequestState,
} from './types'

export const REQUESTS_PAGE_SIZE = 50
/** The largest page the server gives (used to count the requests waiting for the viewer). */
export const REQUESTS_MAX_LIMIT = 200

/** The pasted list is parsed and checked against the directory in one call: as slow as a dry run. */
const CHECK_TIMEOUT_MS = 180_000

const id = (value: string) => encodeURIComponent(value)
const requestPath = (requestId: string) => `/api/requests/${id(requestId)}`

/** GET /api/policy (admins): the invite policy. */
export function getPolicy(): Promise<InvitePolicyResponse> {
  return getJson<InvitePolicyResponse>('/api/policy')
}

/** PUT /api/policy (admins); 400 bad_request with `[{ path, message }]` details (e.g. `rules.0.dailyQuota`). */
export function savePolicy(policy: InvitePolicy): Promise<InvitePolicyResponse> {
  return request<InvitePolicyResponse>('/api/policy', { method: 'PUT', body: policy })
}

/** POST /api/embedded/check: the dry run of a pasted list and what the policy says about sending it. */
export function embeddedCheck(body: EmbeddedCheckRequest): Promise<EmbeddedCheckResponse> {
  return postJson<EmbeddedCheckResponse>('/api/embedded/check', body, { timeoutMs: CHECK_TIMEOUT_MS })
}

/**
 * A send's answer as one shape: `{ status: 'sent', jobId }` (201) or `{ status: 'requested', requestId, reasons }`
 * (202). A server that predates the policy answers `{ jobId }`: that is a send too.
 */
export function toSendOutcome(body: unknown): EmbeddedSendResponse {
  const value = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  if (value.status === 'requested' && typeof value.requestId === 'string') {
    const reasons = Array.isArray(value.reasons) ? value.reasons.filter((item): item is string => typeof item === 'string') : []
    return { status: 'requested', requestId: value.requestId, reasons }
  }
  if (typeof value.jobId === 'string') return { status: 'sent', jobId: value.jobId }
  throw new ApiError(200, CLIENT_ERROR_CODES.badResponse, 'The send answered neither a job nor a request')
}

/** POST /api/embedded/:importId/send: 201 sent, 202 requested, 403 policy_denied. */
export async function embeddedSend(importId: string): Promise<EmbeddedSendResponse> {
  return toSendOutcome(await postJson<unknown>(`/api/embedded/${id(importId)}/send`))
}

/** POST /api/embedded/crm-prefill: the card's e-mail and name, read with the viewer's own rights (404 crm_unavailable). */
export function crmPrefill(body: CrmPrefillRequest): Promise<CrmPrefillResponse> {
  return postJson<CrmPrefillResponse>('/api/embedded/crm-prefill', body)
}

/** One page of requests: the state filter ('' = any) and where the page starts. */
export interface RequestsQuery {
  state: InviteRequestState | ''
  offset: number
  /** @defaultValue {@link REQUESTS_PAGE_SIZE} */
  limit?: number
}

/** The query string of GET /api/requests: an empty state is left out (the server takes no other parameters). */
export function requestsQuery({ state, offset, limit }: RequestsQuery): Record<string, QueryValue> {
  return {
    state: state || undefined,
    offset: Math.max(0, Math.floor(offset)),
    limit: Math.min(REQUESTS_MAX_LIMIT, Math.max(1, Math.floor(limit ?? REQUESTS_PAGE_SIZE))),
  }
}

/** GET /api/requests: admins see all, others theirs and the ones they decide. */
export function listRequests(query: RequestsQuery): Promise<InviteRequestListResponse> {
  return getJson<InviteRequestListResponse>('/api/requests', requestsQuery(query))
}

/** GET /api/requests/:requestId (404 request_not_found when not visible). */
export function getRequest(requestId: string): Promise<InviteRequestResponse> {
  return getJson<InviteRequestResponse>(requestPath(requestId))
}

/** POST /api/requests/:requestId/approve with an optional note (403 forbidden, 409 request_decided). */
export function approveRequest(requestId: string, reason?: string): Promise<InviteRequestResponse> {
  const note = reason?.trim()
  return postJson<InviteRequestResponse>(`${requestPath(requestId)}/approve`, note ? { reason: note } : {})
}

/** POST /api/requests/:requestId/decline; the reason is required. */
export function declineRequest(requestId: string, reason: string): Promise<InviteRequestResponse> {
  return postJson<InviteRequestResponse>(`${requestPath(requestId)}/decline`, { reason: reason.trim() })
}

/** POST /api/requests/:requestId/cancel (the requester, while it is pending). */
export function cancelRequest(requestId: string): Promise<InviteRequestResponse> {
  return postJson<InviteRequestResponse>(`${requestPath(requestId)}/cancel`)
}
