/**
 * limits.md: the leaky bucket (X = 50 / Y = 2 per second, enterprise 250 / 5; 503 QUERY_LIMIT_EXCEEDED)
 * and the operating budget (10 one-minute baskets per method per app; 429 OPERATION_TIME_LIMIT;
 * operating_reset_at = first call of the oldest basket + 10 minutes), on the emulator clock.
 */
import { AjaxError } from '@bitrix24/b24jssdk'
import { afterEach, describe, expect, it } from 'vitest'
import { createClock, type Emulator } from './index.js'
import { APP, emulator, installedPortal, rest, sdkClient } from './test-kit.js'

let emu: Emulator | undefined
afterEach(async () => {
  await emu?.close()
  emu = undefined
})

async function burst(n: number, call: () => Promise<{ status: number }>): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push((await call()).status)
  return out
}

describe('request rate (leaky bucket)', () => {
  it('lets X+1 requests through at once, refuses the next with 503, drains Y per second', async () => {
    const clock = createClock({ speed: 0 })
    emu = await emulator([APP], clock)
    const portal = await installedPortal(emu)
    const t = portal.issueTokens(APP.clientId, 1).access_token
    const statuses = await burst(53, () => rest(portal, 'user.admin', {}, t))
    expect(statuses.slice(0, 51).every((s) => s === 200)).toBe(true)
    expect(statuses.slice(51)).toEqual([503, 503])
    const refused = await rest(portal, 'user.admin', {}, t)
    expect(refused.body).toEqual({ error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' })
    // b24jssdk with maxRetries 1 surfaces it as AjaxError QUERY_LIMIT_EXCEEDED / 503.
    const err = await sdkClient(portal.issueTokens(APP.clientId, 1), APP, 1).actions.v2.call.make({ method: 'user.admin' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AjaxError)
    expect((err as AjaxError).code).toBe('QUERY_LIMIT_EXCEEDED')
    expect((err as AjaxError).status).toBe(503)
    clock.advance(1000)
    expect(await burst(3, () => rest(portal, 'user.admin', {}, t))).toEqual([200, 200, 503])
  })

  it('counts a batch as one request', async () => {
    const clock = createClock({ speed: 0 })
    emu = await emulator([APP], clock)
    const portal = await installedPortal(emu)
    const t = portal.issueTokens(APP.clientId, 1).access_token
    const cmd = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`c${i}`, 'user.admin']))
    expect(await burst(51, () => rest(portal, 'batch', { cmd }, t))).toEqual(Array(51).fill(200))
    expect((await rest(portal, 'batch', { cmd }, t)).status).toBe(503)
  })

  it('enterprise allows 250 at once', async () => {
    const clock = createClock({ speed: 0 })
    emu = await emulator([APP], clock)
    const portal = await installedPortal(emu, { plan: 'enterprise' })
    const t = portal.issueTokens(APP.clientId, 1).access_token
    const statuses = await burst(252, () => rest(portal, 'user.admin', {}, t))
    expect(statuses.filter((s) => s === 200)).toHaveLength(251)
    expect(statuses.at(-1)).toBe(503)
  })

  it('with a sped-up clock a burst gets 503s and the bucket refills in real milliseconds', async () => {
    // speed 10: the bucket drains 20 requests per real second, so 60 parallel calls overflow a burst of 10
    // unless they take more than 2.5 real seconds.
    emu = await emulator([APP], createClock({ speed: 10 }))
    const portal = await installedPortal(emu, { limits: { burst: 10 } })
    const t = portal.issueTokens(APP.clientId, 1).access_token
    const statuses = await Promise.all(Array.from({ length: 60 }, () => rest(portal, 'user.admin', {}, t).then((r) => r.status)))
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0)
    // 600 real ms = 6 emulator seconds: 12 drained.
    await new Promise((r) => setTimeout(r, 600))
    expect((await rest(portal, 'user.admin', {}, t)).status).toBe(200)
  })
})

describe('operating budget', () => {
  it('blocks a method after its accumulated time exceeds the limit and frees it basket by basket', async () => {
    const clock = createClock({ speed: 0, startAt: Date.UTC(2026, 4, 14, 10, 5, 20) })
    emu = await emulator([APP], clock)
    const portal = await installedPortal(emu, { methodTimes: { 'user.get': 100 } })
    const t = portal.issueTokens(APP.clientId, 1).access_token
    const t0 = Math.floor(clock.now() / 1000)
    const ops: number[] = []
    for (let i = 0; i < 3; i++) {
      const { body } = await rest(portal, 'user.get', {}, t)
      const time = body.time as Record<string, number>
      ops.push(time.operating as number)
      // limits.md: the basket started 10:05:20 resets at 10:15:20.
      expect(time.operating_reset_at).toBe(t0 + 600)
    }
    clock.advance(120_000)
    for (let i = 0; i < 2; i++) ops.push(((await rest(portal, 'user.get', {}, t)).body.time as Record<string, number>).operating as number)
    // The call that crosses 480 still completes ("five more calls are completed, and operating reaches 500").
    expect(ops).toEqual([100, 200, 300, 400, 500])
    const blocked = await rest(portal, 'user.get', {}, t)
    expect(blocked.status).toBe(429)
    expect(blocked.body).toEqual({ error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit' })
    // Other methods of the same app are not blocked.
    expect((await rest(portal, 'user.current', {}, t)).status).toBe(200)
    // The oldest basket (300 s) drops out at t0 + 600: 200 s remain.
    clock.advance(480_000)
    const freed = await rest(portal, 'user.get', {}, t)
    expect(freed.status).toBe(200)
    expect((freed.body.time as Record<string, number>).operating).toBe(300)
    expect((freed.body.time as Record<string, number>).operating_reset_at).toBe(t0 + 120 + 600)
  })

  it('is per app: another app keeps calling the same method', async () => {
    const other = { clientId: 'app.other', clientSecret: 'o', code: 'other', scopes: ['user'] }
    const clock = createClock({ speed: 0 })
    emu = await emulator([APP, other], clock)
    const portal = await installedPortal(emu, { methodTimes: { 'user.get': 300 }, limits: { operatingLimitSec: 480 } })
    portal.registerApp(other.clientId, { handlerUrl: 'http://localhost:9/other' })
    portal.beginInstall(other.clientId)
    const a = portal.issueTokens(APP.clientId, 1).access_token
    const b = portal.issueTokens(other.clientId, 1).access_token
    await rest(portal, 'user.get', {}, a)
    await rest(portal, 'user.get', {}, a)
    expect((await rest(portal, 'user.get', {}, a)).status).toBe(429)
    expect((await rest(portal, 'user.get', {}, b)).status).toBe(200)
  })
})

describe('injected faults', () => {
  it('answers the documented codes, drops sockets, and counts down', async () => {
    emu = await emulator()
    const portal = await installedPortal(emu)
    const t = portal.issueTokens(APP.clientId, 1).access_token
    portal.injectFault({ method: 'user.get', kind: 'INTERNAL_SERVER_ERROR', times: 2 })
    expect((await rest(portal, 'user.get', {}, t)).status).toBe(500)
    expect((await rest(portal, 'user.get', {}, t)).body.error).toBe('INTERNAL_SERVER_ERROR')
    expect((await rest(portal, 'user.get', {}, t)).status).toBe(200)
    portal.injectFault({ method: 'batch', kind: 'OPERATION_TIME_LIMIT' })
    expect((await rest(portal, 'batch', { cmd: ['profile'] }, t)).status).toBe(429)
    portal.injectFault({ method: 'user.admin', kind: 'expired_token' })
    const inBatch = await rest(portal, 'batch', { cmd: ['user.admin', 'profile'] }, t)
    // PHP serialises an array keyed [0] as a JSON list.
    expect((inBatch.body.result as Record<string, unknown>).result_error).toEqual([{ error: 'expired_token', error_description: 'The access token provided has expired' }])
    portal.injectFault({ kind: 'network_drop' })
    await expect(rest(portal, 'profile', {}, t)).rejects.toThrow()
    // afterRun: the portal did the work, only the answer is lost (the case callers must reconcile).
    const users = portal.users().length
    portal.injectFault({ method: 'batch', kind: 'network_drop', afterRun: true })
    await expect(rest(portal, 'batch', { cmd: ['user.add?EMAIL=lost.answer@example.com&UF_DEPARTMENT[]=1'] }, t)).rejects.toThrow()
    expect(portal.users().map((u) => u.EMAIL)).toContain('lost.answer@example.com')
    expect(portal.users()).toHaveLength(users + 1)
    portal.injectFault({ method: 'user.add', kind: 'network_drop', afterRun: true })
    await expect(rest(portal, 'batch', { cmd: ['user.add?EMAIL=first@example.com&UF_DEPARTMENT[]=1', 'user.add?EMAIL=second@example.com&UF_DEPARTMENT[]=1'] }, t)).rejects.toThrow()
    // The connection is cut right after the first command: the second never runs.
    expect(portal.users().map((u) => u.EMAIL)).toContain('first@example.com')
    expect(portal.users().map((u) => u.EMAIL)).not.toContain('second@example.com')
    portal.injectFault({ kind: 'slow', delayMs: 150 })
    const started = Date.now()
    expect((await rest(portal, 'profile', {}, t)).status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    portal.injectFault({ kind: 'QUERY_LIMIT_EXCEEDED', probability: 1 })
    expect((await rest(portal, 'profile', {}, t)).status).toBe(503)
    expect((await rest(portal, 'profile', {}, t)).status).toBe(503)
    portal.clearFaults()
    expect((await rest(portal, 'profile', {}, t)).status).toBe(200)
  })
})
