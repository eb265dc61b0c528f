/**
 * The Extranet section in real Chromium, inside the emulated portal's page. Without extranet groups it
 * points to collabs; with one it lists it and opens its page. As a workgroup's tab (SONET_GROUP_DETAIL_TAB)
 * the app lands on that group's page without the app's navigation, shows the group's onboarding kit and
 * adds a starter task to it, checks a pasted list (an employee already in the portal gets an info note and
 * is left out), sends the two guests and follows the send to the end, lists both guests as pending; one
 * accepts in the portal, the tab shows them active, and the kit's welcome went to the group's feed and the
 * task to them; the owner lifts one end date and hands the other guest to another sponsor. The page logs no
 * errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Frame, Page } from 'playwright-core'
import { BACKENDS } from '../helpers/databases.js'
import { appFrameWith, launchChromium, recordPageErrors, reportFailures } from '../helpers/browser.js'
import { CLIENT_ID, startStack, until, type Stack } from '../helpers/stack.js'

const sqlite = BACKENDS.find((b) => b.name === 'sqlite')!
const GROUP_TAB = 'SONET_GROUP_DETAIL_TAB'

describe('extranet group tab in Chromium', () => {
  let s: Stack
  let browser: Browser
  let page: Page
  const pageErrors: string[] = []

  beforeAll(async () => {
    s = await startStack(sqlite, { portal: { lang: 'en' } })
    browser = await launchChromium()
    page = await browser.newPage()
    page.setDefaultTimeout(10_000)
    recordPageErrors(page, pageErrors)
  }, 30_000)
  afterAll(async () => {
    await browser?.close()
    await s?.close()
  })

  /** On failure, keeps a screenshot and says what the page logged and which API calls failed. */
  const reported = (scenario: () => Promise<void>) => reportFailures('extranet-tab', page, pageErrors, scenario, () => {
    const missing = pageErrors.filter((x) => / 404 /.test(x) && x.includes('/api/extranet/'))
    return missing.length ? `\nextranet endpoints answering 404: ${JSON.stringify(missing)}` : ''
  })

  it('points to collabs without extranet groups, then lists one and opens its page', () => reported(section), 60_000)

  it('lands on the group, invites two guests, shows one accepted and welcomed, extends and hands over', () => reported(groupTab), 90_000)

  /** The portal page with the app's main view (installing the app through it the first time). */
  async function openApp(): Promise<Frame> {
    await page.goto(s.portal.frameUrl(CLIENT_ID, { lang: 'en' }))
    await until(async () => (await s.a.app.stores.portals.get(s.portal.memberId))?.status === 'installed', 'ONAPPINSTALL', 20_000)
    return appFrameWith(page, '[data-testid="dashboard-title"]')
  }

  const suppliers = () => s.portal.groups().find((g) => g.NAME === 'Suppliers') ?? s.portal.addGroup({ NAME: 'Suppliers', OWNER_ID: 1, IS_EXTRANET: true })

  async function section(): Promise<void> {
    let frame = await openApp()
    await frame.click('[data-testid="nav-extranet"]')
    frame = await appFrameWith(page, '[data-testid="extranet-no-groups-note"]')
    expect(await frame.textContent('[data-testid="extranet-no-groups-note"]')).toContain('Bitrix24 cloud no longer lets anyone create new extranet workgroups')
    expect(await frame.isVisible('[data-testid="extranet-empty"]')).toBe(true)
    await frame.click('[data-testid="extranet-open-collabs"]')
    await frame.waitForSelector('[data-testid="collabs-view"]')

    // An extranet group appears in the list (loaded again on the way in), marked so, and its name opens its page.
    const group = suppliers()
    await frame.click('[data-testid="nav-extranet"]')
    await frame.waitForSelector(`[data-testid="extranet-group-${group.ID}"]`)
    expect(await frame.$('[data-testid="extranet-no-groups-note"]')).toBeNull()
    expect(await frame.getAttribute(`[data-testid="extranet-group-${group.ID}"]`, 'data-extranet')).toBe('true')
    expect(await frame.textContent(`[data-testid="extranet-group-${group.ID}"]`)).toContain('Extranet')
    await frame.getByRole('link', { name: 'Suppliers', exact: true }).focus()
    await page.keyboard.press('Enter')
    await frame.waitForSelector('[data-testid="extranet-group-title"]')
    expect(await frame.textContent('[data-testid="extranet-group-title"]')).toBe('Suppliers')
    expect(await frame.getAttribute('[data-testid="app-shell"]', 'data-layout')).toBe('full')
    await frame.click('[data-testid="extranet-back"]')
    await frame.waitForSelector('[data-testid="extranet-groups-table"]')
    expect(pageErrors).toEqual([])
  }

  async function groupTab(): Promise<void> {
    const p = s.portal
    const group = suppliers()
    const employee = p.addUser({ EMAIL: 'emp@example.test', NAME: 'Emma', LAST_NAME: 'Ployee', UF_DEPARTMENT: [1] })
    await openApp()

    // The install bound the group tab (install/manifest.ts), as the portal needs before it opens one.
    expect(p.placements().some((b) => b.clientId === CLIENT_ID && b.placement === GROUP_TAB)).toBe(true)

    await s.a.app.stores.onboardingKits.save({
      memberId: p.memberId, groupId: group.ID, inviteTemplateId: null,
      welcomeText: { ru: 'Добро пожаловать, {name}, в {groups}!', en: 'Welcome, {name}, to {groups}!' },
      postToFeed: true, postToChat: false, starterTask: null, sponsorId: null, accessDays: 30, noticeDays: 7, offboarding: 'confirm', updatedBy: 1,
    })

    // The group's tab: straight to its page, no app navigation around it.
    await page.goto(p.frameUrl(CLIENT_ID, { userId: 1, lang: 'en', placement: GROUP_TAB, placementOptions: { GROUP_ID: String(group.ID), URI: `/workgroups/group/${group.ID}/` } }))
    const frame = await appFrameWith(page, '[data-testid="extranet-group-title"]')
    expect(await frame.getAttribute('[data-testid="extranet-group-view"]', 'data-group-id')).toBe(String(group.ID))
    expect(await frame.textContent('[data-testid="extranet-group-title"]')).toBe('Suppliers')
    expect(await frame.getAttribute('[data-testid="app-shell"]', 'data-layout')).toBe('group-tab')
    expect(await frame.$('[data-testid="nav-extranet"]')).toBeNull()
    expect(await frame.$('[data-testid="extranet-back"]')).toBeNull()

    // The kit as saved: the welcome goes to the feed, access for 30 days, the sponsor confirms the end.
    await frame.waitForSelector('[data-testid="kit-summary"]')
    const welcome = await frame.textContent('[data-testid="kit-fact-welcome"]')
    expect(welcome).toContain('Welcome, {name}, to {groups}!')
    expect(welcome).toContain('Posted to: feed')
    expect(await frame.textContent('[data-testid="kit-summary"]')).toContain('30 days; the sponsor is told 7 days before the end')

    // The owner adds a starter task in the editor: a missing title is caught at the field, then it saves.
    await frame.click('[data-testid="kit-edit"]')
    await frame.waitForSelector('[data-testid="kit-editor"]')
    expect(await frame.evaluate(() => document.activeElement?.id)).toBe('kit-welcome-ru')
    await frame.getByRole('checkbox', { name: 'Give every new guest a starter task', exact: true }).click()
    await frame.click('[data-testid="kit-save"]')
    await frame.waitForSelector('#kit-taskTitle-error')
    expect(await frame.evaluate(() => document.activeElement?.id)).toBe('kit-task-title')
    await page.keyboard.type('Read the supplier handbook')
    await frame.getByRole('textbox', { name: 'Deadline, days after they accept', exact: true }).fill('3')
    await frame.click('[data-testid="kit-save"]')
    await frame.waitForFunction(() => document.querySelector('[data-testid="live-region"]')?.textContent === 'Onboarding kit saved')
    expect(await frame.textContent('[data-testid="kit-summary"]')).toContain('Read the supplier handbook, due 3 days after accepting')
    expect(await frame.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('kit-edit')
    expect(await s.a.app.stores.onboardingKits.get(p.memberId, group.ID)).toMatchObject({
      postToFeed: true, postToChat: false, accessDays: 30, noticeDays: 7, offboarding: 'confirm', sponsorId: null,
      starterTask: { title: 'Read the supplier handbook', description: '', deadlineDays: 3 },
      welcomeText: { en: 'Welcome, {name}, to {groups}!' },
    })

    // The invite box, by its label; the list holds an employee the portal already has.
    const box = frame.getByRole('textbox', { name: 'People to invite', exact: true })
    await box.fill('Anna Guest <anna@partner.example>, boris@partner.example\nemp@example.test')
    expect(await frame.textContent('#group-invite-count')).toBe('3 addresses')
    await frame.click('[data-testid="group-invite-check"]')
    await frame.waitForSelector('[data-testid="group-invite-table"]')
    await frame.waitForFunction(() => document.querySelector('[data-testid="live-region"]')?.textContent?.startsWith('Rows checked: 3.'))
    const rows = await frame.$$eval('[data-testid="group-invite-table"] tbody tr', (trs) =>
      trs.map((tr) => ({ email: tr.getAttribute('data-email'), status: tr.getAttribute('data-status'), row: tr.getAttribute('data-testid'), info: Array.from(tr.querySelectorAll('[data-severity="info"]'), (li) => li.getAttribute('data-code')) })))
    expect(rows.map((r) => r.email)).toEqual(['anna@partner.example', 'boris@partner.example', 'emp@example.test'])
    expect(rows.slice(0, 2).map((r) => r.status)).toEqual(['ready', 'ready'])
    // The employee is explained, not refused: brought into the group instead of invited to the portal.
    expect(rows[2]!.info.length).toBeGreaterThan(0)
    const empRow = frame.locator(`[data-testid="${rows[2]!.row}"]`)
    expect((await empRow.textContent()) ?? '').toContain('In the portal: Active')
    expect(await frame.textContent('[data-testid="group-invite-send"]')).toContain('Send 3 invitations')

    // Leave the employee out, by keyboard.
    await empRow.locator('button[data-testid^="group-invite-exclude-"]').focus()
    await page.keyboard.press('Enter')
    await frame.waitForFunction((id) => document.querySelector(`[data-testid="${id}"]`)?.getAttribute('data-status') === 'excluded', rows[2]!.row)
    expect(await frame.textContent('[data-testid="group-invite-send"]')).toContain('Send 2 invitations')

    await frame.click('[data-testid="group-invite-send"]')
    await frame.waitForSelector('[data-testid="job-status"][data-status="completed"]', { timeout: 30_000 })
    expect(await frame.getAttribute('[data-testid="job-progress"]', 'aria-valuenow')).toBe(await frame.getAttribute('[data-testid="job-progress"]', 'aria-valuemax'))
    expect(await frame.textContent('[data-testid="group-invite-finished"]')).toContain('2 invited')

    // Both guests, pending, sponsored by the inviter, access for 30 days.
    const guests = () =>
      frame.$$eval('[data-testid="guests-table"] tbody tr[data-state]', (trs) =>
        trs.map((tr) => ({ email: tr.getAttribute('data-email'), state: tr.getAttribute('data-state'), sponsor: tr.querySelector('[data-testid="guest-sponsor"]')?.textContent?.trim(), ends: tr.querySelector('[data-testid="guest-ends"]')?.textContent?.trim() })))
    await frame.waitForFunction(() => document.querySelectorAll('[data-testid="guests-table"] tbody tr[data-state]').length === 2)
    const listed = await guests()
    expect(listed.map((g) => [g.email, g.state]).sort()).toEqual([['anna@partner.example', 'pending'], ['boris@partner.example', 'pending']])
    expect(listed.map((g) => g.sponsor)).toEqual(['Admin', 'Admin'])
    expect(listed.every((g) => g.ends && g.ends !== 'No end date')).toBe(true)
    expect(p.invitations().map((i) => i.email).sort()).toEqual(['anna@partner.example', 'boris@partner.example'])
    expect(p.feedPosts()).toEqual([])

    // Anna accepts in the portal; the tab shows her active after a refresh.
    const anna = p.users().find((u) => u.EMAIL === 'anna@partner.example')!
    await p.acceptInvitation(anna.ID)
    const annaActive = async () => {
      await frame.click('[data-testid="guests-refresh"]')
      await frame.waitForSelector('[data-testid="guests-refresh"]:not([disabled])')
      return (await guests()).find((g) => g.email === 'anna@partner.example')?.state === 'active' || undefined
    }
    await until(annaActive, 'Anna shown active', 20_000)
    expect((await guests()).find((g) => g.email === 'boris@partner.example')?.state).toBe('pending')
    await frame.waitForFunction(() => document.querySelector('[data-testid="live-region"]')?.textContent === 'Guests updated: 2')

    // The kit's welcome, once, in the group's feed.
    await until(() => p.feedPosts().length > 0 || undefined, 'the welcome post', 10_000)
    expect(p.feedPosts().map((post) => [post.dest, post.message])).toEqual([[[`SG${group.ID}`], 'Welcome, Anna Guest, to Suppliers!']])
    expect(p.chatMessages()).toEqual([])
    await until(() => p.tasks().length > 0 || undefined, 'the starter task', 10_000)
    expect(p.tasks().map((task) => [task.title, task.responsibleId, task.groupId])).toEqual([['Read the supplier handbook', anna.ID, group.ID]])
    // The excluded employee was left alone.
    expect(p.groups().find((g) => g.ID === group.ID)!.members.map((m) => m.userId)).not.toContain(employee.ID)

    // The owner lifts Anna's end date and hands Boris over to the employee, by user ID.
    const row = (email: string) => frame.locator(`[data-testid="guests-table"] tbody tr[data-email="${email}"]`)
    await row('anna@partner.example').getByRole('button', { name: 'Extend access for Anna Guest', exact: true }).click()
    await frame.getByRole('checkbox', { name: 'No end date', exact: true }).click()
    await frame.click('[data-testid="guest-extend-save"]')
    await frame.waitForFunction(() => document.querySelector('[data-testid="live-region"]')?.textContent === 'Access for Anna Guest no longer ends')
    expect(await row('anna@partner.example').locator('[data-testid="guest-ends"]').textContent()).toContain('No end date')
    await row('boris@partner.example').getByRole('button', { name: 'Hand boris@partner.example over to another sponsor', exact: true }).click()
    const sponsorSelect = frame.locator('[data-testid="guests-table"] select[data-testid$="-select"]')
    await sponsorSelect.selectOption('other')
    await frame.getByRole('textbox', { name: 'User ID', exact: true }).fill(String(employee.ID))
    await frame.click('[data-testid="guest-hand-over-save"]')
    await frame.waitForFunction((id) => document.querySelector('[data-testid="live-region"]')?.textContent === `boris@partner.example is now sponsored by User #${id}`, employee.ID)
    const stays = await s.a.app.stores.guests.listByGroup(p.memberId, group.ID)
    expect(Object.fromEntries(stays.map((g) => [g.email, [g.accessEndsAt === null, g.sponsorId]]))).toEqual({
      'anna@partner.example': [true, 1],
      'boris@partner.example': [false, employee.ID],
    })

    expect(pageErrors).toEqual([])
  }
})
