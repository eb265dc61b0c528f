import { describe, expect, it } from 'vitest'
import { createRobotSettingsStore, type RobotSettingsStore } from '../../server/storage/robot-settings-store.js'
import { useDatabase, type OpenTestDatabase } from './battery-support.js'

const T0 = 1_700_000_000_000
const TTL = 60_000

const policy = { dailyCap: 200, invite: { allowExtranet: true, groups: [3, 5] }, note: 'Приглашения' }

export function robotSettingsStoreBattery(open: OpenTestDatabase): void {
  describe('RobotSettingsStore', () => {
    const current = useDatabase(open)
    const setup = () => createRobotSettingsStore(current())
    /** A second app instance on PostgreSQL; on SQLite the same store (two connections in one process cannot interleave writes). */
    const peerOf = async (store: RobotSettingsStore) => (current().dialect === 'postgres' ? createRobotSettingsStore(await current().openPeer()) : store)
    const row = (memberId: string) => current().db.selectFrom('robot_settings').selectAll().where('member_id', '=', memberId).executeTakeFirst()

    it('get is null before the first put; put and get round-trip; a second put overwrites', async () => {
      const store = setup()
      expect(await store.get('m1')).toBeNull()
      await store.put('m1', policy, 7, T0)
      expect(await store.get('m1')).toEqual(policy)
      expect(await row('m1')).toMatchObject({ updated_by: 7, dispatch_owner: null, dispatch_until: null })
      expect(Number((await row('m1'))!.updated_at)).toBe(T0)
      await store.put('m1', { dailyCap: 10 }, null, T0 + 1)
      expect(await store.get('m1')).toEqual({ dailyCap: 10 })
      expect(await row('m1')).toMatchObject({ updated_by: null })
      expect(Number((await row('m1'))!.updated_at)).toBe(T0 + 1)
      expect(await store.get('m2')).toBeNull()
      await store.put('m2', { dailyCap: 5 }, 1, T0)
      expect(await store.get('m1')).toEqual({ dailyCap: 10 })
      expect(await store.get('m2')).toEqual({ dailyCap: 5 })
    })

    it('claimDispatch: one owner at a time; renewable by the holder; taken by another once the ttl lapsed', async () => {
      const store = setup()
      expect(await store.claimDispatch('m1', 'a', T0, TTL)).toBe(true)
      expect(await store.claimDispatch('m1', 'b', T0 + 1, TTL)).toBe(false)
      // Another portal's claim is separate.
      expect(await store.claimDispatch('m2', 'b', T0 + 1, TTL)).toBe(true)
      // The holder renews: the claim now runs to T0 + TTL / 2 + TTL.
      expect(await store.claimDispatch('m1', 'a', T0 + TTL / 2, TTL)).toBe(true)
      expect(Number((await row('m1'))!.dispatch_until)).toBe(T0 + TTL / 2 + TTL)
      expect(await store.claimDispatch('m1', 'b', T0 + TTL + 1, TTL)).toBe(false)
      expect(await store.claimDispatch('m1', 'b', T0 + TTL / 2 + TTL, TTL)).toBe(false)
      // Lapsed: b takes it, and a is refused until b's own claim lapses.
      expect(await store.claimDispatch('m1', 'b', T0 + TTL / 2 + TTL + 1, TTL)).toBe(true)
      expect(await row('m1')).toMatchObject({ dispatch_owner: 'b' })
      expect(await store.claimDispatch('m1', 'a', T0 + TTL / 2 + TTL + 2, TTL)).toBe(false)
    })

    it('releaseDispatch frees the claim only for its owner', async () => {
      const store = setup()
      expect(await store.claimDispatch('m1', 'a', T0, TTL)).toBe(true)
      await store.releaseDispatch('m1', 'b')
      expect(await store.claimDispatch('m1', 'b', T0 + 1, TTL)).toBe(false)
      await store.releaseDispatch('m2', 'a')
      expect(await store.claimDispatch('m1', 'b', T0 + 1, TTL)).toBe(false)
      await store.releaseDispatch('m1', 'a')
      expect(await row('m1')).toMatchObject({ dispatch_owner: null, dispatch_until: null })
      expect(await store.claimDispatch('m1', 'b', T0 + 2, TTL)).toBe(true)
      // Releasing a portal never claimed is harmless.
      await store.releaseDispatch('m9', 'a')
      expect(await row('m9')).toBeUndefined()
    })

    it('a claim row alone carries no settings; claims and settings do not overwrite each other', async () => {
      const store = setup()
      expect(await store.claimDispatch('m1', 'a', T0, TTL)).toBe(true)
      expect(await row('m1')).toBeDefined()
      expect(await store.get('m1')).toBeNull()
      // Saving settings keeps the claim.
      await store.put('m1', policy, 7, T0 + 1)
      expect(await store.get('m1')).toEqual(policy)
      expect(await store.claimDispatch('m1', 'b', T0 + 2, TTL)).toBe(false)
      // Claiming, renewing and releasing keep the settings.
      expect(await store.claimDispatch('m1', 'a', T0 + 3, TTL)).toBe(true)
      await store.releaseDispatch('m1', 'a')
      expect(await store.claimDispatch('m1', 'b', T0 + 4, TTL)).toBe(true)
      expect(await store.get('m1')).toEqual(policy)
      expect(await row('m1')).toMatchObject({ updated_by: 7 })
    })

    it('of concurrent claims by different owners, exactly one wins', async () => {
      const store = setup()
      const peer = await peerOf(store)
      const owners = ['a', 'b', 'c', 'd', 'e', 'f']
      const results = await Promise.all(owners.map((owner, i) => (i % 2 ? peer : store).claimDispatch('m1', owner, T0, TTL)))
      expect(results.filter(Boolean)).toHaveLength(1)
      expect(await row('m1')).toMatchObject({ dispatch_owner: owners[results.indexOf(true)] })
      expect(await store.get('m1')).toBeNull()
    })
  })
}
