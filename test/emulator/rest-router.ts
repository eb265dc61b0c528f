/**
 * `POST|GET /rest/<method>` on a portal port (also `<method>.json`, duplicate slashes collapsed: the SDK
 * calls `/rest//profile` when clientEndpoint ends with `/`). Order of checks: CORS preflight → body →
 * leaky bucket (each HTTP request counts once, batch included: limits.md "The rate limit accounts for
 * HTTP requests") → injected faults → auth → method (dispatch.ts) or batch (batch.ts).
 */
import type { Request, Response } from 'express'
import { runBatch } from './batch.js'
import { applyFault, DropConnection, runMethod, type Caller } from './dispatch.js'
import { timeBlock } from './envelope.js'
import { RestError, SystemErrors } from './errors.js'
import { parseForm } from './form-encoding.js'
import { BodyParseError, parseBody, queryString, readRawBody } from './http-util.js'
import type { Params } from './params.js'
import type { Portal } from './portal.js'
import type { RequestRecord } from './state.js'

/** CORS for calls from the app frame (sdk-facts §5.2: the frame POSTs JSON straight to DOMAIN/rest/). */
export function setCors(req: Request, res: Response): void {
  const origin = req.headers.origin
  if (!origin) return
  res.setHeader('Access-Control-Allow-Origin', origin)
  res.setHeader('Vary', 'Origin')
  res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS, GET')
  const requested = req.headers['access-control-request-headers']
  res.setHeader('Access-Control-Allow-Headers', typeof requested === 'string' && requested ? requested : 'Content-Type')
  res.setHeader('Access-Control-Max-Age', '600')
}

/** The method name from the path, or undefined for shapes the emulator does not serve. */
function methodFromPath(path: string): { method?: string; webhook?: boolean; v3?: boolean } {
  const parts = path.split('/').filter(Boolean)
  if (parts[0] !== 'rest') return {}
  const rest = parts.slice(1)
  if (rest[0] === 'api') return { v3: true }
  // Webhook shape /rest/<user>/<secret>/<method>: webhooks are not modelled.
  if (rest.length === 3 && /^\d+$/.test(rest[0] ?? '')) return { webhook: true }
  if (rest.length !== 1) return {}
  const method = (rest[0] ?? '').replace(/\.json$/i, '').toLowerCase()
  return method ? { method } : {}
}

/** b24jssdk appends tracing parameters to every REST URL (sdk-facts §1); they are not method parameters. */
function stripTracing(p: Params): Params {
  for (const k of Object.keys(p)) if (k.startsWith('bx24_')) delete p[k]
  return p
}

export async function handleRest(portal: Portal, req: Request, res: Response): Promise<void> {
  setCors(req, res)
  if (req.method === 'OPTIONS') {
    res.status(200).end()
    return
  }
  const startMs = portal.clock.now()
  const path = req.path.replace(/\/{2,}/g, '/')
  const { method, webhook, v3 } = methodFromPath(path)
  const record: RequestRecord = { at: startMs, httpMethod: req.method, restMethod: method ?? path, params: {}, userId: null, clientId: null, status: 0 }
  const send = (status: number, body: unknown): void => {
    record.status = status
    record.doneAt = portal.clock.now()
    portal.recordRequest(record)
    res.status(status).type('application/json; charset=utf-8').send(JSON.stringify(body))
  }
  const fail = (e: RestError): void => {
    record.error = e.error
    send(e.status, e.body())
  }

  let params: Params
  try {
    const raw = req.method === 'POST' ? await readRawBody(req) : ''
    params = stripTracing({ ...parseForm(queryString(req.originalUrl)), ...parseBody(raw, req.headers['content-type']) })
  } catch (e) {
    if (e instanceof BodyParseError) return fail(new RestError(400, 'INVALID_REQUEST', 'Invalid request body'))
    throw e
  }
  const auth = typeof params.auth === 'string' ? params.auth : ''
  delete params.auth
  record.params = params

  if (v3 || !method) return fail(SystemErrors.methodNotFound())
  if (webhook) return fail(new RestError(401, 'INVALID_CREDENTIALS', 'Invalid request credentials'))

  if (!portal.bucket.take(req.socket.remoteAddress ?? 'unknown')) {
    portal.countCall(method)
    return fail(SystemErrors.queryLimit())
  }

  try {
    const fault = portal.takeFault(method, false)
    const dropAfter = fault?.kind === 'network_drop' && fault.afterRun === true
    const faultError = dropAfter ? undefined : await applyFault(fault)
    if (faultError) {
      portal.countCall(method)
      return fail(faultError)
    }

    const token = auth ? portal.tokens.findAccess(auth) : undefined
    const install = token ? portal.installs.get(token.clientId) : undefined
    const app = token ? portal.app(token.clientId) : undefined
    const user = token ? portal.usersById.get(token.userId) : undefined
    // A token of another portal, of an uninstalled app, or no token at all: NO_AUTH_FOUND (401).
    if (!token || token.memberId !== portal.memberId || !install || !app || !user) {
      portal.countCall(method)
      return fail(SystemErrors.noAuth())
    }
    record.userId = user.ID
    record.clientId = app.clientId
    if (portal.tokens.isExpired(token)) {
      portal.countCall(method)
      return fail(SystemErrors.expiredToken())
    }
    const caller: Caller = { app, install, user }

    if (method === 'batch') {
      portal.countCall('batch')
      const out = await runBatch(portal, caller, params, startMs)
      record.batchOf = out.methods
      if (dropAfter) throw new DropConnection('network_drop fault after the batch ran')
      return send(200, out.body)
    }

    // Faults for this method were taken above (top-level), so the dispatcher does not look again.
    const out = await runMethod(portal, caller, method, params, { inBatch: false, checkFaults: false })
    if (dropAfter) throw new DropConnection('network_drop fault after the call ran')
    if (!out.ok) return fail(out.error)
    const body: Record<string, unknown> = { result: out.output.result }
    if (out.output.total !== undefined) body.total = out.output.total
    if (out.output.next !== undefined) body.next = out.output.next
    body.time = out.time
    return send(out.output.status ?? 200, body)
  } catch (e) {
    if (e instanceof DropConnection) {
      record.status = 0
      record.error = 'network_drop'
      record.doneAt = portal.clock.now()
      portal.recordRequest(record)
      req.socket.destroy()
      return
    }
    throw e
  }
}

/** Envelope-shaped answer for internal failures, so clients see a documented error. */
export function internalError(res: Response, startMs: number): void {
  if (res.headersSent) return
  res.status(500).json({ ...SystemErrors.internal().body(), time: timeBlock(startMs, 0) })
}
