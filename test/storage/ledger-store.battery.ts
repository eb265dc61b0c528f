import { describe, expect, it } from 'vitest'
import { createLedgerStore, type NewInvitation } from '../../server/storage/ledger-store.js'
import { createTemplateStore } from '../../server/storage/template-store.js'
import { manualClock, useDatabase, type OpenTestDatabase } from './battery-support.js'

const T0 = 1_700_000_000_000
const DAY = 86_400_000
const noCounts = { sent: 0, pending: 0, accepted: 0, expired: 0, revoked: 0, failed: 0 }

const invitation = (overrides: Partial<NewInvitation> = {}): NewInvitation => ({
  memberId: 'm1',
  email: 'Ivan.Petrov@Example.test',
  phone: null,
  userId: 501,
  name: 'Иван',
  lastName: 'Петров',
  invitedBy: 5,
  source: 'wizard',
  templateId: null,
  jobId: 'job-1',
  jobSeq: 1,
  target: { kind: 'extranet', departmentId: null, groupIds: [4, 9] },
  state: 'pending',
  sentAt: T0,
  acceptedAt: null,
  expiresAt: null,
  ...overrides,
})

export function ledgerStoreBattery(open: OpenTestDatabase): void {
  describe('LedgerStore', () => {
    const current = useDatabase(open)
    const setup = () => {
      const clock = manualClock(T0)
      return { clock, ledger: createLedgerStore(current(), clock.now) }
    }
    const eventCount = async () =>
      Number((await current().db.selectFrom('invitation_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)

    describe('record', () => {
      it('round-trips the invitation and writes its first history event', async () => {
        const { clock, ledger } = setup()
        const inv = await ledger.record(invitation(), 5, { detail: { via: 'wizard step 3' } })
        expect(inv).toEqual({
          ...invitation(),
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          remindersSent: 0,
          lastReminderAt: null,
          createdAt: clock.now(),
          updatedAt: clock.now(),
        })
        expect(await ledger.get('m1', inv.id)).toEqual(inv)
        expect(await ledger.history('m1', inv.id)).toEqual([
          { id: expect.any(Number), invitationId: inv.id, at: clock.now(), from: null, to: 'pending', actorUserId: 5, detail: { via: 'wizard step 3' } },
        ])
      })

      it('keeps whether the invitation brought someone already in the portal into groups', async () => {
        const { ledger } = setup()
        const existing = await ledger.record(invitation({ jobSeq: 7, target: { kind: 'extranet', departmentId: null, groupIds: [4], existingUser: true } }), 5)
        const fresh = await ledger.record(invitation({ jobSeq: 8 }), 5)
        expect((await ledger.get('m1', existing.id))!.target).toEqual({ kind: 'extranet', departmentId: null, groupIds: [4], existingUser: true })
        expect((await ledger.get('m1', fresh.id))!.target).toEqual({ kind: 'extranet', departmentId: null, groupIds: [4, 9] })
      })

      it('is idempotent per (jobId, jobSeq): the same row returns the existing invitation and writes no event', async () => {
        const { clock, ledger } = setup()
        const first = await ledger.record(invitation(), 5)
        clock.advance(1_000)
        const again = await ledger.record(invitation({ state: 'sent', userId: 777, email: 'other@example.test' }), 6)
        expect(again).toEqual(first)
        expect(await eventCount()).toBe(1)
        const nextRow = await ledger.record(invitation({ jobSeq: 2 }), 5)
        expect(nextRow.id).not.toBe(first.id)
        expect((await ledger.list('m1', {}, { limit: 10, offset: 0 })).total).toBe(2)
      })

      it('concurrent records of one job row create one invitation', async () => {
        const { ledger } = setup()
        const results = await Promise.all(Array.from({ length: 8 }, () => ledger.record(invitation(), 5)))
        expect(new Set(results.map((r) => r.id)).size).toBe(1)
        expect(await eventCount()).toBe(1)
      })

      it('is not idempotent without both jobId and jobSeq, nor across portals', async () => {
        const { ledger } = setup()
        const a = await ledger.record(invitation({ jobId: null, jobSeq: null }), 5)
        const b = await ledger.record(invitation({ jobId: null, jobSeq: null }), 5)
        const c = await ledger.record(invitation({ jobSeq: null }), 5)
        const d = await ledger.record(invitation({ jobSeq: null }), 5)
        expect(new Set([a.id, b.id, c.id, d.id]).size).toBe(4)
        const mine = await ledger.record(invitation(), 5)
        const theirs = await ledger.record(invitation({ memberId: 'm2' }), 5)
        expect(theirs.id).not.toBe(mine.id)
        expect(theirs.memberId).toBe('m2')
      })

      it('rejects a state, source or target kind outside the schema', async () => {
        const { ledger } = setup()
        await expect(ledger.record(invitation({ state: 'lost' as never }), null)).rejects.toThrow()
        await expect(ledger.record(invitation({ source: 'pigeon' as never }), null)).rejects.toThrow()
        await expect(ledger.record(invitation({ target: { kind: 'guest' as never, departmentId: null, groupIds: [] } }), null)).rejects.toThrow()
        expect(await ledger.counts('m1')).toEqual(noCounts)
        expect(await eventCount()).toBe(0)
      })
    })

    describe('transition', () => {
      it('is a compare-and-set that records history in order', async () => {
        const { ledger } = setup()
        const inv = await ledger.record(invitation({ state: 'sent' }), 5)
        expect(await ledger.transition('m1', inv.id, ['accepted'], 'expired', T0 + 1, null)).toBe(false)
        expect(await ledger.transition('m1', inv.id, [], 'expired', T0 + 1, null)).toBe(false)
        expect(await ledger.transition('m1', inv.id, ['sent'], 'pending', T0 + 10, null, { reason: 'user.get confirmed' })).toBe(true)
        expect(await ledger.transition('m1', inv.id, ['sent'], 'pending', T0 + 11, null)).toBe(false)
        expect(await ledger.transition('m1', inv.id, ['sent', 'pending'], 'accepted', T0 + 20, 501)).toBe(true)
        expect(await ledger.get('m1', inv.id)).toMatchObject({ state: 'accepted', acceptedAt: T0 + 20, updatedAt: T0 + 20, sentAt: T0 })
        const history = await ledger.history('m1', inv.id)
        expect(history.map((e) => [e.from, e.to, e.at, e.actorUserId, e.detail])).toEqual([
          [null, 'sent', T0, 5, {}],
          ['sent', 'pending', T0 + 10, null, { reason: 'user.get confirmed' }],
          ['pending', 'accepted', T0 + 20, 501, {}],
        ])
        expect(history.every((e) => e.invitationId === inv.id)).toBe(true)
      })

      it('history is chronological by event time, then by insertion', async () => {
        const { ledger } = setup()
        const inv = await ledger.record(invitation(), 5) // at T0
        // A late-arriving fact stamped earlier than a transition already written.
        expect(await ledger.transition('m1', inv.id, ['pending'], 'revoked', T0 + 50, 1)).toBe(true)
        expect(await ledger.transition('m1', inv.id, ['revoked'], 'pending', T0 + 30, 1)).toBe(true)
        expect(await ledger.transition('m1', inv.id, ['pending'], 'expired', T0 + 30, null)).toBe(true)
        expect((await ledger.history('m1', inv.id)).map((e) => `${e.from}>${e.to}@${e.at - T0}`)).toEqual([
          'null>pending@0',
          'revoked>pending@30',
          'pending>expired@30',
          'pending>revoked@50',
        ])
      })

      it('sets sentAt when an unsent invitation becomes sent', async () => {
        const { ledger } = setup()
        const inv = await ledger.record(invitation({ state: 'failed', sentAt: null }), null)
        expect(await ledger.transition('m1', inv.id, ['failed'], 'sent', T0 + 5, 1)).toBe(true)
        expect((await ledger.get('m1', inv.id))?.sentAt).toBe(T0 + 5)
      })

      it('of concurrent transitions from one state, exactly one wins and one event is written', async () => {
        const { ledger } = setup()
        const inv = await ledger.record(invitation(), 5)
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => ledger.transition('m1', inv.id, ['pending'], i % 2 ? 'accepted' : 'revoked', T0 + i, i)),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
        const history = await ledger.history('m1', inv.id)
        expect(history).toHaveLength(2)
        expect((await ledger.get('m1', inv.id))?.state).toBe(history[1]!.to)
      })

      it('refuses another portal’s invitation and an unknown id', async () => {
        const { ledger } = setup()
        const theirs = await ledger.record(invitation({ memberId: 'm2' }), 5)
        expect(await ledger.transition('m1', theirs.id, ['pending'], 'revoked', T0, 1)).toBe(false)
        expect(await ledger.transition('m1', 'no-such-id', ['pending'], 'revoked', T0, 1)).toBe(false)
        expect((await ledger.get('m2', theirs.id))?.state).toBe('pending')
        expect(await ledger.history('m2', theirs.id)).toHaveLength(1)
      })
    })

    describe('queries', () => {
      const seed = async () => {
        const { clock, ledger } = setup()
        const rows: Array<Partial<NewInvitation>> = [
          { email: 'anna@alpha.test', name: 'Anna', lastName: 'Smith', state: 'pending', source: 'wizard', invitedBy: 1, templateId: 't1', sentAt: T0 },
          { email: 'boris@beta.test', name: 'Борис', lastName: 'Иванов', state: 'accepted', source: 'group_tab', invitedBy: 2, templateId: 't1', sentAt: T0 + DAY },
          { email: 'IVAN@Gamma.test', name: 'Иван', lastName: 'Сидоров', state: 'pending', source: 'robot', invitedBy: null, templateId: null, sentAt: T0 + 2 * DAY },
          { email: null, phone: '+79160000000', name: 'Мария', lastName: null, state: 'failed', source: 'join_link', invitedBy: 1, templateId: 't2', sentAt: null },
          { email: 'percent_100%@delta.test', name: null, lastName: null, state: 'expired', source: 'wizard', invitedBy: 2, templateId: 't2', sentAt: T0 + 3 * DAY },
        ]
        const made = []
        for (const [i, row] of rows.entries()) {
          made.push(await ledger.record(invitation({ ...row, jobSeq: i + 1, userId: 100 + i }), 1))
          clock.advance(1_000)
        }
        await ledger.record(invitation({ memberId: 'm2', name: 'Anna', email: 'anna@alpha.test' }), 1)
        return { ledger, made }
      }
      const names = (rows: Array<{ email: string | null; phone: string | null }>) => rows.map((r) => r.email ?? r.phone)

      it('lists newest first by default, oldest first on request, with paging and a total', async () => {
        const { ledger, made } = await seed()
        const all = made.map((r) => r.email ?? r.phone)
        const page1 = await ledger.list('m1', {}, { limit: 2, offset: 0 })
        expect(page1.total).toBe(5)
        expect(names(page1.rows)).toEqual([all[4], all[3]])
        const page3 = await ledger.list('m1', {}, { limit: 2, offset: 4 })
        expect(names(page3.rows)).toEqual([all[0]])
        expect(page3.total).toBe(5)
        expect(names((await ledger.list('m1', {}, { limit: 3, offset: 1, order: 'oldest' })).rows)).toEqual(all.slice(1, 4))
        expect(await ledger.list('m1', {}, { limit: 10, offset: 10 })).toEqual({ rows: [], total: 5 })
        expect(await ledger.list('m1', {}, { limit: 0, offset: 0 })).toEqual({ rows: [], total: 5 })
      })

      it('filters by state, template, inviter, source and sending time, combined with AND', async () => {
        const { ledger } = await seed()
        const q = async (filter: Parameters<typeof ledger.list>[1]) => {
          const { rows, total } = await ledger.list('m1', filter, { limit: 10, offset: 0, order: 'oldest' })
          expect(total).toBe(rows.length)
          return names(rows)
        }
        expect(await q({ states: ['pending'] })).toEqual(['anna@alpha.test', 'IVAN@Gamma.test'])
        expect(await q({ states: ['failed', 'expired'] })).toEqual(['+79160000000', 'percent_100%@delta.test'])
        expect(await q({ states: [] })).toEqual([])
        expect(await q({ templateId: 't2' })).toEqual(['+79160000000', 'percent_100%@delta.test'])
        expect(await q({ invitedBy: 1 })).toEqual(['anna@alpha.test', '+79160000000'])
        expect(await q({ source: 'robot' })).toEqual(['IVAN@Gamma.test'])
        expect(await q({ sentAfter: T0 + DAY })).toEqual(['boris@beta.test', 'IVAN@Gamma.test', 'percent_100%@delta.test'])
        expect(await q({ sentBefore: T0 + DAY })).toEqual(['anna@alpha.test'])
        expect(await q({ sentAfter: T0 + DAY, sentBefore: T0 + 3 * DAY })).toEqual(['boris@beta.test', 'IVAN@Gamma.test'])
        expect(await q({ templateId: 't1', states: ['accepted'], invitedBy: 2, source: 'group_tab' })).toEqual(['boris@beta.test'])
        expect(await q({ templateId: 't1', source: 'robot' })).toEqual([])
      })

      it('search is a case-insensitive substring of email, name or last name, Cyrillic included', async () => {
        const { ledger } = await seed()
        const search = async (text: string) => names((await ledger.list('m1', { search: text }, { limit: 10, offset: 0, order: 'oldest' })).rows)
        expect(await search('ANNA')).toEqual(['anna@alpha.test'])
        expect(await search('gamma')).toEqual(['IVAN@Gamma.test'])
        expect(await search('иван')).toEqual(['boris@beta.test', 'IVAN@Gamma.test']) // Иванов, Иван
        expect(await search('СИДОР')).toEqual(['IVAN@Gamma.test'])
        expect(await search('мари')).toEqual(['+79160000000'])
        expect(await search('иван сидоров')).toEqual(['IVAN@Gamma.test'])
        // LIKE wildcards are literal.
        expect(await search('%')).toEqual(['percent_100%@delta.test'])
        expect(await search('a_ph')).toEqual([]) // as a wildcard it would match 'alph'
        expect(await search('_100')).toEqual(['percent_100%@delta.test'])
        expect(await search('nobody')).toEqual([])
        expect(await search('   ')).toHaveLength(5)
        const combined = await ledger.list('m1', { search: 'иван', states: ['accepted'] }, { limit: 10, offset: 0 })
        expect(combined.total).toBe(1)
      })

      it('counts every state of the portal only', async () => {
        const { ledger } = await seed()
        expect(await ledger.counts('m1')).toEqual({ ...noCounts, pending: 2, accepted: 1, failed: 1, expired: 1 })
        expect(await ledger.counts('m2')).toEqual({ ...noCounts, pending: 1 })
        expect(await ledger.counts('nobody')).toEqual(noCounts)
      })

      it('finds by user id and by email (any case), newest first, within the portal', async () => {
        const { ledger, made } = await seed()
        expect((await ledger.findByUserId('m1', 102)).map((r) => r.id)).toEqual([made[2]!.id])
        expect((await ledger.findByEmail('m1', 'ivan@gamma.TEST')).map((r) => r.id)).toEqual([made[2]!.id])
        expect((await ledger.findByEmail('m1', ' anna@alpha.test '))).toHaveLength(1)
        expect(await ledger.findByEmail('m1', '')).toEqual([])
        const again = await ledger.record(invitation({ email: 'anna@ALPHA.test', jobSeq: 99 }), 1)
        expect((await ledger.findByEmail('m1', 'anna@alpha.test')).map((r) => r.id)[0]).toBe(again.id)
        expect(await ledger.findByUserId('m1', 999)).toEqual([])
      })

      it('portal A never sees portal B’s invitations', async () => {
        const { ledger } = await seed()
        const [theirs] = (await ledger.list('m2', {}, { limit: 10, offset: 0 })).rows
        expect(await ledger.get('m1', theirs!.id)).toBeUndefined()
        expect(await ledger.history('m1', theirs!.id)).toEqual([])
        expect((await ledger.list('m1', { search: 'anna' }, { limit: 10, offset: 0 })).total).toBe(1)
        expect(await ledger.findByUserId('m2', 102)).toEqual([])
        expect(await ledger.findByEmail('m2', 'ivan@gamma.test')).toEqual([])
      })
    })

    describe('reminders and expiry', () => {
      it('duePending follows the template’s reminder days after sending, then stops', async () => {
        const { ledger } = setup()
        const templates = createTemplateStore(current())
        const template = await templates.create({
          memberId: 'm1', name: 'T', kind: 'intranet', texts: { ru: '', en: '' }, defaultLang: 'en',
          departmentId: null, groupIds: [], reminderDays: [7, 3], expireAfterDays: null, createdBy: 1,
        })
        const inv = await ledger.record(invitation({ templateId: template.id }), 1)
        // A later edit of the template does not change a schedule already running.
        await templates.update('m1', template.id, { reminderDays: [1] })
        expect(await ledger.duePending('m1', T0 + 3 * DAY - 1, 10)).toEqual([])
        expect((await ledger.duePending('m1', T0 + 3 * DAY, 10)).map((i) => i.id)).toEqual([inv.id])
        await ledger.noteReminder('m1', inv.id, T0 + 3 * DAY + 5)
        expect(await ledger.get('m1', inv.id)).toMatchObject({ remindersSent: 1, lastReminderAt: T0 + 3 * DAY + 5 })
        expect(await ledger.duePending('m1', T0 + 7 * DAY - 1, 10)).toEqual([])
        expect(await ledger.duePending('m1', T0 + 7 * DAY, 10)).toHaveLength(1)
        await ledger.noteReminder('m1', inv.id, T0 + 7 * DAY)
        expect(await ledger.duePending('m1', T0 + 365 * DAY, 10)).toEqual([])
        expect((await ledger.get('m1', inv.id))?.remindersSent).toBe(2)
      })

      it('a failed row recorded again after a successful retry moves on, keeping one entry and its history', async () => {
        const { ledger } = setup()
        const failed = await ledger.record(invitation({ state: 'failed', userId: null, sentAt: null, jobSeq: 7 }), 1, { detail: { code: 'E' } })
        expect(await ledger.record(invitation({ state: 'failed', userId: null, sentAt: null, jobSeq: 7 }), 1)).toMatchObject({ id: failed.id, state: 'failed' })
        const ok = await ledger.record(invitation({ state: 'pending', userId: 77, sentAt: T0 + 5, jobSeq: 7 }), 1)
        expect(ok).toMatchObject({ id: failed.id, state: 'pending', userId: 77, sentAt: T0 + 5 })
        expect((await ledger.history('m1', failed.id)).map((h) => [h.from, h.to])).toEqual([[null, 'failed'], ['failed', 'pending']])
        // Once it moved on, another record changes nothing.
        expect(await ledger.record(invitation({ state: 'failed', userId: null, jobSeq: 7 }), 1)).toMatchObject({ state: 'pending', userId: 77 })
        expect((await ledger.list('m1', {}, { limit: 10, offset: 0 })).total).toBe(1)
      })

      it('deferReminder moves the schedule on without counting a reminder', async () => {
        const { ledger } = setup()
        const inv = await ledger.record(invitation({ jobSeq: 9 }), 1, { reminderDays: [3, 7] })
        await ledger.deferReminder('m1', inv.id, T0 + 3 * DAY)
        expect(await ledger.get('m1', inv.id)).toMatchObject({ remindersSent: 0, lastReminderAt: null })
        expect(await ledger.duePending('m1', T0 + 7 * DAY - 1, 10)).toEqual([])
        expect(await ledger.duePending('m1', T0 + 7 * DAY, 10)).toHaveLength(1)
        await ledger.deferReminder('m1', inv.id, T0 + 7 * DAY)
        expect(await ledger.duePending('m1', T0 + 365 * DAY, 10)).toEqual([])
        await ledger.deferReminder('m1', '00000000-0000-0000-0000-000000000000', T0)
      })

      it('membersWithDue names each portal with due work once, and only outstanding invitations count', async () => {
        const { ledger } = setup()
        await ledger.record(invitation({ memberId: 'm2', expiresAt: T0 + DAY }), 1)
        await ledger.record(invitation({ memberId: 'm1' }), 1, { reminderDays: [3] })
        await ledger.record(invitation({ memberId: 'm1', email: 'b@x.test', jobSeq: 2 }), 1, { reminderDays: [1] })
        const done = await ledger.record(invitation({ memberId: 'm3', expiresAt: T0 + DAY }), 1)
        await ledger.transition('m3', done.id, ['pending', 'sent'], 'accepted', T0 + 1, null)
        expect(await ledger.membersWithDue(T0, 10)).toEqual([])
        expect(await ledger.membersWithDue(T0 + DAY, 10)).toEqual(['m1', 'm2'])
        expect(await ledger.membersWithDue(T0 + DAY, 1)).toEqual(['m1'])
        expect(await ledger.membersWithDue(T0 + DAY, 0)).toEqual([])
        expect(await ledger.membersWithOutstanding(10)).toEqual(['m1', 'm2'])
        expect(await ledger.membersWithOutstanding(1)).toEqual(['m1'])
      })

      it('a late reminder does not replay the ones that were missed', async () => {
        const { ledger } = setup()
        const inv = await ledger.record(invitation(), 1, { reminderDays: [3, 7] })
        await ledger.noteReminder('m1', inv.id, T0 + 10 * DAY)
        expect(await ledger.duePending('m1', T0 + 365 * DAY, 10)).toEqual([])
        await expect(ledger.noteReminder('m1', 'no-such-id', T0)).resolves.toBeUndefined()
      })

      it('duePending returns outstanding invitations past expiresAt, most overdue first, never settled ones', async () => {
        const { ledger } = setup()
        const late = await ledger.record(invitation({ jobSeq: 1, expiresAt: T0 + DAY }), 1)
        const later = await ledger.record(invitation({ jobSeq: 2, state: 'sent', expiresAt: T0 + 2 * DAY }), 1)
        const reminded = await ledger.record(invitation({ jobSeq: 3, sentAt: T0 - DAY }), 1, { reminderDays: [1] }) // due at T0
        await ledger.record(invitation({ jobSeq: 4, state: 'accepted', expiresAt: T0 }), 1, { reminderDays: [1] })
        await ledger.record(invitation({ jobSeq: 5, state: 'revoked', expiresAt: T0 }), 1)
        await ledger.record(invitation({ jobSeq: 6, expiresAt: T0 + 30 * DAY }), 1)
        await ledger.record(invitation({ memberId: 'm2', expiresAt: T0 }), 1)
        const due = await ledger.duePending('m1', T0 + 2 * DAY, 10)
        expect(due.map((i) => i.id)).toEqual([reminded.id, late.id, later.id])
        expect((await ledger.duePending('m1', T0 + 2 * DAY, 2)).map((i) => i.id)).toEqual([reminded.id, late.id])
        expect(await ledger.duePending('m1', T0 + 2 * DAY, 0)).toEqual([])
        // Once expired it is no longer due.
        expect(await ledger.transition('m1', late.id, ['pending', 'sent'], 'expired', T0 + 2 * DAY, null)).toBe(true)
        expect((await ledger.duePending('m1', T0 + 2 * DAY, 10)).map((i) => i.id)).toEqual([reminded.id, later.id])
      })

      it('without a template or reminder days nothing is ever due for a reminder', async () => {
        const { ledger } = setup()
        await ledger.record(invitation(), 1)
        await ledger.record(invitation({ jobSeq: 2, templateId: 'not-a-template' }), 1)
        expect(await ledger.duePending('m1', T0 + 365 * DAY, 10)).toEqual([])
      })
    })
  })
}
