import { getJson, patchJson, postJson, request } from './http'
import { toSendOutcome } from './policy'
import type {
  ConfirmEndResponse,
  DryRunRow,
  DryRunSummary,
  EmbeddedSendResponse,
  ExtranetGroupListResponse,
  ExtranetGroupResponse,
  GroupInviteResponse,
  GuestListResponse,
  OnboardingKit,
  OnboardingKitInput,
  OnboardingKitResponse,
} from './types'

/** The pasted list is parsed and checked against the directory in one call: as slow as a dry run. */
const INVITE_TIMEOUT_MS = 180_000

const groupPath = (groupId: number) => `/api/extranet/groups/${encodeURIComponent(String(groupId))}`
const guestPath = (guestId: string) => `/api/extranet/guests/${encodeURIComponent(guestId)}`

/** GET /api/extranet/groups: extranet groups and intranet groups that hold extranet people. */
export function listExtranetGroups(): Promise<ExtranetGroupListResponse> {
  return getJson<ExtranetGroupListResponse>('/api/extranet/groups')
}

/** GET /api/extranet/groups/:groupId (404 group_not_found). */
export function getExtranetGroup(groupId: number): Promise<ExtranetGroupResponse> {
  return getJson<ExtranetGroupResponse>(groupPath(groupId))
}

/** GET /api/extranet/groups/:groupId/kit: the onboarding kit (null when none) and whether the viewer may edit it. */
export function getOnboardingKit(groupId: number): Promise<OnboardingKitResponse> {
  return getJson<OnboardingKitResponse>(`${groupPath(groupId)}/kit`)
}

/** PUT /api/extranet/groups/:groupId/kit. 400 bad_request (details), 403 when not the owner/moderator/admin. */
export function saveOnboardingKit(groupId: number, input: OnboardingKitInput): Promise<{ kit: OnboardingKit }> {
  return request<{ kit: OnboardingKit }>(`${groupPath(groupId)}/kit`, { method: 'PUT', body: input })
}

/** GET /api/extranet/groups/:groupId/guests */
export function listGuests(groupId: number): Promise<GuestListResponse> {
  return getJson<GuestListResponse>(`${groupPath(groupId)}/guests`)
}

/** POST /api/extranet/groups/:groupId/invite: the dry run of a pasted list into this group (send with sendImport). */
export function inviteToGroup(groupId: number, people: string): Promise<GroupInviteResponse> {
  return postJson<GroupInviteResponse>(`${groupPath(groupId)}/invite`, { people }, { timeoutMs: INVITE_TIMEOUT_MS })
}

/**
 * POST /api/extranet/groups/:groupId/invite/:importId/send: the group manager's send (source group_tab).
 * The invite policy decides: 201 sent (a job to follow) or 202 requested (an approver was notified); 403 policy_denied.
 */
export async function sendGroupInvite(groupId: number, importId: string): Promise<EmbeddedSendResponse> {
  return toSendOutcome(await postJson<unknown>(`${groupPath(groupId)}/invite/${encodeURIComponent(importId)}/send`, {}))
}

/** PATCH /api/extranet/groups/:groupId/invite/:importId/rows/:row: exclude or include a row of the checked list. */
export function setGroupInviteRowExcluded(groupId: number, importId: string, rowNumber: number, excluded: boolean): Promise<{ row: DryRunRow; summary: DryRunSummary }> {
  return patchJson<{ row: DryRunRow; summary: DryRunSummary }>(`${groupPath(groupId)}/invite/${encodeURIComponent(importId)}/rows/${rowNumber}`, { excluded })
}

/** POST /api/extranet/guests/:guestId/extend: a new end date, or null for none. 409 guest_ended. */
export function extendGuest(guestId: string, accessEndsAt: number | null): Promise<{ ok: true }> {
  return postJson<{ ok: true }>(`${guestPath(guestId)}/extend`, { accessEndsAt })
}

/** POST /api/extranet/guests/:guestId/confirm-end: end a stay waiting for the sponsor. 409 not_awaiting_confirmation. */
export function confirmGuestEnd(guestId: string): Promise<ConfirmEndResponse> {
  return postJson<ConfirmEndResponse>(`${guestPath(guestId)}/confirm-end`, {})
}

/** PATCH /api/extranet/guests/:guestId: hand the guest over to another sponsor. 409 guest_ended. */
export function setGuestSponsor(guestId: string, sponsorId: number): Promise<{ ok: true }> {
  return patchJson<{ ok: true }>(guestPath(guestId), { sponsorId })
}
