/**
 * The Automation page and the robot policy in real Chromium, inside the emulated portal's page. The portal
 * installs the app (which registers its four robots), then a CRM pipeline calls the "invite an employee"
 * robot twice for DEAL_7: once with an e-mail (invited) and once without (failed). The page shows the robots
 * as registered, both runs with their outcomes and the failure's reason, the failed run's details opened
 * with the keyboard (the values the workflow got back), and the daily cap at 1 of 200. "Re-register robots"
 * updates the four robots in the portal. Settings switches the robot off: the next call is answered
 * STATUS=failed with the reason, and the Automation page shows the robot as off. Tables and filters are
 * labelled, and the page logs no errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Frame, Page } from 'playwright-core'
import { BACKENDS } from '../helpers/databases.js'
import { appFrameWith, launchChromium, recordPageErrors, reportFailures } from '../helpers/browser.js'
import { CLIENT_ID, startStack, until, type Stack } from '../helpers/stack.js'

const sqlite = BACKENDS.find((b) => b.name === 'sqlite')!
const DEAL_7: [string, string, string] = ['crm', 'CCrmDocumentDeal', 'DEAL_7']
const ROBOTS = ['invite_employee', 'invite_guest', 'add_to_group', 'wait_acceptance'] as const

describe('automation page in Chromium', () => {
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

  const reported = (scenario: () => Promise<void>) => reportFailures('automation', page, pageErrors, scenario)

  /** Calls a robot as a CRM pipeline does; the handler must take the call (200). */
  async function callRobot(properties: Record<string, unknown>): Promise<string> {
    const d = await s.portal.callRobot('invite_employee', { documentId: DEAL_7, properties })
    expect(d.status, d.error).toBe(200)
    return String(d.payload.event_token)
  }

  /** What the workflow received for this token (bizproc.event.send), once it did. */
  const replyOf = (token: string) =>
    until(() => s.portal.bizprocEvents().find((e) => e.eventToken === token), `the reply to ${token.slice(0, 16)}…`, 15_000)
      .then((e) => e.returnValues as Record<string, string>)

  const runs = async () => (await s.a.app.stores.robotRuns.list(s.portal.memberId, {}, { limit: 10, offset: 0 })).rows

  async function openAutomation(frame: Frame): Promise<void> {
    await frame.click('[data-testid="nav-automation"]')
    await frame.waitForSelector('[data-testid="automation-title"]')
    await frame.waitForSelector('[data-testid="robots-list"] [data-testid^="robot-card-"]')
  }

  it('lists the runs, opens a failed one by keyboard, re-registers the robots and follows the policy switch', () => reported(async () => {
    // 1. The portal installs the app in its iframe; it reloads into the Dashboard.
    await page.goto(s.portal.frameUrl(CLIENT_ID, { lang: 'en' }))
    await until(async () => (await s.a.app.stores.portals.get(s.portal.memberId))?.status === 'installed', 'ONAPPINSTALL', 20_000)
    let frame = await appFrameWith(page, '[data-testid="dashboard-title"]')
    expect(s.portal.robots().map((r) => r.code).sort()).toEqual([...ROBOTS].sort())

    // 2. Two calls from a deal's automation rule: one invites, one lacks the e-mail.
    const invitedToken = await callRobot({ EMAIL: 'new.hire@example.com', NAME: 'Anna', DEPARTMENT: '1' })
    const failedToken = await callRobot({ NAME: 'Anna', DEPARTMENT: '1' })
    const [invitedReply, failedReply] = await Promise.all([replyOf(invitedToken), replyOf(failedToken)])
    expect(invitedReply).toMatchObject({ STATUS: 'invited' })
    expect(failedReply).toMatchObject({ STATUS: 'failed', ERROR_TEXT: expect.stringContaining('No e-mail address was given') })
    const stored = await runs()
    expect(stored).toHaveLength(2)
    const invitedRun = stored.find((r) => r.outcome === 'invited')!
    const failedRun = stored.find((r) => r.outcome === 'failed')!
    expect(invitedRun, JSON.stringify(stored)).toBeDefined()
    expect(failedRun, JSON.stringify(stored)).toBeDefined()

    // 3. The Automation page, through the app's menu.
    await openAutomation(frame)
    const cards = await frame.$$eval('[data-testid="robots-list"] [data-testid^="robot-card-"]', (els) =>
      els.map((el) => [el.getAttribute('data-testid'), el.getAttribute('data-registered'), el.getAttribute('data-enabled')]))
    expect(cards).toEqual(ROBOTS.map((code) => [`robot-card-${code}`, 'true', 'true']))
    for (const code of ROBOTS) expect(await frame.textContent(`[data-testid="robot-registered-${code}"]`)).toContain('Registered')
    expect(await frame.textContent('[data-testid="robot-total-invite_employee"]')).toContain('2 runs')
    expect(await frame.textContent('[data-testid="robot-count-invite_employee-succeeded"]')).toContain('1')
    expect(await frame.textContent('[data-testid="robot-count-invite_employee-failed"]')).toContain('1')

    // The runs table: both runs of DEAL_7, their outcomes, the failure's reason.
    const invitedRow = `[data-testid="robot-run-row-${invitedRun.id}"]`
    const failedRow = `[data-testid="robot-run-row-${failedRun.id}"]`
    await frame.waitForSelector(invitedRow)
    await frame.waitForSelector(failedRow)
    expect(await frame.$$('[data-testid^="robot-run-row-"]')).toHaveLength(2)
    expect(await frame.getAttribute(invitedRow, 'data-outcome')).toBe('invited')
    expect(await frame.getAttribute(failedRow, 'data-outcome')).toBe('failed')
    const invitedText = (await frame.textContent(invitedRow))!
    const failedText = (await frame.textContent(failedRow))!
    expect(invitedText).toContain('DEAL_7')
    expect(invitedText).toContain('Invited')
    expect(invitedText).toContain('new.hire@example.com')
    expect(failedText).toContain('DEAL_7')
    expect(failedText).toContain('Failed')
    expect(failedText).toContain('No e-mail address was given (EMAIL is empty).')
    expect(await frame.textContent('[data-testid="robot-runs-total"]')).toContain('2 runs')

    // The failed run's details, opened with the keyboard: focus goes into them, Esc gives it back.
    const toggle = `[data-testid="robot-run-open-${failedRun.id}"]`
    const details = `[data-testid="robot-run-details-${failedRun.id}"]`
    await frame.focus(toggle)
    await page.keyboard.press('Enter')
    await frame.waitForSelector(details)
    expect(await frame.getAttribute(toggle, 'aria-expanded')).toBe('true')
    await until(() => frame.$eval(details, (el) => el === document.activeElement || el.contains(document.activeElement)), 'focus in the details')
    const returns = await frame.$$eval(`${details} [data-testid="robot-run-return-values"] tbody tr`, (trs) =>
      Object.fromEntries(trs.map((tr) => [tr.querySelector('th')!.textContent!.trim(), tr.querySelector('td')!.textContent!.trim()])))
    expect(returns).toMatchObject({ STATUS: 'failed', ERROR_TEXT: expect.stringContaining('No e-mail address was given (EMAIL is empty).') })
    expect(await frame.textContent(`${details} [data-testid="robot-run-error"]`)).toContain('No e-mail address was given')
    await page.keyboard.press('Escape')
    await until(async () => (await frame.$(details)) === null, 'the details to close')
    await until(() => frame.$eval(toggle, (el) => el === document.activeElement), 'focus back on the row toggle')

    // The daily cap: one robot invitation of 200.
    const cap = '[data-testid="robots-cap"]'
    expect(await frame.getAttribute(cap, 'data-used')).toBe('1')
    expect(await frame.getAttribute(cap, 'data-limit')).toBe('200')
    const bar = frame.locator(`${cap} [role="progressbar"]`)
    expect(await bar.getAttribute('aria-valuenow')).toBe('1')
    expect(await bar.getAttribute('aria-valuemax')).toBe('200')
    expect(await bar.getAttribute('aria-valuetext')).toContain('1 of 200')
    expect(await frame.textContent('[data-testid="robots-cap-usage"]')).toContain('1 of 200')

    // 6 (Automation). The runs table is named by its caption; the filters are found by their labels.
    await frame.getByRole('table', { name: /Robot runs, newest first/ }).waitFor()
    await frame.getByRole('search', { name: 'Filter runs' }).waitFor()
    const robotFilter = frame.getByLabel('Robot', { exact: true })
    const outcomeFilter = frame.getByLabel('Outcome', { exact: true })
    expect(await frame.getByLabel('Search', { exact: true }).getAttribute('data-testid')).toBe('robot-run-search')
    expect(await robotFilter.getAttribute('data-testid')).toBe('robot-run-filter-robot')
    await outcomeFilter.selectOption('failed')
    await until(async () => (await frame.$$('[data-testid^="robot-run-row-"]')).length === 1 && (await frame.$(failedRow)) !== null, 'only the failed run')
    await frame.click('[data-testid="robot-run-reset"]')
    await until(async () => (await frame.$$('[data-testid^="robot-run-row-"]')).length === 2, 'both runs again')

    // 4. Re-register: the portal gets bizproc.robot.update for each of the four robots.
    const updates = s.portal.callCount('bizproc.robot.update')
    await frame.click('[data-testid="robots-reregister"]')
    await frame.waitForSelector('[data-testid="robots-reregister-result"][data-tone="success"]')
    expect(await frame.textContent('[data-testid="robots-reregister-result"]')).toContain('Robots registered again')
    expect(s.portal.callCount('bizproc.robot.update') - updates).toBe(4)
    expect(await frame.textContent('[data-testid="robots-registered-count"]')).toContain('4 of 4 robots registered')

    // 5. Settings: switch "invite an employee" off (keyboard) and save.
    await frame.click('[data-testid="nav-settings"]')
    await frame.waitForSelector('[data-testid="robot-policy"]')
    const inviteSwitch = frame.getByRole('switch', { name: /invite an employee/i })
    expect(await inviteSwitch.getAttribute('data-testid')).toBe('robot-policy-enabled-invite_employee')
    expect(await inviteSwitch.getAttribute('aria-checked')).toBe('true')
    await inviteSwitch.focus()
    await page.keyboard.press('Space')
    await until(async () => (await inviteSwitch.getAttribute('aria-checked')) === 'false', 'the switch off')
    await frame.click('[data-testid="robot-policy-save"]')
    await frame.waitForSelector('[data-testid="robot-policy-saved"]')
    const saved = await s.a.app.stores.robotSettings.get(s.portal.memberId)
    expect(saved?.enabled).toMatchObject({ invite_employee: false, invite_guest: true, add_to_group: true, wait_acceptance: true })

    // The next call is answered "failed" with the reason, inviting nobody.
    const users = s.portal.users().length
    const offToken = await callRobot({ EMAIL: 'second.hire@example.com', NAME: 'Boris', DEPARTMENT: '1' })
    expect(await replyOf(offToken)).toMatchObject({ STATUS: 'failed', ERROR_TEXT: expect.stringMatching(/switched off/) })
    expect(s.portal.users().length).toBe(users)

    // Back on the Automation page: the robot is off, and the refused run is listed with its reason.
    await openAutomation(frame)
    frame = await appFrameWith(page, '[data-testid="robot-card-invite_employee"][data-enabled="false"]')
    expect(await frame.textContent('[data-testid="robot-enabled-invite_employee"]')).toContain('Off')
    expect(await frame.textContent('[data-testid="robot-note-invite_employee"]')).toContain('Switched off in Settings')
    expect(await frame.getAttribute('[data-testid="robot-card-invite_guest"]', 'data-enabled')).toBe('true')
    await frame.waitForSelector('[data-testid="robots-disabled-note"]')
    const offRun = (await runs()).find((r) => r.id !== invitedRun.id && r.id !== failedRun.id)!
    expect(offRun).toMatchObject({ outcome: 'failed', email: 'second.hire@example.com' })
    const offRow = `[data-testid="robot-run-row-${offRun.id}"]`
    await frame.waitForSelector(offRow)
    expect(await frame.$$('[data-testid^="robot-run-row-"]')).toHaveLength(3)
    expect(await frame.textContent(offRow)).toMatch(/switched off/)
    // The cap still counts only the one invitation.
    expect(await frame.getAttribute('[data-testid="robots-cap"]', 'data-used')).toBe('1')

    expect(pageErrors).toEqual([])
  }), 60_000)
})
