import { describe, expect, it } from 'vitest'
import { createGuestStore, type Guest, type GuestStore, type InvitedGuest } from '../../server/storage/guest-store.js'
import { manualClock, useDatabase, type OpenTestDatabase } from './battery-support.js'

const T0 = 1_700_000_000_000
const DAY = 86_400_000

const invited = (overrides: Partial<InvitedGuest> = {}): InvitedGuest => ({
  memberId: 'm1',
  groupId: 12,
  email: 'Olga.Guest@Partner.test',
  userId: null,
  name: 'Ольга',
  sponsorId: 7,
  accessEndsAt: T0 + 30 * DAY,
  noticeAt: T0 + 23 * DAY,
  invitationId: 'inv-1',
  ...overrides,
})

const untouched = {
  welcomedAt: null,
  noticeSentAt: null,
  endRequestedAt: null,
  removedAt: null,
  deactivatedAt: null,
}

export function guestStoreBattery(open: OpenTestDatabase): void {
  describe('GuestStore', () => {
    const current = useDatabase(open)
    const setup = () => {
      const clock = manualClock(T0)
      return { clock, guests: createGuestStore(current(), clock.now) }
    }
    const rowCount = async () =>
      Number((await current().db.selectFrom('extranet_guests').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
    /** A stay moved to 'active' for user `userId`. */
    const activeGuest = async (guests: GuestStore, overrides: Partial<InvitedGuest> = {}, userId = 501): Promise<Guest> => {
      const g = await guests.upsertInvited(invited({ userId, ...overrides }))
      await guests.markAccepted(g.memberId, { userId }, userId, T0)
      return (await guests.get(g.memberId, g.id))!
    }

    describe('upsertInvited', () => {
      it('creates a pending stay with the given fields', async () => {
        const { guests } = setup()
        const g = await guests.upsertInvited(invited())
        expect(g).toEqual({
          ...invited(),
          ...untouched,
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          state: 'pending',
          createdAt: T0,
          updatedAt: T0,
        })
        expect(await guests.get('m1', g.id)).toEqual(g)
      })

      it('the same address in another case, or the same user, yields the same stay', async () => {
        const { clock, guests } = setup()
        const first = await guests.upsertInvited(invited())
        clock.advance(1_000)
        const again = await guests.upsertInvited(invited({ email: '  olga.guest@PARTNER.test ', sponsorId: 99, accessEndsAt: null }))
        expect(again).toEqual(first)
        const byUser = await guests.upsertInvited(invited({ email: null, userId: 501, invitationId: null }))
        expect(byUser.id).not.toBe(first.id)
        expect(await guests.upsertInvited(invited({ email: 'other@partner.test', userId: 501 }))).toMatchObject({ id: byUser.id })
        expect(await rowCount()).toBe(2)
      })

      it('a re-run fills a missing userId, invitationId and name but resets nothing', async () => {
        const { clock, guests } = setup()
        const first = await guests.upsertInvited(invited({ invitationId: null, name: null }))
        clock.advance(1_000)
        const filled = await guests.upsertInvited(invited({ userId: 501, invitationId: 'inv-2', name: 'Ольга', sponsorId: 8, noticeAt: null }))
        expect(filled).toEqual({ ...first, userId: 501, invitationId: 'inv-2', name: 'Ольга', updatedAt: T0 + 1_000 })
        // Filled values are not overwritten by later runs.
        expect(await guests.upsertInvited(invited({ userId: 502, invitationId: 'inv-3', name: 'Другое' }))).toEqual(filled)
        // Lifecycle moves on; re-running the invite keeps state and timestamps.
        await guests.markAccepted('m1', { userId: 501 }, 501, T0 + 2_000)
        expect(await guests.claimWelcome('m1', first.id, T0 + 3_000)).toBe(true)
        expect(await guests.claimNotice('m1', first.id, T0 + 4_000)).toBe(true)
        const before = await guests.get('m1', first.id)
        clock.advance(10_000)
        expect(await guests.upsertInvited(invited({ userId: 501 }))).toEqual(before)
        expect(before).toMatchObject({ state: 'active', welcomedAt: T0 + 3_000, noticeSentAt: T0 + 4_000 })
        // An ended stay is returned as it is, not restarted.
        await guests.finishEnd('m1', first.id, { removed: true, deactivated: false }, T0 + 5_000)
        expect(await guests.upsertInvited(invited())).toMatchObject({ id: first.id, state: 'ended', removedAt: T0 + 5_000 })
        expect(await rowCount()).toBe(1)
      })

      it('when the address and the user match different stays, the user’s stay is returned untouched', async () => {
        const { guests } = setup()
        const byEmail = await guests.upsertInvited(invited())
        const byUser = await guests.upsertInvited(invited({ email: null, userId: 501, invitationId: 'inv-9' }))
        const both = await guests.upsertInvited(invited({ userId: 501 }))
        expect(both).toEqual(byUser)
        expect(await guests.get('m1', byEmail.id)).toEqual(byEmail)
      })

      it('is scoped by group and portal; keys never collide on nulls', async () => {
        const { guests } = setup()
        const a = await guests.upsertInvited(invited())
        const otherGroup = await guests.upsertInvited(invited({ groupId: 13 }))
        const otherPortal = await guests.upsertInvited(invited({ memberId: 'm2' }))
        expect(new Set([a.id, otherGroup.id, otherPortal.id]).size).toBe(3)
        expect(otherPortal.memberId).toBe('m2')
        // Address-only stays with different addresses, user-only stays with different users.
        await guests.upsertInvited(invited({ email: 'second@partner.test' }))
        await guests.upsertInvited(invited({ email: null, userId: 1 }))
        await guests.upsertInvited(invited({ email: null, userId: 2 }))
        expect(await guests.listByGroup('m1', 12)).toHaveLength(4)
        expect(await guests.get('m1', otherPortal.id)).toBeUndefined()
      })

      it('refuses a guest with neither address nor user', async () => {
        const { guests } = setup()
        await expect(guests.upsertInvited(invited({ email: null, userId: null }))).rejects.toBeInstanceOf(RangeError)
        await expect(guests.upsertInvited(invited({ email: '   ', userId: null }))).rejects.toBeInstanceOf(RangeError)
        expect(await rowCount()).toBe(0)
      })

      it('concurrent upserts of one guest from two app instances create one stay', async () => {
        const { guests } = setup()
        const peer = createGuestStore(await current().openPeer(), () => T0)
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            (i % 2 ? peer : guests).upsertInvited(invited({ email: i % 3 ? 'olga.guest@partner.test' : 'OLGA.GUEST@PARTNER.TEST', userId: i % 4 ? 501 : null })),
          ),
        )
        expect(new Set(results.map((r) => r.id)).size).toBe(1)
        expect(await rowCount()).toBe(1)
        expect((await guests.get('m1', results[0]!.id))?.userId).toBe(501)
      })
    })

    describe('reads', () => {
      it('listByGroup: oldest first, filtered by state, scoped by portal and group', async () => {
        const { clock, guests } = setup()
        const a = await guests.upsertInvited(invited({ email: 'a@x.test' }))
        clock.advance(1)
        const b = await activeGuest(guests, { email: 'b@x.test' }, 601)
        clock.advance(1)
        const c = await guests.upsertInvited(invited({ email: 'c@x.test' }))
        await guests.finishEnd('m1', c.id, { removed: false, deactivated: false }, T0 + 5)
        await guests.upsertInvited(invited({ email: 'd@x.test', groupId: 13 }))
        await guests.upsertInvited(invited({ email: 'e@x.test', memberId: 'm2' }))
        expect((await guests.listByGroup('m1', 12)).map((g) => g.id)).toEqual([a.id, b.id, c.id])
        expect((await guests.listByGroup('m1', 12, { states: ['pending', 'active'] })).map((g) => g.id)).toEqual([a.id, b.id])
        expect((await guests.listByGroup('m1', 12, { states: ['ended'] })).map((g) => g.id)).toEqual([c.id])
        expect(await guests.listByGroup('m1', 12, { states: [] })).toEqual([])
        expect(await guests.listByGroup('m2', 13)).toEqual([])
      })

      it('listByUser: every stay of the user in the portal, oldest first', async () => {
        const { clock, guests } = setup()
        const a = await guests.upsertInvited(invited({ userId: 501, groupId: 20 }))
        clock.advance(1)
        const b = await guests.upsertInvited(invited({ userId: 501, groupId: 10 }))
        await guests.upsertInvited(invited({ userId: 502, email: 'x@x.test' }))
        await guests.upsertInvited(invited({ userId: 501, memberId: 'm2' }))
        expect((await guests.listByUser('m1', 501)).map((g) => g.id)).toEqual([a.id, b.id])
        expect(await guests.listByUser('m1', 999)).toEqual([])
      })

      it('get: undefined for an unknown id or another portal’s stay', async () => {
        const { guests } = setup()
        const g = await guests.upsertInvited(invited())
        expect(await guests.get('m2', g.id)).toBeUndefined()
        expect(await guests.get('m1', 'no-such-id')).toBeUndefined()
      })
    })

    describe('markAccepted', () => {
      it('moves the pending stays matching the address (any case, any group) to active and sets the user', async () => {
        const { clock, guests } = setup()
        const a = await guests.upsertInvited(invited({ groupId: 12 }))
        clock.advance(1)
        const b = await guests.upsertInvited(invited({ groupId: 13, email: 'OLGA.guest@partner.test' }))
        const ended = await guests.upsertInvited(invited({ groupId: 14 }))
        await guests.finishEnd('m1', ended.id, { removed: false, deactivated: false }, T0)
        const stranger = await guests.upsertInvited(invited({ email: 'someone@else.test' }))
        const theirs = await guests.upsertInvited(invited({ memberId: 'm2' }))
        const moved = await guests.markAccepted('m1', { email: 'Olga.Guest@partner.TEST' }, 501, T0 + 100)
        expect(moved.map((g) => [g.id, g.state, g.userId, g.updatedAt])).toEqual([
          [a.id, 'active', 501, T0 + 100],
          [b.id, 'active', 501, T0 + 100],
        ])
        expect(await guests.get('m1', ended.id)).toMatchObject({ state: 'ended', userId: null })
        expect(await guests.get('m1', stranger.id)).toMatchObject({ state: 'pending', userId: null })
        expect(await guests.get('m2', theirs.id)).toMatchObject({ state: 'pending', userId: null })
        // Idempotent: nothing left to move.
        expect(await guests.markAccepted('m1', { email: 'olga.guest@partner.test' }, 501, T0 + 200)).toEqual([])
        expect((await guests.get('m1', a.id))?.updatedAt).toBe(T0 + 100)
      })

      it('matches by user id, or either key; an empty match moves nothing', async () => {
        const { guests } = setup()
        const byUser = await guests.upsertInvited(invited({ email: null, userId: 501 }))
        const byEmail = await guests.upsertInvited(invited({ groupId: 13 }))
        expect(await guests.markAccepted('m1', {}, 501, T0)).toEqual([])
        expect(await guests.markAccepted('m1', { email: '  ' }, 501, T0)).toEqual([])
        const moved = await guests.markAccepted('m1', { userId: 501, email: 'olga.guest@partner.test' }, 501, T0)
        expect(moved.map((g) => g.id).sort()).toEqual([byUser.id, byEmail.id].sort())
        expect(moved.every((g) => g.state === 'active' && g.userId === 501)).toBe(true)
      })

      it('folds an address-only stay into the group’s stay of the same user', async () => {
        const { guests } = setup()
        const byEmail = await guests.upsertInvited(invited({ invitationId: 'inv-email' }))
        const byUser = await guests.upsertInvited(invited({ email: null, userId: 501, invitationId: null }))
        const moved = await guests.markAccepted('m1', { email: 'olga.guest@partner.test', userId: 501 }, 501, T0 + 10)
        expect(moved).toHaveLength(1)
        expect(moved[0]).toMatchObject({ id: byUser.id, state: 'active', userId: 501, email: invited().email, invitationId: 'inv-email' })
        expect(await guests.get('m1', byEmail.id)).toBeUndefined()
        expect(await guests.listByGroup('m1', 12)).toHaveLength(1)
        // The user's stay was already active: the duplicate is folded, nothing is reported as moved.
        const again = await guests.upsertInvited(invited({ email: 'second@partner.test' }))
        expect(await guests.markAccepted('m1', { email: 'second@partner.test' }, 501, T0 + 20)).toEqual([])
        expect(await guests.get('m1', again.id)).toBeUndefined()
        expect(await guests.get('m1', byUser.id)).toMatchObject({ state: 'active', email: invited().email })
      })

      it('concurrent markAccepted calls move each stay once', async () => {
        const { guests } = setup()
        const peer = createGuestStore(await current().openPeer())
        for (const groupId of [1, 2, 3, 4]) await guests.upsertInvited(invited({ groupId }))
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) => (i % 2 ? peer : guests).markAccepted('m1', { email: 'olga.guest@partner.test' }, 501, T0)),
        )
        const ids = results.flat().map((g) => g.id)
        expect(ids).toHaveLength(4)
        expect(new Set(ids).size).toBe(4)
      })
    })

    describe('compare-and-set transitions', () => {
      it('claimWelcome: once, only for an active stay', async () => {
        const { guests } = setup()
        const pending = await guests.upsertInvited(invited({ email: 'p@x.test' }))
        expect(await guests.claimWelcome('m1', pending.id, T0)).toBe(false)
        const g = await activeGuest(guests)
        expect(await guests.claimWelcome('m2', g.id, T0 + 1)).toBe(false)
        expect(await guests.claimWelcome('m1', g.id, T0 + 1)).toBe(true)
        expect(await guests.claimWelcome('m1', g.id, T0 + 2)).toBe(false)
        expect(await guests.get('m1', g.id)).toMatchObject({ welcomedAt: T0 + 1, updatedAt: T0 + 1 })
        expect(await guests.claimWelcome('m1', 'no-such-id', T0)).toBe(false)
      })

      it('of concurrent claimWelcome calls from two app instances, exactly one wins', async () => {
        const { guests } = setup()
        const peer = createGuestStore(await current().openPeer())
        const g = await activeGuest(guests)
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? peer : guests).claimWelcome('m1', g.id, T0 + i)))
        expect(results.filter(Boolean)).toHaveLength(1)
        const winner = results.indexOf(true)
        expect((await guests.get('m1', g.id))?.welcomedAt).toBe(T0 + winner)
      })

      it('claimNotice: once, for a pending or active stay', async () => {
        const { guests } = setup()
        const pending = await guests.upsertInvited(invited({ email: 'p@x.test' }))
        const g = await activeGuest(guests)
        expect(await guests.claimNotice('m2', g.id, T0)).toBe(false)
        expect(await guests.claimNotice('m1', pending.id, T0 + 1)).toBe(true)
        expect(await guests.claimNotice('m1', g.id, T0 + 2)).toBe(true)
        expect(await guests.claimNotice('m1', g.id, T0 + 3)).toBe(false)
        expect(await guests.get('m1', g.id)).toMatchObject({ noticeSentAt: T0 + 2 })
        const waiting = await guests.upsertInvited(invited({ email: 'w@x.test' }))
        await guests.requestEnd('m1', waiting.id, T0)
        expect(await guests.claimNotice('m1', waiting.id, T0)).toBe(false)
      })

      it('of concurrent claimNotice calls from two app instances, exactly one wins', async () => {
        const { guests } = setup()
        const peer = createGuestStore(await current().openPeer())
        const g = await guests.upsertInvited(invited())
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? peer : guests).claimNotice('m1', g.id, T0 + i)))
        expect(results.filter(Boolean)).toHaveLength(1)
      })

      it('requestEnd → cancelEnd → requestEnd → finishEnd', async () => {
        const { clock, guests } = setup()
        const g = await activeGuest(guests)
        expect(await guests.requestEnd('m2', g.id, T0)).toBe(false)
        expect(await guests.cancelEnd('m1', g.id)).toBe(false)
        expect(await guests.requestEnd('m1', g.id, T0 + 10)).toBe(true)
        expect(await guests.requestEnd('m1', g.id, T0 + 11)).toBe(false)
        expect(await guests.get('m1', g.id)).toMatchObject({ state: 'awaiting_confirmation', endRequestedAt: T0 + 10, updatedAt: T0 + 10 })
        clock.advance(20)
        expect(await guests.cancelEnd('m2', g.id)).toBe(false)
        expect(await guests.cancelEnd('m1', g.id)).toBe(true)
        expect(await guests.cancelEnd('m1', g.id)).toBe(false)
        expect(await guests.get('m1', g.id)).toMatchObject({ state: 'active', endRequestedAt: null, updatedAt: T0 + 20 })
        expect(await guests.requestEnd('m1', g.id, T0 + 30)).toBe(true)
        expect(await guests.finishEnd('m1', g.id, { removed: true, deactivated: true }, T0 + 40)).toBe(true)
        expect(await guests.get('m1', g.id)).toMatchObject({
          state: 'ended', endRequestedAt: T0 + 30, removedAt: T0 + 40, deactivatedAt: T0 + 40, updatedAt: T0 + 40,
        })
        expect(await guests.finishEnd('m1', g.id, { removed: true, deactivated: true }, T0 + 50)).toBe(false)
        expect(await guests.requestEnd('m1', g.id, T0 + 50)).toBe(false)
        expect(await guests.cancelEnd('m1', g.id)).toBe(false)
      })

      it('requestEnd and finishEnd work from pending; finishEnd stamps only what was done', async () => {
        const { guests } = setup()
        const a = await guests.upsertInvited(invited({ email: 'a@x.test' }))
        const b = await guests.upsertInvited(invited({ email: 'b@x.test' }))
        const c = await guests.upsertInvited(invited({ email: 'c@x.test' }))
        expect(await guests.requestEnd('m1', a.id, T0 + 1)).toBe(true)
        expect(await guests.finishEnd('m2', b.id, { removed: true, deactivated: false }, T0)).toBe(false)
        expect(await guests.finishEnd('m1', b.id, { removed: true, deactivated: false }, T0 + 2)).toBe(true)
        expect(await guests.finishEnd('m1', c.id, { removed: false, deactivated: false }, T0 + 3)).toBe(true)
        expect(await guests.get('m1', b.id)).toMatchObject({ state: 'ended', removedAt: T0 + 2, deactivatedAt: null, endRequestedAt: null })
        expect(await guests.get('m1', c.id)).toMatchObject({ state: 'ended', removedAt: null, deactivatedAt: null, updatedAt: T0 + 3 })
      })

      it('of concurrent finishEnd calls, exactly one wins', async () => {
        const { guests } = setup()
        const peer = createGuestStore(await current().openPeer())
        const g = await activeGuest(guests)
        await guests.requestEnd('m1', g.id, T0)
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => (i % 2 ? peer : guests).finishEnd('m1', g.id, { removed: true, deactivated: i % 2 === 0 }, T0 + i)),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
      })

      it('setSponsor: true only when it changes a stay that has not ended', async () => {
        const { clock, guests } = setup()
        const g = await guests.upsertInvited(invited())
        clock.advance(5)
        expect(await guests.setSponsor('m2', g.id, 8)).toBe(false)
        expect(await guests.setSponsor('m1', g.id, 7)).toBe(false)
        expect(await guests.setSponsor('m1', g.id, 8)).toBe(true)
        expect(await guests.setSponsor('m1', g.id, 8)).toBe(false)
        expect(await guests.get('m1', g.id)).toMatchObject({ sponsorId: 8, updatedAt: T0 + 5 })
        await guests.finishEnd('m1', g.id, { removed: false, deactivated: false }, T0 + 6)
        expect(await guests.setSponsor('m1', g.id, 9)).toBe(false)
        expect((await guests.get('m1', g.id))?.sponsorId).toBe(8)
      })

      it('setAccessEnd: a new date clears noticeSentAt; the same date changes nothing', async () => {
        const { clock, guests } = setup()
        const g = await guests.upsertInvited(invited())
        await guests.claimNotice('m1', g.id, T0 + 1)
        clock.advance(10)
        expect(await guests.setAccessEnd('m2', g.id, T0 + 60 * DAY, T0 + 53 * DAY)).toBe(false)
        expect(await guests.setAccessEnd('m1', g.id, g.accessEndsAt, g.noticeAt)).toBe(false)
        expect((await guests.get('m1', g.id))?.noticeSentAt).toBe(T0 + 1)
        expect(await guests.setAccessEnd('m1', g.id, T0 + 60 * DAY, T0 + 53 * DAY)).toBe(true)
        expect(await guests.get('m1', g.id)).toMatchObject({ accessEndsAt: T0 + 60 * DAY, noticeAt: T0 + 53 * DAY, noticeSentAt: null, updatedAt: T0 + 10 })
        // Only the notice time moves, then both go to null, then back from null.
        expect(await guests.setAccessEnd('m1', g.id, T0 + 60 * DAY, T0 + 50 * DAY)).toBe(true)
        expect(await guests.setAccessEnd('m1', g.id, null, null)).toBe(true)
        expect(await guests.setAccessEnd('m1', g.id, null, null)).toBe(false)
        expect(await guests.get('m1', g.id)).toMatchObject({ accessEndsAt: null, noticeAt: null })
        expect(await guests.setAccessEnd('m1', g.id, T0 + DAY, null)).toBe(true)
        expect(await guests.get('m1', g.id)).toMatchObject({ accessEndsAt: T0 + DAY, noticeAt: null })
        await guests.finishEnd('m1', g.id, { removed: false, deactivated: false }, T0)
        expect(await guests.setAccessEnd('m1', g.id, T0 + 90 * DAY, null)).toBe(false)
      })

      it('an awaiting stay can get a new date (the sponsor keeps the guest and extends)', async () => {
        const { guests } = setup()
        const g = await activeGuest(guests)
        await guests.requestEnd('m1', g.id, T0)
        expect(await guests.setAccessEnd('m1', g.id, T0 + 90 * DAY, T0 + 83 * DAY)).toBe(true)
        expect(await guests.cancelEnd('m1', g.id)).toBe(true)
        expect(await guests.dueEnds('m1', T0 + 31 * DAY, 10)).toEqual([])
      })
    })

    describe('due queries', () => {
      it('dueNotices: noticeAt ≤ now (inclusive), notice not sent, pending or active; by noticeAt then id; limited', async () => {
        const { guests } = setup()
        const at = T0 + 10 * DAY
        const early = await guests.upsertInvited(invited({ email: 'early@x.test', noticeAt: at - 5 }))
        const exact = await activeGuest(guests, { email: 'exact@x.test', noticeAt: at }, 601)
        await guests.upsertInvited(invited({ email: 'later@x.test', noticeAt: at + 1 }))
        await guests.upsertInvited(invited({ email: 'none@x.test', noticeAt: null }))
        const sent = await guests.upsertInvited(invited({ email: 'sent@x.test', noticeAt: at - 10 }))
        await guests.claimNotice('m1', sent.id, T0)
        const waiting = await guests.upsertInvited(invited({ email: 'wait@x.test', noticeAt: at - 10 }))
        await guests.requestEnd('m1', waiting.id, T0)
        const ended = await guests.upsertInvited(invited({ email: 'end@x.test', noticeAt: at - 10 }))
        await guests.finishEnd('m1', ended.id, { removed: false, deactivated: false }, T0)
        await guests.upsertInvited(invited({ memberId: 'm2', email: 'theirs@x.test', noticeAt: at - 10 }))

        expect((await guests.dueNotices('m1', at, 10)).map((g) => g.id)).toEqual([early.id, exact.id])
        expect((await guests.dueNotices('m1', at - 1, 10)).map((g) => g.id)).toEqual([early.id])
        expect((await guests.dueNotices('m1', at - 6, 10)).map((g) => g.id)).toEqual([])
        expect((await guests.dueNotices('m1', at + DAY, 1)).map((g) => g.id)).toEqual([early.id])
        expect(await guests.dueNotices('m1', at, 0)).toEqual([])
        expect(await guests.dueNotices('m3', at, 10)).toEqual([])
        // A claimed notice leaves the list.
        expect(await guests.claimNotice('m1', early.id, at)).toBe(true)
        expect((await guests.dueNotices('m1', at, 10)).map((g) => g.id)).toEqual([exact.id])
      })

      it('dueEnds: accessEndsAt ≤ now (inclusive), pending or active; by accessEndsAt then id; limited', async () => {
        const { guests } = setup()
        const at = T0 + 30 * DAY
        const exact = await guests.upsertInvited(invited({ email: 'exact@x.test', accessEndsAt: at }))
        const early = await activeGuest(guests, { email: 'early@x.test', accessEndsAt: at - 5 }, 601)
        await guests.upsertInvited(invited({ email: 'later@x.test', accessEndsAt: at + 1 }))
        await guests.upsertInvited(invited({ email: 'never@x.test', accessEndsAt: null }))
        const waiting = await guests.upsertInvited(invited({ email: 'wait@x.test', accessEndsAt: at - 10 }))
        await guests.requestEnd('m1', waiting.id, T0)
        const ended = await guests.upsertInvited(invited({ email: 'end@x.test', accessEndsAt: at - 10 }))
        await guests.finishEnd('m1', ended.id, { removed: true, deactivated: false }, T0)
        // Noticed already: still due to end.
        const noticed = await guests.upsertInvited(invited({ email: 'noticed@x.test', accessEndsAt: at - 1 }))
        await guests.claimNotice('m1', noticed.id, T0)
        await guests.upsertInvited(invited({ memberId: 'm2', email: 'theirs@x.test', accessEndsAt: at - 10 }))

        expect((await guests.dueEnds('m1', at, 10)).map((g) => g.id)).toEqual([early.id, noticed.id, exact.id])
        expect((await guests.dueEnds('m1', at - 1, 10)).map((g) => g.id)).toEqual([early.id, noticed.id])
        expect((await guests.dueEnds('m1', at - 6, 10)).map((g) => g.id)).toEqual([])
        expect((await guests.dueEnds('m1', at, 2)).map((g) => g.id)).toEqual([early.id, noticed.id])
        expect(await guests.dueEnds('m1', at, 0)).toEqual([])
        expect(await guests.dueEnds('m3', at, 10)).toEqual([])
      })

      it('membersWithDue: portals with a due notice or end, by member id, limited', async () => {
        const { guests } = setup()
        const at = T0 + 10 * DAY
        await guests.upsertInvited(invited({ memberId: 'm-notice', noticeAt: at, accessEndsAt: at + DAY }))
        await guests.upsertInvited(invited({ memberId: 'm-end', noticeAt: null, accessEndsAt: at }))
        await guests.upsertInvited(invited({ memberId: 'm-later', noticeAt: at + 1, accessEndsAt: at + 1 }))
        const sent = await guests.upsertInvited(invited({ memberId: 'm-sent', noticeAt: at - 1, accessEndsAt: at + DAY }))
        await guests.claimNotice('m-sent', sent.id, T0)
        const ended = await guests.upsertInvited(invited({ memberId: 'm-ended', noticeAt: at - 1, accessEndsAt: at - 1 }))
        await guests.finishEnd('m-ended', ended.id, { removed: true, deactivated: false }, T0)
        const waiting = await guests.upsertInvited(invited({ memberId: 'm-waiting', noticeAt: at - 1, accessEndsAt: at - 1 }))
        await guests.requestEnd('m-waiting', waiting.id, T0)
        await guests.upsertInvited(invited({ memberId: 'm-end', email: 'two@x.test', noticeAt: at - 1 }))

        expect(await guests.membersWithDue(at, 10)).toEqual(['m-end', 'm-notice'])
        expect(await guests.membersWithDue(at - 1, 10)).toEqual(['m-end'])
        expect(await guests.membersWithDue(at, 1)).toEqual(['m-end'])
        expect(await guests.membersWithDue(at, 0)).toEqual([])
        expect(await guests.membersWithDue(at - 2, 10)).toEqual([])
      })
    })

    it('otherStays: the user’s unended stays in other groups of the portal', async () => {
      const { guests } = setup()
      await guests.upsertInvited(invited({ userId: 501, groupId: 12 }))
      expect(await guests.otherStays('m1', 501, 12)).toBe(0)
      await guests.upsertInvited(invited({ userId: 501, groupId: 13 }))
      const pending = await guests.upsertInvited(invited({ userId: 501, groupId: 14 }))
      const waiting = await guests.upsertInvited(invited({ userId: 501, groupId: 15 }))
      await guests.requestEnd('m1', waiting.id, T0)
      const ended = await guests.upsertInvited(invited({ userId: 501, groupId: 16 }))
      await guests.finishEnd('m1', ended.id, { removed: true, deactivated: false }, T0)
      await guests.upsertInvited(invited({ userId: 502, email: 'x@x.test', groupId: 17 }))
      await guests.upsertInvited(invited({ userId: 501, groupId: 18, memberId: 'm2' }))
      expect(pending.state).toBe('pending')
      expect(await guests.otherStays('m1', 501, 12)).toBe(3)
      expect(await guests.otherStays('m1', 501, 16)).toBe(4)
      expect(await guests.otherStays('m1', 501, 999)).toBe(4)
      expect(await guests.otherStays('m2', 501, 12)).toBe(1)
      expect(await guests.otherStays('m1', 999, 12)).toBe(0)
    })
  })
}
