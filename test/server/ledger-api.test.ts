/**
 * The invitation ledger over real HTTP, on SQLite and PostgreSQL: list filters and totals, details with
 * history, exports, acceptance through ONUSERADD, reminders (with and without the portal's undocumented
 * intranet.invite.reinvite), expiry and scheduled reminders on a clock the test moves, and who sees what.
 *
 * The app and the emulated portal share one clock (`createClock`), so "eight days later" is an advance()
 * rather than a wait; the scheduler's pass is run with `app.scheduler.runNow()`.
 */
import ExcelJS from 'exceljs'
import Papa from 'papaparse'
import { afterEach, describe, expect, it } from 'vitest'
import { createClock, type Clock } from '../emulator/index.js'
import { BACKENDS } from '../helpers/databases.js'
import { until, type Stack } from '../helpers/stack.js'
import { csv, installedAdmin, sendList, sessionApi, startTestStack, waitForJob, type Api } from '../helpers/api.js'

const DAY = 86_400_000
const REINVITE = 'intranet.invite.reinvite'

const LIST = csv([
  ['E-mail', 'Name', 'Last name'],
  ['ivan@example.test', 'Иван', 'Петров'],
  ['anna@example.test', 'Anna', 'Smith'],
  ['bob@example.test', '=cmd', 'Jones'],
])

const parseCsv = (text: string): string[][] => Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { skipEmptyLines: true }).data

for (const backend of BACKENDS) {
  describe(`invitation ledger API on ${backend.name}`, () => {
    let s: Stack | undefined
    let clock: Clock
    afterEach(async () => {
      await s?.close()
      s = undefined
    })

    /** A stack on a clock the test can move; `reinvite` gives the portal intranet.invite.reinvite. */
    async function start(opts: { reinvite?: boolean } = {}): Promise<{ stack: Stack; admin: Api }> {
      clock = createClock({ speed: 1 })
      s = await startTestStack(backend, { clock, portal: opts.reinvite ? { extraMethods: [REINVITE] } : {} })
      return { stack: s, admin: await installedAdmin(s) }
    }

    /** Sends LIST with a template and waits for the job; returns invitations by e-mail. */
    async function invite(admin: Api, template: Record<string, unknown> = {}): Promise<{ templateId: string; byEmail: Map<string, any> }> {
      const t = await admin.post('/api/templates', {
        name: 'Ledger', kind: 'intranet', texts: { ru: '', en: 'Hi {name}' }, defaultLang: 'en', departmentId: null, groupIds: [],
        reminderDays: [], expireAfterDays: null, ...template,
      })
      expect(t.status).toBe(201)
      const jobId = await sendList(admin, LIST, 'ledger.csv', { templateId: t.body.template.id })
      await waitForJob(admin, jobId, (j) => j.status === 'completed', 'job completed')
      const list = (await admin.get('/api/invitations')).body
      return { templateId: t.body.template.id, byEmail: new Map(list.rows.map((r: any) => [r.email, r])) }
    }

    it('lists with filters, totals and paging; details with history; exports CSV and XLSX', async () => {
      const { stack, admin } = await start()
      const { templateId, byEmail } = await invite(admin)
      const ivan = byEmail.get('ivan@example.test')
      const portalUser = stack.portal.users().find((u) => u.EMAIL === 'ivan@example.test')!
      expect(ivan).toMatchObject({
        email: 'ivan@example.test', phone: null, name: 'Иван', lastName: 'Петров', userId: portalUser.ID, invitedBy: 1,
        source: 'wizard', templateId, jobId: expect.any(String), state: 'pending', sentAt: expect.any(Number), acceptedAt: null, remindersSent: 0,
      })

      const emails = async (query: string) => {
        const r = await admin.get(`/api/invitations?${query}`)
        expect(r.status).toBe(200)
        return { emails: r.body.rows.map((x: any) => x.email).sort(), total: r.body.total }
      }
      expect(await emails('')).toEqual({ emails: ['anna@example.test', 'bob@example.test', 'ivan@example.test'], total: 3 })
      expect((await emails('state=pending')).total).toBe(3)
      expect((await emails('state=accepted')).total).toBe(0)
      expect((await emails('source=wizard')).total).toBe(3)
      expect((await emails('source=robot')).total).toBe(0)
      expect((await emails(`templateId=${templateId}`)).total).toBe(3)
      expect((await emails(`templateId=${crypto.randomUUID()}`)).total).toBe(0)
      expect((await emails('invitedBy=1')).total).toBe(3)
      expect((await emails('invitedBy=2')).total).toBe(0)
      // Search: name, last name and e-mail, case-insensitive, Cyrillic included.
      expect(await emails(`q=${encodeURIComponent('ПЕТР')}`)).toEqual({ emails: ['ivan@example.test'], total: 1 })
      expect(await emails(`q=${encodeURIComponent('иван петров')}`)).toEqual({ emails: ['ivan@example.test'], total: 1 })
      expect(await emails('q=ANNA%40EXAMPLE')).toEqual({ emails: ['anna@example.test'], total: 1 })
      expect((await emails('q=%25')).total).toBe(0) // % is a literal, not a wildcard
      expect((await emails('q=nobody')).total).toBe(0)
      // Age: nothing is older than a day yet; two days later everything is.
      expect((await emails('olderThanDays=1')).total).toBe(0)
      clock.advance(2 * DAY)
      expect((await emails('olderThanDays=1')).total).toBe(3)
      expect((await emails('olderThanDays=3')).total).toBe(0)
      expect((await emails('state=pending&olderThanDays=1&q=smith')).emails).toEqual(['anna@example.test'])

      const page1 = (await admin.get('/api/invitations?limit=2')).body
      const page2 = (await admin.get('/api/invitations?limit=2&offset=2')).body
      expect([page1.rows.length, page1.total, page2.rows.length, page2.total]).toEqual([2, 3, 1, 3])
      expect(new Set([...page1.rows, ...page2.rows].map((r: any) => r.id)).size).toBe(3)

      const detail = await admin.get(`/api/invitations/${ivan.id}`)
      expect(detail.status).toBe(200)
      expect(detail.body.invitation).toEqual(ivan)
      expect(detail.body.history).toEqual([{ at: expect.any(Number), from: null, to: 'pending', actorUserId: 1, detail: null }])
      expect((await admin.get(`/api/invitations/${crypto.randomUUID()}`)).body.error.code).toBe('invitation_not_found')

      const exportCsv = await admin.get('/api/invitations/export.csv?q=jones')
      expect(exportCsv.status).toBe(200)
      expect(exportCsv.headers.get('content-disposition')).toMatch(/invitations\.csv/)
      const rows = parseCsv(exportCsv.text)
      expect(rows[0]).toEqual(['E-mail', 'Phone', 'Name', 'Last name', 'State', 'Invited by', 'Source', 'Template', 'Sent', 'Accepted', 'Expires', 'Reminders', 'User ID'])
      expect(rows).toHaveLength(2)
      expect(rows[1]!.slice(0, 7)).toEqual(['bob@example.test', '', "'=cmd", 'Jones', 'pending', '1', 'wizard'])
      expect(new Date(rows[1]![8]!).getTime()).toBe(byEmail.get('bob@example.test').sentAt)

      const exportXlsx = await admin.get('/api/invitations/export.xlsx')
      expect(exportXlsx.status).toBe(200)
      const wb = new ExcelJS.Workbook()
      await wb.xlsx.load(exportXlsx.bytes as unknown as ArrayBuffer)
      const sheet: unknown[][] = []
      wb.worksheets[0]!.eachRow((row) => sheet.push((row.values as unknown[]).slice(1)))
      expect(sheet).toHaveLength(4)
      expect(sheet.find((r) => r[0] === 'bob@example.test')?.[2]).toBe("'=cmd")
      expect(sheet.find((r) => r[0] === 'ivan@example.test')?.slice(2, 5)).toEqual(['Иван', 'Петров', 'pending'])
    })

    it('ONUSERADD accepts the invitation, moves the dashboard counts; remind without reinvite points at the portal page', async () => {
      const { stack, admin } = await start()
      const { byEmail } = await invite(admin)
      const dash = async () => (await admin.get('/api/dashboard')).body.counts
      expect(await dash()).toEqual({ invited: 3, pending: 3, accepted: 0, failed: 0 })

      const anna = byEmail.get('anna@example.test')
      const deliveries = await stack.portal.acceptInvitation('anna@example.test')
      expect(deliveries.map((d) => d.status)).toEqual([200])
      const accepted = await until(async () => {
        const r = (await admin.get(`/api/invitations/${anna.id}`)).body
        return r.invitation.state === 'accepted' ? r : undefined
      }, 'invitation accepted')
      expect(accepted.invitation.acceptedAt).toEqual(expect.any(Number))
      expect(accepted.history.map((h: any) => [h.from, h.to])).toEqual([[null, 'pending'], ['pending', 'accepted']])
      expect(JSON.parse(accepted.history[1].detail)).toEqual({ via: 'ONUSERADD' })
      expect(await dash()).toEqual({ invited: 3, pending: 2, accepted: 1, failed: 0 })
      expect((await admin.get('/api/invitations?state=accepted')).body.rows.map((r: any) => r.email)).toEqual(['anna@example.test'])

      const ivan = byEmail.get('ivan@example.test')
      const manual = await admin.post(`/api/invitations/${ivan.id}/remind`)
      expect(manual.status).toBe(200)
      expect(manual.body).toEqual({ resent: false, reason: 'reinvite_unsupported', portalUrl: `${stack.portal.origin}/company/personal/user/${ivan.userId}/` })
      // The list says so up front: every outstanding row links to the person's page, where "Invite again" is.
      const listed = (await admin.get('/api/invitations?q=ivan')).body
      expect(listed.resend).toBe('portal')
      expect(listed.rows[0].portalUrl).toBe(`${stack.portal.origin}/company/personal/user/${ivan.userId}/`)
      expect(stack.portal.callCount(REINVITE)).toBe(0)
      expect((await admin.get(`/api/invitations/${ivan.id}`)).body.invitation.remindersSent).toBe(0)

      const done = await admin.post(`/api/invitations/${anna.id}/remind`)
      expect(done.body).toEqual({ resent: false, reason: 'already_accepted' })
      const missing = await admin.post(`/api/invitations/${crypto.randomUUID()}/remind`)
      expect(missing.status).toBe(404)
      expect(missing.body.error.code).toBe('invitation_not_found')
    })

    it('remind on a portal with intranet.invite.reinvite resends and counts the reminder', async () => {
      const { stack, admin } = await start({ reinvite: true })
      const { byEmail } = await invite(admin)
      const ivan = byEmail.get('ivan@example.test')
      const before = stack.portal.invitations().length

      const r = await admin.post(`/api/invitations/${ivan.id}/remind`)
      expect(r.status).toBe(200)
      expect(r.body).toEqual({ resent: true })
      expect((await admin.get('/api/invitations')).body.resend).toBe('api')
      expect(stack.portal.callCount(REINVITE)).toBe(1)
      const again = stack.portal.invitations()
      expect(again).toHaveLength(before + 1)
      expect(again.at(-1)).toMatchObject({ userId: ivan.userId, email: 'ivan@example.test' })
      expect((await admin.get(`/api/invitations/${ivan.id}`)).body.invitation.remindersSent).toBe(1)

      await stack.portal.acceptInvitation('ivan@example.test')
      await until(async () => (await admin.get(`/api/invitations/${ivan.id}`)).body.invitation.state === 'accepted', 'accepted')
      expect((await admin.post(`/api/invitations/${ivan.id}/remind`)).body).toEqual({ resent: false, reason: 'already_accepted' })
      expect(stack.portal.callCount(REINVITE)).toBe(1)
      const audit = (await admin.get('/api/audit?limit=50')).body.entries.filter((e: any) => e.action === 'invitation.remind')
      expect(audit.map((e: any) => e.details)).toEqual([{ resent: false, reason: 'already_accepted' }, { resent: true }])
    })

    it('the scheduler reminds on the template’s days and expires what is past expireAfterDays', async () => {
      const { stack, admin } = await start({ reinvite: true })
      const { byEmail } = await invite(admin, { reminderDays: [2], expireAfterDays: 5 })
      const [ivan, anna, bob] = ['ivan', 'anna', 'bob'].map((n) => byEmail.get(`${n}@example.test`))
      expect(anna.expiresAt).toBe(anna.sentAt + 5 * DAY)
      await stack.portal.acceptInvitation('bob@example.test')
      await until(async () => (await admin.get(`/api/invitations/${bob.id}`)).body.invitation.state === 'accepted', 'bob accepted')
      const run = () => stack.a.app.scheduler.runNow()
      // Two days on, the access token has expired: the first call is refused and repeated after a refresh.
      const resent = () => stack.portal.requests().filter((r) => r.restMethod === REINVITE && r.status === 200)

      // Nothing is due yet.
      await run()
      expect(resent().length).toBe(0)

      clock.advance(2 * DAY + 60_000)
      await run()
      expect(resent().length).toBe(2)
      const reinvited = resent().map((r) => JSON.stringify(r.params))
      expect(reinvited.some((p) => p.includes(String(ivan.userId)))).toBe(true)
      expect(reinvited.some((p) => p.includes(String(anna.userId)))).toBe(true)
      for (const inv of [ivan, anna]) expect((await admin.get(`/api/invitations/${inv.id}`)).body.invitation).toMatchObject({ state: 'pending', remindersSent: 1 })
      expect((await admin.get(`/api/invitations/${bob.id}`)).body.invitation.remindersSent).toBe(0)
      // A day's reminder goes out once.
      const attempts = stack.portal.callCount(REINVITE)
      await run()
      expect(stack.portal.callCount(REINVITE)).toBe(attempts)

      clock.advance(3 * DAY)
      await run()
      const expired = (await admin.get('/api/invitations?state=expired')).body
      expect(expired.rows.map((r: any) => r.email).sort()).toEqual(['anna@example.test', 'ivan@example.test'])
      const history = (await admin.get(`/api/invitations/${ivan.id}`)).body.history
      expect(history.map((h: any) => [h.from, h.to])).toEqual([[null, 'pending'], ['pending', 'expired']])
      expect(JSON.parse(history[1].detail)).toEqual({ via: 'schedule' })
      expect(history[1].at).toBeGreaterThanOrEqual(ivan.expiresAt)
      expect((await admin.get(`/api/invitations/${bob.id}`)).body.invitation.state).toBe('accepted')
      expect((await admin.get('/api/dashboard')).body.counts).toEqual({ invited: 3, pending: 0, accepted: 1, failed: 0 })
      expect(resent().length).toBe(2)

      // An expired invitation is not reminded about.
      expect((await admin.post(`/api/invitations/${ivan.id}/remind`)).body).toEqual({ resent: false, reason: 'not_outstanding' })
      expect(resent().length).toBe(2)
    })

    it('without reinvite the scheduler calls nothing and leaves a due reminder to the portal page, once', async () => {
      const { stack, admin } = await start()
      const { byEmail } = await invite(admin, { reminderDays: [1] })
      clock.advance(DAY + 60_000)
      const pass = () => stack.a.app.lifecycle.runDue(stack.portal.memberId)
      expect(await pass()).toEqual({ expired: 0, reminded: 0, manual: 3 })
      // Noted, so the next pass does not pick the same rows again (no loop over a portal that cannot resend).
      expect(await pass()).toEqual({ expired: 0, reminded: 0, manual: 0 })
      expect(stack.portal.callCount(REINVITE)).toBe(0)
      // Nothing was sent, so nothing counts as a reminder sent.
      for (const inv of byEmail.values()) expect((await admin.get(`/api/invitations/${inv.id}`)).body.invitation).toMatchObject({ state: 'pending', remindersSent: 0 })
    })

    it('a first login seen by the scheduled directory pass accepts the invitation when ONUSERADD never came', async () => {
      const { stack, admin } = await start()
      const { byEmail } = await invite(admin)
      const anna = byEmail.get('anna@example.test')
      // She accepts, but the event is lost (the portal does not re-send events).
      await stack.portal.acceptInvitation('anna@example.test', { deliverEvent: false })
      await stack.a.app.scheduler.syncNow() // the cache is fresh: incremental, no state refresh yet
      expect((await admin.get(`/api/invitations/${anna.id}`)).body.invitation.state).toBe('pending')
      clock.advance(13 * 3_600_000) // past the full-sync interval
      await stack.a.app.scheduler.syncNow()
      const detail = (await admin.get(`/api/invitations/${anna.id}`)).body
      expect(detail.invitation.state).toBe('accepted')
      expect(JSON.parse(detail.history.at(-1).detail)).toEqual({ via: 'sync' })
      for (const other of ['ivan@example.test', 'bob@example.test']) {
        expect((await admin.get(`/api/invitations/${byEmail.get(other).id}`)).body.invitation.state).toBe('pending')
      }
    })

    it('employees join the chosen workgroups when they accept (user.add takes groups only for extranet)', async () => {
      const { stack, admin } = await start()
      const group = stack.portal.addGroup({ NAME: 'Проект Альфа', OWNER_ID: 1 })
      await admin.post('/api/directory/sync')
      const jobId = await sendList(admin, LIST, 'groups.csv', { defaults: { groupIds: [group.ID] } })
      await waitForJob(admin, jobId, (j) => j.status === 'completed', 'job completed')
      const ivan = (await admin.get('/api/invitations?q=ivan')).body.rows[0]
      expect(ivan.target).toEqual({ kind: 'intranet', departmentId: 1, groupIds: [group.ID] })
      const member = (id: number) => stack.portal.groups().find((g) => g.ID === group.ID)!.members.some((m) => m.userId === id)
      expect(stack.portal.callCount('sonet_group.user.add')).toBe(0)
      expect(member(ivan.userId)).toBe(false)
      await stack.portal.acceptInvitation('ivan@example.test')
      await until(async () => (await admin.get(`/api/invitations/${ivan.id}`)).body.invitation.state === 'accepted', 'accepted')
      await until(() => member(ivan.userId) || undefined, 'Ivan in the group')
      expect(stack.portal.callCount('sonet_group.user.add')).toBe(1)
      expect(stack.portal.groups().find((g) => g.ID === group.ID)!.members.some((m) => m.userId === ivan.userId)).toBe(true)
    })

    it('a non-admin sees only the invitations they sent; admin-only routes answer 403 admin_only', async () => {
      const { stack, admin } = await start()
      const { byEmail } = await invite(admin)
      const olga = stack.portal.addUser({ NAME: 'Olga', LAST_NAME: 'Petrova', EMAIL: 'olga@example.test', UF_DEPARTMENT: [1] })
      // Olga invited a guest from a group tab (the ledger records every path).
      const hers = await stack.a.app.stores.ledger.record({
        memberId: stack.portal.memberId, email: 'guest@example.test', phone: null, userId: 900, name: 'Guest', lastName: 'Petrov', invitedBy: olga.ID,
        source: 'group_tab', templateId: null, jobId: null, jobSeq: null, target: { kind: 'extranet', departmentId: null, groupIds: [5] },
        state: 'pending', sentAt: clock.now(), acceptedAt: null, expiresAt: null,
      }, olga.ID)
      const user = await sessionApi(stack, olga.ID)

      const list = (await user.get('/api/invitations')).body
      expect(list).toEqual({ rows: [expect.objectContaining({ id: hers.id, email: 'guest@example.test', source: 'group_tab' })], total: 1, resend: 'portal' })
      // Asking for someone else's does not widen the view: the filter applies within what she may see.
      expect((await user.get('/api/invitations?invitedBy=1')).body.total).toBe(0)
      expect((await user.get(`/api/invitations?invitedBy=${olga.ID}`)).body.total).toBe(1)
      expect((await user.get(`/api/invitations?q=${encodeURIComponent('петров')}`)).body.total).toBe(0) // Иван Петров is the admin's
      expect((await user.get('/api/invitations?q=petrov')).body.rows.map((r: any) => r.email)).toEqual(['guest@example.test'])
      expect(parseCsv((await user.get('/api/invitations/export.csv')).text).map((r) => r[0])).toEqual(['E-mail', 'guest@example.test'])
      expect((await user.get(`/api/invitations/${hers.id}`)).status).toBe(200)
      const foreign = await user.get(`/api/invitations/${byEmail.get('ivan@example.test').id}`)
      expect(foreign.status).toBe(404)
      expect(foreign.body.error.code).toBe('invitation_not_found')
      expect((await user.get('/api/dashboard')).body.counts).toEqual({ invited: 1, pending: 1, accepted: 0, failed: 0 })
      expect((await admin.get('/api/dashboard')).body.counts).toEqual({ invited: 4, pending: 4, accepted: 0, failed: 0 })

      for (const [method, path] of [
        ['POST', `/api/invitations/${hers.id}/remind`],
        ['POST', '/api/settings/reapply'],
        ['GET', '/api/audit'],
        ['POST', '/api/directory/sync'],
      ] as const) {
        const r = await user.call(method, path)
        expect({ path, status: r.status, code: r.body?.error?.code }).toEqual({ path, status: 403, code: 'admin_only' })
      }
      expect(stack.portal.callCount(REINVITE)).toBe(0)
    })
  })
}
