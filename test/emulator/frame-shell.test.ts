/**
 * The portal shell in headless Chromium, with the real b24jssdk (UMD build) inside a cross-origin app
 * frame (app on http://localhost, portal on http://127.0.0.1): sdk-facts §5.2's protocol, the installer
 * flow of installation-finish.md (setInstallFinish → ONAPPINSTALL → main page), refreshAuth on
 * expired_token, and a few UI commands. Skipped when no Chromium is installed.
 */
import { createRequire } from 'node:module'
import express from 'express'
import { chromium, type Browser, type Frame, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listen, type Listening } from './http-util.js'
import { APP, emulator, rest } from './test-kit.js'
import type { Emulator, PortalHandle } from './index.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const require = createRequire(import.meta.url)
const SDK_UMD = require.resolve('@bitrix24/b24jssdk').replace(/dist\/(esm|cjs)\/index\.(mjs|cjs)$/, 'dist/umd/index.min.js')

/** One page for both app URLs; it behaves by `$b24.isInstallMode`. */
const APP_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>app</title><script src="/sdk.js"></script></head>
<body><div id="out">loading</div><script>
(async () => {
  const d = B24Js.ParamsFactory.getDefault();
  const restrictionParams = { ...d, rateLimit: { burstLimit: 10000, drainRate: 10000, adaptiveEnabled: false }, adaptiveConfig: { ...d.adaptiveConfig, enabled: false }, maxRetries: 1, retryDelay: 10 };
  const $b24 = await B24Js.initializeB24Frame({ restrictionParams });
  window.$b24 = $b24;
  const state = { install: $b24.isInstallMode, firstRun: $b24.isFirstRun, placement: $b24.placement.placement, options: $b24.placement.options, lang: $b24.getLang(), isAdmin: $b24.auth.isAdmin };
  window.__app = state;
  if ($b24.isInstallMode) {
    const r = await $b24.actions.v2.call.make({ method: 'event.bind', params: { event: 'ONAPPINSTALL', handler: location.origin + '/events' } });
    state.bound = r.getData().result;
    document.getElementById('out').textContent = 'installing';
    state.ready = true;
    await $b24.installFinish();
    return;
  }
  const me = await $b24.actions.v2.call.make({ method: 'user.current' });
  state.me = me.getData().result.ID;
  await $b24.parent.setTitle('Invite Desk');
  await $b24.parent.resizeWindow(640, 480);
  state.selected = await $b24.dialog.selectUser();
  document.getElementById('out').textContent = 'ready';
  state.ready = true;
})().catch((e) => { window.__appError = String(e && e.message || e); });
</script></body></html>`

let emu: Emulator
let portal: PortalHandle
let appServer: Listening
let browser: Browser
const installEvents: Array<Record<string, unknown>> = []

describe('portal shell in Chromium', () => {
  beforeAll(async () => {
    emu = await emulator()
    const app = express()
    app.get('/sdk.js', (_req, res) => res.sendFile(SDK_UMD))
    // Bitrix24 opens app pages with a form POST (simple-way.md), so both verbs serve the page.
    app.all(['/app', '/install'], (_req, res) => res.type('html').send(APP_PAGE))
    app.post('/events', express.urlencoded({ extended: true }), (req, res) => {
      installEvents.push(req.body as Record<string, unknown>)
      res.send('ok')
    })
    appServer = await listen(app)
    const appOrigin = `http://localhost:${appServer.port}`
    portal = await emu.createPortal()
    portal.registerApp(APP.clientId, { handlerUrl: `${appOrigin}/app`, installUrl: `${appOrigin}/install` })
    portal.addUser({ NAME: 'Picked', LAST_NAME: 'Person', EMAIL: 'picked@example.com', WORK_POSITION: 'Lead' })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
  })
  afterAll(async () => {
    await browser?.close()
    await appServer?.close()
    await emu?.close()
  })

  const appFrame = async (page: Page): Promise<Frame> => {
    const handle = await page.waitForSelector('#appframe')
    const frame = await handle.contentFrame()
    if (!frame) throw new Error('no app frame')
    return frame
  }
  const commands = (page: Page) => page.evaluate(() => (window as unknown as { __shellMessages: Array<{ command: string; params: unknown }> }).__shellMessages)

  it('runs the installer, finishes the installation, then opens the main page', async () => {
    const page = await browser.newPage()
    await page.goto(`${portal.origin}/app/${APP.clientId}?user=1`)
    await page.waitForFunction(() => document.getElementById('shell-log')?.textContent?.includes('installation finished'), undefined, { timeout: 15_000 })
    // After the reload the frame holds the main page.
    const frame = await appFrame(page)
    await frame.waitForFunction(() => (window as unknown as { __app?: { ready?: boolean } }).__app?.ready === true || (window as unknown as { __appError?: string }).__appError, undefined, { timeout: 15_000 })
    expect(await frame.evaluate(() => (window as unknown as { __appError?: string }).__appError)).toBeUndefined()
    const state = await frame.evaluate(() => (window as unknown as { __app: Record<string, unknown> }).__app)
    expect(state).toMatchObject({ install: false, firstRun: false, placement: 'DEFAULT', me: '1', isAdmin: true, lang: 'en' })
    expect(state.selected).toMatchObject({ name: 'Picked Person', position: 'Lead', sub: false, sup: false })
    expect(new URL(frame.url()).pathname).toBe('/app')

    const sent = (await commands(page)).map((m) => m.command)
    expect(sent.slice(0, 3)).toEqual(['getInitData', 'setInstall', 'setInstallFinish'])
    expect(sent.slice(3)).toEqual(['getInitData', 'setTitle', 'resizeWindow', 'selectUser'])
    expect((await commands(page))[4]?.params).toEqual({ title: 'Invite Desk' })
    expect(await page.title()).toBe('Invite Desk')

    // ONAPPINSTALL reached the handler bound by the installer, with the install's application_token.
    expect(installEvents).toHaveLength(1)
    expect(installEvents[0]).toMatchObject({ event: 'ONAPPINSTALL', data: { INSTALLED: 'Y' }, auth: { member_id: portal.memberId } })
    const admin = portal.issueTokens(APP.clientId, 1).access_token
    expect(((await rest(portal, 'app.info', {}, admin)).body.result as Record<string, unknown>).INSTALLED).toBe(true)

    // The frame's REST calls went straight to the portal origin, with CORS.
    const fromFrame = portal.requests().filter((r) => r.restMethod === 'user.current')
    expect(fromFrame.at(-1)).toMatchObject({ status: 200, userId: 1 })

    // expired_token inside the frame: the SDK asks the parent with refreshAuth and retries.
    portal.expireAccessTokens()
    const profile = await frame.evaluate(async () => {
      const r = await (window as unknown as { $b24: { actions: { v2: { call: { make(o: unknown): Promise<{ getData(): { result: { ID: string } } }> } } } } }).$b24.actions.v2.call.make({ method: 'profile' })
      return r.getData().result.ID
    })
    expect(profile).toBe('1')
    expect((await commands(page)).map((m) => m.command)).toContain('refreshAuth')
    const statuses = portal.requests().filter((r) => r.restMethod === 'profile').slice(-2).map((r) => r.status)
    expect(statuses).toEqual([401, 200])
    await page.close()
  })

  it('opens a bound placement with its options; a non-admin sees the notice while the app is installing', async () => {
    const admin = portal.issueTokens(APP.clientId, 1).access_token
    const handler = `http://localhost:${appServer.port}/app`
    expect((await rest(portal, 'placement.bind', { PLACEMENT: 'USER_PROFILE_TOOLBAR', HANDLER: `${handler}?widget=1`, TITLE: 'Invite' }, admin)).body.result).toBe(true)
    const page = await browser.newPage()
    const options = encodeURIComponent(JSON.stringify({ USER_ID: '2', URI: '/company/personal/user/2/' }))
    await page.goto(`${portal.origin}/app/${APP.clientId}?user=1&placement=USER_PROFILE_TOOLBAR&options=${options}`)
    const frame = await appFrame(page)
    await frame.waitForFunction(() => (window as unknown as { __app?: { ready?: boolean } }).__app?.ready === true, undefined, { timeout: 15_000 })
    expect(await frame.evaluate(() => (window as unknown as { __app: Record<string, unknown> }).__app)).toMatchObject({ placement: 'USER_PROFILE_TOOLBAR', options: { USER_ID: '2' } })
    expect(new URL(frame.url()).searchParams.get('widget')).toBe('1')
    await page.close()

    const other = await emu.createPortal()
    other.registerApp(APP.clientId, { handlerUrl: handler, installUrl: handler })
    other.beginInstall(APP.clientId)
    const plain = other.addUser({ EMAIL: 'plain@example.com' })
    const p2 = await browser.newPage()
    await p2.goto(`${other.origin}/app/${APP.clientId}?user=${plain.ID}`)
    expect(await p2.textContent('#shell-notice')).toContain('The application is not fully installed yet')
    await p2.close()
  })
})
