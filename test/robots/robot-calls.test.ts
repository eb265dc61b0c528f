/**
 * Robots driven as a CRM pipeline drives them, on SQLite and PostgreSQL: the emulated portal registers
 * Invite Desk's robots at install and posts form-encoded calls (document ids, properties, event tokens,
 * auth) to their handlers over real HTTP; every call ends with the values the workflow receives through
 * bizproc.event.send, read on the emulator's side. Duplicated deliveries, forged tokens, a missing e-mail,
 * an existing user, a guest into a group with an end date, add-to-group, the policy (switch, template,
 * target, daily cap), and wait-for-acceptance completed by ONUSERADD or ended by a timeout.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createClock, type Clock } from '../emulator/index.js'
import { BACKENDS } from '../helpers/databases.js'
import { installedAdmin, startTestStack, type Api } from '../helpers/api.js'
import { postForm, until, type Stack } from '../helpers/stack.js'

const DAY = 86_400_000
const DEAL = ['crm', 'CCrmDocumentDeal', 'DEAL_123'] as [string, string, string]

for (const backend of BACKENDS) {
  describe(`robots on ${backend.name}`, () => {
    let s: Stack | undefined
    afterEach(async () => {
      await s?.close()
      s = undefined
    })

    async function setUp(opts: { clock?: Clock } = {}): Promise<{ stack: Stack; admin: Api }> {
      s = await startTestStack(backend, { portal: { lang: 'en' }, ...(opts.clock ? { clock: opts.clock } : {}) })
      const admin = await installedAdmin(s)
      return { stack: s, admin }
    }

    /** Calls a robot as the portal does and returns its event token. */
    async function call(stack: Stack, code: string, properties: Record<string, unknown>, opts: { workflowId?: string; eventToken?: string; documentId?: [string, string, string]; timeoutDuration?: number } = {}) {
      const d = await stack.portal.callRobot(code, { documentId: opts.documentId ?? DEAL, properties, ...opts })
      expect(d.status, d.error).toBe(200)
      return { token: String(d.payload.event_token), workflowId: String(d.payload.workflow_id), delivery: d }
    }

    /** The values the workflow received for this token (waits for the reply). */
    async function replyOf(stack: Stack, token: string, ms = 15_000) {
      const e = await until(() => stack.portal.bizprocEvents().find((x) => x.eventToken === token), `reply for ${token.slice(0, 20)}…`, ms)
      return e.returnValues as Record<string, string>
    }

    it('registers the four robots at install with Russian and English names; re-install updates them in place', async () => {
      const { stack, admin } = await setUp()
      const robots = stack.portal.robots()
      expect(robots.map((r) => r.code).sort()).toEqual(['add_to_group', 'invite_employee', 'invite_guest', 'wait_acceptance'])
      for (const r of robots) {
        expect(r.handler).toBe(`${stack.a.url}/robots/${r.code}`)
        expect(r.useSubscription).toBe('Y')
        expect(r.name).toMatchObject({ ru: expect.any(String), en: expect.any(String) })
      }
      const reapplied = await admin.post('/api/settings/reapply')
      expect(reapplied.body.registration.robots.sort()).toEqual(['add_to_group', 'invite_employee', 'invite_guest', 'wait_acceptance'])
      expect(reapplied.body.registration.errors).toEqual([])
      expect(stack.portal.callCount('bizproc.robot.update')).toBe(4)
      expect(stack.portal.robots()).toHaveLength(4)
      const page = await admin.get('/api/robots')
      expect(page.body.robots.map((r: { code: string; registered: boolean }) => [r.code, r.registered])).toEqual([
        ['invite_employee', true], ['invite_guest', true], ['add_to_group', true], ['wait_acceptance', true],
      ])
    })

    it('invites an employee from a deal: USER_ID and STATUS=invited reach the workflow, and the ledger knows the deal and the workflow', async () => {
      const { stack, admin } = await setUp()
      const sales = stack.portal.addDepartment({ NAME: 'Sales', PARENT: 1 })
      const { token, workflowId } = await call(stack, 'invite_employee', { EMAIL: 'New.Hire@Example.com', NAME: 'Anna', LAST_NAME: 'Petrova', POSITION: 'Manager', DEPARTMENT: 'Sales' })
      const values = await replyOf(stack, token)
      const user = stack.portal.users().find((u) => String(u.EMAIL).toLowerCase() === 'new.hire@example.com')!
      expect(user, JSON.stringify(values)).toBeDefined()
      expect(user.UF_DEPARTMENT).toEqual([sales.ID])
      expect(values).toEqual({ USER_ID: String(user.ID), STATUS: 'invited', ERROR_TEXT: '' })
      const ledger = await admin.get('/api/invitations?source=robot')
      expect(ledger.body.rows).toHaveLength(1)
      const inv = await stack.a.app.stores.ledger.get(stack.portal.memberId, ledger.body.rows[0].id)
      expect(inv).toMatchObject({ source: 'robot', userId: user.ID, origin: { kind: 'robot', robotCode: 'invite_employee', document: 'DEAL_123', workflowId } })
      const runs = await admin.get('/api/robots/runs')
      expect(runs.body.rows[0]).toMatchObject({ robotCode: 'invite_employee', document: 'DEAL_123', outcome: 'invited', reply: 'sent', userId: user.ID, email: 'new.hire@example.com' })
      expect(JSON.stringify(runs.body)).not.toContain(token)
    })

    it('a repeated delivery of the same call never invites twice', async () => {
      const { stack, admin } = await setUp()
      const first = await call(stack, 'invite_employee', { EMAIL: 'twice@example.com', DEPARTMENT: '1' })
      const again = await stack.portal.callRobot('invite_employee', { documentId: DEAL, workflowId: first.workflowId, eventToken: first.token, properties: { EMAIL: 'twice@example.com', DEPARTMENT: '1' } })
      expect(again.status).toBe(200)
      await replyOf(stack, first.token)
      await stack.a.app.robots.worker.drain()
      await stack.a.app.runner.drain()
      expect(stack.portal.users().filter((u) => u.EMAIL === 'twice@example.com')).toHaveLength(1)
      expect(stack.portal.bizprocEvents().filter((e) => e.eventToken === first.token)).toHaveLength(1)
      expect((await admin.get('/api/robots/runs')).body.total).toBe(1)
    })

    it('refuses forged and foreign calls before anything is stored', async () => {
      const { stack, admin } = await setUp()
      const genuine = await stack.portal.callRobot('invite_employee', { documentId: DEAL, properties: { EMAIL: 'x@example.com', DEPARTMENT: '1' } })
      await replyOf(stack, String(genuine.payload.event_token))
      const body = structuredClone(genuine.payload) as Record<string, any>
      body.event_token = 'other|token'
      body.properties.EMAIL = 'forged@example.com'
      const forged = await postForm(`${stack.a.url}/robots/invite_employee`, { ...body, auth: { ...body.auth, application_token: 'f'.repeat(32) } })
      expect(forged.status).toBe(401)
      const unknownPortal = await postForm(`${stack.a.url}/robots/invite_employee`, { ...body, auth: { ...body.auth, member_id: 'nobody' } })
      expect(unknownPortal.status).toBe(401)
      const noAuth = await postForm(`${stack.a.url}/robots/invite_employee`, { ...body, auth: undefined })
      expect(noAuth.status).toBe(401)
      // Genuine token, unknown robot: 404 without a run.
      expect((await postForm(`${stack.a.url}/robots/delete_everyone`, body)).status).toBe(404)
      await stack.a.app.robots.worker.drain()
      expect(stack.portal.users().some((u) => u.EMAIL === 'forged@example.com')).toBe(false)
      expect((await admin.get('/api/robots/runs')).body.total).toBe(1)
      expect(stack.logs.join('\n')).not.toContain('f'.repeat(32))
    })

    it('answers STATUS=failed with a readable reason for a missing e-mail, and already_exists with the ID for an existing user', async () => {
      const { stack } = await setUp()
      const userAdds = stack.portal.callCount('user.add')
      const missing = await call(stack, 'invite_employee', { NAME: 'No Mail', DEPARTMENT: '1' })
      const existing = await call(stack, 'invite_employee', { EMAIL: 'ADMIN@example.com', DEPARTMENT: '1' })
      const sent = await call(stack, 'invite_employee', { EMAIL: 'sent.alongside@example.com', DEPARTMENT: '1' })
      expect((await replyOf(stack, sent.token)).STATUS).toBe('invited')
      expect(await replyOf(stack, missing.token)).toEqual({ USER_ID: '', STATUS: 'failed', ERROR_TEXT: expect.stringMatching(/No e-mail address was given \(EMAIL is empty\)/) })
      expect(await replyOf(stack, existing.token)).toEqual({ USER_ID: '1', STATUS: 'already_exists', ERROR_TEXT: '' })
      const bad = await call(stack, 'invite_employee', { EMAIL: 'not-an-address', DEPARTMENT: '1' })
      expect((await replyOf(stack, bad.token)).ERROR_TEXT).toMatch(/"not-an-address" is not a valid e-mail address/)
      const noDept = await call(stack, 'invite_employee', { EMAIL: 'nodept@example.com', DEPARTMENT: 'Atlantis' })
      expect((await replyOf(stack, noDept.token)).ERROR_TEXT).toMatch(/No department "Atlantis"/)
      expect(stack.portal.callCount('user.add')).toBe(userAdds + 1)
      // Only the run that was sent points at a job of the engine.
      const runs = (await stack.a.app.stores.robotRuns.list(stack.portal.memberId, {}, { limit: 10, offset: 0 })).rows
      expect(runs.filter((r) => r.jobId !== null).map((r) => r.email)).toEqual(['sent.alongside@example.com'])
    })

    it('invites a guest into an extranet group with an access end date; add_to_group adds once, then says already_member', async () => {
      const { stack, admin } = await setUp()
      const group = stack.portal.addGroup({ NAME: 'Partners', OWNER_ID: 1, IS_EXTRANET: true })
      const project = stack.portal.addGroup({ NAME: 'Project', OWNER_ID: 1 })
      const end = new Date(Date.now() + 30 * DAY).toISOString().slice(0, 10)
      const guest = await call(stack, 'invite_guest', { EMAIL: 'guest@partner.example', NAME: 'Gus', GROUP_ID: String(group.ID), ACCESS_END_DATE: end })
      const values = await replyOf(stack, guest.token)
      const user = stack.portal.users().find((u) => u.EMAIL === 'guest@partner.example')!
      expect(values).toEqual({ USER_ID: String(user.ID), STATUS: 'invited', ERROR_TEXT: '' })
      expect(user.USER_TYPE).toBe('extranet')
      expect(stack.portal.groups().find((g) => g.ID === group.ID)!.members.some((m) => m.userId === user.ID)).toBe(true)
      const stays = await stack.a.app.stores.guests.listByGroup(stack.portal.memberId, group.ID)
      expect(stays).toHaveLength(1)
      expect(new Date(stays[0]!.accessEndsAt!).toISOString().slice(0, 10)).toBe(end)

      const colleague = stack.portal.addUser({ NAME: 'Col', EMAIL: 'col@example.com', UF_DEPARTMENT: [1] })
      const add = await call(stack, 'add_to_group', { USER: `user_${colleague.ID}`, GROUP_ID: String(project.ID) })
      expect(await replyOf(stack, add.token)).toEqual({ STATUS: 'added', ERROR_TEXT: '' })
      expect(stack.portal.groups().find((g) => g.ID === project.ID)!.members.some((m) => m.userId === colleague.ID)).toBe(true)
      const again = await call(stack, 'add_to_group', { USER: `user_${colleague.ID}`, GROUP_ID: String(project.ID) })
      expect(await replyOf(stack, again.token)).toEqual({ STATUS: 'already_member', ERROR_TEXT: '' })
      const nowhere = await call(stack, 'add_to_group', { USER: `user_${colleague.ID}`, GROUP_ID: '99999' })
      expect((await replyOf(stack, nowhere.token)).ERROR_TEXT).toMatch(/no group or collab with ID 99999/)
      expect((await admin.get('/api/robots')).body.robots.find((r: { code: string }) => r.code === 'add_to_group').last24h).toMatchObject({ total: 3, succeeded: 2, failed: 1 })
    })

    it('follows the policy: a switched-off robot, a template or target outside the rules, and the daily cap all answer failed with the reason', async () => {
      const { stack, admin } = await setUp()
      const allowed = stack.portal.addGroup({ NAME: 'Allowed', OWNER_ID: 1, IS_EXTRANET: true })
      const other = stack.portal.addGroup({ NAME: 'Other', OWNER_ID: 1, IS_EXTRANET: true })
      const tpl = await admin.post('/api/templates', { name: 'Welcome guests', kind: 'extranet', texts: { ru: 'Привет, {name}', en: 'Hello {name}' }, defaultLang: 'en', departmentId: null, groupIds: [], reminderDays: [], expireAfterDays: null })
      expect(tpl.status, JSON.stringify(tpl.body)).toBe(201)
      const settings = (await admin.get('/api/robots/settings')).body.settings
      expect(settings).toMatchObject({ dailyCap: 200, templates: { mode: 'all' } })
      const bad = await admin.put('/api/robots/settings', { ...settings, dailyCap: -1 })
      expect(bad.status).toBe(400)
      expect((await admin.put('/api/robots/settings', {
        ...settings, dailyCap: 2, enabled: { ...settings.enabled, invite_employee: false }, groups: { mode: 'only', ids: [allowed.ID] }, templates: { mode: 'only', ids: [] },
      })).status).toBe(200)
      const audited = await stack.a.app.stores.audit.list(stack.portal.memberId, { limit: 20 })
      expect(audited.find((a) => a.action === 'robots.policy_saved')).toMatchObject({ actorUserId: 1, details: { settings: { dailyCap: 2 } } })

      const off = await call(stack, 'invite_employee', { EMAIL: 'off@example.com', DEPARTMENT: '1' })
      expect((await replyOf(stack, off.token)).ERROR_TEXT).toMatch(/switched off/)
      const wrongGroup = await call(stack, 'invite_guest', { EMAIL: 'g1@example.com', GROUP_ID: String(other.ID) })
      expect((await replyOf(stack, wrongGroup.token)).ERROR_TEXT).toMatch(/may not invite people into the group "Other"/)
      const wrongTemplate = await call(stack, 'invite_guest', { EMAIL: 'g2@example.com', GROUP_ID: String(allowed.ID), TEMPLATE: 'Welcome guests' })
      expect((await replyOf(stack, wrongTemplate.token)).ERROR_TEXT).toMatch(/may not use the template "Welcome guests"/)
      const sent = []
      for (const n of [1, 2, 3]) sent.push(await call(stack, 'invite_guest', { EMAIL: `cap${n}@example.com`, GROUP_ID: String(allowed.ID) }))
      const answers = await Promise.all(sent.map((x) => replyOf(stack, x.token)))
      expect(answers.filter((a) => a.STATUS === 'invited')).toHaveLength(2)
      expect(answers.filter((a) => a.STATUS === 'failed').map((a) => a.ERROR_TEXT)).toEqual([expect.stringMatching(/limit of 2 invitations by robots in 24 hours/)])
      expect(stack.portal.users().filter((u) => /^cap\d@/.test(String(u.EMAIL)))).toHaveLength(2)
      expect((await admin.get('/api/robots')).body.cap).toEqual({ limit: 2, usedLast24h: 2 })
    })

    it('wait-for-acceptance answers ACCEPTED=Y when the portal fires ONUSERADD, and N when the time runs out', async () => {
      const clock = createClock({ speed: 1 })
      const { stack, admin } = await setUp({ clock })
      const invite = await call(stack, 'invite_employee', { EMAIL: 'joiner@example.com', DEPARTMENT: '1' })
      await replyOf(stack, invite.token)
      const slow = await call(stack, 'invite_employee', { EMAIL: 'slow@example.com', DEPARTMENT: '1' })
      await replyOf(stack, slow.token)

      const wait = await call(stack, 'wait_acceptance', { EMAIL: 'joiner@example.com', WAIT_DAYS: '3' })
      const waitSlow = await call(stack, 'wait_acceptance', { EMAIL: 'slow@example.com', WAIT_DAYS: '2' })
      await stack.a.app.robots.worker.drain()
      expect(stack.portal.bizprocEvents().some((e) => e.eventToken === wait.token || e.eventToken === waitSlow.token)).toBe(false)
      const waiting = (await admin.get('/api/robots/runs?robot=wait_acceptance&outcome=pending')).body
      expect(waiting.total).toBe(2)
      expect(waiting.rows.every((r: { state: string }) => r.state === 'waiting')).toBe(true)

      const joiner = stack.portal.users().find((u) => u.EMAIL === 'joiner@example.com')!
      const acceptedAt = clock.now()
      await stack.portal.acceptInvitation('joiner@example.com')
      const yes = await replyOf(stack, wait.token)
      expect(yes).toMatchObject({ ACCEPTED: 'Y', USER_ID: String(joiner.ID), ERROR_TEXT: '' })
      expect(Math.abs(Date.parse(yes.ACCEPTED_DATE!) - acceptedAt)).toBeLessThan(60_000)

      clock.advance(2 * DAY + 60_000)
      await stack.a.app.robots.worker.drain()
      const no = await replyOf(stack, waitSlow.token)
      expect(no).toMatchObject({ ACCEPTED: 'N', ACCEPTED_DATE: '', ERROR_TEXT: 'The invitation was not accepted within 2 days.' })
      const slowUser = stack.portal.users().find((u) => u.EMAIL === 'slow@example.com')!
      expect(no.USER_ID).toBe(String(slowUser.ID))
    })

    it('a dispatcher that died after claiming runs leaves nothing lost: the runs are taken back and answered once', async () => {
      const clock = createClock({ speed: 1 })
      const { stack } = await setUp({ clock })
      await stack.a.app.robots.worker.stop()
      const a = await call(stack, 'invite_employee', { EMAIL: 'crash1@example.com', DEPARTMENT: '1' })
      const b = await call(stack, 'invite_employee', { EMAIL: 'crash2@example.com', DEPARTMENT: '1' })
      // What a dispatcher does first, then dies: the runs are claimed under a job that never gets created.
      const claimed = await stack.a.app.stores.robotRuns.claimReceived(stack.portal.memberId, '00000000-0000-4000-8000-000000000001', clock.now(), 10)
      expect(claimed).toHaveLength(2)
      stack.a.app.robots.worker.start()
      await stack.a.app.robots.worker.drain()
      expect(stack.portal.bizprocEvents().filter((e) => e.eventToken === a.token || e.eventToken === b.token)).toHaveLength(0)
      clock.advance(3 * 60_000)
      expect((await replyOf(stack, a.token)).STATUS).toBe('invited')
      expect((await replyOf(stack, b.token)).STATUS).toBe('invited')
      expect(stack.portal.users().filter((u) => /^crash\d@/.test(String(u.EMAIL)))).toHaveLength(2)
      expect(stack.portal.callCount('user.add')).toBe(2)
    })

    it('retries a reply while the portal is busy, and sends a reply whose answer was lost only once', async () => {
      const { stack, admin } = await setUp()
      const runOf = async (token: string) => {
        const rows = (await admin.get('/api/robots/runs?limit=200')).body.rows as Array<{ id: string; reply: string; replyAttempts: number }>
        const events = stack.portal.bizprocEvents()
        return rows.find((r) => r.reply !== 'pending' && events.some((e) => e.eventToken === token)) ? rows : undefined
      }
      stack.portal.injectFault({ method: 'bizproc.event.send', kind: 'network_drop', afterRun: true, times: 1 })
      const lost = await call(stack, 'invite_employee', { NAME: 'No Mail', DEPARTMENT: '1' })
      await replyOf(stack, lost.token)
      const settled = await until(async () => {
        const rows = (await admin.get('/api/robots/runs')).body.rows as Array<{ reply: string; replyAttempts: number }>
        return rows[0]?.reply === 'sent' ? rows[0] : undefined
      }, 'the lost reply confirmed', 15_000)
      expect(settled.replyAttempts).toBe(2)
      expect(stack.portal.bizprocEvents().filter((e) => e.eventToken === lost.token)).toHaveLength(1)

      stack.portal.injectFault({ method: 'bizproc.event.send', kind: 'QUERY_LIMIT_EXCEEDED', times: 1 })
      const busy = await call(stack, 'invite_employee', { NAME: 'No Mail Either', DEPARTMENT: '1' })
      expect((await replyOf(stack, busy.token)).STATUS).toBe('failed')
      await until(() => runOf(busy.token), 'the busy reply sent')
      const rows = (await admin.get('/api/robots/runs')).body.rows as Array<{ reply: string; replyAttempts: number }>
      expect(rows[0]).toMatchObject({ reply: 'sent', replyAttempts: 2 })
    })

    it('replies before the workflow itself stops waiting (timeout_duration), and says so', async () => {
      const { stack } = await setUp()
      const invite = await call(stack, 'invite_employee', { EMAIL: 'late@example.com', DEPARTMENT: '1' })
      await replyOf(stack, invite.token)
      // The portal waits 62 s; the reply must come before that, 60 s ahead, i.e. after about 2 s.
      const wait = await call(stack, 'wait_acceptance', { EMAIL: 'late@example.com', WAIT_DAYS: '30' }, { timeoutDuration: 62 })
      const values = await replyOf(stack, wait.token, 20_000)
      expect(values).toMatchObject({ ACCEPTED: 'N', ERROR_TEXT: 'The workflow stopped waiting before the person accepted.' })
    })
  })
}
