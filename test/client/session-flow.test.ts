/**
 * Client logic that carries the server contract, without a browser: the boot document parser and
 * the API client's session renewal (401 session_expired → fresh frame AUTH_ID → POST /api/session,
 * single-flight across concurrent calls → retry once).
 *
 * NOTE: client modules are loaded with vi.importActual and typed locally on purpose. The root
 * tsconfig (NodeNext, includes test/) would otherwise follow static imports into client/, whose
 * extensionless Bundler-style imports it rejects. The client's own types are checked by
 * `vue-tsc -p client/tsconfig.json`.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

interface ApiErrorLike extends Error {
  status: number
  code: string
}
interface AuthDataLike {
  access_token: string
  refresh_token: string
  expires: number
  expires_in: number
  domain: string
  member_id: string
}
interface FakeFrame {
  isInstallMode: boolean
  auth: { getAuthData(): false | AuthDataLike; refreshAuth(): Promise<AuthDataLike> }
  parent: { fitWindow(): Promise<unknown>; reloadWindow(): Promise<unknown> }
  installFinish(): Promise<unknown>
}
interface BootModule {
  parseBoot(raw: unknown, fallbackLang?: 'ru' | 'en'): { mode: string; lang: string; error?: { code: string } } & Record<string, unknown>
}
interface HttpModule {
  getJson<T>(path: string, query?: Record<string, unknown>): Promise<T>
  configureAuth(handlers: { getToken: () => string | null; renewToken: (stale: string | null) => Promise<string> } | null): void
}
interface PiniaModule {
  createPinia(): unknown
  setActivePinia(pinia: unknown): void
}
interface SessionStore {
  token: string | null
  setSession(session: { token: string; expiresAt: number }): void
  validToken(): string | null
  renew(stale: string | null): Promise<string>
}
interface PortalStore {
  hydrate(boot: unknown): void
}

const CLIENT = '../../client/src'
const HOUR = 3_600_000

const appBoot = (token: string) => ({
  mode: 'app',
  lang: 'en',
  session: { token, expiresAt: Date.now() + HOUR },
  placement: 'DEFAULT',
  placementOptions: {},
  user: { id: 1, name: 'Ivan', isAdmin: true },
  portal: { memberId: 'member-abc', domain: 'acme.bitrix24.com', status: 'installed' },
})

describe('boot document', () => {
  let boot: BootModule
  beforeEach(async () => {
    boot = await vi.importActual<BootModule>(`${CLIENT}/boot.ts`)
  })

  it('accepts every mode of the contract', () => {
    expect(boot.parseBoot(appBoot('T')).mode).toBe('app')
    expect(boot.parseBoot({ mode: 'install', lang: 'ru', ok: true, registration: { events: ['ONAPPINSTALL'], placements: [], robots: [], errors: [] } })).toMatchObject({ mode: 'install', lang: 'ru', ok: true })
    expect(boot.parseBoot({ mode: 'install', lang: 'en', ok: false, error: { code: 'x', message: 'y' } })).toMatchObject({ mode: 'install', ok: false, error: { code: 'x' } })
    expect(boot.parseBoot({ mode: 'error', lang: 'en', error: { code: 'forbidden', message: 'no' } })).toMatchObject({ mode: 'error', error: { code: 'forbidden' } })
  })

  it('turns a malformed document into a localised error boot instead of throwing', () => {
    expect(boot.parseBoot(null, 'ru')).toMatchObject({ mode: 'error', lang: 'ru', error: { code: 'boot_invalid' } })
    expect(boot.parseBoot({ ...appBoot('T'), session: { token: 1 } })).toMatchObject({ mode: 'error', error: { code: 'boot_invalid' } })
    expect(boot.parseBoot({ mode: 'wat', lang: 'de' }, 'en')).toMatchObject({ mode: 'error', lang: 'en' })
  })
})

describe('API client session renewal', () => {
  let http: HttpModule
  let session: SessionStore
  let frame: FakeFrame
  let validServerToken: string
  let mints: Array<{ authId: string; memberId: string }>
  let calls: string[]

  beforeEach(async () => {
    vi.resetModules()
    http = await vi.importActual<HttpModule>(`${CLIENT}/api/http.ts`)
    const { createPinia, setActivePinia } = await vi.importActual<PiniaModule>('pinia')
    setActivePinia(createPinia())
    const { setB24Frame } = await vi.importActual<{ setB24Frame(f: FakeFrame | null): void }>(`${CLIENT}/composables/useB24.ts`)
    const { useSessionStore } = await vi.importActual<{ useSessionStore(): SessionStore }>(`${CLIENT}/stores/session.ts`)
    const { usePortalStore } = await vi.importActual<{ usePortalStore(): PortalStore }>(`${CLIENT}/stores/portal.ts`)

    let authN = 1
    const authData = (n: number, ttlSec: number): AuthDataLike => ({
      access_token: `AUTH-${n}`, refresh_token: `R-${n}`, expires: Date.now() / 1000 + ttlSec, expires_in: ttlSec, domain: 'https://acme.bitrix24.com', member_id: 'member-abc',
    })
    let current = authData(authN, 3600)
    frame = {
      isInstallMode: false,
      auth: {
        getAuthData: vi.fn(() => current),
        refreshAuth: vi.fn(async () => (current = authData(++authN, 3600))),
      },
      parent: { fitWindow: async () => undefined, reloadWindow: async () => undefined },
      installFinish: async () => undefined,
    }
    setB24Frame(frame)
    ;(frame as FakeFrame & { setTtl(s: number): void }).setTtl = (s: number) => {
      current = authData(authN, s)
    }

    const boot = appBoot('STALE')
    usePortalStore().hydrate(boot)
    session = useSessionStore()
    session.setSession(boot.session)
    http.configureAuth({ getToken: () => session.validToken(), renewToken: stale => session.renew(stale) })

    validServerToken = 'FRESH-0'
    mints = []
    calls = []
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
      const headers = init.headers as Record<string, string>
      calls.push(`${init.method} ${url} ${headers.Authorization ?? '-'}`)
      const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
      await new Promise(resolve => setTimeout(resolve, 5))
      if (url === '/api/session') {
        const body = JSON.parse(String(init.body)) as { authId: string; memberId: string }
        mints.push(body)
        validServerToken = `FRESH-${mints.length}`
        return json(200, { token: validServerToken, expiresAt: Date.now() + HOUR })
      }
      if (headers.Authorization !== `Bearer ${validServerToken}`) return json(401, { error: { code: 'session_expired', message: 'expired' } })
      if (url === '/api/forbidden') return json(403, { error: { code: 'forbidden', message: 'admins only' } })
      return json(200, { ok: url })
    }))
  })

  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('re-mints once for concurrent 401s and retries each call once', async () => {
    const results = await Promise.all([http.getJson('/api/me'), http.getJson('/api/dashboard'), http.getJson('/api/settings')])
    expect(results).toEqual([{ ok: '/api/me' }, { ok: '/api/dashboard' }, { ok: '/api/settings' }])
    expect(mints).toEqual([{ authId: 'AUTH-1', memberId: 'member-abc' }])
    expect(session.token).toBe('FRESH-1')
    expect(calls.filter(c => c.startsWith('GET')).length).toBe(6) // 3 stale + 3 retried
    expect(frame.auth.refreshAuth).not.toHaveBeenCalled()
  })

  it('refreshes the frame AUTH_ID first when it is about to expire', async () => {
    ;(frame as FakeFrame & { setTtl(s: number): void }).setTtl(10)
    await http.getJson('/api/me')
    expect(frame.auth.refreshAuth).toHaveBeenCalledTimes(1)
    expect(mints).toEqual([{ authId: 'AUTH-2', memberId: 'member-abc' }])
  })

  it('does not renew on other errors and surfaces them typed', async () => {
    await http.getJson('/api/me') // renews once
    await expect(http.getJson('/api/forbidden')).rejects.toMatchObject({ name: 'ApiError', status: 403, code: 'forbidden' })
    expect(mints.length).toBe(1)
  })

  it('reports session_renewal_failed when the frame cannot provide auth', async () => {
    frame.auth.getAuthData = () => false
    frame.auth.refreshAuth = async () => {
      throw new Error('JSSDK_FRAME_REFRESH_AUTH_TIMEOUT')
    }
    const error = await http.getJson('/api/me').catch((e: unknown) => e as ApiErrorLike)
    expect(error).toMatchObject({ status: 401, code: 'session_renewal_failed' })
    expect(mints).toEqual([])
  })
})
