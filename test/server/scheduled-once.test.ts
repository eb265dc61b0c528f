/**
 * Scheduled work runs once per portal, not once per instance (issue 9): three Invite Desk instances on one
 * PostgreSQL schema, one kind of scheduled work made due for one portal at a time, every instance's public
 * entry point run AT ONCE (Promise.all), and what happened counted where it shows: on the emulated portal
 * (notifications, REST calls, workflow replies) and, for work that calls nothing, in the ledger and audit log.
 * Reminders, guest stays and the directory pass are held per portal by one instance at a time (a task lease,
 * server/storage/portal-tasks.ts): without it every instance sent each reminder, removed each guest and read
 * the portal's users.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createClock, seedCollabs, type Clock } from '../emulator/index.js'
import type { RequestRecord } from '../emulator/state.js'
import { BACKENDS } from '../helpers/databases.js'
import { csv, installedAdmin, sendList, startTestStack, waitForJob, type Api } from '../helpers/api.js'
import { until, type Instance, type Stack } from '../helpers/stack.js'

const DAY = 86_400_000
const LIST = csv([
  ['E-mail', 'Name', 'Last name'],
  ['ivan@example.test', 'Ivan', 'Petrov'],
  ['anna@example.test', 'Anna', 'Smith'],
  ['bob@example.test', 'Bob', 'Jones'],
])
/** What a collab sync pass reads (collab-sync.ts): its requests, counted per method. */
const SYNC_METHODS = ['socialnetwork.api.workgroup.list', 'socialnetwork.api.workgroup.get', 'user.get']

/** The commands one request ran, as [method, params]: a batch's commands, or the request itself. */
function commands(r: RequestRecord): Array<[string, Record<string, string | undefined>]> {
  if (r.restMethod !== 'batch') return [[r.restMethod, r.params as Record<string, string | undefined>]]
  const cmd = r.params.cmd
  const rows: unknown[] = Array.isArray(cmd) ? cmd : cmd !== null && typeof cmd === 'object' ? Object.values(cmd) : []
  return rows.map(String).map((row) => [row.split('?')[0]!.trim().toLowerCase(), Object.fromEntries(new URLSearchParams(row.slice(row.indexOf('?') + 1)))])
}

/** Commands per method in these requests, only those the portal answered with 200. */
function perMethod(requests: RequestRecord[], methods: string[]): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(methods.map((m) => [m, 0]))
  for (const r of requests) if (r.status === 200) for (const [m] of commands(r)) if (m in out) out[m]!++
  return out
}

const postgres = BACKENDS.filter((b) => b.name === 'postgres')

for (const backend of postgres) {
  describe(`scheduled work runs once across three instances (${backend.name})`, () => {
    let s: Stack | undefined
    let clock: Clock
    afterEach(async () => {
      await s?.close()
      s = undefined
    })

    /** Three instances and the emulator on one clock the test moves; the app installed, the admin's API. */
    async function start(): Promise<{ stack: Stack; admin: Api }> {
      clock = createClock({ speed: 1 })
      // intranet.invite.reinvite (undocumented) answers here, so due reminders are sent, not deferred.
      s = await startTestStack(backend, { instances: 3, clock, portal: { lang: 'en', extraMethods: ['intranet.invite.reinvite'] } })
      expect(s.instances).toHaveLength(3)
      return { stack: s, admin: await installedAdmin(s) }
    }

    /** Every instance's entry point at once. */
    const atOnce = (stack: Stack, run: (i: Instance) => Promise<unknown>) => Promise.all(stack.instances.map(run))

    /** LIST sent by the admin with a template; invitations by e-mail. */
    async function invite(admin: Api, template: Record<string, unknown>): Promise<Map<string, { id: string; userId: number }>> {
      const t = await admin.post('/api/templates', {
        name: 'Once', kind: 'intranet', texts: { ru: '', en: 'Hi {name}' }, defaultLang: 'en', departmentId: null, groupIds: [],
        reminderDays: [], expireAfterDays: null, ...template,
      })
      expect(t.status, t.text).toBe(201)
      const jobId = await sendList(admin, LIST, 'once.csv', { templateId: t.body.template.id })
      await waitForJob(admin, jobId, (j) => j.status === 'completed', 'job completed')
      const list = (await admin.get('/api/invitations')).body
      expect(list.rows).toHaveLength(3)
      return new Map(list.rows.map((r: { email: string; id: string; userId: number }) => [r.email, r]))
    }

    /** An extranet group whose kit ends stays (`offboarding`), and one guest invited into it. */
    async function guestStay(stack: Stack, admin: Api, kit: { accessDays: number; noticeDays: number; offboarding: 'auto' | 'confirm' }) {
      const p = stack.portal
      const group = p.addGroup({ NAME: 'Suppliers', OWNER_ID: 1, IS_EXTRANET: true })
      await stack.a.app.stores.onboardingKits.save({
        memberId: p.memberId, groupId: group.ID, inviteTemplateId: null, welcomeText: { ru: '', en: '' },
        postToFeed: false, postToChat: false, starterTask: null, sponsorId: null, updatedBy: 1, ...kit,
      })
      const up = await admin.upload(csv([['Email', 'Full name', 'Groups'], ['solo@example.test', 'Solo Guest', 'Suppliers']]), 'guests.csv')
      const dry = await admin.post(`/api/imports/${up.body.id}/dry-run`, {
        mapping: up.body.mapping, headerRow: true, templateId: null, defaults: { kind: 'extranet', departmentId: null, groupIds: [], lang: 'en' },
      })
      expect(dry.body.summary.errors).toBe(0)
      const sent = await admin.post(`/api/imports/${up.body.id}/send`)
      await waitForJob(admin, sent.body.jobId, (j) => j.status === 'completed', 'job completed')
      const stays = () => stack.a.app.stores.guests.listByGroup(p.memberId, group.ID)
      expect(await stays()).toHaveLength(1)
      return { group, stays }
    }

    it('an invitation past its date expires once', async () => {
      const { stack, admin } = await start()
      const byEmail = await invite(admin, { expireAfterDays: 1 })
      clock.advance(DAY + 60_000)
      await atOnce(stack, (i) => i.app.scheduler.runNow())
      // Expiry calls nothing on the portal: the ledger's history and the audit log are where it shows.
      for (const inv of byEmail.values()) {
        const history = await stack.a.app.stores.ledger.history(stack.portal.memberId, inv.id)
        expect(history.map((e) => [e.from, e.to])).toEqual([[null, 'pending'], ['pending', 'expired']])
      }
      const passes = await stack.a.app.stores.audit.list(stack.portal.memberId, { limit: 50, action: 'invitation.schedule' })
      expect(passes.reduce((n, a) => n + Number((a.details as { expired: number }).expired), 0)).toBe(3)
      expect((await admin.get('/api/dashboard')).body.counts).toMatchObject({ invited: 3, pending: 0 })
    })

    it('a due reminder is sent once per invitation', async () => {
      const { stack, admin } = await start()
      const byEmail = await invite(admin, { reminderDays: [1] })
      clock.advance(DAY + 60_000)
      await atOnce(stack, (i) => i.app.scheduler.runNow())
      // Answered resends (a day on, the first call may meet an expired token and go again after the refresh).
      const resent = () => stack.portal.requests().filter((r) => r.restMethod === 'intranet.invite.reinvite' && r.status === 200).map((r) => (r.params as { params: { userId: number } }).params.userId)
      expect(resent().sort()).toEqual([...byEmail.values()].map((i) => i.userId).sort())
      for (const inv of byEmail.values()) expect((await stack.a.app.stores.ledger.get(stack.portal.memberId, inv.id))!.remindersSent).toBe(1)
      // Every instance again: nothing is due any more.
      await atOnce(stack, (i) => i.app.scheduler.runNow())
      expect(resent()).toHaveLength(3)
    })

    it('a stay that ends on its own removes and deactivates the guest once', async () => {
      const { stack, admin } = await start()
      const { stays } = await guestStay(stack, admin, { accessDays: 10, noticeDays: 2, offboarding: 'auto' })
      const updatesBefore = stack.portal.callCount('user.update')
      clock.advance(11 * DAY)
      await atOnce(stack, (i) => i.app.scheduler.runNow())
      expect(stack.portal.callCount('sonet_group.user.delete')).toBe(1)
      expect(stack.portal.callCount('user.update') - updatesBefore).toBe(1)
      expect((await stays()).map((g) => g.state)).toEqual(['ended'])
    })

    it('the hourly directory pass reads the portal once', async () => {
      const { stack, admin } = await start()
      await invite(admin, {})
      // Past the half hour in which a recent read counts, and past the full read's twelve hours.
      clock.advance(13 * 60 * 60_000)
      const before = stack.portal.requests().length
      await atOnce(stack, (i) => i.app.scheduler.syncNow())
      const concurrent = perMethod(stack.portal.requests().slice(before), ['user.get', 'department.get', 'sonet_group.get'])
      expect(concurrent['user.get']).toBeGreaterThan(0)
      // What one full read costs on the same data.
      const after = stack.portal.requests().length
      expect(await stack.a.app.directorySync.sync(stack.portal.memberId, { forceFull: true })).toMatchObject({ mode: 'full' })
      expect(concurrent).toEqual(perMethod(stack.portal.requests().slice(after), ['user.get', 'department.get', 'sonet_group.get']))
    })

    it("the inviters' daily digest is sent once", async () => {
      const { stack, admin } = await start()
      await invite(admin, {})
      clock.advance(2 * DAY)
      const digests = () => stack.portal.requests().filter((r) => r.status === 200 && r.restMethod === 'im.notify.system.add' && r.params.TAG === 'invite-desk-pending-1')
      await atOnce(stack, (i) => i.app.scheduler.runNow())
      expect(digests()).toHaveLength(1)
      const told = stack.portal.notifications().filter((n) => /still pending/.test(n.message))
      expect(told.map((n) => [n.userId, n.message])).toEqual([[1, expect.stringMatching(/^Invite Desk: 3 of your invitations are still pending: /)]])
      // The same day again, on every instance: nothing more.
      await atOnce(stack, (i) => i.app.scheduler.runNow())
      expect(digests()).toHaveLength(1)
    })

    it("a guest's sponsor is told once before the stay ends", async () => {
      const { stack, admin } = await start()
      const { stays } = await guestStay(stack, admin, { accessDays: 30, noticeDays: 7, offboarding: 'auto' })
      const [stay] = await stays()
      clock.advance(24 * DAY)
      await atOnce(stack, (i) => i.app.scheduler.runNow())
      const notices = stack.portal.requests().filter((r) => r.status === 200 && r.restMethod === 'im.notify.system.add' && r.params.TAG === `invite-desk-guest-${stay!.id}`)
      expect(notices.map((r) => r.params.USER_ID)).toEqual([1])
      expect((await stays())[0]!.noticeSentAt).not.toBeNull()
    })

    it('a stay that ends with confirmation asks its sponsor once, and removes nobody', async () => {
      const { stack, admin } = await start()
      const { stays } = await guestStay(stack, admin, { accessDays: 10, noticeDays: 2, offboarding: 'confirm' })
      clock.advance(11 * DAY)
      await atOnce(stack, (i) => i.app.scheduler.runNow())
      expect(stack.portal.notifications().filter((n) => /access to .* has ended/.test(n.message)).map((n) => n.userId)).toEqual([1])
      expect((await stays()).map((g) => g.state)).toEqual(['awaiting_confirmation'])
      expect(stack.portal.callCount('sonet_group.user.delete')).toBe(0)
      const audit = await stack.a.app.stores.audit.list(stack.portal.memberId, { limit: 50, action: 'guest.end_requested' })
      expect(audit).toHaveLength(1)
    })

    it('a collab sync due on a fresh portal runs one pass', async () => {
      const { stack } = await start()
      seedCollabs(stack.portal, { collabs: 12, guests: 150, seed: 3 })
      const before = stack.portal.requests().length
      await atOnce(stack, (i) => i.app.collabs.scheduler.runNow())
      const concurrent = perMethod(stack.portal.requests().slice(before), SYNC_METHODS)
      // What one full pass reads on the same data (the first pass of a portal is a full one).
      const after = stack.portal.requests().length
      expect(await stack.a.app.collabs.sync.sync(stack.portal.memberId, { full: true })).toMatchObject({ mode: 'full' })
      const onePass = perMethod(stack.portal.requests().slice(after), SYNC_METHODS)
      expect(onePass['socialnetwork.api.workgroup.list']).toBeGreaterThan(0)
      expect(concurrent).toEqual(onePass)
    })

    /** Collabs synced once, and the periodic review switched on (every 30 days). */
    async function collabsReady(stack: Stack, admin: Api) {
      seedCollabs(stack.portal, { collabs: 12, guests: 150, seed: 3 })
      expect((await admin.post('/api/collabs/sync', { full: true })).status).toBe(200)
      const settings = (await admin.get('/api/collabs/settings')).body.settings
      expect((await admin.put('/api/collabs/settings', { ...settings, review: { ...settings.review, everyDays: 30 } })).status).toBe(200)
    }

    it('the collab digest reaches each owner once', async () => {
      const { stack, admin } = await start()
      await collabsReady(stack, admin)
      await atOnce(stack, (i) => i.app.collabs.scheduler.runNow())
      const told = stack.portal.notifications().filter((n) => /need your attention/.test(n.message)).map((n) => n.userId)
      const runs = await stack.a.app.stores.audit.list(stack.portal.memberId, { limit: 50, action: 'collab.digest' })
      expect(runs).toHaveLength(1)
      expect(told.length).toBeGreaterThan(0)
      expect(told).toHaveLength((runs[0]!.details as { sent: number }).sent)
      expect(new Set(told).size).toBe(told.length)
      await atOnce(stack, (i) => i.app.collabs.scheduler.runNow())
      expect(stack.portal.notifications().filter((n) => /need your attention/.test(n.message))).toHaveLength(told.length)
    })

    it('one periodic access review is opened, and each sponsor is told once', async () => {
      const { stack, admin } = await start()
      await collabsReady(stack, admin)
      await atOnce(stack, (i) => i.app.collabs.scheduler.runNow())
      const reviews = await stack.a.app.db.db.selectFrom('access_reviews').selectAll().where('member_id', '=', stack.portal.memberId).execute()
      expect(reviews.map((r) => [r.status, r.started_by])).toEqual([['open', null]])
      const told = stack.portal.notifications().filter((n) => /^Access review:/.test(n.message)).map((n) => n.userId)
      expect(told.length).toBeGreaterThan(0)
      expect(new Set(told).size).toBe(told.length)
      const started = await stack.a.app.stores.audit.list(stack.portal.memberId, { limit: 50, action: 'collab.review.start' })
      expect(started).toHaveLength(1)
      expect((started[0]!.details as { notified: number }).notified).toBe(told.length)
    })

    it("a join link's cap and expiry warnings go out once each", async () => {
      const { stack, admin } = await start()
      const owner = stack.portal.addUser({ NAME: 'Olga', LAST_NAME: 'Owner', EMAIL: 'olga@example.com', UF_DEPARTMENT: [1] })
      const group = stack.portal.addGroup({ NAME: 'Partners', OWNER_ID: owner.ID, IS_EXTRANET: true })
      await stack.a.app.directorySync.sync(stack.portal.memberId, { forceFull: true })
      const made = await admin.post('/api/join-links', {
        name: 'Partners 2026', target: { kind: 'group', id: group.ID }, templateId: null, expiresOn: new Date(clock.now() + DAY).toISOString().slice(0, 10),
        cap: 5, allowedDomains: [], approval: false,
      })
      expect(made.status, made.text).toBe(201)
      // Four of five places taken (as four joins would leave it): nearly full.
      await stack.a.app.db.db.updateTable('join_links').set({ uses: 4 }).where('id', '=', made.body.id).execute()
      await atOnce(stack, (i) => i.app.joinLinks.worker.drain())
      const warnings = () => stack.portal.notifications().filter((n) => n.userId === 1 && /Partners 2026/.test(n.message)).map((n) => n.message)
      expect(warnings().filter((m) => /nearly full: 4 of 5 used/.test(m))).toHaveLength(1)
      expect(warnings().filter((m) => /expires on/.test(m))).toHaveLength(1)
      expect(warnings()).toHaveLength(2)
    })

    it("a robot's wait that ran out is answered once", async () => {
      const { stack } = await start()
      const call = async (code: string, properties: Record<string, unknown>) => {
        const d = await stack.portal.callRobot(code, { documentId: ['crm', 'CCrmDocumentDeal', 'DEAL_1'], properties })
        expect(d.status, d.error).toBe(200)
        return String(d.payload.event_token)
      }
      const invited = await call('invite_employee', { EMAIL: 'slow@example.com', DEPARTMENT: '1' })
      await until(() => stack.portal.bizprocEvents().find((x) => x.eventToken === invited), 'the invite robot answered', 15_000)
      const wait = await call('wait_acceptance', { EMAIL: 'slow@example.com', WAIT_DAYS: '2' })
      await atOnce(stack, (i) => i.app.robots.worker.drain())
      expect(stack.portal.bizprocEvents().some((x) => x.eventToken === wait)).toBe(false)
      clock.advance(2 * DAY + 60_000)
      await atOnce(stack, (i) => i.app.robots.worker.drain())
      await until(() => stack.portal.bizprocEvents().find((x) => x.eventToken === wait), 'the wait answered', 15_000)
      await atOnce(stack, (i) => i.app.robots.worker.drain())
      const replies = stack.portal.requests().filter((r) => r.status === 200 && commands(r).some(([m, p]) => m === 'bizproc.event.send' && p.EVENT_TOKEN === wait))
      expect(replies).toHaveLength(1)
      expect(stack.portal.bizprocEvents().filter((x) => x.eventToken === wait).map((x) => (x.returnValues as { ACCEPTED: string }).ACCEPTED)).toEqual(['N'])
    })

    it('each event in the inbox is handled once', async () => {
      const { stack, admin } = await start()
      const byEmail = await invite(admin, {})
      const { inbox } = stack.a.app.stores
      const ids: number[] = []
      for (const [email, inv] of byEmail) {
        await stack.portal.acceptInvitation(email, { deliverEvent: false })
        ids.push(await inbox.add({ memberId: stack.portal.memberId, event: 'ONUSERADD', payload: { event: 'ONUSERADD', data: { ID: String(inv.userId), EMAIL: email } }, receivedAt: Date.now() }))
      }
      await atOnce(stack, (i) => i.app.events.idle())
      const rows = await stack.a.app.db.db.selectFrom('event_inbox').select(['id', 'status', 'attempts']).where('id', 'in', ids).orderBy('id').execute()
      expect(rows.map((r) => [r.status, r.attempts])).toEqual(ids.map(() => ['done', 1]))
      // Each acceptance told the inviter once.
      expect(stack.portal.notifications().filter((n) => n.userId === 1 && /accepted your invitation/.test(n.message))).toHaveLength(3)
    })
  })
}
