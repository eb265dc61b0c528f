/**
 * The pacer's model on virtual time (sleep advances the clock at once), so waits are exact and the
 * tests deterministic. The HTTP-level proof against the emulator is pacer.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { createPacer } from '../../server/portals/pacer.js'
import type { Clock } from '../../server/shared/clock.js'
import { createClock } from '../emulator/clock.js'

function virtualClock(start = 1_700_000_000_000): Clock & { slept: number[] } {
  let now = start
  const slept: number[] = []
  return {
    slept,
    now: () => now,
    async sleep(ms) {
      slept.push(ms)
      now += Math.max(0, ms)
      await Promise.resolve()
    },
  }
}

describe('pacer model: bucket', () => {
  it('lets X − margin through at once, then one request per 1/Y s, first come first served', async () => {
    const clock = virtualClock()
    const pacer = createPacer({ clock })
    const t0 = clock.now()
    const order: number[] = []
    await Promise.all(Array.from({ length: 60 }, (_, i) => pacer.acquire('p1', null).then(() => order.push(i))))
    expect(order).toEqual(Array.from({ length: 60 }, (_, i) => i))
    // Standard plan: X = 50, margin 2 → 48 at once; 12 more at 2 per second.
    expect(clock.now() - t0).toBe(6_000)
    expect(pacer.stats('p1').bucketWaits).toBe(12)
  })

  it('Enterprise (LICENSE_FAMILY ent) gets 250 / 5 per second', async () => {
    const clock = virtualClock()
    const pacer = createPacer({ clock })
    const t0 = clock.now()
    await Promise.all(Array.from({ length: 245 }, () => pacer.acquire('e1', 'ent')))
    // Margin max(2, 4 % of 250) = 10 → 240 at once, 5 more at 5 per second.
    expect(clock.now() - t0).toBe(1_000)
  })

  it('after a 503 it assumes the bucket is full', async () => {
    const clock = virtualClock()
    const pacer = createPacer({ clock })
    await pacer.acquire('p1', null)
    pacer.observe('p1', { method: 'user.current', refused: 'QUERY_LIMIT_EXCEEDED' })
    const t0 = clock.now()
    await pacer.acquire('p1', null)
    // Counter 50, cap 48: one more needs (50 + 1 − 48) / 2 s.
    expect(clock.now() - t0).toBe(1_500)
    expect(pacer.stats('p1').refusals.QUERY_LIMIT_EXCEEDED).toBe(1)
  })

  it('counts a request in flight until its answer, and its drain only from then (latency-proof)', async () => {
    const clock = createClock({ speed: 1000 })
    const pacer = createPacer({ clock })
    const calls = new Map([['user.current', 1]])
    const tickets = await Promise.all(Array.from({ length: 48 }, () => pacer.admit('p1', null, calls)))
    let admittedAt = 0
    const next = pacer.admit('p1', null, calls).then((t) => {
      admittedAt = clock.now()
      return t
    })
    // However long the 48 stay unanswered, the portal may still receive them all at once: nothing more goes.
    await new Promise((r) => setTimeout(r, 20)) // 20 emulated seconds
    expect(admittedAt).toBe(0)
    const answeredAt = clock.now()
    for (const t of tickets) pacer.settle(t)
    pacer.settle(await next)
    // Counter 48 from the answers on; one more fits after (48 + 1 − 48) / 2 s.
    expect(admittedAt - answeredAt).toBeGreaterThanOrEqual(500)
  })

  it("one portal's queue never delays another", async () => {
    const clock = virtualClock()
    const pacer = createPacer({ clock })
    const flood = Promise.all(Array.from({ length: 200 }, () => pacer.acquire('busy', null)))
    const t0 = clock.now()
    await pacer.acquire('calm', null)
    expect(clock.now()).toBe(t0)
    await flood
    expect(pacer.stats('calm').bucketWaits).toBe(0)
    expect(pacer.stats('busy').bucketWaits).toBeGreaterThan(0)
  })
})

describe('pacer model: operating budget', () => {
  const opts = { operatingBudgetSec: 100, operatingWindowSec: 60, operatingMarginSec: 5 }

  it('blocks a method near the budget until operating_reset_at, other methods go on', async () => {
    const clock = virtualClock()
    const pacer = createPacer({ clock, ...opts })
    const resetAt = Math.floor(clock.now() / 1000) + 30
    pacer.observe('p1', { method: 'user.add', operating: 97, operatingResetAt: resetAt, processing: 0.5 })
    const t0 = clock.now()
    await pacer.waitForMethod('p1', 'user.get')
    expect(clock.now()).toBe(t0)
    await pacer.waitForMethod('p1', 'user.add')
    expect(clock.now()).toBeGreaterThanOrEqual(resetAt * 1000)
  })

  it('reserves in-flight calls: a batch waits while earlier ones are unanswered, then for their charge to leave the window', async () => {
    // Real (sped-up) time here: with virtual time a waiter would fast-forward past the in-flight requests.
    const clock = createClock({ speed: 1000 })
    const pacer = createPacer({ clock, ...opts, initialCallCostSec: 0.5 })
    const calls = new Map([['user.add', 50]])
    const first = await pacer.admit('p1', null, calls) // reserves 25 s
    const second = await pacer.admit('p1', null, calls) // 50 s
    const third = await pacer.admit('p1', null, calls) // 75 s; the ceiling is 100 − 5
    let fourthAt = 0
    const fourth = pacer.admit('p1', null, calls).then((t) => {
      fourthAt = clock.now()
      return t
    })
    await new Promise((r) => setTimeout(r, 5))
    expect(fourthAt).toBe(0)
    // The first batch's answer: 50 commands charged 0.5 s each; the portal now counts 25 s.
    const answeredAt = clock.now()
    for (let i = 1; i <= 50; i++) pacer.observe('p1', { method: 'user.add', processing: 0.5, operating: i * 0.5 })
    pacer.settle(first)
    // 25 charged + 50 reserved + 25 asked = 100 > 95: the fourth waits until that charge leaves the 60 s window.
    const t = await fourth
    expect(fourthAt - answeredAt).toBeGreaterThanOrEqual(60_000)
    expect(pacer.stats('p1').methods['user.add']!.waits).toBeGreaterThan(0)
    for (const x of [second, third, t]) pacer.settle(x)
  })

  it("dates a charge by the portal's time.finish (mapped by the smallest delay seen), not by a late answer", async () => {
    const clock = virtualClock()
    const pacer = createPacer({ clock, ...opts })
    const sec = (ms: number) => ms / 1000
    // A quick answer teaches the clock offset: at most 1 s between the portal finishing and us hearing it.
    pacer.observe('p1', { method: 'user.get', processing: 0.1, operating: 0.1, finishedAt: sec(clock.now() - 1000) })
    // A slow answer: the portal ran these 90 s of user.add 10 s before the answer reached us.
    const ranAt = clock.now() - 9000 // finish − 10 s, plus the 1 s offset bound
    pacer.observe('p1', { method: 'user.add', processing: 90, operating: 90, finishedAt: sec(clock.now() - 10_000) })
    await pacer.waitForMethod('p1', 'user.add', 10) // 90 + 10 × 90 s can only fit once the charge left
    // It left one window after the portal ran it (mapped late by 1 s), not one window after the answer.
    expect(clock.now()).toBeGreaterThanOrEqual(ranAt + 60_000)
    expect(clock.now()).toBeLessThan(ranAt + 60_000 + 2_000)
  })

  it('after a 429 the method waits for the reset', async () => {
    const clock = virtualClock()
    const pacer = createPacer({ clock, ...opts })
    const resetAt = Math.floor(clock.now() / 1000) + 20
    pacer.observe('p1', { method: 'user.add', operating: 40, operatingResetAt: resetAt, processing: 0.5 })
    pacer.observe('p1', { method: 'user.add', refused: 'OPERATION_TIME_LIMIT' })
    await pacer.waitForMethod('p1', 'user.add')
    expect(clock.now()).toBeGreaterThan(resetAt * 1000)
    expect(pacer.stats('p1').refusals.OPERATION_TIME_LIMIT).toBe(1)
  })
})
