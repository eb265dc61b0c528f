/**
 * Turns joins into work, one link at a time (a claim on the link, across instances): joins that need
 * approval become invite requests (one notice to the approver per round); queued joins are checked like a
 * file's rows and put into ONE engine job per round, at most the portal's join admission per minute (much less
 * while other invite work runs), so a flood of joins takes a bounded share of the portal's REST budget. The job is created under an id the joins
 * were claimed with first: after a crash the joins either find their job or go back to the queue.
 */
import { randomUUID } from 'node:crypto'
import type { JobItemPayload } from '../engine/job-runner.js'
import { seqsByOrigin } from '../engine/job-origins.js'
import { checkPerson } from '../invites/check-person.js'
import { jobItemFor } from '../invites/job-item.js'
import type { PeopleNames } from '../invites/people-names.js'
import { joinLinkRule } from '../policy/invite-policy.js'
import type { InviteRequests } from '../policy/invite-requests.js'
import type { PolicyService } from '../policy/policy-service.js'
import type { Clock } from '../shared/clock.js'
import { errorText } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { DirectoryStore } from '../storage/directory-store.js'
import type { JobStore, NewJobItem } from '../storage/job-store.js'
import type { Join, JoinLink, JoinLinkStore } from '../storage/join-link-store.js'
import type { PortalRecord, PortalStore } from '../storage/portal-store.js'
import type { TemplateStore } from '../storage/template-store.js'
import type { JoinLimits } from './join-intake.js'
import type { JoinLinks, ResolvedTarget } from './join-links.js'

const MINUTE = 60_000
/** One engine chunk: a round never makes a job bigger than one batch request. */
const ROUND = 50
export const JOIN_CLAIM_TTL_MS = 60_000
/** A join left 'dispatching' this long belongs to a dispatcher that died. */
export const JOIN_STALE_MS = 2 * MINUTE
/** The owner's permission (policy + group roles, one REST read) is asked at most this often per link. */
const PERMISSION_FRESH_MS = MINUTE
const DIRECTORY_FRESH_MS = 30_000

export interface JoinDispatchReport { queued: number; existing: number; failed: number; requested: number; jobId: string | null }

export function createJoinDispatch(deps: {
  store: JoinLinkStore
  links: Pick<JoinLinks, 'resolveTarget'>
  requests: InviteRequests
  policy: PolicyService
  jobs: JobStore
  templates: TemplateStore
  directory: DirectoryStore
  portals: PortalStore
  names: PeopleNames
  syncDirectory: (memberId: string) => Promise<void>
  kickRunner: () => void
  limits: JoinLimits
  clock: Clock
  log: Logger
  owner: string
}) {
  const { store, clock, log } = deps
  const permission = new Map<string, { at: number; ok: boolean }>()
  const lastSync = new Map<string, number>()

  async function freshDirectory(memberId: string): Promise<void> {
    if (clock.now() - (lastSync.get(memberId) ?? 0) < DIRECTORY_FRESH_MS) return
    try {
      await deps.syncDirectory(memberId)
      lastSync.set(memberId, clock.now())
    } catch (e) {
      // A stale cache only means the portal itself reports "already exists".
      log.warn({ memberId, err: errorText(e) }, 'directory sync before join dispatch failed')
    }
  }

  /** Whether the link's (non-admin) owner may still invite into its target under the policy. */
  async function ownerPermitted(link: JoinLink, target: ResolvedTarget): Promise<boolean> {
    if (link.ownerAdmin) return true
    const known = permission.get(link.id)
    if (known && clock.now() - known.at < PERMISSION_FRESH_MS) return known.ok
    const ruled = joinLinkRule(await deps.policy.get(link.memberId), await deps.policy.context(link.memberId, { id: link.createdBy, isAdmin: false }, target.groupId), {
      kind: target.kind, departmentId: target.departmentId, groupId: target.groupId, templateId: link.templateId,
    })
    const ok = 'rule' in ruled
    permission.set(link.id, { at: clock.now(), ok })
    return ok
  }

  /** Joins a crashed dispatcher left: 'sent' if their job exists, else back to the queue. */
  async function recover(link: JoinLink): Promise<void> {
    const stale = await store.staleDispatching(link.id, clock.now() - JOIN_STALE_MS)
    const byJob = new Map<string, Join[]>()
    for (const j of stale) if (j.jobId) byJob.set(j.jobId, [...(byJob.get(j.jobId) ?? []), j])
    for (const [jobId, list] of byJob) {
      const job = await deps.jobs.get(link.memberId, jobId)
      if (!job) {
        await store.release(list.map((j) => j.id), clock.now())
        continue
      }
      const seqs = await seqsByOrigin(deps.jobs, link.memberId, jobId, new Set(list.map((j) => j.id)), (o) => (o.kind === 'join_link' ? o.joinId : undefined))
      await store.markSent(jobId, seqs, clock.now())
      const left = list.filter((j) => !seqs.some((s) => s.id === j.id)).map((j) => j.id)
      if (left.length) await store.release(left, clock.now())
    }
  }

  /** Requests for joins waiting for approval that have none yet; one notice to the approver per round. */
  async function fileRequests(link: JoinLink, portal: PortalRecord, ownerMayDecide: boolean, report: JoinDispatchReport): Promise<void> {
    const waiting = await store.awaitingWithoutRequest(link.id, 200)
    if (waiting.length === 0) return
    const kind = link.target.kind === 'department' ? 'intranet' : 'extranet'
    const reason = ownerMayDecide ? `every join through the link "${link.name}" needs approval` : `the link's owner may no longer invite into its target`
    for (const j of waiting) {
      // A request filed before a crash (its join not yet marked) is found, not filed twice.
      const r = (await deps.requests.byJoin(link.memberId, j.id)) ?? (await deps.requests.create({
        memberId: link.memberId, requestedBy: link.createdBy, placement: 'join_link', kind,
        departmentId: kind === 'intranet' ? link.target.id : null, groupId: kind === 'extranet' ? link.target.id : null, templateId: link.templateId,
        people: [{ email: j.email, name: j.name, lastName: j.lastName }], reasons: [reason], approverId: ownerMayDecide ? link.createdBy : null, joinId: j.id,
      }, null, { notify: false }))
      if (await store.settle(j.id, ['awaiting_approval'], 'awaiting_approval', { requestId: r.id }, clock.now())) report.requested++
    }
    const approver = ownerMayDecide ? link.createdBy : portal.installedByUserId
    if (approver === null) return
    const n = waiting.length
    await deps.requests.notify(link.memberId, approver, {
      ru: `Invite Desk: ${n} чел. просят присоединиться по ссылке «${link.name}». Одобрите или отклоните заявки в Invite Desk (Запросы).`,
      en: `Invite Desk: ${n} ${n === 1 ? 'person asks' : 'people ask'} to join through the link "${link.name}". Approve or decline in Invite Desk (Requests).`,
    }, `invite-desk-join-${link.id}`)
  }

  async function dispatch(memberId: string, linkId: string): Promise<JoinDispatchReport> {
    const report: JoinDispatchReport = { queued: 0, existing: 0, failed: 0, requested: 0, jobId: null }
    if (!(await store.claimDispatch(linkId, deps.owner, clock.now(), JOIN_CLAIM_TTL_MS))) return report
    try {
      const link = await store.get(memberId, linkId)
      if (!link) return report
      await recover(link)
      const portal = await deps.portals.get(memberId)
      // Removed from the portal: nothing will be sent (a portal that needs a reinstall keeps its queue).
      if (!portal || portal.status === 'uninstalled') {
        report.failed += await store.failQueued(link.id, 'Invite Desk was removed from the portal before the invitation went out', clock.now())
        return report
      }
      if (portal.status !== 'installed') return report
      if (link.state === 'revoked') {
        const why = 'The link was revoked before the invitation went out'
        report.failed += await store.failQueued(link.id, why, clock.now())
        // Joins still waiting for their request to be filed: none will be now.
        for (const j of await store.awaitingWithoutRequest(link.id, 200)) if (await store.settle(j.id, ['awaiting_approval'], 'failed', { error: why }, clock.now())) report.failed++
        return report
      }
      // Other invite work (a bulk send, robots, a tab) runs first: joins then trickle in at the busy rate.
      const busy = (await deps.jobs.runnable(memberId)).some((j) => j.source !== 'join_link' && j.status === 'running')
      const admission = busy ? deps.limits.admitPerPortalPerMinuteWhileBusy : deps.limits.admitPerPortalPerMinute
      const left = link.state === 'active' ? admission - (await store.admittedSince(memberId, clock.now() - MINUTE)) : 0
      // Waiting for admission with no request to file: this round has nothing to do (the next pass asks again).
      if (left <= 0 && (await store.awaitingWithoutRequest(link.id, 1)).length === 0) return report
      const target = await deps.links.resolveTarget(memberId, link.target)
      const permitted = target !== null && (await ownerPermitted(link, target))
      if (target && !permitted) await store.holdUnapproved(link.id, clock.now())
      await fileRequests(link, portal, permitted, report)
      // A paused link keeps its queue until it is resumed.
      if (link.state !== 'active') return report
      if (!target) {
        report.failed += await store.failQueued(link.id, 'The link\'s department or group no longer exists', clock.now())
        return report
      }
      if (left <= 0) return report
      const jobId = randomUUID()
      const claimed = await store.claimQueued(link.id, jobId, clock.now(), Math.min(left, ROUND))
      if (claimed.length === 0) return report
      await freshDirectory(memberId)
      const [departments, groups, usersByEmail, template, ownerName] = await Promise.all([
        deps.directory.departments(memberId), deps.directory.groups(memberId), deps.directory.usersByEmails(memberId, claimed.map((j) => j.email)),
        link.templateId ? deps.templates.get(memberId, link.templateId) : Promise.resolve(undefined), deps.names.user(memberId, link.createdBy),
      ])
      const dry = { defaultLang: portal.lang === 'en' ? 'en' as const : 'ru' as const, departments, groups, existingByEmail: usersByEmail, existingByPhone: new Map(), phoneInvite: false }
      const items: Array<{ join: Join; item: NewJobItem }> = []
      for (const j of claimed) {
        const checked = checkPerson({ email: j.email, name: j.name, lastName: j.lastName ?? '', position: '', department: '', groupId: target.groupId, lang: j.lang }, target.kind, dry, target.departmentId)
        const problem = !checked.ok ? 'The e-mail address is not valid' : checked.row.status === 'error' ? checked.row.issues.filter((i) => i.severity === 'error').map((i) => i.message).join('; ') : null
        if (problem !== null || !checked.ok) {
          if (await store.settle(j.id, ['dispatching'], 'failed', { error: problem }, clock.now())) report.failed++
          continue
        }
        const { row, n } = checked
        // A public link never brings someone who already has an account anywhere without their own say: an
        // existing person is at most invited to the group (they confirm in Bitrix24), never added.
        if (row.existing && !(row.groupAction?.method === 'sonet_group.user.invite')) {
          if (await store.settle(j.id, ['dispatching'], 'existing', {}, clock.now())) report.existing++
          continue
        }
        const item = jobItemFor(row, n, target.kind, template && !template.archived ? template : undefined, { inviter: ownerName, portal: portal.domain })
        const payload = item.payload as unknown as JobItemPayload
        payload.ledger = {
          ...payload.ledger, invitedBy: link.createdBy, templateId: link.templateId, expireAfterDays: template?.expireAfterDays ?? null,
          origin: { kind: 'join_link', linkId: link.id, joinId: j.id, linkName: link.name },
        }
        items.push({ join: j, item })
      }
      if (items.length) {
        const lang = portal.lang === 'en' ? 'en' : 'ru'
        const job = await deps.jobs.create(
          {
            id: jobId, memberId, kind: 'bulk_invite', source: 'join_link', createdBy: link.createdBy, templateId: link.templateId,
            title: lang === 'ru' ? `Ссылка «${link.name}»: ${items.length} чел.` : `Join link "${link.name}": ${items.length} ${items.length === 1 ? 'person' : 'people'}`,
            options: { expireAfterDays: template?.expireAfterDays ?? null, joinLinkId: link.id },
          },
          items.map((x) => x.item),
        )
        await store.markSent(job.id, items.map((x, k) => ({ id: x.join.id, seq: k + 1 })), clock.now())
        await deps.jobs.setStatus(memberId, job.id, ['queued'], 'running')
        report.queued = items.length
        report.jobId = job.id
        deps.kickRunner()
      }
      return report
    } finally {
      await store.releaseDispatch(linkId, deps.owner).catch(() => undefined)
    }
  }

  return { dispatch }
}

export type JoinDispatch = ReturnType<typeof createJoinDispatch>
