/**
 * Real Chromium through the emulated portal page: the portal installs the app in its iframe (install page →
 * installFinish → ONAPPINSTALL → reload), events get bound, then the portal opens the app and the Dashboard
 * renders in Russian and in English by the portal's LANG.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Frame, Page } from 'playwright-core'
import { BACKENDS } from '../helpers/databases.js'
import { appFrameWith, launchChromium } from '../helpers/browser.js'
import { CLIENT_ID, startStack, until, type Stack } from '../helpers/stack.js'

const sqlite = BACKENDS.find((b) => b.name === 'sqlite')!


describe('install and dashboard in Chromium', () => {
  let s: Stack
  let browser: Browser
  const pageErrors: string[] = []

  beforeAll(async () => {
    s = await startStack(sqlite)
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await s?.close()
  })

  it('installs through the portal iframe and lands on the Dashboard (English)', async () => {
    const page = await browser.newPage()
    page.on('pageerror', (e) => pageErrors.push(String(e)))
    await page.goto(s.portal.frameUrl(CLIENT_ID, { lang: 'en' }))

    // Install view first (the app is not installed yet), then the portal reloads into the app.

    const portal = await until(async () => {
      const p = await s.a.app.stores.portals.get(s.portal.memberId)
      return p?.status === 'installed' ? p : undefined
    }, 'ONAPPINSTALL to arrive', 20_000)
    expect(portal.applicationToken).toBeTruthy()
    expect(s.portal.events().map((e: any) => e.event).sort()).toEqual(['ONAPPINSTALL', 'ONAPPUNINSTALL', 'ONUSERADD'])
    expect(s.portal.appInfo(CLIENT_ID)?.INSTALLED).toBe(true)
    // The portal opened our install page first, and it answered.
    expect(s.logs.some((l) => l.includes('"path":"/install"') && l.includes('"status":200'))).toBe(true)

    const frame = await appFrameWith(page, '[data-testid="dashboard-title"]')
    expect(await frame.textContent('[data-testid="dashboard-title"]')).toContain('Dashboard')
    expect(await frame.getAttribute('html', 'lang')).toBe('en')
    await frame.waitForSelector('[data-testid="stat-invited"]')
    expect(await frame.textContent('[data-testid="nav-settings"]')).toContain('Settings')
    await page.screenshot({ path: '/tmp/e2e-dashboard-en.png' })

    // The shell saw the documented frame protocol.
    const commands: string[] = await page.evaluate(() => ((window as any).__shellMessages ?? []).map((m: any) => m.command ?? m.method ?? String(m)))
    expect(commands.join(' ')).toContain('setInstallFinish')
    expect(pageErrors).toEqual([])
    await page.close()
  })

  it('opens the installed app in Russian when the portal language is ru', async () => {
    const page = await browser.newPage()
    page.on('pageerror', (e) => pageErrors.push(String(e)))
    await page.goto(s.portal.frameUrl(CLIENT_ID, { lang: 'ru' }))
    const frame = await appFrameWith(page, '[data-testid="dashboard-title"]')
    expect(await frame.textContent('[data-testid="dashboard-title"]')).toContain('Обзор')
    expect(await frame.getAttribute('html', 'lang')).toBe('ru')
    expect(await frame.textContent('[data-testid="nav-settings"]')).toContain('Настройки')

    // Keyboard: the navigation is reachable and operable without a mouse.
    await frame.focus('[data-testid="nav-settings"]')
    await page.keyboard.press('Enter')
    await frame.waitForFunction(() => document.querySelector('h1')?.textContent?.includes('Настройки'), undefined, { timeout: 10_000 })
    await page.screenshot({ path: '/tmp/e2e-settings-ru.png' })
    expect(pageErrors).toEqual([])
    await page.close()
  })
})
