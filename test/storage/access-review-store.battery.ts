import { describe, expect, it } from 'vitest'
import {
  createAccessReviewStore,
  ReviewOpenError,
  type AccessReview,
  type AccessReviewStore,
  type NewReviewItem,
} from '../../server/storage/access-review-store.js'
import { useDatabase, type OpenTestDatabase } from './battery-support.js'

const T0 = 1_700_000_000_000
const DAY = 86_400_000

type ReviewInput = Omit<AccessReview, 'id' | 'status' | 'closedAt'>

const review = (overrides: Partial<ReviewInput> = {}): ReviewInput => ({
  memberId: 'm1',
  startedBy: 1,
  startedAt: T0,
  dueAt: T0 + 14 * DAY,
  unanswered: 'keep',
  collabIds: null,
  ...overrides,
})

const item = (collabId: number, userId: number, overrides: Partial<NewReviewItem> = {}): NewReviewItem => ({
  collabId,
  userId,
  state: 'active',
  sponsorId: 7,
  sponsorSource: 'ledger',
  ...overrides,
})

const undecided = { decision: null, decidedBy: null, decidedAt: null, reason: null, outcome: null, outcomeError: null }
const zero = { total: 0, kept: 0, ended: 0, pending: 0 }

export function accessReviewStoreBattery(open: OpenTestDatabase): void {
  describe('AccessReviewStore', () => {
    const current = useDatabase(open)
    const setup = () => createAccessReviewStore(current())
    const itemRows = async () =>
      Number((await current().db.selectFrom('access_review_items').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
    /** An open review of m1 with items of sponsors 7 (two), 8 (one) and none (one). */
    const standard = async (reviews: AccessReviewStore, overrides: Partial<ReviewInput> = {}) => {
      const r = await reviews.create(review(overrides), [
        item(2, 20),
        item(1, 11, { sponsorId: 8, sponsorSource: 'owner', state: 'invited' }),
        item(1, 10),
        item(3, 30, { sponsorId: null, sponsorSource: 'owner', state: 'inactive' }),
      ])
      const items = await reviews.items(r.memberId, r.id)
      const at = (collabId: number, userId: number) => items.find((i) => i.collabId === collabId && i.userId === userId)!
      return { review: r, items, at }
    }

    describe('create and read', () => {
      it('creates an open review with its items; get and items round-trip', async () => {
        const reviews = setup()
        const { review: r, items } = await standard(reviews)
        expect(r).toEqual({ ...review(), id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'open', closedAt: null })
        expect(await reviews.get('m1', r.id)).toEqual(r)
        expect(items).toEqual([
          { id: expect.any(String), reviewId: r.id, collabId: 1, userId: 10, state: 'active', sponsorId: 7, sponsorSource: 'ledger', ...undecided },
          { id: expect.any(String), reviewId: r.id, collabId: 1, userId: 11, state: 'invited', sponsorId: 8, sponsorSource: 'owner', ...undecided },
          { id: expect.any(String), reviewId: r.id, collabId: 2, userId: 20, state: 'active', sponsorId: 7, sponsorSource: 'ledger', ...undecided },
          { id: expect.any(String), reviewId: r.id, collabId: 3, userId: 30, state: 'inactive', sponsorId: null, sponsorSource: 'owner', ...undecided },
        ])
        expect(new Set(items.map((i) => i.id)).size).toBe(4)
        expect(await reviews.item('m1', r.id, items[1]!.id)).toEqual(items[1])
        expect(await reviews.hasOpen('m1')).toBe(true)
        expect(await reviews.hasOpen('m2')).toBe(false)
      })

      it('keeps collabIds (a list, or null for every collab) and a scheduled start (startedBy null)', async () => {
        const reviews = setup()
        const r = await reviews.create(review({ collabIds: [5, 3, 9], startedBy: null, unanswered: 'end' }), [])
        expect(await reviews.get('m1', r.id)).toEqual({ ...r, collabIds: [5, 3, 9], startedBy: null, unanswered: 'end' })
        expect(await reviews.items('m1', r.id)).toEqual([])
      })

      it('creates 2,100 items (more than one INSERT) in one go', async () => {
        const reviews = setup()
        const many = Array.from({ length: 2_100 }, (_, i) => item(1 + (i % 3), 1_000 + i, { sponsorId: i % 2 ? 7 : 8 }))
        const r = await reviews.create(review(), many)
        expect(await reviews.items('m1', r.id)).toHaveLength(2_100)
        expect(await reviews.items('m1', r.id, { sponsorId: 7 })).toHaveLength(1_050)
        expect((await reviews.counts('m1', [r.id], 7)).get(r.id)).toEqual({
          all: { ...zero, total: 2_100, pending: 2_100 },
          mine: { ...zero, total: 1_050, pending: 1_050 },
        })
      }, 120_000)

      it('a second open review of the portal fails with ReviewOpenError and leaves nothing behind; another portal may open one', async () => {
        const reviews = setup()
        const first = await reviews.create(review(), [item(1, 10)])
        await expect(reviews.create(review({ startedAt: T0 + 1 }), [item(1, 10), item(1, 11)])).rejects.toBeInstanceOf(ReviewOpenError)
        expect(await reviews.list('m1', 10)).toEqual([first])
        expect(await itemRows()).toBe(1)
        const other = await reviews.create(review({ memberId: 'm2' }), [item(1, 10)])
        expect(other.status).toBe('open')
        // Once closed, the portal may open the next one.
        expect(await reviews.close('m1', first.id, T0 + DAY)).toBe(true)
        expect(await reviews.hasOpen('m1')).toBe(false)
        const next = await reviews.create(review({ startedAt: T0 + 2 * DAY }), [item(1, 10)])
        expect(await reviews.hasOpen('m1')).toBe(true)
        await expect(reviews.create(review({ startedAt: T0 + 3 * DAY }), [])).rejects.toBeInstanceOf(ReviewOpenError)
        expect((await reviews.list('m1', 10)).map((r) => r.id)).toEqual([next.id, first.id])
      })

      it('other failures are not reported as an open review', async () => {
        const reviews = setup()
        const bad = reviews.create(review(), [item(1, 10, { sponsorSource: 'nobody' as never })])
        await expect(bad).rejects.toThrow()
        await expect(bad).rejects.not.toBeInstanceOf(ReviewOpenError)
        expect(await reviews.hasOpen('m1')).toBe(false)
        expect(await itemRows()).toBe(0)
      })

      it('of concurrent creates from two app instances, exactly one opens a review', async () => {
        const reviews = setup()
        // Two SQLite connections in one process cannot wait for each other: the busy wait is synchronous and
        // blocks the event loop that would finish the other's open transaction (SQLITE_BUSY after the timeout).
        // So on SQLite the calls race on one connection; on PostgreSQL they come from two pools.
        const peer = current().dialect === 'postgres' ? createAccessReviewStore(await current().openPeer()) : reviews
        const results = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) => (i % 2 ? peer : reviews).create(review({ startedAt: T0 + i }), [item(1, 10), item(1, 11)])),
        )
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ReviewOpenError)
        expect(await itemRows()).toBe(2)
      })

      it('list is newest first, up to the limit; latest is the last started', async () => {
        const reviews = setup()
        expect(await reviews.latest('m1')).toBeUndefined()
        expect(await reviews.list('m1', 10)).toEqual([])
        const made: AccessReview[] = []
        for (const startedAt of [T0 + 2 * DAY, T0, T0 + 5 * DAY]) {
          const r = await reviews.create(review({ startedAt }), [])
          await reviews.close('m1', r.id, startedAt + 1)
          made.push((await reviews.get('m1', r.id))!)
        }
        await reviews.create(review({ memberId: 'm2', startedAt: T0 + 9 * DAY }), [])
        expect((await reviews.list('m1', 10)).map((r) => r.startedAt)).toEqual([T0 + 5 * DAY, T0 + 2 * DAY, T0])
        expect(await reviews.list('m1', 2)).toEqual([made[2], made[0]])
        expect(await reviews.latest('m1')).toEqual(made[2])
        expect((await reviews.latest('m2'))?.startedAt).toBe(T0 + 9 * DAY)
        expect(await reviews.latest('m3')).toBeUndefined()
      })

      it('items filter by sponsor; item looks up by review and id', async () => {
        const reviews = setup()
        const { review: r, at } = await standard(reviews)
        expect((await reviews.items('m1', r.id, { sponsorId: 7 })).map((i) => [i.collabId, i.userId])).toEqual([[1, 10], [2, 20]])
        expect((await reviews.items('m1', r.id, { sponsorId: 8 })).map((i) => i.userId)).toEqual([11])
        expect(await reviews.items('m1', r.id, { sponsorId: 99 })).toEqual([])
        expect(await reviews.items('m1', r.id, {})).toHaveLength(4)
        expect(await reviews.items('m1', 'no-such-review')).toEqual([])
        const other = await reviews.create(review({ memberId: 'm2' }), [item(1, 10)])
        expect(await reviews.item('m1', other.id, at(1, 10).id)).toBeUndefined()
        expect(await reviews.item('m1', r.id, 'no-such-item')).toBeUndefined()
      })

      it('counts all and the sponsor’s own items per review', async () => {
        const reviews = setup()
        const { review: r, at } = await standard(reviews)
        await reviews.decide('m1', r.id, at(1, 10).id, 'keep', 7, T0, null)
        await reviews.decide('m1', r.id, at(2, 20).id, 'end', 7, T0, null)
        await reviews.decide('m1', r.id, at(3, 30).id, 'keep', 1, T0, null)
        const c = await reviews.counts('m1', [r.id, 'unknown'], 7)
        expect(c.get(r.id)).toEqual({ all: { total: 4, kept: 2, ended: 1, pending: 1 }, mine: { total: 2, kept: 1, ended: 1, pending: 0 } })
        expect(c.get('unknown')).toEqual({ all: zero, mine: zero })
        expect((await reviews.counts('m1', [r.id])).get(r.id)).toEqual({ all: { total: 4, kept: 2, ended: 1, pending: 1 }, mine: zero })
        expect((await reviews.counts('m1', [r.id], 8)).get(r.id)?.mine).toEqual({ total: 1, kept: 0, ended: 0, pending: 1 })
        expect((await reviews.counts('m1', [])).size).toBe(0)
        expect((await reviews.counts('m2', [r.id], 7)).get(r.id)).toEqual({ all: zero, mine: zero })
      })
    })

    describe('decisions and outcomes', () => {
      it('decide records who, when and why; the decision may change until an outcome is set', async () => {
        const reviews = setup()
        const { review: r, at } = await standard(reviews)
        const target = at(1, 10)
        expect(await reviews.decide('m1', r.id, target.id, 'end', 7, T0 + 1, 'left the project')).toBe(true)
        expect(await reviews.item('m1', r.id, target.id)).toEqual({ ...target, decision: 'end', decidedBy: 7, decidedAt: T0 + 1, reason: 'left the project' })
        expect(await reviews.decide('m1', r.id, target.id, 'keep', 1, T0 + 2, null)).toBe(true)
        expect(await reviews.item('m1', r.id, target.id)).toEqual({ ...target, decision: 'keep', decidedBy: 1, decidedAt: T0 + 2, reason: null })
        expect(await reviews.claimOutcome('m1', target.id, 'kept', null)).toBe(true)
        expect(await reviews.decide('m1', r.id, target.id, 'end', 7, T0 + 3, 'too late')).toBe(false)
        expect(await reviews.item('m1', r.id, target.id)).toEqual({ ...target, decision: 'keep', decidedBy: 1, decidedAt: T0 + 2, reason: null, outcome: 'kept' })
      })

      it('decide is refused once the review is closed, and for a wrong review, item or portal', async () => {
        const reviews = setup()
        const { review: r, at } = await standard(reviews)
        const other = await reviews.create(review({ memberId: 'm2' }), [item(1, 10)])
        expect(await reviews.decide('m1', other.id, at(1, 10).id, 'end', 7, T0, null)).toBe(false)
        expect(await reviews.decide('m2', r.id, at(1, 10).id, 'end', 7, T0, null)).toBe(false)
        expect(await reviews.decide('m1', r.id, 'no-such-item', 'end', 7, T0, null)).toBe(false)
        expect(await reviews.decide('m1', r.id, at(1, 10).id, 'keep', 7, T0, null)).toBe(true)
        expect(await reviews.close('m1', r.id, T0 + DAY)).toBe(true)
        expect(await reviews.decide('m1', r.id, at(1, 10).id, 'end', 7, T0 + DAY, null)).toBe(false)
        expect(await reviews.decide('m1', r.id, at(2, 20).id, 'end', 7, T0 + DAY, null)).toBe(false)
        const after = await reviews.items('m1', r.id)
        expect(after.map((i) => i.decision)).toEqual(['keep', null, null, null])
      })

      it('claimOutcome is first-caller-wins; setOutcome overwrites', async () => {
        const reviews = setup()
        const { review: r, at } = await standard(reviews)
        const target = at(2, 20)
        expect(await reviews.claimOutcome('m2', target.id, 'kept', null)).toBe(false)
        expect(await reviews.claimOutcome('m1', target.id, 'ended', null)).toBe(true)
        expect(await reviews.claimOutcome('m1', target.id, 'kept', null)).toBe(false)
        expect(await reviews.item('m1', r.id, target.id)).toMatchObject({ outcome: 'ended', outcomeError: null })
        await reviews.setOutcome('m1', target.id, 'failed', 'ACCESS_DENIED')
        expect(await reviews.item('m1', r.id, target.id)).toMatchObject({ outcome: 'failed', outcomeError: 'ACCESS_DENIED' })
        await reviews.setOutcome('m2', target.id, 'kept', null)
        expect(await reviews.item('m1', r.id, target.id)).toMatchObject({ outcome: 'failed', outcomeError: 'ACCESS_DENIED' })
        // Other items are untouched.
        expect((await reviews.items('m1', r.id)).filter((i) => i.outcome !== null)).toHaveLength(1)
      })

      it('of concurrent outcome claims from two app instances, exactly one wins', async () => {
        const reviews = setup()
        const peer = createAccessReviewStore(await current().openPeer())
        const { review: r, at } = await standard(reviews)
        const target = at(1, 10)
        const outcomes = ['ended', 'kept', 'ended', 'kept', 'ended', 'kept'] as const
        const results = await Promise.all(outcomes.map((o, i) => (i % 2 ? peer : reviews).claimOutcome('m1', target.id, o, null)))
        expect(results.filter(Boolean)).toHaveLength(1)
        expect((await reviews.item('m1', r.id, target.id))?.outcome).toBe(outcomes[results.indexOf(true)])
      })

      it('close is a compare-and-set that stamps closedAt once', async () => {
        const reviews = setup()
        const { review: r } = await standard(reviews)
        expect(await reviews.close('m2', r.id, T0 + DAY)).toBe(false)
        expect(await reviews.close('m1', 'no-such-review', T0 + DAY)).toBe(false)
        expect(await reviews.close('m1', r.id, T0 + DAY)).toBe(true)
        expect(await reviews.close('m1', r.id, T0 + 2 * DAY)).toBe(false)
        expect(await reviews.get('m1', r.id)).toEqual({ ...r, status: 'closed', closedAt: T0 + DAY })
      })

      it('of concurrent closes from two app instances, exactly one wins', async () => {
        const reviews = setup()
        const peer = createAccessReviewStore(await current().openPeer())
        const { review: r } = await standard(reviews)
        const results = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? peer : reviews).close('m1', r.id, T0 + i)))
        expect(results.filter(Boolean)).toHaveLength(1)
        expect((await reviews.get('m1', r.id))?.closedAt).toBe(T0 + results.indexOf(true))
      })
    })

    describe('schedule reads', () => {
      it('due lists open reviews past due across portals, earliest due first, up to the limit', async () => {
        const reviews = setup()
        const now = T0 + 20 * DAY
        const a = await reviews.create(review({ memberId: 'a', dueAt: now - DAY }), [])
        const b = await reviews.create(review({ memberId: 'b', dueAt: now - 3 * DAY }), [])
        const c = await reviews.create(review({ memberId: 'c', dueAt: now }), [])
        await reviews.create(review({ memberId: 'd', dueAt: now + 1 }), [])
        const closed = await reviews.create(review({ memberId: 'e', dueAt: now - 5 * DAY }), [])
        await reviews.close('e', closed.id, now - 4 * DAY)
        expect(await reviews.due(now, 10)).toEqual([b, a, c])
        expect(await reviews.due(now, 2)).toEqual([b, a])
        expect(await reviews.due(now - 10 * DAY, 10)).toEqual([])
      })

      it('pendingFor counts a sponsor’s undecided items of open reviews only', async () => {
        const reviews = setup()
        expect(await reviews.pendingFor('m1', 7)).toEqual([])
        const old = await reviews.create(review({ startedAt: T0 - 30 * DAY }), [item(1, 10), item(1, 11)])
        await reviews.close('m1', old.id, T0 - 20 * DAY)
        const { review: r, at } = await standard(reviews)
        await reviews.create(review({ memberId: 'm2' }), [item(1, 10), item(1, 11), item(1, 12)])
        expect(await reviews.pendingFor('m1', 7)).toEqual([{ reviewId: r.id, pending: 2 }])
        expect(await reviews.pendingFor('m1', 8)).toEqual([{ reviewId: r.id, pending: 1 }])
        expect(await reviews.pendingFor('m1', 99)).toEqual([])
        await reviews.decide('m1', r.id, at(1, 10).id, 'keep', 7, T0, null)
        expect(await reviews.pendingFor('m1', 7)).toEqual([{ reviewId: r.id, pending: 1 }])
        await reviews.decide('m1', r.id, at(2, 20).id, 'end', 7, T0, null)
        expect(await reviews.pendingFor('m1', 7)).toEqual([])
        expect(await reviews.pendingFor('m2', 7)).toHaveLength(1)
        await reviews.close('m1', r.id, T0 + DAY)
        expect(await reviews.pendingFor('m1', 8)).toEqual([])
      })
    })

    it('is scoped by portal: another member_id never sees or changes anything', async () => {
      const reviews = setup()
      const { review: r, items } = await standard(reviews)
      const snapshot = async () => ({ review: await reviews.get('m1', r.id), items: await reviews.items('m1', r.id) })
      const before = await snapshot()
      expect(before.items).toEqual(items)
      expect(await reviews.get('m2', r.id)).toBeUndefined()
      expect(await reviews.list('m2', 10)).toEqual([])
      expect(await reviews.items('m2', r.id)).toEqual([])
      expect(await reviews.item('m2', r.id, items[0]!.id)).toBeUndefined()
      expect(await reviews.pendingFor('m2', 7)).toEqual([])
      expect(await reviews.latest('m2')).toBeUndefined()
      for (const i of items) {
        expect(await reviews.decide('m2', r.id, i.id, 'end', 7, T0, null)).toBe(false)
        expect(await reviews.claimOutcome('m2', i.id, 'ended', null)).toBe(false)
        await reviews.setOutcome('m2', i.id, 'failed', 'x')
      }
      expect(await reviews.close('m2', r.id, T0)).toBe(false)
      expect(await snapshot()).toEqual(before)
    })
  })
}
