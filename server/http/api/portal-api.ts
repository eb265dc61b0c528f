import express, { Router } from 'express'
import { toCsv, toXlsx } from '../../invites/export-table.js'
import { z } from 'zod'
import { InputError, NotFoundError } from '../../shared/errors.js'
import { parseInput } from './parse-input.js'
import type { InstallService } from '../../install/install-service.js'
import type { AuditLog } from '../../storage/audit-log.js'
import type { PortalRecord, PortalStore } from '../../storage/portal-store.js'
import type { AppSessions } from '../../trust/app-sessions.js'
import type { PortalVerification } from '../../trust/portal-verification.js'
import type { DirectoryStore } from '../../storage/directory-store.js'
import type { JobStore } from '../../storage/job-store.js'
import type { PeopleNames } from '../../invites/people-names.js'
import type { InvitationState, LedgerStore } from '../../storage/ledger-store.js'
import type { AppSessionRecord } from '../../storage/session-store.js'
import { jobView } from './jobs-api.js'
import { requireAdmin, sessionOf } from './require-session.js'

const RECENT_JOBS = 5

const sessionBody = z.object({ authId: z.string().min(1).max(512), memberId: z.string().min(1).max(128) })
const auditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  beforeId: z.coerce.number().int().positive().optional(),
  /** An action, or a family of them ending with a dot (invite_request.). */
  action: z.string().trim().regex(/^[a-z_.]{1,64}$/, 'must be an action code').optional(),
  actor: z.coerce.number().int().positive().optional(),
  from: z.coerce.number().int().min(0).optional(),
  to: z.coerce.number().int().min(0).optional(),
  result: z.enum(['ok', 'refused', 'failed']).optional(),
})
const AUDIT_EXPORT_LIMIT = 10_000
const AUDIT_HEADER = ['Time', 'Actor', 'Actor kind', 'Action', 'Subject', 'Result', 'Placement', 'Details']

/** The one route without a bearer: a fresh frame AUTH_ID buys a new app session. */
export function sessionApi(deps: { sessions: AppSessions; verification: PortalVerification }): Router {
  const r = Router()
  // Re-mint a session from the frame's current AUTH_ID (same proof as the iframe POST). Read without a session,
  // so its body is small: two tokens.
  r.post('/session', express.json({ limit: '16kb' }), async (req, res) => {
    const parsed = sessionBody.safeParse(req.body)
    if (!parsed.success) throw new InputError('bad_request', 'authId and memberId are required')
    const v = await deps.verification.verifyFrame({ memberId: parsed.data.memberId, authId: parsed.data.authId })
    const s = await deps.sessions.mint({
      memberId: v.portal.memberId, userId: v.userId, isAdmin: v.isAdmin, lang: v.portal.lang, placement: 'DEFAULT', placementOptions: {},
    })
    res.json(s)
  })
  return r
}

/** Who am I, dashboard, settings and the audit log (behind requireSession). */
export function portalApi(deps: {
  portals: PortalStore
  install: InstallService
  audit: AuditLog
  ledger: LedgerStore
  jobs: JobStore
  names: PeopleNames
  directory: DirectoryStore
  now?: () => number
}): Router {
  const r = Router()
  const now = deps.now ?? Date.now

  async function portalOf(memberId: string): Promise<PortalRecord> {
    const p = await deps.portals.get(memberId)
    if (!p) throw new NotFoundError('not_installed', 'Invite Desk is not installed on this portal')
    return p
  }
  const portalView = (p: PortalRecord) => ({
    memberId: p.memberId, domain: p.domain, status: p.status, lang: p.lang, licenseFamily: p.licenseFamily,
  })

  r.get('/me', async (_req, res) => {
    const s = sessionOf(res)
    const p = await portalOf(s.memberId)
    // The departments (directory cache) give the colleague invite form its default target.
    const [name, me] = await Promise.all([deps.names.user(s.memberId, s.userId), deps.directory.usersByIds(s.memberId, [s.userId])])
    res.json({ user: { id: s.userId, name, isAdmin: s.isAdmin, departments: me.get(s.userId)?.departments ?? [] }, portal: portalView(p) })
  })

  /** Admins count the whole portal; anyone else the invitations they sent (as GET /api/invitations shows them). */
  async function countsFor(s: AppSessionRecord): Promise<Record<InvitationState, number>> {
    if (s.isAdmin) return deps.ledger.counts(s.memberId)
    const states: InvitationState[] = ['sent', 'pending', 'accepted', 'expired', 'revoked', 'failed']
    const totals = await Promise.all(states.map((st) => deps.ledger.list(s.memberId, { states: [st], invitedBy: s.userId }, { limit: 0, offset: 0 })))
    return Object.fromEntries(states.map((st, i) => [st, totals[i]!.total])) as Record<InvitationState, number>
  }

  r.get('/dashboard', async (_req, res) => {
    const s = sessionOf(res)
    const { memberId } = s
    const [p, c, latest] = await Promise.all([portalOf(memberId), countsFor(s), deps.jobs.list(memberId, { limit: s.isAdmin ? RECENT_JOBS : 100 })])
    // Job results carry other people's invitations: non-admins see only the sends they started.
    const recent = latest.filter((j) => s.isAdmin || j.createdBy === s.userId).slice(0, RECENT_JOBS)
    res.json({
      portal: { status: p.status },
      counts: { invited: c.sent + c.pending + c.accepted + c.expired + c.revoked, pending: c.sent + c.pending, accepted: c.accepted, failed: c.failed },
      registration: p.registration,
      recentJobs: recent.map(jobView),
    })
  })

  r.get('/settings', async (_req, res) => {
    const p = await portalOf(sessionOf(res).memberId)
    res.json({ capabilities: p.capabilities, registration: p.registration, portal: portalView(p) })
  })

  r.post('/settings/reapply', async (_req, res) => {
    const s = requireAdmin(res)
    const registration = await deps.install.reapply(s.memberId)
    await deps.audit.record({
      memberId: s.memberId, at: now(), actorUserId: s.userId, actorKind: 'user', action: 'app.reregister',
      subject: null, details: { errors: registration.errors }, result: registration.errors.length ? 'failed' : 'ok',
    })
    res.json({ registration })
  })

  /** The audit log (admins): who did what, when, from which placement, with what result; filters and export. */
  const auditFilter = (q: z.infer<typeof auditQuery>) => ({
    ...(q.action ? (q.action.endsWith('.') ? { actionPrefix: q.action } : { action: q.action }) : {}),
    ...(q.actor !== undefined ? { actorUserId: q.actor } : {}),
    ...(q.from !== undefined ? { from: q.from } : {}),
    ...(q.to !== undefined ? { to: q.to } : {}),
    ...(q.result ? { result: q.result } : {}),
  })

  r.get('/audit', async (req, res) => {
    const s = requireAdmin(res)
    const q = parseInput(auditQuery, req.query)
    const entries = await deps.audit.list(s.memberId, { limit: q.limit, ...(q.beforeId ? { beforeId: q.beforeId } : {}), ...auditFilter(q) })
    res.json({ entries })
  })

  r.get(['/audit/export.csv', '/audit/export.xlsx'], async (req, res) => {
    const s = requireAdmin(res)
    const q = parseInput(auditQuery.omit({ limit: true, beforeId: true }), req.query)
    const entries = []
    for (let beforeId: number | undefined; entries.length < AUDIT_EXPORT_LIMIT;) {
      const page = await deps.audit.list(s.memberId, { limit: 200, ...(beforeId ? { beforeId } : {}), ...auditFilter({ ...q, limit: 200 }) })
      entries.push(...page)
      if (page.length < 200) break
      beforeId = page.at(-1)!.id
    }
    const cells = entries.map((e) => [
      new Date(e.at).toISOString(), e.actorUserId, e.actorKind, e.action, e.subject, e.result,
      typeof e.details.placement === 'string' ? e.details.placement : '', JSON.stringify(e.details),
    ])
    if (req.path.endsWith('.xlsx')) res.attachment('audit.xlsx').type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(await toXlsx('Audit', AUDIT_HEADER, cells))
    else res.attachment('audit.csv').type('text/csv; charset=utf-8').send(toCsv(AUDIT_HEADER, cells))
  })

  return r
}
