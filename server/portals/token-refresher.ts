import { randomUUID } from 'node:crypto'
import type { Logger } from '../shared/logger.js'
import { AppError, NeedsReinstallError } from '../shared/errors.js'
import type { PortalStore, PortalTokens } from '../storage/portal-store.js'
import { RefreshRejectedError, type OAuthServer } from './oauth-server.js'

/** How long one instance may hold a portal's refresh lock; longer than the OAuth call's timeout. */
const REFRESH_LOCK_TTL_MS = 30_000
const LOCK_POLL_MS = 50
const REFRESH_DEADLINE_MS = 45_000
/**
 * A request sent with the old token can come back 401 after the refresh already finished; the SDK then asks
 * again with the token it now holds. A pair obtained this recently cannot have expired, so that second ask
 * is answered with it instead of spending another single-use refresh token.
 */
const FRESH_GRACE_MS = 10_000

export interface TokenRefresher {
  /**
   * Returns tokens newer than `staleAccessToken`: either ones another caller (in this process or another
   * instance) already stored, or freshly refreshed ones. Bitrix24 refresh tokens are single-use, so at most
   * one refresh per portal runs at a time across all instances, and the new pair is persisted before
   * anyone gets it.
   */
  refresh(memberId: string, staleAccessToken: string): Promise<PortalTokens>
}

export function createTokenRefresher(deps: {
  portals: PortalStore
  oauth: OAuthServer
  log: Logger
  now?: () => number
  /** The clock token expiry is measured on (the portal's; the app's injected clock), ms. */
  tokenNow?: () => number
  onRefresh?: (memberId: string) => void
}): TokenRefresher {
  const { portals, oauth, log } = deps
  const now = deps.now ?? Date.now
  const owner = `refresher-${randomUUID()}`
  const inflight = new Map<string, Promise<PortalTokens>>()
  const recent = new Map<string, { tokens: PortalTokens; at: number }>()

  async function refreshOnce(memberId: string, staleAccessToken: string): Promise<PortalTokens> {
    const deadline = now() + REFRESH_DEADLINE_MS
    for (;;) {
      const rec = await portals.get(memberId)
      if (!rec || !rec.tokens || rec.status === 'uninstalled') {
        throw new AppError('not_installed', 'The app is not installed on this portal', 403)
      }
      if (rec.status === 'needs_reinstall') throw new NeedsReinstallError(memberId)
      // Someone else already refreshed: use their tokens, spend nothing.
      if (rec.tokens.accessToken !== staleAccessToken) return rec.tokens

      if (await portals.tryLockRefresh(memberId, owner, rec.tokenVersion, now(), REFRESH_LOCK_TTL_MS)) {
        let answer
        try {
          answer = await oauth.refresh(rec.tokens.refreshToken)
        } catch (e) {
          await portals.releaseRefreshLock(memberId, owner)
          if (e instanceof RefreshRejectedError) {
            await portals.setStatus(memberId, 'needs_reinstall')
            log.warn({ memberId, oauthCode: e.oauthCode }, 'refresh token rejected: portal needs reinstall')
            throw new NeedsReinstallError(memberId)
          }
          throw e
        }
        if (answer.memberId !== memberId) {
          await portals.releaseRefreshLock(memberId, owner)
          throw new AppError('oauth_member_mismatch', 'The OAuth server answered for another portal', 502)
        }
        const tokens: PortalTokens = {
          accessToken: answer.accessToken,
          refreshToken: answer.refreshToken,
          expiresAt: answer.expiresAt,
          scope: answer.scope || rec.tokens.scope,
        }
        const saved = await portals.completeRefresh(memberId, owner, tokens)
        deps.onRefresh?.(memberId)
        if (!saved) {
          // Our lock expired mid-call; the pair we hold is the newest the OAuth server issued, so it is still
          // the right one to use, but it could not be stored. Loud, because the next refresh will fail.
          log.error({ memberId }, 'refresh lock lost before the new tokens were stored')
        }
        log.info({ memberId }, 'portal tokens refreshed')
        return tokens
      }
      if (now() > deadline) throw new AppError('refresh_timeout', 'Timed out waiting for a token refresh in progress', 503)
      await new Promise((r) => setTimeout(r, LOCK_POLL_MS))
    }
  }

  return {
    refresh(memberId, staleAccessToken) {
      const r = recent.get(memberId)
      // Just refreshed (a request that left with the old token came back late): the same fresh pair, unless it
      // has itself expired meanwhile.
      const tokenNow = deps.tokenNow ?? now
      if (r && r.tokens.accessToken === staleAccessToken && now() - r.at < FRESH_GRACE_MS && r.tokens.expiresAt * 1000 > tokenNow()) return Promise.resolve(r.tokens)
      const key = `${memberId}\u0000${staleAccessToken}`
      let p = inflight.get(key)
      if (!p) {
        p = refreshOnce(memberId, staleAccessToken)
          .then((tokens) => {
            recent.set(memberId, { tokens, at: now() })
            return tokens
          })
          .finally(() => inflight.delete(key))
        inflight.set(key, p)
      }
      return p
    },
  }
}
