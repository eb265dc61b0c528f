import { describe, expect, it } from 'vitest'
import { createPortalStore } from '../../server/storage/portal-store.js'
import { createSessionStore, type AppSessionRecord } from '../../server/storage/session-store.js'
import { testBox, useDatabase, type OpenTestDatabase } from './battery-support.js'

const T0 = 1_700_000_000_000

const session = (id: string, overrides: Partial<AppSessionRecord> = {}): AppSessionRecord => ({
  id,
  memberId: 'm1',
  userId: 17,
  isAdmin: true,
  lang: 'en',
  placement: 'CRM_DEAL_DETAIL_TAB',
  placementOptions: { ID: '42', nested: { list: [1, 'two', null] } },
  createdAt: T0,
  expiresAt: T0 + 60_000,
  ...overrides,
})

export function sessionStoreBattery(open: OpenTestDatabase): void {
  describe('SessionStore', () => {
    const current = useDatabase(open)
    const setup = async () => {
      const portals = createPortalStore(current(), testBox)
      for (const memberId of ['m1', 'm2']) {
        await portals.saveInstall({
          memberId,
          domain: `${memberId}.bitrix24.test`,
          clientEndpoint: `https://${memberId}.bitrix24.test/rest/`,
          appCode: null,
          lang: 'en',
          licenseFamily: null,
          tokens: { accessToken: 'a', refreshToken: 'r', expiresAt: 1, scope: '' },
          installedByUserId: null,
        })
      }
      return { portals, sessions: createSessionStore(current()) }
    }

    it('round-trips a session, booleans and JSON options included', async () => {
      const { sessions } = await setup()
      await sessions.create(session('s-admin'))
      await sessions.create(session('s-user', { isAdmin: false, placementOptions: {} }))
      expect(await sessions.get('s-admin', T0)).toEqual(session('s-admin'))
      expect(await sessions.get('s-user', T0)).toEqual(session('s-user', { isAdmin: false, placementOptions: {} }))
    })

    it('get of an unknown id is undefined', async () => {
      const { sessions } = await setup()
      expect(await sessions.get('nope', T0)).toBeUndefined()
    })

    it('a session is valid strictly before expiresAt and undefined from then on', async () => {
      const { sessions } = await setup()
      await sessions.create(session('s1'))
      expect(await sessions.get('s1', T0 + 59_999)).toBeDefined()
      expect(await sessions.get('s1', T0 + 60_000)).toBeUndefined()
      expect(await sessions.get('s1', T0 + 120_000)).toBeUndefined()
    })

    it('create with an existing id replaces the session', async () => {
      const { sessions } = await setup()
      await sessions.create(session('s1'))
      await sessions.create(session('s1', { userId: 99, expiresAt: T0 + 1_000 }))
      expect(await sessions.get('s1', T0)).toMatchObject({ userId: 99, expiresAt: T0 + 1_000 })
    })

    it('create for an unknown portal is rejected by the foreign key', async () => {
      const { sessions } = await setup()
      await expect(sessions.create(session('s1', { memberId: 'ghost' }))).rejects.toThrow()
      expect(await sessions.get('s1', T0)).toBeUndefined()
    })

    it('delete removes one session only', async () => {
      const { sessions } = await setup()
      await sessions.create(session('s1'))
      await sessions.create(session('s2'))
      await sessions.delete('s1')
      await sessions.delete('never-existed')
      expect(await sessions.get('s1', T0)).toBeUndefined()
      expect(await sessions.get('s2', T0)).toBeDefined()
    })

    it('deleteForPortal counts what it deleted and spares other portals', async () => {
      const { sessions } = await setup()
      await sessions.create(session('a1'))
      await sessions.create(session('a2'))
      await sessions.create(session('b1', { memberId: 'm2' }))
      expect(await sessions.deleteForPortal('m1')).toBe(2)
      expect(await sessions.deleteForPortal('m1')).toBe(0)
      expect(await sessions.get('b1', T0)).toBeDefined()
    })

    it('purgeExpired deletes exactly the expired sessions', async () => {
      const { sessions } = await setup()
      await sessions.create(session('old', { expiresAt: T0 + 10 }))
      await sessions.create(session('edge', { expiresAt: T0 + 20 }))
      await sessions.create(session('live', { expiresAt: T0 + 21 }))
      expect(await sessions.purgeExpired(T0 + 20)).toBe(2)
      expect(await sessions.get('live', T0)).toBeDefined()
      expect(await sessions.get('old', T0)).toBeUndefined()
      expect(await sessions.purgeExpired(T0 + 20)).toBe(0)
    })

    it('sessions cascade away when their portal row is deleted', async () => {
      const { sessions } = await setup()
      await sessions.create(session('a1'))
      await sessions.create(session('b1', { memberId: 'm2' }))
      // Straight through the database, so the foreign key itself (not PortalStore.delete) is tested.
      await current().db.deleteFrom('portals').where('member_id', '=', 'm1').execute()
      expect(await sessions.get('a1', T0)).toBeUndefined()
      expect(await sessions.get('b1', T0)).toBeDefined()
    })
  })
}
