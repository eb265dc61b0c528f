/**
 * Single-flight token refresh across two app instances sharing PostgreSQL (Bitrix24 refresh tokens are
 * single-use), and secret hygiene: seeded tokens and secrets never reach the log.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BACKENDS } from '../helpers/databases.js'
import { APP_SECRET, CLIENT_SECRET, installThroughPortal, openApp, postForm, startStack, type Stack } from '../helpers/stack.js'

const postgres = BACKENDS.find((b) => b.name === 'postgres')!

describe('token refresh across instances (PostgreSQL)', () => {
  let s: Stack
  afterEach(async () => {
    await s?.close()
  })

  it('20 concurrent calls on an expired token, spread over two instances, cause exactly one refresh', async () => {
    s = await startStack(postgres, { instances: 2 })
    await installThroughPortal(s)
    const [a, b] = s.instances as [typeof s.a, typeof s.a]
    // Warm both instances' clients so each holds the (soon stale) token in memory.
    await a.app.gateway.call(s.portal.memberId, 'user.current')
    await b.app.gateway.call(s.portal.memberId, 'user.current')
    const refreshesBefore = s.emu.oauthStats().byMember[s.portal.memberId] ?? 0

    s.portal.expireAccessTokens()
    const calls = Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).app.gateway.call<{ ID: string }>(s.portal.memberId, 'user.current'))
    const results = await Promise.all(calls)
    expect(results.every((r) => String(r.ID) === '1')).toBe(true)

    expect((s.emu.oauthStats().byMember[s.portal.memberId] ?? 0) - refreshesBefore).toBe(1)
    expect(a.refreshes.length + b.refreshes.length).toBe(1)

    // The new pair was persisted: a third, cold instance works from the database without refreshing.
    const stored = (await a.app.stores.portals.get(s.portal.memberId))!
    const r = await fetch(`${s.portal.clientEndpoint}user.current`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ auth: stored.tokens!.accessToken }),
    })
    expect(r.status).toBe(200)
    expect((s.emu.oauthStats().byMember[s.portal.memberId] ?? 0) - refreshesBefore).toBe(1)
  })
})

for (const backend of BACKENDS) {
  describe(`secret hygiene in logs (${backend.name})`, () => {
    let s: Stack
    afterEach(async () => {
      await s?.close()
    })

    it('no token, AUTH_ID, application token or secret appears in any log line, even for refused requests', async () => {
      s = await startStack(backend)
      await installThroughPortal(s)
      const opened = await openApp(s)
      const row = (await s.a.app.stores.portals.get(s.portal.memberId))!
      // Refused requests that carry secrets in their bodies.
      const f = s.portal.appFrameFields(s.a.config.clientId)
      await postForm(`${s.a.url}/app`, { ...f.body, AUTH_ID: 'SEEDED-FORGED-AUTH-ID' })
      await postForm(`${s.a.url}/events`, { event: 'ONAPPUNINSTALL', auth: { member_id: s.portal.memberId, application_token: 'SEEDED-WRONG-APP-TOKEN' } })
      await fetch(`${s.a.url}/api/me`, { headers: { authorization: 'Bearer SEEDED-BEARER-VALUE-0123456789' } })
      // A refresh.
      s.portal.expireAccessTokens()
      await s.a.app.gateway.call(s.portal.memberId, 'user.current')

      const secrets = [
        CLIENT_SECRET, APP_SECRET, row.tokens!.accessToken, row.tokens!.refreshToken, row.applicationToken!,
        f.body.AUTH_ID!, f.body.REFRESH_ID!, opened.boot!.session.token,
        'SEEDED-FORGED-AUTH-ID', 'SEEDED-WRONG-APP-TOKEN', 'SEEDED-BEARER-VALUE-0123456789',
      ]
      const all = s.logs.join('\n')
      expect(s.logs.length).toBeGreaterThan(8)
      expect(all).toContain('portal tokens refreshed')
      expect(all).toContain('"path":"/app"')
      for (const secret of secrets) expect(all, `log leaks ${secret.slice(0, 6)}…`).not.toContain(secret)
    })
  })
}
