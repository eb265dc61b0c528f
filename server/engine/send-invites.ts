/**
 * Sends one chunk of invitations (≤ 50 rows) in one `batch` request and classifies every row. Pure: no
 * store, no retries of its own; the job engine persists states around it.
 *
 * - E-mail rows: `user.add` (rest-facts §1.1), with `MESSAGE_TEXT` only when the portal takes it
 *   (undocumented in the current docs, documented in the legacy ones; the portal HTML-escapes it).
 * - Phone-only rows: `intranet.invite.inviteUsersByPhoneNumber` (rest-facts §1.2, source-only method:
 *   `phoneInvitations: [{phoneNumber, name, lastName}]`, `departmentIds`) when probed available, else a
 *   clear permanent failure.
 * - Classification follows the user-add.md error table; the "already exists" text is localized (EN "A user
 *   with this email already exists", RU "Пользователь с таким email уже существует"). An ERROR_ARGUMENT
 *   whose text we do not recognise (another language) is settled by asking the portal whether the e-mail
 *   now has an account.
 * - Nothing is reported 'invited' without the user id the portal returned.
 */
import type { CallParams, DetailedBatch, PortalGateway } from '../portals/portal-gateway.js'
import { AppError, PortalApiError, errorText } from '../shared/errors.js'
import { holds, readGroupRosters } from '../portals/group-rosters.js'
import { findUsersByEmail } from './reconcile.js'

export interface InvitePayload {
  email: string | null
  phone: string | null
  /** NAME, LAST_NAME, SECOND_NAME, WORK_POSITION, UF_DEPARTMENT, EXTRANET, SONET_GROUP_ID, UF_USR_* … */
  fields: Record<string, unknown>
  messageText: string | null
  /**
   * Someone already in the portal, brought into a group instead of created: `sonet_group.user.invite` (they
   * confirm) or `sonet_group.user.add` (no confirmation; rest-facts §2.2). The dry run picks the method.
   */
  groupInvite?: GroupInvite
}

export interface GroupInvite {
  groupId: number
  userId: number
  method: typeof GROUP_INVITE_METHOD | typeof GROUP_ADD_METHOD
}

export const GROUP_INVITE_METHOD = 'sonet_group.user.invite'
export const GROUP_ADD_METHOD = 'sonet_group.user.add'

/** The REST method a payload is sent with (pacing charges each method its own budget). */
export function methodOf(p: InvitePayload, caps: Pick<InviteCaps, 'phoneInvite'>): string | null {
  if (p.groupInvite) return p.groupInvite.method
  if ((p.email ?? '').trim()) return 'user.add'
  return (p.phone ?? '').trim() && caps.phoneInvite ? PHONE_INVITE_METHOD : null
}

export type SendOutcome =
  | { kind: 'invited'; userId: number }
  | { kind: 'skipped'; code: 'already_exists'; message: string }
  | { kind: 'failed'; code: string; message: string }
  /**
   * Transient. `maybeApplied`: the request may have reached the portal and run (timeout, dropped connection,
   * 5xx): reconcile (findUsersByEmail) before sending again, or a re-send reports 'already_exists'.
   * `mayStillRun`: no answer came back at all (timeout, dropped or reset connection), so the portal may still
   * be working through the batch; a look-up now can miss rows it has yet to create.
   */
  | { kind: 'retry'; code: string; message: string; maybeApplied?: boolean; mayStillRun?: boolean }

export interface InviteCaps {
  /** user.add accepts MESSAGE_TEXT. */
  messageText: boolean
  /** intranet.invite.inviteUsersByPhoneNumber is callable on this portal. */
  phoneInvite: boolean
}

export const PHONE_INVITE_METHOD = 'intranet.invite.inviteUsersByPhoneNumber'
export const MAX_CHUNK = 50

/** user-add.md: the e-mail is taken. The text is localized; EN and RU as the docs print them. */
const ALREADY_EXISTS = [/already exists/i, /уже существует/i]

/** Descriptions of ERROR_ARGUMENT that are codes (user-add.md table, plus the source's no_sonet_group_for_extranet, invalid_type_field). */
const ARGUMENT_CODES: Record<string, string> = {
  wrong_email: 'The portal rejected the e-mail address as missing or invalid.',
  user_count_exceeded: 'The portal has no free user seats left on its plan.',
  no_extranet_field: 'Neither a department (intranet) nor EXTRANET=Y with a group was given.',
  no_sonet_group_for_extranet: 'An extranet invitation needs at least one group.',
  invalid_type_field: 'A WORK_* or PERSONAL_* field was not a string.',
}

/** Errors after which the same request may well succeed later. */
const TRANSIENT = new Set([
  'QUERY_LIMIT_EXCEEDED', 'OPERATION_TIME_LIMIT', 'OVERLOAD_LIMIT',
  'INTERNAL_SERVER_ERROR', 'ERROR_UNEXPECTED_ANSWER',
  'NETWORK_ERROR', 'REQUEST_TIMEOUT', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT',
  'expired_token', 'invalid_token', 'NO_AUTH_FOUND',
  'JSSDK_CALL_ALL_ATTEMPTS_EXHAUSTED',
])

/** Transient errors that mean the request was refused before running (safe to send again as is). */
const REFUSED_BEFORE_RUNNING = new Set(['QUERY_LIMIT_EXCEEDED', 'OPERATION_TIME_LIMIT', 'OVERLOAD_LIMIT', 'expired_token', 'invalid_token', 'NO_AUTH_FOUND'])

export async function sendInviteChunk(
  gateway: PortalGateway,
  memberId: string,
  payloads: InvitePayload[],
  caps: InviteCaps,
): Promise<SendOutcome[]> {
  if (payloads.length > MAX_CHUNK) throw new AppError('chunk_too_large', `A chunk holds at most ${MAX_CHUNK} invitations`, 500)
  const out: Array<SendOutcome | undefined> = new Array(payloads.length).fill(undefined)
  const calls: Record<string, [string, CallParams]> = {}
  const keyOf = (i: number): string => `i${i}`

  payloads.forEach((p, i) => {
    const email = (p.email ?? '').trim()
    const phone = (p.phone ?? '').trim()
    if (p.groupInvite) {
      const g = p.groupInvite
      calls[keyOf(i)] = [g.method, { GROUP_ID: g.groupId, USER_ID: g.userId, ...(g.method === GROUP_INVITE_METHOD && p.messageText ? { MESSAGE: p.messageText } : {}) }]
    } else if (email) {
      calls[keyOf(i)] = ['user.add', userAddParams(p, email, caps)]
    } else if (phone) {
      if (!caps.phoneInvite) {
        out[i] = {
          kind: 'failed',
          code: 'phone_invite_unavailable',
          message: 'This portal does not accept invitations by phone number through the REST API; add an e-mail address to invite this person.',
        }
      } else if (isExtranet(p.fields)) {
        out[i] = {
          kind: 'failed',
          code: 'phone_invite_unavailable',
          message: 'Invitations by phone number can only add employees to departments, not extranet users; add an e-mail address.',
        }
      } else {
        calls[keyOf(i)] = [PHONE_INVITE_METHOD, phoneInviteParams(p, phone)]
      }
    } else {
      out[i] = { kind: 'failed', code: 'no_contact', message: 'The row has neither an e-mail address nor a phone number.' }
    }
  })
  if (Object.keys(calls).length === 0) return out as SendOutcome[]

  let batch: DetailedBatch
  try {
    // One attempt: replaying a half-run batch of user.add is the job engine's call (it reconciles first).
    batch = await gateway.batchDetailed(memberId, calls, { replay: false })
  } catch (e) {
    const r = wholeRequestFailure(e)
    for (const k of Object.keys(calls)) out[Number(k.slice(1))] = r
    return out as SendOutcome[]
  }

  const unknownArgument: number[] = []
  const notInvited: number[] = []
  for (const [k, [method]] of Object.entries(calls)) {
    const i = Number(k.slice(1))
    const o = batch.outcomes[k]
    if (!o) {
      out[i] = { kind: 'retry', code: 'no_answer', message: 'The portal answered the batch without this command.', maybeApplied: true }
      continue
    }
    const group = payloads[i]!.groupInvite
    if (group) {
      if (!o.ok) out[i] = classifyGroupInviteError(o.code, o.message)
      else if (Array.isArray(o.result) && o.result.some((id) => Number(id) === group.userId)) out[i] = { kind: 'invited', userId: group.userId }
      // "An empty array means that none of the provided users could be invited" (already in the group, or
      // no right to invite): the group's member lists tell which.
      else notInvited.push(i)
      continue
    }
    if (o.ok) {
      const userId = method === 'user.add' ? positiveInt(o.result) : firstUserId(o.result)
      out[i] =
        userId !== undefined
          ? { kind: 'invited', userId }
          : { kind: 'failed', code: 'unexpected_answer', message: 'The portal accepted the invitation but returned no user id; check the person in Bitrix24 before inviting again.' }
      continue
    }
    const c = method === 'user.add' ? classifyUserAddError(o.code, o.message) : classifyPhoneInviteError(o.code, o.message)
    if (c === 'unknown_argument') {
      unknownArgument.push(i)
      out[i] = { kind: 'failed', code: 'ERROR_ARGUMENT', message: o.message }
    } else {
      out[i] = c
    }
  }

  if (notInvited.length > 0) {
    try {
      const inGroup = await readGroupRosters(gateway, memberId, [...new Set(notInvited.map((i) => payloads[i]!.groupInvite!.groupId))])
      for (const i of notInvited) {
        const g = payloads[i]!.groupInvite!
        // Already a member or invited: after a lost answer that was this very request, so it counts as sent.
        out[i] = holds(inGroup.get(g.groupId), g.userId)
          ? { kind: 'invited', userId: g.userId }
          : { kind: 'failed', code: 'group_invite_refused', message: 'The portal did not bring this person into the group: they may have left the portal, or the installing user may not invite to this group.' }
      }
    } catch (e) {
      for (const i of notInvited) out[i] = { kind: 'retry', code: 'group_lookup_failed', message: `Could not read the group's members: ${errorText(e)}` }
    }
  }

  if (unknownArgument.length > 0) {
    // A localized "already exists" we cannot read: the portal tells us whether the address has an account.
    try {
      const found = await findUsersByEmail(gateway, memberId, unknownArgument.map((i) => payloads[i]!.email!.trim()))
      for (const i of unknownArgument) {
        if (found.has(payloads[i]!.email!.trim().toLowerCase())) {
          out[i] = { kind: 'skipped', code: 'already_exists', message: (out[i] as { message: string }).message }
        }
      }
    } catch {
      // Keep them failed with the portal's own text.
    }
  }
  return out as SendOutcome[]
}

/** sonet_group.user.invite/add errors (rest-facts §2.2): the group or the people are wrong, or no rights. */
function classifyGroupInviteError(code: string, message: string): SendOutcome {
  const text = (message ?? '').trim()
  if (/Wrong group ID|group not found/i.test(text)) return { kind: 'failed', code: 'group_not_found', message: 'The group does not exist any more or cannot be seen by the installing user.' }
  if (/Wrong user IDs/i.test(text)) return { kind: 'failed', code: 'user_not_found', message: 'The person is no longer in the portal.' }
  if (/No permissions/i.test(text)) return { kind: 'failed', code: 'access_denied', message: 'The installing user may not add people to this group.' }
  return classifySystemError(code, text)
}

function isExtranet(fields: Record<string, unknown>): boolean {
  const v = fields.EXTRANET ?? fields.extranet
  return v === 'Y' || v === true
}

function userAddParams(p: InvitePayload, email: string, caps: InviteCaps): CallParams {
  const params: CallParams = {}
  for (const [k, v] of Object.entries(p.fields)) {
    if (v === undefined || v === null) continue
    const K = k.toUpperCase()
    // The row's address and text are ours to set; `auth` must never ride along inside a batch command.
    if (K === 'EMAIL' || K === 'MESSAGE_TEXT' || K === 'AUTH') continue
    params[k] = v
  }
  params.EMAIL = email
  if (caps.messageText && p.messageText) params.MESSAGE_TEXT = p.messageText
  return params
}

function phoneInviteParams(p: InvitePayload, phone: string): CallParams {
  const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '')
  const departments = p.fields.UF_DEPARTMENT
  const departmentIds = (Array.isArray(departments) ? departments : departments === undefined || departments === null ? [] : [departments])
    .map((d) => Number(d))
    .filter((d) => Number.isInteger(d) && d > 0)
  return {
    phoneInvitations: [{ phoneNumber: phone, name: text(p.fields.NAME), lastName: text(p.fields.LAST_NAME) }],
    ...(departmentIds.length > 0 ? { departmentIds } : {}),
  }
}

function positiveInt(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : Number.NaN
  return Number.isInteger(n) && n > 0 ? n : undefined
}

/** The phone controller answers a list of created users (`[{id, login, …}]`, rest-facts §1.3's shape). */
function firstUserId(result: unknown): number | undefined {
  const list = Array.isArray(result)
    ? result
    : result !== null && typeof result === 'object'
      ? Object.values(result as Record<string, unknown>).find(Array.isArray) ?? Object.values(result as Record<string, unknown>)
      : []
  for (const item of list as unknown[]) {
    if (item === null || typeof item !== 'object') continue
    const r = item as Record<string, unknown>
    const id = positiveInt(r.id ?? r.ID)
    if (id !== undefined) return id
  }
  return undefined
}

/** The user-add.md table, then system errors. 'unknown_argument': an ERROR_ARGUMENT text we do not know. */
export function classifyUserAddError(code: string, message: string): SendOutcome | 'unknown_argument' {
  const text = (message ?? '').trim()
  if (code === 'ERROR_ARGUMENT') {
    if (ALREADY_EXISTS.some((re) => re.test(text))) return { kind: 'skipped', code: 'already_exists', message: text }
    const known = ARGUMENT_CODES[text]
    if (known) return { kind: 'failed', code: text, message: known }
    return 'unknown_argument'
  }
  if (code === 'ERROR_GROUPID') return { kind: 'failed', code, message: `An extranet invitation needs a group (${text || 'Group code not specified'}).` }
  if (code === 'ERROR_NO_GROUP') return { kind: 'failed', code, message: `The extranet group does not exist or cannot be used (${text || 'Group is specified incorrectly'}).` }
  if (code === 'ERROR_CORE') {
    if (text === 'access_denied') return { kind: 'failed', code: 'access_denied', message: 'The installing user may not invite users on this portal.' }
    // user-add.md: "error updating user fields" — the account may exist already without the invitation.
    return { kind: 'failed', code: 'ERROR_CORE', message: `The portal could not save the new user's fields${text && text !== 'Internal error' ? `: ${text}` : ''}; check the person in Bitrix24 before inviting again.` }
  }
  return classifySystemError(code, text)
}

function classifyPhoneInviteError(code: string, message: string): SendOutcome {
  const text = (message ?? '').trim()
  if (code === 'ERROR_METHOD_NOT_FOUND' || /not available/i.test(text)) {
    return { kind: 'failed', code: 'phone_invite_unavailable', message: 'This portal does not accept invitations by phone number through the REST API; add an e-mail address.' }
  }
  const c = classifyUserAddError(code, text)
  return c === 'unknown_argument' ? { kind: 'failed', code, message: text } : c
}

function classifySystemError(code: string, text: string): SendOutcome {
  if (TRANSIENT.has(code)) {
    return { kind: 'retry', code, message: text || code, ...(REFUSED_BEFORE_RUNNING.has(code) ? {} : { maybeApplied: true }) }
  }
  if (code === 'ACCESS_DENIED' || code === 'user_access_error') return { kind: 'failed', code: 'access_denied', message: text || 'Access denied.' }
  if (code === 'insufficient_scope') return { kind: 'failed', code, message: 'The app lacks the permission (scope) this invitation needs; reinstall it with the current permissions.' }
  // Unknown errors are permanent: re-sending a request the portal refused for a reason we cannot read helps nobody.
  return { kind: 'failed', code, message: text || code }
}

/** System errors that come in the portal's own error envelope: it answered, so it is done with the request. */
const ANSWERED_FAILURES = new Set(['INTERNAL_SERVER_ERROR', 'ERROR_UNEXPECTED_ANSWER'])

/** The whole batch request failed: every row is retried, none can have a final state. */
function wholeRequestFailure(e: unknown): SendOutcome {
  if (e instanceof PortalApiError) {
    const refused = REFUSED_BEFORE_RUNNING.has(e.apiCode) || e.httpStatus === 401 || e.httpStatus === 403 || e.httpStatus === 429 || e.httpStatus === 503
    if (refused) return { kind: 'retry', code: e.apiCode, message: e.message }
    const answered = e.httpStatus >= 500 && ANSWERED_FAILURES.has(e.apiCode)
    return { kind: 'retry', code: e.apiCode, message: e.message, maybeApplied: true, ...(answered ? {} : { mayStillRun: true }) }
  }
  if (e instanceof AppError) {
    // Our side (not installed, needs reinstall, refresh failed): nothing reached the portal's user.add.
    return { kind: 'retry', code: e.code, message: e.message }
  }
  return { kind: 'retry', code: 'UNKNOWN', message: errorText(e), maybeApplied: true, mayStillRun: true }
}
