/**
 * Client logic of templated bulk invites, without a browser: raw uploads and bearer downloads in
 * the API client, the directory's first sync, the wizard store against the server contract (stubbed
 * fetch), the job monitor's polling rules (1 s while running or settling after a pause, none while
 * hidden or after unmount) and Russian plurals.
 *
 * NOTE: client modules are loaded with vi.importActual and typed locally (see session-flow.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

const CLIENT = '../../client/src'
const HOUR = 3_600_000

interface HttpModule {
  configureAuth(handlers: { getToken: () => string | null; renewToken: (stale: string | null) => Promise<string> } | null): void
  request<T>(path: string, options?: Record<string, unknown>): Promise<T>
  downloadFile(path: string, fallbackName: string, query?: Record<string, unknown>): Promise<{ blob: Blob; fileName: string }>
  fileNameFromDisposition(header: string | null): string | null
}
interface ApiErrorLike {
  status: number
  code: string
  details?: unknown
}
interface Ref<T> {
  value: T
}
interface JobLike {
  id: string
  status: string
  totals: Record<string, number>
}
interface WizardStore {
  step: number
  busy: string | null
  source: 'file' | 'paste' | null
  uploadError: ApiErrorLike | null
  stepError: ApiErrorLike | null
  importData: { id: string } | null
  mapping: Record<string, string | null>
  mappingCheck: { ok: boolean; missingContact: boolean; duplicates: string[] }
  summary: { errors: number; ready: number; warnings: number } | null
  rows: Array<{ rowNumber: number; status: string }>
  dryRunStale: boolean
  canSend: boolean
  sendableCount: number
  jobId: string | null
  chooseFile(file: File): Promise<void>
  setPasteText(text: string): void
  submitSource(): Promise<boolean>
  setColumnField(column: number, field: string | null): void
  goTo(step: number, advance?: boolean): boolean
  updateTarget(patch: Record<string, unknown>): void
  startDryRun(): Promise<boolean>
  patchRow(rowNumber: number, patch: Record<string, unknown>): Promise<unknown>
  send(): Promise<boolean>
}

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })

let calls: Array<{ method: string; url: string; headers: Record<string, string>; body: unknown }>
function stubFetch(handler: Handler): void {
  calls = []
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
    calls.push({ method: init.method ?? 'GET', url, headers: init.headers as Record<string, string>, body: init.body })
    return handler(url, init)
  }))
}

async function freshClient(): Promise<HttpModule> {
  vi.resetModules()
  const http = await vi.importActual<HttpModule>(`${CLIENT}/api/http.ts`)
  http.configureAuth({ getToken: () => 'TOKEN', renewToken: async () => 'TOKEN' })
  const { createPinia, setActivePinia } = await vi.importActual<{ createPinia(): unknown; setActivePinia(p: unknown): void }>('pinia')
  setActivePinia(createPinia())
  return http
}

afterEach(() => {
  vi.unstubAllGlobals()
  vi.useRealTimers()
})

describe('API client: uploads and downloads', () => {
  let http: HttpModule
  beforeEach(async () => {
    http = await freshClient()
  })

  it('sends file bytes with X-File-Name (percent-encoded), octet-stream and the bearer', async () => {
    stubFetch(() => json(200, { id: 'imp1' }))
    const { createFileImport } = await vi.importActual<{ createFileImport(f: File): Promise<unknown> }>(`${CLIENT}/api/imports.ts`)
    const file = new File(['email\na@example.com\n'], 'Сотрудники.csv')
    await createFileImport(file)
    const [call] = calls
    expect(call?.method).toBe('POST')
    expect(call?.headers['Content-Type']).toBe('application/octet-stream')
    expect(call?.headers['X-File-Name']).toBe(encodeURIComponent('Сотрудники.csv'))
    expect(call?.headers.Authorization).toBe('Bearer TOKEN')
    expect(call?.body).toBe(file)
  })

  it('downloads with the bearer and takes the name from Content-Disposition', async () => {
    stubFetch(() => new Response('a,b\n', { status: 200, headers: { 'content-disposition': `attachment; filename="x.csv"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.csv` } }))
    const file = await http.downloadFile('/api/imports/imp1/report.csv', 'fallback.csv')
    expect(file.fileName).toBe('отчёт.csv')
    expect(await file.blob.text()).toBe('a,b\n')
    expect(calls[0]?.headers.Authorization).toBe('Bearer TOKEN')
  })

  it('parses Content-Disposition defensively', () => {
    expect(http.fileNameFromDisposition(null)).toBeNull()
    expect(http.fileNameFromDisposition('attachment; filename="results.xlsx"')).toBe('results.xlsx')
    expect(http.fileNameFromDisposition('attachment; filename=plain.csv')).toBe('plain.csv')
    expect(http.fileNameFromDisposition('attachment; filename="../../etc/passwd"')).toBe('passwd')
    expect(http.fileNameFromDisposition("attachment; filename*=UTF-8''%E0%A4%A")).toBeNull()
  })

  it('keeps error details (400 bad_request) on the ApiError', async () => {
    stubFetch(() => json(400, { error: { code: 'bad_request', message: 'Invalid', details: [{ path: 'texts.ru', message: 'Required' }] } }))
    const error = await http.request('/api/templates', { method: 'POST', body: {} }).catch((e: unknown) => e as ApiErrorLike)
    expect(error).toMatchObject({ status: 400, code: 'bad_request', details: [{ path: 'texts.ru', message: 'Required' }] })
  })
})

describe('directory store', () => {
  const directory = (syncedAt: number | null, names: string[]) =>
    ({ departments: names.map((name, i) => ({ id: i + 1, name, parentId: null, path: name })), groups: [], users: 1, syncedAt })

  async function load(isAdmin: boolean) {
    await freshClient()
    const { usePortalStore } = await vi.importActual<{ usePortalStore(): { hydrate(boot: unknown): void } }>(`${CLIENT}/stores/portal.ts`)
    usePortalStore().hydrate({ user: { id: 1, name: 'Admin', isAdmin }, portal: { memberId: 'm', domain: 'd', status: 'installed' }, placement: 'DEFAULT', placementOptions: {} })
    stubFetch(url => (url === '/api/directory/sync' ? json(200, directory(1_000, ['Company', 'Продажи'])) : json(200, directory(null, []))))
    const { useDirectoryStore } = await vi.importActual<{ useDirectoryStore(): { load(): Promise<void>; departments: Array<{ name: string }>; syncedAt: number | null } }>(`${CLIENT}/stores/directory.ts`)
    const store = useDirectoryStore()
    await store.load()
    return store
  }

  it('fetches the directory from the portal on the first visit after install (admins)', async () => {
    const store = await load(true)
    expect(calls.map(c => `${c.method} ${c.url}`)).toEqual(['GET /api/directory', 'POST /api/directory/sync'])
    expect(store.departments.map(d => d.name)).toEqual(['Company', 'Продажи'])
    expect(store.syncedAt).toBe(1_000)
  })

  it('leaves a never-synced directory alone for other users (they may not sync)', async () => {
    const store = await load(false)
    expect(calls.map(c => `${c.method} ${c.url}`)).toEqual(['GET /api/directory'])
    expect(store.departments).toEqual([])
  })
})

describe('invite wizard store', () => {
  let wizard: WizardStore

  const importBody = {
    id: 'imp1', source: 'csv', fileName: 'people.csv', detected: { encoding: 'utf-8', delimiter: ';' }, headerRow: true,
    headers: ['Email', 'Name'], sample: [['a@example.com', 'Anna'], ['bad@', 'Boris']], rowCount: 2, mapping: { 0: 'email', 1: 'name' }, problems: [],
  }
  const rows = [
    { rowNumber: 2, status: 'ready', email: 'a@example.com', issues: [] },
    { rowNumber: 3, status: 'error', email: 'bad@', issues: [{ field: 'email', code: 'invalid_email', message: 'x', severity: 'error' }] },
  ]
  const summary = (errors: number, excluded = 0) => ({ total: 2, ready: 1, warnings: 0, errors, excluded, existing: { active: 0, invited: 0, dismissed: 0, extranet: 0 } })

  beforeEach(async () => {
    await freshClient()
    const { useInviteWizardStore } = await vi.importActual<{ useInviteWizardStore(): WizardStore }>(`${CLIENT}/stores/inviteWizard.ts`)
    wizard = useInviteWizardStore()
  })

  it('rejects an oversized file locally, without uploading it', async () => {
    stubFetch(() => json(500, {}))
    const big = new File(['x'], 'big.csv')
    Object.defineProperty(big, 'size', { value: 21 * 1024 * 1024 })
    await wizard.chooseFile(big)
    expect(wizard.uploadError).toMatchObject({ code: 'too_large' })
    expect(calls).toHaveLength(0)
    expect(wizard.source).toBeNull()
  })

  it('surfaces the server upload codes (e.g. xls_legacy) on the file', async () => {
    stubFetch(() => json(415, { error: { code: 'xls_legacy', message: 'Legacy' } }))
    await wizard.chooseFile(new File(['x'], 'old.xls'))
    expect(wizard.uploadError).toMatchObject({ status: 415, code: 'xls_legacy' })
    expect(await wizard.submitSource()).toBe(false)
  })

  it('goes from a paste to a sent job, refusing to send while errors remain', async () => {
    stubFetch(async (url, init) => {
      const body = init.body ? JSON.parse(String(init.body)) : null
      if (url === '/api/imports') return json(200, { ...importBody, source: 'paste', fileName: null, detected: {}, _echo: body })
      if (url === '/api/imports/imp1/dry-run') return json(200, { summary: summary(1), rows, messageText: { supported: 'unknown' }, phoneInvite: false })
      if (url === '/api/imports/imp1/rows/3') return json(200, { row: { ...rows[1], status: 'excluded' }, summary: summary(0, 1) })
      if (url === '/api/imports/imp1/send') return json(200, { jobId: 'job1' })
      return json(404, { error: { code: 'not_found', message: url } })
    })
    wizard.setPasteText('a@example.com, bad@')
    expect(wizard.source).toBe('paste')
    expect(await wizard.submitSource()).toBe(true)
    expect(calls[0]?.body).toBe(JSON.stringify({ paste: 'a@example.com, bad@' }))
    expect(wizard.step).toBe(2)

    wizard.setColumnField(0, null)
    expect(wizard.mappingCheck).toMatchObject({ ok: false, missingContact: true })
    wizard.setColumnField(0, 'email')
    wizard.setColumnField(1, 'email')
    expect(wizard.mappingCheck.duplicates).toEqual(['email'])
    wizard.setColumnField(1, 'name')
    expect(wizard.mappingCheck.ok).toBe(true)

    expect(await wizard.startDryRun()).toBe(true)
    expect(wizard.step).toBe(5)
    const dryRunBody = JSON.parse(String(calls.at(-1)?.body))
    expect(dryRunBody).toMatchObject({ mapping: { 0: 'email', 1: 'name' }, headerRow: true, templateId: null, defaults: { kind: 'intranet', groupIds: [] } })
    expect(wizard.canSend).toBe(false)
    expect(await wizard.send()).toBe(false)

    await wizard.patchRow(3, { excluded: true })
    expect(wizard.rows.find(r => r.rowNumber === 3)?.status).toBe('excluded')
    expect(wizard.summary?.errors).toBe(0)
    expect(wizard.canSend).toBe(true)
    expect(wizard.sendableCount).toBe(1)

    // Changing the settings after the check makes it stale: no sending until it runs again.
    wizard.updateTarget({ kind: 'extranet' })
    expect(wizard.dryRunStale).toBe(true)
    expect(wizard.canSend).toBe(false)
    wizard.updateTarget({ kind: 'intranet' })
    expect(wizard.dryRunStale).toBe(false)

    expect(await wizard.send()).toBe(true)
    expect(wizard.jobId).toBe('job1')
    expect(wizard.step).toBe(6)
    expect(wizard.goTo(5)).toBe(false)
  })

  it('does not count people already in the portal among the invitations to send', async () => {
    const existingRow = { rowNumber: 3, status: 'warning', email: 'admin@example.com', existing: { userId: 1, state: 'active' }, issues: [{ field: 'email', code: 'already_exists', message: 'x', severity: 'warning' }] }
    stubFetch(async url => {
      if (url === '/api/imports') return json(200, importBody)
      if (url === '/api/imports/imp1/dry-run') {
        return json(200, { summary: { ...summary(0), warnings: 1, existing: { active: 1, invited: 0, dismissed: 0, extranet: 0 } }, rows: [rows[0], existingRow], messageText: { supported: 'yes' }, phoneInvite: true })
      }
      return json(404, { error: { code: 'not_found', message: url } })
    })
    wizard.setPasteText('a@example.com admin@example.com')
    await wizard.submitSource()
    await wizard.startDryRun()
    expect(wizard.sendableCount).toBe(1)
    expect(wizard.canSend).toBe(true)
  })

  it('marks the dry run stale when the server answers dry_run_required', async () => {
    stubFetch(async url => {
      if (url === '/api/imports') return json(200, importBody)
      if (url === '/api/imports/imp1/dry-run') return json(200, { summary: { ...summary(0), ready: 2 }, rows: [rows[0]], messageText: { supported: 'yes' }, phoneInvite: true })
      if (url === '/api/imports/imp1/send') return json(409, { error: { code: 'dry_run_required', message: 'again' } })
      return json(404, { error: { code: 'not_found', message: url } })
    })
    wizard.setPasteText('a@example.com')
    await wizard.submitSource()
    await wizard.startDryRun()
    expect(await wizard.send()).toBe(false)
    expect(wizard.stepError).toMatchObject({ code: 'dry_run_required' })
    expect(wizard.dryRunStale).toBe(true)
  })
})

describe('job monitor polling', () => {
  interface VueModule {
    ref<T>(value: T): Ref<T>
    effectScope(): { run<T>(fn: () => T): T | undefined; stop(): void }
    nextTick(): Promise<void>
  }
  let vue: VueModule
  let status: string
  let visibility: 'visible' | 'hidden'
  let listeners: Array<() => void>
  let sending: number | null

  const polls = () => calls.filter(c => c.url === '/api/jobs/job1').length

  beforeEach(async () => {
    await freshClient()
    vue = await vi.importActual<VueModule>('vue')
    vi.useFakeTimers()
    status = 'running'
    visibility = 'visible'
    listeners = []
    vi.stubGlobal('document', {
      get visibilityState() {
        return visibility
      },
      addEventListener: (_: string, fn: () => void) => listeners.push(fn),
      removeEventListener: (_: string, fn: () => void) => (listeners = listeners.filter(l => l !== fn)),
    })
    sending = null
    // Rows are on the wire only while the job runs, unless a test says otherwise.
    stubFetch(() => json(200, { job: { id: 'job1', status, totals: { total: 10, queued: 5, sending: sending ?? (status === 'running' ? 1 : 0), invited: 4, skipped: 0, failed: 0 } }, ratePerMin: 120, etaSec: 3 }))
  })

  async function mount() {
    const { useJobMonitor } = await vi.importActual<{ useJobMonitor(id: Ref<string | null>): { job: Ref<JobLike | null>; act(a: string): Promise<unknown> } }>(`${CLIENT}/composables/useJobMonitor.ts`)
    const scope = vue.effectScope()
    const monitor = scope.run(() => useJobMonitor(vue.ref<string | null>('job1')))!
    await vi.advanceTimersByTimeAsync(0)
    return { scope, monitor }
  }

  it('polls every second while running and stops once the job is finished', async () => {
    const { scope, monitor } = await mount()
    expect(polls()).toBe(1)
    await vi.advanceTimersByTimeAsync(3_000)
    expect(polls()).toBe(4)
    status = 'completed'
    await vi.advanceTimersByTimeAsync(1_000)
    expect(monitor.job.value?.status).toBe('completed')
    const settled = polls()
    await vi.advanceTimersByTimeAsync(5_000)
    expect(polls()).toBe(settled)
    scope.stop()
  })

  it('pauses while the document is hidden and stops for good when unmounted', async () => {
    const { scope } = await mount()
    visibility = 'hidden'
    listeners.forEach(fn => fn())
    const before = polls()
    await vi.advanceTimersByTimeAsync(5_000)
    expect(polls()).toBe(before)
    visibility = 'visible'
    listeners.forEach(fn => fn())
    await vi.advanceTimersByTimeAsync(0)
    expect(polls()).toBe(before + 1)
    scope.stop()
    expect(listeners).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(polls()).toBe(before + 1)
  })

  it('keeps polling a paused job until the batch that was on the wire has settled', async () => {
    status = 'paused'
    sending = 1
    const { scope } = await mount()
    await vi.advanceTimersByTimeAsync(2_000)
    expect(polls()).toBe(3)
    sending = 0
    await vi.advanceTimersByTimeAsync(1_000)
    const settled = polls()
    await vi.advanceTimersByTimeAsync(5_000)
    expect(polls()).toBe(settled)
    scope.stop()
  })

  it('resumes polling after an action brings the job back to running', async () => {
    status = 'paused'
    const { scope, monitor } = await mount()
    await vi.advanceTimersByTimeAsync(3_000)
    expect(polls()).toBe(1)
    status = 'running'
    await monitor.act('resume')
    expect(calls.some(c => c.url === '/api/jobs/job1/resume' && c.method === 'POST')).toBe(true)
    await vi.advanceTimersByTimeAsync(2_000)
    expect(polls()).toBe(3)
    scope.stop()
  })
})

describe('Russian plurals', () => {
  it('picks zero | one | few | many', async () => {
    const { russianPlural } = await vi.importActual<{ russianPlural(n: number, len: number): number }>(`${CLIENT}/i18n/plural.ts`)
    const forms = (n: number) => russianPlural(n, 4)
    expect([0, 1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111].map(forms)).toEqual([0, 1, 2, 2, 3, 3, 3, 3, 1, 2, 3, 1, 3])
    expect([1, 3, 7].map(n => russianPlural(n, 3))).toEqual([0, 1, 2])
  })
})
