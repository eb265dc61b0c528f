/**
 * Oversized and malformed bodies on every route family that reads a body, on SQLite and PostgreSQL, over raw
 * HTTP (a fresh socket each, so a reset shows as one):
 * - the JSON API: every POST / PUT / PATCH route the Express app has (walked from its router), just over 1 MB,
 *   and malformed JSON;
 * - the upload (POST /api/imports, octet-stream): just over 20 MB;
 * - the portal's callbacks (POST /events, POST /robots/:code) and the frame pages (/app, /install): form bodies
 *   just over 256 KB, and more fields than the form parser takes;
 * - the public join page (POST /join/<token>): just over 8 KB, and more fields than its three;
 * and, for each family, 50 MB sent with a Content-Length and 50 MB streamed without one (chunked). Each must
 * answer 413 with a JSON error whose message names the limit (a body at the limit is not refused as too large),
 * never reset the socket, and leave the instance serving the next request.
 */
import http from 'node:http'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_UPLOAD_BYTES } from '../../server/invites/import/index.js'
import { BACKENDS, type Backend } from '../helpers/databases.js'
import { installedAdmin, startTestStack, type Api } from '../helpers/api.js'
import type { Stack } from '../helpers/stack.js'
import { routesOf } from '../helpers/express-routes.js'

const MB = 1024 * 1024
/** The limits server/http sets: express.json in create-http-app.ts, its form parser, the join page's own (join-page-routes.ts). */
const JSON_LIMIT = { bytes: 1 * MB, text: '1 MB' }
/** POST /api/session is read before any session exists (two tokens), so its limit is small. */
const SESSION_LIMIT = { bytes: 16 * 1024, text: '16 KB' }
const FORM_LIMIT = { bytes: 256 * 1024, text: '256 KB', fields: 2000 }
const JOIN_LIMIT = { bytes: 8 * 1024, text: '8 KB', fields: 20 }
const UPLOAD_LIMIT = { bytes: MAX_UPLOAD_BYTES, text: `${MAX_UPLOAD_BYTES / MB} MB` }
const FAR_TOO_LARGE = 50 * MB

type Outcome = { status: number; text: string } | { error: string }

/**
 * One request on its own socket. The body is sent in chunks (waiting for the socket to drain, so 50 MB never sits
 * in memory); without `length` it goes chunked, so the server must count bytes instead of trusting a header.
 */
function send(url: string, opts: { method?: string; headers?: Record<string, string>; body: Buffer | { chunk: Buffer; bytes: number }; length?: boolean }): Promise<Outcome> {
  return new Promise((resolve) => {
    const total = Buffer.isBuffer(opts.body) ? opts.body.length : opts.body.bytes
    const headers: Record<string, string> = { ...opts.headers }
    if (opts.length !== false) headers['content-length'] = String(total)
    const req = http.request(url, { method: opts.method ?? 'POST', headers, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      res.on('error', (e) => resolve({ error: `${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}` }))
    })
    req.on('error', (e) => resolve({ error: `${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}` }))
    void (async () => {
      try {
        if (Buffer.isBuffer(opts.body)) {
          for (let at = 0; at < total; at += MB) if (!req.write(opts.body.subarray(at, at + MB))) await once(req, 'drain')
        } else {
          const { chunk } = opts.body
          for (let left = total; left > 0; left -= chunk.length) {
            if (!req.write(left >= chunk.length ? chunk : chunk.subarray(0, left))) await once(req, 'drain')
          }
        }
        req.end()
      } catch {
        // The request's own error event reports it.
      }
    })()
  })
}
/** A form body of exactly `bytes` bytes: a few fields and one long value. */
function formBody(bytes: number, fields: Record<string, string> = {}): Buffer {
  const head = Object.entries({ event: 'ONUSERADD', ...fields }).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&') + '&pad='
  if (bytes < head.length) throw new Error('form body too small')
  return Buffer.concat([Buffer.from(head), Buffer.alloc(bytes - head.length, 0x61)])
}

/** A JSON body of exactly `bytes` bytes: one long string value. */
function jsonBody(bytes: number): Buffer {
  const head = '{"pad":"'
  return Buffer.concat([Buffer.from(head), Buffer.alloc(bytes - head.length - 2, 0x61), Buffer.from('"}')])
}

const FORM = 'application/x-www-form-urlencoded'

interface Family {
  name: string
  url: (w: World) => string
  headers: (w: World) => Record<string, string>
  limit: { bytes: number; text: string }
  /** A body of exactly `bytes` bytes of the family's kind. */
  body: (bytes: number) => Buffer
  /** The error code of a body over the limit. */
  code: string
}

interface World {
  stack: Stack
  admin: Api
  joinUrl: string
}

const FAMILIES: Family[] = [
  {
    name: 'the JSON API (POST /api/templates)', url: (w) => `${w.stack.a.url}/api/templates`, limit: JSON_LIMIT, code: 'body_too_large',
    headers: (w) => ({ authorization: `Bearer ${w.admin.token}`, 'content-type': 'application/json' }), body: jsonBody,
  },
  {
    name: 'the upload (POST /api/imports)', url: (w) => `${w.stack.a.url}/api/imports`, limit: UPLOAD_LIMIT, code: 'too_large',
    headers: (w) => ({ authorization: `Bearer ${w.admin.token}`, 'content-type': 'application/octet-stream', 'x-file-name': 'big.csv' }),
    body: (bytes) => Buffer.concat([Buffer.from('E-mail\r\n'), Buffer.alloc(bytes - 8, 0x0a)]),
  },
  { name: 'events (POST /events)', url: (w) => `${w.stack.a.url}/events`, limit: FORM_LIMIT, code: 'body_too_large', headers: () => ({ 'content-type': FORM }), body: (n) => formBody(n) },
  {
    name: 'robot calls (POST /robots/invite_employee)', url: (w) => `${w.stack.a.url}/robots/invite_employee`, limit: FORM_LIMIT, code: 'body_too_large',
    headers: () => ({ 'content-type': FORM }), body: (n) => formBody(n, { code: 'invite_employee' }),
  },
  { name: 'the app frame (POST /app)', url: (w) => `${w.stack.a.url}/app`, limit: FORM_LIMIT, code: 'body_too_large', headers: () => ({ 'content-type': FORM }), body: (n) => formBody(n, { AUTH_ID: 'x' }) },
  { name: 'the install page (POST /install)', url: (w) => `${w.stack.a.url}/install`, limit: FORM_LIMIT, code: 'body_too_large', headers: () => ({ 'content-type': FORM }), body: (n) => formBody(n, { REFRESH_ID: 'x' }) },
  {
    name: 'the public join page (POST /join/<token>)', url: (w) => w.joinUrl, limit: JOIN_LIMIT, code: 'body_too_large',
    headers: () => ({ 'content-type': FORM, 'x-forwarded-for': '198.51.100.77' }), body: (n) => formBody(n, { email: 'big@oversize.example', name: 'Big' }),
  },
]

async function buildWorld(backend: Backend): Promise<World> {
  const stack = await startTestStack(backend, { portal: { lang: 'en' }, joinLimits: { joinsPerIpPer10Min: 10_000, viewsPerIpPerMinute: 10_000 } })
  try {
    const admin = await installedAdmin(stack)
    // The directory cache learns department 1 (a link's target is checked against it).
    await stack.a.app.directorySync.sync(stack.portal.memberId, { forceFull: true })
    const link = await admin.post('/api/join-links', {
      name: 'Oversize lobby', target: { kind: 'department', id: 1 }, templateId: null, expiresOn: null, cap: null, allowedDomains: [], approval: false,
    })
    if (link.status !== 201) throw new Error(`join link: ${link.status} ${link.text}`)
    return { stack, admin, joinUrl: link.body.url as string }
  } catch (e) {
    await stack.close()
    throw e
  }
}

/** The problems with an answer that should be a 413 naming the limit. */
function tooLargeProblems(label: string, out: Outcome, code: string, limitText: string): string[] {
  if ('error' in out) return [`${label}: the socket failed (${out.error})`]
  const problems: string[] = []
  if (out.status !== 413) problems.push(`${label}: answered ${out.status}, expected 413: ${out.text.slice(0, 200)}`)
  let error: { code?: string; message?: string } | undefined
  try {
    error = (JSON.parse(out.text) as { error?: { code?: string; message?: string } }).error
  } catch {
    problems.push(`${label}: the answer is not JSON: ${out.text.slice(0, 200)}`)
  }
  if (error && error.code !== code) problems.push(`${label}: error code ${error.code}, expected ${code}`)
  if (error && !error.message?.includes(limitText)) problems.push(`${label}: the message does not name the limit (${limitText}): ${error.message}`)
  return problems
}

for (const backend of BACKENDS) {
  describe.sequential(`oversized and malformed bodies on ${backend.name}`, () => {
    let w: World | undefined
    beforeAll(async () => {
      w = await buildWorld(backend)
    }, 60_000)
    afterAll(async () => {
      await w?.stack.close()
    })

    /** The instance still answers: a health check, an API read and the join page. */
    async function stillServing(world: World): Promise<void> {
      expect((await fetch(`${world.stack.a.url}/healthz`)).status).toBe(200)
      expect((await world.admin.get('/api/templates')).status).toBe(200)
      expect((await fetch(world.joinUrl, { headers: { 'x-forwarded-for': '198.51.100.78' } })).status).toBe(200)
    }

    it('every JSON API route that takes a body refuses one byte over 1 MB (POST /api/session: 16 KB) with 413 naming the limit, reads nothing without a session, and refuses malformed JSON with 400', async () => {
      const world = w!
      const routes = routesOf(world.stack.a.app.http).filter((r) => /^(POST|PUT|PATCH) \/api\//.test(r))
      // A guard that the walk found the API (a few dozen routes), not an empty list that would pass anything.
      expect(routes.length).toBeGreaterThan(40)
      const over = jsonBody(JSON_LIMIT.bytes + 1)
      const problems: string[] = []
      for (const route of routes) {
        const [method, pattern] = route.split(' ') as [string, string]
        const path = pattern.replace(/:([A-Za-z]+)/g, (_m, name: string) => (/id$/i.test(name) ? '00000000-0000-4000-8000-000000000000' : '1'))
        const headers = { authorization: `Bearer ${world.admin.token}`, 'content-type': 'application/json' }
        const limit = path === '/api/session' ? SESSION_LIMIT : JSON_LIMIT
        problems.push(...tooLargeProblems(`${route} (${limit.text} + 1)`, await send(`${world.stack.a.url}${path}`, { method, headers, body: jsonBody(limit.bytes + 1) }), 'body_too_large', limit.text))
        // Without a session nothing is read: 401 before the body (the route that makes sessions excepted).
        if (path !== '/api/session') {
          const anonymous = await send(`${world.stack.a.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: over })
          if ('error' in anonymous || anonymous.status !== 401) problems.push(`${route} (no session, 1 MB + 1): ${'error' in anonymous ? anonymous.error : `${anonymous.status} ${anonymous.text.slice(0, 120)}`}`)
        }
        const bad = await send(`${world.stack.a.url}${path}`, { method, headers, body: Buffer.from('{"name": "Unclosed ') })
        if ('error' in bad) problems.push(`${route} (malformed JSON): the socket failed (${bad.error})`)
        else if (bad.status !== 400 || !/"code":"bad_json"/.test(bad.text)) problems.push(`${route} (malformed JSON): ${bad.status} ${bad.text.slice(0, 200)}`)
      }
      expect(problems).toEqual([])
      await stillServing(world)
    })

    for (const family of FAMILIES) {
      it(`${family.name}: just over ${family.limit.text}, 50 MB by length and 50 MB streamed each get 413 naming the limit; the instance serves on`, async () => {
        const world = w!
        const url = family.url(world)
        const headers = family.headers(world)
        const problems: string[] = []

        // At the limit the body is read (and judged on what it says): whatever the answer, it is not "too large".
        const at = await send(url, { headers, body: family.body(family.limit.bytes) })
        if ('error' in at) problems.push(`at the limit: the socket failed (${at.error})`)
        else if (at.status === 413) problems.push(`at the limit: refused as too large: ${at.text.slice(0, 200)}`)

        problems.push(...tooLargeProblems('one byte over', await send(url, { headers, body: family.body(family.limit.bytes + 1) }), family.code, family.limit.text))
        problems.push(...tooLargeProblems('one byte over, streamed', await send(url, { headers, body: family.body(family.limit.bytes + 1), length: false }), family.code, family.limit.text))
        const far = { chunk: family.body(MB), bytes: FAR_TOO_LARGE }
        problems.push(...tooLargeProblems('50 MB by length', await send(url, { headers, body: far }), family.code, family.limit.text))
        problems.push(...tooLargeProblems('50 MB streamed', await send(url, { headers, body: far, length: false }), family.code, family.limit.text))
        expect(problems).toEqual([])
        await stillServing(world)
      })
    }

    it('forms with more fields than their parser takes: 413 from the callbacks and frame pages (2,000), and from the join page (20)', async () => {
      const world = w!
      const fields = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => `f${i}=1`).join('&'))
      const problems: string[] = []
      for (const family of FAMILIES.filter((f) => f.headers(world)['content-type'] === FORM)) {
        const most = family.limit === JOIN_LIMIT ? JOIN_LIMIT.fields : FORM_LIMIT.fields
        const ok = await send(family.url(world), { headers: family.headers(world), body: fields(most) })
        if ('error' in ok || ok.status === 413) problems.push(`${family.name} with ${most} fields: ${'error' in ok ? ok.error : ok.text.slice(0, 200)}`)
        const over = await send(family.url(world), { headers: family.headers(world), body: fields(most + 1) })
        if ('error' in over) problems.push(`${family.name} with ${most + 1} fields: the socket failed (${over.error})`)
        else if (over.status !== 413 || !/"code":"too_many_fields"/.test(over.text)) problems.push(`${family.name} with ${most + 1} fields: ${over.status} ${over.text.slice(0, 200)}`)
      }
      expect(problems).toEqual([])
      await stillServing(world)
    })
  })
}
