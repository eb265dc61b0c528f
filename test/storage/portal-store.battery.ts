import { describe, expect, it } from 'vitest'
import { createAuditLog } from '../../server/storage/audit-log.js'
import { createEventInbox } from '../../server/storage/event-inbox.js'
import {
  createPortalStore,
  PortalNotFoundError,
  type PortalStore,
  type PortalTokens,
  type SaveInstallInput,
} from '../../server/storage/portal-store.js'
import { createSessionStore } from '../../server/storage/session-store.js'
import { manualClock, testBox, useDatabase, type OpenTestDatabase } from './battery-support.js'

const tokens = (tag: string): PortalTokens => ({
  accessToken: `access-${tag}-7f3a9c`,
  refreshToken: `refresh-${tag}-b81d2e`,
  expiresAt: 1_700_003_600,
  scope: 'crm,user,im',
})

const install = (memberId: string, overrides: Partial<SaveInstallInput> = {}): SaveInstallInput => ({
  memberId,
  domain: `${memberId}.bitrix24.test`,
  clientEndpoint: `https://${memberId}.bitrix24.test/rest/`,
  appCode: 'local.invite-desk',
  lang: 'en',
  licenseFamily: 'project',
  tokens: tokens('first'),
  installedByUserId: 1,
  ...overrides,
})

export function portalStoreBattery(open: OpenTestDatabase): void {
  describe('PortalStore', () => {
    const current = useDatabase(open)
    const setup = () => {
      const clock = manualClock()
      return { clock, portals: createPortalStore(current(), testBox, clock.now) }
    }
    const rawPortal = (memberId: string) =>
      current().db.selectFrom('portals').selectAll().where('member_id', '=', memberId).executeTakeFirstOrThrow()

    describe('round trips', () => {
      it('saveInstall returns and stores the full record of a first install', async () => {
        const { clock, portals } = setup()
        const saved = await portals.saveInstall(install('m1'))
        const expected = {
          memberId: 'm1',
          domain: 'm1.bitrix24.test',
          clientEndpoint: 'https://m1.bitrix24.test/rest/',
          appCode: 'local.invite-desk',
          status: 'installing',
          lang: 'en',
          licenseFamily: 'project',
          applicationToken: null,
          tokens: tokens('first'),
          tokenVersion: 1,
          installedByUserId: 1,
          capabilities: {},
          registration: null,
          createdAt: clock.now(),
          updatedAt: clock.now(),
        }
        expect(saved).toEqual(expected)
        expect(await portals.get('m1')).toEqual(expected)
      })

      it('keeps nullable install fields null', async () => {
        const { portals } = setup()
        await portals.saveInstall(install('m1', { appCode: null, licenseFamily: null, installedByUserId: null }))
        const got = await portals.get('m1')
        expect(got?.appCode).toBeNull()
        expect(got?.licenseFamily).toBeNull()
        expect(got?.installedByUserId).toBeNull()
      })

      it('get of an unknown portal is undefined', async () => {
        const { portals } = setup()
        expect(await portals.get('nobody')).toBeUndefined()
      })

      it('setApplicationToken, setStatus and update round-trip and bump updatedAt', async () => {
        const { clock, portals } = setup()
        await portals.saveInstall(install('m1'))
        clock.advance(1_000)
        await portals.setApplicationToken('m1', 'app-token-55aa')
        await portals.setStatus('m1', 'installed')
        const registration = { events: ['ONAPPUNINSTALL'], placements: ['CRM_DEAL_DETAIL_TAB'], robots: [], appliedAt: 42, errors: ['x'] }
        await portals.update('m1', { capabilities: { crm: true, im: false }, registration, lang: 'de', licenseFamily: null })
        const got = await portals.get('m1')
        expect(got).toMatchObject({
          applicationToken: 'app-token-55aa',
          status: 'installed',
          capabilities: { crm: true, im: false },
          registration,
          lang: 'de',
          licenseFamily: null,
          updatedAt: clock.now(),
        })
        expect(got?.createdAt).toBe(clock.now() - 1_000)
      })

      it('update touches only the fields it is given', async () => {
        const { portals } = setup()
        await portals.saveInstall(install('m1'))
        await portals.update('m1', { capabilities: { crm: true } })
        await portals.update('m1', { lang: 'ru' })
        const got = await portals.get('m1')
        expect(got).toMatchObject({ capabilities: { crm: true }, lang: 'ru', licenseFamily: 'project', registration: null })
        expect(got?.tokens).toEqual(tokens('first'))
      })

      it('writes to an unknown portal reject with PortalNotFoundError and create nothing', async () => {
        const { portals } = setup()
        await expect(portals.setApplicationToken('ghost', 't')).rejects.toBeInstanceOf(PortalNotFoundError)
        await expect(portals.setStatus('ghost', 'installed')).rejects.toBeInstanceOf(PortalNotFoundError)
        await expect(portals.update('ghost', { lang: 'en' })).rejects.toBeInstanceOf(PortalNotFoundError)
        expect(await portals.get('ghost')).toBeUndefined()
      })
    })

    describe('sealing', () => {
      it('stores application, access and refresh tokens sealed and returns them open', async () => {
        const { portals } = setup()
        await portals.saveInstall(install('m1'))
        await portals.setApplicationToken('m1', 'app-token-55aa')
        const raw = await rawPortal('m1')
        const plain = ['app-token-55aa', tokens('first').accessToken, tokens('first').refreshToken]
        for (const secret of plain) expect(JSON.stringify(raw)).not.toContain(secret)
        expect(raw.application_token).toBe(testBox.seal('app-token-55aa'))
        expect(raw.access_token).toBe(testBox.seal(tokens('first').accessToken))
        expect(raw.refresh_token).toBe(testBox.seal(tokens('first').refreshToken))
        const got = await portals.get('m1')
        expect(got?.applicationToken).toBe('app-token-55aa')
        expect(got?.tokens).toEqual(tokens('first'))
      })

      it('keeps refreshed tokens sealed too', async () => {
        const { portals } = setup()
        await portals.saveInstall(install('m1'))
        expect(await portals.tryLockRefresh('m1', 'a', 1, 1_000, 30_000)).toBe(true)
        await portals.completeRefresh('m1', 'a', tokens('second'))
        const raw = JSON.stringify(await rawPortal('m1'))
        expect(raw).not.toContain(tokens('second').accessToken)
        expect(raw).not.toContain(tokens('second').refreshToken)
      })
    })

    describe('saveInstall upsert', () => {
      it('a reinstall updates the same row, resets state and keeps history', async () => {
        const { clock, portals } = setup()
        const first = await portals.saveInstall(install('m1'))
        await portals.setApplicationToken('m1', 'old-app-token')
        await portals.setStatus('m1', 'installed')
        await portals.update('m1', { capabilities: { crm: true } })
        expect(await portals.tryLockRefresh('m1', 'stuck-owner', 1, clock.now(), 60_000)).toBe(true)
        clock.advance(5_000)

        const second = await portals.saveInstall(
          install('m1', { domain: 'renamed.bitrix24.test', tokens: tokens('second'), installedByUserId: 7, lang: 'de' }),
        )
        expect(second).toMatchObject({
          domain: 'renamed.bitrix24.test',
          status: 'installing',
          applicationToken: null,
          tokens: tokens('second'),
          tokenVersion: first.tokenVersion + 1,
          installedByUserId: 7,
          lang: 'de',
          capabilities: { crm: true },
          createdAt: first.createdAt,
          updatedAt: clock.now(),
        })
        const raw = await rawPortal('m1')
        expect(raw.refresh_lock_owner).toBeNull()
        expect(raw.refresh_lock_until).toBeNull()
        const count = await current().db.selectFrom('portals').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
        expect(Number(count.n)).toBe(1)
        // The lock holder from before the reinstall cannot write its stale result over the new tokens.
        expect(await portals.completeRefresh('m1', 'stuck-owner', tokens('stale'))).toBeUndefined()
      })

      it('installs of different portals do not touch each other', async () => {
        const { portals } = setup()
        await portals.saveInstall(install('m1'))
        await portals.saveInstall(install('m2', { tokens: tokens('other') }))
        await portals.saveInstall(install('m2', { tokens: tokens('other2') }))
        expect((await portals.get('m1'))?.tokenVersion).toBe(1)
        expect((await portals.get('m1'))?.tokens).toEqual(tokens('first'))
        expect((await portals.get('m2'))?.tokenVersion).toBe(2)
      })
    })

    describe('refresh lock', () => {
      const now = 1_700_000_000_000

      it('exactly one of 20 concurrent contenders (two app instances) gets the lock', async () => {
        const { portals } = setup()
        const peer = createPortalStore(await current().openPeer(), testBox)
        const { tokenVersion } = await portals.saveInstall(install('m1'))
        const stores: PortalStore[] = [portals, peer]
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => stores[i % 2]!.tryLockRefresh('m1', `owner-${i}`, tokenVersion, now, 30_000)),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
        const winner = `owner-${results.indexOf(true)}`
        expect((await rawPortal('m1')).refresh_lock_owner).toBe(winner)
      })

      it('a stale expectedVersion is refused even with no lock held', async () => {
        const { portals } = setup()
        await portals.saveInstall(install('m1'))
        await portals.saveInstall(install('m1')) // version 2
        expect(await portals.tryLockRefresh('m1', 'a', 1, now, 30_000)).toBe(false)
        expect((await rawPortal('m1')).refresh_lock_owner).toBeNull()
        expect(await portals.tryLockRefresh('m1', 'a', 2, now, 30_000)).toBe(true)
      })

      it('an unknown portal cannot be locked', async () => {
        const { portals } = setup()
        expect(await portals.tryLockRefresh('ghost', 'a', 0, now, 30_000)).toBe(false)
      })

      it('an unexpired lock keeps other owners out; its expiry lets another owner in', async () => {
        const { portals } = setup()
        await portals.saveInstall(install('m1'))
        expect(await portals.tryLockRefresh('m1', 'a', 1, now, 1_000)).toBe(true)
        expect(await portals.tryLockRefresh('m1', 'b', 1, now + 999, 1_000)).toBe(false)
        expect(await portals.tryLockRefresh('m1', 'b', 1, now + 1_000, 1_000)).toBe(true)
        expect((await rawPortal('m1')).refresh_lock_owner).toBe('b')
        // a lost its lock to b: its late result is rejected and b's lock stands.
        expect(await portals.completeRefresh('m1', 'a', tokens('late'))).toBeUndefined()
        expect((await portals.get('m1'))?.tokens).toEqual(tokens('first'))
        expect((await rawPortal('m1')).refresh_lock_owner).toBe('b')
      })

      it('the holder may re-take its own lock', async () => {
        const { portals } = setup()
        await portals.saveInstall(install('m1'))
        expect(await portals.tryLockRefresh('m1', 'a', 1, now, 1_000)).toBe(true)
        expect(await portals.tryLockRefresh('m1', 'a', 1, now + 10, 1_000)).toBe(true)
        expect((await rawPortal('m1')).refresh_lock_until).toBe(now + 1_010)
      })

      it('completeRefresh by a non-owner returns undefined and changes nothing', async () => {
        const { portals } = setup()
        await portals.saveInstall(install('m1'))
        expect(await portals.tryLockRefresh('m1', 'a', 1, now, 30_000)).toBe(true)
        const before = await rawPortal('m1')
        expect(await portals.completeRefresh('m1', 'intruder', tokens('evil'))).toBeUndefined()
        expect(await rawPortal('m1')).toEqual(before)
      })

      it('completeRefresh without any lock returns undefined', async () => {
        const { portals } = setup()
        await portals.saveInstall(install('m1'))
        expect(await portals.completeRefresh('m1', 'a', tokens('evil'))).toBeUndefined()
        expect((await portals.get('m1'))?.tokenVersion).toBe(1)
      })

      it('completeRefresh by the owner writes tokens, bumps the version and frees the lock', async () => {
        const { clock, portals } = setup()
        await portals.saveInstall(install('m1'))
        expect(await portals.tryLockRefresh('m1', 'a', 1, now, 30_000)).toBe(true)
        clock.advance(2_000)
        const fresh = await portals.completeRefresh('m1', 'a', tokens('second'))
        expect(fresh).toMatchObject({ tokens: tokens('second'), tokenVersion: 2, updatedAt: clock.now() })
        expect(await portals.get('m1')).toEqual(fresh)
        const raw = await rawPortal('m1')
        expect(raw.refresh_lock_owner).toBeNull()
        expect(raw.refresh_lock_until).toBeNull()
        // The old version is now stale; the new one locks for anyone.
        expect(await portals.tryLockRefresh('m1', 'b', 1, now, 30_000)).toBe(false)
        expect(await portals.tryLockRefresh('m1', 'b', 2, now, 30_000)).toBe(true)
        // A second completion by the previous owner finds no lock.
        expect(await portals.completeRefresh('m1', 'a', tokens('third'))).toBeUndefined()
      })

      it('completeRefresh is accepted after lock expiry when nobody took over', async () => {
        const { portals } = setup()
        await portals.saveInstall(install('m1'))
        expect(await portals.tryLockRefresh('m1', 'a', 1, now, 1)).toBe(true)
        expect(await portals.completeRefresh('m1', 'a', tokens('second'))).toMatchObject({ tokenVersion: 2 })
      })

      it('releaseRefreshLock frees only the caller’s own lock', async () => {
        const { portals } = setup()
        await portals.saveInstall(install('m1'))
        expect(await portals.tryLockRefresh('m1', 'a', 1, now, 30_000)).toBe(true)
        await portals.releaseRefreshLock('m1', 'b')
        expect((await rawPortal('m1')).refresh_lock_owner).toBe('a')
        expect(await portals.tryLockRefresh('m1', 'b', 1, now, 30_000)).toBe(false)
        await portals.releaseRefreshLock('m1', 'a')
        expect((await rawPortal('m1')).refresh_lock_owner).toBeNull()
        expect((await portals.get('m1'))?.tokenVersion).toBe(1)
        expect(await portals.tryLockRefresh('m1', 'b', 1, now, 30_000)).toBe(true)
      })
    })

    describe('uninstall', () => {
      it('markUninstalled drops every token but keeps the portal data', async () => {
        const { portals } = setup()
        await portals.saveInstall(install('m1'))
        await portals.setApplicationToken('m1', 'app-token-55aa')
        await portals.update('m1', { capabilities: { crm: true } })
        expect(await portals.tryLockRefresh('m1', 'a', 1, 1_000, 30_000)).toBe(true)
        await portals.markUninstalled('m1')
        const got = await portals.get('m1')
        expect(got).toMatchObject({
          status: 'uninstalled',
          applicationToken: null,
          tokens: null,
          domain: 'm1.bitrix24.test',
          capabilities: { crm: true },
        })
        const raw = await rawPortal('m1')
        expect([raw.access_token, raw.refresh_token, raw.application_token, raw.refresh_lock_owner]).toEqual([null, null, null, null])
        // A refresh in flight at uninstall time cannot resurrect tokens.
        expect(await portals.completeRefresh('m1', 'a', tokens('late'))).toBeUndefined()
        expect((await portals.get('m1'))?.tokens).toBeNull()
      })

      it('markUninstalled of an unknown portal is a no-op', async () => {
        const { portals } = setup()
        await expect(portals.markUninstalled('ghost')).resolves.toBeUndefined()
        expect(await portals.get('ghost')).toBeUndefined()
      })

      it('delete removes the portal with its sessions, inbox and audit rows, and nothing of other portals', async () => {
        const { portals } = setup()
        const sessions = createSessionStore(current())
        const inbox = createEventInbox(current())
        const audit = createAuditLog(current())
        for (const memberId of ['m1', 'm2']) {
          await portals.saveInstall(install(memberId))
          await sessions.create({
            id: `session-${memberId}`,
            memberId,
            userId: 1,
            isAdmin: true,
            lang: 'en',
            placement: 'DEFAULT',
            placementOptions: {},
            createdAt: 1,
            expiresAt: Number.MAX_SAFE_INTEGER,
          })
          await inbox.add({ memberId, event: 'ONAPPTEST', payload: {}, receivedAt: 1 })
          await audit.record({ memberId, at: 1, actorUserId: null, actorKind: 'system', action: 'install', subject: null, details: {}, result: 'ok' })
        }

        await portals.delete('m1')

        expect(await portals.get('m1')).toBeUndefined()
        expect(await sessions.get('session-m1', 0)).toBeUndefined()
        expect(await inbox.stats('m1')).toEqual({ pending: 0, processing: 0, done: 0, failed: 0 })
        expect(await audit.list('m1', { limit: 10 })).toEqual([])

        expect(await portals.get('m2')).toBeDefined()
        expect(await sessions.get('session-m2', 0)).toBeDefined()
        expect((await inbox.stats('m2')).pending).toBe(1)
        expect(await audit.list('m2', { limit: 10 })).toHaveLength(1)
      })

      it('delete of an unknown portal is a no-op', async () => {
        const { portals } = setup()
        await portals.saveInstall(install('m1'))
        await expect(portals.delete('ghost')).resolves.toBeUndefined()
        expect(await portals.get('m1')).toBeDefined()
      })
    })
  })
}
