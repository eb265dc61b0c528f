/**
 * What can be done to collab guests, through the API over real HTTP, on SQLite and PostgreSQL: remind, remove
 * and deactivate with the methods each portal answers (and a clear "not available" with the collab's link
 * where it answers none), who may do it, access reviews from start to close (sponsors notified, "end" removes
 * at once, unanswered guests handled as the review says, all audited), the daily digest to owners (once a day),
 * the periodic review, and a portal without the workgroup methods, which says so instead of failing.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { collabTruth, seedCollabs, type SeedCollabsResult } from '../emulator/index.js'
import { BACKENDS } from '../helpers/databases.js'
import { installedAdmin, sessionApi, startTestStack, waitForJob } from '../helpers/api.js'
import type { Stack } from '../helpers/stack.js'

const DAY = 86_400_000

for (const backend of BACKENDS) {
  describe(`collab actions and reviews on ${backend.name}`, () => {
    let s: Stack | undefined
    afterEach(async () => {
      await s?.close()
      s = undefined
    })

    async function setUp(portal: { extraMethods?: string[]; missingMethods?: string[] } = {}) {
      s = await startTestStack(backend, { portal: { lang: 'en', ...portal } })
      const admin = await installedAdmin(s)
      const seed = seedCollabs(s.portal, { collabs: 12, guests: 150, seed: 3 })
      return { stack: s, admin, seed }
    }

    /** A guest alone in one collab in the given state, and that collab's owner. */
    function guestIn(stack: Stack, state: string, skip: number[] = []) {
      const pairs = collabTruth(stack.portal).pairs
      const p = pairs.find((x) => x.state === state && !skip.includes(x.userId) && pairs.filter((y) => y.userId === x.userId).length === 1)!
      const owner = stack.portal.groups().find((g) => g.ID === p.collabId)!.OWNER_ID
      return { ...p, owner }
    }

    const inCollab = (stack: Stack, collabId: number, userId: number) => stack.portal.groups().find((g) => g.ID === collabId)!.members.some((m) => m.userId === userId)

    it('reminds, removes and deactivates with the methods the portal answers; others may not', async () => {
      const { stack, admin } = await setUp({ extraMethods: ['intranet.invite.reinvite', 'socialnetwork.collab.Member.delete'] })
      expect((await admin.post('/api/collabs/sync', { full: true })).status).toBe(200)
      const actions = (await admin.get('/api/collabs/actions')).body.actions
      expect(actions.remind).toMatchObject({ available: true, via: 'intranet.invite.reinvite' })
      expect(actions.remove).toMatchObject({ available: true, via: 'socialnetwork.collab.member.delete' })
      expect(actions.deactivate).toMatchObject({ available: true, via: 'user.update' })
      expect(actions.invite.fallback).toMatch(/no collab-guest invitation/)

      const invited = guestIn(stack, 'invited')
      const r1 = await admin.post(`/api/collabs/${invited.collabId}/guests/${invited.userId}/remind`)
      expect(r1.status).toBe(200)
      expect(stack.portal.callCount('intranet.invite.reinvite')).toBe(1)

      const active = guestIn(stack, 'active')
      const stranger = await sessionApi(stack, stack.portal.users().find((u) => u.USER_TYPE === 'employee' && !u.ADMIN && !stack.portal.groups().some((g) => g.OWNER_ID === u.ID || g.members.some((m) => m.userId === u.ID && m.role === 'E')))!.ID)
      const refused = await stranger.post(`/api/collabs/${active.collabId}/guests/${active.userId}/remove`)
      expect(refused.status).toBe(403)
      expect(inCollab(stack, active.collabId, active.userId)).toBe(true)
      expect((await stranger.post(`/api/collabs/${active.collabId}/guests/${active.userId}/deactivate`)).status).toBe(403)
      // A non-admin sees nothing of collabs they neither own nor moderate.
      expect((await stranger.get('/api/collabs/summary')).body.totals.guests).toBe(0)

      const owner = await sessionApi(stack, active.owner)
      const ownRows = (await owner.get(`/api/collabs/guests?collabId=${active.collabId}&limit=200`)).body.rows as Array<{ canManage: boolean }>
      expect(ownRows.length).toBeGreaterThan(0)
      expect(ownRows.every((r) => r.canManage)).toBe(true)
      const removed = await owner.post(`/api/collabs/${active.collabId}/guests/${active.userId}/remove`)
      expect(removed.body).toEqual({ ok: true, via: 'socialnetwork.collab.member.delete' })
      expect(inCollab(stack, active.collabId, active.userId)).toBe(false)
      const gone = await admin.get(`/api/collabs/guests?collabId=${active.collabId}&limit=200`)
      expect(gone.body.rows.some((r: { userId: number }) => r.userId === active.userId)).toBe(false)
      expect((await owner.post(`/api/collabs/${active.collabId}/guests/${active.userId}/remove`)).status).toBe(404)

      const other = guestIn(stack, 'inactive')
      expect((await admin.post(`/api/collabs/${other.collabId}/guests/${other.userId}/deactivate`)).body).toEqual({ ok: true, via: 'user.update' })
      expect(stack.portal.user(other.userId)!.ACTIVE).toBe(false)
      expect((await admin.post(`/api/collabs/${other.collabId}/guests/${other.userId}/deactivate`)).status).toBe(409)

      const audit = await stack.a.app.stores.audit.list(stack.portal.memberId, { limit: 50 })
      expect(audit.filter((e) => e.action.startsWith('collab.guest.')).map((e) => `${e.action}:${e.result}`).sort())
        .toEqual(['collab.guest.deactivate:ok', 'collab.guest.remind:ok', 'collab.guest.remove:ok'])
    }, 60_000)

    it('says what is not available and where to do it instead; removal falls back to the documented method', async () => {
      const { stack, admin } = await setUp()
      await admin.post('/api/collabs/sync', { full: true })
      const actions = (await admin.get('/api/collabs/actions')).body.actions
      expect(actions.remind).toMatchObject({ available: false, via: null })
      expect(actions.remove).toMatchObject({ available: true, via: 'sonet_group.user.delete' })
      const invited = guestIn(stack, 'invited')
      const r = await admin.post(`/api/collabs/${invited.collabId}/guests/${invited.userId}/remind`)
      expect(r.status).toBe(409)
      expect(r.body.error).toMatchObject({ code: 'not_available', details: { collabUrl: expect.stringContaining(`/workgroups/group/${invited.collabId}/`) } })
      const active = guestIn(stack, 'active')
      expect((await admin.post(`/api/collabs/${active.collabId}/guests/${active.userId}/remove`)).body.via).toBe('sonet_group.user.delete')
      expect(inCollab(stack, active.collabId, active.userId)).toBe(false)
    }, 60_000)

    it('invites pasted people into a collab through the dry run and the engine; they show as invited', async () => {
      const { stack, admin, seed } = await setUp()
      await admin.post('/api/collabs/sync', { full: true })
      const collabId = seed.collabIds[1]!
      const checked = await admin.post(`/api/collabs/${collabId}/invite`, { people: 'ext.one@example.test, ext.two@example.test; not-an-address' })
      expect(checked.status).toBe(201)
      expect(checked.body.summary).toMatchObject({ errors: 1 })
      // A bad row blocks the send until it is excluded (the same rule as every send).
      expect((await admin.post(`/api/collabs/${collabId}/invite/${checked.body.importId}/send`)).body.error.code).toBe('has_errors')
      const bad = (checked.body.rows as Array<{ rowNumber: number; status: string }>).find((r) => r.status === 'error')!
      expect((await admin.patch(`/api/collabs/${collabId}/invite/${checked.body.importId}/rows/${bad.rowNumber}`, { excluded: true })).status).toBe(200)
      const sent = await admin.post(`/api/collabs/${collabId}/invite/${checked.body.importId}/send`)
      expect(sent.status, sent.text).toBe(201)
      await waitForJob(admin, sent.body.jobId, (j) => j.status === 'completed', 'job completed')
      const added = stack.portal.invitations().filter((i) => ['ext.one@example.test', 'ext.two@example.test'].includes(String(i.email)))
      expect(added).toHaveLength(2)
      const group = stack.portal.groups().find((g) => g.ID === collabId)!
      const ids = stack.portal.users().filter((u) => u.EMAIL?.startsWith('ext.')).map((u) => u.ID)
      expect(ids).toHaveLength(2)
      for (const id of ids) expect(group.members.find((m) => m.userId === id)?.role).toBe('Z')
      // The next sync places them from the ledger (no roster scan) and names Invite Desk's inviter as sponsor.
      const report = (await admin.post('/api/collabs/sync', {})).body.report
      expect(report.changedCollabs).toBeLessThan(seed.collabIds.length)
      const rows = (await admin.get(`/api/collabs/guests?collabId=${collabId}&state=invited&limit=200`)).body.rows as Array<{ userId: number; sponsor: { id: number; source: string } }>
      for (const id of ids) expect(rows.find((r) => r.userId === id)?.sponsor).toMatchObject({ id: 1, source: 'ledger' })
      // Only the collab's managers may invite into it.
      const stranger = await sessionApi(stack, seed.employeeIds.find((id) => !stack.portal.groups().some((g) => g.ID === collabId && (g.OWNER_ID === id || g.members.some((m) => m.userId === id))))!)
      expect((await stranger.post(`/api/collabs/${collabId}/invite`, { people: 'x@example.test' })).status).toBe(403)
      expect((await admin.post('/api/collabs/999999/invite', { people: 'x@example.test' })).status).toBe(404)
    }, 60_000)

    it('a portal without the workgroup methods says tracking is not available', async () => {
      const { admin } = await setUp({ missingMethods: ['socialnetwork.api.workgroup.list'] })
      const summary = await admin.get('/api/collabs/summary')
      expect(summary.status).toBe(200)
      expect(summary.body.sync).toMatchObject({ available: false, reason: expect.stringContaining('socialnetwork.api.workgroup.list') })
      expect(summary.body.totals.guests).toBe(0)
      const sync = await admin.post('/api/collabs/sync', {})
      expect(sync.status).toBe(409)
      expect(sync.body.error.code).toBe('collabs_unavailable')
    }, 60_000)

    it('runs an access review: sponsors told, "end" removes at once, unanswered guests ended at close', async () => {
      const { stack, admin, seed } = await setUp()
      await admin.post('/api/collabs/sync', { full: true })
      const truth = collabTruth(stack.portal)
      const collabId = seed.collabIds.find((id) => (truth.byCollab.get(id)!.guests - truth.byCollab.get(id)!.deactivated) >= 3)!
      const ownerId = stack.portal.groups().find((g) => g.ID === collabId)!.OWNER_ID
      const started = await admin.post('/api/collabs/reviews', { dueDays: 7, unanswered: 'end', collabIds: [collabId] })
      expect(started.status).toBe(201)
      const reviewId = started.body.review.id as string
      const expected = truth.pairs.filter((p) => p.collabId === collabId && p.state !== 'deactivated').length
      expect(started.body.review.counts).toEqual({ total: expected, kept: 0, ended: 0, pending: expected })
      expect(stack.portal.notifications().some((n) => n.userId === ownerId && n.message.includes('Access review'))).toBe(true)
      expect((await admin.post('/api/collabs/reviews', { dueDays: 7, unanswered: 'keep' })).body.error.code).toBe('review_open')
      expect((await admin.post('/api/collabs/reviews', { dueDays: 0, unanswered: 'keep' })).status).toBe(400)

      // The owner answers for guests nobody recorded inviting.
      const owner = await sessionApi(stack, ownerId)
      expect((await owner.get('/api/collabs/reviews-pending')).body.pending).toEqual([{ reviewId, pending: expected }])
      const view = await owner.get(`/api/collabs/reviews/${reviewId}`)
      expect(view.body.items).toHaveLength(expected)
      const [keep, end, ...rest] = view.body.items as Array<{ id: string; userId: number; canDecide: boolean; sponsor: { source: string } }>
      expect(keep!.canDecide).toBe(true)
      expect(keep!.sponsor.source).toBe('owner')
      expect((await owner.post(`/api/collabs/reviews/${reviewId}/items/${keep!.id}`, { decision: 'keep' })).status).toBe(200)
      const ended = await owner.post(`/api/collabs/reviews/${reviewId}/items/${end!.id}`, { decision: 'end', reason: 'Project finished' })
      expect(ended.body.item).toMatchObject({ decision: 'end', outcome: 'ended', reason: 'Project finished' })
      expect(inCollab(stack, collabId, end!.userId)).toBe(false)
      // An ended guest's access is settled: the decision cannot be turned back.
      expect((await owner.post(`/api/collabs/reviews/${reviewId}/items/${end!.id}`, { decision: 'keep' })).status).toBe(409)
      // Someone else's review is not theirs to answer, nor to read.
      const stranger = await sessionApi(stack, seed.employeeIds.find((id) => id !== ownerId && !stack.portal.groups().some((g) => g.ID === collabId && g.members.some((m) => m.userId === id)))!)
      expect((await stranger.post(`/api/collabs/reviews/${reviewId}/items/${keep!.id}`, { decision: 'end' })).status).toBe(403)
      expect((await stranger.get(`/api/collabs/reviews/${reviewId}`)).status).toBe(404)
      expect((await owner.post(`/api/collabs/reviews/${reviewId}/close`)).status).toBe(403)

      const closed = await admin.post(`/api/collabs/reviews/${reviewId}/close`)
      expect(closed.body.review).toMatchObject({ status: 'closed', counts: { total: expected, kept: 1, ended: 1, pending: expected - 2 } })
      const final = (await admin.get(`/api/collabs/reviews/${reviewId}`)).body.items as Array<{ userId: number; outcome: string }>
      expect(final.filter((i) => i.outcome === 'kept').map((i) => i.userId)).toEqual([keep!.userId])
      expect(final.filter((i) => i.outcome === 'ended')).toHaveLength(expected - 1)
      expect(inCollab(stack, collabId, keep!.userId)).toBe(true)
      for (const i of rest) expect(inCollab(stack, collabId, i.userId)).toBe(false)
      const audit = await stack.a.app.stores.audit.list(stack.portal.memberId, { limit: 200 })
      expect(audit.filter((e) => e.action === 'collab.review.end')).toHaveLength(expected - 1)
      expect(audit.some((e) => e.action === 'collab.review.close')).toBe(true)
      expect(audit.some((e) => e.action === 'collab.review.start')).toBe(true)
    }, 90_000)

    it('sends the daily digest to owners once a day, and starts the periodic review', async () => {
      const { stack, admin } = await setUp()
      await admin.post('/api/collabs/sync', { full: true })
      const before = stack.portal.notifications().length
      // While another instance's sync is being written, the digest waits for a later pass (and is not used up).
      const { collabs } = stack.a.app.stores
      expect(await collabs.claimSync(stack.portal.memberId, 'other-instance', Date.now(), Date.now() + 60_000)).toBe(true)
      expect(await stack.a.app.collabs.digest.run(stack.portal.memberId)).toBeNull()
      expect(stack.portal.notifications().length).toBe(before)
      await collabs.releaseSync(stack.portal.memberId, 'other-instance')
      const report = await stack.a.app.collabs.digest.run(stack.portal.memberId)
      expect(report!.sent).toBeGreaterThan(0)
      const sent = stack.portal.notifications().slice(before)
      expect(sent).toHaveLength(report!.sent)
      const owners = new Set(stack.portal.groups().filter((g) => g.TYPE === 'collab').map((g) => g.OWNER_ID))
      for (const n of sent) {
        expect(owners.has(n.userId)).toBe(true)
        expect(n.message).toMatch(/need your attention/)
      }
      expect(await stack.a.app.collabs.digest.run(stack.portal.memberId)).toBeNull()

      // Settings are validated; a periodic review starts once, not again while one is open.
      const settings = (await admin.get('/api/collabs/settings')).body.settings
      expect((await admin.put('/api/collabs/settings', { ...settings, review: { ...settings.review, everyDays: 400 } })).status).toBe(400)
      expect((await admin.put('/api/collabs/settings', { ...settings, review: { ...settings.review, everyDays: 30 } })).status).toBe(200)
      await stack.a.app.collabs.reviews.runDue([stack.portal.memberId])
      const reviews = (await admin.get('/api/collabs/reviews')).body.reviews
      expect(reviews).toHaveLength(1)
      expect(reviews[0]).toMatchObject({ status: 'open', startedBy: null, unanswered: 'keep' })
      await stack.a.app.collabs.reviews.runDue([stack.portal.memberId])
      expect((await admin.get('/api/collabs/reviews')).body.reviews).toHaveLength(1)
      expect(reviews[0].dueAt - reviews[0].startedAt).toBe(14 * DAY)
    }, 60_000)
  })
}
