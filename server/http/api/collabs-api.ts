import { Router } from 'express'
import { z } from 'zod'
import type { AccessReviews } from '../../collabs/access-reviews.js'
import { collabActions, type CollabActionRunner } from '../../collabs/collab-actions.js'
import type { CollabDashboard, GuestQuery, GuestRow } from '../../collabs/collab-dashboard.js'
import { collabSettingsSchema, type CollabSettingsService } from '../../collabs/collab-settings.js'
import type { CollabSync } from '../../collabs/collab-sync.js'
import { toCsv, toXlsx } from '../../invites/export-table.js'
import type { InviteService } from '../../invites/invite-service.js'
import type { EmbeddedInvites } from '../../policy/embedded-invites.js'
import type { PeopleNames } from '../../invites/people-names.js'
import type { Clock } from '../../shared/clock.js'
import { AppError, NotFoundError } from '../../shared/errors.js'
import type { AccessReview, AccessReviewItem, AccessReviewStore } from '../../storage/access-review-store.js'
import type { CollabStore } from '../../storage/collab-store.js'
import type { PortalStore } from '../../storage/portal-store.js'
import type { AppSessionRecord } from '../../storage/session-store.js'
import { parseInput } from './parse-input.js'
import { requireAdmin, sessionOf } from './require-session.js'

const id32 = (what: string) => z.string().regex(/^\d{1,10}$/, `must be a ${what} id`).transform(Number).pipe(z.number().int().positive().max(2_147_483_647))
const collabParams = z.object({ collabId: id32('collab') })
const guestParams = z.object({ collabId: id32('collab'), userId: id32('user') })
const importParams = z.object({ importId: z.string().uuid('must be an import id') })
const rowParams = z.object({ row: z.string().regex(/^\d{1,7}$/, 'must be a row number').transform(Number).pipe(z.number().int().min(1)) })
const reviewParams = z.object({ reviewId: z.string().uuid('must be a review id') })
const itemParams = z.object({ reviewId: z.string().uuid('must be a review id'), itemId: z.string().uuid('must be a review item id') })

const activeDays = z.coerce.number().int().min(1).max(365).optional()
const guestQuery = z.object({
  collabId: id32('collab').optional(),
  state: z.enum(['invited', 'active', 'inactive', 'deactivated', 'accepted']).optional(),
  sponsorId: id32('user').optional(),
  q: z.string().max(200).optional(),
  sort: z.enum(['name', 'collab', 'state', 'invitedAt', 'lastActivityAt', 'sponsor']).optional(),
  dir: z.enum(['asc', 'desc']).optional(),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  activeDays,
  format: z.enum(['csv', 'xlsx']).optional(),
}).strict()
const historyQuery = z.object({ collabId: id32('collab').optional(), days: z.coerce.number().int().min(1).max(730).default(90) }).strict()
const syncBody = z.object({ full: z.boolean().optional() }).strict()
const inviteBody = z.object({ people: z.string().trim().min(1, 'paste at least one e-mail').max(200_000) }).strict()
const excludeBody = z.object({ excluded: z.boolean() }).strict()
const startReviewBody = z.object({
  dueDays: z.number().int().min(1).max(90),
  unanswered: z.enum(['keep', 'end']),
  collabIds: z.array(z.number().int().positive()).min(1).max(1000).optional(),
}).strict()
const decideBody = z.object({ decision: z.enum(['keep', 'end']), reason: z.string().trim().max(1000).optional() }).strict()

const EXPORT_HEADER = ['Collab', 'Guest', 'E-mail', 'State', 'Sponsor', 'Sponsor source', 'Invited at', 'Days since invitation', 'Last activity', 'Days since activity', 'User ID']
const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString())

/** The Collabs page: dashboard reads, guest actions, invites into a collab, access reviews, settings. */
export function collabsApi(deps: {
  dashboard: CollabDashboard
  sync: CollabSync
  /** Starts a background sync (the first visit to a portal never synced). */
  kickSync: (memberId: string) => void
  actions: CollabActionRunner
  reviews: AccessReviews
  reviewStore: AccessReviewStore
  collabs: CollabStore
  settings: CollabSettingsService
  invites: InviteService
  embedded: EmbeddedInvites
  portals: PortalStore
  names: PeopleNames
  clock: Clock
}): Router {
  const r = Router()
  const viewer = (s: AppSessionRecord) => ({ userId: s.userId, isAdmin: s.isAdmin })

  async function managed(s: AppSessionRecord, collabId: number): Promise<void> {
    if (!(await deps.collabs.collabs(s.memberId)).some((c) => c.id === collabId)) throw new NotFoundError('collab_not_found', 'No such collab (as of the last sync)')
    if (!(await deps.dashboard.manages(s.memberId, viewer(s), collabId))) throw new AppError('forbidden', 'Only the collab owner, its moderators or a portal administrator may do this', 403)
  }

  r.get('/collabs/summary', async (req, res) => {
    const s = sessionOf(res)
    const q = parseInput(z.object({ activeDays }).strict(), req.query)
    const [summary, state, unavailable] = await Promise.all([
      deps.dashboard.summary(s.memberId, viewer(s), q.activeDays), deps.collabs.getSyncState(s.memberId), deps.sync.unavailable(s.memberId),
    ])
    // Never synced: the first look starts one, and the page shows it running.
    const starting = unavailable === null && state.fullAt === null && !state.running && state.lastError === null
    if (starting) deps.kickSync(s.memberId)
    res.json({
      ...summary,
      sync: {
        available: unavailable === null, reason: unavailable, fullAt: state.fullAt, incrementalAt: state.incrementalAt, lastMode: state.lastMode,
        lastRequests: state.lastRequests, running: state.running || starting, error: state.lastError,
      },
    })
  })

  const guestsOf = async (s: AppSessionRecord, q: z.infer<typeof guestQuery>): Promise<GuestRow[]> => {
    const query: GuestQuery = {}
    if (q.collabId !== undefined) query.collabId = q.collabId
    if (q.state !== undefined) query.state = q.state
    if (q.sponsorId !== undefined) query.sponsorId = q.sponsorId
    if (q.q !== undefined) query.q = q.q
    if (q.sort !== undefined) query.sort = q.sort
    if (q.dir !== undefined) query.dir = q.dir
    if (q.activeDays !== undefined) query.activeDays = q.activeDays
    return deps.dashboard.guests(s.memberId, viewer(s), query)
  }

  r.get('/collabs/guests', async (req, res) => {
    const s = sessionOf(res)
    const q = parseInput(guestQuery, req.query)
    const rows = await guestsOf(s, q)
    res.json({ total: rows.length, rows: rows.slice(q.offset, q.offset + q.limit) })
  })

  r.get('/collabs/guests/export', async (req, res) => {
    const s = sessionOf(res)
    const q = parseInput(guestQuery, req.query)
    const rows = await guestsOf(s, q)
    const cells = rows.map((g) => [
      g.collabName, g.name, g.email, g.state, g.sponsor.name ?? (g.sponsor.id === null ? '' : `#${g.sponsor.id}`), g.sponsor.source,
      iso(g.invitedAt), g.daysSinceInvitation, iso(g.lastActivityAt), g.daysSinceActivity, g.userId,
    ])
    if (q.format === 'xlsx') {
      res.attachment('collab-guests.xlsx').type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(await toXlsx('Collab guests', EXPORT_HEADER, cells))
    } else {
      res.attachment('collab-guests.csv').type('text/csv; charset=utf-8').send(toCsv(EXPORT_HEADER, cells))
    }
  })

  r.get('/collabs/history', async (req, res) => {
    const s = sessionOf(res)
    const q = parseInput(historyQuery, req.query)
    res.json(await deps.dashboard.history(s.memberId, viewer(s), q.collabId, q.days))
  })

  r.post('/collabs/sync', async (req, res) => {
    const s = requireAdmin(res)
    const { full } = parseInput(syncBody, req.body ?? {})
    const report = await deps.sync.sync(s.memberId, { full: full === true })
    if (!report) throw new AppError('sync_running', 'A sync of this portal is already running', 409)
    res.json({ report })
  })

  r.get('/collabs/actions', async (_req, res) => {
    const s = sessionOf(res)
    const portal = await deps.portals.get(s.memberId)
    if (!portal) throw new NotFoundError('portal_not_found', 'Unknown portal')
    res.json({ actions: collabActions(portal) })
  })

  r.post('/collabs/:collabId/guests/:userId/remind', async (req, res) => {
    const s = sessionOf(res)
    const { collabId, userId } = parseInput(guestParams, req.params)
    await managed(s, collabId)
    res.json({ ok: true, ...(await deps.actions.remind(s.memberId, collabId, userId, s.userId)) })
  })

  r.post('/collabs/:collabId/guests/:userId/remove', async (req, res) => {
    const s = sessionOf(res)
    const { collabId, userId } = parseInput(guestParams, req.params)
    await managed(s, collabId)
    res.json({ ok: true, ...(await deps.actions.remove(s.memberId, collabId, userId, s.userId)) })
  })

  r.post('/collabs/:collabId/guests/:userId/deactivate', async (req, res) => {
    const s = requireAdmin(res)
    const { collabId, userId } = parseInput(guestParams, req.params)
    res.json({ ok: true, ...(await deps.actions.deactivate(s.memberId, collabId, userId, s.userId)) })
  })

  /** A pasted list into the collab, checked (the same dry run and send as an extranet group's). */
  r.post('/collabs/:collabId/invite', async (req, res) => {
    const s = sessionOf(res)
    const { collabId } = parseInput(collabParams, req.params)
    const { people } = parseInput(inviteBody, req.body)
    await managed(s, collabId)
    res.status(201).json(await deps.embedded.check(s.memberId, { userId: s.userId, isAdmin: s.isAdmin }, people, { kind: 'extranet', departmentId: null, groupId: collabId, templateId: null }))
  })

  r.post('/collabs/:collabId/invite/:importId/send', async (req, res) => {
    const s = sessionOf(res)
    const { collabId } = parseInput(collabParams, { collabId: req.params.collabId })
    const { importId } = parseInput(importParams, { importId: req.params.importId })
    await managed(s, collabId)
    // The invite policy decides (quota, approval), as for every embedded tab.
    const out = await deps.embedded.send(s.memberId, { userId: s.userId, isAdmin: s.isAdmin }, importId, s.placement)
    res.status(out.status === 'sent' ? 201 : 202).json(out)
  })

  r.patch('/collabs/:collabId/invite/:importId/rows/:row', async (req, res) => {
    const s = sessionOf(res)
    const { collabId } = parseInput(collabParams, { collabId: req.params.collabId })
    const { importId } = parseInput(importParams, { importId: req.params.importId })
    const { row } = parseInput(rowParams, { row: req.params.row })
    const { excluded } = parseInput(excludeBody, req.body)
    await managed(s, collabId)
    await deps.invites.assertGroupImport(s.memberId, importId, s.userId, collabId)
    res.json(await deps.invites.editRow(s.memberId, importId, row, { excluded }))
  })

  // --- Access reviews ------------------------------------------------------------------------------

  const reviewView = (rv: AccessReview, counts: { all: object; mine: object } | undefined) => ({
    id: rv.id, status: rv.status, startedBy: rv.startedBy, startedAt: rv.startedAt, dueAt: rv.dueAt, closedAt: rv.closedAt,
    unanswered: rv.unanswered, collabIds: rv.collabIds,
    counts: counts?.all ?? { total: 0, kept: 0, ended: 0, pending: 0 },
    mine: counts?.mine ?? { total: 0, kept: 0, ended: 0, pending: 0 },
  })

  r.get('/collabs/reviews', async (_req, res) => {
    const s = sessionOf(res)
    const list = await deps.reviewStore.list(s.memberId, 50)
    const counts = await deps.reviewStore.counts(s.memberId, list.map((x) => x.id), s.userId)
    // Non-admins see the reviews that hold guests they sponsor.
    const visible = s.isAdmin ? list : list.filter((x) => (counts.get(x.id)?.mine.total ?? 0) > 0)
    res.json({ reviews: visible.map((x) => reviewView(x, counts.get(x.id))) })
  })

  r.post('/collabs/reviews', async (req, res) => {
    const s = requireAdmin(res)
    const body = parseInput(startReviewBody, req.body)
    const review = await deps.reviews.start(s.memberId, { startedBy: s.userId, dueDays: body.dueDays, unanswered: body.unanswered, collabIds: body.collabIds ?? null })
    const counts = await deps.reviewStore.counts(s.memberId, [review.id], s.userId)
    res.status(201).json({ review: reviewView(review, counts.get(review.id)) })
  })

  /** Items as the UI shows them: names of the guest, collab and sponsor, and whether the viewer may decide. */
  async function itemViews(s: AppSessionRecord, review: AccessReview, items: AccessReviewItem[]) {
    const [people, collabs] = await Promise.all([deps.collabs.people(s.memberId, items.map((i) => i.userId)), deps.collabs.collabs(s.memberId)])
    const collabNames = new Map(collabs.map((c) => [c.id, c.name]))
    const sponsorNames = new Map<number, string>()
    for (const id of new Set(items.map((i) => i.sponsorId).filter((x): x is number => x !== null))) sponsorNames.set(id, await deps.names.user(s.memberId, id))
    return items.map((i) => {
      const p = people.get(i.userId)
      return {
        id: i.id, collabId: i.collabId, collabName: collabNames.get(i.collabId) ?? `#${i.collabId}`, userId: i.userId,
        name: p ? `${p.name ?? ''} ${p.lastName ?? ''}`.trim() || p.email || `#${i.userId}` : `#${i.userId}`, email: p?.email ?? null,
        state: i.state, sponsor: { id: i.sponsorId, name: i.sponsorId === null ? null : sponsorNames.get(i.sponsorId) ?? null, source: i.sponsorSource },
        decision: i.decision, decidedBy: i.decidedBy, decidedAt: i.decidedAt, reason: i.reason, outcome: i.outcome, outcomeError: i.outcomeError,
        canDecide: review.status === 'open' && i.outcome === null && (s.isAdmin || i.sponsorId === s.userId),
      }
    })
  }

  r.get('/collabs/reviews/:reviewId', async (req, res) => {
    const s = sessionOf(res)
    const { reviewId } = parseInput(reviewParams, req.params)
    const review = await deps.reviewStore.get(s.memberId, reviewId)
    if (!review) throw new NotFoundError('review_not_found', 'No such review')
    const items = await deps.reviewStore.items(s.memberId, reviewId, s.isAdmin ? {} : { sponsorId: s.userId })
    if (!s.isAdmin && items.length === 0) throw new NotFoundError('review_not_found', 'No such review')
    const counts = await deps.reviewStore.counts(s.memberId, [reviewId], s.userId)
    res.json({ review: reviewView(review, counts.get(reviewId)), items: await itemViews(s, review, items) })
  })

  r.post('/collabs/reviews/:reviewId/items/:itemId', async (req, res) => {
    const s = sessionOf(res)
    const { reviewId, itemId } = parseInput(itemParams, req.params)
    const { decision, reason } = parseInput(decideBody, req.body)
    const item = await deps.reviews.decide(s.memberId, reviewId, itemId, viewer(s), decision, reason || null)
    const review = (await deps.reviewStore.get(s.memberId, reviewId))!
    res.json({ item: (await itemViews(s, review, [item]))[0] })
  })

  r.post('/collabs/reviews/:reviewId/close', async (req, res) => {
    const s = requireAdmin(res)
    const { reviewId } = parseInput(reviewParams, req.params)
    const review = await deps.reviews.close(s.memberId, reviewId, s.userId)
    const counts = await deps.reviewStore.counts(s.memberId, [reviewId], s.userId)
    res.json({ review: reviewView(review, counts.get(reviewId)) })
  })

  /** The signed-in user's undecided review items (the app's banner). */
  r.get('/collabs/reviews-pending', async (_req, res) => {
    const s = sessionOf(res)
    res.json({ pending: await deps.reviewStore.pendingFor(s.memberId, s.userId) })
  })

  // --- Settings ------------------------------------------------------------------------------------

  r.get('/collabs/settings', async (_req, res) => {
    const s = sessionOf(res)
    res.json({ settings: await deps.settings.get(s.memberId) })
  })

  r.put('/collabs/settings', async (req, res) => {
    const s = requireAdmin(res)
    const settings = parseInput(collabSettingsSchema, req.body)
    res.json({ settings: await deps.settings.save(s.memberId, settings) })
  })

  return r
}
