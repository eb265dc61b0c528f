/**
 * Two sweeps on SQLite and PostgreSQL.
 *
 * Spreadsheet formula injection in every export: the export routes are walked from the Express app (every
 * route ending in .csv / .xlsx / /export; a guard fails on one the table does not know). Values that
 * spreadsheets execute (= + - @ tab CR, `=HYPERLINK(...)`, `@SUM(1+1)`, `-2+3`, `+cmd|' /C calc'!A0`) are seeded
 * wherever people's text reaches an export: names, last names and e-mails in an uploaded list, a template's
 * name, a collab's name, its guests' and its owner's names on the portal. Each export is downloaded in every
 * format it offers and read cell by cell (CSV with papaparse, XLSX with exceljs): no cell starts with a formula
 * character unless neutralised with a leading apostrophe, no XLSX cell is a formula, each seeded value is found
 * neutralised, and plain text, dates and numbers are exported unchanged (XLSX numbers as numbers).
 *
 * Seeded secrets never in logs: an instance logging at debug (request lines included) goes through install, a
 * session and API calls, an upload refused, a sent list, a join link made and joined, genuine and forged robot
 * calls, a forged event and frame, /metrics with its token and a wrong one, a made-up session and cookie, an
 * access token expired and refreshed, and a refresh refused. No secret (client secret, APP_SECRET,
 * METRICS_TOKEN, every access and refresh token the emulator issued, the application token, robot event
 * tokens, the join link's token, session tokens, the forged values) may appear in any log line, in anything
 * written to the console, or in any answer, except the answers that hand a secret to its owner (listed per
 * answer below).
 */
import { randomBytes } from 'node:crypto'
import ExcelJS from 'exceljs'
import Papa from 'papaparse'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { BACKENDS, type Backend } from '../helpers/databases.js'
import { apiFor, csv, finished, installedAdmin, sendList, startTestStack, uploadAndCheck, waitForJob, withPortal, type Api, type ApiAnswer } from '../helpers/api.js'
import {
  APP_SECRET, CLIENT_ID, CLIENT_SECRET, METRICS_TOKEN, bootOf, form, installThroughPortal, openApp, until, type Stack,
} from '../helpers/stack.js'
import { routesOf } from '../helpers/express-routes.js'
import { appTokenOf, issuedTokens } from '../helpers/emulator-secrets.js'

const LIMITS = { burst: 100_000, drainPerSec: 10_000 }
const TRIGGER = /^[=+\-@\t\r]/

/** Values a spreadsheet would execute. */
const HYPERLINK = '=HYPERLINK("http://evil.example/x")'
const SUM = '@SUM(1+1)'
const ARITH = '-2+3'
const DDE = "+cmd|' /C calc'!A0"
const TAB_LED = '\t=1+1'
const CR_LED = '\r=2+2'
const TEMPLATE_NAME = '@SUM(A1:A9) template'

/** Every export the app offers: the route (as Express knows it), how to download it, in which formats. */
interface ExportCase {
  route: string
  formats: Array<'csv' | 'xlsx'>
  path: (w: ExportWorld, format: 'csv' | 'xlsx') => string
  /** Neutralised cells this export must show (the seeds that reach it), and plain ones it must show as they are. */
  neutralised: string[]
  plain: string[]
  /** Header of a column whose XLSX cells must be numbers. */
  numberColumn?: string
}

interface ExportWorld {
  stack: Stack
  admin: Api
  jobId: string
  importId: string
}
const q = (s: string) => `'${s}`
/** The list's people: each seeded value as a first or last name, and e-mails whose local part starts with + - =. */
const LIST = [
  ['E-mail', 'Name', 'Last name', 'Phone'],
  ['-minus@formula.example', HYPERLINK, SUM, ''],
  ['+plus@formula.example', DDE, ARITH, ''],
  ['=equals@formula.example', TAB_LED, CR_LED, ''],
  ['plain.person@formula.example', 'Plainname', 'Personson', '+7 999 123 45 67'],
]
const LIST_NEUTRALISED = [q(HYPERLINK), q(SUM), q(DDE), q(ARITH), q('-minus@formula.example'), q('+plus@formula.example'), q('=equals@formula.example'), q('+79991234567')]
const LIST_PLAIN = ['Plainname', 'Personson', 'plain.person@formula.example']

const EXPORTS: ExportCase[] = [
  {
    route: 'GET /api/jobs/:id/results.csv', formats: ['csv'], path: (w) => `/api/jobs/${w.jobId}/results.csv`,
    neutralised: LIST_NEUTRALISED, plain: [...LIST_PLAIN, 'invited'],
  },
  {
    route: 'GET /api/jobs/:id/results.xlsx', formats: ['xlsx'], path: (w) => `/api/jobs/${w.jobId}/results.xlsx`,
    neutralised: LIST_NEUTRALISED, plain: [...LIST_PLAIN, 'invited'], numberColumn: 'User ID',
  },
  {
    route: 'GET /api/invitations/export.csv', formats: ['csv'], path: () => '/api/invitations/export.csv',
    neutralised: [...LIST_NEUTRALISED, q(TEMPLATE_NAME)], plain: [...LIST_PLAIN, 'wizard'],
  },
  {
    route: 'GET /api/invitations/export.xlsx', formats: ['xlsx'], path: () => '/api/invitations/export.xlsx',
    neutralised: [...LIST_NEUTRALISED, q(TEMPLATE_NAME)], plain: [...LIST_PLAIN, 'wizard'], numberColumn: 'User ID',
  },
  {
    route: 'GET /api/imports/:id/report.csv', formats: ['csv'], path: (w) => `/api/imports/${w.importId}/report.csv`,
    neutralised: LIST_NEUTRALISED, plain: [...LIST_PLAIN, 'ready'],
  },
  {
    route: 'GET /api/collabs/guests/export', formats: ['csv', 'xlsx'], path: (_w, f) => `/api/collabs/guests/export?format=${f}`,
    // The collab's name, guests' names, the owner (sponsor) as the portal names them. Names come trimmed: what is
    // left of the tab- and CR-led ones starts with "=".
    neutralised: [q(SUM), q(`${HYPERLINK} ${ARITH}`), q(`${DDE} Owner`), q(`${TAB_LED.trim()} Tabbed`), q(`${CR_LED.trim()} Returned`)], plain: ['Plain Guest', 'plain.guest@collab-formula.example'], numberColumn: 'User ID',
  },
  // The audit log has no free text at the start of a cell (ids, actions, results, JSON details): the sweep holds it
  // to the same rule, and its details must arrive whole.
  { route: 'GET /api/audit/export.csv', formats: ['csv'], path: () => '/api/audit/export.csv', neutralised: [], plain: ['app.install', 'ok'] },
  { route: 'GET /api/audit/export.xlsx', formats: ['xlsx'], path: () => '/api/audit/export.xlsx', neutralised: [], plain: ['app.install', 'ok'], numberColumn: 'Actor' },
]

interface Sheet { header: string[]; rows: Array<Array<{ text: string; kind: 'string' | 'number' | 'date' | 'formula' | 'other' }>> }

async function readExport(res: ApiAnswer, format: 'csv' | 'xlsx'): Promise<Sheet> {
  if (format === 'csv') {
    const parsed = Papa.parse<string[]>(res.text.replace(/^\uFEFF/, ''), { delimiter: ',', skipEmptyLines: true })
    const [header = [], ...rows] = parsed.data
    return { header, rows: rows.map((r) => r.map((text) => ({ text, kind: 'string' as const }))) }
  }
  const wb = new ExcelJS.Workbook()
  await wb.xlsx.load(res.bytes as unknown as ArrayBuffer)
  const ws = wb.worksheets[0]!
  const out: Sheet = { header: [], rows: [] }
  ws.eachRow({ includeEmpty: false }, (row, n) => {
    const cells: Sheet['rows'][number] = []
    for (let c = 1; c <= ws.columnCount; c++) {
      const cell = row.getCell(c)
      const kind = cell.formula !== undefined || cell.type === ExcelJS.ValueType.Formula ? 'formula'
        : cell.type === ExcelJS.ValueType.Number ? 'number' : cell.type === ExcelJS.ValueType.Date ? 'date'
          : cell.type === ExcelJS.ValueType.String || cell.type === ExcelJS.ValueType.Null ? 'string' : 'other'
      const text = kind === 'formula' ? `=${String(cell.formula)}` : typeof cell.value === 'string' ? cell.value : cell.value === null || cell.value === undefined ? '' : String(cell.text)
      cells.push({ text, kind })
    }
    if (n === 1) out.header = cells.map((x) => x.text)
    else out.rows.push(cells)
  })
  return out
}

async function buildExportWorld(backend: Backend): Promise<ExportWorld> {
  const stack = await startTestStack(backend, { portal: { lang: 'en', limits: LIMITS }, pacing: { limitsFor: () => LIMITS } })
  try {
    const admin = await installedAdmin(stack)
    const a = stack.portal
    const template = await admin.post('/api/templates', {
      name: TEMPLATE_NAME, kind: 'intranet', texts: { ru: 'Здравствуйте, {name}!', en: 'Hello, {name}!' }, defaultLang: 'en', departmentId: null, groupIds: [],
      reminderDays: [3], expireAfterDays: 30,
    })
    if (template.status !== 201) throw new Error(`template: ${template.status} ${template.text}`)
    const { importId } = await uploadAndCheck(admin, csv(LIST), 'formula.csv', { templateId: template.body.template.id })
    const sent = await admin.post(`/api/imports/${importId}/send`)
    if (sent.status !== 201) throw new Error(`send: ${sent.status} ${sent.text}`)
    const jobId = sent.body.jobId as string
    await waitForJob(admin, jobId, finished, 'the formula list')

    // A collab named like a formula, its owner and a guest named like formulas on the portal, and a plain guest.
    const owner = a.addUser({ NAME: DDE, LAST_NAME: 'Owner', EMAIL: 'owner@collab-formula.example', UF_DEPARTMENT: [1] })
    const guest = (email: string, name: string, lastName: string) => a.addUser({ EMAIL: email, NAME: name, LAST_NAME: lastName, USER_TYPE: 'extranet', UF_DEPARTMENT: [] }).ID
    const members = [
      guest('formula.guest@collab-formula.example', HYPERLINK, ARITH), guest('tab.guest@collab-formula.example', TAB_LED, 'Tabbed'),
      guest('cr.guest@collab-formula.example', CR_LED, 'Returned'), guest('plain.guest@collab-formula.example', 'Plain', 'Guest'),
    ]
    a.addGroup({ NAME: SUM, OWNER_ID: owner.ID, TYPE: 'collab', members })
    const synced = await admin.post('/api/collabs/sync', { full: true })
    if (synced.status !== 200) throw new Error(`collab sync: ${synced.status} ${synced.text}`)
    return { stack, admin, jobId, importId }
  } catch (e) {
    await stack.close()
    throw e
  }
}

for (const backend of BACKENDS) {
  describe.sequential(`formula injection in every export on ${backend.name}`, () => {
    let w: ExportWorld | undefined
    beforeAll(async () => {
      w = await buildExportWorld(backend)
    }, 60_000)
    afterAll(async () => {
      await w?.stack.close()
    })

    it('the table names every export route the app has', () => {
      const exports = routesOf(w!.stack.a.app.http).filter((r) => /^GET \/api\/.*(\.csv|\.xlsx|\/export)$/.test(r))
      expect(exports).toEqual(EXPORTS.map((e) => e.route).sort())
    })

    for (const e of EXPORTS) {
      for (const format of e.formats) {
        it(`${e.route} as ${format}: no cell a spreadsheet would execute; seeded values neutralised, plain ones unchanged`, async () => {
          const world = w!
          const res = await world.admin.get(e.path(world, format))
          expect(res.status, res.text.slice(0, 300)).toBe(200)
          expect(res.headers.get('content-type')).toMatch(format === 'csv' ? /^text\/csv/ : /spreadsheetml/)
          const sheet = await readExport(res, format)
          expect(sheet.rows.length).toBeGreaterThan(0)
          const problems: string[] = []
          sheet.rows.forEach((row, r) => row.forEach((cell, c) => {
            const at = `row ${r + 2}, ${sheet.header[c] ?? `column ${c + 1}`}`
            if (cell.kind === 'formula') problems.push(`${at}: a formula cell (${JSON.stringify(cell.text)})`)
            if (cell.kind === 'string' && TRIGGER.test(cell.text)) problems.push(`${at}: starts with a formula character: ${JSON.stringify(cell.text)}`)
          }))
          expect(problems).toEqual([])
          const texts = new Set(sheet.rows.flat().map((c) => c.text))
          expect(e.neutralised.filter((v) => !texts.has(v)), 'seeded values not found neutralised').toEqual([])
          expect(e.plain.filter((v) => !texts.has(v)), 'plain values not found as they are').toEqual([])
          // Dates stay ISO text, untouched.
          const dates = sheet.rows.flat().filter((c) => /^\d{4}-\d{2}-\d{2}T/.test(c.text))
          if (e.route.includes('invitations') || e.route.includes('audit')) expect(dates.length).toBeGreaterThan(0)
          if (e.numberColumn) {
            const col = sheet.header.indexOf(e.numberColumn)
            expect(col, `${e.numberColumn} column`).toBeGreaterThanOrEqual(0)
            const values = sheet.rows.map((r) => r[col]!).filter((c) => c.text !== '')
            expect(values.length).toBeGreaterThan(0)
            for (const v of values) {
              expect(v.text).toMatch(/^\d+$/)
              if (format === 'xlsx') expect(v.kind, `${e.numberColumn} ${v.text}`).toBe('number')
            }
          }
        })
      }
    }
  })
}

// ---------------------------------------------------------------------------------------------------------
// Secrets in logs and answers
// ---------------------------------------------------------------------------------------------------------

interface Recorded {
  label: string
  text: string
  /** Secrets this answer may hold because it hands them to their owner. */
  owns: string[]
}

const headerText = (h: Headers) => {
  const out: string[] = []
  h.forEach((v, k) => out.push(`${k}: ${v}`))
  return out.join('\n')
}

for (const backend of BACKENDS) {
  describe(`seeded secrets in logs and answers on ${backend.name}`, () => {
    let s: Stack | undefined
    afterEach(async () => {
      vi.restoreAllMocks()
      await s?.close()
      s = undefined
    })

    it('no secret reaches a log line, the console or an answer that is not its owner\'s', async () => {
      // Whatever a library prints to the console is captured too (the SDK has its own logger).
      const consoleLines: string[] = []
      for (const m of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
        vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void consoleLines.push(args.map((x) => (typeof x === 'string' ? x : JSON.stringify(x) ?? String(x))).join(' ')))
      }
      s = await startTestStack(backend, { portal: { lang: 'en', limits: LIMITS }, pacing: { limitsFor: () => LIMITS }, joinLimits: { joinsPerIpPer10Min: 1000, viewsPerIpPerMinute: 1000 } })
      const stack = s
      const a = stack.portal
      const url = stack.a.url
      const answers: Recorded[] = []
      const rec = (label: string, res: { status: number; text: string; headers: Headers }, owns: string[] = []) => {
        answers.push({ label: `${label} (${res.status})`, text: `${res.text}\n${headerText(res.headers)}`, owns })
        return res
      }
      const raw = async (label: string, path: string, init: RequestInit = {}, owns: string[] = []) => {
        const res = await fetch(`${url}${path}`, init)
        return rec(label, { status: res.status, text: await res.text(), headers: res.headers }, owns)
      }
      const postForm = (label: string, path: string, body: Record<string, unknown>, owns: string[] = []) =>
        raw(label, path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(body) }, owns)
      const forged = {
        appToken: `forged-app-token-${randomBytes(12).toString('hex')}`,
        authId: `forged-auth-id-${randomBytes(12).toString('hex')}`,
        bearer: `forged-bearer-${randomBytes(16).toString('hex')}`,
        cookie: `forged-cookie-${randomBytes(16).toString('hex')}`,
        metrics: `forged-metrics-${randomBytes(16).toString('hex')}`,
      }

      // Install: the page, then ONAPPINSTALL with the tokens.
      const { html } = await installThroughPortal(stack)
      rec('install page', { status: 200, text: html, headers: new Headers() })
      await until(async () => (await stack.a.app.stores.portals.get(a.memberId))?.status === 'installed', 'installed')

      // A session (the frame hands its token to the user it was opened for) and API calls with it.
      const opened = await openApp(stack)
      const session = opened.boot!.session.token as string
      rec('the app frame', opened, [session])
      const admin = apiFor(url, session)
      const api = async (label: string, p: Promise<ApiAnswer>, owns: string[] = []) => rec(label, await p, owns)
      await api('GET /api/me', admin.get('/api/me'))
      await api('GET /api/settings', admin.get('/api/settings'))
      await api('GET /api/dashboard', admin.get('/api/dashboard'))
      await api('POST /api/templates', admin.post('/api/templates', {
        name: 'Secret sweep', kind: 'intranet', texts: { ru: 'Привет, {name}!', en: 'Hi, {name}!' }, defaultLang: 'en', departmentId: null, groupIds: [], reminderDays: [3], expireAfterDays: 30,
      }))
      // An upload refused, and a list sent.
      await api('an upload refused', admin.upload(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(64)]), 'photo.csv'))
      const jobId = await sendList(admin, csv([['E-mail', 'Name'], ['secret.sweep@logs.example', 'Sweep']]), 'sweep.csv')
      await api('GET /api/jobs/:id', admin.get(`/api/jobs/${jobId}`))
      await waitForJob(admin, jobId, finished, 'the sweep list')

      // A join link (its URL holds its token: handed to the admin who made it), its page and a join through it.
      await stack.a.app.directorySync.sync(a.memberId, { forceFull: true })
      const link = await admin.post('/api/join-links', {
        name: 'Sweep lobby', target: { kind: 'department', id: 1 }, templateId: null, expiresOn: null, cap: null, allowedDomains: [], approval: false,
      })
      expect(link.status, link.text).toBe(201)
      const linkToken = /\/join\/([A-Za-z0-9_-]{32})$/.exec(link.body.url as string)![1]!
      rec('POST /api/join-links (the admin\'s own link)', link, [linkToken])
      await api('GET /api/join-links (the admin\'s own links)', admin.get('/api/join-links'), [linkToken])
      // The public page names its own address in its form; its visitor already holds the token in the URL.
      const joinPath = new URL(link.body.url as string).pathname
      await raw('the join page', joinPath, { headers: { 'x-forwarded-for': '203.0.113.9' } }, [linkToken])
      await raw('a join', joinPath, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '203.0.113.9' },
        body: form({ email: 'joiner@logs.example', name: 'Joiner', last_name: 'Sweep', lang: 'en' }),
      }, [linkToken])
      await stack.a.app.joinLinks.worker.drain()
      await stack.a.app.runner.drain()

      // Robot calls: one genuine from the portal, one posted with the portal's genuine auth, one forged.
      const genuine = await a.callRobot('invite_employee', { properties: { EMAIL: 'robot.hire@logs.example', DEPARTMENT: '1' } })
      expect(genuine.status).toBe(200)
      const replay = structuredClone(genuine.payload) as Record<string, any>
      replay.event_token = `${String(replay.workflow_id)}|A9_9|${randomBytes(16).toString('hex')}`
      replay.properties.EMAIL = 'robot.replay@logs.example'
      await postForm('a robot call with the genuine auth', `/robots/invite_employee`, replay)
      await postForm('a forged robot call', `/robots/invite_employee`, { ...replay, event_token: `${String(replay.workflow_id)}|A8_8|${randomBytes(16).toString('hex')}`, auth: { ...replay.auth, application_token: forged.appToken } })
      await stack.a.app.robots.worker.drain()
      await stack.a.app.runner.drain()
      await stack.a.app.robots.worker.drain()

      // A forged event and a forged frame.
      await postForm('a forged event', '/events', { event: 'ONAPPUNINSTALL', data: { CLEAN: '1' }, auth: { member_id: a.memberId, domain: a.domain, application_token: forged.appToken } })
      const frame = a.appFrameFields(CLIENT_ID)
      await postForm('a forged frame', `/app?${new URLSearchParams(frame.query)}`, { ...frame.body, AUTH_ID: forged.authId })

      // /metrics with its token and a wrong one; a made-up session and cookie.
      await raw('GET /metrics', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
      await raw('GET /metrics (wrong token)', '/metrics', { headers: { authorization: `Bearer ${forged.metrics}` } })
      await raw('GET /api/me (made-up session and cookie)', '/api/me', { headers: { authorization: `Bearer ${forged.bearer}`, cookie: `session=${forged.cookie}` } })
      await raw('GET /api/me (cookie only)', '/api/me', { headers: { cookie: `invite_desk_session=${forged.cookie}` } })

      // An expired access token, refreshed on the next call.
      const refreshes = stack.a.refreshes.length
      a.expireAccessTokens()
      await api('POST /api/directory/sync (refreshes)', admin.post('/api/directory/sync'))
      expect(stack.a.refreshes.length).toBeGreaterThan(refreshes)

      // A refresh refused, on a second portal (A's pair is under 10 s old: the refresher would hand it out again
      // rather than spend a refresh token, by design): B needs a reinstall, and its frame says so.
      const b = await stack.emu.createPortal({ lang: 'en', limits: LIMITS })
      b.registerApp(CLIENT_ID, { handlerUrl: `${url}/app`, installUrl: `${url}/install` })
      const adminB = await installedAdmin(withPortal(stack, b))
      await api('GET /api/me on B', adminB.get('/api/me'))
      b.revokeRefreshTokens()
      b.expireAccessTokens()
      await api('POST /api/settings/reapply on B (refresh refused)', adminB.post('/api/settings/reapply'))
      await until(async () => (await stack.a.app.stores.portals.get(b.memberId))?.status === 'needs_reinstall', 'B needs a reinstall')
      const reopened = await openApp(withPortal(stack, b))
      rec('the app frame after the refresh was refused', reopened, reopened.boot?.session ? [reopened.boot.session.token as string] : [])
      expect(reopened.boot?.portal.status).toBe('needs_reinstall')

      const sessions = [session, adminB.token, ...(reopened.boot?.session ? [reopened.boot.session.token as string] : [])]
      const secrets: Array<[string, string]> = [
        ['the client secret', CLIENT_SECRET], ['APP_SECRET', APP_SECRET], ['METRICS_TOKEN', METRICS_TOKEN],
        ['A\'s application token', appTokenOf(a)], ['B\'s application token', appTokenOf(b)], ['the join link token', linkToken],
        ...issuedTokens(a).map((t, i): [string, string] => [`emulator token #${i}`, t]),
        ...a.bizprocEvents().map((e, i): [string, string] => [`robot event token #${i}`, e.eventToken]),
        ['a robot event token', String(genuine.payload.event_token)], ['the replayed robot event token', String(replay.event_token)],
        ...sessions.map((t, i): [string, string] => [`session token #${i}`, t]),
        ...Object.entries(forged).map(([k, v]): [string, string] => [`the forged ${k}`, v]),
      ]
      // The capture worked and covered the paths that matter: request lines, refusals, the refresh and its failure.
      const all = stack.logs.join('\n')
      expect(stack.logs.length).toBeGreaterThan(40)
      for (const line of ['"msg":"request"', '"path":"/api/directory/sync","status":200', '"path":"/robots/invite_employee"', '"path":"/join/…"', '"msg":"request refused"', '"msg":"iframe request refused"', '"msg":"portal tokens refreshed"', '"msg":"refresh token rejected: portal needs reinstall"']) {
        expect(all, line).toContain(line)
      }
      expect(issuedTokens(a).length).toBeGreaterThan(5)

      const problems: string[] = []
      for (const [what, value] of secrets) {
        if (all.includes(value)) problems.push(`a log line shows ${what}: ${stack.logs.find((l) => l.includes(value))!.slice(0, 300)}`)
        if (consoleLines.some((l) => l.includes(value))) problems.push(`the console shows ${what}`)
        for (const r of answers) if (!r.owns.includes(value) && r.text.includes(value)) problems.push(`the answer to ${r.label} shows ${what}`)
      }
      expect(problems).toEqual([])
      // The owners' answers did get their secrets (so the exemptions above exempt something real).
      expect(answers.find((r) => r.label.startsWith('POST /api/join-links'))!.text).toContain(linkToken)
      expect(answers.find((r) => r.label.startsWith('the app frame ('))!.text).toContain(session)
      expect(bootOf(answers.find((r) => r.label.startsWith('the app frame ('))!.text).mode).toBe('app')
    })
  })
}
