/**
 * Script payloads in names, templates and file cells, rendered by the UI in real Chromium: nothing executes.
 *
 * Every place the UI shows text that came from outside the app's own code gets a hostile value: the portal's
 * names (the viewing admin, an employee, a department, a workgroup, an extranet group and its members, a collab
 * and its guest, a CRM contact), the app's stored data created through the real HTTP API (message templates, an
 * onboarding kit, join links and what visitors typed on the public page, robot calls from a CRM workflow), and an
 * uploaded file (its name, header and cells, through the wizard in the browser). Each payload calls
 * `window.__xss(n)` with its own number; the test defines that in every frame and wires it back to itself.
 *
 * The browser context bypasses the app's Content-Security-Policy on purpose: the CSP would block inline handlers
 * on its own, and this file proves that the rendering alone (Vue's text interpolation, the server's HTML escaping,
 * the boot JSON) keeps them inert. For each view it asserts that the value shows literally (so the test fails
 * when a view stops rendering it), that nothing ran (no __xss call, no dialog, no page error), and that no
 * injected element exists in any frame (no on* attribute, no javascript: URL, no srcdoc, no <img src=x>, no
 * runnable script naming the probe). A first test shows the probe catches a payload that does get in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core'
import { BACKENDS } from '../helpers/databases.js'
import { appFrameWith, launchChromium, recordPageErrors } from '../helpers/browser.js'
import { csv, finished, installedAdmin, sendList, sessionApi, startTestStack, waitForJob, type Api } from '../helpers/api.js'
import { CLIENT_ID, openApp, postForm, until, type Stack } from '../helpers/stack.js'
import type { PortalGroup, PortalUser } from '../emulator/portal.js'

const sqlite = BACKENDS.find((b) => b.name === 'sqlite')!

/** The payloads; each calls window.__xss with its own number if it ever runs. */
const P = {
  img: '<img src=x onerror="window.__xss(1)">',
  script: '<script>window.__xss(2)</script>',
  svg: '"><svg onload=window.__xss(3)>',
  js: 'javascript:window.__xss(4)',
  vue: "{{ constructor.constructor('window.__xss(5)')() }}",
  a: '<a href="javascript:window.__xss(6)">x</a>',
  iframe: '<iframe srcdoc="<script>parent.__xss(7)</script>">',
} as const

/**
 * What an injection leaves in a document: inline handlers, script URLs, srcdoc frames, a runnable script that
 * names the probe, or the <img src=x> itself. Vue sets no on* attributes (it adds listeners), so any is foreign.
 * Runs in the page.
 */
function scanForInjection(): string[] {
  const found: string[] = []
  for (const el of Array.from(document.querySelectorAll('*'))) {
    for (const a of Array.from(el.attributes)) {
      const name = a.name.toLowerCase()
      if (name.startsWith('on')) found.push(`<${el.localName} ${name}="${a.value}">`)
      if (name === 'srcdoc') found.push(`<${el.localName} srcdoc>`)
      if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data'].includes(name) && /^\s*javascript:/i.test(a.value)) found.push(`<${el.localName} ${name}="${a.value}">`)
    }
    // The boot JSON (type application/json) holds the viewer's name as data; a script that can run may not.
    const type = el.getAttribute('type')?.trim().toLowerCase() ?? ''
    const runnable = type === '' || type === 'module' || /^(text|application)\/(java|ecma)script$/.test(type)
    if (el.localName === 'script' && runnable && (el.textContent ?? '').includes('__xss')) found.push('<script>…__xss…</script>')
    if (el.localName === 'img' && el.getAttribute('src') === 'x') found.push('<img src=x>')
  }
  return found
}

describe('script payloads in names, templates and file cells rendered by the UI in Chromium (nothing executes)', () => {
  let s: Stack
  let api: Api
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let frame: Frame
  /** Every __xss(n) call from any frame of any page, with the frame's URL. */
  const hits: string[] = []
  const dialogs: string[] = []
  const pageErrors: string[] = []
  /** Failed answers the test provokes on purpose (the refused join in the browser). */
  const expectedErrors: RegExp[] = []

  let viewer: PortalUser
  let department: { ID: number }
  let extranetGroup: PortalGroup
  let collab: PortalGroup
  let employeeTemplate: { id: string }
  let guestTemplate: { id: string }
  let groupLink: { id: string; url: string }
  let approvalLink: { id: string; url: string }

  /** A page of the shared context; the probe is wired into every frame by the context. */
  async function probedPage(): Promise<Page> {
    const p = await context.newPage()
    p.setDefaultTimeout(10_000)
    p.on('dialog', (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`)
      void d.dismiss().catch(() => {})
    })
    recordPageErrors(p, pageErrors)
    return p
  }

  /** Runs a scenario; on failure, keeps a screenshot of every open page and says what was seen. */
  async function reported(name: string, scenario: () => Promise<void>): Promise<void> {
    try {
      await scenario()
    } catch (e) {
      for (const [i, p] of context.pages().entries()) await p.screenshot({ path: `/tmp/xss-${name}-failure-${i}.png`, fullPage: true }).catch(() => {})
      throw new Error(`${(e as Error).message}\nhits: ${JSON.stringify(hits)}\ndialogs: ${JSON.stringify(dialogs)}\npage errors: ${JSON.stringify(pageErrors)}`, { cause: e })
    }
  }

  /** `scope` shows every text in `texts` literally (waits: views load asynchronously). */
  async function showsLiterally(f: Frame | Page, scope: string, texts: readonly string[], what: string): Promise<void> {
    const loc = f.locator(scope).first()
    await loc.waitFor({ state: 'attached' })
    for (const text of texts) {
      await until(async () => ((await loc.textContent()) ?? '').includes(text) || undefined, `${what} to show ${JSON.stringify(text)}`)
    }
  }

  /** Nothing ran and nothing was injected, in any frame of any open page. */
  async function nothingExecuted(what: string): Promise<void> {
    // Handlers of an injected <img>/<svg> fire just after insertion: give them a moment to report.
    await new Promise((r) => setTimeout(r, 150))
    const injected: string[] = []
    for (const p of context.pages()) {
      for (const f of p.frames()) {
        const found = await f.evaluate(scanForInjection).catch(() => [] as string[])
        injected.push(...found.map((x) => `${f.url()}: ${x}`))
      }
    }
    expect(injected, `${what}: injected elements`).toEqual([])
    expect(hits, `${what}: payloads that ran`).toEqual([])
    expect(dialogs, `${what}: dialogs`).toEqual([])
    expect(pageErrors.filter((e) => !expectedErrors.some((x) => x.test(e))), `${what}: page errors`).toEqual([])
  }

  async function nav(section: string, ready: string): Promise<void> {
    await frame.click(`[data-testid="nav-${section}"]`)
    await frame.waitForSelector(ready)
  }

  beforeAll(async () => {
    s = await startTestStack(sqlite, { portal: { lang: 'en' } })
    const p = s.portal

    // The portal's own names.
    department = p.addDepartment({ NAME: P.img, PARENT: 1 })
    viewer = p.addUser({ NAME: P.a, LAST_NAME: P.svg, EMAIL: 'viewer@example.test', ADMIN: true, UF_DEPARTMENT: [1] })
    const employee = p.addUser({ NAME: P.vue, LAST_NAME: P.js, EMAIL: 'employee@example.test', UF_DEPARTMENT: [department.ID] })
    p.addGroup({ NAME: P.script, OWNER_ID: 1 })
    extranetGroup = p.addGroup({ NAME: P.svg, OWNER_ID: viewer.ID, IS_EXTRANET: true, members: [employee.ID] })
    collab = p.addGroup({ NAME: P.iframe, OWNER_ID: employee.ID, TYPE: 'collab' })
    p.inviteGuestToCollab(collab.ID, { email: 'collab.guest@partner.example', name: P.img, lastName: P.a })

    await installedAdmin(s)
    // Everything below is the viewing admin's: their name comes back as author, inviter and sponsor.
    api = await sessionApi(s, viewer.ID)

    // Message templates: names and texts.
    const created = await api.post('/api/templates', {
      name: P.script, kind: 'intranet', texts: { en: `Hello {name}, from {inviter}. ${P.iframe} ${P.vue}`, ru: '' },
      defaultLang: 'en', departmentId: department.ID, groupIds: [], reminderDays: [3], expireAfterDays: 14,
    })
    expect(created.status, created.text).toBe(201)
    employeeTemplate = created.body.template
    const guestCreated = await api.post('/api/templates', {
      name: P.a, kind: 'extranet', texts: { en: `${P.img} ${P.js}`, ru: P.svg },
      defaultLang: 'en', departmentId: null, groupIds: [], reminderDays: [], expireAfterDays: null,
    })
    expect(guestCreated.status, guestCreated.text).toBe(201)
    guestTemplate = guestCreated.body.template

    // The extranet group's onboarding kit.
    const kit = await api.put(`/api/extranet/groups/${extranetGroup.ID}/kit`, {
      inviteTemplateId: guestTemplate.id, welcomeText: { en: `Welcome {name}! ${P.a}`, ru: P.img }, postToFeed: true, postToChat: false,
      starterTask: { title: P.script, description: P.iframe, deadlineDays: 3 }, sponsorId: null, accessDays: 30, noticeDays: 7, offboarding: 'confirm',
    })
    expect(kit.status, kit.text).toBe(200)

    // Guests sent into the extranet group from a file: the dashboard's send, the ledger, the group's guests.
    const people = csv([['E-mail', 'Name', 'Last name'], ['guest.one@partner.example', P.vue, P.iframe], ['guest.two@partner.example', P.js, P.img]])
    const jobId = await sendList(api, people, `${P.svg}.csv`, {
      templateId: guestTemplate.id, defaults: { kind: 'extranet', departmentId: null, groupIds: [extranetGroup.ID] },
    })
    await waitForJob(api, jobId, finished, 'the guests sent')

    // Join links, and what visitors typed on the public page.
    const link = async (body: Record<string, unknown>) => {
      const r = await api.post('/api/join-links', { templateId: null, expiresOn: null, cap: null, allowedDomains: [], ...body })
      expect(r.status, r.text).toBe(201)
      return r.body as { id: string; url: string }
    }
    groupLink = await link({ name: P.svg, target: { kind: 'group', id: extranetGroup.ID }, approval: false })
    approvalLink = await link({ name: P.a, target: { kind: 'department', id: department.ID }, approval: true })
    for (const [l, email] of [[groupLink, 'joiner@partner.example'], [approvalLink, 'asker@partner.example']] as const) {
      const joined = await postForm(l.url, { email, name: P.vue, last_name: P.js, lang: 'en' })
      expect(joined.status, joined.text.slice(0, 300)).toBe(200)
    }
    // The page refuses markup in a name with a clear 400 that names the field (and echoes nothing raw).
    const refused = await postForm(groupLink.url, { email: 'markup@partner.example', name: P.img, last_name: '', lang: 'en' })
    expect(refused.status).toBe(400)
    expect(refused.text).toContain('The first name may not contain links, @, &lt; or &gt;.')
    expect(refused.text).not.toContain(P.img)

    // A CRM workflow calls a robot with hostile values: an address that is none, a template that does not exist.
    for (const properties of [{ EMAIL: P.img, NAME: P.vue }, { EMAIL: 'robot.hire@example.test', NAME: P.a, TEMPLATE: P.iframe }]) {
      const d = await p.callRobot('invite_employee', { documentId: ['crm', 'CCrmDocumentDeal', `DEAL_${P.svg}`], properties })
      expect(d.status, d.error).toBe(200)
    }
    await until(async () => (await s.a.app.stores.robotRuns.list(p.memberId, {}, { limit: 10, offset: 0 })).rows.filter((r) => r.outcome !== null).length === 2 || undefined, 'both robot runs decided', 15_000)

    browser = await launchChromium()
    // The CSP would stop inline handlers on its own; bypassing it leaves the escaping as the only defence.
    context = await browser.newContext({ bypassCSP: true })
    await context.exposeBinding('__xssHit', ({ frame: f }, n: unknown) => {
      hits.push(`__xss(${String(n)}) in ${f?.url() ?? '?'}`)
    })
    await context.addInitScript(() => {
      const w = window as unknown as { __xss: (n: unknown) => void; __xssHit: (n: unknown) => void }
      w.__xss = (n) => w.__xssHit(n)
    })
    page = await probedPage()
    await page.goto(p.frameUrl(CLIENT_ID, { userId: viewer.ID, lang: 'en' }))
    frame = await appFrameWith(page, '[data-testid="dashboard-title"]')
  }, 60_000)

  afterAll(async () => {
    await context?.close()
    await browser?.close()
    await s?.close()
  })

  it('the probe itself works: a payload that does get into a frame is seen', () => reported('probe', async () => {
    // A control with the same wiring: markup inserted as HTML runs, and both the call and the scan catch it.
    await frame.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<img id="xss-control" src="data:image/png;base64,AAAA" onerror="window.__xss(0)">'))
    await until(() => hits.length > 0 || undefined, 'the control payload to report')
    expect(hits).toEqual([expect.stringMatching(/^__xss\(0\) in http:\/\/localhost:\d+\/app/)])
    expect(await frame.evaluate(scanForInjection)).toContain('<img onerror="window.__xss(0)">')
    await frame.evaluate(() => document.getElementById('xss-control')?.remove())
    hits.length = 0
  }))

  it('portal names show as text: the viewer in the shell, and a file name as a send on the dashboard', () => reported('dashboard', async () => {
    await showsLiterally(frame, '[data-testid="shell-user"]', [`${P.a} ${P.svg}`], 'the shell')
    await showsLiterally(frame, '[data-testid="recent-jobs"]', [`${P.svg}.csv`], 'the recent sends')
    await nothingExecuted('dashboard')
    // Outside this test the page's CSP is a second wall: no inline script at all.
    const opened = await openApp(s, { userId: viewer.ID })
    expect(opened.headers.get('content-security-policy')).toContain("script-src 'self';")
  }))

  it('file name, header and cells show as text through the wizard, its dry run and problems, the send, the ledger and the details', () => reported('wizard', async () => {
    const fileName = `${P.iframe}.csv`
    const file = csv([
      ['E-mail', 'Name', 'Last name', 'Position', 'Department', 'Groups', P.script],
      ['new.hire@example.test', P.img, P.a, P.iframe, String(department.ID), P.script, P.js],
      [P.svg, P.vue, P.js, P.a, P.img, '', P.vue],
    ])
    await nav('invites', '[data-testid="invite-wizard"]')
    await frame.setInputFiles('[data-testid="wizard-file-input"]', { name: fileName, mimeType: 'text/csv', buffer: Buffer.from(file) })
    await showsLiterally(frame, '[data-testid="wizard-file"]', [`${fileName}: 2 rows read`], 'the uploaded file')
    await nothingExecuted('wizard: source')
    // By keyboard: the frame grows as the file's status appears, and a click aimed before that can miss.
    await frame.focus('[data-testid="wizard-next"]')
    await page.keyboard.press('Enter')

    // Check: the file's name, its header and its cells.
    await frame.waitForSelector('[data-testid="preview-table"]')
    await showsLiterally(frame, '[data-testid="detected-source"]', [fileName], 'the detected source')
    await showsLiterally(frame, '[data-testid="preview-table"]', [P.script, P.img, P.a, P.iframe, P.js, P.svg, P.vue], 'the preview table')
    await nothingExecuted('wizard: check')
    await frame.click('[data-testid="wizard-next"]')

    // Columns: the header's names.
    await frame.waitForSelector('[data-testid="mapping-table"]')
    await showsLiterally(frame, '[data-testid="mapping-table"]', [P.script, P.img], 'the mapping table')
    await nothingExecuted('wizard: columns')
    await frame.click('[data-testid="wizard-next"]')

    // Target: the template by its name, its text filled for the first row (the row's name, the viewer's name).
    const templateOption = `[data-testid="target-template"] option[value="${employeeTemplate.id}"]`
    await frame.waitForSelector(templateOption, { state: 'attached' })
    expect(await frame.textContent(templateOption)).toContain(P.script)
    await frame.selectOption('[data-testid="target-template"]', employeeTemplate.id)
    await showsLiterally(frame, '[data-testid="target-template-text"]', [`Hello ${P.img}, from ${P.a} ${P.svg}. ${P.iframe} ${P.vue}`], 'the template text for row 2')
    // The pickers list the department by its path and the workgroup by its name.
    await frame.getByRole('button', { name: `Department: Company / ${P.img}`, exact: true }).click()
    await frame.getByRole('option', { name: `Company / ${P.img}`, exact: true }).waitFor()
    await nothingExecuted('wizard: target, department picker open')
    await page.keyboard.press('Escape')
    await frame.getByRole('button', { name: 'Workgroups: Choose workgroups', exact: true }).click()
    await frame.getByRole('option', { name: P.script, exact: true }).waitFor()
    await nothingExecuted('wizard: target, group picker open')
    await page.keyboard.press('Escape')
    await frame.click('[data-testid="wizard-next"]')

    // Dry run: the cells, the department's path, the group, and the problems quoting what the file said. Row 3's
    // department cell is the department's name, which holds a path separator (">"): still found, shown by its path.
    await frame.waitForSelector('[data-testid="dry-run-table"]')
    await showsLiterally(frame, '[data-testid="dry-run-row-2"]', [`${P.img} ${P.a}`, P.iframe, `Company / ${P.img}`, P.script], 'row 2')
    expect(await frame.getAttribute('[data-testid="dry-run-row-2"]', 'data-status')).toBe('ready')
    await showsLiterally(frame, '[data-testid="dry-run-row-3"]', [`«${P.svg}»`, `${P.vue} ${P.js}`, P.a, `Company / ${P.img}`], 'row 3')
    expect(await frame.getAttribute('[data-testid="dry-run-row-3"]', 'data-status')).toBe('error')
    await nothingExecuted('wizard: dry run')

    // The row editor holds the cells as values.
    await frame.click('[data-testid="row-edit-3"]')
    await frame.waitForSelector('[data-testid="row-editor"]')
    expect(await frame.inputValue('#row-3-email')).toBe(P.svg)
    await nothingExecuted('wizard: row editor')
    await page.keyboard.press('Escape')

    // Leave the bad row out and send the other.
    await frame.click('[data-testid="row-exclude-3"]')
    await frame.waitForFunction(() => document.querySelector('[data-testid="dry-run-row-3"]')?.getAttribute('data-status') === 'excluded')
    await frame.click('[data-testid="send-button"]')
    await frame.waitForSelector('[data-testid="job-status"][data-status="completed"]', { timeout: 20_000 })
    await showsLiterally(frame, '[data-testid="sending-step"]', [fileName], 'the send\'s title')
    await frame.waitForSelector('[data-testid="job-item-1"]')
    await nothingExecuted('wizard: sending and results')

    // The ledger: names, the templates' names, and the template filter's options.
    await frame.click('[data-testid="open-ledger"]')
    const row = frame.locator('[data-testid="ledger-table"] tr[data-state]', { hasText: 'new.hire@example.test' })
    await row.waitFor()
    await showsLiterally(frame, '[data-testid="ledger-table"]', [`${P.img} ${P.a}`, P.script, `${P.vue} ${P.iframe}`, `${P.js} ${P.img}`, P.a], 'the ledger')
    expect(await frame.textContent('[data-testid="ledger-filter-template"]')).toContain(P.script)
    await row.locator('[data-testid^="ledger-open-"]').click()
    await showsLiterally(frame, '[data-testid="invitation-details"]', [P.script], 'the invitation\'s details')
    await frame.waitForSelector('[data-testid="invitation-history"]')
    await nothingExecuted('ledger and details')

    // What the portal got: the cells as they were.
    const hire = s.portal.users().find((u) => u.EMAIL === 'new.hire@example.test')
    expect([hire?.NAME, hire?.LAST_NAME]).toEqual([P.img, P.a])
  }), 60_000)

  it('message templates show their names and texts as text, in the library and in the editor\'s preview', () => reported('templates', async () => {
    await nav('templates', '[data-testid="template-list"]')
    await showsLiterally(frame, `[data-testid="template-${employeeTemplate.id}"]`, [P.script, `Hello {name}, from {inviter}. ${P.iframe} ${P.vue}`, `Company / ${P.img}`], 'the employee template\'s card')
    await showsLiterally(frame, `[data-testid="template-${guestTemplate.id}"]`, [P.a, `${P.img} ${P.js}`], 'the guest template\'s card')
    await nothingExecuted('template library')
    await frame.click(`[data-testid="template-edit-${employeeTemplate.id}"]`)
    await frame.waitForSelector('[data-testid="template-editor"]')
    expect(await frame.inputValue('[data-testid="template-name"] input, input[data-testid="template-name"]')).toBe(P.script)
    // The server fills {inviter} with the viewer's name; the preview shows all of it as text.
    await showsLiterally(frame, '[data-testid="template-preview"]', [`, from ${P.a} ${P.svg}. ${P.iframe} ${P.vue}`], 'the preview')
    await nothingExecuted('template editor')
    await frame.click('[data-testid="template-cancel"]')
  }))

  it('an extranet group\'s name, members, onboarding kit, guests and a pasted list show as text', () => reported('extranet', async () => {
    await nav('extranet', `[data-testid="extranet-group-${extranetGroup.ID}"]`)
    await showsLiterally(frame, `[data-testid="extranet-group-${extranetGroup.ID}"]`, [P.svg], 'the group in the list')
    await nothingExecuted('extranet list')
    await frame.click(`[data-testid="extranet-open-${extranetGroup.ID}"]`)
    await showsLiterally(frame, '[data-testid="extranet-group-title"]', [P.svg], 'the group\'s title')
    await showsLiterally(frame, '[data-testid="extranet-group-view"]', [`${P.a} ${P.svg}`, `${P.vue} ${P.js}`], 'the group\'s people')
    await showsLiterally(frame, '[data-testid="kit-summary"]', [`Welcome {name}! ${P.a}`, P.script], 'the onboarding kit')
    await showsLiterally(frame, '[data-testid="guests-table"]', [`${P.vue} ${P.iframe}`, `${P.js} ${P.img}`, `${P.a} ${P.svg}`], 'the guests and their sponsor')
    await nothingExecuted('extranet group')

    // A pasted list: a display name (one word: a pasted name's middle words are dropped) and a token that is no address.
    const oneWord = P.vue.replace(/ /g, '')
    await frame.getByRole('textbox', { name: 'People to invite', exact: true }).fill(`"${oneWord}" <pasted.guest@partner.example>\n${P.js}`)
    await frame.click('[data-testid="group-invite-check"]')
    await showsLiterally(frame, '[data-testid="group-invite-table"]', [oneWord, P.js], 'the checked list')
    await nothingExecuted('extranet group: checked list')
  }))

  it('join link names and what visitors typed show as text in the app; the public page escapes them', () => reported('links', async () => {
    await nav('links', `[data-testid="join-link-row-${groupLink.id}"]`)
    await showsLiterally(frame, `[data-testid="join-link-row-${groupLink.id}"]`, [P.svg, `${P.a} ${P.svg}`], 'the group link\'s row')
    await showsLiterally(frame, `[data-testid="join-link-row-${approvalLink.id}"]`, [P.a, P.img], 'the approval link\'s row (its department)')
    await nothingExecuted('join links list')
    await frame.click(`[data-testid="join-link-open-${groupLink.id}"]`)
    await showsLiterally(frame, '[data-testid="join-link-view"]', [P.svg], 'the link\'s page')
    await showsLiterally(frame, '[data-testid="join-link-joins-table"]', [`${P.vue} ${P.js}`], 'the link\'s joins')
    expect(await frame.getAttribute('[data-testid="join-link-qr"]', 'alt')).toContain(P.svg)
    await nothingExecuted('join link page')

    // The public page, server-rendered, in a tab of its own: the name as its heading and its title, as text.
    const tab = await probedPage()
    const served = await tab.goto(groupLink.url)
    // Its own CSP (bypassed here) allows no script at all.
    expect(served?.headers()['content-security-policy']).toContain("default-src 'none'")
    expect(await tab.textContent('h1')).toBe(P.svg)
    expect(await tab.title()).toBe(P.svg)
    // A name with markup is refused (400) and handed back in its field, as a value.
    const escaped = groupLink.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    expectedErrors.push(new RegExp(`^http 400 POST ${escaped}$`), /^console: Failed to load resource: the server responded with a status of 400 /)
    await tab.getByLabel('E-mail', { exact: true }).fill('visitor@partner.example')
    await tab.getByLabel('First name', { exact: true }).fill(P.img)
    await tab.getByLabel('Last name (optional)', { exact: true }).fill(P.iframe)
    await tab.click('button[type="submit"]')
    await tab.waitForSelector('#name-error')
    expect(await tab.textContent('#name-error')).toBe('The first name may not contain links, @, < or >.')
    expect(await tab.inputValue('#name')).toBe(P.img)
    expect(await tab.inputValue('#last_name')).toBe(P.iframe)
    expect(await tab.textContent('h1')).toBe(P.svg)
    await nothingExecuted('public join page')
    // Closed only when all went well, so a failure's screenshot shows it.
    await tab.close()
  }))

  it('an invite request shows the join link\'s name and the person\'s name as text', () => reported('requests', async () => {
    await nav('requests', '[data-testid^="request-row-"]')
    await showsLiterally(frame, '[data-testid="requests-table"]', [P.a, P.img], 'the requests table (link, department)')
    await nothingExecuted('requests list')
    await frame.locator('[data-testid^="request-row-"] [data-testid^="request-open-"]').first().click()
    await showsLiterally(frame, '[data-testid="request-people"]', [P.vue, P.js], 'the request\'s people')
    await showsLiterally(frame, '[data-testid^="request-details-"]', [P.a], 'the request\'s link')
    await nothingExecuted('request details')
  }))

  it('collab and guest names show as text on the collabs dashboard, its lists and an access review', () => reported('collabs', async () => {
    await nav('collabs', '[data-testid="collabs-title"]')
    // The first visit syncs the collabs.
    await until(async () => (await frame.getAttribute('[data-testid="collab-stat-guests"]', 'data-value').catch(() => null)) === '1' || undefined, 'the first collab sync', 20_000)
    await nothingExecuted('collabs overview')
    await frame.click('[data-testid="collabs-tab-collabs"]')
    await showsLiterally(frame, `[data-testid="collab-row-${collab.ID}"]`, [P.iframe, `${P.vue} ${P.js}`], 'the collab and its owner')
    await nothingExecuted('collab list')
    await frame.click('[data-testid="collabs-tab-guests"]')
    await showsLiterally(frame, '[data-testid="guests-collab-table"]', [`${P.img} ${P.a}`, P.iframe], 'the guest list')
    await nothingExecuted('collab guests')
    await frame.click('[data-testid="collabs-tab-reviews"]')
    await frame.click('[data-testid="review-start"]')
    await frame.waitForSelector('[data-testid="review-start-form"]')
    await frame.click('[data-testid="review-start-submit"]')
    await showsLiterally(frame, '[data-testid="review-items"]', [`${P.img} ${P.a}`, P.iframe], 'the access review')
    await nothingExecuted('access review')
  }))

  it('robot runs show the workflow\'s values as text on the Automation page', () => reported('automation', async () => {
    await nav('automation', '[data-testid^="robot-run-row-"]')
    const runs = (await s.a.app.stores.robotRuns.list(s.portal.memberId, {}, { limit: 10, offset: 0 })).rows
    const badEmail = runs.find((r) => r.errorText?.includes('is not a valid e-mail'))
    const noTemplate = runs.find((r) => r.errorText?.includes('There is no Invite Desk template'))
    expect([badEmail, noTemplate].every(Boolean), JSON.stringify(runs.map((r) => r.errorText))).toBe(true)
    await showsLiterally(frame, `[data-testid="robot-run-row-${badEmail!.id}"]`, [`"${P.img}" is not a valid e-mail address.`, `DEAL_${P.svg}`], 'the failed run')
    await showsLiterally(frame, `[data-testid="robot-run-row-${noTemplate!.id}"]`, [`There is no Invite Desk template "${P.iframe}".`], 'the run with an unknown template')
    await nothingExecuted('robot runs')
    await frame.click(`[data-testid="robot-run-open-${badEmail!.id}"]`)
    await showsLiterally(frame, `[data-testid="robot-run-details-${badEmail!.id}"]`, [`"${P.img}" is not a valid e-mail address.`, `DEAL_${P.svg}`], 'the run\'s details')
    await nothingExecuted('robot run details')
  }))

  it('the audit log shows stored names as text', () => reported('audit', async () => {
    await nav('settings', '[data-testid="audit-table"]')
    // Details are JSON: quotes come back escaped, markup stays as typed.
    await showsLiterally(frame, '[data-testid="audit-table"]', ['<svg onload=window.__xss(3)>', P.a.replace(/"/g, '\\"')], 'the audit log')
    await nothingExecuted('audit log')
  }))

  it('a CRM contact\'s name shows as text in its card\'s invite tab, before and after the check', () => reported('crm', async () => {
    const contact = s.portal.addContact({ NAME: P.img, LAST_NAME: P.js, EMAIL: ['crm.contact@partner.example'] })
    const tab = await probedPage()
    await tab.goto(s.portal.frameUrl(CLIENT_ID, { userId: viewer.ID, lang: 'en', placement: 'CRM_CONTACT_DETAIL_TAB', placementOptions: { ID: String(contact.ID) } }))
    const f = await appFrameWith(tab, '[data-testid="embedded-prefill"]')
    await showsLiterally(f, '[data-testid="embedded-prefill"]', [`${P.img} ${P.js}`], 'the prefill note')
    // The group picker lists the extranet group by its name.
    await f.click('[data-testid="embedded-group"]')
    const option = f.getByRole('option').filter({ hasText: P.svg })
    await option.waitFor()
    await nothingExecuted('CRM tab, prefilled, picker open')
    await option.click()
    await f.click('[data-testid="embedded-check"]')
    await showsLiterally(f, '[data-testid="embedded-target-summary"]', [P.svg], 'the checked target')
    await showsLiterally(f, '[data-testid="embedded"]', ['crm.contact@partner.example', P.js], 'the checked row')
    await nothingExecuted('CRM tab, checked')
    await tab.close()
  }))

  it('a viewer whose name holds replacement patterns ($\' $` $& $$) gets the page as served, the name as typed', () => reported('boot', async () => {
    // The boot JSON goes into the page with String.replace: "$'" or "$`" in a name must not pull the page into it.
    const name = "Dollar $' $` $& $$ Bill"
    const dollar = s.portal.addUser({ NAME: name, LAST_NAME: P.img, EMAIL: 'dollar@example.test', UF_DEPARTMENT: [1] })
    const tab = await probedPage()
    await tab.goto(s.portal.frameUrl(CLIENT_ID, { userId: dollar.ID, lang: 'en' }))
    const f = await appFrameWith(tab, '[data-testid="dashboard-title"]', 5000)
    expect(await f.textContent('[data-testid="shell-user"]')).toBe(`${name} ${P.img}`)
    expect(await f.$$eval('script#invite-desk-boot', (els) => els.length)).toBe(1)
    expect(await f.$$eval('script[type="module"]', (els) => els.length)).toBe(1)
    await nothingExecuted('boot of a $-named viewer')
    await tab.close()
  }))
})
