/**
 * A manager's invite from where they work (a group's tab, a CRM card, their profile menu): the pasted list
 * is checked like a file's rows, the policy decides on what the check found, and the send goes out at once,
 * becomes a request for approval, or is refused with the reasons. The same path for every embedded tab.
 */
import { AppError, NotFoundError, PolicyDeniedError } from '../shared/errors.js'
import type { InviteService } from '../invites/invite-service.js'
import type { PeopleNames } from '../invites/people-names.js'
import type { Clock } from '../shared/clock.js'
import type { AuditLog } from '../storage/audit-log.js'
import type { PortalStore } from '../storage/portal-store.js'
import type { InviteAsk, PolicyDecision } from './invite-policy.js'
import type { InviteRequests, Viewer } from './invite-requests.js'
import type { PolicyService } from './policy-service.js'

export interface EmbeddedTarget {
  kind: 'intranet' | 'extranet'
  departmentId: number | null
  groupId: number | null
  templateId: string | null
}

export type EmbeddedSend =
  | { status: 'sent'; jobId: string }
  | { status: 'requested'; requestId: string; reasons: string[] }

export function createEmbeddedInvites(deps: { invites: InviteService; policy: PolicyService; requests: InviteRequests; portals: PortalStore; names: PeopleNames; audit: AuditLog; clock: Clock }) {
  function checkTarget(t: EmbeddedTarget): void {
    if (t.kind === 'extranet' && t.groupId === null) throw new AppError('missing_group', 'A guest invitation needs a group', 400)
    if (t.kind === 'intranet' && t.departmentId === null) throw new AppError('missing_department', 'An employee invitation needs a department', 400)
  }

  return {
    /** The dry run of the list, and what the policy would say about sending its ready rows. */
    async check(memberId: string, v: Viewer, text: string, t: EmbeddedTarget) {
      checkTarget(t)
      if (t.groupId !== null && !(await deps.policy.canSeeGroup(memberId, v, t.groupId))) throw new NotFoundError('group_not_found', 'There is no such group')
      const portal = await deps.portals.get(memberId)
      const checked = await deps.invites.checkPasted(memberId, v.userId, text, { ...t, lang: portal?.lang === 'en' ? 'en' : 'ru' })
      const count = checked.summary.ready + checked.summary.warnings
      const decision = await deps.policy.decideFor(memberId, { id: v.userId, isAdmin: v.isAdmin }, { ...t, count })
      return { ...checked, decision }
    },

    /** Sends the user's own checked list, or files it as a request, as the policy decides now. */
    async send(memberId: string, v: Viewer, importId: string, placement: string): Promise<EmbeddedSend> {
      const { settings, rows } = await deps.invites.ownTarget(memberId, importId, v.userId)
      const groupId = settings.groupIds.length === 1 ? settings.groupIds[0]! : null
      const ready = rows.filter((r) => r.status === 'ready' || r.status === 'warning')
      const ask: InviteAsk = { kind: settings.kind, departmentId: settings.kind === 'intranet' ? settings.departmentId : null, groupId, templateId: settings.templateId, count: ready.length }
      const decision: PolicyDecision = await deps.policy.decideFor(memberId, { id: v.userId, isAdmin: v.isAdmin }, ask)
      const audit = (result: 'ok' | 'refused', details: Record<string, unknown>) => deps.audit.record({
        memberId, at: deps.clock.now(), actorUserId: v.userId, actorKind: 'user', action: 'invite.embedded', subject: importId,
        details: { placement, kind: settings.kind, groupId, departmentId: ask.departmentId, people: ready.length, decision: decision.decision, ...details }, result,
      })
      if (decision.decision === 'deny') {
        await audit('refused', { reasons: decision.reasons })
        throw new PolicyDeniedError({ reasons: decision.reasons })
      }
      if (decision.decision === 'allow') {
        const name = await deps.names.user(memberId, v.userId)
        const sent = await deps.invites.send(memberId, importId, { id: v.userId, name }, groupId !== null && settings.kind === 'extranet' ? { groupId } : { own: true })
        await audit('ok', { jobId: sent.jobId })
        return { status: 'sent', jobId: sent.jobId }
      }
      if (ready.some((r) => !r.email)) throw new AppError('request_needs_email', 'Only people with an e-mail address can be asked for approval; remove the rows without one', 409)
      // The group's owner decides for their group (unless they are the one asking); admins decide everything.
      const approverId = groupId !== null ? await deps.policy.groupOwner(memberId, groupId) : null
      const portal = await deps.portals.get(memberId)
      const request = await deps.requests.create({
        memberId, requestedBy: v.userId, placement, kind: settings.kind, departmentId: ask.departmentId, groupId, templateId: settings.templateId,
        people: ready.map((r) => ({ email: r.email!, name: r.name, lastName: r.lastName })), reasons: decision.reasons,
        approverId: approverId !== null && approverId !== v.userId ? approverId : null,
      }, portal?.installedByUserId ?? null)
      return { status: 'requested', requestId: request.id, reasons: decision.reasons }
    },
  }
}

export type EmbeddedInvites = ReturnType<typeof createEmbeddedInvites>
