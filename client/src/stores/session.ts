import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { createSession } from '../api/session'
import type { SessionInfo } from '../api/types'
import { waitForB24 } from '../composables/useB24'
import { usePortalStore } from './portal'

/** Treat the session as expired this long before `expiresAt` (clock skew, request latency). */
export const SESSION_SKEW_MS = 15_000
/** Refresh the frame's AUTH_ID first when it expires within this window. */
export const FRAME_AUTH_MIN_TTL_MS = 60_000

/**
 * The app session minted by the server. Memory only: never written to localStorage, cookies or
 * the URL; a page reload gets a new one in the boot document.
 */
export const useSessionStore = defineStore('session', () => {
  const token = ref<string | null>(null)
  const expiresAt = ref(0)
  /** Shared by every caller while a renewal is in flight (single-flight). */
  let renewal: Promise<string> | null = null

  const hasSession = computed(() => token.value !== null)

  function setSession(session: SessionInfo): void {
    token.value = session.token
    expiresAt.value = session.expiresAt
  }

  function clear(): void {
    token.value = null
    expiresAt.value = 0
  }

  /** The token if it is still valid (with skew), else null. */
  function validToken(now: number = Date.now()): string | null {
    return token.value && expiresAt.value - SESSION_SKEW_MS > now ? token.value : null
  }

  /**
   * A token to use instead of `staleToken`. If another call already renewed it, that token is
   * returned without minting again; otherwise one renewal runs for all concurrent callers.
   */
  function renew(staleToken: string | null): Promise<string> {
    const current = validToken()
    if (current && current !== staleToken) return Promise.resolve(current)
    renewal ??= mint().finally(() => {
      renewal = null
    })
    return renewal
  }

  async function mint(): Promise<string> {
    const b24 = await waitForB24()
    if (!b24) throw new Error('The Bitrix24 frame is not available to renew the session')

    let auth = b24.auth.getAuthData()
    if (!auth || auth.expires * 1000 - Date.now() < FRAME_AUTH_MIN_TTL_MS) {
      // getAuthData() is false once AUTH_ID has expired; the SDK (2.2.0) does not refresh it
      // unless we make a REST call through it, so ask the parent for a new one.
      auth = await b24.auth.refreshAuth()
    }
    if (!auth || !auth.access_token) throw new Error('The Bitrix24 frame returned no auth data')

    const memberId = auth.member_id || usePortalStore().memberId
    if (!memberId) throw new Error('Unknown portal member id')

    const session = await createSession({ authId: auth.access_token, memberId })
    setSession(session)
    return session.token
  }

  return { token, expiresAt, hasSession, setSession, clear, validToken, renew }
})
