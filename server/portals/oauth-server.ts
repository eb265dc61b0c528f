import axios, { type AxiosInstance } from 'axios'
import type { AppConfig } from '../config/config.js'
import { AppError } from '../shared/errors.js'

/** The OAuth server's token answer (settings/oauth/index.md). */
export interface TokenAnswer {
  accessToken: string
  refreshToken: string
  /** Absolute unix seconds. */
  expiresAt: number
  scope: string
  memberId: string
  clientEndpoint: string
  userId: number | null
  status: string
}

/** The refresh token is dead (used, revoked, expired): only a reinstall can bring access back. */
export class RefreshRejectedError extends AppError {
  constructor(readonly oauthCode: string) {
    super('refresh_rejected', `The OAuth server refused the refresh token (${oauthCode})`, 401)
  }
}

export interface OAuthServer {
  refresh(refreshToken: string): Promise<TokenAnswer>
}

/**
 * Talks to the one OAuth server named in configuration. NOTE: the host comes from AppConfig only — never
 * from a request's SERVER_ENDPOINT or DOMAIN — because this is the call that carries our client secret.
 */
export function createOAuthServer(config: Pick<AppConfig, 'oauthUrl' | 'clientId' | 'clientSecret'>, http?: AxiosInstance): OAuthServer {
  const client = http ?? axios.create({ timeout: 10_000, maxRedirects: 0, validateStatus: () => true })
  return {
    async refresh(refreshToken) {
      if (!refreshToken) throw new RefreshRejectedError('missing_refresh_token')
      const body = new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: config.clientId,
        client_secret: config.clientSecret,
        refresh_token: refreshToken,
      })
      let res
      try {
        // Form body, not query: secrets must not appear in URLs (proxy/access logs).
        res = await client.post(`${config.oauthUrl}/oauth/token/`, body, {
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        })
      } catch (e) {
        throw new AppError('oauth_unreachable', 'The OAuth server could not be reached', 503, { cause: scrub(e) })
      }
      const data = (res.data ?? {}) as Record<string, unknown>
      if (typeof data.error === 'string') {
        if (data.error === 'invalid_grant' || data.error === 'expired_token' || data.error === 'invalid_token') {
          throw new RefreshRejectedError(data.error)
        }
        throw new AppError('oauth_error', `The OAuth server refused the request (${data.error})`, 502)
      }
      if (res.status !== 200) throw new AppError('oauth_error', `The OAuth server answered HTTP ${res.status}`, 502)
      const answer = parseTokenAnswer(data)
      if (!answer) throw new AppError('oauth_error', 'The OAuth server answered without the expected token fields', 502)
      return answer
    },
  }
}

function parseTokenAnswer(d: Record<string, unknown>): TokenAnswer | undefined {
  const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : typeof d[k] === 'number' ? String(d[k]) : '')
  const accessToken = str('access_token')
  const refreshToken = str('refresh_token')
  const memberId = str('member_id')
  const clientEndpoint = str('client_endpoint')
  const expires = Number(str('expires'))
  if (!accessToken || !refreshToken || !memberId || !clientEndpoint || !Number.isFinite(expires) || expires <= 0) return undefined
  const userId = Number(str('user_id'))
  return {
    accessToken,
    refreshToken,
    expiresAt: expires,
    scope: str('scope'),
    memberId,
    clientEndpoint,
    userId: Number.isInteger(userId) && userId > 0 ? userId : null,
    status: str('status'),
  }
}

/** Keep only the error's kind: an axios error carries the request body (with the secret) in its config. */
function scrub(e: unknown): Error {
  const code = (e as { code?: unknown })?.code
  return new Error(`network error${typeof code === 'string' ? ` (${code})` : ''}`)
}
