import { describe, expect, it } from 'vitest'
import { createAccessReviewStore } from '../../server/storage/access-review-store.js'
import {
  createCollabStore,
  type Collab,
  type CollabCounts,
  type CollabMembership,
  type CollabPerson,
  type CollabRole,
  type CollabStore,
} from '../../server/storage/collab-store.js'
import { createPortalStore, type PortalStatus } from '../../server/storage/portal-store.js'
import type { Schema } from '../../server/storage/schema.js'
import { testBox, useDatabase, type OpenTestDatabase } from './battery-support.js'

const T0 = 1_700_000_000_000
const MIN = 60_000

const collab = (id: number, overrides: Partial<Collab> = {}): Collab => ({
  id,
  name: `Коллаба ${id}`,
  ownerId: 1,
  active: true,
  membersCount: 3,
  dateUpdate: '2024-05-01T10:00:00+03:00',
  dateActivity: '2024-05-02T11:00:00+03:00',
  syncedAt: T0,
  ...overrides,
})

const person = (userId: number, overrides: Partial<CollabPerson> = {}): CollabPerson => ({
  userId,
  email: `guest${userId}@partner.test`,
  name: `Имя${userId}`,
  lastName: `Фамилия${userId}`,
  active: true,
  userType: 'extranet',
  lastLogin: T0 - 10 * MIN,
  lastActivity: T0 - 5 * MIN,
  dateRegister: T0 - 1_000 * MIN,
  syncedAt: T0,
  ...overrides,
})

const counts = (n: number): CollabCounts => ({ guests: n, invited: n + 1, active: n + 2, inactive: n + 3, deactivated: n + 4 })

type Roster = Array<{ userId: number; role: CollabRole }>
const roster = (entries: Record<number, Roster>) => new Map(Object.entries(entries).map(([id, list]) => [Number(id), list]))

const byKey = (a: CollabMembership, b: CollabMembership) => a.collabId - b.collabId || a.userId - b.userId
const sorted = (list: CollabMembership[]) => [...list].sort(byKey)

const EMPTY_SYNC = {
  fullAt: null,
  incrementalAt: null,
  userCursor: 0,
  changedSince: null,
  lastMode: null,
  lastRequests: null,
  lastError: null,
  dirty: false,
  running: false,
}

// Every per-portal table 0006_collabs adds; each carries member_id, child tables included.
const COLLAB_TABLES: Array<keyof Schema> = [
  'collabs',
  'collab_memberships',
  'collab_people',
  'collab_sync',
  'collab_history',
  'collab_settings',
  'access_reviews',
  'access_review_items',
]

export function collabStoreBattery(open: OpenTestDatabase): void {
  describe('CollabStore', () => {
    const current = useDatabase(open)
    const setup = () => createCollabStore(current())
    const installPortal = async (memberId: string, status: PortalStatus = 'installed') => {
      const portals = createPortalStore(current(), testBox, () => T0)
      await portals.saveInstall({
        memberId, domain: `${memberId}.test`, clientEndpoint: `https://${memberId}.test/rest/`, appCode: null, lang: 'ru',
        licenseFamily: null, tokens: { accessToken: 'a', refreshToken: 'r', expiresAt: 1, scope: '' }, installedByUserId: 1,
      })
      if (status === 'uninstalled') await portals.markUninstalled(memberId)
      else if (status !== 'installing') await portals.setStatus(memberId, status)
    }

    describe('collabs', () => {
      it('upserts and lists collabs by id; every field round-trips, nulls included', async () => {
        const store = setup()
        const bare = collab(9, { ownerId: null, active: false, membersCount: 0, dateUpdate: null, dateActivity: null })
        await store.upsertCollabs('m1', [collab(30), bare, collab(4)])
        expect(await store.collabs('m1')).toEqual([collab(4), bare, collab(30)])
        expect(await store.collabs('m2')).toEqual([])
        await store.upsertCollabs('m1', [])
        expect(await store.collabs('m1')).toHaveLength(3)
      })

      it('upsert is idempotent and the last write wins, within a batch too', async () => {
        const store = setup()
        await store.upsertCollabs('m1', [collab(1), collab(2)])
        await store.upsertCollabs('m1', [collab(1), collab(2)])
        expect(await store.collabs('m1')).toEqual([collab(1), collab(2)])
        const renamed = collab(1, { name: 'Новое имя', ownerId: null, active: false, membersCount: 8, dateUpdate: null, dateActivity: '2024-06-01', syncedAt: T0 + MIN })
        await store.upsertCollabs('m1', [renamed])
        expect(await store.collabs('m1')).toEqual([renamed, collab(2)])
        await store.upsertCollabs('m1', [collab(3, { name: 'first' }), collab(3, { name: 'last' })])
        expect((await store.collabs('m1')).find((c) => c.id === 3)?.name).toBe('last')
      })

      it('upserts 2,100 collabs (more than one INSERT) and removes all but two, returning the removed ids', async () => {
        const store = setup()
        await store.upsertCollabs('m1', Array.from({ length: 2_100 }, (_, i) => collab(i + 1)))
        expect(await store.collabs('m1')).toHaveLength(2_100)
        const removed = await store.removeCollabsExcept('m1', [5, 2_000, 99_999])
        expect(removed).toHaveLength(2_098)
        expect(new Set(removed)).toEqual(new Set(Array.from({ length: 2_100 }, (_, i) => i + 1).filter((id) => id !== 5 && id !== 2_000)))
        expect((await store.collabs('m1')).map((c) => c.id)).toEqual([5, 2_000])
      }, 120_000)

      it('removeCollabsExcept drops the collab and its memberships only, and returns [] when nothing goes', async () => {
        const store = setup()
        await store.upsertCollabs('m1', [collab(1), collab(2), collab(3)])
        await store.replaceMemberships('m1', roster({ 1: [{ userId: 10, role: 'owner' }], 2: [{ userId: 10, role: 'member' }, { userId: 11, role: 'invited' }], 3: [{ userId: 12, role: 'member' }] }), T0)
        expect((await store.removeCollabsExcept('m1', [1, 3])).sort()).toEqual([2])
        expect((await store.collabs('m1')).map((c) => c.id)).toEqual([1, 3])
        expect(sorted(await store.memberships('m1')).map((m) => [m.collabId, m.userId])).toEqual([[1, 10], [3, 12]])
        expect(await store.removeCollabsExcept('m1', [1, 3])).toEqual([])
        expect((await store.removeCollabsExcept('m1', [])).sort()).toEqual([1, 3])
        expect(await store.collabs('m1')).toEqual([])
        expect(await store.memberships('m1')).toEqual([])
      })
    })

    describe('memberships', () => {
      it('a first sighting stamps firstSeenAt; joinedAt stays null, as member or invited', async () => {
        const store = setup()
        await store.replaceMemberships('m1', roster({ 1: [{ userId: 10, role: 'owner' }, { userId: 11, role: 'member' }, { userId: 12, role: 'invited' }] }), T0)
        expect(sorted(await store.memberships('m1'))).toEqual([
          { collabId: 1, userId: 10, role: 'owner', firstSeenAt: T0, joinedAt: null },
          { collabId: 1, userId: 11, role: 'member', firstSeenAt: T0, joinedAt: null },
          { collabId: 1, userId: 12, role: 'invited', firstSeenAt: T0, joinedAt: null },
        ])
      })

      it('a relation seen before keeps firstSeenAt; invited → member sets joinedAt to that pass; gone relations go', async () => {
        const store = setup()
        const t1 = T0 + 10 * MIN
        const t2 = T0 + 20 * MIN
        const t3 = T0 + 30 * MIN
        await store.replaceMemberships('m1', roster({ 1: [{ userId: 10, role: 'member' }, { userId: 11, role: 'invited' }, { userId: 12, role: 'invited' }, { userId: 13, role: 'member' }] }), T0)
        // 11 accepted, 12 still invited, 13 left, 14 is new as a member.
        await store.replaceMemberships('m1', roster({ 1: [{ userId: 10, role: 'member' }, { userId: 11, role: 'member' }, { userId: 12, role: 'invited' }, { userId: 14, role: 'member' }] }), t1)
        expect(sorted(await store.memberships('m1'))).toEqual([
          { collabId: 1, userId: 10, role: 'member', firstSeenAt: T0, joinedAt: null },
          { collabId: 1, userId: 11, role: 'member', firstSeenAt: T0, joinedAt: t1 },
          { collabId: 1, userId: 12, role: 'invited', firstSeenAt: T0, joinedAt: null },
          { collabId: 1, userId: 14, role: 'member', firstSeenAt: t1, joinedAt: null },
        ])
        // A later pass keeps joinedAt through a role change; 12 accepts now.
        await store.replaceMemberships('m1', roster({ 1: [{ userId: 10, role: 'member' }, { userId: 11, role: 'moderator' }, { userId: 12, role: 'member' }, { userId: 14, role: 'member' }] }), t2)
        expect(sorted(await store.memberships('m1'))).toEqual([
          { collabId: 1, userId: 10, role: 'member', firstSeenAt: T0, joinedAt: null },
          { collabId: 1, userId: 11, role: 'moderator', firstSeenAt: T0, joinedAt: t1 },
          { collabId: 1, userId: 12, role: 'member', firstSeenAt: T0, joinedAt: t2 },
          { collabId: 1, userId: 14, role: 'member', firstSeenAt: t1, joinedAt: null },
        ])
        // Invited again (removed and re-invited between passes): null while invited.
        await store.replaceMemberships('m1', roster({ 1: [{ userId: 11, role: 'invited' }] }), t3)
        expect(await store.memberships('m1')).toEqual([{ collabId: 1, userId: 11, role: 'invited', firstSeenAt: T0, joinedAt: null }])
      })

      it('two passes writing one collab at once both succeed (a lapsed lease lets passes overlap)', async () => {
        const store = setup()
        const peer = createCollabStore(await current().openPeer())
        const list = Array.from({ length: 50 }, (_, i) => ({ userId: i + 1, role: 'member' as const }))
        // SQLite (one process per file, README): two connections in one process cannot interleave write
        // transactions, so there the second pass runs over the first one's rows instead.
        const write = (x: typeof store) => x.replaceMemberships('m1', roster({ 1: list }), T0)
        const results = current().dialect === 'sqlite'
          ? [await Promise.resolve(write(store)).then(() => ({ status: 'fulfilled' }), () => ({ status: 'rejected' })), await Promise.resolve(write(peer)).then(() => ({ status: 'fulfilled' }), () => ({ status: 'rejected' }))]
          : await Promise.allSettled([store, peer].map(write))
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled'])
        expect(await store.memberships('m1')).toHaveLength(50)
      })

      it('the same pass replayed changes nothing', async () => {
        const store = setup()
        const pass = roster({ 1: [{ userId: 10, role: 'member' }, { userId: 11, role: 'invited' }], 2: [{ userId: 10, role: 'owner' }] })
        await store.replaceMemberships('m1', pass, T0)
        const first = sorted(await store.memberships('m1'))
        await store.replaceMemberships('m1', pass, T0 + MIN)
        expect(sorted(await store.memberships('m1'))).toEqual(first)
      })

      it('only the listed collabs are touched; an empty list clears one; a duplicate user keeps the last role', async () => {
        const store = setup()
        await store.replaceMemberships('m1', roster({ 1: [{ userId: 10, role: 'member' }], 2: [{ userId: 20, role: 'member' }], 3: [{ userId: 30, role: 'member' }] }), T0)
        await store.replaceMemberships('m1', roster({ 2: [], 3: [{ userId: 31, role: 'invited' }, { userId: 31, role: 'member' }] }), T0 + MIN)
        expect(sorted(await store.memberships('m1'))).toEqual([
          { collabId: 1, userId: 10, role: 'member', firstSeenAt: T0, joinedAt: null },
          { collabId: 3, userId: 31, role: 'member', firstSeenAt: T0 + MIN, joinedAt: null },
        ])
        await store.replaceMemberships('m1', new Map(), T0 + 2 * MIN)
        expect(await store.memberships('m1')).toHaveLength(2)
      })

      it('removeMembership drops one relation only', async () => {
        const store = setup()
        await store.replaceMemberships('m1', roster({ 1: [{ userId: 10, role: 'member' }, { userId: 11, role: 'member' }], 2: [{ userId: 10, role: 'member' }] }), T0)
        await store.removeMembership('m1', 1, 10)
        await store.removeMembership('m1', 1, 999)
        expect(sorted(await store.memberships('m1')).map((m) => [m.collabId, m.userId])).toEqual([[1, 11], [2, 10]])
      })

      it('memberships by collab ids: none, unknown, repeated, and 2,100 ids across IN-list chunks', async () => {
        const store = setup()
        // 2,100 members in one collab (more than one INSERT), one member in each of 1,500 others.
        const big: Roster = Array.from({ length: 2_100 }, (_, i) => ({ userId: 100_000 + i, role: i % 3 ? 'member' : 'invited' }))
        const map = new Map<number, Roster>([[1, big]])
        for (let id = 2; id <= 1_501; id++) map.set(id, [{ userId: id, role: 'member' }])
        await store.replaceMemberships('m1', map, T0)
        expect(await store.memberships('m1')).toHaveLength(3_600)
        expect(await store.memberships('m1', [])).toEqual([])
        expect(await store.memberships('m1', [99_999])).toEqual([])
        expect(await store.memberships('m1', [2, 2, 3])).toEqual(expect.arrayContaining([
          { collabId: 2, userId: 2, role: 'member', firstSeenAt: T0, joinedAt: null },
          { collabId: 3, userId: 3, role: 'member', firstSeenAt: T0, joinedAt: null },
        ]))
        expect(await store.memberships('m1', [2, 2, 3])).toHaveLength(2)
        expect(await store.memberships('m1', [1])).toHaveLength(2_100)
        // Collabs 1,001..1,501 fall into the second chunk of ids, plus ids nobody has.
        const asked = [...Array.from({ length: 1_500 }, (_, i) => i + 2), 50_000, 50_001]
        const found = await store.memberships('m1', asked)
        expect(found).toHaveLength(1_500)
        expect(new Set(found.map((m) => m.collabId))).toEqual(new Set(asked.slice(0, 1_500)))
      }, 120_000)
    })

    describe('people', () => {
      it('round-trips every field, nulls included, and stores the email trimmed and lower-cased', async () => {
        const store = setup()
        const bare = person(2, { email: null, name: null, lastName: null, active: false, userType: 'employee', lastLogin: null, lastActivity: null, dateRegister: null })
        await store.upsertPeople('m1', [person(1, { email: '  Olga.Guest@Partner.TEST ' }), bare, person(3, { email: '   ' })])
        const all = await store.people('m1')
        expect([...all.keys()].sort()).toEqual([1, 2, 3])
        expect(all.get(1)).toEqual(person(1, { email: 'olga.guest@partner.test' }))
        expect(all.get(2)).toEqual(bare)
        expect(all.get(3)?.email).toBeNull()
        expect((await store.people('m2')).size).toBe(0)
        await store.upsertPeople('m1', [])
        expect((await store.people('m1')).size).toBe(3)
      })

      it('upsert is idempotent and the last write wins, within a batch too', async () => {
        const store = setup()
        await store.upsertPeople('m1', [person(1)])
        await store.upsertPeople('m1', [person(1)])
        expect([...(await store.people('m1')).values()]).toEqual([person(1)])
        const changed = person(1, { email: 'new@partner.test', name: 'Ольга', active: false, lastLogin: null, syncedAt: T0 + MIN })
        await store.upsertPeople('m1', [changed])
        expect((await store.people('m1')).get(1)).toEqual(changed)
        await store.upsertPeople('m1', [person(2, { name: 'first' }), person(2, { name: 'last' })])
        expect((await store.people('m1')).get(2)?.name).toBe('last')
      })

      it('people by ids: none, unknown, repeated, and 2,500 ids (more than one INSERT and IN list)', async () => {
        const store = setup()
        await store.upsertPeople('m1', Array.from({ length: 2_500 }, (_, i) => person(i + 1)))
        expect((await store.people('m1')).size).toBe(2_500)
        expect((await store.people('m1', [])).size).toBe(0)
        expect((await store.people('m1', [9_999_999])).size).toBe(0)
        const few = await store.people('m1', [7, 7, 8])
        expect([...few.keys()].sort()).toEqual([7, 8])
        expect(few.get(7)).toEqual(person(7))
        const asked = [...Array.from({ length: 2_400 }, (_, i) => i + 50), 9_000_000]
        const found = await store.people('m1', asked)
        expect(found.size).toBe(2_400)
        expect(found.get(2_449)).toEqual(person(2_449))
        expect(found.has(49)).toBe(false)
      }, 120_000)

      it('prunePeople deletes only extranet profiles not refreshed since `before`', async () => {
        const store = setup()
        const before = T0 + 10 * MIN
        await store.upsertPeople('m1', [
          person(1, { syncedAt: before - 1 }),
          person(2, { syncedAt: before }),
          person(3, { syncedAt: before + 1 }),
          person(4, { syncedAt: T0, userType: 'employee' }),
          person(5, { syncedAt: T0, userType: 'email' }),
        ])
        await store.upsertPeople('m2', [person(1, { syncedAt: T0 })])
        await store.prunePeople('m1', before)
        expect([...(await store.people('m1')).keys()].sort()).toEqual([2, 3, 4, 5])
        expect([...(await store.people('m2')).keys()]).toEqual([1])
      })
    })

    describe('sync state', () => {
      it('reads defaults for a portal never seen; setSyncState sets only the fields given', async () => {
        const store = setup()
        expect(await store.getSyncState('m1')).toEqual(EMPTY_SYNC)
        await store.setSyncState('m1', {})
        expect(await store.getSyncState('m1')).toEqual(EMPTY_SYNC)
        const full = { fullAt: T0, incrementalAt: T0 + 1, userCursor: 4_321, changedSince: T0 - 5, lastMode: 'full' as const, lastRequests: 17, lastError: 'QUERY_LIMIT_EXCEEDED' }
        await store.setSyncState('m1', full)
        expect(await store.getSyncState('m1')).toEqual({ ...EMPTY_SYNC, ...full })
        await store.setSyncState('m1', { incrementalAt: T0 + 2, lastMode: 'incremental', lastError: null })
        expect(await store.getSyncState('m1')).toEqual({ ...EMPTY_SYNC, ...full, incrementalAt: T0 + 2, lastMode: 'incremental', lastError: null })
        await store.setSyncState('m1', { fullAt: null, changedSince: null, lastRequests: null })
        expect(await store.getSyncState('m1')).toMatchObject({ fullAt: null, changedSince: null, lastRequests: null, userCursor: 4_321 })
        expect(await store.getSyncState('m2')).toEqual(EMPTY_SYNC)
      })

      it('markDirty flags the portal, with or without a state row, and keeps the rest', async () => {
        const store = setup()
        await store.markDirty('m1')
        expect(await store.getSyncState('m1')).toEqual({ ...EMPTY_SYNC, dirty: true })
        await store.setSyncState('m2', { userCursor: 9 })
        await store.markDirty('m2')
        await store.markDirty('m2')
        expect(await store.getSyncState('m2')).toEqual({ ...EMPTY_SYNC, userCursor: 9, dirty: true })
        expect(await store.getSyncState('m3')).toEqual(EMPTY_SYNC)
      })

      it('claimSync: one owner at a time, re-entry by the holder, release only by the holder, lapse after expiry', async () => {
        const store = setup()
        expect(await store.claimSync('m1', 'A', T0, T0 + 10 * MIN)).toBe(true)
        expect(await store.claimSync('m1', 'B', T0 + MIN, T0 + 11 * MIN)).toBe(false)
        expect(await store.claimSync('m1', 'A', T0 + MIN, T0 + 12 * MIN)).toBe(true)
        // The holder extended its lease to T0 + 12 min.
        expect(await store.claimSync('m1', 'B', T0 + 11 * MIN, T0 + 20 * MIN)).toBe(false)
        await store.releaseSync('m1', 'B')
        expect(await store.claimSync('m1', 'B', T0 + 11 * MIN, T0 + 20 * MIN)).toBe(false)
        // Expired: anyone takes it, and the old holder no longer can.
        expect(await store.claimSync('m1', 'B', T0 + 12 * MIN, T0 + 22 * MIN)).toBe(true)
        expect(await store.claimSync('m1', 'A', T0 + 13 * MIN, T0 + 23 * MIN)).toBe(false)
        await store.releaseSync('m1', 'A')
        expect(await store.claimSync('m1', 'A', T0 + 13 * MIN, T0 + 23 * MIN)).toBe(false)
        await store.releaseSync('m1', 'B')
        expect(await store.claimSync('m1', 'A', T0 + 13 * MIN, T0 + 23 * MIN)).toBe(true)
        // Another portal is another lease.
        expect(await store.claimSync('m2', 'B', T0 + 13 * MIN, T0 + 23 * MIN)).toBe(true)
      })

      it('running reflects a held, unexpired lease and its release', async () => {
        const store = setup()
        // getSyncState judges `running` by the wall clock (it takes no `now`), so this test uses real time.
        const now = Date.now()
        expect(await store.claimSync('m1', 'A', now, now + 10 * MIN)).toBe(true)
        expect((await store.getSyncState('m1')).running).toBe(true)
        await store.releaseSync('m1', 'A')
        expect((await store.getSyncState('m1')).running).toBe(false)
        expect(await store.claimSync('m1', 'A', now - 20 * MIN, now - 10 * MIN)).toBe(true)
        expect((await store.getSyncState('m1')).running).toBe(false)
      })

      it('taking the pass clears the dirty mark; a mark that arrives during the pass stays after release', async () => {
        const store = setup()
        await store.markDirty('m1')
        expect(await store.claimSync('m1', 'A', T0, T0 + MIN)).toBe(true)
        expect((await store.getSyncState('m1')).dirty).toBe(false)
        await store.markDirty('m1')
        await store.releaseSync('m1', 'A')
        expect((await store.getSyncState('m1')).dirty).toBe(true)
        // A refused claim leaves the mark alone.
        expect(await store.claimSync('m1', 'A', T0, T0 + MIN)).toBe(true)
        await store.markDirty('m1')
        expect(await store.claimSync('m1', 'B', T0, T0 + MIN)).toBe(false)
        expect((await store.getSyncState('m1')).dirty).toBe(true)
      })

      it('of concurrent claims from two app instances, exactly one wins', async () => {
        const store = setup()
        const peer = createCollabStore(await current().openPeer())
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? peer : store).claimSync('m1', `owner-${i}`, T0, T0 + MIN)))
        expect(results.filter(Boolean)).toHaveLength(1)
      })

      it('dueForSync lists installed portals never synced, dirty or stale, in member order, up to the limit', async () => {
        const store = setup()
        const before = T0
        for (const m of ['never', 'dirty', 'stale', 'fresh', 'edge', 'fullonly', 'running']) await installPortal(m)
        await installPortal('gone', 'uninstalled')
        await installPortal('broken', 'needs_reinstall')
        await installPortal('half', 'installing')
        await store.setSyncState('dirty', { incrementalAt: before + MIN })
        await store.markDirty('dirty')
        await store.setSyncState('stale', { fullAt: before - 2 * MIN, incrementalAt: before - 1 })
        await store.setSyncState('fresh', { fullAt: before - MIN, incrementalAt: before + MIN })
        await store.setSyncState('edge', { incrementalAt: before })
        await store.setSyncState('fullonly', { fullAt: before + MIN })
        await store.setSyncState('running', { incrementalAt: before + MIN })
        await store.claimSync('running', 'A', before, before + 10 * MIN)
        // Not installed: never due, however stale or dirty.
        await store.markDirty('gone')
        await store.setSyncState('broken', { incrementalAt: before - 10 * MIN })
        // State of a portal with no portals row at all.
        await store.markDirty('orphan')

        expect(await store.dueForSync(before, 100)).toEqual(['dirty', 'fullonly', 'never', 'stale'])
        expect(await store.dueForSync(before, 2)).toEqual(['dirty', 'fullonly'])
        expect(await store.dueForSync(before + 2 * MIN, 100)).toEqual(['dirty', 'edge', 'fresh', 'fullonly', 'never', 'running', 'stale'])
        await store.claimSync('dirty', 'A', before, before + MIN)
        expect(await store.dueForSync(before, 100)).toEqual(['fullonly', 'never', 'stale'])
      })
    })

    describe('history', () => {
      it('a collab twice in one saveHistory call: the last entry wins, as in the other upserts', async () => {
        const store = setup()
        await store.saveHistory('m1', '2024-05-01', [{ collabId: 0, ...counts(1) }, { collabId: 0, ...counts(2) }])
        expect(await store.history('m1', 0, '2024-05-01')).toEqual([{ day: '2024-05-01', ...counts(2) }])
      })

      it('saveHistory upserts per (collab, day); history is oldest first from fromDay on, per collab', async () => {
        const store = setup()
        await store.saveHistory('m1', '2024-05-03', [{ collabId: 0, ...counts(3) }, { collabId: 7, ...counts(30) }])
        await store.saveHistory('m1', '2024-05-01', [{ collabId: 0, ...counts(1) }])
        await store.saveHistory('m1', '2024-05-02', [{ collabId: 0, ...counts(2) }, { collabId: 7, ...counts(20) }])
        await store.saveHistory('m1', '2024-05-03', [{ collabId: 0, ...counts(33) }])
        await store.saveHistory('m1', '2024-05-04', [])
        expect(await store.history('m1', 0, '2024-01-01')).toEqual([
          { day: '2024-05-01', ...counts(1) },
          { day: '2024-05-02', ...counts(2) },
          { day: '2024-05-03', ...counts(33) },
        ])
        expect(await store.history('m1', 0, '2024-05-02')).toEqual([{ day: '2024-05-02', ...counts(2) }, { day: '2024-05-03', ...counts(33) }])
        expect(await store.history('m1', 0, '2024-05-04')).toEqual([])
        // Collab 7's day 3 was not in the second save of that day, so it stays.
        expect(await store.history('m1', 7, '2024-05-01')).toEqual([{ day: '2024-05-02', ...counts(20) }, { day: '2024-05-03', ...counts(30) }])
        expect(await store.history('m1', 8, '2024-01-01')).toEqual([])
        expect(await store.history('m2', 0, '2024-01-01')).toEqual([])
      })

      it('saves a day of 2,500 collabs in one call', async () => {
        const store = setup()
        await store.saveHistory('m1', '2024-05-01', Array.from({ length: 2_500 }, (_, i) => ({ collabId: i, ...counts(i) })))
        expect(await store.history('m1', 2_499, '2024-05-01')).toEqual([{ day: '2024-05-01', ...counts(2_499) }])
        expect(await store.history('m1', 0, '2024-05-01')).toEqual([{ day: '2024-05-01', ...counts(0) }])
      })
    })

    describe('settings and digest', () => {
      it('settings round-trip; a save replaces the whole object', async () => {
        const store = setup()
        expect(await store.getSettings('m1')).toBeUndefined()
        const settings = { activeDays: 30, digest: { enabled: true, recipients: [1, 2] }, review: { everyDays: null, dueDays: 14, unanswered: 'keep' } }
        await store.saveSettings('m1', settings, T0)
        expect(await store.getSettings('m1')).toEqual(settings)
        await store.saveSettings('m1', { activeDays: 7 }, T0 + MIN)
        expect(await store.getSettings('m1')).toEqual({ activeDays: 7 })
        expect(await store.getSettings('m2')).toBeUndefined()
      })

      it('claimDigest: once per portal per day; an earlier day after a later one is refused', async () => {
        const store = setup()
        expect(await store.claimDigest('m1', '2024-05-01', T0)).toBe(true)
        expect(await store.claimDigest('m1', '2024-05-01', T0 + MIN)).toBe(false)
        expect(await store.claimDigest('m2', '2024-05-01', T0)).toBe(true)
        expect(await store.claimDigest('m1', '2024-05-02', T0 + 2 * MIN)).toBe(true)
        expect(await store.claimDigest('m1', '2024-04-30', T0 + 3 * MIN)).toBe(false)
        expect(await store.claimDigest('m1', '2024-05-02', T0 + 3 * MIN)).toBe(false)
      })

      it('claimDigest and saveSettings leave each other’s data alone', async () => {
        const store = setup()
        await store.saveSettings('m1', { activeDays: 30 }, T0)
        expect(await store.claimDigest('m1', '2024-05-01', T0)).toBe(true)
        expect(await store.getSettings('m1')).toEqual({ activeDays: 30 })
        await store.saveSettings('m1', { activeDays: 60 }, T0 + MIN)
        expect(await store.claimDigest('m1', '2024-05-01', T0 + MIN)).toBe(false)
        expect(await store.getSettings('m1')).toEqual({ activeDays: 60 })
        // A digest claimed before any settings were saved does not lose the settings saved later.
        expect(await store.claimDigest('m2', '2024-05-01', T0)).toBe(true)
        await store.saveSettings('m2', { activeDays: 5 }, T0)
        expect(await store.getSettings('m2')).toEqual({ activeDays: 5 })
        expect(await store.claimDigest('m2', '2024-05-01', T0)).toBe(false)
      })

      it('of concurrent digest claims from two app instances, exactly one wins', async () => {
        const store = setup()
        const peer = createCollabStore(await current().openPeer())
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? peer : store).claimDigest('m1', '2024-05-01', T0)))
        expect(results.filter(Boolean)).toHaveLength(1)
      })
    })

    it('membersWithCollabs lists portals holding a collab, once each, in order, up to the limit', async () => {
      const store = setup()
      expect(await store.membersWithCollabs(10)).toEqual([])
      await store.upsertCollabs('m3', [collab(1), collab(2)])
      await store.upsertCollabs('m1', [collab(1)])
      await store.upsertCollabs('m2', [collab(5)])
      await store.saveSettings('m4', {}, T0)
      await store.upsertPeople('m5', [person(1)])
      expect(await store.membersWithCollabs(10)).toEqual(['m1', 'm2', 'm3'])
      expect(await store.membersWithCollabs(2)).toEqual(['m1', 'm2'])
      await store.removeCollabsExcept('m2', [])
      expect(await store.membersWithCollabs(10)).toEqual(['m1', 'm3'])
    })

    it('is scoped by portal: another member_id never sees or changes anything', async () => {
      const store = setup()
      const populate = async (memberId: string) => {
        await store.upsertCollabs(memberId, [collab(1), collab(2)])
        await store.replaceMemberships(memberId, roster({ 1: [{ userId: 10, role: 'member' }, { userId: 11, role: 'invited' }], 2: [{ userId: 10, role: 'owner' }] }), T0)
        await store.upsertPeople(memberId, [person(10), person(11)])
        await store.setSyncState(memberId, { fullAt: T0, incrementalAt: T0, userCursor: 11 })
        await store.saveHistory(memberId, '2024-05-01', [{ collabId: 0, ...counts(2) }])
        await store.saveSettings(memberId, { activeDays: 30 }, T0)
      }
      const read = async (memberId: string) => ({
        collabs: await store.collabs(memberId),
        memberships: sorted(await store.memberships(memberId)),
        some: sorted(await store.memberships(memberId, [1])),
        people: [...(await store.people(memberId)).entries()].sort(([a], [b]) => a - b),
        sync: await store.getSyncState(memberId),
        history: await store.history(memberId, 0, '2024-01-01'),
        settings: await store.getSettings(memberId),
      })
      await populate('m1')
      const before = await read('m1')
      expect(before.memberships).toHaveLength(3)

      await populate('m2')
      await store.upsertCollabs('m2', [collab(1, { name: 'theirs' })])
      await store.replaceMemberships('m2', roster({ 1: [{ userId: 11, role: 'member' }] }), T0 + MIN)
      await store.removeMembership('m2', 2, 10)
      await store.upsertPeople('m2', [person(10, { name: 'theirs', syncedAt: T0 - 1 })])
      await store.prunePeople('m2', T0 + MIN)
      await store.setSyncState('m2', { userCursor: 99, lastError: 'x' })
      await store.markDirty('m2')
      expect(await store.claimSync('m2', 'A', T0, T0 + MIN)).toBe(true)
      await store.saveHistory('m2', '2024-05-01', [{ collabId: 0, ...counts(9) }])
      await store.saveSettings('m2', { activeDays: 1 }, T0)
      expect(await store.claimDigest('m2', '2024-05-01', T0)).toBe(true)
      expect(await store.removeCollabsExcept('m2', [])).toEqual(expect.arrayContaining([1, 2]))

      expect(await read('m1')).toEqual(before)
      expect(await store.claimSync('m1', 'B', T0, T0 + MIN)).toBe(true)
      expect(await store.claimDigest('m1', '2024-05-01', T0)).toBe(true)
    })
  })

  describe('PortalStore.delete and the collab tables', () => {
    const current = useDatabase(open)

    const rowsOf = async (table: keyof Schema, memberId: string) => {
      const row = await current()
        .db.selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .where('member_id' as never, '=', memberId as never)
        .executeTakeFirstOrThrow()
      return Number(row.n)
    }
    const count = async (memberId: string) => {
      const out: Record<string, number> = {}
      for (const table of COLLAB_TABLES) out[table] = await rowsOf(table, memberId)
      return out
    }

    const populate = async (memberId: string, store: CollabStore) => {
      const portals = createPortalStore(current(), testBox, () => T0)
      await portals.saveInstall({
        memberId, domain: `${memberId}.test`, clientEndpoint: `https://${memberId}.test/rest/`, appCode: null, lang: 'en',
        licenseFamily: null, tokens: { accessToken: 'a', refreshToken: 'r', expiresAt: 1, scope: '' }, installedByUserId: 1,
      })
      await store.upsertCollabs(memberId, [collab(1), collab(2)])
      await store.replaceMemberships(memberId, roster({ 1: [{ userId: 10, role: 'member' }], 2: [{ userId: 11, role: 'invited' }] }), T0)
      await store.upsertPeople(memberId, [person(10), person(11)])
      await store.setSyncState(memberId, { fullAt: T0 })
      await store.saveHistory(memberId, '2024-05-01', [{ collabId: 0, ...counts(1) }])
      await store.saveSettings(memberId, { activeDays: 30 }, T0)
      const reviews = createAccessReviewStore(current())
      const closed = await reviews.create(
        { memberId, startedBy: 1, startedAt: T0, dueAt: T0 + MIN, unanswered: 'keep', collabIds: null },
        [{ collabId: 1, userId: 10, state: 'active', sponsorId: 1, sponsorSource: 'owner' }],
      )
      await reviews.close(memberId, closed.id, T0 + MIN)
      await reviews.create(
        { memberId, startedBy: null, startedAt: T0 + 2 * MIN, dueAt: T0 + 3 * MIN, unanswered: 'end', collabIds: [1, 2] },
        [{ collabId: 1, userId: 10, state: 'active', sponsorId: 1, sponsorSource: 'ledger' }, { collabId: 2, userId: 11, state: 'invited', sponsorId: null, sponsorSource: 'owner' }],
      )
      return reviews
    }

    it('delete (CLEAN uninstall) removes every collab and review row of the portal and nothing of others', async () => {
      const store = createCollabStore(current())
      await populate('m1', store)
      const reviews = await populate('m2', store)
      const before = await count('m2')
      expect(await count('m1')).toEqual(before)
      expect(Object.values(before).every((n) => n > 0)).toBe(true)

      await createPortalStore(current(), testBox, () => T0).delete('m1')

      expect(await count('m1')).toEqual(Object.fromEntries(COLLAB_TABLES.map((t) => [t, 0])))
      expect(await count('m2')).toEqual(before)
      expect(await store.membersWithCollabs(10)).toEqual(['m2'])
      expect((await reviews.due(T0 + 10 * MIN, 10)).map((r) => r.memberId)).toEqual(['m2'])
      // The portal can open a review again after a reinstall.
      expect(await reviews.hasOpen('m1')).toBe(false)
    })

    it('delete of a portal that only has collab data (no portal row) still clears it', async () => {
      const store = createCollabStore(current())
      await populate('m1', store)
      await current().db.deleteFrom('portals').execute()
      await createPortalStore(current(), testBox, () => T0).delete('m1')
      for (const table of COLLAB_TABLES) expect({ table, left: await rowsOf(table, 'm1') }).toEqual({ table, left: 0 })
    })
  })
}
