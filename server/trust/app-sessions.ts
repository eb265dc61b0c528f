import { randomBytes } from 'node:crypto'
import { TrustError } from '../shared/errors.js'
import type { AppSessionRecord, SessionStore } from '../storage/session-store.js'

/**
 * App sessions are short-lived bearer tokens minted only after the portal confirmed the iframe's AUTH_ID.
 * Why not a cookie: inside the portal's iframe our cookies are third-party; browsers block or partition
 * them unevenly (Safari, Firefox ETP, Chrome incognito), and `Secure` cookies are impossible on a local http
 * emulator. A bearer token held in the UI's memory works everywhere and cannot be replayed by a CSRF form.
 * Only a keyed hash of the token is stored, so a database leak yields no usable session.
 */
export interface AppSessions {
  mint(input: Omit<AppSessionRecord, 'id' | 'createdAt' | 'expiresAt'>): Promise<{ token: string; expiresAt: number }>
  authenticate(authorizationHeader: string | undefined): Promise<AppSessionRecord>
  revokePortal(memberId: string): Promise<void>
}

export function createAppSessions(deps: {
  store: SessionStore
  hash: (token: string) => string
  ttlSec: number
  now?: () => number
}): AppSessions {
  const now = deps.now ?? Date.now
  return {
    async mint(input) {
      const token = randomBytes(32).toString('base64url')
      const createdAt = now()
      const expiresAt = createdAt + deps.ttlSec * 1000
      await deps.store.create({ ...input, id: deps.hash(token), createdAt, expiresAt })
      return { token, expiresAt }
    },
    async authenticate(header) {
      const m = /^Bearer ([A-Za-z0-9_-]{20,200})$/.exec(header ?? '')
      if (!m) throw new TrustError('session_invalid', 'Missing or malformed app session', 401)
      const session = await deps.store.get(deps.hash(m[1]!), now())
      if (!session) throw new TrustError('session_expired', 'The app session has expired or was revoked', 401)
      return session
    },
    async revokePortal(memberId) {
      await deps.store.deleteForPortal(memberId)
    },
  }
}
