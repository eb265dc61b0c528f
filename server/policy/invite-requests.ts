/**
 * Invites the policy sends for approval: the request is stored with its people, the approver (the group's
 * owner, else the portal's installing admin) gets a Bitrix24 notification, decides in the app, and the
 * requester is told. An approved request is checked and sent again as the requester's own invite (the
 * dry run sees the portal as it is now), so the ledger says who asked, and the approval is in the audit log.
 */
import type { Clock } from '../shared/clock.js'
import { AppError, errorText, NotFoundError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { appPageUrl } from '../collabs/app-link.js'
import type { InviteService } from '../invites/invite-service.js'
import type { PeopleNames } from '../invites/people-names.js'
import type { PortalGateway } from '../portals/portal-gateway.js'
import type { AuditLog } from '../storage/audit-log.js'
import type { InviteRequest, InviteRequestStore, NewInviteRequest } from '../storage/invite-request-store.js'
import type { PortalStore } from '../storage/portal-store.js'

const NOTIFY = 'im.notify.system.add'

export interface Viewer { userId: number; isAdmin: boolean }

/** What a decision on a join link's request does to the join (the join worker sends approved ones). */
export interface JoinDecisions {
  approved(memberId: string, r: InviteRequest, by: number): Promise<void>
  declined(memberId: string, r: InviteRequest): Promise<void>
}

export function createInviteRequests(deps: {
  requests: InviteRequestStore
  invites: InviteService
  portals: PortalStore
  gateway: PortalGateway
  names: PeopleNames
  audit: AuditLog
  clock: Clock
  log: Logger
  /** Set once the join links are wired (they are built after the requests). */
  joins?: { current: JoinDecisions | null }
}) {
  const { requests, clock, log } = deps

  async function notify(memberId: string, userId: number, text: { ru: string; en: string }, tag: string): Promise<void> {
    const portal = await deps.portals.get(memberId)
    if (!portal) return
    const message = `${portal.lang === 'ru' ? text.ru : text.en} ${appPageUrl(portal)}`
    await deps.gateway.call(memberId, NOTIFY, { USER_ID: userId, MESSAGE: message, TAG: tag }).catch((e: unknown) => {
      // A lost notification is not a lost request: it waits in the app's Requests list.
      log.warn({ memberId, userId, err: errorText(e) }, 'invite request notification failed')
    })
  }

  // A join link's owner decides the joins of their own link; other requesters never decide their own asks.
  const canDecide = (r: InviteRequest, v: Viewer) => v.isAdmin || (r.approverId !== null && r.approverId === v.userId && (r.requestedBy !== v.userId || r.joinId !== null))
  const canSee = (r: InviteRequest, v: Viewer) => v.isAdmin || r.requestedBy === v.userId || r.approverId === v.userId

  async function audit(memberId: string, v: Viewer, action: string, r: InviteRequest, details: Record<string, unknown>, ok = true) {
    await deps.audit.record({ memberId, at: clock.now(), actorUserId: v.userId, actorKind: 'user', action, subject: r.id, details: { placement: r.placement, groupId: r.groupId, departmentId: r.departmentId, people: r.people.length, ...details }, result: ok ? 'ok' : 'failed' })
  }

  async function visible(memberId: string, id: string, v: Viewer): Promise<InviteRequest> {
    const r = await requests.get(memberId, id)
    if (!r || !canSee(r, v)) throw new NotFoundError('request_not_found', 'There is no such invite request')
    return r
  }

  return {
    canDecide,

    notify,
    byJoin: (memberId: string, joinId: string) => requests.byJoin(memberId, joinId),

    /** `notify: false`: the caller tells the approver itself (the join worker sends one notice per round). */
    async create(input: NewInviteRequest, fallbackApprover: number | null, opts: { notify?: boolean } = {}): Promise<InviteRequest> {
      const r = await requests.create(input, clock.now())
      await audit(input.memberId, { userId: input.requestedBy, isAdmin: false }, 'invite_request.created', r, { reasons: r.reasons })
      if (opts.notify === false) return r
      const who = await deps.names.user(input.memberId, input.requestedBy)
      const approver = r.approverId ?? fallbackApprover
      if (approver !== null) {
        await notify(input.memberId, approver, {
          ru: `Invite Desk: ${who} просит пригласить ${r.people.length} чел. Одобрите или отклоните запрос в Invite Desk (Запросы).`,
          en: `Invite Desk: ${who} asks to invite ${r.people.length} ${r.people.length === 1 ? 'person' : 'people'}. Approve or decline the request in Invite Desk (Requests).`,
        }, `invite-desk-request-${r.id}`)
      }
      return r
    },

    get: visible,

    async list(memberId: string, v: Viewer, q: { states?: InviteRequest['state'][]; limit: number; offset: number }) {
      return requests.list(memberId, { ...q, ...(v.isAdmin ? {} : { visibleTo: v.userId }) })
    },

    async approve(memberId: string, id: string, v: Viewer, reason: string | null): Promise<InviteRequest> {
      const r = await visible(memberId, id, v)
      if (!canDecide(r, v)) throw new AppError('forbidden', 'Only a portal administrator or the group\'s owner may decide this request', 403)
      if (!(await requests.decide(memberId, id, 'approved', v.userId, reason, clock.now()))) throw new AppError('request_decided', 'This request has already been decided', 409)
      await audit(memberId, v, 'invite_request.approved', r, { reason })
      if (r.joinId !== null) {
        // The join goes back to its link's queue: the join worker sends it with the link's template and target.
        await deps.joins?.current?.approved(memberId, r, v.userId)
        if (v.userId !== r.requestedBy) {
          await notify(memberId, r.requestedBy, {
            ru: `Invite Desk: присоединение ${r.people[0]?.email ?? ''} по вашей ссылке одобрено, приглашение будет отправлено.`,
            en: `Invite Desk: ${r.people[0]?.email ?? ''} joining through your link was approved; the invitation will be sent.`,
          }, `invite-desk-request-${r.id}-outcome`)
        }
        return (await requests.get(memberId, id))!
      }
      let outcome: { jobId: string } | { error: string }
      try {
        const portal = await deps.portals.get(memberId)
        const text = r.people.map((p) => `${[p.name, p.lastName].filter(Boolean).join(' ')} <${p.email}>`.trim()).join('\n')
        const checked = await deps.invites.checkPasted(memberId, r.requestedBy, text, {
          kind: r.kind, departmentId: r.departmentId, groupId: r.groupId, templateId: r.templateId, lang: portal?.lang === 'en' ? 'en' : 'ru',
        })
        if (checked.summary.errors > 0) throw new AppError('has_errors', `${checked.summary.errors} of the people can no longer be invited as asked (${checked.rows.filter((x) => x.status === 'error').flatMap((x) => x.issues.filter((i) => i.severity === 'error').map((i) => i.message)).slice(0, 3).join('; ')})`, 409)
        const requester = { id: r.requestedBy, name: await deps.names.user(memberId, r.requestedBy) }
        outcome = await deps.invites.send(memberId, checked.importId, requester, r.groupId !== null && r.kind === 'extranet' ? { groupId: r.groupId } : { own: true })
      } catch (e) {
        outcome = { error: errorText(e) }
      }
      if ('jobId' in outcome) await requests.setJob(memberId, id, outcome.jobId, clock.now())
      else await requests.markFailed(memberId, id, outcome.error, clock.now())
      await notify(memberId, r.requestedBy, 'jobId' in outcome
        ? { ru: 'Invite Desk: ваш запрос на приглашение одобрен, приглашения отправлены.', en: 'Invite Desk: your invite request was approved and the invitations were sent.' }
        : { ru: `Invite Desk: запрос одобрен, но отправить не удалось: ${outcome.error}`, en: `Invite Desk: your invite request was approved, but sending failed: ${outcome.error}` },
      `invite-desk-request-${r.id}-outcome`)
      return (await requests.get(memberId, id))!
    },

    async decline(memberId: string, id: string, v: Viewer, reason: string): Promise<InviteRequest> {
      const r = await visible(memberId, id, v)
      if (!canDecide(r, v)) throw new AppError('forbidden', 'Only a portal administrator or the group\'s owner may decide this request', 403)
      if (!(await requests.decide(memberId, id, 'declined', v.userId, reason, clock.now()))) throw new AppError('request_decided', 'This request has already been decided', 409)
      await audit(memberId, v, 'invite_request.declined', r, { reason })
      if (r.joinId !== null) {
        await deps.joins?.current?.declined(memberId, r)
        if (v.userId === r.requestedBy) return (await requests.get(memberId, id))!
      }
      await notify(memberId, r.requestedBy, {
        ru: `Invite Desk: ваш запрос на приглашение отклонён. Причина: ${reason}`,
        en: `Invite Desk: your invite request was declined. Reason: ${reason}`,
      }, `invite-desk-request-${r.id}-outcome`)
      return (await requests.get(memberId, id))!
    },

    async cancel(memberId: string, id: string, v: Viewer): Promise<InviteRequest> {
      const r = await visible(memberId, id, v)
      if (r.requestedBy !== v.userId) throw new AppError('forbidden', 'Only the person who asked may withdraw a request', 403)
      if (r.joinId !== null) throw new AppError('join_request', 'Someone asked to join through your link: approve or decline it', 409)
      if (!(await requests.decide(memberId, id, 'cancelled', v.userId, null, clock.now()))) throw new AppError('request_decided', 'This request has already been decided', 409)
      await audit(memberId, v, 'invite_request.cancelled', r, {})
      return (await requests.get(memberId, id))!
    },
  }
}

export type InviteRequests = ReturnType<typeof createInviteRequests>
