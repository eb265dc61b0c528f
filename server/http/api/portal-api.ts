import { Router } from 'express'
import { z } from 'zod'
import { InputError, NotFoundError } from '../../shared/errors.js'
import type { InstallService } from '../../install/install-service.js'
import type { AuditLog } from '../../storage/audit-log.js'
import type { PortalRecord, PortalStore } from '../../storage/portal-store.js'
import type { AppSessions } from '../../trust/app-sessions.js'
import type { PortalVerification } from '../../trust/portal-verification.js'
import { requireAdmin, requireSession, sessionOf } from './require-session.js'

const sessionBody = z.object({ authId: z.string().min(1).max(512), memberId: z.string().min(1).max(128) })
const auditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  beforeId: z.coerce.number().int().positive().optional(),
})

/** The foundation's JSON API: session minting, who am I, dashboard, settings and the audit log. */
export function portalApi(deps: {
  sessions: AppSessions
  verification: PortalVerification
  portals: PortalStore
  install: InstallService
  audit: AuditLog
  now?: () => number
}): Router {
  const r = Router()
  const now = deps.now ?? Date.now

  // Re-mint a session from the frame's current AUTH_ID (same proof as the iframe POST).
  r.post('/session', async (req, res) => {
    const parsed = sessionBody.safeParse(req.body)
    if (!parsed.success) throw new InputError('bad_request', 'authId and memberId are required')
    const v = await deps.verification.verifyFrame({ memberId: parsed.data.memberId, authId: parsed.data.authId })
    const s = await deps.sessions.mint({
      memberId: v.portal.memberId, userId: v.userId, isAdmin: v.isAdmin, lang: v.portal.lang, placement: 'DEFAULT', placementOptions: {},
    })
    res.json(s)
  })

  r.use(requireSession(deps.sessions))

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
    res.json({ user: { id: s.userId, isAdmin: s.isAdmin }, portal: portalView(p) })
  })

  r.get('/dashboard', async (_req, res) => {
    const p = await portalOf(sessionOf(res).memberId)
    // Counts come from the invitation ledger once it exists; the foundation has none yet.
    res.json({ portal: { status: p.status }, counts: { invited: 0, pending: 0, accepted: 0, failed: 0 }, registration: p.registration })
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

  r.get('/audit', async (req, res) => {
    const s = requireAdmin(res)
    const q = auditQuery.safeParse(req.query)
    if (!q.success) throw new InputError('bad_request', 'limit must be 1–200 and beforeId a positive id')
    const entries = await deps.audit.list(s.memberId, { limit: q.data.limit, ...(q.data.beforeId ? { beforeId: q.data.beforeId } : {}) })
    res.json({ entries })
  })

  return r
}
