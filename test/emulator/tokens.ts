/**
 * OAuth tokens, shared by every portal of one emulator (so a token of portal A is recognised as
 * "not this portal" by portal B and answered with NO_AUTH_FOUND).
 * Lifetimes from settings/oauth/auto-renewal.md: access token one hour, refresh token 180 days;
 * "The new value of the renewal token. Retain it instead of the previous one" — the emulator makes
 * a refresh token single-use, a reused one is `invalid_grant`.
 */
import { randomBytes } from 'node:crypto'
import type { Clock } from './clock.js'

export const ACCESS_TTL_SEC = 3600
export const REFRESH_TTL_SEC = 180 * 24 * 3600

export interface AccessToken {
  token: string
  memberId: string
  clientId: string
  userId: number
  expiresAt: number
}

export interface RefreshToken {
  token: string
  memberId: string
  clientId: string
  userId: number
  expiresAt: number
  state: 'live' | 'used' | 'revoked'
}

export interface IssuedPair {
  access: AccessToken
  refresh: RefreshToken
}

export const newToken = (bytes = 32): string => randomBytes(bytes).toString('hex')

export class TokenStore {
  private readonly access = new Map<string, AccessToken>()
  private readonly refresh = new Map<string, RefreshToken>()
  private readonly refreshCounts = new Map<string, number>()

  constructor(private readonly clock: Clock) {}

  issue(memberId: string, clientId: string, userId: number): IssuedPair {
    const now = this.clock.now()
    const access: AccessToken = { token: newToken(), memberId, clientId, userId, expiresAt: now + ACCESS_TTL_SEC * 1000 }
    const refresh: RefreshToken = {
      token: newToken(),
      memberId,
      clientId,
      userId,
      expiresAt: now + REFRESH_TTL_SEC * 1000,
      state: 'live',
    }
    this.access.set(access.token, access)
    this.refresh.set(refresh.token, refresh)
    return { access, refresh }
  }

  findAccess(token: string): AccessToken | undefined {
    return this.access.get(token)
  }

  isExpired(t: AccessToken): boolean {
    return t.expiresAt <= this.clock.now()
  }

  /** Checks a refresh token and marks it used; returns a reason when it cannot be used. */
  consumeRefresh(token: string, clientId: string): RefreshToken | 'unknown' | 'used' | 'revoked' | 'expired' | 'wrong_client' {
    const r = this.refresh.get(token)
    if (!r) return 'unknown'
    if (r.clientId !== clientId) return 'wrong_client'
    if (r.state === 'used') return 'used'
    if (r.state === 'revoked') return 'revoked'
    if (r.expiresAt <= this.clock.now()) return 'expired'
    r.state = 'used'
    this.refreshCounts.set(r.memberId, (this.refreshCounts.get(r.memberId) ?? 0) + 1)
    return r
  }

  expireAccess(memberId: string): void {
    const past = this.clock.now() - 1
    for (const t of this.access.values()) if (t.memberId === memberId) t.expiresAt = Math.min(t.expiresAt, past)
  }

  revokeRefresh(memberId: string): void {
    for (const r of this.refresh.values()) if (r.memberId === memberId && r.state === 'live') r.state = 'revoked'
  }

  /** Uninstall: the app's tokens in that portal stop working (on-app-uninstall.md). */
  drop(memberId: string, clientId: string): void {
    for (const [k, t] of this.access) if (t.memberId === memberId && t.clientId === clientId) this.access.delete(k)
    for (const [k, r] of this.refresh) if (r.memberId === memberId && r.clientId === clientId) this.refresh.delete(k)
  }

  stats(): { refreshes: number; byMember: Record<string, number> } {
    const byMember = Object.fromEntries(this.refreshCounts)
    return { refreshes: [...this.refreshCounts.values()].reduce((a, b) => a + b, 0), byMember }
  }
}
