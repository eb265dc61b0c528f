import { chromium, type Browser, type Frame, type Page } from 'playwright-core'

/** Debian's Chromium, headless; browsers cannot be downloaded here, and a missing one fails the suite. */
export const CHROMIUM_PATH = '/usr/bin/chromium'

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

/** The app's frame once it shows `selector`; the portal replaces the iframe when it reloads after install. */
export async function appFrameWith(page: Page, selector: string, timeoutMs = 20_000): Promise<Frame> {
  const end = Date.now() + timeoutMs
  for (;;) {
    for (const f of page.frames()) {
      if (f === page.mainFrame()) continue
      if (await f.$(selector).catch(() => null)) return f
    }
    if (Date.now() > end) throw new Error(`no app frame shows ${selector}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * Records into `into` what the page reports as wrong: uncaught errors, answers ≥ 400 and console errors
 * (the emulated portal page's missing favicon is the fake's, not the app's). Tests assert on it and print it.
 */
export function recordPageErrors(page: Page, into: string[]): void {
  page.on('pageerror', (e) => into.push(`pageerror: ${String(e)}`))
  page.on('response', (r) => {
    if (r.status() >= 400) into.push(`http ${r.status()} ${r.request().method()} ${r.url()}`)
  })
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) into.push(`console: ${m.text()} @ ${m.location().url}`)
  })
}

/**
 * Runs a browser scenario. On failure it keeps a screenshot of each page (/tmp/e2e-<name>[-<page>]-failure.png)
 * and adds what the pages logged, and `more()` when given, to the error: a CI failure then says what the user saw.
 */
export async function reportFailures(
  name: string,
  pages: Page | Record<string, Page>,
  pageErrors: string[] | Record<string, string[]>,
  scenario: () => Promise<void>,
  more?: () => string,
): Promise<void> {
  try {
    await scenario()
  } catch (e) {
    const shots: Array<[string, Page]> = 'screenshot' in pages ? [['', pages as Page]] : Object.entries(pages).map(([who, p]) => [`-${who}`, p])
    for (const [suffix, p] of shots) await p.screenshot({ path: `/tmp/e2e-${name}${suffix}-failure.png`, fullPage: true }).catch(() => {})
    throw new Error(`${(e as Error).message}\npage errors: ${JSON.stringify(pageErrors)}${more?.() ?? ''}`, { cause: e })
  }
}
