import { AjaxError, AjaxResult, ApiVersion, B24OAuth, EnumAppStatus, ParamsFactory, type RestrictionParams } from '@bitrix24/b24jssdk'
import type { AppConfig } from '../config/config.js'
import { systemClock, type Clock } from '../shared/clock.js'
import { AppError, NeedsReinstallError, PortalApiError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { PortalRecord, PortalStore } from '../storage/portal-store.js'
import type { TokenRefresher } from './token-refresher.js'
import { createPacer, type ObserveInfo, type Pacer, type PacerTicket, type PacingOptions } from './pacer.js'

export type CallParams = Record<string, unknown>
export type BatchOutcome = { ok: true; result: unknown } | { ok: false; code: string; message: string }

/** The `time` block of an answer, as far as pacing and callers care (seconds; reset as unix seconds). */
export interface CallTime {
  processing?: number
  /** `time.finish`, unix seconds on the portal's clock. */
  finish?: number
  operating?: number
  operatingResetAt?: number
}

/**
 * A batch command's outcome with its `result_time` (successful commands only: failed ones carry none) and,
 * for list methods, `result_total`.
 */
export type DetailedOutcome = ({ ok: true; result: unknown; total?: number } | { ok: false; code: string; message: string }) & { time?: CallTime }

export interface DetailedBatch {
  outcomes: Record<string, DetailedOutcome>
  /** The outer batch's own `time` (not charged to operating, per limits.md). */
  time?: CallTime
}

export interface BatchOptions {
  /**
   * false: one HTTP attempt, no SDK retry of the whole batch. For commands that are not idempotent
   * (user.add, phone invites): after a timeout or dropped connection the portal may have run part of the
   * batch, and replaying it blindly is the caller's decision, not the transport's. Default true.
   */
  replay?: boolean
}

/** Where a portal's REST lives: taken from a verified source (OAuth answer or our store), never from a request. */
export interface PortalEndpoint {
  memberId: string
  clientEndpoint: string
}

/**
 * The only way the server talks to Bitrix24 REST. One b24jssdk client per portal (its rate limiter and
 * refresh coalescing are per instance), refreshed through the cross-instance TokenRefresher.
 */
export interface PortalGateway {
  call<T = unknown>(memberId: string, method: string, params?: CallParams): Promise<T>
  /** Up to 50 calls in one `batch`; per-call outcomes, never thrown for one failed command. */
  batch(memberId: string, calls: Record<string, [string, CallParams?]>): Promise<Record<string, BatchOutcome>>
  /** A call with someone else's short-lived token (a user's frame AUTH_ID): never refreshed, never stored. */
  callAs<T = unknown>(endpoint: PortalEndpoint, accessToken: string, method: string, params?: CallParams): Promise<T>
  batchAs(endpoint: PortalEndpoint, accessToken: string, calls: Record<string, [string, CallParams?]>): Promise<Record<string, BatchOutcome>>
  /** Like `batch`, with each command's `result_time` and the outer `time`; throws when the whole request failed. */
  batchDetailed(memberId: string, calls: Record<string, [string, CallParams?]>, options?: BatchOptions): Promise<DetailedBatch>
  /** Drop the cached client (after reinstall or uninstall). */
  forget(memberId: string): void
  /** The per-portal pacer every portal client goes through (stats, waitForMethod). */
  readonly pacer: Pacer
}

interface CachedClient {
  b24: B24OAuth
  /** Same portal, SDK retries off (BatchOptions.replay false); built on first use. */
  once?: B24OAuth
  tokenVersion: number
}

export function createPortalGateway(deps: {
  config: Pick<AppConfig, 'clientId' | 'clientSecret' | 'oauthUrl'>
  portals: PortalStore
  refresher: TokenRefresher
  log: Logger
  /**
   * The SDK's retry policy (maxRetries, retryDelay, …). Its client-side rate, operating and adaptive
   * limiters are always switched off for portal clients: they run on wall-clock time and would pace a
   * second time; the pacer is the one authority.
   */
  restriction?: (licenseFamily: string | null) => RestrictionParams
  /** Time for the pacer; tests pass the emulator's sped-up clock. Default: system time. */
  clock?: Clock
  /** Pacer settings (operating budget, window, margins); ignored when `pacer` is given. */
  pacing?: PacingOptions
  /** A pacer to share; default: one per gateway on `clock`. */
  pacer?: Pacer
  /** Every answer (or failure) of a portal's REST, each attempt: for metrics. */
  onAnswer?: (memberId: string, status: number | undefined, code: string | undefined) => void
}): PortalGateway {
  const { config, portals, refresher } = deps
  const restriction = deps.restriction ?? defaultRestriction
  const pacer = deps.pacer ?? createPacer({ clock: deps.clock ?? systemClock, ...deps.pacing })
  const clients = new Map<string, CachedClient>()

  function build(rec: PortalRecord, opts: { replay?: boolean } = {}): B24OAuth {
    const tokens = rec.tokens!
    const params = withoutClientLimits(restriction(rec.licenseFamily))
    const b24 = new B24OAuth(
      {
        applicationToken: '',
        userId: rec.installedByUserId ?? 0,
        memberId: rec.memberId,
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        expires: tokens.expiresAt,
        expiresIn: 3600,
        scope: tokens.scope,
        domain: rec.domain,
        clientEndpoint: rec.clientEndpoint,
        // Unused: refreshes go through our refresher to the configured OAuth server.
        serverEndpoint: `${config.oauthUrl}/rest/`,
        status: EnumAppStatus.Free,
      },
      { clientId: config.clientId, clientSecret: config.clientSecret },
      { restrictionParams: opts.replay === false ? { ...params, maxRetries: 1 } : params },
    )
    b24.offClientSideWarning()
    paceThrough(b24, pacer, rec.memberId, rec.licenseFamily, deps.onAnswer)
    let current = tokens.accessToken
    b24.setCustomRefreshAuth(async () => {
      const fresh = await refresher.refresh(rec.memberId, current)
      current = fresh.accessToken
      return {
        access_token: fresh.accessToken,
        refresh_token: fresh.refreshToken,
        expires: String(fresh.expiresAt),
        expires_in: String(Math.max(0, fresh.expiresAt - Math.floor(Date.now() / 1000))),
        client_endpoint: rec.clientEndpoint,
        server_endpoint: `${config.oauthUrl}/rest/`,
        member_id: rec.memberId,
        scope: fresh.scope,
        status: EnumAppStatus.Free,
        domain: rec.domain,
      }
    })
    return b24
  }

  async function clientFor(memberId: string, replay = true): Promise<B24OAuth> {
    const cached = clients.get(memberId)
    if (cached && replay) return cached.b24
    if (cached?.once) return cached.once
    const rec = await portals.get(memberId)
    if (!rec || !rec.tokens || rec.status === 'uninstalled') throw new AppError('not_installed', 'The app is not installed on this portal', 403)
    if (rec.status === 'needs_reinstall') throw new NeedsReinstallError(memberId)
    const entry = clients.get(memberId) ?? { b24: build(rec), tokenVersion: rec.tokenVersion }
    if (!replay) entry.once ??= build(rec, { replay: false })
    clients.set(memberId, entry)
    return replay ? entry.b24 : entry.once!
  }

  function oneOff(endpoint: PortalEndpoint, accessToken: string): B24OAuth {
    const b24 = new B24OAuth(
      {
        applicationToken: '',
        userId: 0,
        memberId: endpoint.memberId,
        accessToken,
        refreshToken: '',
        // The portal, not us, decides whether the token is still valid.
        expires: Math.floor(Date.now() / 1000) + 600,
        expiresIn: 600,
        scope: '',
        domain: new URL(endpoint.clientEndpoint).host,
        clientEndpoint: endpoint.clientEndpoint,
        serverEndpoint: `${config.oauthUrl}/rest/`,
        status: EnumAppStatus.Free,
      },
      { clientId: config.clientId, clientSecret: config.clientSecret },
      { restrictionParams: { ...ParamsFactory.getRealtime(), maxRetries: 1 } },
    )
    b24.offClientSideWarning()
    b24.setCustomRefreshAuth(async () => {
      throw new AppError('auth_failed', 'The portal did not accept the token', 401)
    })
    return b24
  }

  return {
    async call<T>(memberId: string, method: string, params: CallParams = {}) {
      return runCall<T>(await clientFor(memberId), method, params)
    },
    async batch(memberId, calls) {
      return runBatch(await clientFor(memberId), calls)
    },
    callAs<T>(endpoint: PortalEndpoint, accessToken: string, method: string, params: CallParams = {}) {
      return runCall<T>(oneOff(endpoint, accessToken), method, params)
    },
    batchAs(endpoint, accessToken, calls) {
      return runBatch(oneOff(endpoint, accessToken), calls)
    },
    async batchDetailed(memberId, calls, options = {}) {
      return runBatchDetailed(await clientFor(memberId, options.replay !== false), calls)
    },
    forget(memberId) {
      clients.delete(memberId)
    },
    pacer,
  }
}

/** The SDK's default retries (3 attempts) with short delays; pacing is the pacer's job. */
function defaultRestriction(_licenseFamily: string | null): RestrictionParams {
  return { ...ParamsFactory.getDefault(), maxRetries: 3, retryDelay: 250 }
}

/**
 * Complete objects (sdk-facts §4: a partial `rateLimit` silently yields NaN rates) that switch off the
 * SDK's rate limiter, operating limiter and adaptive delays, keeping its retry policy.
 */
function withoutClientLimits(p: RestrictionParams): RestrictionParams {
  const d = ParamsFactory.getDefault()
  return {
    ...p,
    rateLimit: { burstLimit: 1_000_000_000, drainRate: 1_000_000_000, adaptiveEnabled: false },
    operatingLimit: { ...d.operatingLimit, limitMs: Number.MAX_SAFE_INTEGER, heavyPercent: 100 },
    adaptiveConfig: { ...d.adaptiveConfig, enabled: false },
  } as RestrictionParams
}

interface PacedRequest {
  method: string
  /** Batch commands by key, or undefined for a single call. */
  commands: Array<{ key: string; method: string }> | undefined
  calls: Map<string, number>
}

/** What one HTTP request of the SDK asks the portal for: `/rest/<method>` plus, for batch, `cmd` rows. */
function describeRequest(url: string | undefined, data: unknown): PacedRequest {
  const segments = new URL(url ?? '', 'http://portal.invalid').pathname.split('/').filter(Boolean)
  let method = ''
  try {
    method = decodeURIComponent(segments[segments.length - 1] ?? '').replace(/\.json$/i, '').toLowerCase()
  } catch {
    method = segments[segments.length - 1] ?? ''
  }
  const calls = new Map<string, number>()
  if (method !== 'batch') {
    calls.set(method, 1)
    return { method, commands: undefined, calls }
  }
  const cmd = data !== null && typeof data === 'object' ? (data as { cmd?: unknown }).cmd : undefined
  const rows: Array<[string, unknown]> = Array.isArray(cmd)
    ? cmd.map((row, i) => [String(i), row])
    : cmd !== null && typeof cmd === 'object'
      ? Object.entries(cmd as Record<string, unknown>)
      : []
  const commands = rows.map(([key, row]) => ({ key, method: String(row).split('?')[0]!.trim().toLowerCase() }))
  // The outer batch costs one request of the bucket but no operating (limits.md); each command costs its method's.
  for (const c of commands) calls.set(c.method, (calls.get(c.method) ?? 0) + 1)
  return { method, commands, calls }
}

/**
 * Hooks the pacer into a client's HTTP layer, so that every attempt the SDK makes (first tries, its own
 * retries, the retry after a token refresh) waits for the pacer, and every answer is observed.
 */
function paceThrough(b24: B24OAuth, pacer: Pacer, memberId: string, licenseFamily: string | null, onAnswer?: (memberId: string, status: number | undefined, code: string | undefined) => void): void {
  const ajax = b24.getHttpClient(ApiVersion.v2).ajaxClient
  const inflight = new WeakMap<object, { ticket: PacerTicket; request: PacedRequest }>()
  ajax.interceptors.request.use(async (cfg) => {
    // Interceptors run before axios serialises `data`, so the batch's `cmd` rows are still an object here.
    const request = describeRequest(cfg.url, cfg.data)
    const ticket = await pacer.admit(memberId, licenseFamily, request.calls)
    inflight.set(cfg, { ticket, request })
    return cfg
  })
  const finish = (cfg: object | undefined, status: number | undefined, data: unknown): void => {
    const entry = cfg ? inflight.get(cfg) : undefined
    if (!cfg || !entry) return
    inflight.delete(cfg)
    try {
      observeAnswer(pacer, memberId, entry.request, status, data)
      if (onAnswer) {
        const code = data !== null && typeof data === 'object' ? (data as { error?: unknown }).error : undefined
        onAnswer(memberId, status, typeof code === 'string' ? code : undefined)
      }
    } finally {
      pacer.settle(entry.ticket)
    }
  }
  ajax.interceptors.response.use(
    (res) => {
      finish(res.config, res.status, res.data)
      return res
    },
    (err: unknown) => {
      const e = err as { config?: object; response?: { status?: number; data?: unknown } } | undefined
      finish(e?.config, e?.response?.status, e?.response?.data)
      return Promise.reject(err)
    },
  )
}

function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN
  return Number.isFinite(n) ? n : undefined
}

export function timeOf(t: unknown): CallTime | undefined {
  if (t === null || typeof t !== 'object') return undefined
  const r = t as Record<string, unknown>
  const out: CallTime = {}
  const processing = num(r.processing)
  const finish = num(r.finish)
  const operating = num(r.operating)
  const resetAt = num(r.operating_reset_at)
  if (processing !== undefined) out.processing = processing
  if (finish !== undefined) out.finish = finish
  if (operating !== undefined) out.operating = operating
  if (resetAt !== undefined) out.operatingResetAt = resetAt
  return out
}

/** `result_time` & co. are objects keyed like `cmd`, or JSON lists when the keys were 0..n-1 (PHP arrays). */
function byKey(container: unknown, key: string): unknown {
  if (Array.isArray(container)) return /^\d+$/.test(key) ? container[Number(key)] : undefined
  if (container !== null && typeof container === 'object') return (container as Record<string, unknown>)[key]
  return undefined
}

function observation(method: string, t: CallTime): ObserveInfo {
  const info: ObserveInfo = { method }
  if (t.processing !== undefined) info.processing = t.processing
  if (t.operating !== undefined) info.operating = t.operating
  if (t.operatingResetAt !== undefined) info.operatingResetAt = t.operatingResetAt
  if (t.finish !== undefined) info.finishedAt = t.finish
  return info
}

function observeAnswer(pacer: Pacer, memberId: string, req: PacedRequest, status: number | undefined, data: unknown): void {
  const body = data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : undefined
  const code = typeof body?.error === 'string' ? body.error : undefined
  const methods = req.commands ? [...req.calls.keys()] : [req.method]
  if (status === 503 || code === 'QUERY_LIMIT_EXCEEDED') {
    pacer.observe(memberId, { method: req.method, refused: 'QUERY_LIMIT_EXCEEDED' })
    return
  }
  if (status === 429 || code === 'OPERATION_TIME_LIMIT') {
    for (const method of methods) pacer.observe(memberId, { method, refused: 'OPERATION_TIME_LIMIT' })
    return
  }
  if (!body || code !== undefined || (status !== undefined && status >= 400)) return
  if (!req.commands) {
    const t = timeOf(body.time)
    if (t) pacer.observe(memberId, observation(req.method, t))
    return
  }
  const inner = body.result !== null && typeof body.result === 'object' ? (body.result as Record<string, unknown>) : {}
  for (const c of req.commands) {
    const t = timeOf(byKey(inner.result_time, c.key))
    if (t) pacer.observe(memberId, observation(c.method, t))
    const err = byKey(inner.result_error, c.key)
    const errCode = typeof err === 'string' ? err : err !== null && typeof err === 'object' ? (err as { error?: unknown }).error : undefined
    if (errCode === 'OPERATION_TIME_LIMIT') pacer.observe(memberId, { method: c.method, refused: 'OPERATION_TIME_LIMIT' })
  }
}

async function runCall<T>(b24: B24OAuth, method: string, params: CallParams): Promise<T> {
  let res: AjaxResult
  try {
    res = (await b24.actions.v2.call.make({ method, params })) as AjaxResult
  } catch (e) {
    throw toAppError(e, method)
  }
  if (!res.isSuccess) {
    const err = [...res.getErrors()][0]
    throw toAppError(err ?? new Error(res.getErrorMessages().join('; ')), method)
  }
  return (res.getData() as { result: T }).result
}

async function runBatch(b24: B24OAuth, calls: Record<string, [string, CallParams?]>): Promise<Record<string, BatchOutcome>> {
  const { outcomes } = await runBatchDetailed(b24, calls)
  const out: Record<string, BatchOutcome> = {}
  for (const [k, o] of Object.entries(outcomes)) out[k] = o.ok ? { ok: true, result: o.result } : { ok: false, code: o.code, message: o.message }
  return out
}

async function runBatchDetailed(b24: B24OAuth, calls: Record<string, [string, CallParams?]>): Promise<DetailedBatch> {
  const keys = Object.keys(calls)
  if (keys.length > 50) throw new AppError('batch_too_large', 'A batch holds at most 50 calls', 500)
  const sdkCalls: Record<string, [string, CallParams]> = {}
  for (const k of keys) sdkCalls[k] = [calls[k]![0], calls[k]![1] ?? {}]
  let result
  try {
    // The transport's batch (what actions.v2.batch.make wraps) keeps the outer `time`, which the action drops.
    result = await b24.getHttpClient(ApiVersion.v2).batch(sdkCalls, { isHaltOnError: false })
  } catch (e) {
    throw toAppError(e, 'batch')
  }
  const data = result.getData()
  const rows = data?.result ?? new Map<string | number, AjaxResult>()
  if (rows.size === 0 && !result.isSuccess) {
    // The batch request itself was answered with an error envelope (no per-command results).
    const first = [...result.getErrors()][0]
    throw toAppError(first ?? new Error(result.getErrorMessages().join('; ')), 'batch')
  }
  const outcomes: Record<string, DetailedOutcome> = {}
  for (const k of keys) {
    const r = rows.get(k) as AjaxResult | undefined
    const hidden = r && r.isSuccess ? hiddenError(r) : undefined
    if (hidden !== undefined) {
      outcomes[k] = { ok: false, code: '', message: hidden }
    } else if (r && r.isSuccess) {
      const d = r.getData() as { result: unknown; time?: unknown }
      const time = timeOf(d.time)
      const total = r.getTotal()
      outcomes[k] = { ok: true, result: d.result, ...(total > 0 ? { total } : {}), ...(time ? { time } : {}) }
    } else {
      const e = r ? [...r.getErrors()][0] : result.errors.get(k)
      const mapped = toAppError(e ?? new Error('failed in batch'), calls[k]![0])
      outcomes[k] = {
        ok: false,
        code: mapped instanceof PortalApiError ? mapped.apiCode : mapped.code,
        message: mapped.message,
      }
    }
  }
  const time = timeOf(data?.time)
  return { outcomes, ...(time ? { time } : {}) }
}

/**
 * sonet_group.* methods answer errors with an empty `error` code and the text in `error_description`
 * (rest-facts §2.2, e.g. "Socialnetwork group not found"). Inside a batch, b24jssdk 2.2.0 reads an empty
 * code as "no error" and reports the command as a success without a result; the description is still in
 * the answer it keeps, so such a command is turned back into the failure it is.
 */
function hiddenError(r: AjaxResult): string | undefined {
  const answer = (r as unknown as { _data?: { result?: unknown; error_description?: unknown } })._data
  if (!answer || answer.result !== undefined) return undefined
  return typeof answer.error_description === 'string' && answer.error_description !== '' ? answer.error_description : undefined
}

/** Maps SDK errors onto ours; unwraps the error our refresher threw from inside the SDK. */
export function toAppError(e: unknown, method: string): AppError {
  if (e instanceof AppError) return e
  if (e instanceof AjaxError) {
    const inner = (e as { originalError?: unknown }).originalError
    if (inner instanceof AppError) return inner
    return new PortalApiError(e.code, e.message, e.status, method)
  }
  if (e instanceof Error) {
    const inner = (e as { originalError?: unknown }).originalError
    if (inner instanceof AppError) return inner
    const code = (e as { code?: unknown }).code
    return new PortalApiError(typeof code === 'string' ? code : 'UNKNOWN', e.message, 0, method)
  }
  return new PortalApiError('UNKNOWN', String(e), 0, method)
}
