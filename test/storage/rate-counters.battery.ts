import { describe, expect, it } from 'vitest'
import { createRateCounters, type RateCounters } from '../../server/storage/rate-counters.js'
import { useDatabase, type OpenTestDatabase } from './battery-support.js'

const MIN = 60_000
/** A window boundary: T0 is a multiple of both window lengths used here. */
const T0 = 1_700_000_400_000 - (1_700_000_400_000 % (10 * MIN))

export function rateCountersBattery(open: OpenTestDatabase): void {
  describe('RateCounters', () => {
    const current = useDatabase(open)
    const setup = () => createRateCounters(current())
    const rows = () => current().db.selectFrom('rate_counters').selectAll().orderBy('key').orderBy('window_start').execute()

    it('counts hits within a window; the next window starts again at 1; keys are independent', async () => {
      const counters = setup()
      expect(await counters.hit('ip:a', MIN, T0)).toBe(1)
      expect(await counters.hit('ip:a', MIN, T0 + 1)).toBe(2)
      expect(await counters.hit('ip:b', MIN, T0 + 2)).toBe(1)
      // The window's last millisecond is still in it.
      expect(await counters.hit('ip:a', MIN, T0 + MIN - 1)).toBe(3)
      expect(await counters.hit('ip:a', MIN, T0 + MIN)).toBe(1)
      expect(await counters.hit('ip:a', MIN, T0 + MIN + 5)).toBe(2)
      expect(await counters.hit('ip:b', MIN, T0 + MIN + 5)).toBe(1)
      // A ten-minute window under another key.
      for (let i = 1; i <= 4; i++) expect(await counters.hit('join:a', 10 * MIN, T0 + i * MIN)).toBe(i)
      expect(await counters.hit('join:a', 10 * MIN, T0 + 10 * MIN)).toBe(1)
      expect(await rows()).toEqual([
        { key: 'ip:a', window_start: T0, count: 3 },
        { key: 'ip:a', window_start: T0 + MIN, count: 2 },
        { key: 'ip:b', window_start: T0, count: 1 },
        { key: 'ip:b', window_start: T0 + MIN, count: 1 },
        { key: 'join:a', window_start: T0, count: 4 },
        { key: 'join:a', window_start: T0 + 10 * MIN, count: 1 },
      ])
    })

    it('concurrent hits from several instances are all counted: the answers are exactly 1..50', async () => {
      const counters = setup()
      // Other app instances on PostgreSQL; on SQLite one handle (two connections in one process cannot interleave writes).
      const all: RateCounters[] = [counters]
      if (current().dialect === 'postgres') for (let i = 0; i < 2; i++) all.push(createRateCounters(await current().openPeer()))
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => all[i % all.length]!.hit('hot', MIN, T0 + (i % 7))))
      expect([...answers].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
      expect(await rows()).toEqual([{ key: 'hot', window_start: T0, count: 50 }])
      expect(await counters.hit('hot', MIN, T0 + 30_000)).toBe(51)
    })

    it('prune drops the windows that started before the given time and answers how many', async () => {
      const counters = setup()
      await counters.hit('a', MIN, T0)
      await counters.hit('b', MIN, T0)
      await counters.hit('a', MIN, T0 + MIN)
      await counters.hit('a', MIN, T0 + 2 * MIN)
      expect(await counters.prune(T0)).toBe(0)
      expect(await counters.prune(T0 + MIN)).toBe(2)
      expect((await rows()).map((r) => `${r.key}@${r.window_start - T0}`)).toEqual([`a@${MIN}`, `a@${2 * MIN}`])
      expect(await counters.prune(T0 + 10 * MIN)).toBe(2)
      expect(await rows()).toEqual([])
      // A pruned window starts again from 1.
      expect(await counters.hit('a', MIN, T0 + 2 * MIN)).toBe(1)
    })
  })
}
