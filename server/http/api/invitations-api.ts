import { Router } from 'express'
import { z } from 'zod'
import { NotFoundError } from '../../shared/errors.js'
import type { Clock } from '../../shared/clock.js'
import type { TemplateStore } from '../../storage/template-store.js'
import { portalUserUrl, REINVITE_METHOD, type InvitationLifecycle } from '../../ledger/invitation-lifecycle.js'
import type { PortalRecord, PortalStore } from '../../storage/portal-store.js'
import type { Invitation, LedgerFilter, LedgerStore } from '../../storage/ledger-store.js'
import type { AppSessionRecord } from '../../storage/session-store.js'
import { toCsv, toXlsx } from '../../invites/export-table.js'
import { parseInput } from './parse-input.js'
import { requireAdmin, sessionOf } from './require-session.js'

const DAY_MS = 86_400_000
const EXPORT_LIMIT = 100_000
const STATES = ['sent', 'pending', 'accepted', 'expired', 'revoked', 'failed'] as const
const SOURCES = ['wizard', 'group_tab', 'robot', 'join_link'] as const

const empty = (v: unknown) => (v === '' ? undefined : v)
const filterQuery = z.object({
  state: z.preprocess(empty, z.enum(STATES).optional()),
  templateId: z.preprocess(empty, z.string().uuid().optional()),
  invitedBy: z.preprocess(empty, z.coerce.number().int().positive().optional()),
  source: z.preprocess(empty, z.enum(SOURCES).optional()),
  olderThanDays: z.preprocess(empty, z.coerce.number().int().min(0).max(3650).optional()),
  q: z.preprocess(empty, z.string().max(200).optional()),
})
const pageQuery = filterQuery.extend({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
})

export const invitationView = (i: Invitation) => ({
  id: i.id, email: i.email, phone: i.phone, name: i.name, lastName: i.lastName, userId: i.userId, invitedBy: i.invitedBy,
  source: i.source, templateId: i.templateId, jobId: i.jobId, state: i.state, sentAt: i.sentAt, acceptedAt: i.acceptedAt,
  expiresAt: i.expiresAt, remindersSent: i.remindersSent, target: i.target,
})

/** The person's page in the portal goes with every row that has a user: "Invite again" lives there. */
const rowView = (i: Invitation, portal: PortalRecord | undefined) => ({ ...invitationView(i), portalUrl: portal && i.userId ? portalUserUrl(portal, i.userId) : null })

const EXPORT_HEADER = ['E-mail', 'Phone', 'Name', 'Last name', 'State', 'Invited by', 'Source', 'Template', 'Sent', 'Accepted', 'Expires', 'Reminders', 'User ID']
const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString())

/** The invitation ledger: every invitation from every path, its history, reminders and exports. */
export function invitationsApi(deps: {
  ledger: LedgerStore
  lifecycle: InvitationLifecycle
  templates: TemplateStore
  portals: PortalStore
  /** Whose invitations a viewer sees (null: all); the invite policy decides for managers. */
  visibleInviters: (memberId: string, v: { userId: number; isAdmin: boolean }) => Promise<number[] | null>
  clock: Clock
}): Router {
  const r = Router()

  /** Admins see the whole portal; anyone else the invitations they sent (and, by policy, their departments'). */
  async function filterOf(s: AppSessionRecord, q: z.infer<typeof filterQuery>): Promise<LedgerFilter> {
    const f: LedgerFilter = {}
    if (q.state) f.states = [q.state]
    if (q.templateId) f.templateId = q.templateId
    if (q.source) f.source = q.source
    if (q.q) f.search = q.q
    if (q.olderThanDays !== undefined) f.sentBefore = deps.clock.now() - q.olderThanDays * DAY_MS
    if (q.invitedBy !== undefined) f.invitedBy = q.invitedBy
    const visible = await deps.visibleInviters(s.memberId, s)
    if (visible !== null) f.invitedByAny = visible
    return f
  }

  r.get('/invitations', async (req, res) => {
    const s = sessionOf(res)
    const q = parseInput(pageQuery, req.query)
    const [{ rows, total }, portal] = await Promise.all([
      deps.ledger.list(s.memberId, await filterOf(s, q), { limit: q.limit, offset: q.offset }),
      deps.portals.get(s.memberId),
    ])
    // Where the portal cannot resend through REST, every outstanding row links to the person's page ("Invite again").
    const resend = portal?.capabilities[REINVITE_METHOD.toLowerCase()] === true ? 'api' : 'portal'
    res.json({
      rows: rows.map((i) => rowView(i, portal)),
      total,
      resend,
    })
  })

  r.get(['/invitations/export.csv', '/invitations/export.xlsx'], async (req, res) => {
    const s = sessionOf(res)
    const { rows } = await deps.ledger.list(s.memberId, await filterOf(s, parseInput(filterQuery, req.query)), { limit: EXPORT_LIMIT, offset: 0 })
    // Archived templates too: an old invitation still names the template it went out with.
    const templateNames = new Map((await deps.templates.list(s.memberId, { includeArchived: true })).map((t) => [t.id, t.name]))
    const cells = rows.map((i) => [
      i.email, i.phone, i.name, i.lastName, i.state, i.invitedBy, i.source, i.templateId ? (templateNames.get(i.templateId) ?? i.templateId) : '', iso(i.sentAt), iso(i.acceptedAt), iso(i.expiresAt), i.remindersSent, i.userId,
    ])
    if (req.path.endsWith('.xlsx')) {
      res.attachment('invitations.xlsx').type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(await toXlsx('Invitations', EXPORT_HEADER, cells))
    } else {
      res.attachment('invitations.csv').type('text/csv; charset=utf-8').send(toCsv(EXPORT_HEADER, cells))
    }
  })

  r.get('/invitations/:id', async (req, res) => {
    const s = sessionOf(res)
    const [inv, portal] = await Promise.all([deps.ledger.get(s.memberId, String(req.params.id)), deps.portals.get(s.memberId)])
    const visible = inv ? await deps.visibleInviters(s.memberId, s) : null
    if (!inv || (visible !== null && (inv.invitedBy === null || !visible.includes(inv.invitedBy)))) throw new NotFoundError('invitation_not_found', 'There is no such invitation')
    const history = await deps.ledger.history(s.memberId, inv.id)
    res.json({
      invitation: rowView(inv, portal),
      history: history.map((h) => ({ at: h.at, from: h.from, to: h.to, actorUserId: h.actorUserId, detail: Object.keys(h.detail).length ? JSON.stringify(h.detail) : null })),
    })
  })

  r.post('/invitations/:id/remind', async (req, res) => {
    const s = requireAdmin(res)
    const out = await deps.lifecycle.remind(s.memberId, String(req.params.id), s.userId)
    if (!out) throw new NotFoundError('invitation_not_found', 'There is no such invitation')
    res.json(out)
  })

  return r
}
