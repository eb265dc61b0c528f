import { describe, expect, it } from 'vitest'
import { createAuditLog, type AuditEntry } from '../../server/storage/audit-log.js'
import { useDatabase, type OpenTestDatabase } from './battery-support.js'

const T0 = 1_700_000_000_000

const entry = (overrides: Partial<Omit<AuditEntry, 'id'>> = {}): Omit<AuditEntry, 'id'> => ({
  memberId: 'm1',
  at: T0,
  actorUserId: 5,
  actorKind: 'user',
  action: 'invite.send',
  subject: 'user:12',
  details: { emails: ['a@example.test'], count: 1, nested: { ok: true } },
  result: 'ok',
  ...overrides,
})

export function auditLogBattery(open: OpenTestDatabase): void {
  describe('AuditLog', () => {
    const current = useDatabase(open)
    const setup = () => createAuditLog(current())

    it('round-trips an entry, nullable fields included', async () => {
      const audit = setup()
      await audit.record(entry())
      await audit.record(entry({ at: T0 + 1, actorUserId: null, actorKind: 'system', subject: null, details: {}, result: 'refused' }))
      const [newest, oldest] = await audit.list('m1', { limit: 10 })
      expect(oldest).toEqual({ id: expect.any(Number), ...entry() })
      expect(newest).toMatchObject({ at: T0 + 1, actorUserId: null, actorKind: 'system', subject: null, details: {}, result: 'refused' })
    })

    it('lists newest first by time, ties in reverse insertion order', async () => {
      const audit = setup()
      // Recorded out of time order on purpose.
      for (const [at, action] of [[T0 + 20, 'b'], [T0 + 10, 'a'], [T0 + 20, 'c'], [T0 + 30, 'd']] as const) {
        await audit.record(entry({ at, action }))
      }
      expect((await audit.list('m1', { limit: 10 })).map((e) => e.action)).toEqual(['d', 'c', 'b', 'a'])
    })

    it('pages with beforeId without gaps or repeats, even with equal timestamps', async () => {
      const audit = setup()
      for (let i = 0; i < 11; i++) await audit.record(entry({ at: T0 + Math.floor(i / 3), action: `a${i}` }))
      const seen: string[] = []
      let beforeId: number | undefined
      for (;;) {
        const page = await audit.list('m1', { limit: 4, ...(beforeId !== undefined ? { beforeId } : {}) })
        if (page.length === 0) break
        expect(page.length).toBeLessThanOrEqual(4)
        seen.push(...page.map((e) => e.action))
        beforeId = page.at(-1)!.id
      }
      expect(seen).toEqual(Array.from({ length: 11 }, (_, i) => `a${10 - i}`))
    })

    it('filters by action, also while paging', async () => {
      const audit = setup()
      for (let i = 0; i < 6; i++) await audit.record(entry({ at: T0 + i, action: i % 2 ? 'portal.install' : 'invite.send' }))
      const installs = await audit.list('m1', { limit: 10, action: 'portal.install' })
      expect(installs.map((e) => e.at)).toEqual([T0 + 5, T0 + 3, T0 + 1])
      const next = await audit.list('m1', { limit: 10, action: 'portal.install', beforeId: installs[0]!.id })
      expect(next.map((e) => e.at)).toEqual([T0 + 3, T0 + 1])
      expect(await audit.list('m1', { limit: 10, action: 'nothing.like.this' })).toEqual([])
    })

    it('filters by a literal action prefix, actor, time window and result', async () => {
      const audit = setup()
      await audit.record(entry({ action: 'invite_request.created', at: T0 }))
      await audit.record(entry({ action: 'invite_request.approved', at: T0 + 10, actorUserId: 1 }))
      // "_" is not a wildcard: inviteXrequest must not match the prefix invite_request.
      await audit.record(entry({ action: 'inviteXrequest.created', at: T0 + 20 }))
      await audit.record(entry({ action: 'policy.saved', at: T0 + 30, actorUserId: 1, result: 'failed' }))
      const actions = async (q: Parameters<typeof audit.list>[1]) => (await audit.list('m1', q)).map((e) => e.action)
      expect(await actions({ limit: 10, actionPrefix: 'invite_request.' })).toEqual(['invite_request.approved', 'invite_request.created'])
      expect(await actions({ limit: 10, actorUserId: 1 })).toEqual(['policy.saved', 'invite_request.approved'])
      expect(await actions({ limit: 10, from: T0 + 10, to: T0 + 30 })).toEqual(['inviteXrequest.created', 'invite_request.approved'])
      expect(await actions({ limit: 10, result: 'failed' })).toEqual(['policy.saved'])
    })

    it('never shows another portal’s entries, nor pages from another portal’s cursor', async () => {
      const audit = setup()
      await audit.record(entry({ memberId: 'm1', action: 'mine' }))
      await audit.record(entry({ memberId: 'm2', action: 'theirs', at: T0 + 1 }))
      const mine = await audit.list('m1', { limit: 10 })
      expect(mine.map((e) => e.action)).toEqual(['mine'])
      const [theirs] = await audit.list('m2', { limit: 10 })
      expect(await audit.list('m1', { limit: 10, beforeId: theirs!.id })).toEqual([])
      expect(await audit.list('m1', { limit: 10, beforeId: 999_999 })).toEqual([])
    })

    it('respects the limit and returns nothing for a non-positive one', async () => {
      const audit = setup()
      for (let i = 0; i < 5; i++) await audit.record(entry({ at: T0 + i }))
      expect(await audit.list('m1', { limit: 2 })).toHaveLength(2)
      expect(await audit.list('m1', { limit: 0 })).toEqual([])
    })

    it('rejects an actor kind or result outside the schema', async () => {
      const audit = setup()
      await expect(audit.record(entry({ actorKind: 'alien' as never }))).rejects.toThrow()
      await expect(audit.record(entry({ result: 'maybe' as never }))).rejects.toThrow()
      expect(await audit.list('m1', { limit: 10 })).toEqual([])
    })
  })
}
