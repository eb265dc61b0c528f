import { Router } from 'express'
import { z } from 'zod'
import { invitePolicySchema } from '../../policy/invite-policy.js'
import type { EmbeddedInvites } from '../../policy/embedded-invites.js'
import type { InviteRequests } from '../../policy/invite-requests.js'
import type { PolicyService } from '../../policy/policy-service.js'
import type { PortalGateway } from '../../portals/portal-gateway.js'
import type { Clock } from '../../shared/clock.js'
import { AppError, TrustError } from '../../shared/errors.js'
import type { AuditLog } from '../../storage/audit-log.js'
import type { InviteRequest } from '../../storage/invite-request-store.js'
import type { PortalVerification } from '../../trust/portal-verification.js'
import { parseInput } from './parse-input.js'
import { requireAdmin, sessionOf } from './require-session.js'

const id32 = z.number().int().positive().max(2_147_483_647)
const checkBody = z.object({
  kind: z.enum(['intranet', 'extranet']),
  departmentId: id32.nullable().default(null),
  groupId: id32.nullable().default(null),
  templateId: z.string().uuid().nullable().default(null),
  people: z.string().trim().min(1, 'paste at least one e-mail').max(200_000),
}).strict()
const importParams = z.object({ importId: z.string().uuid('must be an import id') })
const requestParams = z.object({ requestId: z.string().uuid('must be a request id') })
const requestsQuery = z.object({
  state: z.enum(['pending', 'approved', 'declined', 'cancelled', 'failed']).optional(),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(200).default(50),
}).strict()
const approveBody = z.object({ reason: z.string().trim().max(1000).optional() }).strict()
const declineBody = z.object({ reason: z.string().trim().min(1, 'say why').max(1000) }).strict()
const prefillBody = z.object({ entity: z.enum(['contact', 'company']), id: id32, authId: z.string().min(1).max(500) }).strict()

type MultiField = Array<{ VALUE?: string; VALUE_TYPE?: string }>
const firstEmail = (v: unknown): string | null => (Array.isArray(v) ? ((v as MultiField).find((e) => typeof e?.VALUE === 'string' && e.VALUE.includes('@'))?.VALUE ?? null) : null)

/**
 * The invite policy (admins), a manager's invite from an embedded tab (check, then send or request), the
 * invite requests and their decisions, and the CRM card's prefill read with the viewer's own rights.
 */
export function policyApi(deps: {
  policy: PolicyService
  embedded: EmbeddedInvites
  requests: InviteRequests
  verification: PortalVerification
  gateway: PortalGateway
  audit: AuditLog
  clock: Clock
  /** Which join link a join came through (requests about joins name their link). */
  joinLinksOf: (memberId: string, joinIds: string[]) => Promise<Map<string, { id: string; name: string }>>
}): Router {
  const r = Router()
  const viewer = (res: Parameters<typeof sessionOf>[0]) => {
    const s = sessionOf(res)
    return { s, v: { userId: s.userId, isAdmin: s.isAdmin } }
  }
  async function requestViews(memberId: string, list: InviteRequest[], v: { userId: number; isAdmin: boolean }) {
    const links = await deps.joinLinksOf(memberId, list.map((x) => x.joinId).filter((j): j is string => j !== null))
    return list.map((x) => {
      const link = x.joinId !== null ? links.get(x.joinId) : undefined
      return {
        ...x, joinLinkId: link?.id ?? null, joinLinkName: link?.name ?? null,
        canDecide: deps.requests.canDecide(x, v), canCancel: x.requestedBy === v.userId && x.state === 'pending' && x.joinId === null,
      }
    })
  }
  const requestView = async (memberId: string, x: InviteRequest, v: { userId: number; isAdmin: boolean }) => (await requestViews(memberId, [x], v))[0]!

  r.get('/policy', async (_req, res) => {
    const s = requireAdmin(res)
    res.json({ policy: await deps.policy.get(s.memberId) })
  })

  r.put('/policy', async (req, res) => {
    const s = requireAdmin(res)
    const policy = parseInput(invitePolicySchema, req.body)
    const saved = await deps.policy.save(s.memberId, policy, s.userId)
    await deps.audit.record({ memberId: s.memberId, at: deps.clock.now(), actorUserId: s.userId, actorKind: 'user', action: 'policy.saved', subject: null, details: { rules: saved.rules.length, outsidePolicy: saved.outsidePolicy }, result: 'ok' })
    res.json({ policy: saved })
  })

  /** What the policy says for the current user and this target (the form shows it before anything is pasted). */
  r.post('/embedded/check', async (req, res) => {
    const { s, v } = viewer(res)
    const b = parseInput(checkBody, req.body)
    res.status(201).json(await deps.embedded.check(s.memberId, v, b.people, { kind: b.kind, departmentId: b.departmentId, groupId: b.groupId, templateId: b.templateId }))
  })

  r.post('/embedded/:importId/send', async (req, res) => {
    const { s, v } = viewer(res)
    const { importId } = parseInput(importParams, req.params)
    const out = await deps.embedded.send(s.memberId, v, importId, s.placement)
    res.status(out.status === 'sent' ? 201 : 202).json(out)
  })

  /** A CRM card's e-mail and name, read with the viewer's own token: they see only what Bitrix24 lets them see. */
  r.post('/embedded/crm-prefill', async (req, res) => {
    const { s } = viewer(res)
    const b = parseInput(prefillBody, req.body)
    const frame = await deps.verification.verifyFrame({ memberId: s.memberId, authId: b.authId })
    if (frame.userId !== s.userId) throw new TrustError('auth_mismatch', 'The portal token belongs to another user', 403)
    const endpoint = { memberId: s.memberId, clientEndpoint: frame.portal.clientEndpoint }
    let rec: Record<string, unknown>
    try {
      rec = await deps.gateway.callAs<Record<string, unknown>>(endpoint, b.authId, b.entity === 'contact' ? 'crm.contact.get' : 'crm.company.get', { id: b.id })
    } catch {
      throw new AppError('crm_unavailable', 'This CRM record cannot be read with your access rights', 404)
    }
    res.json(b.entity === 'contact'
      ? { email: firstEmail(rec.EMAIL), name: (rec.NAME as string | undefined) || null, lastName: (rec.LAST_NAME as string | undefined) || null }
      : { email: firstEmail(rec.EMAIL), name: (rec.TITLE as string | undefined) || null, lastName: null })
  })

  r.get('/requests', async (req, res) => {
    const { s, v } = viewer(res)
    const q = parseInput(requestsQuery, req.query)
    const page = await deps.requests.list(s.memberId, v, { ...(q.state ? { states: [q.state] } : {}), limit: q.limit, offset: q.offset })
    res.json({ rows: await requestViews(s.memberId, page.rows, v), total: page.total })
  })

  r.get('/requests/:requestId', async (req, res) => {
    const { s, v } = viewer(res)
    const { requestId } = parseInput(requestParams, req.params)
    res.json({ request: await requestView(s.memberId, await deps.requests.get(s.memberId, requestId, v), v) })
  })

  r.post('/requests/:requestId/approve', async (req, res) => {
    const { s, v } = viewer(res)
    const { requestId } = parseInput(requestParams, req.params)
    const { reason } = parseInput(approveBody, req.body ?? {})
    res.json({ request: await requestView(s.memberId, await deps.requests.approve(s.memberId, requestId, v, reason ?? null), v) })
  })

  r.post('/requests/:requestId/decline', async (req, res) => {
    const { s, v } = viewer(res)
    const { requestId } = parseInput(requestParams, req.params)
    const { reason } = parseInput(declineBody, req.body)
    res.json({ request: await requestView(s.memberId, await deps.requests.decline(s.memberId, requestId, v, reason), v) })
  })

  r.post('/requests/:requestId/cancel', async (req, res) => {
    const { s, v } = viewer(res)
    const { requestId } = parseInput(requestParams, req.params)
    res.json({ request: await requestView(s.memberId, await deps.requests.cancel(s.memberId, requestId, v), v) })
  })

  return r
}
