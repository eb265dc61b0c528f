/**
 * The authorization server (`oauth.bitrix.info` in the cloud), on its own port.
 * - `POST /oauth/token/` (form body, what b24jssdk's B24OAuth sends) and `GET /oauth/token/?…`
 *   (what settings/oauth/auto-renewal.md shows), `grant_type=refresh_token` only.
 * - `GET|POST /rest/app.info?auth=<token>`: the "trusted status" call of settings/oauth/simple-way.md
 *   ("To obtain a trusted status, call the app.info method on the authorization server").
 *   The docs say no more about it; the emulator answers exactly what the portal's app.info answers
 *   for that token's app and portal (same result shape, api-reference/common/system/app-info.md).
 */
import express from 'express'
import type { Request, Response } from 'express'
import { unixSec } from './clock.js'
import { timeBlock } from './envelope.js'
import { SystemErrors, type RestError } from './errors.js'
import { parseBody, queryString, readRawBody } from './http-util.js'
import { parseForm } from './form-encoding.js'
import type { AppConfig } from './state.js'
import { ACCESS_TTL_SEC, type IssuedPair, type TokenStore } from './tokens.js'

/** What the OAuth server needs to know about portals. */
export interface OAuthBackend {
  readonly tokens: TokenStore
  oauthUrl(): string
  app(clientId: string): AppConfig | undefined
  /** The portal's client endpoint when the app is still installed (or installing) there. */
  clientEndpoint(memberId: string, clientId: string): string | undefined
  /** app.info result for this app in this portal. */
  appInfo(memberId: string, clientId: string): Record<string, unknown> | undefined
  now(): number
}

/** The documented token answer (settings/oauth/auto-renewal.md). */
export function tokenAnswer(pair: IssuedPair, app: AppConfig, clientEndpoint: string, oauthUrl: string): Record<string, unknown> {
  return {
    access_token: pair.access.token,
    client_endpoint: clientEndpoint,
    domain: new URL(oauthUrl).host,
    expires: unixSec(pair.access.expiresAt),
    expires_in: ACCESS_TTL_SEC,
    member_id: pair.access.memberId,
    refresh_token: pair.refresh.token,
    scope: app.scopes.join(','),
    server_endpoint: `${oauthUrl}/rest/`,
    status: app.status,
    user_id: pair.access.userId,
  }
}

/**
 * settings/oauth/error-codes.md lists the codes (invalid_request, invalid_client, invalid_grant …) but
 * no HTTP statuses; the emulator uses the OAuth 2.0 (RFC 6749 §5.2) ones: 401 for invalid_client,
 * 400 for the rest.
 */
function oauthError(res: Response, status: number, error: string, description: string): void {
  res.status(status).json({ error, error_description: description })
}

export function createOAuthApp(backend: OAuthBackend): express.Express {
  const app = express()
  app.disable('x-powered-by')

  const token = async (req: Request, res: Response): Promise<void> => {
    const raw = req.method === 'POST' ? await readRawBody(req) : ''
    const params: Record<string, unknown> = {
      ...parseForm(queryString(req.originalUrl)),
      ...(raw ? parseBody(raw, req.headers['content-type']) : {}),
    }
    const str = (k: string): string => (typeof params[k] === 'string' ? (params[k] as string) : '')
    const grantType = str('grant_type')
    if (!grantType || !str('client_id')) {
      oauthError(res, 400, 'invalid_request', 'Invalid request')
      return
    }
    const appConfig = backend.app(str('client_id'))
    if (!appConfig || appConfig.clientSecret !== str('client_secret')) {
      oauthError(res, 401, 'invalid_client', 'Invalid client')
      return
    }
    if (grantType !== 'refresh_token') {
      // authorization_code needs the portal's /oauth/authorize/ step, which the emulator does not model.
      oauthError(res, 400, 'invalid_request', `Unsupported grant_type ${grantType}`)
      return
    }
    if (!str('refresh_token')) {
      oauthError(res, 400, 'invalid_request', 'refresh_token is required')
      return
    }
    const used = backend.tokens.consumeRefresh(str('refresh_token'), appConfig.clientId)
    if (typeof used === 'string') {
      oauthError(res, 400, 'invalid_grant', `Invalid grant (${used === 'wrong_client' ? 'unknown' : used} refresh token)`)
      return
    }
    const endpoint = backend.clientEndpoint(used.memberId, appConfig.clientId)
    if (!endpoint) {
      // Uninstalled meanwhile: settings/oauth/error-codes.md "The application may not be installed".
      oauthError(res, 400, 'invalid_grant', 'Invalid grant (application is not installed)')
      return
    }
    const pair = backend.tokens.issue(used.memberId, appConfig.clientId, used.userId)
    res.status(200).json(tokenAnswer(pair, appConfig, endpoint, backend.oauthUrl()))
  }
  app.all(['/oauth/token', '/oauth/token/'], (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'POST') return next()
    token(req, res).catch(next)
  })

  const appInfo = async (req: Request, res: Response): Promise<void> => {
    const raw = req.method === 'POST' ? await readRawBody(req) : ''
    const params: Record<string, unknown> = {
      ...parseForm(queryString(req.originalUrl)),
      ...(raw ? parseBody(raw, req.headers['content-type']) : {}),
    }
    const start = backend.now()
    const fail = (e: RestError): void => {
      res.status(e.status).json(e.body())
    }
    const auth = typeof params.auth === 'string' ? params.auth : ''
    const t = auth ? backend.tokens.findAccess(auth) : undefined
    if (!t) return fail(SystemErrors.noAuth())
    if (backend.tokens.isExpired(t)) return fail(SystemErrors.expiredToken())
    const info = backend.appInfo(t.memberId, t.clientId)
    if (!info) return fail(SystemErrors.noAuth())
    res.status(200).json({ result: info, time: timeBlock(start, 0.001) })
  }
  app.all(['/rest/app.info', '/rest/app.info.json', '/rest/app.info/'], (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'POST') return next()
    appInfo(req, res).catch(next)
  })

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', error_description: 'Unknown OAuth endpoint' })
  })
  return app
}
