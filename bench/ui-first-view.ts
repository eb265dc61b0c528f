/**
 * Issue 9: the UI's first view. What the iframe loads before the Dashboard shows (every script and style of
 * the app's origin fetched from opening the frame until the Dashboard's data is on screen, gzip-compressed as
 * a proxy would send them), and the time from the iframe's navigation start to an interactive Dashboard
 * (its data from the API on screen: the funnel, or the first-visit card of a portal with no invitations yet), in headless Chromium through the emulated portal page. The median of
 * `runs` page loads after the install; the browser cache is disabled, so each load is a first visit.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { chromium } from 'playwright-core'
import { BACKENDS } from '../test/helpers/databases.js'
import { CHROMIUM_PATH } from '../test/helpers/browser.js'
import { CLIENT_DIST, CLIENT_ID, startStack, until } from '../test/helpers/stack.js'

export interface UiFirstViewResult {
  files: Array<{ file: string; kind: 'js' | 'css'; bytes: number; gzip: number }>
  js: { bytes: number; gzip: number }
  css: { bytes: number; gzip: number }
  /** Frame navigation start → Dashboard funnel on screen, ms, per run. */
  interactiveMs: number[]
  medianMs: number
}

export async function measureUiFirstView(opts: { runs: number }): Promise<UiFirstViewResult> {
  const stack = await startStack(BACKENDS.find((b) => b.name === 'sqlite')!, { portal: { lang: 'en' } })
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-gpu'] })
  try {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(stack.portal.frameUrl(CLIENT_ID, { lang: 'en' }))
    await until(async () => (await stack.a.app.stores.portals.get(stack.portal.memberId))?.status === 'installed', 'the install', 30_000)
    const appOrigin = new URL(stack.a.url).origin
    const interactiveMs: number[] = []
    let loaded = new Set<string>()
    for (let run = 0; run < opts.runs + 1; run++) {
      const cdp = await context.newCDPSession(page)
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true })
      const seen = new Set<string>()
      const onResponse = (r: { url(): string }) => {
        const u = new URL(r.url())
        if (u.origin === appOrigin && /\.(js|css)$/.test(u.pathname)) seen.add(u.pathname)
      }
      page.on('response', onResponse)
      await page.goto(stack.portal.frameUrl(CLIENT_ID, { lang: 'en' }))
      const deadline = Date.now() + 30_000
      let ms: number | null = null
      while (ms === null && Date.now() < deadline) {
        for (const f of page.frames()) {
          if (f === page.mainFrame()) continue
          const shown = await f.$('[data-testid="dashboard-funnel"] svg, [data-testid="dashboard-empty"]').catch(() => null)
          if (shown) ms = await f.evaluate(() => performance.now())
        }
        if (ms === null) await new Promise((r) => setTimeout(r, 5))
      }
      page.off('response', onResponse)
      if (ms === null) throw new Error('the Dashboard did not show its data in 30 s')
      // The first load after the install warms the server (the page template, the bundle on disk); it is not counted.
      if (run > 0) interactiveMs.push(ms)
      loaded = seen
    }
    const files = [...loaded].sort().map((p) => {
      const bytes = readFileSync(path.join(CLIENT_DIST, p))
      return { file: p.replace(/^\/assets\//, ''), kind: p.endsWith('.css') ? 'css' as const : 'js' as const, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }
    })
    const sum = (kind: 'js' | 'css') => files.filter((f) => f.kind === kind).reduce((a, f) => ({ bytes: a.bytes + f.bytes, gzip: a.gzip + f.gzip }), { bytes: 0, gzip: 0 })
    const sorted = [...interactiveMs].sort((a, b) => a - b)
    return { files, js: sum('js'), css: sum('css'), interactiveMs, medianMs: sorted[Math.floor(sorted.length / 2)]! }
  } finally {
    await browser.close()
    await stack.close()
  }
}
