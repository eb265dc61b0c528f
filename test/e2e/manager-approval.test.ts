/**
 * A group manager over the invite policy's daily quota, in real Chromium inside the emulated portal's page.
 * The portal has a non-admin employee (Mira) who owns an extranet workgroup. The admin installs the app
 * and, in Settings, lowers the group managers' daily quota to 1. Mira, in her group's tab, invites one guest
 * (sent, the send followed to the end: the portal has the guest). She pastes two more: the send becomes a
 * request (the box says so, with the quota as the reason); the portal has not invited them and the admin
 * got a Bitrix24 notification. The admin, in a session of their own, opens Requests, opens the request and
 * approves it: the send runs to the end, the portal has both guests, and Mira is told it was approved. One
 * of them accepts in the portal (ONUSERADD): Mira is told. Neither page logs an error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core'
import { BACKENDS } from '../helpers/databases.js'
import { appFrameWith, launchChromium, recordPageErrors, reportFailures } from '../helpers/browser.js'
import { CLIENT_ID, startStack, until, type Stack } from '../helpers/stack.js'
import type { PortalGroup, PortalUser } from '../emulator/portal.js'

const sqlite = BACKENDS.find((b) => b.name === 'sqlite')!
const GROUP_TAB = 'SONET_GROUP_DETAIL_TAB'
const FIRST = 'gina@guest.example'
const OVER = ['hugo@guest.example', 'ines@guest.example'] as const
const QUOTA_REASON = 'your daily quota is 1 invitation (1 sent in the last 24 hours)'

describe('manager over the daily quota asks for approval, in Chromium', () => {
  let s: Stack
  let browser: Browser
  const contexts: BrowserContext[] = []
  /** Each page's errors, by who is looking. */
  const pageErrors: Record<string, string[]> = {}
  const pages: Record<string, Page> = {}
  let manager: PortalUser
  let group: PortalGroup
  /** What Mira's group tab showed about the policy right after checking the over-quota list (see the last test). */

  beforeAll(async () => {
    s = await startStack(sqlite, { portal: { lang: 'en' } })
    browser = await launchChromium()
    // 1. A non-admin employee who owns an extranet workgroup.
    manager = s.portal.addUser({ EMAIL: 'mira@example.test', NAME: 'Mira', LAST_NAME: 'Manager', UF_DEPARTMENT: [1] })
    group = s.portal.addGroup({ NAME: 'Partners', OWNER_ID: manager.ID, IS_EXTRANET: true })
  }, 30_000)
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {})
    await browser?.close()
    await s?.close()
  })

  /** A page in a browser session of its own (nothing shared with the other viewers' pages). */
  async function pageFor(who: string): Promise<Page> {
    const context = await browser.newContext()
    contexts.push(context)
    const page = await context.newPage()
    page.setDefaultTimeout(10_000)
    pageErrors[who] = []
    recordPageErrors(page, pageErrors[who])
    pages[who] = page
    return page
  }

  const reported = (scenario: () => Promise<void>) => reportFailures('manager-approval', pages, pageErrors, scenario, () => `\nnotifications: ${JSON.stringify(s.portal.notifications().map((n) => `${n.userId}: ${n.message}`))}`)

  const liveRegion = (frame: Frame, text: string) =>
    frame.waitForFunction((want) => document.querySelector('[data-testid="live-region"]')?.textContent?.trim() === want, text)
  const portalUser = (email: string) => s.portal.users().find((u) => String(u.EMAIL).toLowerCase() === email)
  const notesFor = (userId: number) => s.portal.notifications().filter((n) => n.userId === userId).map((n) => n.message)
  const noteFor = (userId: number, part: string, what: string) =>
    until(() => notesFor(userId).find((m) => m.includes(part)), what, 10_000)

  /** The dry run's rows in the group tab's box. */
  const checkedRows = (frame: Frame) =>
    frame.$$eval('[data-testid="group-invite-table"] tbody tr', (trs) => trs.map((tr) => [tr.getAttribute('data-email'), tr.getAttribute('data-status')]))

  it('quota 1 by the admin, one guest sent, two asked for, approved by the admin, an acceptance reported', () => reported(async () => {
    const p = s.portal

    // 1. The admin installs the app through the portal's page.
    const adminPage = await pageFor('admin')
    await adminPage.goto(p.frameUrl(CLIENT_ID, { lang: 'en' }))
    await until(async () => (await s.a.app.stores.portals.get(p.memberId))?.status === 'installed', 'ONAPPINSTALL', 20_000)
    let admin = await appFrameWith(adminPage, '[data-testid="dashboard-title"]')
    expect(p.user(manager.ID)?.ADMIN).toBe(false)

    // 2. Settings → invite policy: the default rule (group managers), its daily quota from 50 to 1.
    await admin.click('[data-testid="nav-settings"]')
    await admin.waitForSelector('[data-testid="invite-policy"]')
    expect(await admin.$$('[data-testid="invite-policy"] fieldset[data-testid^="policy-rule-"]')).toHaveLength(1)
    const quota = admin.getByLabel('Invitations per inviter per 24 hours', { exact: true })
    expect(await quota.inputValue()).toBe('50')
    await quota.fill('1')
    await admin.click('[data-testid="invite-policy-save"]')
    await admin.waitForSelector('[data-testid="invite-policy-saved"]')
    await liveRegion(admin, 'Invite policy saved')
    expect(await s.a.app.stores.invitePolicy.get(p.memberId)).toMatchObject({ rules: [{ who: { kind: 'group_managers' }, dailyQuota: 1, approval: 'over_quota' }] })

    // 3. Mira, in her group's tab: one guest, within the quota, goes out at once.
    const mgrPage = await pageFor('manager')
    await mgrPage.goto(p.frameUrl(CLIENT_ID, { userId: manager.ID, lang: 'en', placement: GROUP_TAB, placementOptions: { GROUP_ID: String(group.ID), URI: `/workgroups/group/${group.ID}/` } }))
    const tab = await appFrameWith(mgrPage, '[data-testid="extranet-group-title"]')
    expect(await tab.textContent('[data-testid="extranet-group-title"]')).toBe('Partners')
    expect(await tab.getAttribute('[data-testid="app-shell"]', 'data-layout')).toBe('group-tab')
    const box = tab.getByRole('textbox', { name: 'People to invite', exact: true })
    await box.fill(`Gina Guest <${FIRST}>`)
    await tab.click('[data-testid="group-invite-check"]')
    await tab.waitForSelector('[data-testid="group-invite-table"]')
    expect(await checkedRows(tab)).toEqual([[FIRST, 'ready']])
    expect(await tab.textContent('[data-testid="group-invite-send"]')).toContain('Send 1 invitation')
    await tab.click('[data-testid="group-invite-send"]')
    await tab.waitForSelector('[data-testid="job-status"][data-status="completed"]', { timeout: 20_000 })
    expect(await tab.getAttribute('[data-testid="job-progress"]', 'aria-valuenow')).toBe(await tab.getAttribute('[data-testid="job-progress"]', 'aria-valuemax'))
    expect(await tab.textContent('[data-testid="group-invite-finished"]')).toContain('1 invited')
    expect(portalUser(FIRST), 'the first guest in the portal').toBeDefined()
    expect(p.invitations().map((i) => i.email)).toEqual([FIRST])

    // 4. Two more: over the quota of 1, so the send becomes a request and nobody is invited.
    await tab.click('[data-testid="group-invite-another"]')
    await box.fill(`Hugo Guest <${OVER[0]}>\nInes Guest <${OVER[1]}>`)
    expect(await tab.textContent('#group-invite-count')).toBe('2 addresses')
    await tab.click('[data-testid="group-invite-check"]')
    await tab.waitForSelector('[data-testid="group-invite-table"]')
    expect(await checkedRows(tab)).toEqual([[OVER[0], 'ready'], [OVER[1], 'ready']])
    // The policy's verdict before sending: approval is needed, because of the quota.
    const banner = await tab.waitForSelector('[data-testid="group-invite-policy"]')
    expect(await banner.getAttribute('data-decision')).toBe('request')
    expect(await banner.textContent()).toContain('Needs approval because:')
    expect(await banner.textContent()).toContain(QUOTA_REASON)
    await tab.click('[data-testid="group-invite-send"]')
    await tab.waitForSelector('[data-testid="group-invite-requested"]')
    expect(await tab.$('[data-testid="job-status"]')).toBeNull()
    const requestId = await tab.getAttribute('[data-testid="group-invite-requested"]', 'data-request-id')
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(await tab.textContent('[data-testid="group-invite-requested-note"]')).toContain('Your request was sent to the approver.')
    expect((await tab.textContent('[data-testid="group-invite-requested-reasons"]'))?.trim()).toBe(QUOTA_REASON)
    await liveRegion(tab, 'Sent for approval: the approver has been notified.')
    expect(await tab.isVisible('[data-testid="group-invite-request-link"]')).toBe(true)
    // The portal has not been asked to invite them; the admin (who installed the app) got a notification.
    const adminNote = await noteFor(1, 'asks to invite 2 people', "the admin's notification")
    expect(adminNote).toContain('Mira Manager')
    for (const email of OVER) expect(portalUser(email), `${email} not in the portal yet`).toBeUndefined()
    expect(p.invitations().map((i) => i.email)).toEqual([FIRST])
    // Mira so far heard only that her first send finished; nothing about the request yet.
    expect(notesFor(manager.ID).filter((m) => /request/i.test(m))).toEqual([])

    // 5. The admin, in a session of their own: the app says a request waits; Requests → open → approve.
    const deskPage = await pageFor('admin-requests')
    await deskPage.goto(p.frameUrl(CLIENT_ID, { lang: 'en' }))
    admin = await appFrameWith(deskPage, '[data-testid="dashboard-title"]')
    await admin.waitForSelector('[data-testid="dashboard-requests"][data-count="1"]')
    expect(await admin.textContent('[data-testid="dashboard-requests"]')).toContain('1 invite request waits for you')
    expect((await admin.textContent('[data-testid="nav-requests-badge"]'))?.trim()).toBe('1')
    await admin.click('[data-testid="nav-requests"]')
    const row = `[data-testid="request-row-${requestId}"]`
    await admin.waitForSelector(row)
    expect(await admin.$$('[data-testid^="request-row-"]')).toHaveLength(1)
    expect(await admin.getAttribute(row, 'data-state')).toBe('pending')
    expect(await admin.getAttribute(row, 'data-can-decide')).toBe('true')
    expect(await admin.textContent(row)).toContain(QUOTA_REASON)
    await admin.click(`[data-testid="request-open-${requestId}"]`)
    const details = `[data-testid="request-details-${requestId}"]`
    await admin.waitForSelector(details)
    expect((await admin.textContent(`${details} [data-testid="request-reasons"]`))?.trim()).toBe(QUOTA_REASON)
    const people = await admin.$$eval(`${details} [data-testid="request-people"] tbody tr td:first-child`, (tds) => tds.map((td) => td.textContent?.trim()))
    expect(people).toEqual([...OVER])
    expect(await admin.textContent(`${details} [data-testid="request-approve"]`)).toContain('Approve and invite 2 people')
    await admin.click(`${details} [data-testid="request-approve"]`)
    await admin.waitForSelector(`${details}[data-state="approved"]`)
    await liveRegion(admin, 'Request approved: 2 invitations are being sent')
    // The send after the approval, followed to its end.
    await admin.waitForSelector(`${details} [data-testid="request-job"] [data-testid="job-status"][data-status="completed"]`, { timeout: 20_000 })
    expect(await admin.textContent(`${details} [data-testid="request-job"]`)).toContain('2 invited')
    for (const email of OVER) await until(() => portalUser(email), `${email} in the portal`, 10_000)
    expect(p.invitations().map((i) => i.email).sort()).toEqual([FIRST, ...OVER].sort())
    // Mira is told, once.
    await noteFor(manager.ID, 'your invite request was approved and the invitations were sent', "Mira's approval notification")
    expect(notesFor(manager.ID).filter((m) => /request/i.test(m))).toHaveLength(1)

    // 6. Hugo accepts in the portal (ONUSERADD): Mira hears it.
    const deliveries = await p.acceptInvitation(OVER[0])
    expect(deliveries.map((d) => d.status)).toContain(200)
    const accepted = await noteFor(manager.ID, 'accepted your invitation', "Mira's acceptance notification")
    expect(accepted).toContain('Hugo Guest')
    expect(notesFor(manager.ID).filter((m) => m.includes('accepted your invitation'))).toHaveLength(1)

    // 7. No page logged an error.
    expect(pageErrors).toEqual({ admin: [], manager: [], 'admin-requests': [] })
  }), 60_000)
})
