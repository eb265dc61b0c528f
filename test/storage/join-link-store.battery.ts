import { randomBytes, randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { hashLinkToken } from '../../server/join-links/join-link-rules.js'
import { createJobStore } from '../../server/storage/job-store.js'
import {
  createJoinLinkStore, statusOf, type JoinAttempt, type JoinLink, type JoinLinkStatus, type JoinLinkStore, type JoinPerson, type NewJoinLink,
} from '../../server/storage/join-link-store.js'
import { createSecretBox } from '../../server/trust/secret-box.js'
import { useDatabase, type OpenTestDatabase } from './battery-support.js'

const T0 = 1_700_000_000_000
const MIN = 60_000
const DAY = 86_400_000

const box = createSecretBox([{ id: 'test', key: Buffer.alloc(32, 5) }])

/** A new link's fields and its token's hash (a fresh token unless the test names one). */
const linkInput = (overrides: Partial<NewJoinLink> = {}): NewJoinLink => ({
  memberId: 'm1',
  token: randomBytes(24).toString('base64url'),
  name: 'Partners 2026',
  target: { kind: 'group', id: 7 },
  templateId: null,
  expiresAt: null,
  cap: null,
  allowedDomains: [],
  approval: false,
  createdBy: 1,
  ownerAdmin: true,
  ...overrides,
})

const person = (email: string, overrides: Partial<JoinPerson & { awaitingApproval: boolean }> = {}) => ({
  email, name: 'Ann', lastName: null, lang: 'en' as const, awaitingApproval: false, ...overrides,
})

const kinds = (xs: JoinAttempt[]) => xs.map((x) => (x.kind === 'refused' ? `refused:${x.reason}` : x.kind))
const count = (xs: string[], v: string) => xs.filter((x) => x === v).length

export function joinLinkStoreBattery(open: OpenTestDatabase): void {
  describe('JoinLinkStore', () => {
    const current = useDatabase(open)
    const setup = () => createJoinLinkStore(current(), box)
    /** Other app instances on PostgreSQL, so calls really race on several connections; on SQLite the same store (two connections in one process cannot interleave writes). */
    const peersOf = async (store: JoinLinkStore, n: number): Promise<JoinLinkStore[]> => {
      if (current().dialect !== 'postgres') return [store]
      const out = [store]
      for (let i = 0; i < n; i++) out.push(createJoinLinkStore(await current().openPeer(), box))
      return out
    }
    const add = (store: JoinLinkStore, overrides: Partial<NewJoinLink> = {}, now = T0) => {
      const input = linkInput(overrides)
      return store.create(input, hashLinkToken(input.token), now)
    }
    const rawLink = (id: string) => current().db.selectFrom('join_links').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    const rawJoins = (linkId: string) => current().db.selectFrom('join_link_joins').selectAll().where('link_id', '=', linkId).orderBy('created_at').orderBy('id').execute()
    const joined = async (store: JoinLinkStore, linkId: string, email: string, now = T0, awaitingApproval = false) => {
      const r = await store.join(linkId, person(email, { awaitingApproval }), now)
      if (r.kind !== 'joined') throw new Error(`${email} did not join: ${JSON.stringify(r)}`)
      return r.join
    }
    const ids = (xs: Array<{ id: string }>) => xs.map((x) => x.id)

    describe('links', () => {
      it('create stores every field and reads it back by id and by token hash; the token is sealed at rest', async () => {
        const store = setup()
        const token = 'PlainToken_abcdefghijklmnopqrstuv'
        const input = linkInput({
          token, name: 'Партнёры 2026', target: { kind: 'department', id: 12 }, templateId: randomUUID(), expiresAt: T0 + 30 * DAY, cap: 25,
          allowedDomains: ['example.com', 'partner.example'], approval: true, createdBy: 42, ownerAdmin: false,
        })
        const link = await store.create(input, hashLinkToken(token), T0)
        expect(link).toEqual({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/), memberId: 'm1', token, name: 'Партнёры 2026', target: { kind: 'department', id: 12 },
          templateId: input.templateId, expiresAt: T0 + 30 * DAY, cap: 25, uses: 0, allowedDomains: ['example.com', 'partner.example'], approval: true,
          state: 'active', views: 0, createdBy: 42, ownerAdmin: false, capWarnedAt: null, expiryWarnedAt: null, createdAt: T0, updatedAt: T0,
        })
        expect(await store.get('m1', link.id)).toEqual(link)
        expect(await store.get('m2', link.id)).toBeUndefined()
        expect(await store.get('m1', randomUUID())).toBeUndefined()
        expect(await store.byTokenHash(hashLinkToken(token))).toEqual(link)
        expect(await store.byTokenHash(hashLinkToken('another-token'))).toBeUndefined()
        // At rest: the hash as given, the token sealed (not the plain token, not containing it).
        const row = await rawLink(link.id)
        expect(row.token_hash).toBe(hashLinkToken(token))
        expect(row.token).not.toBe(token)
        expect(row.token).not.toContain(token)
        expect(box.open(row.token)).toBe(token)
        // Another key cannot open it.
        const stranger = createJoinLinkStore(current(), createSecretBox([{ id: 'test', key: Buffer.alloc(32, 6) }]))
        await expect(stranger.get('m1', link.id)).rejects.toThrow()
      })

      it('no cap, no expiry, no template, any domain; a token hash is unique across portals', async () => {
        const store = setup()
        const link = await add(store, { token: 'same-token' })
        expect(link).toMatchObject({ templateId: null, expiresAt: null, cap: null, allowedDomains: [], approval: false, ownerAdmin: true, uses: 0 })
        await expect(add(store, { memberId: 'm2', token: 'same-token' })).rejects.toThrow()
        expect(await store.byTokenHash(hashLinkToken('same-token'))).toMatchObject({ id: link.id, memberId: 'm1' })
      })

      it('list: newest first (ties by id), paged, total counts every match; createdBy narrows; never another portal', async () => {
        const store = setup()
        const made: JoinLink[] = []
        for (let i = 0; i < 5; i++) made.push(await add(store, { createdBy: i % 2 ? 2 : 1, name: `Link ${i}` }, T0 + i))
        // Two at the same moment: the larger id first.
        const tieA = await add(store, { name: 'Tie A' }, T0 + 10)
        const tieB = await add(store, { name: 'Tie B' }, T0 + 10)
        await add(store, { memberId: 'm2' }, T0 + 20)
        const ties = [tieA.id, tieB.id].sort().reverse()
        const all = [...ties, ...ids(made).reverse()]
        const page = (q: Partial<Parameters<JoinLinkStore['list']>[1]>) => store.list('m1', { now: T0, limit: 50, offset: 0, ...q })
        expect(await page({})).toEqual({ rows: expect.any(Array), total: 7 })
        expect(ids((await page({})).rows)).toEqual(all)
        expect((await page({})).rows[0]).toEqual(await store.get('m1', all[0]!))
        expect(await page({ limit: 3, offset: 0 }).then((p) => [ids(p.rows), p.total])).toEqual([all.slice(0, 3), 7])
        expect(await page({ limit: 3, offset: 3 }).then((p) => [ids(p.rows), p.total])).toEqual([all.slice(3, 6), 7])
        expect(await page({ limit: 3, offset: 6 }).then((p) => [ids(p.rows), p.total])).toEqual([all.slice(6), 7])
        expect(await page({ limit: 3, offset: 9 }).then((p) => [ids(p.rows), p.total])).toEqual([[], 7])
        const byTwo = await page({ createdBy: 2 })
        expect(byTwo.total).toBe(2)
        expect(ids(byTwo.rows)).toEqual([made[3]!.id, made[1]!.id])
        expect(await page({ createdBy: 99 })).toEqual({ rows: [], total: 0 })
        expect((await store.list('m3', { now: T0, limit: 50, offset: 0 }))).toEqual({ rows: [], total: 0 })
      })

      it('list: each status filter is evaluated at `now`, and agrees with statusOf', async () => {
        const store = setup()
        const now = T0 + 10 * DAY
        const open = await add(store, { name: 'open' })
        const underCap = await add(store, { name: 'under cap', cap: 2, expiresAt: now + DAY })
        await joined(store, underCap.id, 'u1@example.com')
        const full = await add(store, { name: 'full', cap: 1, expiresAt: now + DAY })
        await joined(store, full.id, 'f1@example.com')
        const expired = await add(store, { name: 'expired', expiresAt: now - 1 })
        // Its last millisecond has passed at `now`.
        const expiresNow = await add(store, { name: 'expires now', expiresAt: now })
        // Expired and full: expired wins (the page says the date, not the cap).
        const expiredFull = await add(store, { name: 'expired and full', cap: 1, expiresAt: now + DAY })
        await joined(store, expiredFull.id, 'ef@example.com')
        await current().db.updateTable('join_links').set({ expires_at: now - DAY }).where('id', '=', expiredFull.id).execute()
        const paused = await add(store, { name: 'paused', cap: 1, expiresAt: now - 1 })
        expect(await store.setState('m1', paused.id, ['active'], 'paused', T0)).toBe(true)
        const revoked = await add(store, { name: 'revoked' })
        expect(await store.setState('m1', revoked.id, ['active'], 'revoked', T0)).toBe(true)
        await add(store, { memberId: 'm2', name: 'elsewhere' })

        const expected: Record<JoinLinkStatus, string[]> = {
          active: [open.id, underCap.id],
          full: [full.id],
          expired: [expired.id, expiresNow.id, expiredFull.id],
          paused: [paused.id],
          revoked: [revoked.id],
        }
        for (const [status, want] of Object.entries(expected) as Array<[JoinLinkStatus, string[]]>) {
          const got = await store.list('m1', { status, now, limit: 50, offset: 0 })
          expect({ status, ids: ids(got.rows).sort(), total: got.total }).toEqual({ status, ids: [...want].sort(), total: want.length })
          for (const l of got.rows) expect(statusOf(l, now)).toBe(status)
        }
        // Ten days earlier nothing had expired: both links at their cap were full.
        const before = await store.list('m1', { status: 'expired', now: T0, limit: 50, offset: 0 })
        expect(ids(before.rows)).toEqual([])
        expect(ids((await store.list('m1', { status: 'full', now: T0, limit: 50, offset: 0 })).rows).sort()).toEqual([full.id, expiredFull.id].sort())
      })

      it('list: q searches names case-insensitively (Cyrillic too), with % _ and \\ taken literally', async () => {
        const store = setup()
        const names = ['Партнёры 2026', 'Partners Summit', '100% off', '50_50 Deal', 'Summit_2026', 'Back\\slash', 'Plain']
        const byName = new Map<string, string>()
        for (const [i, name] of names.entries()) byName.set(name, (await add(store, { name, createdBy: i === 1 ? 2 : 1 }, T0 + i)).id)
        await add(store, { memberId: 'm2', name: 'Partners Elsewhere' })
        const search = async (q: string, extra: { createdBy?: number; status?: JoinLinkStatus } = {}) => {
          const got = await store.list('m1', { q, now: T0, limit: 50, offset: 0, ...extra })
          expect(got.total).toBe(got.rows.length)
          return got.rows.map((r) => r.name).sort()
        }
        expect(await search('партн')).toEqual(['Партнёры 2026'])
        expect(await search('ПАРТНЁРЫ')).toEqual(['Партнёры 2026'])
        expect(await search('рЫ 20')).toEqual(['Партнёры 2026'])
        expect(await search('SUMMIT')).toEqual(['Partners Summit', 'Summit_2026'])
        expect(await search('  partners  ')).toEqual(['Partners Summit'])
        expect(await search('%')).toEqual(['100% off'])
        expect(await search('0%')).toEqual(['100% off'])
        expect(await search('_')).toEqual(['50_50 Deal', 'Summit_2026'])
        expect(await search('t_2')).toEqual(['Summit_2026'])
        expect(await search('\\')).toEqual(['Back\\slash'])
        expect(await search('*')).toEqual([])
        expect(await search('[')).toEqual([])
        expect(await search('nothing like it')).toEqual([])
        // Blank: no filter.
        expect(await search('   ')).toEqual([...names].sort())
        expect(await search('summit', { createdBy: 2 })).toEqual(['Partners Summit'])
        expect(await search('summit', { status: 'paused' })).toEqual([])
      })

      it('update changes what it is given and keeps the rest; a new cap or expiry lets its warning go out again; never a revoked link', async () => {
        const store = setup()
        const link = await add(store, { cap: 10, expiresAt: T0 + 5 * DAY, allowedDomains: ['a.example'], approval: true, ownerAdmin: false })
        expect(await store.claimWarning(link.id, 'cap', T0 + 1)).toBe(true)
        expect(await store.claimWarning(link.id, 'expiry', T0 + 2)).toBe(true)

        const renamed = await store.update('m1', link.id, { name: 'Renamed' }, T0 + MIN)
        expect(renamed).toEqual({ ...link, name: 'Renamed', capWarnedAt: T0 + 1, expiryWarnedAt: T0 + 2, updatedAt: T0 + MIN })
        expect(await store.get('m1', link.id)).toEqual(renamed)

        const recapped = await store.update('m1', link.id, { cap: 20 }, T0 + 2 * MIN)
        expect(recapped).toMatchObject({ cap: 20, capWarnedAt: null, expiryWarnedAt: T0 + 2, expiresAt: T0 + 5 * DAY })
        const extended = await store.update('m1', link.id, { expiresAt: T0 + 9 * DAY }, T0 + 3 * MIN)
        expect(extended).toMatchObject({ cap: 20, capWarnedAt: null, expiresAt: T0 + 9 * DAY, expiryWarnedAt: null })
        // Cleared to null counts as new too.
        expect(await store.claimWarning(link.id, 'cap', T0 + 4)).toBe(true)
        expect(await store.update('m1', link.id, { cap: null, expiresAt: null }, T0 + 4 * MIN)).toMatchObject({ cap: null, capWarnedAt: null, expiresAt: null, expiryWarnedAt: null })

        const templateId = randomUUID()
        const all = await store.update('m1', link.id, {
          target: { kind: 'collab', id: 99 }, templateId, allowedDomains: [], approval: false, ownerAdmin: true,
        }, T0 + 5 * MIN)
        expect(all).toEqual({
          ...link, name: 'Renamed', target: { kind: 'collab', id: 99 }, templateId, cap: null, expiresAt: null, allowedDomains: [], approval: false, ownerAdmin: true,
          capWarnedAt: null, expiryWarnedAt: null, updatedAt: T0 + 5 * MIN,
        })
        expect(await store.update('m1', link.id, { templateId: null }, T0 + 6 * MIN)).toMatchObject({ templateId: null, target: { kind: 'collab', id: 99 } })

        expect(await store.update('m2', link.id, { name: 'Stolen' }, T0 + 7 * MIN)).toBeUndefined()
        expect(await store.update('m1', randomUUID(), { name: 'Ghost' }, T0 + 7 * MIN)).toBeUndefined()
        // Paused: still editable.
        expect(await store.setState('m1', link.id, ['active'], 'paused', T0 + 8 * MIN)).toBe(true)
        expect(await store.update('m1', link.id, { name: 'Paused edit' }, T0 + 9 * MIN)).toMatchObject({ name: 'Paused edit', state: 'paused' })
        // Revoked: final.
        expect(await store.setState('m1', link.id, ['paused'], 'revoked', T0 + 10 * MIN)).toBe(true)
        const revoked = await store.get('m1', link.id)
        expect(await store.update('m1', link.id, { name: 'After revoke', cap: 5 }, T0 + 11 * MIN)).toBeUndefined()
        expect(await store.get('m1', link.id)).toEqual(revoked)
        expect(revoked).toMatchObject({ name: 'Paused edit', state: 'revoked', updatedAt: T0 + 10 * MIN })
      })

      it('setState is a compare-and-set within the portal', async () => {
        const store = setup()
        const link = await add(store)
        expect(await store.setState('m2', link.id, ['active'], 'paused', T0 + 1)).toBe(false)
        expect(await store.setState('m1', link.id, ['paused'], 'active', T0 + 1)).toBe(false)
        expect((await store.get('m1', link.id))!.updatedAt).toBe(T0)
        expect(await store.setState('m1', link.id, ['active'], 'paused', T0 + 2)).toBe(true)
        expect(await store.get('m1', link.id)).toMatchObject({ state: 'paused', updatedAt: T0 + 2 })
        expect(await store.setState('m1', link.id, ['active'], 'paused', T0 + 3)).toBe(false)
        expect(await store.setState('m1', link.id, ['paused'], 'active', T0 + 4)).toBe(true)
        expect(await store.setState('m1', link.id, ['active', 'paused'], 'revoked', T0 + 5)).toBe(true)
        expect(await store.setState('m1', link.id, ['active', 'paused'], 'active', T0 + 6)).toBe(false)
        expect(await store.get('m1', link.id)).toMatchObject({ state: 'revoked', updatedAt: T0 + 5 })
      })

      it('of concurrent setState calls with the same from, exactly one wins', async () => {
        const store = setup()
        const stores = await peersOf(store, 1)
        const link = await add(store)
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => stores[i % stores.length]!.setState('m1', link.id, ['active'], i % 2 ? 'paused' : 'revoked', T0 + i)))
        expect(results.filter(Boolean)).toHaveLength(1)
      })

      it('countView counts every view, concurrent ones included, and only the link\'s', async () => {
        const store = setup()
        const stores = await peersOf(store, 1)
        const link = await add(store)
        const other = await add(store)
        await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % stores.length]!.countView(link.id)))
        await store.countView(randomUUID())
        expect((await store.get('m1', link.id))!.views).toBe(20)
        expect((await store.get('m1', other.id))!.views).toBe(0)
        // A view is not an edit.
        expect((await store.get('m1', link.id))!.updatedAt).toBe(T0)
      })
    })

    describe('join', () => {
      it('a join takes a slot and records the person: queued, or awaiting approval', async () => {
        const store = setup()
        const link = await add(store, { cap: 5 })
        const r = await store.join(link.id, { email: 'Ann.Lee@Example.com', name: 'Ann', lastName: 'Lee', lang: 'ru', awaitingApproval: false }, T0 + MIN)
        expect(r).toEqual({
          kind: 'joined',
          join: {
            id: expect.stringMatching(/^[0-9a-f-]{36}$/), linkId: link.id, memberId: 'm1', email: 'Ann.Lee@Example.com', name: 'Ann', lastName: 'Lee', lang: 'ru',
            state: 'queued', requestId: null, approvedBy: null, jobId: null, jobSeq: null, admittedAt: null, error: null, createdAt: T0 + MIN, updatedAt: T0 + MIN,
          },
        })
        const join = (r as Extract<JoinAttempt, { kind: 'joined' }>).join
        expect(await store.getJoin('m1', join.id)).toEqual(join)
        expect(await store.getJoin('m2', join.id)).toBeUndefined()
        expect((await rawJoins(link.id))[0]!.email_lc).toBe('ann.lee@example.com')
        expect(await store.get('m1', link.id)).toMatchObject({ uses: 1, updatedAt: T0 + MIN })
        const waiting = await joined(store, link.id, 'bo@example.com', T0 + 2 * MIN, true)
        expect(waiting).toMatchObject({ state: 'awaiting_approval', email: 'bo@example.com', lastName: null, lang: 'en' })
        expect((await store.get('m1', link.id))!.uses).toBe(2)
      })

      it('the same address again, in any case, is the earlier join and takes no slot', async () => {
        const store = setup()
        const link = await add(store, { cap: 2 })
        const first = await joined(store, link.id, 'ann@example.com')
        for (const again of ['ann@example.com', 'ANN@Example.COM']) {
          const r = await store.join(link.id, person(again, { awaitingApproval: true, name: 'Other' }), T0 + MIN)
          expect(r).toEqual({ kind: 'duplicate', join: first })
        }
        expect((await store.get('m1', link.id))!.uses).toBe(1)
        expect(await rawJoins(link.id)).toHaveLength(1)
        // The same address on another link is a join of its own.
        const other = await add(store)
        expect((await store.join(other.id, person('ann@example.com'), T0)).kind).toBe('joined')
        // At the cap, a repeat is still the earlier join (not "full").
        await joined(store, link.id, 'bo@example.com')
        expect(await store.join(link.id, person('Ann@example.com'), T0 + 2 * MIN)).toEqual({ kind: 'duplicate', join: first })
        expect(await store.join(link.id, person('cy@example.com'), T0 + 2 * MIN)).toEqual({ kind: 'refused', reason: 'full' })
      })

      it('refuses a missing, paused, revoked, expired or full link, taking nothing', async () => {
        const store = setup()
        expect(await store.join(randomUUID(), person('a@example.com'), T0)).toEqual({ kind: 'refused', reason: 'missing' })
        const paused = await add(store)
        await store.setState('m1', paused.id, ['active'], 'paused', T0)
        const revoked = await add(store)
        await store.setState('m1', revoked.id, ['active'], 'revoked', T0)
        const expiring = await add(store, { expiresAt: T0 + DAY })
        const full = await add(store, { cap: 1 })
        await joined(store, full.id, 'first@example.com')
        expect(await store.join(paused.id, person('a@example.com'), T0)).toEqual({ kind: 'refused', reason: 'paused' })
        expect(await store.join(revoked.id, person('a@example.com'), T0)).toEqual({ kind: 'refused', reason: 'revoked' })
        expect(await store.join(full.id, person('a@example.com'), T0)).toEqual({ kind: 'refused', reason: 'full' })
        // Through its last millisecond it takes joins; at its expiry it does not.
        expect((await store.join(expiring.id, person('early@example.com'), T0 + DAY - 1)).kind).toBe('joined')
        expect(await store.join(expiring.id, person('a@example.com'), T0 + DAY)).toEqual({ kind: 'refused', reason: 'expired' })
        for (const [l, uses] of [[paused, 0], [revoked, 0], [full, 1], [expiring, 1]] as const) {
          expect((await store.get('m1', l.id))!.uses).toBe(uses)
          expect(await rawJoins(l.id)).toHaveLength(uses)
        }
        // A paused link takes joins again once resumed.
        await store.setState('m1', paused.id, ['paused'], 'active', T0)
        expect((await store.join(paused.id, person('a@example.com'), T0)).kind).toBe('joined')
      })

      it('50 concurrent joins (distinct addresses) against a cap of 10: exactly 10 join and uses is exactly 10', async () => {
        const store = setup()
        const stores = await peersOf(store, 2)
        const link = await add(store, { cap: 10 })
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => stores[i % stores.length]!.join(link.id, person(`guest${i}@example.com`), T0 + i)),
        )
        const k = kinds(results)
        expect({ joined: count(k, 'joined'), full: count(k, 'refused:full'), other: k.length - count(k, 'joined') - count(k, 'refused:full') }).toEqual({ joined: 10, full: 40, other: 0 })
        expect((await store.get('m1', link.id))!.uses).toBe(10)
        const rows = await rawJoins(link.id)
        expect(rows).toHaveLength(10)
        const winners = results.flatMap((r) => (r.kind === 'joined' ? [r.join] : []))
        expect(rows.map((r) => r.id).sort()).toEqual(ids(winners).sort())
        expect(new Set(rows.map((r) => r.email_lc)).size).toBe(10)
      })

      it('concurrent joins to a link without a cap are all taken', async () => {
        const store = setup()
        const stores = await peersOf(store, 2)
        const link = await add(store)
        const results = await Promise.all(Array.from({ length: 30 }, (_, i) => stores[i % stores.length]!.join(link.id, person(`p${i}@example.com`), T0)))
        expect(kinds(results).every((x) => x === 'joined')).toBe(true)
        expect((await store.get('m1', link.id))!.uses).toBe(30)
        expect(await rawJoins(link.id)).toHaveLength(30)
      })

      it('the same address submitted 10 times at once: one join, one slot, the rest duplicates of it', async () => {
        const store = setup()
        const stores = await peersOf(store, 2)
        const link = await add(store, { cap: 10 })
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => stores[i % stores.length]!.join(link.id, person(i % 2 ? 'Same@Example.com' : 'same@example.com'), T0 + i)),
        )
        const k = kinds(results)
        expect({ joined: count(k, 'joined'), duplicate: count(k, 'duplicate') }).toEqual({ joined: 1, duplicate: 9 })
        const winner = results.find((r) => r.kind === 'joined') as Extract<JoinAttempt, { kind: 'joined' }>
        for (const r of results) if (r.kind === 'duplicate') expect(r.join.id).toBe(winner.join.id)
        expect((await store.get('m1', link.id))!.uses).toBe(1)
        expect(await rawJoins(link.id)).toHaveLength(1)
      })

      it('the same address at once with one slot left: one joins, the rest are duplicates (not "full")', async () => {
        const store = setup()
        const stores = await peersOf(store, 2)
        const link = await add(store, { cap: 3 })
        await joined(store, link.id, 'a@example.com')
        await joined(store, link.id, 'b@example.com')
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => stores[i % stores.length]!.join(link.id, person('last@example.com'), T0 + i)))
        const k = kinds(results)
        expect({ joined: count(k, 'joined'), duplicate: count(k, 'duplicate') }).toEqual({ joined: 1, duplicate: 9 })
        expect((await store.get('m1', link.id))!.uses).toBe(3)
      })
    })

    describe('statistics and the people who joined', () => {
      /**
       * One link with a join in every state: three sent in one job (invited and pending, invited and accepted,
       * failed at the portal), one found existing, one failed before sending, one awaiting approval, one
       * approved and queued again, one declined (its slot given back).
       */
      const world = async (store: JoinLinkStore) => {
        const jobs = createJobStore(current(), () => T0)
        const link = await add(store)
        const sent = [await joined(store, link.id, 'pending@example.com', T0 + 1), await joined(store, link.id, 'accepted@example.com', T0 + 2), await joined(store, link.id, 'portalfail@example.com', T0 + 3)]
        const jobId = randomUUID()
        expect(ids(await store.claimQueued(link.id, jobId, T0 + 10, 10))).toEqual(ids(sent))
        await jobs.create({ id: jobId, memberId: 'm1', kind: 'bulk_invite', source: 'join_link', createdBy: 1, templateId: null, title: 'Join link', options: {} }, [
          { email: 'pending@example.com', phone: null, payload: {} },
          { email: 'accepted@example.com', phone: null, payload: {} },
          { email: 'portalfail@example.com', phone: null, payload: {}, state: 'failed', errorMessage: 'Portal said no' },
        ])
        await current().db.updateTable('invite_job_items').set({ state: 'invited' }).where('job_id', '=', jobId).where('seq', 'in', [1, 2]).execute()
        await store.markSent(jobId, sent.map((j, k) => ({ id: j.id, seq: k + 1 })), T0 + 11)
        const inv = {
          pending: await invitation('m1', jobId, 1, 'pending'),
          accepted: await invitation('m1', jobId, 2, 'accepted'),
          failed: await invitation('m1', jobId, 3, 'failed'),
        }
        // Another portal's ledger row with the same job and seq counts for nothing here.
        await invitation('m2', jobId, 1, 'accepted')

        const existing = await joined(store, link.id, 'existing@example.com', T0 + 4)
        expect(ids(await store.claimQueued(link.id, randomUUID(), T0 + 12, 10))).toEqual([existing.id])
        expect(await store.settle(existing.id, ['dispatching'], 'existing', {}, T0 + 13)).toBe(true)
        const early = await joined(store, link.id, 'early@example.com', T0 + 5)
        expect(await store.failQueued(link.id, 'The link was revoked', T0 + 14)).toBe(1)
        const awaiting = await joined(store, link.id, 'awaiting@example.com', T0 + 6, true)
        const approved = await joined(store, link.id, 'approved@example.com', T0 + 7, true)
        expect(await store.settle(approved.id, ['awaiting_approval'], 'queued', { approvedBy: 9 }, T0 + 15)).toBe(true)
        const declined = await joined(store, link.id, 'declined@example.com', T0 + 8, true)
        expect(await store.settle(declined.id, ['awaiting_approval'], 'declined', {}, T0 + 16)).toBe(true)
        await store.releaseSlot(link.id, T0 + 16)
        for (let i = 0; i < 3; i++) await store.countView(link.id)
        return { link, jobId, sent, inv, existing, early, awaiting, approved, declined }
      }
      const invitation = async (memberId: string, jobId: string, seq: number, state: 'pending' | 'accepted' | 'failed') => {
        const id = randomUUID()
        await current().db.insertInto('invitations').values({
          id, member_id: memberId, email: `i${seq}@example.com`, email_lc: `i${seq}@example.com`, phone: null, user_id: null, name: null, last_name: null, invited_by: 1,
          source: 'join_link', template_id: null, job_id: jobId, job_seq: seq, target_kind: 'extranet', target_department_id: null, target_group_ids: '[]', state,
          sent_at: T0, accepted_at: state === 'accepted' ? T0 : null, last_reminder_at: null, reminder_days: '[]', next_reminder_at: null, expires_at: null,
          search_text: '', created_at: T0, updated_at: T0,
        }).execute()
        return id
      }

      it('stats counts joins by state, approvals, and invitations from the ledger and job items', async () => {
        const store = setup()
        const w = await world(store)
        const quiet = await add(store)
        await store.countView(quiet.id)
        const elsewhere = await add(store, { memberId: 'm2' })
        const stats = await store.stats('m1', [w.link.id, quiet.id, elsewhere.id, randomUUID()])
        expect([...stats.keys()].sort()).toEqual([w.link.id, quiet.id].sort())
        expect(stats.get(w.link.id)).toEqual({ views: 3, joins: 8, awaiting: 1, approved: 1, declined: 1, invited: 2, accepted: 1, failed: 2 })
        expect(stats.get(quiet.id)).toEqual({ views: 1, joins: 0, awaiting: 0, approved: 0, declined: 0, invited: 0, accepted: 0, failed: 0 })
        expect(await store.stats('m1', [])).toEqual(new Map())
        expect((await store.get('m1', w.link.id))!.uses).toBe(7)
      })

      it('joins: newest first, paged, with each join\'s job item and invitation', async () => {
        const store = setup()
        const w = await world(store)
        const other = await add(store)
        await joined(store, other.id, 'elsewhere@example.com', T0 + 100)
        const all = await store.joins('m1', w.link.id, { limit: 50, offset: 0 })
        expect(all.total).toBe(8)
        const order = [w.declined, w.approved, w.awaiting, w.early, w.existing, ...[...w.sent].reverse()]
        expect(ids(all.rows)).toEqual(ids(order))
        const byEmail = new Map(all.rows.map((r) => [r.email, r]))
        expect(byEmail.get('pending@example.com')).toMatchObject({ state: 'sent', jobId: w.jobId, jobSeq: 1, item: { state: 'invited', errorMessage: null }, invitation: { id: w.inv.pending, state: 'pending' } })
        expect(byEmail.get('accepted@example.com')).toMatchObject({ state: 'sent', jobSeq: 2, item: { state: 'invited', errorMessage: null }, invitation: { id: w.inv.accepted, state: 'accepted' } })
        expect(byEmail.get('portalfail@example.com')).toMatchObject({ state: 'sent', jobSeq: 3, item: { state: 'failed', errorMessage: 'Portal said no' }, invitation: { id: w.inv.failed, state: 'failed' } })
        expect(byEmail.get('early@example.com')).toMatchObject({ state: 'failed', error: 'The link was revoked', item: null, invitation: null })
        expect(byEmail.get('approved@example.com')).toMatchObject({ state: 'queued', approvedBy: 9, item: null, invitation: null })
        expect(byEmail.get('existing@example.com')).toMatchObject({ state: 'existing', item: null, invitation: null })
        // A join row reads back as getJoin has it, plus its outcome.
        const { item, invitation: inv, ...plain } = byEmail.get('pending@example.com')!
        expect(plain).toEqual(await store.getJoin('m1', w.sent[0]!.id))
        expect([item, inv]).not.toContain(undefined)

        const page2 = await store.joins('m1', w.link.id, { limit: 3, offset: 3 })
        expect({ ids: ids(page2.rows), total: page2.total }).toEqual({ ids: ids(order.slice(3, 6)), total: 8 })
        expect(await store.joins('m2', w.link.id, { limit: 50, offset: 0 })).toEqual({ rows: [], total: 0 })
        expect(await store.joins('m1', randomUUID(), { limit: 50, offset: 0 })).toEqual({ rows: [], total: 0 })
      })

      it('linksOfJoins names the link of each join, within the portal', async () => {
        const store = setup()
        const a = await add(store, { name: 'Link A' })
        const b = await add(store, { name: 'Link B' })
        const m2 = await add(store, { memberId: 'm2', name: 'Theirs' })
        const ja = await joined(store, a.id, 'a@example.com')
        const jb = await joined(store, b.id, 'b@example.com')
        const jb2 = await joined(store, b.id, 'b2@example.com')
        const jm2 = await joined(store, m2.id, 'm@example.com')
        const got = await store.linksOfJoins('m1', [ja.id, jb.id, jb2.id, jm2.id, randomUUID()])
        expect(Object.fromEntries(got)).toEqual({
          [ja.id]: { id: a.id, name: 'Link A' }, [jb.id]: { id: b.id, name: 'Link B' }, [jb2.id]: { id: b.id, name: 'Link B' },
        })
        expect(await store.linksOfJoins('m1', [])).toEqual(new Map())
        expect(Object.fromEntries(await store.linksOfJoins('m2', [jm2.id, ja.id]))).toEqual({ [jm2.id]: { id: m2.id, name: 'Theirs' } })
      })
    })

    describe('the join worker', () => {
      it('linksWithWork: queued joins, joins awaiting approval without a request, dispatches gone stale; nothing else', async () => {
        const store = setup()
        const queued = await add(store)
        await joined(store, queued.id, 'q@example.com')
        const waiting = await add(store, { memberId: 'm2' })
        await joined(store, waiting.id, 'w@example.com', T0, true)
        const requested = await add(store)
        const r = await joined(store, requested.id, 'r@example.com', T0, true)
        expect(await store.settle(r.id, ['awaiting_approval'], 'awaiting_approval', { requestId: randomUUID() }, T0)).toBe(true)
        const stale = await add(store)
        await joined(store, stale.id, 's@example.com')
        await store.claimQueued(stale.id, randomUUID(), T0, 10)
        const fresh = await add(store)
        await joined(store, fresh.id, 'f@example.com')
        await store.claimQueued(fresh.id, randomUUID(), T0 + 5 * MIN, 10)
        const done = await add(store)
        const d = await joined(store, done.id, 'd@example.com')
        const jobId = randomUUID()
        await store.claimQueued(done.id, jobId, T0, 10)
        await store.markSent(jobId, [{ id: d.id, seq: 1 }], T0)
        const empty = await add(store)
        // Two queued joins on one link: listed once.
        await joined(store, queued.id, 'q2@example.com')

        const work = await store.linksWithWork(T0 + MIN, 10)
        const key = (x: { memberId: string; linkId: string }) => `${x.memberId}/${x.linkId}`
        expect(work.map(key).sort()).toEqual([`m1/${queued.id}`, `m2/${waiting.id}`, `m1/${stale.id}`].sort())
        expect(work.map(key)).not.toContain(`m1/${empty.id}`)
        // Dispatching exactly since staleBefore is not stale yet.
        expect((await store.linksWithWork(T0, 10)).map(key).sort()).toEqual([`m1/${queued.id}`, `m2/${waiting.id}`].sort())
        expect(await store.linksWithWork(T0 + MIN, 2)).toHaveLength(2)
      })

      it('claimDispatch: one owner at a time until the claim lapses; the owner renews; release frees only one\'s own', async () => {
        const store = setup()
        const link = await add(store)
        const raw = async () => {
          const r = await rawLink(link.id)
          return { owner: r.dispatch_owner, until: r.dispatch_until }
        }
        expect(await store.claimDispatch(link.id, 'a', T0, MIN)).toBe(true)
        expect(await raw()).toEqual({ owner: 'a', until: T0 + MIN })
        expect(await store.claimDispatch(link.id, 'b', T0 + MIN - 1, MIN)).toBe(false)
        // At its last moment the claim still holds.
        expect(await store.claimDispatch(link.id, 'b', T0 + MIN, MIN)).toBe(false)
        expect(await store.claimDispatch(link.id, 'a', T0 + 30_000, MIN)).toBe(true)
        expect(await raw()).toEqual({ owner: 'a', until: T0 + 30_000 + MIN })
        await store.releaseDispatch(link.id, 'b')
        expect(await raw()).toEqual({ owner: 'a', until: T0 + 30_000 + MIN })
        expect(await store.claimDispatch(link.id, 'b', T0 + 30_000 + MIN, MIN)).toBe(false)
        // Lapsed: another owner takes it, and the old one cannot take it back nor release it.
        expect(await store.claimDispatch(link.id, 'b', T0 + 30_001 + MIN, MIN)).toBe(true)
        expect(await store.claimDispatch(link.id, 'a', T0 + 30_002 + MIN, MIN)).toBe(false)
        await store.releaseDispatch(link.id, 'a')
        expect((await raw()).owner).toBe('b')
        await store.releaseDispatch(link.id, 'b')
        expect(await raw()).toEqual({ owner: null, until: null })
        expect(await store.claimDispatch(link.id, 'a', T0, MIN)).toBe(true)
        expect(await store.claimDispatch(randomUUID(), 'a', T0, MIN)).toBe(false)
        // A claim is not an edit of the link.
        expect((await store.get('m1', link.id))!.updatedAt).toBe(T0)
      })

      it('of concurrent claimDispatch calls from several instances, exactly one wins', async () => {
        const store = setup()
        const stores = await peersOf(store, 1)
        const link = await add(store)
        const results = await Promise.all(Array.from({ length: 12 }, (_, i) => stores[i % stores.length]!.claimDispatch(link.id, `owner-${i}`, T0, MIN)))
        expect(results.filter(Boolean)).toHaveLength(1)
        expect((await rawLink(link.id)).dispatch_owner).toBe(`owner-${results.indexOf(true)}`)
      })

      it('claimQueued takes the oldest queued joins (ties by id), at most limit, under the job id; markSent, release and staleDispatching', async () => {
        const store = setup()
        const link = await add(store)
        const other = await add(store)
        const c = await joined(store, link.id, 'c@example.com', T0 + 2)
        const a = await joined(store, link.id, 'a@example.com', T0)
        const b1 = await joined(store, link.id, 'b1@example.com', T0 + 1)
        const b2 = await joined(store, link.id, 'b2@example.com', T0 + 1)
        await joined(store, link.id, 'w@example.com', T0, true)
        const o = await joined(store, other.id, 'o@example.com', T0)
        const job1 = randomUUID()
        const first = await store.claimQueued(link.id, job1, T0 + MIN, 3)
        expect(ids(first)).toEqual([a.id, ...[b1.id, b2.id].sort()])
        for (const j of first) expect(j).toMatchObject({ state: 'dispatching', jobId: job1, jobSeq: null, admittedAt: T0 + MIN, updatedAt: T0 + MIN })
        expect(await store.getJoin('m1', a.id)).toEqual(first[0])
        const job2 = randomUUID()
        expect(ids(await store.claimQueued(link.id, job2, T0 + 2 * MIN, 10))).toEqual([c.id])
        expect(await store.claimQueued(link.id, randomUUID(), T0 + 2 * MIN, 10)).toEqual([])
        expect((await store.getJoin('m1', o.id))!.state).toBe('queued')

        expect(ids(await store.staleDispatching(link.id, T0 + MIN))).toEqual([])
        expect(ids(await store.staleDispatching(link.id, T0 + MIN + 1)).sort()).toEqual(ids(first).sort())
        expect(ids(await store.staleDispatching(link.id, T0 + 2 * MIN + 1)).sort()).toEqual([...ids(first), c.id].sort())

        // markSent: only the job's dispatching joins.
        await store.markSent(job1, [{ id: a.id, seq: 1 }, { id: c.id, seq: 9 }], T0 + 3 * MIN)
        expect(await store.getJoin('m1', a.id)).toMatchObject({ state: 'sent', jobId: job1, jobSeq: 1, admittedAt: T0 + MIN, updatedAt: T0 + 3 * MIN })
        expect(await store.getJoin('m1', c.id)).toMatchObject({ state: 'dispatching', jobId: job2, jobSeq: null })
        // release: back to the queue, job and admission forgotten; a sent join is not released.
        await store.release([b1.id, a.id], T0 + 4 * MIN)
        expect(await store.getJoin('m1', b1.id)).toMatchObject({ state: 'queued', jobId: null, jobSeq: null, admittedAt: null, updatedAt: T0 + 4 * MIN })
        expect(await store.getJoin('m1', a.id)).toMatchObject({ state: 'sent', jobSeq: 1 })
        await store.release([], T0)
        expect(ids(await store.staleDispatching(link.id, T0 + 10 * MIN)).sort()).toEqual([b2.id, c.id].sort())
        expect(ids(await store.claimQueued(link.id, randomUUID(), T0 + 5 * MIN, 10))).toEqual([b1.id])
      })

      it('concurrent claimQueued calls never hand one join to two jobs', async () => {
        const store = setup()
        const stores = await peersOf(store, 1)
        const link = await add(store)
        const made: string[] = []
        for (let i = 0; i < 24; i++) made.push((await joined(store, link.id, `p${i}@example.com`, T0 + i)).id)
        const jobs = Array.from({ length: 4 }, () => randomUUID())
        const rounds = await Promise.all(jobs.map((job, i) => stores[i % stores.length]!.claimQueued(link.id, job, T0 + MIN, 10)))
        const got = rounds.flatMap(ids)
        expect(new Set(got).size).toBe(got.length)
        for (const [i, round] of rounds.entries()) for (const j of round) expect((await store.getJoin('m1', j.id))!.jobId).toBe(jobs[i])
        const rest = await store.claimQueued(link.id, randomUUID(), T0 + MIN, 100)
        expect([...got, ...ids(rest)].sort()).toEqual([...made].sort())
      })

      it('settle is a compare-and-set and writes only the fields it is given', async () => {
        const store = setup()
        const link = await add(store)
        const j = await joined(store, link.id, 'a@example.com', T0, true)
        const requestId = randomUUID()
        expect(await store.settle(j.id, ['queued'], 'declined', {}, T0 + 1)).toBe(false)
        expect(await store.settle(j.id, ['awaiting_approval'], 'awaiting_approval', { requestId }, T0 + 2)).toBe(true)
        expect(await store.getJoin('m1', j.id)).toMatchObject({ state: 'awaiting_approval', requestId, approvedBy: null, error: null, updatedAt: T0 + 2 })
        expect(await store.settle(j.id, ['awaiting_approval', 'queued'], 'queued', { approvedBy: 5 }, T0 + 3)).toBe(true)
        expect(await store.getJoin('m1', j.id)).toMatchObject({ state: 'queued', requestId, approvedBy: 5, updatedAt: T0 + 3 })
        // A long error is kept, cut to 2,000 characters; null clears it.
        expect(await store.settle(j.id, ['queued'], 'failed', { error: 'x'.repeat(3000) }, T0 + 4)).toBe(true)
        expect((await store.getJoin('m1', j.id))!.error).toBe('x'.repeat(2000))
        expect(await store.settle(j.id, ['failed'], 'failed', { error: null, requestId: null, approvedBy: null }, T0 + 5)).toBe(true)
        expect(await store.getJoin('m1', j.id)).toMatchObject({ state: 'failed', error: null, requestId: null, approvedBy: null })
        expect(await store.settle(randomUUID(), ['queued'], 'failed', {}, T0)).toBe(false)
      })

      it('of concurrent settles from the same state, exactly one wins', async () => {
        const store = setup()
        const stores = await peersOf(store, 1)
        const link = await add(store)
        const j = await joined(store, link.id, 'a@example.com', T0, true)
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => stores[i % stores.length]!.settle(j.id, ['awaiting_approval'], i % 2 ? 'declined' : 'queued', { approvedBy: i }, T0 + i)))
        expect(results.filter(Boolean)).toHaveLength(1)
      })

      it('releaseSlot gives one slot back and never goes below zero', async () => {
        const store = setup()
        const link = await add(store, { cap: 2 })
        await joined(store, link.id, 'a@example.com')
        await joined(store, link.id, 'b@example.com')
        expect(await store.join(link.id, person('c@example.com'), T0)).toEqual({ kind: 'refused', reason: 'full' })
        await store.releaseSlot(link.id, T0 + MIN)
        expect(await store.get('m1', link.id)).toMatchObject({ uses: 1, updatedAt: T0 + MIN })
        expect((await store.join(link.id, person('c@example.com'), T0 + 2 * MIN)).kind).toBe('joined')
        const other = await add(store)
        await store.releaseSlot(other.id, T0)
        await store.releaseSlot(other.id, T0)
        expect((await store.get('m1', other.id))!.uses).toBe(0)
        await joined(store, other.id, 'x@example.com')
        const stores = await peersOf(store, 1)
        await Promise.all(Array.from({ length: 6 }, (_, i) => stores[i % stores.length]!.releaseSlot(other.id, T0)))
        expect((await store.get('m1', other.id))!.uses).toBe(0)
      })

      it('awaitingWithoutRequest lists the oldest waiting joins with no request; holdUnapproved holds queued joins nobody approved', async () => {
        const store = setup()
        const link = await add(store)
        const w2 = await joined(store, link.id, 'w2@example.com', T0 + 2, true)
        const w1 = await joined(store, link.id, 'w1@example.com', T0 + 1, true)
        const withRequest = await joined(store, link.id, 'r@example.com', T0, true)
        await store.settle(withRequest.id, ['awaiting_approval'], 'awaiting_approval', { requestId: randomUUID() }, T0)
        const q = await joined(store, link.id, 'q@example.com', T0 + 3)
        const approved = await joined(store, link.id, 'ok@example.com', T0 + 4, true)
        await store.settle(approved.id, ['awaiting_approval'], 'queued', { approvedBy: 3 }, T0 + 5)
        const other = await add(store)
        await joined(store, other.id, 'other@example.com', T0)

        expect(ids(await store.awaitingWithoutRequest(link.id, 10))).toEqual([w1.id, w2.id])
        expect(ids(await store.awaitingWithoutRequest(link.id, 1))).toEqual([w1.id])
        expect(await store.holdUnapproved(link.id, T0 + 10)).toBe(1)
        expect(await store.getJoin('m1', q.id)).toMatchObject({ state: 'awaiting_approval', requestId: null, updatedAt: T0 + 10 })
        // An approved join stays queued: someone already said yes.
        expect(await store.getJoin('m1', approved.id)).toMatchObject({ state: 'queued', approvedBy: 3 })
        expect(ids(await store.awaitingWithoutRequest(link.id, 10))).toEqual([w1.id, w2.id, q.id])
        expect(await store.holdUnapproved(link.id, T0 + 11)).toBe(0)
        // Other links are untouched.
        expect((await store.joins('m1', other.id, { limit: 10, offset: 0 })).rows[0]!.state).toBe('queued')
      })

      it('failQueued fails only the link\'s queued joins, with the reason', async () => {
        const store = setup()
        const link = await add(store)
        const q1 = await joined(store, link.id, 'q1@example.com', T0)
        const q2 = await joined(store, link.id, 'q2@example.com', T0 + 1)
        const w = await joined(store, link.id, 'w@example.com', T0, true)
        const other = await add(store)
        const o = await joined(store, other.id, 'o@example.com')
        const d = await joined(store, link.id, 'd@example.com', T0 + 2)
        await store.claimQueued(link.id, randomUUID(), T0, 1)
        expect((await store.getJoin('m1', q1.id))!.state).toBe('dispatching')
        expect(await store.failQueued(link.id, 'The link was revoked', T0 + MIN)).toBe(2)
        expect(await store.getJoin('m1', q2.id)).toMatchObject({ state: 'failed', error: 'The link was revoked', updatedAt: T0 + MIN })
        expect(await store.getJoin('m1', d.id)).toMatchObject({ state: 'failed', error: 'The link was revoked' })
        expect((await store.getJoin('m1', q1.id))!.state).toBe('dispatching')
        expect((await store.getJoin('m1', w.id))!.state).toBe('awaiting_approval')
        expect((await store.getJoin('m1', o.id))!.state).toBe('queued')
        expect(await store.failQueued(link.id, 'again', T0)).toBe(0)
      })

      it('admittedSince counts the portal\'s joins taken into jobs since then', async () => {
        const store = setup()
        const a = await add(store)
        const b = await add(store)
        const theirs = await add(store, { memberId: 'm2' })
        for (let i = 0; i < 3; i++) await joined(store, a.id, `a${i}@example.com`, T0 + i)
        for (let i = 0; i < 2; i++) await joined(store, b.id, `b${i}@example.com`, T0 + i)
        await joined(store, theirs.id, 't@example.com')
        await joined(store, a.id, 'later@example.com', T0 + 10)
        await store.claimQueued(a.id, randomUUID(), T0 + MIN, 3)
        await store.claimQueued(b.id, randomUUID(), T0 + 2 * MIN, 10)
        await store.claimQueued(theirs.id, randomUUID(), T0 + 2 * MIN, 10)
        expect(await store.admittedSince('m1', T0)).toBe(5)
        expect(await store.admittedSince('m1', T0 + MIN)).toBe(5)
        expect(await store.admittedSince('m1', T0 + MIN + 1)).toBe(2)
        expect(await store.admittedSince('m1', T0 + 3 * MIN)).toBe(0)
        expect(await store.admittedSince('m2', T0)).toBe(1)
        // A released join no longer counts.
        const back = (await store.joins('m1', b.id, { limit: 10, offset: 0 })).rows.map((r) => r.id)
        await store.release(back, T0 + 3 * MIN)
        expect(await store.admittedSince('m1', T0)).toBe(3)
      })

      it('dueWarnings: links at 80 % of their cap or expiring within the window, until claimWarning; claimWarning once', async () => {
        const store = setup()
        const now = T0 + DAY
        const within = 3 * DAY
        const capAt = async (cap: number, uses: number, overrides: Partial<NewJoinLink> = {}) => {
          const l = await add(store, { cap, ...overrides })
          for (let i = 0; i < uses; i++) await joined(store, l.id, `u${i}@example.com`)
          return l
        }
        const nearCap = await capAt(10, 8)
        const belowCap = await capAt(10, 7)
        const fullCap = await capAt(5, 5)
        const capOne = await capAt(1, 1)
        const noCap = await add(store)
        for (let i = 0; i < 3; i++) await joined(store, noCap.id, `n${i}@example.com`)
        const soon = await add(store, { expiresAt: now + within })
        const notSoon = await add(store, { expiresAt: now + within + 1 })
        const expired = await add(store, { expiresAt: now })
        const both = await capAt(5, 4, { expiresAt: now + 1 })
        const pausedNear = await capAt(5, 4, { expiresAt: now + 1 })
        await store.setState('m1', pausedNear.id, ['active'], 'paused', T0)
        const revokedNear = await capAt(5, 4)
        await store.setState('m1', revokedNear.id, ['active'], 'revoked', T0)
        const theirs = await capAt(5, 4, { memberId: 'm2' })
        const due = async () => (await store.dueWarnings(now, within, 100)).map((d) => `${d.link.id}:${d.kind}`).sort()
        expect(await due()).toEqual([
          `${nearCap.id}:cap`, `${fullCap.id}:cap`, `${capOne.id}:cap`, `${soon.id}:expiry`, `${both.id}:cap`, `${both.id}:expiry`, `${theirs.id}:cap`,
        ].sort())
        for (const l of [belowCap, noCap, notSoon, expired]) expect((await due()).some((d) => d.startsWith(l.id))).toBe(false)
        const sample = (await store.dueWarnings(now, within, 100)).find((d) => d.link.id === nearCap.id)!
        expect(sample.link).toEqual(await store.get('m1', nearCap.id))

        expect(await store.claimWarning(nearCap.id, 'cap', now)).toBe(true)
        expect(await store.claimWarning(nearCap.id, 'cap', now + 1)).toBe(false)
        expect(await store.claimWarning(both.id, 'expiry', now)).toBe(true)
        expect(await store.claimWarning(randomUUID(), 'cap', now)).toBe(false)
        expect(await store.get('m1', nearCap.id)).toMatchObject({ capWarnedAt: now, expiryWarnedAt: null, updatedAt: T0 })
        expect(await store.get('m1', both.id)).toMatchObject({ capWarnedAt: null, expiryWarnedAt: now })
        expect(await due()).toEqual([`${fullCap.id}:cap`, `${capOne.id}:cap`, `${soon.id}:expiry`, `${both.id}:cap`, `${theirs.id}:cap`].sort())
        // A larger cap lets the warning go out again once the link nears it.
        await store.update('m1', nearCap.id, { cap: 20 }, now)
        expect((await due()).filter((d) => d.startsWith(nearCap.id))).toEqual([])
        await store.update('m1', nearCap.id, { cap: 10 }, now)
        expect((await due()).filter((d) => d.startsWith(nearCap.id))).toEqual([`${nearCap.id}:cap`])
        // Past its date, a link is not "nearly full" any more: it is expired.
        expect((await store.dueWarnings(now + 2, within, 100)).filter((d) => d.link.id === both.id)).toEqual([])
        expect(new Set((await store.dueWarnings(now, within, 2)).map((d) => d.link.id)).size).toBe(2)
      })

      it('of concurrent claimWarning calls from several instances, exactly one wins', async () => {
        const store = setup()
        const stores = await peersOf(store, 1)
        const link = await add(store, { cap: 1 })
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => stores[i % stores.length]!.claimWarning(link.id, 'cap', T0 + i)))
        expect(results.filter(Boolean)).toHaveLength(1)
        // The other kind is claimed on its own.
        expect(await store.claimWarning(link.id, 'expiry', T0)).toBe(true)
      })
    })
  })
}
