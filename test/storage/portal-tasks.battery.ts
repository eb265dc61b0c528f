import { describe, expect, it } from 'vitest'
import { createPortalTasks, type PortalTasks } from '../../server/storage/portal-tasks.js'
import { useDatabase, type OpenTestDatabase } from './battery-support.js'

const T0 = 1_700_000_000_000
const TTL = 60_000

export function portalTasksBattery(open: OpenTestDatabase): void {
  describe('PortalTasks', () => {
    const current = useDatabase(open)
    const setup = () => createPortalTasks(current())

    it('one owner holds a portal\'s task; the holder renews; others wait until it lapses or is released', async () => {
      const tasks = setup()
      expect(await tasks.claim('m1', 'sync', 'a', T0, TTL)).toBe(true)
      expect(await tasks.claim('m1', 'sync', 'b', T0 + 1, TTL)).toBe(false)
      // Other tasks and other portals are separate.
      expect(await tasks.claim('m1', 'reminders', 'b', T0 + 1, TTL)).toBe(true)
      expect(await tasks.claim('m2', 'sync', 'b', T0 + 1, TTL)).toBe(true)
      // The holder renews; the lease then runs from the renewal.
      expect(await tasks.claim('m1', 'sync', 'a', T0 + TTL - 1, TTL)).toBe(true)
      expect(await tasks.claim('m1', 'sync', 'b', T0 + TTL + 1, TTL)).toBe(false)
      // Lapsed (its holder died): another takes it.
      expect(await tasks.claim('m1', 'sync', 'b', T0 + 2 * TTL, TTL)).toBe(true)
      // Only the holder releases.
      await tasks.release('m1', 'sync', 'a')
      expect(await tasks.claim('m1', 'sync', 'a', T0 + 2 * TTL + 1, TTL)).toBe(false)
      await tasks.release('m1', 'sync', 'b')
      expect(await tasks.claim('m1', 'sync', 'a', T0 + 2 * TTL + 2, TTL)).toBe(true)
    })

    it('of many instances claiming at once, exactly one gets the task', async () => {
      const all: PortalTasks[] = [setup()]
      if (current().dialect === 'postgres') for (let i = 0; i < 3; i++) all.push(createPortalTasks(await current().openPeer()))
      const owners = Array.from({ length: 12 }, (_, k) => `w${k}`)
      const won = await Promise.all(owners.map((o, k) => all[k % all.length]!.claim('m1', 'schedule', o, T0, TTL)))
      expect(won.filter(Boolean)).toHaveLength(1)
    })
  })
}
