import { describe, expect, it } from 'vitest'
import { createDirectoryStore, type DirectoryUser } from '../../server/storage/directory-store.js'
import { useDatabase, type OpenTestDatabase } from './battery-support.js'

const T0 = 1_700_000_000_000

const user = (id: number, overrides: Partial<DirectoryUser> = {}): DirectoryUser => ({
  id,
  email: `user${id}@example.test`,
  phone: `+7916${String(id).padStart(7, '0')}`,
  name: `Имя${id}`,
  lastName: `Фамилия${id}`,
  active: true,
  userType: 'employee',
  lastLogin: T0 - id,
  invited: false,
  departments: [1, id % 7],
  syncedAt: T0,
  ...overrides,
})

export function directoryStoreBattery(open: OpenTestDatabase, backend: string): void {
  describe('DirectoryStore', () => {
    const current = useDatabase(open)
    const setup = () => createDirectoryStore(current())

    it('upserts 10,000 users and looks up 10,000 emails in any case', async () => {
      const directory = setup()
      const users = Array.from({ length: 10_000 }, (_, i) => user(i + 1))
      let started = performance.now()
      await directory.upsertUsers('m1', users)
      const upsertMs = performance.now() - started
      expect(await directory.userCount('m1')).toBe(10_000)
      expect(await directory.maxUserId('m1')).toBe(10_000)
      // Half asked in upper case, plus 500 addresses nobody has.
      const asked = [
        ...users.map((u, i) => (i % 2 ? u.email!.toUpperCase() : u.email!)),
        ...Array.from({ length: 500 }, (_, i) => `stranger${i}@example.test`),
      ]
      started = performance.now()
      const found = await directory.usersByEmails('m1', asked)
      const lookupMs = performance.now() - started
      console.log(`[${backend}] DirectoryStore: upsert 10,000 users ${upsertMs.toFixed(0)} ms, look up 10,500 emails ${lookupMs.toFixed(0)} ms`)
      expect(found.size).toBe(10_000)
      expect(found.get('user4321@example.test')).toEqual(user(4321))
      expect(found.has('USER2@EXAMPLE.TEST')).toBe(false) // keyed by the lower-cased address
      expect(found.get('user2@example.test')?.id).toBe(2)
      expect(found.has('stranger1@example.test')).toBe(false)
    }, 120_000)

    it('round-trips every field, nulls included, and stores emails lower-cased', async () => {
      const directory = setup()
      const odd = user(7, { email: '  Mixed.Case@Example.TEST ', phone: null, name: null, lastName: null, active: false, userType: 'extranet', lastLogin: null, invited: true, departments: [] })
      await directory.upsertUsers('m1', [odd])
      const found = await directory.usersByEmails('m1', ['MIXED.case@example.test'])
      expect(found.get('mixed.case@example.test')).toEqual({ ...odd, email: 'mixed.case@example.test' })
    })

    it('upsert updates existing users; within one batch the last entry wins', async () => {
      const directory = setup()
      await directory.upsertUsers('m1', [user(1), user(2)])
      await directory.upsertUsers('m1', [user(2, { email: 'first@example.test' }), user(2, { email: 'renamed@example.test', active: false, syncedAt: T0 + 5 }), user(3)])
      expect(await directory.userCount('m1')).toBe(3)
      const found = await directory.usersByEmails('m1', ['user2@example.test', 'renamed@example.test', 'first@example.test'])
      expect([...found.keys()]).toEqual(['renamed@example.test'])
      expect(found.get('renamed@example.test')).toMatchObject({ id: 2, active: false, syncedAt: T0 + 5 })
      await expect(directory.upsertUsers('m1', [])).resolves.toBeUndefined()
    })

    it('looks up phones exactly, keyed as asked', async () => {
      const directory = setup()
      await directory.upsertUsers('m1', [user(1), user(2, { phone: null })])
      const found = await directory.usersByPhones('m1', ['+79160000001', '+79160000002', '89160000001', '', ' +79160000001 '])
      expect([...found.keys()]).toEqual(['+79160000001'])
      expect(found.get('+79160000001')?.id).toBe(1)
      expect((await directory.usersByPhones('m1', [])).size).toBe(0)
    })

    it('when users share an address, an active one wins, then the newest id', async () => {
      const directory = setup()
      await directory.upsertUsers('m1', [
        user(10, { email: 'shared@example.test', phone: '+70000000000', active: true }),
        user(20, { email: 'shared@example.test', phone: '+70000000000', active: false }),
        user(30, { email: 'twice@example.test', active: true }),
        user(40, { email: 'twice@example.test', active: true }),
      ])
      const byEmail = await directory.usersByEmails('m1', ['shared@example.test', 'twice@example.test'])
      expect(byEmail.get('shared@example.test')?.id).toBe(10)
      expect(byEmail.get('twice@example.test')?.id).toBe(40)
      expect((await directory.usersByPhones('m1', ['+70000000000'])).get('+70000000000')?.id).toBe(10)
    })

    it('counts and max id are 0 for an empty portal', async () => {
      const directory = setup()
      expect(await directory.userCount('m1')).toBe(0)
      expect(await directory.maxUserId('m1')).toBe(0)
    })

    it('userIdsInDepartments matches whole department ids in the users\' lists', async () => {
      const directory = setup()
      await directory.upsertUsers('m1', [
        user(1, { departments: [1] }), user(2, { departments: [12, 3] }), user(3, { departments: [3, 12] }), user(4, { departments: [2, 21] }), user(5, { departments: [] }),
      ])
      await directory.upsertUsers('m2', [user(9, { departments: [12] })])
      expect(await directory.userIdsInDepartments('m1', [12])).toEqual([2, 3])
      expect(await directory.userIdsInDepartments('m1', [1, 2])).toEqual([1, 4])
      expect(await directory.userIdsInDepartments('m1', [])).toEqual([])
    })

    it('replaceDepartments and replaceGroups replace the whole list', async () => {
      const directory = setup()
      await directory.replaceDepartments('m1', [
        { id: 5, name: 'Продажи', parentId: 1, headId: 7 },
        { id: 1, name: 'Компания', parentId: null },
      ])
      expect(await directory.departments('m1')).toEqual([
        { id: 1, name: 'Компания', parentId: null, headId: null },
        { id: 5, name: 'Продажи', parentId: 1, headId: 7 },
      ])
      await directory.replaceDepartments('m1', [{ id: 2, name: 'Only', parentId: null }])
      expect(await directory.departments('m1')).toEqual([{ id: 2, name: 'Only', parentId: null, headId: null }])
      await directory.replaceDepartments('m1', [])
      expect(await directory.departments('m1')).toEqual([])

      const groups = [
        { id: 9, name: 'Partners', isExtranet: true, type: 'project', ownerId: 1, active: true, visible: false },
        { id: 3, name: 'Team', isExtranet: false, type: null, ownerId: null, active: false, visible: true },
      ]
      await directory.replaceGroups('m1', groups)
      expect(await directory.groups('m1')).toEqual([groups[1], groups[0]])
      await directory.replaceGroups('m1', [groups[0]!])
      expect(await directory.groups('m1')).toEqual([groups[0]])
    })

    it('replaces thousands of departments in one go', async () => {
      const directory = setup()
      const deps = Array.from({ length: 5_000 }, (_, i) => ({ id: i + 1, name: `Отдел ${i + 1}`, parentId: i ? 1 : null }))
      await directory.replaceDepartments('m1', deps)
      expect(await directory.departments('m1')).toHaveLength(5_000)
    })

    it('sync state starts empty and takes partial patches', async () => {
      const directory = setup()
      expect(await directory.getSyncState('m1')).toEqual({ usersSyncedAt: null, fullSyncAt: null, structureSyncedAt: null })
      await directory.setSyncState('m1', { usersSyncedAt: T0, fullSyncAt: T0, structureSyncedAt: T0 })
      await directory.setSyncState('m1', { usersSyncedAt: T0 + 1 })
      await directory.setSyncState('m1', {})
      expect(await directory.getSyncState('m1')).toEqual({ usersSyncedAt: T0 + 1, fullSyncAt: T0, structureSyncedAt: T0 })
      await directory.setSyncState('m2', { structureSyncedAt: T0 + 2 })
      expect(await directory.getSyncState('m2')).toEqual({ usersSyncedAt: null, fullSyncAt: null, structureSyncedAt: T0 + 2 })
    })

    it('portal A never sees portal B’s directory', async () => {
      const directory = setup()
      await directory.upsertUsers('m2', [user(1), user(2)])
      await directory.replaceDepartments('m2', [{ id: 1, name: 'B', parentId: null }])
      await directory.replaceGroups('m2', [{ id: 1, name: 'B', isExtranet: false, type: null, ownerId: null, active: true }])
      await directory.setSyncState('m2', { fullSyncAt: T0 })
      expect((await directory.usersByEmails('m1', ['user1@example.test'])).size).toBe(0)
      expect((await directory.usersByPhones('m1', [user(1).phone!])).size).toBe(0)
      expect(await directory.userCount('m1')).toBe(0)
      expect(await directory.maxUserId('m1')).toBe(0)
      expect(await directory.departments('m1')).toEqual([])
      expect(await directory.groups('m1')).toEqual([])
      expect(await directory.getSyncState('m1')).toEqual({ usersSyncedAt: null, fullSyncAt: null, structureSyncedAt: null })
      // The same user id in two portals is two users; replacing A's lists leaves B's alone.
      await directory.upsertUsers('m1', [user(1, { email: 'a-side@example.test' })])
      await directory.replaceDepartments('m1', [])
      expect((await directory.usersByEmails('m2', ['user1@example.test'])).get('user1@example.test')?.id).toBe(1)
      expect(await directory.departments('m2')).toHaveLength(1)
    })
  })
}
