import { describe, expect, it } from 'vitest'
import { createEventInbox, type EventInbox } from '../../server/storage/event-inbox.js'
import { useDatabase, type OpenTestDatabase } from './battery-support.js'

const T0 = 1_700_000_000_000
const LEASE = 30_000
const empty = { pending: 0, processing: 0, done: 0, failed: 0 }

export function eventInboxBattery(open: OpenTestDatabase): void {
  describe('EventInbox', () => {
    const current = useDatabase(open)
    const setup = () => createEventInbox(current())
    const addMany = async (inbox: EventInbox, n: number, memberId = 'm1') => {
      const ids: number[] = []
      for (let i = 0; i < n; i++) ids.push(await inbox.add({ memberId, event: 'ONCRMDEALADD', payload: { i }, receivedAt: T0 + i }))
      return ids
    }

    it('add returns increasing ids and claim round-trips the item', async () => {
      const inbox = setup()
      const payload = { data: { FIELDS: { ID: '7' } }, auth: { member_id: 'm1' }, list: [1, 'a', null] }
      const first = await inbox.add({ memberId: 'm1', event: 'ONCRMDEALADD', payload, receivedAt: T0 })
      const second = await inbox.add({ memberId: 'm1', event: 'ONCRMDEALUPDATE', payload: {}, receivedAt: T0 })
      expect(second).toBeGreaterThan(first)
      expect(await inbox.claim('w1', T0, LEASE, 10)).toEqual([
        { id: first, memberId: 'm1', event: 'ONCRMDEALADD', payload, receivedAt: T0, attempts: 1 },
        { id: second, memberId: 'm1', event: 'ONCRMDEALUPDATE', payload: {}, receivedAt: T0, attempts: 1 },
      ])
      expect(await inbox.stats()).toEqual({ ...empty, processing: 2 })
    })

    it('concurrent adds (written together) each get the id of their own row', async () => {
      const inbox = setup()
      const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => inbox.add({ memberId: `m${i % 3}`, event: 'ONUSERADD', payload: { i }, receivedAt: T0 })))
      expect(new Set(ids).size).toBe(50)
      const claimed = await inbox.claim('w1', T0, LEASE, 100)
      expect(claimed).toHaveLength(50)
      for (const item of claimed) {
        const i = (item.payload as { i: number }).i
        expect(item.id).toBe(ids[i])
        expect(item.memberId).toBe(`m${i % 3}`)
      }
    })

    it('claim honours the limit, oldest first, and never hands out a leased item again', async () => {
      const inbox = setup()
      const ids = await addMany(inbox, 5)
      expect((await inbox.claim('w1', T0 + 10, LEASE, 3)).map((i) => i.id)).toEqual(ids.slice(0, 3))
      expect((await inbox.claim('w2', T0 + 10, LEASE, 10)).map((i) => i.id)).toEqual(ids.slice(3))
      expect(await inbox.claim('w3', T0 + 10, LEASE, 10)).toEqual([])
      expect(await inbox.claim('w3', T0 + 10, LEASE, 0)).toEqual([])
    })

    it('items are not claimable before next_attempt_at (their receipt time)', async () => {
      const inbox = setup()
      await inbox.add({ memberId: 'm1', event: 'E', payload: {}, receivedAt: T0 + 1_000 })
      expect(await inbox.claim('w1', T0 + 999, LEASE, 10)).toEqual([])
      expect(await inbox.claim('w1', T0 + 1_000, LEASE, 10)).toHaveLength(1)
    })

    it('two concurrent claimers (two app instances) never get the same item', async () => {
      const a = setup()
      const b = createEventInbox(await current().openPeer())
      const ids = await addMany(a, 60)
      const drain = async (inbox: EventInbox, owner: string) => {
        const got: number[] = []
        for (;;) {
          const batch = await inbox.claim(owner, T0 + 1_000, LEASE, 4)
          if (batch.length === 0) return got
          for (const item of batch) {
            got.push(item.id)
            await inbox.complete(item.id, owner)
          }
        }
      }
      // A simultaneous first claim by both, then both draining side by side.
      const [firstA, firstB] = await Promise.all([a.claim('a', T0 + 1_000, LEASE, 20), b.claim('b', T0 + 1_000, LEASE, 20)])
      const overlap = firstA.filter((x) => firstB.some((y) => y.id === x.id))
      expect(overlap).toEqual([])
      for (const item of firstA) await a.complete(item.id, 'a')
      for (const item of firstB) await b.complete(item.id, 'b')
      const [gotA, gotB] = await Promise.all([drain(a, 'a'), drain(b, 'b')])
      const all = [...firstA.map((i) => i.id), ...firstB.map((i) => i.id), ...gotA, ...gotB]
      expect(new Set(all).size).toBe(all.length)
      expect([...all].sort((x, y) => x - y)).toEqual(ids)
      expect(await a.stats()).toEqual({ ...empty, done: 60 })
    })

    it('an expired lease re-delivers the item to another owner and the old owner loses it', async () => {
      const inbox = setup()
      const [id] = await addMany(inbox, 1)
      expect(await inbox.claim('w1', T0, 1_000, 10)).toMatchObject([{ id, attempts: 1 }])
      expect(await inbox.claim('w2', T0 + 999, 1_000, 10)).toEqual([])
      expect(await inbox.claim('w2', T0 + 1_000, 1_000, 10)).toMatchObject([{ id, attempts: 2 }])
      // The first owner's late outcome is ignored: the item stays with w2.
      await inbox.complete(id!, 'w1')
      await inbox.fail(id!, 'w1', 'late', null)
      expect(await inbox.stats()).toEqual({ ...empty, processing: 1 })
      await inbox.complete(id!, 'w2')
      expect(await inbox.stats()).toEqual({ ...empty, done: 1 })
      expect(await inbox.claim('w3', T0 + 100_000, 1_000, 10)).toEqual([])
    })

    it('fail with a retry time makes the item pending again from then, and records the error', async () => {
      const inbox = setup()
      const [id] = await addMany(inbox, 1)
      await inbox.claim('w1', T0, LEASE, 10)
      await inbox.fail(id!, 'w1', 'QUERY_LIMIT_EXCEEDED', T0 + 5_000)
      expect(await inbox.stats()).toEqual({ ...empty, pending: 1 })
      expect(await inbox.claim('w1', T0 + 4_999, LEASE, 10)).toEqual([])
      expect(await inbox.claim('w2', T0 + 5_000, LEASE, 10)).toMatchObject([{ id, attempts: 2 }])
      const raw = await current().db.selectFrom('event_inbox').selectAll().where('id', '=', id!).executeTakeFirstOrThrow()
      expect(raw).toMatchObject({ last_error: 'QUERY_LIMIT_EXCEEDED', lease_owner: 'w2' })
    })

    it('fail without a retry time gives up for good', async () => {
      const inbox = setup()
      const [id] = await addMany(inbox, 1)
      await inbox.claim('w1', T0, LEASE, 10)
      await inbox.fail(id!, 'w1', 'boom', null)
      expect(await inbox.stats()).toEqual({ ...empty, failed: 1 })
      expect(await inbox.claim('w1', T0 + 10 * LEASE, LEASE, 10)).toEqual([])
    })

    it('complete and fail by a non-owner leave the item untouched', async () => {
      const inbox = setup()
      const [id] = await addMany(inbox, 1)
      await inbox.claim('w1', T0, LEASE, 10)
      const before = await current().db.selectFrom('event_inbox').selectAll().executeTakeFirstOrThrow()
      await inbox.complete(id!, 'intruder')
      await inbox.fail(id!, 'intruder', 'x', T0)
      expect(await current().db.selectFrom('event_inbox').selectAll().executeTakeFirstOrThrow()).toEqual(before)
    })

    it('complete of a pending (never claimed) item does nothing', async () => {
      const inbox = setup()
      const [id] = await addMany(inbox, 1)
      await inbox.complete(id!, 'w1')
      expect(await inbox.stats()).toEqual({ ...empty, pending: 1 })
    })

    it('stats count per status, overall or for one portal', async () => {
      const inbox = setup()
      await addMany(inbox, 3, 'm1')
      await addMany(inbox, 2, 'm2')
      const [claimed] = await inbox.claim('w1', T0, LEASE, 1)
      await inbox.complete(claimed!.id, 'w1')
      expect(await inbox.stats()).toEqual({ pending: 4, processing: 0, done: 1, failed: 0 })
      expect(await inbox.stats(claimed!.memberId)).toEqual({ pending: 2, processing: 0, done: 1, failed: 0 })
      expect(await inbox.stats('m2')).toEqual({ ...empty, pending: 2 })
      expect(await inbox.stats('nobody')).toEqual(empty)
    })
  })
}
