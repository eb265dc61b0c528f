/**
 * What to do with one robot run, decided without calling the portal: refuse it (policy, bad input), answer
 * at once (the person exists already), wait (acceptance), or send one job item. Pure: the dispatcher hands
 * in the directory snapshot, the templates and the policy, so a round of 500 calls costs no REST per run.
 */
import type { RobotCode } from '../../install/manifest.js'
import type { JobItemPayload } from '../engine/job-runner.js'
import { checkPerson } from '../invites/check-person.js'
import { departmentWithin, type DryRunContext } from '../invites/dry-run.js'
import { jobItemFor } from '../invites/job-item.js'
import { holds, type GroupRoster } from '../portals/group-rosters.js'
import type { DirectoryUser } from '../storage/directory-store.js'
import type { NewJobItem } from '../storage/job-store.js'
import type { Invitation } from '../storage/ledger-store.js'
import type { RobotRun, RunDecision } from '../storage/robot-run-store.js'
import type { InviteTemplate } from '../storage/template-store.js'
import { propEndOfDay, propId, propText } from './robot-call.js'
import { reason, type Lang, type ReasonKey } from './robot-messages.js'
import type { RobotSettings } from './robot-settings.js'

const DAY_MS = 86_400_000
/** Replies go out this long before the portal's own timeout, so the workflow still takes them. */
export const PORTAL_TIMEOUT_MARGIN_MS = 60_000
export const DEFAULT_WAIT_DAYS = 14

export interface PlanContext {
  lang: Lang
  portalDomain: string
  settings: RobotSettings
  templates: InviteTemplate[]
  dry: Omit<DryRunContext, 'kind' | 'defaultDepartmentId' | 'defaultGroupIds'>
  /** Directory users by lower-cased e-mail. */
  usersByEmail: Map<string, DirectoryUser>
  /** Ledger entries of the people wait robots ask about (by lower-cased e-mail and by user id). */
  invitationsByEmail: Map<string, Invitation[]>
  invitationsByUser: Map<number, Invitation[]>
  /** Members of the groups add_to_group runs name (read once per round); absent groups were not read. */
  rosters: Map<number, GroupRoster>
  now: number
}

export type Plan =
  | { kind: 'decide'; decision: RunDecision; email?: string | null }
  | { kind: 'item'; item: NewJobItem; email: string | null; accessEndsAt: number | null }
  | { kind: 'wait'; email: string | null; userId: number | null; waitUntil: number }

export function inviteResult(d: { status: 'invited' | 'already_exists' | 'failed'; userId?: number | null; errorText?: string | null }): RunDecision {
  return {
    outcome: d.status,
    userId: d.userId ?? null,
    errorText: d.errorText ?? null,
    returnValues: { USER_ID: d.userId ?? '', STATUS: d.status, ERROR_TEXT: d.errorText ?? '' },
  }
}

export function groupResult(d: { status: 'added' | 'already_member' | 'failed'; userId?: number | null; errorText?: string | null }): RunDecision {
  return { outcome: d.status, userId: d.userId ?? null, errorText: d.errorText ?? null, returnValues: { STATUS: d.status, ERROR_TEXT: d.errorText ?? '' } }
}

export function acceptanceResult(d: { accepted: boolean; at: number | null; userId: number | null; errorText?: string | null }): RunDecision {
  return {
    outcome: d.accepted ? 'accepted' : 'not_accepted',
    userId: d.userId,
    errorText: d.errorText ?? null,
    returnValues: {
      ACCEPTED: d.accepted ? 'Y' : 'N',
      ACCEPTED_DATE: d.at === null ? '' : new Date(d.at).toISOString(),
      USER_ID: d.userId ?? '',
      ERROR_TEXT: d.errorText ?? '',
    },
  }
}

/** The failure a run of this robot answers with. */
export function failureFor(code: string, errorText: string): RunDecision {
  if (code === 'add_to_group') return groupResult({ status: 'failed', errorText })
  if (code === 'wait_acceptance') return acceptanceResult({ accepted: false, at: null, userId: null, errorText })
  return inviteResult({ status: 'failed', errorText })
}

export function planRun(run: RobotRun, ctx: PlanContext): Plan {
  const fail = (key: ReasonKey, params: Record<string, string | number> = {}): Plan => ({ kind: 'decide', decision: failureFor(run.robotCode, reason(ctx.lang, key, params)) })
  const code = run.robotCode as RobotCode
  if (ctx.settings.enabled[code] === false) return fail('robot_disabled')
  switch (code) {
    case 'invite_employee':
    case 'invite_guest':
      return planInvite(run, code, ctx, fail)
    case 'add_to_group':
      return planAddToGroup(run, ctx, fail)
    case 'wait_acceptance':
      return planWait(run, ctx, fail)
    default:
      return fail('robot_disabled')
  }
}

function findTemplate(value: string, templates: InviteTemplate[]): InviteTemplate | undefined {
  const v = value.trim().toLowerCase()
  return templates.find((t) => t.id === v) ?? templates.find((t) => t.name.trim().toLowerCase() === v)
}

function planInvite(run: RobotRun, code: 'invite_employee' | 'invite_guest', ctx: PlanContext, fail: (k: ReasonKey, p?: Record<string, string | number>) => Plan): Plan {
  const p = run.properties
  const kind = code === 'invite_employee' ? 'intranet' : 'extranet'
  const email = propText(p, 'EMAIL')
  if (!email) return fail('missing_email')
  let template: InviteTemplate | undefined
  const templateText = propText(p, 'TEMPLATE')
  if (templateText) {
    template = findTemplate(templateText, ctx.templates.filter((t) => !t.archived))
    if (!template) return fail('unknown_template', { value: templateText })
    if (template.kind !== kind) return fail('template_kind', { value: template.name, kind: template.kind === 'intranet' ? (ctx.lang === 'ru' ? 'сотрудник' : 'employee') : (ctx.lang === 'ru' ? 'гость' : 'guest') })
    if (ctx.settings.templates.mode === 'only' && !ctx.settings.templates.ids.includes(template.id)) return fail('template_not_allowed', { value: template.name })
  }
  let groupId: number | null = null
  let accessEndsAt: number | null = null
  if (kind === 'extranet') {
    groupId = propId(p, 'GROUP_ID')
    if (groupId === null) return fail('missing_group')
    const end = propEndOfDay(p, 'ACCESS_END_DATE')
    if (end !== null && Number.isNaN(end)) return fail('invalid_date', { value: propText(p, 'ACCESS_END_DATE') })
    if (end !== null && end < ctx.now) return fail('past_date', { value: propText(p, 'ACCESS_END_DATE') })
    accessEndsAt = end
  }
  // The same normalisation and checks as a row of an uploaded file (e-mail, department, group, existing person).
  const checked = checkPerson(
    { email, name: propText(p, 'NAME'), lastName: propText(p, 'LAST_NAME'), position: propText(p, 'POSITION'), department: propText(p, 'DEPARTMENT'), groupId, lang: ctx.lang },
    kind, ctx.dry, template?.departmentId ?? null,
  )
  if (!checked.ok) return checked.problem === 'invalid_email' ? fail('invalid_email', { value: email }) : fail('missing_email')
  const { n, row } = checked
  if (row.status === 'error') {
    if (kind === 'extranet' && row.issues.some((i) => i.code === 'unknown_group')) return fail('unknown_group', { id: groupId ?? '' })
    return fail('check_failed', { value: row.issues.filter((i) => i.severity === 'error').map((i) => i.message).join('; ') })
  }
  // A listed department allows its sub-departments too.
  if (kind === 'intranet' && row.department && ctx.settings.departments.mode === 'only' && !departmentWithin(row.department.id, ctx.settings.departments.ids, new Map(ctx.dry.departments.map((d) => [d.id, d.parentId])))) {
    return fail('department_not_allowed', { value: row.department.path })
  }
  if (kind === 'extranet' && ctx.settings.groups.mode === 'only' && row.groups.some((g) => !ctx.settings.groups.ids.includes(g.id))) {
    return fail('group_not_allowed', { value: row.groups.map((g) => g.name).join(', ') })
  }
  const lowered = checked.email.toLowerCase()
  if (row.existing && !row.groupAction) {
    // An employee already in the portal, or a dismissed person: nothing to send; the workflow gets the ID.
    if (row.existing.state === 'dismissed') return { kind: 'decide', decision: inviteResult({ status: 'already_exists', userId: row.existing.userId, errorText: reason(ctx.lang, 'dismissed', { id: row.existing.userId }) }), email: lowered }
    return { kind: 'decide', decision: inviteResult({ status: 'already_exists', userId: row.existing.userId }), email: lowered }
  }
  const item = jobItemFor(row, n, kind, template, { inviter: '', portal: ctx.portalDomain })
  const payload = item.payload as unknown as JobItemPayload
  payload.ledger = {
    ...payload.ledger,
    invitedBy: run.authUserId,
    templateId: template?.id ?? null,
    expireAfterDays: template?.expireAfterDays ?? null,
    origin: {
      kind: 'robot', robotCode: run.robotCode, runId: run.id, workflowId: run.workflowId, document: run.document, documentType: run.documentType,
      ...(accessEndsAt !== null ? { accessEndsAt } : {}),
    },
  }
  return { kind: 'item', item, email: lowered, accessEndsAt }
}

function planAddToGroup(run: RobotRun, ctx: PlanContext, fail: (k: ReasonKey, p?: Record<string, string | number>) => Plan): Plan {
  const userId = propId(run.properties, 'USER')
  if (userId === null) return fail('missing_user')
  const groupId = propId(run.properties, 'GROUP_ID')
  if (groupId === null) return fail('missing_group')
  const group = ctx.dry.groups.find((g) => g.id === groupId)
  if (!group) return fail('unknown_group', { id: groupId })
  if (ctx.settings.groups.mode === 'only' && !ctx.settings.groups.ids.includes(groupId)) return fail('group_not_allowed', { value: group.name })
  if (holds(ctx.rosters.get(groupId), userId)) return { kind: 'decide', decision: groupResult({ status: 'already_member', userId }) }
  const payload: JobItemPayload = {
    email: null, phone: null, fields: {}, messageText: null,
    groupInvite: { groupId, userId, method: 'sonet_group.user.add' },
    ledger: {
      name: null, lastName: null, kind: group.isExtranet ? 'extranet' : 'intranet', departmentId: null, groupIds: [groupId], invitedBy: run.authUserId, templateId: null, expireAfterDays: null,
      origin: { kind: 'robot', robotCode: run.robotCode, runId: run.id, workflowId: run.workflowId, document: run.document, documentType: run.documentType },
    },
  }
  return { kind: 'item', item: { email: null, phone: null, payload: payload as unknown as Record<string, unknown> }, email: null, accessEndsAt: null }
}

function planWait(run: RobotRun, ctx: PlanContext, fail: (k: ReasonKey, p?: Record<string, string | number>) => Plan): Plan {
  const emailText = propText(run.properties, 'EMAIL').toLowerCase()
  const userId = propId(run.properties, 'USER_ID')
  if (!emailText && userId === null) return fail('no_person')
  const email = emailText || null
  const days = Math.min(365, Math.max(1, propId(run.properties, 'WAIT_DAYS') ?? DEFAULT_WAIT_DAYS))
  const invitations = [...(userId !== null ? ctx.invitationsByUser.get(userId) ?? [] : []), ...(email ? ctx.invitationsByEmail.get(email) ?? [] : [])]
  const accepted = invitations.find((i) => i.state === 'accepted')
  if (accepted) return { kind: 'decide', decision: acceptanceResult({ accepted: true, at: accepted.acceptedAt, userId: accepted.userId ?? userId }), email }
  const user = email ? ctx.usersByEmail.get(email) : undefined
  // Someone already working in the portal (logged in, not an open invitation) has nothing left to accept.
  if (user && user.active && !user.invited && invitations.length === 0) {
    return { kind: 'decide', decision: acceptanceResult({ accepted: true, at: user.lastLogin, userId: user.id }), email }
  }
  const ownDeadline = ctx.now + days * DAY_MS
  const portalDeadline = run.portalTimeoutAt === null ? Number.POSITIVE_INFINITY : run.portalTimeoutAt - PORTAL_TIMEOUT_MARGIN_MS
  return { kind: 'wait', email, userId: userId ?? invitations.find((i) => i.userId !== null)?.userId ?? user?.id ?? null, waitUntil: Math.max(ctx.now, Math.min(ownDeadline, portalDeadline)) }
}

/** Why a wait ended without acceptance, in the portal's language. */
export function waitTimeoutText(run: RobotRun, lang: Lang, hadInvitation: boolean): string {
  const days = Math.min(365, Math.max(1, propId(run.properties, 'WAIT_DAYS') ?? DEFAULT_WAIT_DAYS))
  if (run.waitUntil !== null && run.portalTimeoutAt !== null && run.waitUntil >= run.portalTimeoutAt - PORTAL_TIMEOUT_MARGIN_MS) return reason(lang, 'portal_timeout')
  if (!hadInvitation) return reason(lang, 'not_accepted_no_invite', { value: run.email ?? `ID ${run.userId ?? ''}`, days })
  return reason(lang, 'not_accepted', { days })
}
