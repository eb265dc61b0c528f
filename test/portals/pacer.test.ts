/**
 * Pacing before the portal refuses: the app's gateway against the emulator over real HTTP, both on one
 * sped-up clock. Assertions are counts and statuses (what the portal saw), never durations; the figures
 * are printed for the report.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BACKENDS } from '../helpers/databases.js'
import { CLIENT_ID, installThroughPortal, startStack, type Stack } from '../helpers/stack.js'
import { createClock, type Clock, type PortalHandle } from '../emulator/index.js'
import type { DetailedOutcome } from '../../server/portals/portal-gateway.js'

const sqlite = BACKENDS.find((b) => b.name === 'sqlite')!

/** Install costs a few requests the pacer does not see (the install page's check runs on the frame user's token); start from a drained bucket. */
async function quiet(clock: Clock): Promise<void> {
  await clock.sleep(40_000)
}

async function installSecondPortal(s: Stack, opts: Parameters<Stack['emu']['createPortal']>[0]): Promise<PortalHandle> {
  const portal = await s.emu.createPortal(opts)
  portal.registerApp(CLIENT_ID, { handlerUrl: `${s.a.url}/app`, installUrl: `${s.a.url}/install` })
  await installThroughPortal({ ...s, portal })
  return portal
}

function statuses(portal: PortalHandle, since: number): Record<number, number> {
  const out: Record<number, number> = {}
  for (const r of portal.requests().slice(since)) out[r.status] = (out[r.status] ?? 0) + 1
  return out
}

describe('pacer: request rate (leaky bucket)', () => {
  let s: Stack
  afterEach(async () => {
    await s?.close()
  })

  it('600 single calls on a 50x clock: no 503 on the portal, time near the (600 − 50) / 2 s floor', async () => {
    const clock = createClock({ speed: 50 })
    s = await startStack(sqlite, { clock })
    await installThroughPortal(s)
    await quiet(clock)
    const member = s.portal.memberId
    const since = s.portal.requests().length
    const t0 = clock.now()
    const w0 = Date.now()
    const results = await Promise.all(Array.from({ length: 600 }, () => s.a.app.gateway.call<{ ID: string }>(member, 'user.current')))
    const emulatedSec = (clock.now() - t0) / 1000
    const wallMs = Date.now() - w0

    expect(results.every((r) => String(r.ID) === '1')).toBe(true)
    const seen = statuses(s.portal, since)
    expect(seen).toEqual({ 200: 600 }) // every request reached the portal once and none was refused
    const stats = s.a.app.gateway.pacer.stats(member)
    expect(stats.refusals).toEqual({ QUERY_LIMIT_EXCEEDED: 0, OPERATION_TIME_LIMIT: 0 })
    expect(stats.bucketWaits).toBeGreaterThan(0)
    expect(stats.inflight).toBe(0) // every admitted request was settled by its answer
    const floor = (600 - 50) / 2
    console.log(
      `[pacer] 600 calls: 503s=0, emulated ${emulatedSec.toFixed(1)} s (floor ${floor} s, ratio ${(emulatedSec / floor).toFixed(3)}), ` +
        `wall ${wallMs} ms at 50x, requests that waited ${stats.bucketWaits}`,
    )
  })

  it('two portals are paced independently: a flooded standard portal never delays an Enterprise one', async () => {
    const clock = createClock({ speed: 50 })
    s = await startStack(sqlite, { clock, portal: { plan: 'standard' } })
    await installThroughPortal(s)
    const ent = await installSecondPortal(s, { plan: 'enterprise' })
    await quiet(clock)
    const gw = s.a.app.gateway
    const sinceStd = s.portal.requests().length
    const sinceEnt = ent.requests().length

    let stdDone = 0
    let stdDoneWhenEntFinished = -1
    const std = Promise.all(
      Array.from({ length: 200 }, () => gw.call(s.portal.memberId, 'user.current').then(() => void stdDone++)),
    )
    const entCalls = Promise.all(Array.from({ length: 200 }, () => gw.call(ent.memberId, 'user.current'))).then(() => {
      stdDoneWhenEntFinished = stdDone
    })
    await Promise.all([std, entCalls])

    expect(statuses(s.portal, sinceStd)).toEqual({ 200: 200 })
    expect(statuses(ent, sinceEnt)).toEqual({ 200: 200 })
    const stdStats = gw.pacer.stats(s.portal.memberId)
    const entStats = gw.pacer.stats(ent.memberId)
    // Enterprise: X = 250, 200 requests fit its burst, so none of them waited behind the flooded portal's queue.
    expect(entStats.bucketWaits).toBe(0)
    expect(stdStats.bucketWaits).toBeGreaterThan(100)
    console.log(`[pacer] two portals: enterprise finished when standard had ${stdDoneWhenEntFinished}/200 done; waits std=${stdStats.bucketWaits} ent=${entStats.bucketWaits}`)
  })

  it('a 503 the portal still sends (another app on our IP) is observed, and the SDK retry goes through the pacer', async () => {
    const clock = createClock({ speed: 50 })
    s = await startStack(sqlite, { clock })
    await installThroughPortal(s)
    await quiet(clock)
    const member = s.portal.memberId
    s.portal.injectFault({ method: 'user.current', kind: 'QUERY_LIMIT_EXCEEDED', times: 1 })
    const since = s.portal.requests().length
    await s.a.app.gateway.call(member, 'user.current') // the SDK retries once, through the pacer again
    expect(statuses(s.portal, since)).toEqual({ 503: 1, 200: 1 })
    const stats = s.a.app.gateway.pacer.stats(member)
    expect(stats.refusals.QUERY_LIMIT_EXCEEDED).toBe(1)
    // Both attempts were admitted (counted) by the pacer; what a refusal does to the model: pacer-model.test.ts.
    expect(stats.requests).toBeGreaterThanOrEqual(2)
  })
})

describe('pacer: operating budget', () => {
  let s: Stack
  afterEach(async () => {
    await s?.close()
  })

  it('300 batches of 50 user.add (0.5 s each) under a 300 s / 60 s budget: no OPERATION_TIME_LIMIT', async () => {
    const clock = createClock({ speed: 100 })
    const budget = { operatingLimitSec: 300, operatingWindowSec: 60 }
    s = await startStack(sqlite, {
      clock,
      portal: { limits: budget, methodTimes: { 'user.add': 0.5 } },
      pacing: { operatingBudgetSec: budget.operatingLimitSec, operatingWindowSec: budget.operatingWindowSec },
    })
    await installThroughPortal(s)
    await quiet(clock)
    const member = s.portal.memberId
    const gw = s.a.app.gateway
    const since = s.portal.requests().length
    const t0 = clock.now()
    const w0 = Date.now()

    const outcomes: DetailedOutcome[] = []
    let next = 0
    const worker = async (): Promise<void> => {
      for (;;) {
        const b = next++
        if (b >= 300) return
        const calls: Record<string, [string, Record<string, unknown>]> = {}
        for (let i = 0; i < 50; i++) calls[`u${i}`] = ['user.add', { EMAIL: `bench-${b}-${i}@example.com`, UF_DEPARTMENT: [1] }]
        const r = await gw.batchDetailed(member, calls)
        outcomes.push(...Object.values(r.outcomes))
      }
    }
    await Promise.all(Array.from({ length: 4 }, worker))
    const emulatedSec = (clock.now() - t0) / 1000
    const wallMs = Date.now() - w0

    const failed = outcomes.filter((o) => !o.ok) as Array<{ code: string }>
    expect(failed.map((f) => f.code)).toEqual([])
    expect(outcomes.length).toBe(15_000)
    expect(s.portal.invitations().length).toBe(15_000)
    // The access token lives one emulated hour (36 s at 100×): a slow machine may see it expire and refresh,
    // which is a 401 expired_token, not a refusal by the limits.
    const { 401: expired = 0, ...seen } = statuses(s.portal, since)
    expect(seen).toEqual({ 200: 300 })
    expect(s.portal.requests().slice(since).filter((r) => r.status === 401 && r.error !== 'expired_token')).toEqual([])
    expect(expired).toBeLessThanOrEqual(Math.ceil(emulatedSec / 3600) * 4)
    const stats = gw.pacer.stats(member)
    expect(stats.refusals).toEqual({ QUERY_LIMIT_EXCEEDED: 0, OPERATION_TIME_LIMIT: 0 })
    expect(stats.methods['user.add']!.waits).toBeGreaterThan(0)
    expect(stats.inflight).toBe(0)
    // 7 500 s of user.add through 300 s per 60 s: the first 300 s go at once, the rest at most 300 s a minute.
    const floor = ((15_000 * 0.5 - budget.operatingLimitSec) / budget.operatingLimitSec) * budget.operatingWindowSec
    console.log(
      `[pacer] 300×50 user.add: 429s=0, emulated ${emulatedSec.toFixed(0)} s (floor ${floor.toFixed(0)} s, ratio ${(emulatedSec / floor).toFixed(3)}), ` +
        `wall ${wallMs} ms at 100x, operating waits ${stats.methods['user.add']!.waits}`,
    )
  })
})
