import { describe, expect, it } from 'vitest'
import { createJobStore } from '../../server/storage/job-store.js'
import { createPortalLeases, type PortalLeases } from '../../server/storage/portal-lease.js'
import { manualClock, useDatabase, type OpenTestDatabase } from './battery-support.js'

const T0 = 1_700_000_000_000
const TTL = 30_000

export function portalLeaseBattery(open: OpenTestDatabase): void {
  describe('PortalLeases', () => {
    const current = useDatabase(open)
    const setup = () => createPortalLeases(current())
    const rawLease = (memberId: string) =>
      current().db.selectFrom('portal_leases').selectAll().where('member_id', '=', memberId).executeTakeFirst()

    it('exactly one of 20 concurrent acquirers (two app instances) gets a free lease', async () => {
      const leases = setup()
      const peer = createPortalLeases(await current().openPeer())
      const stores: PortalLeases[] = [leases, peer]
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 2]!.acquire('m1', `owner-${i}`, T0, TTL)))
      expect(results.filter(Boolean)).toHaveLength(1)
      const winner = `owner-${results.indexOf(true)}`
      expect(await leases.holder('m1', T0)).toBe(winner)
      expect(await rawLease('m1')).toEqual({ member_id: 'm1', owner: winner, lease_until: T0 + TTL, acquired_at: T0 })
    })

    it('exactly one of 20 concurrent acquirers takes over an expired lease', async () => {
      const leases = setup()
      const peer = createPortalLeases(await current().openPeer())
      expect(await leases.acquire('m1', 'crashed', T0, TTL)).toBe(true)
      const later = T0 + TTL
      const stores: PortalLeases[] = [leases, peer]
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 2]!.acquire('m1', `owner-${i}`, later, TTL)))
      expect(results.filter(Boolean)).toHaveLength(1)
      expect(await leases.holder('m1', later)).toBe(`owner-${results.indexOf(true)}`)
    })

    it('an unexpired lease keeps others out; the holder renews it; expiry lets another in', async () => {
      const leases = setup()
      expect(await leases.acquire('m1', 'a', T0, 1_000)).toBe(true)
      expect(await leases.acquire('m1', 'b', T0 + 999, 1_000)).toBe(false)
      // Renewal by the holder extends the lease and keeps the acquisition time.
      expect(await leases.acquire('m1', 'a', T0 + 500, 1_000)).toBe(true)
      expect(await rawLease('m1')).toMatchObject({ owner: 'a', lease_until: T0 + 1_500, acquired_at: T0 })
      expect(await leases.acquire('m1', 'b', T0 + 1_499, 1_000)).toBe(false)
      expect(await leases.holder('m1', T0 + 1_499)).toBe('a')
      // At lease_until the lease is expired.
      expect(await leases.holder('m1', T0 + 1_500)).toBeNull()
      expect(await leases.acquire('m1', 'b', T0 + 1_500, 1_000)).toBe(true)
      expect(await rawLease('m1')).toMatchObject({ owner: 'b', lease_until: T0 + 2_500, acquired_at: T0 + 1_500 })
      // a lost it: a's renewal is refused now.
      expect(await leases.acquire('m1', 'a', T0 + 1_600, 1_000)).toBe(false)
    })

    it('the holder may re-take its own expired lease if nobody took it', async () => {
      const leases = setup()
      expect(await leases.acquire('m1', 'a', T0, 1_000)).toBe(true)
      expect(await leases.acquire('m1', 'a', T0 + 5_000, 1_000)).toBe(true)
      expect(await leases.holder('m1', T0 + 5_000)).toBe('a')
    })

    it('release frees only the caller’s own lease', async () => {
      const leases = setup()
      expect(await leases.acquire('m1', 'a', T0, TTL)).toBe(true)
      await leases.release('m1', 'b')
      expect(await leases.holder('m1', T0)).toBe('a')
      await leases.release('m1', 'a')
      expect(await leases.holder('m1', T0)).toBeNull()
      expect(await rawLease('m1')).toBeUndefined()
      expect(await leases.acquire('m1', 'b', T0, TTL)).toBe(true)
      await expect(leases.release('ghost', 'a')).resolves.toBeUndefined()
    })

    it('leases of different portals are independent', async () => {
      const leases = setup()
      expect(await leases.acquire('m1', 'a', T0, TTL)).toBe(true)
      expect(await leases.acquire('m2', 'b', T0, TTL)).toBe(true)
      expect(await leases.holder('m1', T0)).toBe('a')
      expect(await leases.holder('m2', T0)).toBe('b')
      expect(await leases.holder('m3', T0)).toBeNull()
    })

    it('candidates are the portals with a running job (or a stopped one with rows in flight) and no live lease, oldest job first', async () => {
      const leases = setup()
      const clock = manualClock(T0)
      const jobs = createJobStore(current(), clock.now)
      const job = { kind: 'bulk_invite' as const, source: 'wizard' as const, createdBy: 1, templateId: null, title: 't', options: {} }
      const run = async (memberId: string, status: 'running' | 'paused' | 'completed' = 'running') => {
        const created = await jobs.create({ ...job, memberId }, [{ email: 'a@example.test', phone: null, payload: {} }])
        await jobs.setStatus(memberId, created.id, ['queued'], 'running')
        if (status !== 'running') await jobs.setStatus(memberId, created.id, ['running'], status)
        clock.advance(1)
      }
      await run('old')
      await run('held')
      await run('paused', 'paused')
      await run('done', 'completed')
      await run('expired')
      await run('new')
      await run('old') // a second running job does not list the portal twice
      await jobs.create({ ...job, memberId: 'queued-only' }, [])
      // Cancelled with a row still 'sending': a worker must reconcile it.
      const stranded = await jobs.create({ ...job, memberId: 'stranded' }, [{ email: 'b@example.test', phone: null, payload: {} }])
      await jobs.setStatus('stranded', stranded.id, ['queued'], 'running')
      await jobs.markSending(stranded.id, [1], T0)
      await jobs.setStatus('stranded', stranded.id, ['running'], 'cancelled')
      expect(await leases.acquire('held', 'w1', T0, TTL)).toBe(true)
      expect(await leases.acquire('expired', 'w1', T0, 1_000)).toBe(true)
      expect(await leases.candidates(T0 + 999, 10)).toEqual(['old', 'new', 'stranded'])
      expect(await leases.candidates(T0 + 1_000, 10)).toEqual(['old', 'expired', 'new', 'stranded'])
      expect(await leases.candidates(T0 + 1_000, 2)).toEqual(['old', 'expired'])
      expect(await leases.candidates(T0 + 1_000, 0)).toEqual([])
      // The holder itself sees its own portals (it may have failed to release them); others do not.
      expect(await leases.candidates(T0 + 999, 10, 'w1')).toEqual(['old', 'held', 'expired', 'new', 'stranded'])
      expect(await leases.candidates(T0 + 999, 10, 'w2')).toEqual(['old', 'new', 'stranded'])
    })
  })
}
