/**
 * Envelope, system errors and transport details, against the docs:
 * api-reference/data-types.md#time, _includes/system-errors.md, api-reference/rest-v3.md (404 for
 * unknown methods), method-get.md, scope.md, app-info.md, profile.md, user-admin.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP, emulator, installedPortal, rest } from './test-kit.js'
import type { Emulator, PortalHandle } from './index.js'

let emu: Emulator
let portal: PortalHandle
let admin: string

beforeAll(async () => {
  emu = await emulator([APP, { clientId: 'app.narrow', clientSecret: 'x', code: 'narrow', scopes: ['user_brief'] }])
  portal = await installedPortal(emu)
  admin = portal.issueTokens(APP.clientId, 1).access_token
})
afterAll(() => emu.close())

describe('success envelope', () => {
  it('has result and the documented time block', async () => {
    const { status, body } = await rest(portal, 'app.info', {}, admin)
    expect(status).toBe(200)
    expect(body.result).toMatchObject({ CODE: APP.code, VERSION: 1, STATUS: 'F', INSTALLED: true, PAYMENT_EXPIRED: 'N', DAYS: null, LICENSE_FAMILY: 'std' })
    const time = body.time as Record<string, unknown>
    expect(Object.keys(time)).toEqual(['start', 'finish', 'duration', 'processing', 'date_start', 'date_finish', 'operating_reset_at', 'operating'])
    expect(time.date_start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/)
    expect(time.finish as number).toBeGreaterThan(time.start as number)
    expect(Number.isInteger(time.operating_reset_at)).toBe(true)
  })

  it('enterprise plan reports LICENSE_FAMILY ent', async () => {
    const ent = await installedPortal(emu, { plan: 'enterprise', lang: 'ru' })
    const { body } = await rest(ent, 'app.info', {}, ent.issueTokens(APP.clientId, 1).access_token)
    expect(body.result).toMatchObject({ LICENSE: 'ru_ent250', LICENSE_FAMILY: 'ent', LANGUAGE_ID: 'ru' })
  })

  it('profile, user.admin, user.current and scope answer for the token owner', async () => {
    const emp = portal.addUser({ NAME: 'Eve', LAST_NAME: 'Worker', EMAIL: 'eve@example.com' })
    const empToken = portal.issueTokens(APP.clientId, emp.ID).access_token
    expect((await rest(portal, 'profile', {}, admin)).body.result).toEqual({ ID: '1', ADMIN: true, NAME: 'Admin', LAST_NAME: '', PERSONAL_GENDER: '', TIME_ZONE: '' })
    expect((await rest(portal, 'user.admin', {}, admin)).body.result).toBe(true)
    expect((await rest(portal, 'user.admin', {}, empToken)).body.result).toBe(false)
    expect((await rest(portal, 'user.current', {}, empToken)).body.result).toMatchObject({ ID: String(emp.ID), NAME: 'Eve', EMAIL: 'eve@example.com', LAST_LOGIN: expect.any(String) })
    expect((await rest(portal, 'scope', {}, admin)).body.result).toEqual(APP.scopes)
    expect((await rest(portal, 'scope', { full: true }, admin)).body.result).toEqual(expect.arrayContaining(['crm', 'user', 'bizproc', 'placement']))
  })
})

describe('system errors', () => {
  it('401 NO_AUTH_FOUND without a token, with a foreign token and with a token of another portal', async () => {
    const other = await installedPortal(emu)
    const foreign = other.issueTokens(APP.clientId, 1).access_token
    for (const auth of ['', 'not-a-token', foreign]) {
      const { status, body } = await rest(portal, 'app.info', {}, auth)
      expect(status).toBe(401)
      expect(body).toEqual({ error: 'NO_AUTH_FOUND', error_description: 'Wrong authorization data' })
    }
  })

  it('401 expired_token after expireAccessTokens()', async () => {
    const p = await installedPortal(emu)
    const t = p.issueTokens(APP.clientId, 1).access_token
    p.expireAccessTokens()
    const { status, body } = await rest(p, 'profile', {}, t)
    expect(status).toBe(401)
    expect(body).toEqual({ error: 'expired_token', error_description: 'The access token provided has expired' })
  })

  it('access tokens expire after 3600 s of emulator time', async () => {
    const { createClock } = await import('./index.js')
    const clock = createClock({ speed: 0 })
    const e2 = await emulator([APP], clock)
    try {
      const p = await installedPortal(e2)
      const t = p.issueTokens(APP.clientId, 1)
      expect(t.expires).toBe(Math.floor(clock.now() / 1000) + 3600)
      clock.advance(3599_000)
      expect((await rest(p, 'profile', {}, t.access_token)).status).toBe(200)
      clock.advance(1_000)
      expect((await rest(p, 'profile', {}, t.access_token)).body.error).toBe('expired_token')
    } finally {
      await e2.close()
    }
  })

  it('404 ERROR_METHOD_NOT_FOUND for unknown, missing and undocumented-but-not-enabled methods', async () => {
    const narrow = await installedPortal(emu, { missingMethods: ['user.search'] })
    const t = narrow.issueTokens(APP.clientId, 1).access_token
    for (const m of ['no.such.method', 'user.search', 'intranet.invite.reinvite']) {
      const { status, body } = await rest(narrow, m, {}, t)
      expect(status).toBe(404)
      expect(body).toEqual({ error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' })
    }
  })

  it('403 insufficient_scope outside the app scopes', async () => {
    const p = await emu.createPortal()
    p.registerApp('app.narrow', { handlerUrl: 'http://localhost:9/' })
    p.beginInstall('app.narrow')
    const t = p.issueTokens('app.narrow', 1).access_token
    for (const m of ['user.add', 'department.get', 'placement.bind']) {
      const { status, body } = await rest(p, m, {}, t)
      expect(status).toBe(403)
      expect(body.error).toBe('insufficient_scope')
    }
    // user_brief still reads users, without contact fields (user-scope.md).
    const list = await rest(p, 'user.get', {}, t)
    expect(list.status).toBe(200)
    const first = (list.body.result as Array<Record<string, unknown>>)[0] as Record<string, unknown>
    expect(first.NAME).toBe('Admin')
    expect(first).not.toHaveProperty('EMAIL')
    expect(first).not.toHaveProperty('LAST_LOGIN')
  })
})

describe('method.get', () => {
  it('reports existence and availability by portal methods and app scopes', async () => {
    const p = await installedPortal(emu, { missingMethods: ['sonet_group.user.invite'], extraMethods: ['intranet.invite.reinvite'] })
    const t = p.issueTokens(APP.clientId, 1).access_token
    const ask = async (name?: string) => (await rest(p, 'method.get', name === undefined ? {} : { name }, t)).body.result
    expect(await ask('user.add')).toEqual({ isExisting: true, isAvailable: true })
    expect(await ask('sonet_group.user.invite')).toEqual({ isExisting: false, isAvailable: false })
    expect(await ask('intranet.invite.reinvite')).toEqual({ isExisting: true, isAvailable: false })
    expect(await ask('intranet.invite.inviteusersbyphonenumber')).toEqual({ isExisting: false, isAvailable: false })
    expect(await ask('crm.deal.list')).toEqual({ isExisting: false, isAvailable: false })
    expect(await ask()).toEqual({ isExisting: false, isAvailable: false })
  })
})

describe('transport', () => {
  it('accepts /rest//method, .json, GET with query, form-encoded bodies and drops SDK tracing params', async () => {
    const a = await fetch(`${portal.origin}/rest//profile.json?bx24_request_id=1&auth=${admin}`)
    expect(a.status).toBe(200)
    const b = await fetch(`${portal.origin}/rest/user.get`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `auth=${admin}&FILTER%5B%3EID%5D=0&FILTER%5BEMAIL%5D=admin%40example.com`,
    })
    const body = (await b.json()) as { result: Array<{ ID: string }>; total: number }
    expect(body.result.map((u) => u.ID)).toEqual(['1'])
    const rec = portal.requests().find((r) => r.restMethod === 'user.get' && r.httpMethod === 'POST')
    expect(rec?.params).toEqual({ FILTER: { '>ID': '0', EMAIL: 'admin@example.com' } })
    expect(rec).toMatchObject({ userId: 1, clientId: APP.clientId, status: 200 })
  })

  it('answers CORS preflights and echoes the Origin on calls', async () => {
    const pre = await fetch(`${portal.origin}/rest/profile`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    })
    expect(pre.status).toBe(200)
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST')
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type')
    const call = await fetch(`${portal.origin}/rest/profile`, {
      method: 'POST',
      headers: { origin: 'http://localhost:5173', 'content-type': 'application/json' },
      body: JSON.stringify({ auth: admin }),
    })
    expect(call.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
  })

  it('callCount counts top-level calls and batch commands', async () => {
    const before = portal.callCount('profile')
    await rest(portal, 'profile', {}, admin)
    await rest(portal, 'batch', { cmd: { a: 'profile', b: 'profile' } }, admin)
    expect(portal.callCount('profile') - before).toBe(3)
    expect(portal.requests().at(-1)?.batchOf).toEqual(['profile', 'profile'])
  })
})
