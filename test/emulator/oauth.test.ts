/**
 * The authorization server: settings/oauth/auto-renewal.md (refresh request and answer),
 * settings/oauth/error-codes.md (invalid_client, invalid_grant), simple-way.md (app.info on the OAuth
 * host), and b24jssdk B24OAuth's refresh-on-expired_token flow (POST serverEndpoint/oauth/token/).
 */
import { AjaxError, RefreshTokenError, type B24OAuthParams } from '@bitrix24/b24jssdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP, emulator, installedPortal, rest, sdkClient } from './test-kit.js'
import type { Emulator, PortalHandle, TokenSet } from './index.js'

let emu: Emulator
let portal: PortalHandle

beforeAll(async () => {
  emu = await emulator()
  portal = await installedPortal(emu)
})
afterAll(() => emu.close())

async function refresh(refreshToken: string, overrides: Record<string, string> = {}, method: 'POST' | 'GET' = 'POST'): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new URLSearchParams({ grant_type: 'refresh_token', client_id: APP.clientId, client_secret: APP.clientSecret, refresh_token: refreshToken, ...overrides })
  const res =
    method === 'POST'
      ? await fetch(`${emu.oauthUrl}/oauth/token/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form })
      : await fetch(`${emu.oauthUrl}/oauth/token/?${form}`)
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

describe('token refresh', () => {
  it('answers the documented JSON and makes the refresh token single-use', async () => {
    const first = portal.issueTokens(APP.clientId, 1)
    const before = Math.floor(emu.clock.now() / 1000)
    const { status, body } = await refresh(first.refresh_token)
    const after = Math.floor(emu.clock.now() / 1000)
    expect(status).toBe(200)
    expect(Object.keys(body).sort()).toEqual(['access_token', 'client_endpoint', 'domain', 'expires', 'expires_in', 'member_id', 'refresh_token', 'scope', 'server_endpoint', 'status', 'user_id'])
    expect(body).toMatchObject({
      client_endpoint: portal.clientEndpoint,
      domain: new URL(emu.oauthUrl).host,
      expires_in: 3600,
      member_id: portal.memberId,
      scope: APP.scopes.join(','),
      server_endpoint: `${emu.oauthUrl}/rest/`,
      status: 'F',
      user_id: 1,
    })
    // Issued while the request ran: a second may tick over between the answer and this line.
    expect(body.expires).toBeGreaterThanOrEqual(before + 3600)
    expect(body.expires).toBeLessThanOrEqual(after + 3600)
    expect(body.refresh_token).not.toBe(first.refresh_token)
    expect((await rest(portal, 'profile', {}, String(body.access_token))).status).toBe(200)
    const again = await refresh(first.refresh_token)
    expect(again.status).toBe(400)
    expect(again.body.error).toBe('invalid_grant')
    // The GET form of auto-renewal.md works too.
    expect((await refresh(String(body.refresh_token), {}, 'GET')).status).toBe(200)
  })

  it('rejects a wrong client (invalid_client), unknown tokens and revoked installs (invalid_grant)', async () => {
    const t = portal.issueTokens(APP.clientId, 1)
    expect(await refresh(t.refresh_token, { client_secret: 'nope' })).toMatchObject({ status: 401, body: { error: 'invalid_client' } })
    expect(await refresh(t.refresh_token, { client_id: 'nobody' })).toMatchObject({ status: 401, body: { error: 'invalid_client' } })
    expect(await refresh('unknown-token')).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
    expect(await refresh(t.refresh_token, { grant_type: 'authorization_code' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } })
    const p = await installedPortal(emu)
    const dead = p.issueTokens(APP.clientId, 1)
    p.revokeRefreshTokens()
    expect(await refresh(dead.refresh_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } })
  })

  it('counts refreshes per portal', async () => {
    const p = await installedPortal(emu)
    const t = p.issueTokens(APP.clientId, 1)
    await refresh(t.refresh_token)
    expect(p.oauthStats()).toEqual({ refreshes: 1, byMember: { [p.memberId]: 1 } })
    expect(emu.oauthStats().byMember[p.memberId]).toBe(1)
  })

  it('app.info on the OAuth host gives the trusted status for a token', async () => {
    const t = portal.issueTokens(APP.clientId, 1)
    const res = await fetch(`${emu.oauthUrl}/rest/app.info?auth=${t.access_token}`)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { result: Record<string, unknown> }
    expect(body.result).toMatchObject({ CODE: APP.code, STATUS: 'F', INSTALLED: true })
    expect((await fetch(`${emu.oauthUrl}/rest/app.info?auth=bogus`)).status).toBe(401)
  })
})

describe('b24jssdk B24OAuth against the emulator', () => {
  it('refreshes once on 401 expired_token, retries, and hands the new params to the callback', async () => {
    const p = await installedPortal(emu)
    const tokens: TokenSet = p.issueTokens(APP.clientId, 1)
    const b24 = sdkClient(tokens)
    const seen: B24OAuthParams[] = []
    b24.setCallbackRefreshAuth(async ({ b24OAuthParams }) => {
      seen.push(b24OAuthParams)
    })
    expect((await b24.actions.v2.call.make({ method: 'profile' })).getData()?.result).toMatchObject({ ID: '1' })
    p.expireAccessTokens()
    const after = await b24.actions.v2.call.make<{ ID: string }>({ method: 'user.current' })
    expect(after.isSuccess).toBe(true)
    expect(p.oauthStats().refreshes).toBe(1)
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({ memberId: p.memberId, clientEndpoint: p.clientEndpoint, serverEndpoint: `${emu.oauthUrl}/rest/` })
    expect(seen[0]?.refreshToken).not.toBe(tokens.refresh_token)
    const calls = p.requests().slice(-3).map((r) => `${r.restMethod}:${r.status}:${r.error ?? ''}`)
    expect(calls).toEqual(['profile:200:', 'user.current:401:expired_token', 'user.current:200:'])
    // The SDK's old refresh token is now spent: reusing it is invalid_grant.
    expect((await refresh(tokens.refresh_token)).body.error).toBe('invalid_grant')
  })

  it('surfaces a dead install as JSSDK_UNKNOWN_ERROR wrapping RefreshTokenError invalid_grant', async () => {
    const p = await installedPortal(emu)
    const b24 = sdkClient(p.issueTokens(APP.clientId, 1))
    p.revokeRefreshTokens()
    p.expireAccessTokens()
    const err = await b24.actions.v2.call.make({ method: 'profile' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AjaxError)
    expect((err as AjaxError).code).toBe('JSSDK_UNKNOWN_ERROR')
    const cause = (err as AjaxError).originalError
    expect(cause).toBeInstanceOf(RefreshTokenError)
    expect((cause as RefreshTokenError).code).toBe('invalid_grant')
  })

  it('after uninstall the tokens stop working: NO_AUTH_FOUND and invalid_grant', async () => {
    const p = await installedPortal(emu)
    const t = p.issueTokens(APP.clientId, 1)
    await p.uninstallApp(APP.clientId, { clean: true })
    expect((await rest(p, 'profile', {}, t.access_token)).body.error).toBe('NO_AUTH_FOUND')
    expect((await refresh(t.refresh_token)).body.error).toBe('invalid_grant')
  })
})
