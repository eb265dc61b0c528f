/**
 * A join link from end to end in real Chromium. The admin, in the app inside the emulated portal's page,
 * opens Join links, creates a link into an extranet group (cap 5, one allowed domain), and sees its URL and
 * QR code: the QR image as the browser drew it is decoded back to the URL. A visitor opens the public page
 * (a normal tab, outside the portal; Russian by the browser's language), tries an address at another domain
 * (refused, in Russian, with the field marked), then joins. The worker invites them through the engine: the
 * emulator has the user, the link's page counts one join and one invitation, and the ledger lists the
 * invitation with its source "Join link". No page errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Frame, Page } from 'playwright-core'
import { BACKENDS } from '../helpers/databases.js'
import { decodeQrPng } from '../helpers/qr.js'
import { appFrameWith, launchChromium, recordPageErrors, reportFailures } from '../helpers/browser.js'
import { CLIENT_ID, startStack, until, type Stack } from '../helpers/stack.js'

const sqlite = BACKENDS.find((b) => b.name === 'sqlite')!
/** An input by test id, whether the id sits on the <input> or on the component around it. */
const input = (id: string) => `:is(input[data-testid="${id}"], [data-testid="${id}"] input)`

describe('join link in Chromium', () => {
  let s: Stack
  let browser: Browser
  let page: Page
  const pageErrors: string[] = []
  let groupId = 0

  beforeAll(async () => {
    s = await startStack(sqlite, { portal: { lang: 'en' } })
    groupId = s.portal.addGroup({ NAME: 'Conference guests', OWNER_ID: 1, IS_EXTRANET: true }).ID
    browser = await launchChromium()
    page = await browser.newPage()
    page.setDefaultTimeout(10_000)
    recordPageErrors(page, pageErrors)
  }, 30_000)
  afterAll(async () => {
    await browser?.close()
    await s?.close()
  })

  const reported = (scenario: () => Promise<void>) => reportFailures('join-link', page, pageErrors, scenario)

  async function createLink(frame: Frame): Promise<void> {
    await frame.click('[data-testid="nav-links"]')
    await frame.click('[data-testid="join-links-create"]')
    await frame.waitForSelector('[data-testid="join-link-form"]')
    await frame.fill(input('join-link-form-name'), 'Conference 2026')
    await frame.selectOption('[data-testid="join-link-form-kind"]', 'group')
    await frame.selectOption('[data-testid="join-link-form-group"]', String(groupId))
    await frame.fill(input('join-link-form-cap'), '5')
    await frame.fill(input('join-link-form-domains'), 'partner.example')
    await frame.click('[data-testid="join-link-form-submit"]')
    await frame.waitForSelector('[data-testid="join-link-view"]')
  }

  it('creates a link in the app; its QR decodes to the URL; a visitor joins and the ledger shows it', () => reported(async () => {
    await page.goto(s.portal.frameUrl(CLIENT_ID, { lang: 'en' }))
    await until(async () => (await s.a.app.stores.portals.get(s.portal.memberId))?.status === 'installed', 'ONAPPINSTALL', 20_000)
    const frame = await appFrameWith(page, '[data-testid="dashboard-title"]')

    await createLink(frame)
    const linkId = await frame.getAttribute('[data-testid="join-link-view"]', 'data-link-id')
    const stored = (await s.a.app.stores.joinLinks.list(s.portal.memberId, { now: Date.now(), limit: 5, offset: 0 })).rows
    expect(stored.map((l) => [l.id, l.name, l.cap, l.allowedDomains, l.target])).toEqual([[linkId, 'Conference 2026', 5, ['partner.example'], { kind: 'group', id: groupId }]])
    const url = await frame.inputValue(input('join-link-url'))
    expect(url).toBe(`${s.a.url}/join/${stored[0]!.token}`)

    // The QR code as the page shows it: a screenshot of the image, decoded.
    const qr = frame.locator('[data-testid="join-link-qr"]')
    await until(async () => ((await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)) ? true : undefined), 'the QR image to load')
    expect(decodeQrPng(await qr.screenshot())).toBe(url)

    // A visitor opens the public page in their own browser tab, in Russian.
    const visitor = await browser.newContext({ locale: 'ru-RU', extraHTTPHeaders: { 'accept-language': 'ru-RU,ru;q=0.9,en;q=0.5' } })
    const tab = await visitor.newPage()
    const tabErrors: string[] = []
    recordPageErrors(tab, tabErrors)
    await tab.goto(url)
    expect(await tab.textContent('h1')).toBe('Conference 2026')
    expect(await tab.getAttribute('html', 'lang')).toBe('ru')
    expect(await tab.textContent('main')).toContain('только адреса в доменах: partner.example')
    // Labels name every field (what a screen reader announces).
    await tab.getByLabel('Электронная почта').fill('visitor@elsewhere.example')
    await tab.getByLabel('Имя', { exact: true }).fill('Вера')
    await tab.getByLabel('Фамилия (необязательно)').fill('Гостева')
    await tab.click('button[type="submit"]')
    expect(await tab.getAttribute('#email', 'aria-invalid')).toBe('true')
    expect(await tab.textContent('#email-error')).toBe('Эта ссылка не принимает адреса в этом домене.')
    expect(await tab.inputValue('#name')).toBe('Вера')
    await tab.fill('#email', 'vera@partner.example')
    await tab.click('button[type="submit"]')
    expect(await tab.textContent('h1')).toBe('Проверьте почту')
    expect(await tab.textContent('[role="status"]')).toContain('vera@partner.example')
    // The 400 of the refused domain is the page's own answer; nothing else went wrong in the tab.
    expect(tabErrors.filter((e) => !/^http 400 POST |^console: Failed to load resource: the server responded with a status of 400 /.test(e))).toEqual([])

    // The worker invites her through the engine.
    const vera = await until(() => s.portal.users().find((u) => u.EMAIL === 'vera@partner.example'), 'the invitation on the portal', 15_000)
    expect(vera.NAME).toBe('Вера')

    // Back in the app: the link's page counts the join and the invitation.
    await frame.click('[data-testid="nav-links"]')
    await frame.click(`[data-testid="join-link-open-${linkId}"]`)
    await until(async () => (await frame.getAttribute('[data-testid="join-link-funnel"] [data-stage="invited"]', 'data-value').catch(() => null)) === '1' || undefined, 'the invitation in the funnel', 15_000)
      .catch(async (e: unknown) => {
        // The page loaded before the worker finished: load it again.
        await frame.click('[data-testid="nav-links"]')
        await frame.click(`[data-testid="join-link-open-${linkId}"]`)
        await frame.waitForSelector('[data-testid="join-link-funnel"] [data-stage="invited"][data-value="1"]').catch(() => { throw e })
      })
    expect(await frame.getAttribute('[data-testid="join-link-funnel"] [data-stage="joins"]', 'data-value')).toBe('1')
    expect(await frame.getAttribute('[data-testid="join-link-funnel"] [data-stage="views"]', 'data-value')).toBe('1')
    expect(await frame.textContent('[data-testid="join-link-uses"]')).toContain('1')

    // The ledger: the invitation, waiting for acceptance, from the join link.
    await frame.click('[data-testid="nav-invites"]')
    await frame.click('[data-testid="invites-tab-ledger"]')
    const row = frame.locator('[data-testid="ledger-table"] tr[data-state]', { hasText: 'vera@partner.example' })
    await row.waitFor()
    expect(await row.getAttribute('data-state')).toBe('pending')
    expect(await row.textContent()).toContain('Join link')
    expect(pageErrors).toEqual([])
  }), 90_000)
})
