/**
 * Real-HTTP calls to the app's JSON API for integration tests: the bearer session a portal frame opens,
 * JSON and raw bodies, and the answer decoded for assertions. Also the steps most bulk-invite tests
 * share (install + open as admin, upload → dry run → send, waiting for a job).
 */
import { installThroughPortal, openApp, startStack, until, type Instance, type Stack } from './stack.js'
import type { PortalHandle } from '../emulator/index.js'
import type { Backend } from './databases.js'

export interface ApiAnswer {
  status: number
  headers: Headers
  /** Parsed JSON when the answer is JSON, otherwise undefined. */
  body: any
  /** The raw answer bytes (downloads). */
  bytes: Buffer
  text: string
}

export interface ApiCall {
  /** JSON body (sent with content-type application/json). */
  json?: unknown
  /** Raw body, sent as is (uploads, malformed JSON). */
  raw?: Uint8Array | string
  headers?: Record<string, string>
}

export interface Api {
  url: string
  token: string
  call(method: string, path: string, opts?: ApiCall): Promise<ApiAnswer>
  get(path: string): Promise<ApiAnswer>
  post(path: string, json?: unknown): Promise<ApiAnswer>
  patch(path: string, json: unknown): Promise<ApiAnswer>
  put(path: string, json: unknown): Promise<ApiAnswer>
  del(path: string): Promise<ApiAnswer>
  /** POST /api/imports with the bytes as application/octet-stream and X-File-Name. */
  upload(bytes: Uint8Array | string, fileName: string): Promise<ApiAnswer>
}

export function apiFor(url: string, token: string): Api {
  async function call(method: string, path: string, opts: ApiCall = {}): Promise<ApiAnswer> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...opts.headers }
    let body: BodyInit | undefined
    if (opts.json !== undefined) {
      headers['content-type'] ??= 'application/json'
      body = JSON.stringify(opts.json)
    } else if (opts.raw !== undefined) {
      body = typeof opts.raw === 'string' ? opts.raw : Buffer.from(opts.raw)
    }
    const res = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) })
    const bytes = Buffer.from(await res.arrayBuffer())
    const text = bytes.toString('utf8')
    const isJson = (res.headers.get('content-type') ?? '').includes('application/json')
    return { status: res.status, headers: res.headers, body: isJson && text ? JSON.parse(text) : undefined, bytes, text }
  }
  return {
    url, token, call,
    get: (path) => call('GET', path),
    post: (path, json) => call('POST', path, json === undefined ? {} : { json }),
    patch: (path, json) => call('PATCH', path, { json }),
    put: (path, json) => call('PUT', path, { json }),
    del: (path) => call('DELETE', path),
    upload: (bytes, fileName) =>
      call('POST', '/api/imports', { raw: bytes, headers: { 'content-type': 'application/octet-stream', 'x-file-name': encodeURIComponent(fileName) } }),
  }
}

/**
 * startStack, retried when PostgreSQL migrations trip over another test process dropping its schema at
 * the same moment: Kysely's migrator introspects every schema in the database (not only ours), and a
 * schema or table vanishing mid-query fails it with 3F000 / 42P01 / 42703. Only that failure is retried.
 */
export async function startTestStack(backend: Backend, opts: Parameters<typeof startStack>[1] = {}): Promise<Stack> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startStack(backend, opts)
    } catch (e) {
      const code = (e as { cause?: { code?: string } }).cause?.code
      const raced = e instanceof Error && /^database migration/.test(e.message) && ['3F000', '42P01', '42703'].includes(code ?? '')
      if (!raced || attempt >= 3) throw e
    }
  }
}

/** The stack seen through another portal of the same emulator (second tenant, other capabilities). */
export function withPortal(stack: Stack, portal: PortalHandle): Stack {
  return { ...stack, portal }
}

/** Opens the app in the portal frame as `userId` and returns an API client with that user's session. */
export async function sessionApi(stack: Stack, userId = 1, instance: Instance = stack.a): Promise<Api> {
  const opened = await openApp(stack, { userId, instance })
  if (opened.status !== 200 || !opened.boot) throw new Error(`opening the app answered ${opened.status}: ${opened.text.slice(0, 300)}`)
  return apiFor(instance.url, opened.boot.session.token as string)
}

/** Installs the app through the portal, waits for ONAPPINSTALL to land, and opens it as the admin. */
export async function installedAdmin(stack: Stack): Promise<Api> {
  try {
    await installThroughPortal(stack)
    await until(async () => (await stack.a.app.stores.portals.get(stack.portal.memberId))?.status === 'installed', 'portal installed')
    return await sessionApi(stack, 1)
  } catch (e) {
    // The answer only says "logged": put the server's own error lines into the failure.
    const errors = stack.logs.filter((l) => /"level":"(error|fatal)"/.test(l)).slice(-5)
    throw new Error(`${e instanceof Error ? e.message : String(e)}\nserver errors:\n${errors.join('\n')}`, { cause: e })
  }
}

export const DEFAULTS = { kind: 'intranet', departmentId: 1, groupIds: [], lang: 'en' } as const

export interface DryRunInput {
  mapping?: Record<string, string | null>
  headerRow?: boolean
  templateId?: string | null
  defaults?: Partial<{ kind: 'intranet' | 'extranet'; departmentId: number | null; groupIds: number[]; lang: 'ru' | 'en' }>
}

/** Upload + dry run with the detected mapping; throws with the server's answer on anything unexpected. */
export async function uploadAndCheck(api: Api, bytes: Uint8Array | string, fileName: string, input: DryRunInput = {}) {
  const up = await api.upload(bytes, fileName)
  if (up.status !== 201) throw new Error(`upload answered ${up.status}: ${up.text}`)
  const dry = await api.post(`/api/imports/${up.body.id}/dry-run`, {
    mapping: input.mapping ?? up.body.mapping,
    headerRow: input.headerRow ?? up.body.headerRow,
    templateId: input.templateId ?? null,
    defaults: { ...DEFAULTS, ...input.defaults },
  })
  if (dry.status !== 200) throw new Error(`dry run answered ${dry.status}: ${dry.text}`)
  return { importId: up.body.id as string, upload: up.body, dryRun: dry.body }
}

/** Upload, check and send; returns the job id. */
export async function sendList(api: Api, bytes: Uint8Array | string, fileName: string, input: DryRunInput = {}): Promise<string> {
  const { importId } = await uploadAndCheck(api, bytes, fileName, input)
  const sent = await api.post(`/api/imports/${importId}/send`)
  if (sent.status !== 201) throw new Error(`send answered ${sent.status}: ${sent.text}`)
  return sent.body.jobId as string
}

/** Polls GET /api/jobs/:id until `done(job)` holds; returns the last answer body. */
export async function waitForJob(api: Api, jobId: string, done: (job: any) => boolean, what: string, ms = 20_000): Promise<any> {
  return until(async () => {
    const r = await api.get(`/api/jobs/${jobId}`)
    if (r.status !== 200) throw new Error(`GET job answered ${r.status}: ${r.text}`)
    return done(r.body.job) ? r.body : undefined
  }, what, ms)
}

export const finished = (job: any) => job.status === 'completed' || job.status === 'cancelled'

/** CSV text of `rows` (first row = header), comma-separated, fields quoted when needed. */
export function csv(rows: string[][], delimiter = ','): string {
  const q = (s: string) => (/[",;\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
  return rows.map((r) => r.map(q).join(delimiter)).join('\r\n') + '\r\n'
}

/** A list of `n` people at example.test with distinct e-mails (`prefix-1@…`). */
export function people(n: number, prefix: string): string[][] {
  return [['E-mail', 'Name', 'Last name'], ...Array.from({ length: n }, (_, i) => [`${prefix}-${i + 1}@example.test`, `Name${i + 1}`, prefix])]
}
