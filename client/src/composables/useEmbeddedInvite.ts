import { computed, ref, shallowRef, watch } from 'vue'
import { ApiError, toApiError } from '../api/http'
import { crmPrefill, embeddedCheck, embeddedSend } from '../api/policy'
import type { CrmEntity, CrmPrefillResponse, EmbeddedCheckResponse, InviteKind } from '../api/types'
import { usePortalStore } from '../stores/portal'
import { deniedReasons } from './usePolicyFormat'
import { waitForB24 } from './useB24'

/** How a send ended: a job to follow, a request an approver was told about, or refused by the policy. */
export type EmbeddedOutcome =
  | { kind: 'sent'; jobId: string }
  | { kind: 'requested'; requestId: string; reasons: string[] }
  | { kind: 'denied'; reasons: string[] }

export type EmbeddedStage = 'edit' | 'checked' | 'done'

/**
 * What the CRM card's prefill gave: `filled` (its e-mail is in the list), `noEmail` (the card has none),
 * `noFrame` (the portal's frame or its AUTH_ID could not be read), `unavailable` (404 crm_unavailable:
 * the viewer may not read the card), `failed` (any other error).
 */
export type PrefillState = 'idle' | 'loading' | 'filled' | 'noEmail' | 'noFrame' | 'unavailable' | 'failed'

/** Client-side codes of a check the form refuses to send (the server would answer 400 with the same codes). */
export const MISSING_GROUP = 'missing_group'
export const MISSING_DEPARTMENT = 'missing_department'
export const EMPTY_LIST = 'empty_list'

/** The frame's current AUTH_ID (refreshed when the SDK has none), or null outside a portal frame. */
export async function frameAuthId(timeoutMs = 5_000): Promise<string | null> {
  const frame = await waitForB24(timeoutMs)
  if (!frame) return null
  try {
    const data = frame.auth.getAuthData() || (await frame.auth.refreshAuth())
    return data && typeof data.access_token === 'string' && data.access_token ? data.access_token : null
  } catch {
    return null
  }
}

/** "Anna Smirnova <anna@x>" for the paste box (a name with a comma or semicolon is quoted). */
export function personLine(person: Pick<CrmPrefillResponse, 'email' | 'name' | 'lastName'>): string {
  if (!person.email) return ''
  const name = [person.name, person.lastName]
    .map(part => (part ?? '').replace(/[<>"\r\n]/g, ' ').trim())
    .filter(Boolean)
    .join(' ')
    .replace(/\s+/g, ' ')
  if (!name) return person.email
  return /[,;]/.test(name) ? `"${name}" <${person.email}>` : `${name} <${person.email}>`
}

/**
 * The focused invite form of a placement (a CRM card's tab: a guest into a group; the profile menu: a
 * colleague into a department): the target, the pasted list, the check (dry run + the policy's decision)
 * and the send, which goes out, becomes a request for approval, or is refused. No texts here.
 */
export function useEmbeddedInvite(kind: InviteKind) {
  const portal = usePortalStore()

  const departmentId = ref<number | null>(null)
  const groupId = ref<number | null>(null)
  const templateId = ref<string | null>(null)
  const people = ref('')

  const stage = ref<EmbeddedStage>('edit')
  const busy = ref<'check' | 'send' | null>(null)
  const error = shallowRef<ApiError | null>(null)
  const result = shallowRef<EmbeddedCheckResponse | null>(null)
  const outcome = shallowRef<EmbeddedOutcome | null>(null)

  const decision = computed(() => result.value?.decision ?? null)
  /** Rows that go out: ready or with a warning, and not someone the portal already has unless they join the group. */
  const sendable = computed(() => (result.value?.rows ?? []).filter(row => (row.status === 'ready' || row.status === 'warning') && (!row.existing || row.groupAction)).length)
  /** Why the checked list cannot be sent as it is, or null. */
  const blocked = computed<'denied' | 'errors' | 'nothing' | null>(() => {
    const checked = result.value
    if (!checked) return null
    if (checked.decision.decision === 'deny') return 'denied'
    if (checked.summary.errors > 0) return 'errors'
    if (sendable.value === 0) return 'nothing'
    return null
  })
  /** What the check is missing before it can run. */
  const missing = computed<typeof MISSING_GROUP | typeof MISSING_DEPARTMENT | typeof EMPTY_LIST | null>(() => {
    if (kind === 'extranet' && groupId.value === null) return MISSING_GROUP
    if (kind === 'intranet' && departmentId.value === null) return MISSING_DEPARTMENT
    if (!people.value.trim()) return EMPTY_LIST
    return null
  })
  /** The send's job (a ref, for useJobMonitor). */
  const jobId = ref<string | null>(null)

  // A check is of one target: another group, department or template needs a new one.
  watch([departmentId, groupId, templateId], () => {
    if (stage.value === 'checked') edit()
  })

  function fail(cause: unknown): ApiError {
    portal.noteError(cause)
    return toApiError(cause)
  }

  /** POST /api/embedded/check. Resolves to whether the list was checked (else `error` says why). */
  async function check(): Promise<boolean> {
    if (busy.value) return false
    error.value = null
    const problem = missing.value
    if (problem) {
      error.value = new ApiError(0, problem, problem === EMPTY_LIST ? 'Paste at least one e-mail' : 'Choose where to invite')
      return false
    }
    busy.value = 'check'
    try {
      result.value = await embeddedCheck({
        kind,
        departmentId: kind === 'intranet' ? departmentId.value : null,
        groupId: kind === 'extranet' ? groupId.value : null,
        templateId: templateId.value || null,
        people: people.value,
      })
      outcome.value = null
      stage.value = 'checked'
      return true
    } catch (cause) {
      error.value = fail(cause)
      return false
    } finally {
      busy.value = null
    }
  }

  /**
   * POST /api/embedded/:importId/send: 201 → sent (a job), 202 → requested, 403 policy_denied → denied
   * (the policy changed since the check, e.g. the quota ran out). Other errors stay in `error`.
   */
  async function send(): Promise<EmbeddedOutcome | null> {
    const checked = result.value
    if (!checked || busy.value || blocked.value) return null
    busy.value = 'send'
    error.value = null
    try {
      const answer = await embeddedSend(checked.importId)
      outcome.value = answer.status === 'sent' ? { kind: 'sent', jobId: answer.jobId } : { kind: 'requested', requestId: answer.requestId, reasons: answer.reasons }
      jobId.value = answer.status === 'sent' ? answer.jobId : null
      stage.value = 'done'
      return outcome.value
    } catch (cause) {
      const failure = fail(cause)
      if (failure.status === 403 && failure.code === 'policy_denied') {
        outcome.value = { kind: 'denied', reasons: deniedReasons(failure) }
        stage.value = 'done'
        return outcome.value
      }
      error.value = failure
      return null
    } finally {
      busy.value = null
    }
  }

  /** Back to the list (kept) to change it and check again. */
  function edit(): void {
    stage.value = 'edit'
    result.value = null
    outcome.value = null
    jobId.value = null
    error.value = null
  }

  /** Start over with an empty list (the target stays). */
  function reset(): void {
    edit()
    people.value = ''
  }

  // --- The CRM card's prefill ---------------------------------------------------------------------

  const prefillState = ref<PrefillState>('idle')
  const prefillError = shallowRef<ApiError | null>(null)
  const prefilled = shallowRef<CrmPrefillResponse | null>(null)

  /**
   * POST /api/embedded/crm-prefill with the frame's AUTH_ID (`authId` resolves it; null = no frame):
   * the card's e-mail and name go into an empty list.
   */
  async function prefill(entity: CrmEntity, id: number, authId: () => Promise<string | null> = frameAuthId): Promise<PrefillState> {
    prefillState.value = 'loading'
    prefillError.value = null
    prefilled.value = null
    const token = await authId()
    if (!token) return (prefillState.value = 'noFrame')
    try {
      const card = await crmPrefill({ entity, id, authId: token })
      prefilled.value = card
      if (!card.email) return (prefillState.value = 'noEmail')
      // A company's name is its title, not a person's: only its e-mail goes into the list.
      if (!people.value.trim()) people.value = personLine(entity === 'company' ? { email: card.email, name: null, lastName: null } : card)
      return (prefillState.value = 'filled')
    } catch (cause) {
      const failure = fail(cause)
      prefillError.value = failure
      return (prefillState.value = failure.code === 'crm_unavailable' || failure.status === 404 ? 'unavailable' : 'failed')
    }
  }

  return {
    kind, departmentId, groupId, templateId, people,
    stage, busy, error, result, decision, outcome, sendable, blocked, missing, jobId,
    check, send, edit, reset,
    prefillState, prefillError, prefilled, prefill,
  }
}
