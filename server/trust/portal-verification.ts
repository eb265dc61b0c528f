import type { AppConfig } from '../config/config.js'
import { AppError, TrustError } from '../shared/errors.js'
import type { PortalGateway } from '../portals/portal-gateway.js'
import { RefreshRejectedError, type OAuthServer, type TokenAnswer } from '../portals/oauth-server.js'
import type { PortalRecord, PortalStore } from '../storage/portal-store.js'
import { safeEqual } from './safe-equal.js'

/** A portal proven genuine by the configured OAuth server. */
export interface VerifiedInstall {
  memberId: string
  domain: string
  clientEndpoint: string
  tokens: { accessToken: string; refreshToken: string; expiresAt: number; scope: string }
  userId: number | null
  isAdmin: boolean
  appCode: string | null
  licenseFamily: string | null
  lang: string
}

export interface VerifiedFrameUser {
  portal: PortalRecord
  userId: number
  name: string
  isAdmin: boolean
}

interface AppInfo { CODE?: string; LICENSE_FAMILY?: string; LANGUAGE_ID?: string }
interface Profile { ID?: string | number; ADMIN?: boolean; NAME?: string; LAST_NAME?: string }

/**
 * Everything that decides whether an incoming request really comes from a Bitrix24 portal.
 * - Identity (member_id, endpoints) comes from the configured OAuth server's answer, or from a REST call
 *   to the endpoint we stored for that member_id — never from posted DOMAIN / SERVER_ENDPOINT.
 * - Events and robot calls must carry the stored application_token (constant-time compare).
 */
export function createPortalVerification(deps: {
  config: Pick<AppConfig, 'allowHttpPortals'>
  oauth: OAuthServer
  gateway: PortalGateway
  portals: PortalStore
}) {
  const { config, oauth, gateway, portals } = deps

  function checkEndpoint(clientEndpoint: string): URL {
    let url: URL
    try {
      url = new URL(clientEndpoint)
    } catch {
      throw new AppError('oauth_error', 'The OAuth server returned an invalid portal endpoint', 502)
    }
    if (url.protocol !== 'https:' && !(config.allowHttpPortals && url.protocol === 'http:')) {
      throw new TrustError('insecure_portal', 'Portal endpoints must use https', 403)
    }
    return url
  }

  /**
   * Proves an install (iframe install page or ONAPPINSTALL) by spending its refresh token at the OAuth server
   * named in configuration; the answer, not the request, says which portal this is.
   */
  async function verifyInstall(input: { memberId: unknown; refreshToken: unknown }): Promise<VerifiedInstall> {
    if (typeof input.memberId !== 'string' || !input.memberId || typeof input.refreshToken !== 'string' || !input.refreshToken) {
      throw new TrustError('auth_missing', 'Install request without member_id or refresh token', 401)
    }
    let answer: TokenAnswer
    try {
      answer = await oauth.refresh(input.refreshToken)
    } catch (e) {
      if (e instanceof RefreshRejectedError) throw new TrustError('auth_failed', 'The OAuth server did not accept the install credentials', 401)
      throw e
    }
    if (!safeEqual(input.memberId, answer.memberId)) {
      throw new TrustError('member_mismatch', 'The install credentials belong to another portal', 403)
    }
    const url = checkEndpoint(answer.clientEndpoint)
    const endpoint = { memberId: answer.memberId, clientEndpoint: answer.clientEndpoint }
    const r = await gateway.batchAs(endpoint, answer.accessToken, { app: ['app.info'], profile: ['profile'] })
    const app = r.app?.ok ? (r.app.result as AppInfo) : undefined
    const profile = r.profile?.ok ? (r.profile.result as Profile) : undefined
    if (!app || !profile) throw new AppError('portal_unavailable', 'The portal did not answer app.info/profile during install', 502)
    const userId = Number(profile.ID)
    return {
      memberId: answer.memberId,
      domain: url.host,
      clientEndpoint: answer.clientEndpoint,
      tokens: { accessToken: answer.accessToken, refreshToken: answer.refreshToken, expiresAt: answer.expiresAt, scope: answer.scope },
      userId: Number.isInteger(userId) && userId > 0 ? userId : answer.userId,
      isAdmin: profile.ADMIN === true,
      appCode: app.CODE ?? null,
      licenseFamily: app.LICENSE_FAMILY ?? null,
      lang: app.LANGUAGE_ID ?? 'en',
    }
  }

  /**
   * Proves an iframe POST: its AUTH_ID must work against the REST endpoint we stored for that member_id and
   * belong to our app (app.info CODE equals the code recorded at the verified install).
   */
  async function verifyFrame(input: { memberId: unknown; authId: unknown }): Promise<VerifiedFrameUser> {
    if (typeof input.memberId !== 'string' || !input.memberId || typeof input.authId !== 'string' || !input.authId) {
      throw new TrustError('auth_missing', 'The request carries no portal authorization', 401)
    }
    const portal = await portals.get(input.memberId)
    if (!portal || portal.status === 'uninstalled') throw new TrustError('not_installed', 'Invite Desk is not installed on this portal', 403)
    const endpoint = { memberId: portal.memberId, clientEndpoint: portal.clientEndpoint }
    let r
    try {
      r = await gateway.batchAs(endpoint, input.authId, { app: ['app.info'], user: ['user.current'], admin: ['user.admin'] })
    } catch {
      // Any failure here (401 from the portal, unknown token) means "not proven"; the details stay server-side.
      throw new TrustError('auth_failed', 'The portal did not confirm this session', 401)
    }
    const app = r.app?.ok ? (r.app.result as AppInfo) : undefined
    const user = r.user?.ok ? (r.user.result as Profile) : undefined
    if (!app || !user) throw new TrustError('auth_failed', 'The portal did not confirm this session', 401)
    if (!portal.appCode || !safeEqual(app.CODE ?? '', portal.appCode)) {
      throw new TrustError('app_mismatch', 'The token belongs to another application', 403)
    }
    const userId = Number(user.ID)
    if (!Number.isInteger(userId) || userId <= 0) throw new TrustError('auth_failed', 'The portal did not confirm this session', 401)
    return {
      portal,
      userId,
      name: [user.NAME, user.LAST_NAME].filter(Boolean).join(' ') || `#${userId}`,
      isAdmin: r.admin?.ok === true && r.admin.result === true,
    }
  }

  /**
   * The portal a callback (event, robot call) comes from, proven by its stored application token: the only
   * proof events and robot calls carry (uninstall has no other).
   */
  async function verifyApplicationToken(input: { memberId: unknown; applicationToken: unknown }): Promise<{ memberId: string }> {
    if (typeof input.memberId !== 'string' || !input.memberId || input.memberId.length > 64) throw new TrustError('auth_missing', 'No member_id', 401)
    // Only the token is read, from the database every time: every event pays for this look-up.
    const stored = await portals.applicationToken(input.memberId)
    // Same answer for "unknown portal" and "wrong token": nothing to learn by probing.
    if (!safeEqual(input.applicationToken, stored)) {
      throw new TrustError('bad_application_token', 'The application token does not match', 401)
    }
    return { memberId: input.memberId }
  }

  return { verifyInstall, verifyFrame, verifyApplicationToken }
}

export type PortalVerification = ReturnType<typeof createPortalVerification>
