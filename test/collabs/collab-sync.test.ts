/**
 * Collab guest tracking against a portal seeded with 200 collabs and 5,000 guests in every state, on SQLite and
 * PostgreSQL: after a full sync the dashboard's figures equal what the emulator holds, per collab and overall;
 * ten changes made in the portal (acceptances, deactivations, activity, removals, a guest invited through the
 * portal's own collab dialog) cost a second sync a few requests and the figures follow; ONUSERADD marks the
 * portal for an early pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collabTruth, seedCollabs, type CollabTruth, type SeedCollabsResult } from '../emulator/index.js'
import { BACKENDS } from '../helpers/databases.js'
import { installedAdmin, startTestStack, type Api } from '../helpers/api.js'
import type { Stack } from '../helpers/stack.js'

const ACTIVE_DAYS = 30

interface Summary {
  totals: { guests: number; invited: number; accepted: number; active: number; inactive: number; deactivated: number }
  people: number
  collabs: Array<{ id: number; guests: number; invited: number; active: number; inactive: number; deactivated: number }>
  sync: { available: boolean; lastMode: string; lastRequests: number }
}

for (const backend of BACKENDS) {
  describe(`collab sync on ${backend.name}`, () => {
    let s: Stack
    let admin: Api
    let seed: SeedCollabsResult

    beforeAll(async () => {
      s = await startTestStack(backend)
      admin = await installedAdmin(s)
      seed = seedCollabs(s.portal, { collabs: 200, guests: 5_000, seed: 7, activeDays: ACTIVE_DAYS })
    }, 60_000)
    afterAll(async () => {
      await s?.close()
    })

    const requestsDuring = async (run: () => Promise<unknown>): Promise<number> => {
      const before = s.portal.requests().length
      await run()
      return s.portal.requests().length - before
    }

    function expectSame(summary: Summary, truth: CollabTruth): void {
      const { guests, invited, active, inactive, deactivated } = truth.total
      expect(summary.totals).toEqual({ guests, invited, accepted: active + inactive, active, inactive, deactivated })
      expect(summary.people).toBe(truth.people)
      expect(summary.collabs).toHaveLength(truth.byCollab.size)
      const mismatched = summary.collabs.filter((c) => {
        const t = truth.byCollab.get(c.id)
        return !t || t.guests !== c.guests || t.invited !== c.invited || t.active !== c.active || t.inactive !== c.inactive || t.deactivated !== c.deactivated
      })
      expect(mismatched.map((c) => ({ ours: c, portal: truth.byCollab.get(c.id) }))).toEqual([])
    }

    it('a full sync shows exactly what the portal holds', async () => {
      let report: { mode: string; requests: number; collabs: number; guests: number } | undefined
      const requests = await requestsDuring(async () => {
        const r = await admin.post('/api/collabs/sync', { full: true })
        expect(r.status).toBe(200)
        report = r.body.report
      })
      const truth = collabTruth(s.portal, { activeDays: ACTIVE_DAYS })
      expect(report).toMatchObject({ mode: 'full', collabs: 200, guests: truth.total.guests })
      expect(report!.requests).toBe(requests)
      // 5,006 extranet users (100 pages) and ~206 workgroups share batches; 200 rosters at 50 per request.
      expect(requests).toBeLessThanOrEqual(8)
      console.log(`[collab sync ${backend.name}] full: ${requests} requests for ${report!.collabs} collabs, ${report!.guests} guest memberships`)
      const summary = (await admin.get(`/api/collabs/summary?activeDays=${ACTIVE_DAYS}`)).body as Summary
      expectSame(summary, truth)
      expect(summary.sync).toMatchObject({ available: true, lastMode: 'full', lastRequests: requests })
      // Ordinary groups, projects and extranet groups are not collabs.
      const ids = new Set(summary.collabs.map((c) => c.id))
      for (const g of [...seed.groupIds, ...seed.extranetGroupIds]) expect(ids.has(g)).toBe(false)
    }, 120_000)

    it('ten changes cost the next sync a few requests, and the figures follow', async () => {
      const truthBefore = collabTruth(s.portal, { activeDays: ACTIVE_DAYS })
      const pairs = truthBefore.pairs
      const pick = (state: string, n: number, skip = new Set<number>()) => {
        const out: Array<{ collabId: number; userId: number }> = []
        for (const p of pairs) {
          if (p.state !== state || skip.has(p.userId) || out.some((o) => o.userId === p.userId)) continue
          if (pairs.filter((q) => q.userId === p.userId).length > 1) continue
          out.push(p)
          if (out.length === n) break
        }
        return out
      }
      const invited = pick('invited', 3)
      const active = pick('active', 4)
      const inactive = pick('inactive', 2)
      const gw = s.a.app.gateway
      // 1–3: acceptances (the portal invitation and the collab's).
      // (accepting the portal invitation also accepts the collab's, as the portal does)
      for (const p of invited) await s.portal.acceptInvitation(p.userId, { deliverEvent: false })
      // 4–5: deactivations.
      for (const p of active.slice(0, 2)) await gw.call(s.portal.memberId, 'user.update', { ID: p.userId, ACTIVE: 'N' })
      // 6–7: inactive guests come back.
      for (const p of inactive) s.portal.recordActivity(p.userId)
      // 8–9: removals from a collab.
      for (const p of active.slice(2, 4)) await gw.call(s.portal.memberId, 'sonet_group.user.delete', { GROUP_ID: p.collabId, USER_ID: p.userId })
      // 10: a brand-new guest invited through the collab's own dialog.
      s.portal.inviteGuestToCollab(seed.collabIds[3]!, { email: 'new.guest@example.test', name: 'New', lastName: 'Guest' })

      let report: { mode: string; requests: number; changedCollabs: number } | undefined
      const requests = await requestsDuring(async () => {
        report = (await admin.post('/api/collabs/sync', {})).body.report
      })
      expect(report).toMatchObject({ mode: 'incremental', requests })
      // One request finds what changed; the rest read rosters, 50 per request (a guest nobody here invited
      // can be in any collab, so the new one costs a read of every roster: 4 requests for 200 collabs).
      expect(requests).toBeLessThanOrEqual(1 + 1 + Math.ceil(200 / 50))
      console.log(`[collab sync ${backend.name}] incremental after 10 changes: ${requests} requests, ${report!.changedCollabs} rosters read`)
      expectSame((await admin.get(`/api/collabs/summary?activeDays=${ACTIVE_DAYS}`)).body as Summary, collabTruth(s.portal, { activeDays: ACTIVE_DAYS }))

      // Changes the portal can place without a roster scan: one request, plus the changed rosters.
      const more = pick('active', 2, new Set(active.map((a) => a.userId)))
      for (const p of more) await gw.call(s.portal.memberId, 'user.update', { ID: p.userId, ACTIVE: 'N' })
      const fewer = await requestsDuring(async () => {
        report = (await admin.post('/api/collabs/sync', {})).body.report
      })
      expect(fewer).toBeLessThanOrEqual(2)
      console.log(`[collab sync ${backend.name}] incremental after 2 deactivations: ${fewer} requests`)
      expectSame((await admin.get(`/api/collabs/summary?activeDays=${ACTIVE_DAYS}`)).body as Summary, collabTruth(s.portal, { activeDays: ACTIVE_DAYS }))
    }, 120_000)

    it('lists, filters and exports guests the way the summary counts them', async () => {
      const truth = collabTruth(s.portal, { activeDays: ACTIVE_DAYS })
      const page = await admin.get('/api/collabs/guests?state=inactive&limit=20&sort=lastActivityAt&dir=asc')
      expect(page.status).toBe(200)
      expect(page.body.total).toBe(truth.total.inactive)
      expect(page.body.rows).toHaveLength(20)
      const days = page.body.rows.map((r: { daysSinceActivity: number }) => r.daysSinceActivity)
      expect([...days].sort((a, b) => b - a)).toEqual(days)
      for (const r of page.body.rows) expect(r.daysSinceActivity).toBeGreaterThan(ACTIVE_DAYS)
      const collab = seed.collabIds.find((id) => (truth.byCollab.get(id)?.guests ?? 0) > 3)!
      const one = await admin.get(`/api/collabs/guests?collabId=${collab}&limit=200`)
      expect(one.body.total).toBe(truth.byCollab.get(collab)!.guests)
      const csv = await admin.get(`/api/collabs/guests/export?format=csv&state=inactive`)
      expect(csv.status).toBe(200)
      expect(csv.text.trim().split('\r\n')).toHaveLength(truth.total.inactive + 1)
      const bad = await admin.get('/api/collabs/guests?state=sleeping')
      expect(bad.status).toBe(400)
      expect(bad.body.error.code).toBe('bad_request')
    }, 60_000)

    it('an ONUSERADD marks the portal for an early pass', async () => {
      await s.a.app.stores.collabs.setSyncState(s.portal.memberId, { incrementalAt: Date.now() })
      expect(await s.a.app.stores.collabs.dueForSync(Date.now() - 3_600_000, 10)).not.toContain(s.portal.memberId)
      const guest = s.portal.inviteGuestToCollab(seed.collabIds[5]!, { email: 'event.guest@example.test', name: 'Event' })
      await s.portal.acceptInvitation(guest.ID)
      await expect.poll(async () => (await s.a.app.stores.collabs.getSyncState(s.portal.memberId)).dirty, { timeout: 10_000 }).toBe(true)
      expect(await s.a.app.stores.collabs.dueForSync(Date.now() - 3_600_000, 10)).toContain(s.portal.memberId)
    }, 30_000)
  })
}
