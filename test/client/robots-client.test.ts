/**
 * Client logic of the Automation section (robots), without a browser, against the API contract with
 * a stubbed fetch: the runs' query (filters → query string, empty ones left out, pages by offset, a
 * run opened in detail), the robot policy's save round trip (PUT body, a 400 bad_request with its
 * field details surfaced, the saved policy kept on failure), re-registering (POST /api/settings/reapply,
 * then the robots read again), and the Russian catalog's plural forms for every new robot message.
 *
 * NOTE: client modules are loaded with vi.importActual and typed locally (see session-flow.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

const CLIENT = '../../client/src'

interface HttpModule {
  configureAuth(handlers: { getToken: () => string | null; renewToken: (stale: string | null) => Promise<string> } | null): void
}
interface ApiErrorLike {
  status: number
  code: string
  details?: unknown
}
interface RobotRunLike {
  id: string
  robotCode: string
  outcome: string | null
  reply: string
}
interface RobotInfoLike {
  code: string
  registered: boolean
  enabled: boolean
}
interface RobotSettingsLike {
  enabled: Record<string, boolean>
  dailyCap: number
  templates: { mode: string; ids: string[] }
  departments: { mode: string; ids: number[] }
  groups: { mode: string; ids: number[] }
}
interface RobotsStore {
  robots: RobotInfoLike[]
  registration: { robots: string[]; errors: string[] } | null
  cap: { limit: number; usedLast24h: number } | null
  capRatio: number
  robotsStatus: string
  unregistered: RobotInfoLike[]
  disabled: RobotInfoLike[]
  filters: { robot: string; outcome: string; q: string }
  offset: number
  page: number
  pageCount: number
  total: number
  runs: RobotRunLike[]
  runsStatus: string
  runsError: ApiErrorLike | null
  hasFilters: boolean
  selectedId: string | null
  selectedRun: RobotRunLike | null
  runStatus: string
  runError: ApiErrorLike | null
  settings: RobotSettingsLike | null
  settingsStatus: string
  reregistering: boolean
  lastReregister: { kind: string } | null
  loadRobots(): Promise<void>
  loadRuns(): Promise<void>
  setFilters(patch: Record<string, unknown>): Promise<void>
  resetFilters(): Promise<void>
  setPage(page: number): Promise<void>
  openRun(run: RobotRunLike | string): Promise<void>
  closeRun(): void
  loadSettings(): Promise<void>
  saveSettings(next: RobotSettingsLike): Promise<RobotSettingsLike>
  reregister(): Promise<{ kind: string; registration?: { errors: string[] }; error?: ApiErrorLike }>
}

type Handler = (url: URL, init: RequestInit) => Response | Promise<Response>
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
const notFound = (url: URL) => json(404, { error: { code: 'not_found', message: url.pathname } })

let calls: Array<{ method: string; url: URL; body: unknown }>
function stubFetch(handler: Handler): void {
  calls = []
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
    const parsed = new URL(url, 'http://app.test')
    calls.push({ method: init.method ?? 'GET', url: parsed, body: init.body ? JSON.parse(String(init.body)) : undefined })
    return handler(parsed, init)
  }))
}
const callsTo = (method: string, pathname: string) => calls.filter(call => call.method === method && call.url.pathname === pathname)

async function freshPinia(): Promise<void> {
  vi.resetModules()
  const http = await vi.importActual<HttpModule>(`${CLIENT}/api/http.ts`)
  http.configureAuth({ getToken: () => 'TOKEN', renewToken: async () => 'TOKEN' })
  const { createPinia, setActivePinia } = await vi.importActual<{ createPinia(): unknown; setActivePinia(p: unknown): void }>('pinia')
  setActivePinia(createPinia())
}

async function robotsStore(): Promise<RobotsStore> {
  const { useRobotsStore } = await vi.importActual<{ useRobotsStore(): RobotsStore }>(`${CLIENT}/stores/robots.ts`)
  return useRobotsStore()
}

const RUN_ID = '7b0c1e52-3f6a-4a8e-9a43-2d2f5d1c9e01'
const run = (id: string, patch: Record<string, unknown> = {}) => ({
  id, robotCode: 'invite_guest', document: 'DEAL_123', documentType: ['crm', 'CCrmDocumentDeal', 'DEAL'], workflowId: 'wf-1',
  properties: { EMAIL: 'ann@example.com', GROUP_ID: 12 }, email: 'ann@example.com', state: 'queued', outcome: null, userId: null,
  errorText: null, returnValues: null, reply: 'pending', replyError: null, replyAttempts: 0, jobId: null, waitUntil: null,
  createdAt: 1_700_000_000_000, decidedAt: null, repliedAt: null, ...patch,
})
const robot = (code: string, registered: boolean, enabled = true) => ({
  code, name: { ru: `Робот ${code}`, en: `Robot ${code}` }, description: { ru: '', en: '' }, registered, enabled,
  properties: [{ key: 'EMAIL', name: { ru: 'E-mail', en: 'E-mail' }, type: 'string', required: true }],
  returnProperties: [{ key: 'STATUS', name: { ru: 'Статус', en: 'Status' }, type: 'string', required: false }],
  last24h: { total: 3, succeeded: 2, failed: 1, waiting: 0, notAccepted: 0 },
})
const registration = (robots: string[], errors: string[] = []) => ({ events: ['ONAPPUNINSTALL'], placements: [], robots, errors, appliedAt: 1_700_000_000_000 })
const SETTINGS = {
  enabled: { invite_employee: true, invite_guest: true, add_to_group: false, wait_acceptance: true },
  dailyCap: 200,
  templates: { mode: 'all', ids: [] as string[] },
  departments: { mode: 'only', ids: [3, 7] },
  groups: { mode: 'all', ids: [] as number[] },
}

describe('robot runs: query and paging', () => {
  beforeEach(freshPinia)
  afterEach(() => vi.unstubAllGlobals())

  it('leaves empty filters out, trims the search and always sends the page', async () => {
    const api = await vi.importActual<{ robotRunQuery(q: unknown): Record<string, unknown>; ROBOT_RUNS_PAGE_SIZE: number }>(`${CLIENT}/api/robots.ts`)
    expect(api.ROBOT_RUNS_PAGE_SIZE).toBe(50)
    expect(api.robotRunQuery({ robot: '', outcome: '', q: '   ', offset: 0 })).toEqual({ robot: undefined, outcome: undefined, q: undefined, offset: 0, limit: 50 })
    expect(api.robotRunQuery({ robot: 'invite_guest', outcome: 'pending', q: ' DEAL_123 ', offset: 100, limit: 20 }))
      .toEqual({ robot: 'invite_guest', outcome: 'pending', q: 'DEAL_123', offset: 100, limit: 20 })
  })

  it('sends the filters as the query string, goes back to the first page on a filter, and pages by offset', async () => {
    stubFetch(url => (url.pathname === '/api/robots/runs' ? json(200, { rows: [run(RUN_ID)], total: 120 }) : notFound(url)))
    const store = await robotsStore()

    await store.loadRuns()
    expect(Object.fromEntries(calls.at(-1)!.url.searchParams)).toEqual({ offset: '0', limit: '50' })
    expect([store.total, store.runs.length, store.runsStatus, store.pageCount]).toEqual([120, 1, 'ready', 3])

    await store.setPage(3)
    expect(store.offset).toBe(100)
    expect(store.page).toBe(3)
    expect(Object.fromEntries(calls.at(-1)!.url.searchParams)).toEqual({ offset: '100', limit: '50' })

    await store.setFilters({ robot: 'wait_acceptance', outcome: 'pending' })
    expect(store.offset).toBe(0)
    expect(store.hasFilters).toBe(true)
    expect(Object.fromEntries(calls.at(-1)!.url.searchParams)).toEqual({ robot: 'wait_acceptance', outcome: 'pending', offset: '0', limit: '50' })

    await store.setFilters({ q: '  ann@example.com ' })
    expect(Object.fromEntries(calls.at(-1)!.url.searchParams)).toEqual({ robot: 'wait_acceptance', outcome: 'pending', q: 'ann@example.com', offset: '0', limit: '50' })

    await store.setPage(2)
    await store.resetFilters()
    expect(store.filters).toEqual({ robot: '', outcome: '', q: '' })
    expect(store.hasFilters).toBe(false)
    expect(Object.fromEntries(calls.at(-1)!.url.searchParams)).toEqual({ offset: '0', limit: '50' })
  })

  it('opens a run from its row, then shows (and lists) the fresh copy; a 404 is kept as the run error', async () => {
    const decided = run(RUN_ID, { state: 'done', outcome: 'invited', userId: 42, reply: 'sent', replyAttempts: 1, returnValues: { STATUS: 'invited', USER_ID: 42 } })
    stubFetch(url => {
      if (url.pathname === '/api/robots/runs') return json(200, { rows: [run(RUN_ID), run('11111111-2222-4333-8444-555555555555')], total: 2 })
      if (url.pathname === `/api/robots/runs/${RUN_ID}`) return json(200, { run: decided })
      if (url.pathname.startsWith('/api/robots/runs/')) return json(404, { error: { code: 'robot_run_not_found', message: 'There is no such robot run' } })
      return notFound(url)
    })
    const store = await robotsStore()
    await store.loadRuns()

    const opening = store.openRun(store.runs[0]!)
    expect(store.selectedId).toBe(RUN_ID)
    expect(store.selectedRun?.outcome).toBeNull() // the row's copy at once
    await opening
    expect(store.runStatus).toBe('ready')
    expect(store.selectedRun?.outcome).toBe('invited')
    expect(store.runs[0]!.outcome).toBe('invited')
    expect(store.runs[0]!.reply).toBe('sent')

    await store.openRun('00000000-0000-4000-8000-000000000000')
    expect(store.runStatus).toBe('error')
    expect(store.runError?.code).toBe('robot_run_not_found')
    expect(store.runError?.status).toBe(404)

    await store.setFilters({ outcome: 'failed' })
    expect(store.selectedId).toBeNull()
  })

  it('a newer page wins over an older one still in flight', async () => {
    let release: (() => void) | undefined
    stubFetch(async url => {
      if (url.searchParams.get('offset') === '0') await new Promise<void>(resolve => (release = resolve))
      return json(200, { rows: [run(`aaaaaaaa-0000-4000-8000-${url.searchParams.get('offset')!.padStart(12, '0')}`)], total: 75 })
    })
    const store = await robotsStore()
    const first = store.loadRuns()
    await vi.waitFor(() => expect(release).toBeTypeOf('function'))
    await store.setPage(2)
    release!()
    await first
    expect(store.offset).toBe(50)
    expect(store.runs[0]!.id).toBe('aaaaaaaa-0000-4000-8000-000000000050')
  })
})

describe('robot policy: save round trip', () => {
  beforeEach(freshPinia)
  afterEach(() => vi.unstubAllGlobals())

  it('loads the policy, PUTs the whole of it and keeps what the server saved', async () => {
    let stored = structuredClone(SETTINGS)
    stubFetch((url, init) => {
      if (url.pathname === '/api/robots/settings' && (init.method ?? 'GET') === 'GET') return json(200, { settings: stored })
      if (url.pathname === '/api/robots/settings' && init.method === 'PUT') {
        stored = JSON.parse(String(init.body)) as typeof SETTINGS
        return json(200, { settings: stored })
      }
      return notFound(url)
    })
    const store = await robotsStore()
    await store.loadSettings()
    expect(store.settingsStatus).toBe('ready')
    expect(store.settings?.departments).toEqual({ mode: 'only', ids: [3, 7] })

    const next = { ...structuredClone(SETTINGS), dailyCap: 0, templates: { mode: 'only', ids: ['2d884bd4-0073-45fd-8317-5056523226f7'] } }
    const saved = await store.saveSettings(next)
    const put = callsTo('PUT', '/api/robots/settings')
    expect(put).toHaveLength(1)
    expect(put[0]!.body).toEqual(next)
    expect(saved.dailyCap).toBe(0)
    expect(store.settings?.templates.ids).toEqual(['2d884bd4-0073-45fd-8317-5056523226f7'])
    // The robots were never shown: saving does not load them.
    expect(callsTo('GET', '/api/robots')).toHaveLength(0)
  })

  it('surfaces a 400 bad_request with its field details and keeps the saved policy', async () => {
    const details = [
      { path: 'dailyCap', message: 'Number must be less than or equal to 10000' },
      { path: 'groups.ids.0', message: 'Number must be greater than 0' },
    ]
    stubFetch((url, init) => {
      if (url.pathname === '/api/robots/settings' && init.method === 'PUT') return json(400, { error: { code: 'bad_request', message: 'The request is not valid', details } })
      if (url.pathname === '/api/robots/settings') return json(200, { settings: SETTINGS })
      return notFound(url)
    })
    const store = await robotsStore()
    await store.loadSettings()
    const error = (await store.saveSettings({ ...structuredClone(SETTINGS), dailyCap: 20_000, groups: { mode: 'only', ids: [0] } }).catch((e: unknown) => e)) as ApiErrorLike
    expect(error.status).toBe(400)
    expect(error.code).toBe('bad_request')
    expect(error.details).toEqual(details)
    expect(store.settings?.dailyCap).toBe(200)
    expect(store.settingsStatus).toBe('ready')
  })

  it('reads the robots again after a save when they are shown (enabled flags and the cap)', async () => {
    let cap = 200
    stubFetch((url, init) => {
      if (url.pathname === '/api/robots') return json(200, { robots: [robot('invite_guest', true)], registration: registration(['invite_guest']), cap: { limit: cap, usedLast24h: 150 } })
      if (url.pathname === '/api/robots/settings' && init.method === 'PUT') {
        cap = (JSON.parse(String(init.body)) as typeof SETTINGS).dailyCap
        return json(200, { settings: { ...SETTINGS, dailyCap: cap } })
      }
      return notFound(url)
    })
    const store = await robotsStore()
    await store.loadRobots()
    expect(store.capRatio).toBe(0.75)
    await store.saveSettings({ ...structuredClone(SETTINGS), dailyCap: 150 })
    await vi.waitFor(() => expect(store.cap?.limit).toBe(150))
    expect(store.capRatio).toBe(1)
    expect(callsTo('GET', '/api/robots')).toHaveLength(2)
  })
})

describe('re-registering the robots', () => {
  beforeEach(freshPinia)
  afterEach(() => vi.unstubAllGlobals())

  it('POSTs the reapply, then reads the robots again: their registered flags follow the new registration', async () => {
    let applied = registration(['invite_employee'], ['bizproc.robot.add invite_guest: ACCESS_DENIED'])
    stubFetch((url, init) => {
      if (url.pathname === '/api/robots') {
        const known = new Set(applied.robots)
        return json(200, {
          robots: ['invite_employee', 'invite_guest', 'add_to_group', 'wait_acceptance'].map(code => robot(code, known.has(code), code !== 'add_to_group')),
          registration: applied,
          cap: { limit: 200, usedLast24h: 3 },
        })
      }
      if (url.pathname === '/api/settings/reapply' && init.method === 'POST') {
        applied = registration(['invite_employee', 'invite_guest', 'add_to_group', 'wait_acceptance'])
        return json(200, { registration: applied })
      }
      return notFound(url)
    })
    const store = await robotsStore()
    await store.loadRobots()
    expect(store.unregistered.map(r => r.code)).toEqual(['invite_guest', 'add_to_group', 'wait_acceptance'])
    expect(store.disabled.map(r => r.code)).toEqual(['add_to_group'])
    expect(store.registration?.errors).toHaveLength(1)

    const pending = store.reregister()
    expect(store.reregistering).toBe(true)
    const outcome = await pending
    expect(outcome.kind).toBe('success')
    expect(store.reregistering).toBe(false)
    expect(store.lastReregister?.kind).toBe('success')
    expect(calls.map(call => `${call.method} ${call.url.pathname}`)).toEqual(['GET /api/robots', 'POST /api/settings/reapply', 'GET /api/robots'])
    expect(store.unregistered).toEqual([])
    expect(store.registration?.errors).toEqual([])
  })

  it('a partial registration is reported with its errors; a failed call still reads the robots again', async () => {
    let fail = false
    stubFetch((url, init) => {
      if (url.pathname === '/api/settings/reapply' && init.method === 'POST') {
        return fail
          ? json(403, { error: { code: 'forbidden', message: 'Administrators only' } })
          : json(200, { registration: registration(['invite_employee'], ['bizproc.robot.add wait_acceptance: ERROR_ACTIVITY_ALREADY_INSTALLED']) })
      }
      if (url.pathname === '/api/robots') return json(200, { robots: [robot('invite_employee', true)], registration: registration(['invite_employee']), cap: { limit: 0, usedLast24h: 0 } })
      return notFound(url)
    })
    const store = await robotsStore()
    const partial = await store.reregister()
    expect(partial.kind).toBe('partial')
    expect(partial.registration?.errors).toEqual(['bizproc.robot.add wait_acceptance: ERROR_ACTIVITY_ALREADY_INSTALLED'])
    expect(store.capRatio).toBe(1) // a cap of 0: robots invite nobody

    fail = true
    const failed = await store.reregister()
    expect(failed.kind).toBe('error')
    expect(failed.error?.code).toBe('forbidden')
    expect(callsTo('GET', '/api/robots')).toHaveLength(2)
    expect(store.robotsStatus).toBe('ready')
  })
})

describe('robot texts', () => {
  const SECTIONS = ['robotView', 'robotFormat', 'robotCard', 'robotChart', 'robotCap', 'robotRegistration', 'robotRuns', 'robotRun', 'robotPolicy']

  function leaves(node: unknown, path: string, out: Map<string, string>): Map<string, string> {
    if (typeof node === 'string') out.set(path, node)
    else if (node && typeof node === 'object') for (const [key, value] of Object.entries(node)) leaves(value, path ? `${path}.${key}` : key, out)
    return out
  }

  async function catalogs() {
    const en = (await vi.importActual<{ default: Record<string, unknown> }>(`${CLIENT}/i18n/work/en.ts`)).default
    const ru = (await vi.importActual<{ default: Record<string, unknown> }>(`${CLIENT}/i18n/work/ru.ts`)).default
    return { en, ru }
  }

  it('every plural has the Russian forms for its English ones (zero | one | many → zero | one | few | many)', async () => {
    const { en, ru } = await catalogs()
    const checked: string[] = []
    for (const section of SECTIONS) {
      const enLeaves = leaves(en[section], section, new Map())
      const ruLeaves = leaves(ru[section], section, new Map())
      expect(enLeaves.size, section).toBeGreaterThan(0)
      expect([...ruLeaves.keys()]).toEqual([...enLeaves.keys()])
      for (const [key, text] of enLeaves) {
        const enForms = text.split(' | ').length
        if (enForms === 1) continue
        checked.push(key)
        expect(ruLeaves.get(key)!.split(' | ').length, key).toBe(enForms + 1)
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(8)
    // Every outcome, reply state and robot the API can send has a label in both languages.
    for (const lang of [en, ru]) {
      const format = lang.robotFormat as { outcomes: Record<string, string>; replies: Record<string, string>; robots: Record<string, string>; states: Record<string, string> }
      expect(Object.keys(format.outcomes).sort()).toEqual(['accepted', 'added', 'already_exists', 'already_member', 'failed', 'invited', 'not_accepted', 'pending'])
      expect(Object.keys(format.replies).sort()).toEqual(['expired', 'failed', 'none', 'pending', 'sending', 'sent'])
      expect(Object.keys(format.robots).sort()).toEqual(['add_to_group', 'invite_employee', 'invite_guest', 'wait_acceptance'])
      expect(Object.keys(format.states).sort()).toEqual(['done', 'queued', 'received', 'waiting'])
    }
  })

  it('picks the right Russian form', async () => {
    const { russianPlural } = await vi.importActual<{ russianPlural(n: number, l: number): number }>(`${CLIENT}/i18n/plural.ts`)
    const { ru } = await catalogs()
    const pick = (text: string, n: number) => {
      const forms = text.split(' | ')
      return forms[russianPlural(n, forms.length)]!.replace('{count}', String(n))
    }
    const runs = (ru.robotRuns as { total: string }).total
    expect([0, 1, 3, 11, 21, 25].map(n => pick(runs, n))).toEqual(['Нет запусков', '1 запуск', '3 запуска', '11 запусков', '21 запуск', '25 запусков'])
    const left = (ru.robotCap as { left: string }).left
    expect([0, 1, 2, 5, 101, 112].map(n => pick(left, n))).toEqual([
      'Приглашений не осталось', 'Осталось 1 приглашение', 'Осталось 2 приглашения', 'Осталось 5 приглашений', 'Осталось 101 приглашение', 'Осталось 112 приглашений',
    ])
    const attempts = (ru.robotRun as { replyAttempts: string }).replyAttempts
    expect([0, 1, 4, 7].map(n => pick(attempts, n))).toEqual(['Попыток не было', '1 попытка', '4 попытки', '7 попыток'])
  })

  it('the API errors of the section have texts in both languages', async () => {
    const { en, ru } = await catalogs()
    for (const lang of [en, ru]) {
      const errors = lang.workErrors as Record<string, string>
      expect(errors.bad_request).toBeTruthy()
      expect(errors.robot_run_not_found).toBeTruthy()
    }
  })
})
