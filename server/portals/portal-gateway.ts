import { AjaxError, AjaxResult, B24OAuth, EnumAppStatus, ParamsFactory, type RestrictionParams } from '@bitrix24/b24jssdk'
import type { AppConfig } from '../config/config.js'
import { AppError, NeedsReinstallError, PortalApiError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { PortalRecord, PortalStore } from '../storage/portal-store.js'
import type { TokenRefresher } from './token-refresher.js'

export type CallParams = Record<string, unknown>
export type BatchOutcome = { ok: true; result: unknown } | { ok: false; code: string; message: string }

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
  /** Drop the cached client (after reinstall or uninstall). */
  forget(memberId: string): void
}

interface CachedClient {
  b24: B24OAuth
  tokenVersion: number
}

export function createPortalGateway(deps: {
  config: Pick<AppConfig, 'clientId' | 'clientSecret' | 'oauthUrl'>
  portals: PortalStore
  refresher: TokenRefresher
  log: Logger
  /** Tests pass a faster profile; production uses the plan's documented limits. */
  restriction?: (licenseFamily: string | null) => RestrictionParams
}): PortalGateway {
  const { config, portals, refresher } = deps
  const restriction = deps.restriction ?? defaultRestriction
  const clients = new Map<string, CachedClient>()

  function build(rec: PortalRecord): B24OAuth {
    const tokens = rec.tokens!
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
      { restrictionParams: restriction(rec.licenseFamily) },
    )
    b24.offClientSideWarning()
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

  async function clientFor(memberId: string): Promise<B24OAuth> {
    const cached = clients.get(memberId)
    if (cached) return cached.b24
    const rec = await portals.get(memberId)
    if (!rec || !rec.tokens || rec.status === 'uninstalled') throw new AppError('not_installed', 'The app is not installed on this portal', 403)
    if (rec.status === 'needs_reinstall') throw new NeedsReinstallError(memberId)
    const b24 = build(rec)
    clients.set(memberId, { b24, tokenVersion: rec.tokenVersion })
    return b24
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
    forget(memberId) {
      clients.delete(memberId)
    },
  }
}

function defaultRestriction(licenseFamily: string | null): RestrictionParams {
  // limits.md: Enterprise drains 5/s with a 250 burst, every other plan 2/s with 50.
  return licenseFamily === 'ent' ? ParamsFactory.getEnterprise() : ParamsFactory.getDefault()
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
  const keys = Object.keys(calls)
  if (keys.length > 50) throw new AppError('batch_too_large', 'A batch holds at most 50 calls', 500)
  const sdkCalls: Record<string, [string, CallParams]> = {}
  for (const k of keys) sdkCalls[k] = [calls[k]![0], calls[k]![1] ?? {}]
  let result
  try {
    result = await b24.actions.v2.batch.make({ calls: sdkCalls, options: { isHaltOnError: false, returnAjaxResult: true } })
  } catch (e) {
    throw toAppError(e, 'batch')
  }
  const data = (result.getData() ?? {}) as Record<string, AjaxResult>
  const out: Record<string, BatchOutcome> = {}
  for (const k of keys) {
    const r = data[k]
    if (r && r.isSuccess) {
      out[k] = { ok: true, result: (r.getData() as { result: unknown }).result }
    } else {
      const e = r ? [...r.getErrors()][0] : result.errors.get(k)
      const mapped = toAppError(e ?? new Error('failed in batch'), calls[k]![0])
      out[k] = {
        ok: false,
        code: mapped instanceof PortalApiError ? mapped.apiCode : mapped.code,
        message: mapped.message,
      }
    }
  }
  return out
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
