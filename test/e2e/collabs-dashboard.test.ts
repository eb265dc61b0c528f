/**
 * The Collabs dashboard in real Chromium, inside the emulated portal's page, on a portal seeded with collabs and
 * guests in every state: the first visit syncs, the cards show what the portal holds, the guest list filtered to
 * inactive guests shows exactly those, the CSV export holds the same rows, and an admin starts an access review
 * whose owner-sponsors are notified by the portal; the review opens with its guests. The page logs no errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Download, Frame, Page } from 'playwright-core'
import { collabTruth, seedCollabs } from '../emulator/index.js'
import { BACKENDS } from '../helpers/databases.js'
import { appFrameWith, launchChromium, recordPageErrors, reportFailures } from '../helpers/browser.js'
import { CLIENT_ID, startStack, until, type Stack } from '../helpers/stack.js'

const sqlite = BACKENDS.find((b) => b.name === 'sqlite')!

async function downloadText(d: Download): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of (await d.createReadStream())!) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

describe('collabs dashboard in Chromium', () => {
  let s: Stack
  let browser: Browser
  let page: Page
  const pageErrors: string[] = []

  beforeAll(async () => {
    s = await startStack(sqlite, { portal: { lang: 'en' } })
    seedCollabs(s.portal, { collabs: 12, guests: 160, seed: 5 })
    browser = await launchChromium()
    page = await browser.newPage({ acceptDownloads: true })
    page.setDefaultTimeout(15_000)
    recordPageErrors(page, pageErrors)
  }, 30_000)
  afterAll(async () => {
    await browser?.close()
    await s?.close()
  })

  const reported = (scenario: () => Promise<void>) => reportFailures('collabs', page, pageErrors, scenario)

  async function openApp(): Promise<Frame> {
    await page.goto(s.portal.frameUrl(CLIENT_ID, { lang: 'en' }))
    await until(async () => (await s.a.app.stores.portals.get(s.portal.memberId))?.status === 'installed', 'ONAPPINSTALL', 20_000)
    return appFrameWith(page, '[data-testid="dashboard-title"]')
  }

  const statValue = async (frame: Frame, key: string) => Number(await frame.getAttribute(`[data-testid="collab-stat-${key}"]`, 'data-value'))

  it('syncs on the first visit, filters to inactive guests, exports them and starts an access review', () => reported(async () => {
    let frame = await openApp()
    await frame.click('[data-testid="nav-collabs"]')
    frame = await appFrameWith(page, '[data-testid="collabs-title"]')
    const truth = collabTruth(s.portal)
    // The first visit starts the sync; the cards fill in when it lands.
    await until(async () => (await frame.getAttribute('[data-testid="collab-stat-guests"]', 'data-value').catch(() => null)) === String(truth.total.guests), 'cards after the first sync', 30_000)
    expect(await statValue(frame, 'invited')).toBe(truth.total.invited)
    expect(await statValue(frame, 'active')).toBe(truth.total.active)
    expect(await statValue(frame, 'inactive')).toBe(truth.total.inactive)
    expect(await statValue(frame, 'deactivated')).toBe(truth.total.deactivated)
    expect(await statValue(frame, 'people')).toBe(truth.people)
    await frame.waitForSelector('[data-testid="collabs-funnel"]')
    await frame.waitForSelector('[data-testid="collabs-chart-history"]')

    // The guest list, filtered to inactive guests: exactly the portal's inactive ones.
    await frame.click('[data-testid="collabs-tab-guests"]')
    await frame.waitForSelector('[data-testid="guest-filter-state"]')
    await frame.selectOption('[data-testid="guest-filter-state"]', 'inactive')
    const inactive = truth.pairs.filter((p) => p.state === 'inactive')
    await until(async () => (await frame.$$('[data-testid^="guest-row-"]')).length > 0
      && (await frame.$$eval('[data-testid^="guest-row-"]', (rows) => rows.every((r) => r.getAttribute('data-state') === 'inactive'))), 'inactive rows only')
    expect(await frame.textContent('[data-testid="guest-total"]')).toContain(String(inactive.length))
    const first = inactive[0]!
    expect(await frame.$(`[data-testid="guest-row-${first.collabId}-${first.userId}"]`).then((r) => r !== null || inactive.length > 50)).toBe(true)

    const [csv] = await Promise.all([page.waitForEvent('download'), frame.click('[data-testid="guest-export-csv"]')])
    const lines = (await downloadText(csv)).replace(/^\uFEFF/, '').trim().split('\r\n')
    expect(lines[0]).toContain('Guest')
    expect(lines).toHaveLength(inactive.length + 1)
    for (const line of lines.slice(1)) expect(line).toContain(',inactive,')

    // An access review of every collab; owners answer for guests nobody recorded inviting, and are told.
    await frame.click('[data-testid="collabs-tab-reviews"]')
    await frame.click('[data-testid="review-start"]')
    await frame.waitForSelector('[data-testid="review-start-form"]')
    const notesBefore = s.portal.notifications().length
    await frame.click('[data-testid="review-start-submit"]')
    // Starting a review opens it.
    await frame.waitForSelector('[data-testid="collab-review-view"]')
    const review = (await s.a.app.stores.reviews.list(s.portal.memberId, 5))[0]!
    expect(review.status).toBe('open')
    const items = await s.a.app.stores.reviews.items(s.portal.memberId, review.id)
    expect(items).toHaveLength(truth.pairs.filter((p) => p.state !== 'deactivated').length)
    const owners = new Set(items.map((i) => i.sponsorId))
    const notified = s.portal.notifications().slice(notesBefore)
    expect(new Set(notified.map((n) => n.userId))).toEqual(owners)

    // The review shows its guests, each with Keep and End; the list of reviews has it.
    const item = items[0]!
    await frame.waitForSelector(`[data-testid="review-item-${item.id}"]`)
    await frame.click(`[data-testid="review-keep-${item.id}"]`)
    await until(async () => (await frame.getAttribute(`[data-testid="review-item-${item.id}"]`, 'data-decision')) === 'keep', 'kept')
    expect((await s.a.app.stores.reviews.item(s.portal.memberId, review.id, item.id))!.decision).toBe('keep')
    await frame.click('[data-testid="review-back"]')
    await frame.waitForSelector(`[data-testid="review-open-${review.id}"]`)
    expect(pageErrors).toEqual([])
  }), 120_000)
})
