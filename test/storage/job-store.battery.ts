import { describe, expect, it } from 'vitest'
import { createJobStore, type JobStore, type NewJob, type NewJobItem } from '../../server/storage/job-store.js'
import { manualClock, useDatabase, type OpenTestDatabase } from './battery-support.js'

const T0 = 1_700_000_000_000

const newJob = (overrides: Partial<NewJob> = {}): NewJob => ({
  memberId: 'm1',
  kind: 'bulk_invite',
  source: 'wizard',
  createdBy: 5,
  templateId: 'tpl-1',
  title: 'March hires',
  options: { messageLang: 'ru', expireAfterDays: 30, nested: { ok: true } },
  ...overrides,
})

const item = (i: number, overrides: Partial<NewJobItem> = {}): NewJobItem => ({
  email: `person${i}@example.test`,
  phone: null,
  payload: { EMAIL: `person${i}@example.test`, NAME: `Имя ${i}`, UF_DEPARTMENT: [1] },
  ...overrides,
})

const items = (n: number) => Array.from({ length: n }, (_, i) => item(i + 1))
const zero = { total: 0, queued: 0, sending: 0, invited: 0, skipped: 0, failed: 0 }

export function jobStoreBattery(open: OpenTestDatabase, backend: string): void {
  describe('JobStore', () => {
    const current = useDatabase(open)
    const setup = () => {
      const clock = manualClock(T0)
      return { clock, jobs: createJobStore(current(), clock.now) }
    }
    const countItems = async (jobId: string) =>
      Number(
        (
          await current()
            .db.selectFrom('invite_job_items')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('job_id', '=', jobId)
            .executeTakeFirstOrThrow()
        ).n,
      )

    describe('create and read', () => {
      it('creates a job with 10,000 items in one go', async () => {
        const { jobs } = setup()
        const input = items(10_000)
        input[9_999] = item(10_000, { state: 'skipped', errorCode: 'duplicate_email', errorMessage: 'Already in the portal' })
        const started = performance.now()
        const job = await jobs.create(newJob(), input)
        const ms = performance.now() - started
        console.log(`[${backend}] JobStore.create with 10,000 items: ${ms.toFixed(0)} ms`)
        expect(job.totals).toEqual({ ...zero, total: 10_000, queued: 9_999, skipped: 1 })
        expect(await countItems(job.id)).toBe(10_000)
        expect(await jobs.totals(job.id)).toEqual(job.totals)
        const last = await jobs.items('m1', job.id, { limit: 5, afterSeq: 9_997 })
        expect(last.map((i) => [i.seq, i.state, i.email])).toEqual([
          [9_998, 'queued', 'person9998@example.test'],
          [9_999, 'queued', 'person9999@example.test'],
          [10_000, 'skipped', 'person10000@example.test'],
        ])
        expect(last[2]).toMatchObject({ errorCode: 'duplicate_email', errorMessage: 'Already in the portal' })
        // seq is exactly 1..n.
        const seqs = await current().db.selectFrom('invite_job_items').select('seq').where('job_id', '=', job.id).orderBy('seq').execute()
        expect(seqs.every((row, i) => row.seq === i + 1)).toBe(true)
      }, 120_000)

      it('round-trips the job and its items', async () => {
        const { clock, jobs } = setup()
        const job = await jobs.create(newJob(), [item(1), item(2, { email: null, phone: '+79161234567' })])
        const expected = {
          ...newJob(),
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          status: 'queued',
          totals: { ...zero, total: 2, queued: 2 },
          createdAt: clock.now(),
          startedAt: null,
          finishedAt: null,
          updatedAt: clock.now(),
        }
        expect(job).toEqual(expected)
        expect(await jobs.get('m1', job.id)).toEqual(job)
        expect(await jobs.items('m1', job.id, { limit: 10 })).toEqual([
          {
            jobId: job.id, seq: 1, memberId: 'm1', state: 'queued', email: 'person1@example.test', phone: null, payload: item(1).payload,
            attempts: 0, nextAttemptAt: null, errorCode: null, errorMessage: null, userId: null, sendingSince: null, updatedAt: clock.now(),
          },
          expect.objectContaining({ seq: 2, email: null, phone: '+79161234567' }),
        ])
      })

      it('creates a job without items, with nullable fields null', async () => {
        const { jobs } = setup()
        const job = await jobs.create(newJob({ createdBy: null, templateId: null, source: 'robot', options: {} }), [])
        expect(job).toMatchObject({ createdBy: null, templateId: null, source: 'robot', options: {}, totals: zero })
      })

      it('refuses items that would start as sending or invited, and writes nothing', async () => {
        const { jobs } = setup()
        await expect(jobs.create(newJob(), [item(1), item(2, { state: 'sending' })])).rejects.toThrow(RangeError)
        await expect(jobs.create(newJob(), [item(1, { state: 'invited' })])).rejects.toThrow(RangeError)
        expect(await jobs.list('m1', { limit: 10 })).toEqual([])
      })

      it('is one transaction: a failing item insert leaves no job behind', async () => {
        const { jobs } = setup()
        // A source outside the CHECK fails the job insert; an unserialisable payload fails after it.
        await expect(jobs.create(newJob({ source: 'fax' as never }), items(3))).rejects.toThrow()
        await expect(jobs.create(newJob(), [...items(3000), item(3001, { payload: { n: 1n } })])).rejects.toThrow()
        await expect(jobs.create(newJob(), [item(1, { state: 'bogus' as never })])).rejects.toThrow(RangeError)
        expect(await jobs.list('m1', { limit: 10 })).toEqual([])
        const left = await current().db.selectFrom('invite_job_items').select('seq').execute()
        expect(left).toEqual([])
      })

      it('lists newest first with a createdAt cursor and a limit', async () => {
        const { clock, jobs } = setup()
        const made = []
        for (let i = 0; i < 5; i++) {
          made.push(await jobs.create(newJob({ title: `job ${i}` }), items(i)))
          clock.advance(1_000)
        }
        const page1 = await jobs.list('m1', { limit: 2 })
        expect(page1.map((j) => j.title)).toEqual(['job 4', 'job 3'])
        expect(page1[0]!.totals.total).toBe(4)
        const page2 = await jobs.list('m1', { limit: 2, beforeCreatedAt: page1.at(-1)!.createdAt })
        expect(page2.map((j) => j.title)).toEqual(['job 2', 'job 1'])
        expect(page2.map((j) => j.totals.total)).toEqual([2, 1])
        expect((await jobs.list('m1', { limit: 10, beforeCreatedAt: made[0]!.createdAt }))).toEqual([])
        expect(await jobs.list('m1', { limit: 0 })).toEqual([])
      })
    })

    describe('status', () => {
      it('setStatus is a compare-and-set that stamps startedAt once and finishedAt at the end', async () => {
        const { clock, jobs } = setup()
        const job = await jobs.create(newJob(), items(2))
        expect(await jobs.setStatus('m1', job.id, ['running'], 'paused')).toBe(false)
        expect((await jobs.get('m1', job.id))?.status).toBe('queued')
        clock.advance(10)
        expect(await jobs.setStatus('m1', job.id, ['queued'], 'running')).toBe(true)
        expect(await jobs.get('m1', job.id)).toMatchObject({ status: 'running', startedAt: T0 + 10, finishedAt: null, updatedAt: T0 + 10 })
        clock.advance(10)
        expect(await jobs.setStatus('m1', job.id, ['running'], 'paused')).toBe(true)
        clock.advance(10)
        expect(await jobs.setStatus('m1', job.id, ['paused', 'queued'], 'running')).toBe(true)
        expect(await jobs.get('m1', job.id)).toMatchObject({ status: 'running', startedAt: T0 + 10, updatedAt: T0 + 30 })
        clock.advance(10)
        expect(await jobs.setStatus('m1', job.id, ['running'], 'completed')).toBe(true)
        expect(await jobs.get('m1', job.id)).toMatchObject({ status: 'completed', startedAt: T0 + 10, finishedAt: T0 + 40 })
        expect(await jobs.setStatus('m1', job.id, ['running', 'paused'], 'cancelled')).toBe(false)
        expect(await jobs.setStatus('m1', job.id, [], 'cancelled')).toBe(false)
        expect((await jobs.get('m1', job.id))?.status).toBe('completed')
      })

      it('cancel stamps finishedAt; a job cancelled before it ran has no startedAt', async () => {
        const { clock, jobs } = setup()
        const job = await jobs.create(newJob(), items(1))
        clock.advance(5)
        expect(await jobs.setStatus('m1', job.id, ['queued', 'running', 'paused'], 'cancelled')).toBe(true)
        expect(await jobs.get('m1', job.id)).toMatchObject({ status: 'cancelled', startedAt: null, finishedAt: T0 + 5 })
      })

      it('of concurrent setStatus calls with the same from, exactly one wins', async () => {
        const { jobs } = setup()
        const peer = createJobStore(await current().openPeer())
        const job = await jobs.create(newJob(), items(1))
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? peer : jobs).setStatus('m1', job.id, ['queued'], 'running')))
        expect(results.filter(Boolean)).toHaveLength(1)
      })

      it('runnable lists the portal’s running jobs, and stopped ones with rows in flight, oldest first', async () => {
        const { clock, jobs } = setup()
        const a = await jobs.create(newJob({ title: 'a' }), items(1))
        clock.advance(1)
        const b = await jobs.create(newJob({ title: 'b' }), items(2))
        clock.advance(1)
        const c = await jobs.create(newJob({ title: 'c' }), items(1))
        const other = await jobs.create(newJob({ memberId: 'm2' }), items(1))
        for (const j of [b, a, other]) await jobs.setStatus(j.memberId, j.id, ['queued'], 'running')
        await jobs.setStatus('m1', c.id, ['queued'], 'paused')
        const runnable = await jobs.runnable('m1')
        expect(runnable.map((j) => j.title)).toEqual(['a', 'b'])
        expect(runnable[1]!.totals).toEqual({ ...zero, total: 2, queued: 2 })
        expect(await jobs.runnable('nobody')).toEqual([])
        // A paused or cancelled job with a row left 'sending' still needs a worker (to reconcile it).
        await jobs.setStatus('m1', c.id, ['paused'], 'running')
        await jobs.markSending(c.id, [1], T0)
        await jobs.setStatus('m1', c.id, ['running'], 'cancelled')
        expect((await jobs.runnable('m1')).map((j) => j.title)).toEqual(['a', 'b', 'c'])
        await jobs.settle(c.id, [{ seq: 1, state: 'skipped', errorCode: 'cancelled' }], T0)
        expect((await jobs.runnable('m1')).map((j) => j.title)).toEqual(['a', 'b'])
      })
    })

    describe('item state machine', () => {
      const started = async (jobs: JobStore, n = 10) => {
        const job = await jobs.create(newJob(), items(n))
        await jobs.setStatus('m1', job.id, ['queued'], 'running')
        return job
      }

      it('markSending moves only queued items, counts the attempt and stamps sendingSince', async () => {
        const { jobs } = setup()
        const job = await jobs.create(newJob(), [...items(3), item(4, { state: 'skipped' })])
        expect(await jobs.markSending(job.id, [1, 2], T0 + 5)).toEqual([1, 2])
        // 1 is already sending, 4 was skipped up front, 99 does not exist.
        expect(await jobs.markSending(job.id, [1, 3, 4, 99], T0 + 6)).toEqual([3])
        expect(await jobs.markSending(job.id, [], T0 + 7)).toEqual([])
        const rows = await jobs.items('m1', job.id, { limit: 10 })
        expect(rows.map((i) => [i.seq, i.state, i.attempts, i.sendingSince])).toEqual([
          [1, 'sending', 1, T0 + 5],
          [2, 'sending', 1, T0 + 5],
          [3, 'sending', 1, T0 + 6],
          [4, 'skipped', 0, null],
        ])
        expect(await jobs.totals(job.id)).toEqual({ ...zero, total: 4, sending: 3, skipped: 1 })
      })

      it('two concurrent markSending calls (two app instances) on the same seqs move each seq once', async () => {
        const { jobs } = setup()
        const peer = createJobStore(await current().openPeer())
        const job = await started(jobs, 200)
        const all = Array.from({ length: 200 }, (_, i) => i + 1)
        for (const round of [all.slice(0, 100), all.slice(100)]) {
          const [a, b] = await Promise.all([jobs.markSending(job.id, round, T0), peer.markSending(job.id, [...round].reverse(), T0)])
          expect(a.filter((s) => b.includes(s))).toEqual([])
          expect([...a, ...b].sort((x, y) => x - y)).toEqual(round)
        }
        const rows = await jobs.items('m1', job.id, { limit: 500 })
        expect(rows.every((i) => i.state === 'sending' && i.attempts === 1)).toBe(true)
      })

      it('settle touches only items currently sending', async () => {
        const { jobs } = setup()
        const job = await started(jobs, 5)
        await jobs.markSending(job.id, [1, 2, 3, 4], T0)
        await jobs.settle(
          job.id,
          [
            { seq: 1, state: 'invited', userId: 501 },
            { seq: 2, state: 'skipped', errorCode: 'exists', errorMessage: 'User exists' },
            { seq: 3, state: 'failed', errorCode: 'ERROR_CORE', errorMessage: 'Portal said no' },
            { seq: 4, state: 'queued', errorCode: 'QUERY_LIMIT_EXCEEDED', errorMessage: 'slow down', nextAttemptAt: T0 + 60_000 },
            { seq: 5, state: 'invited', userId: 999 }, // still queued: ignored
          ],
          T0 + 100,
        )
        const rows = await jobs.items('m1', job.id, { limit: 10 })
        expect(rows.map((i) => [i.seq, i.state, i.userId, i.errorCode, i.nextAttemptAt, i.sendingSince, i.attempts])).toEqual([
          [1, 'invited', 501, null, null, null, 1],
          [2, 'skipped', null, 'exists', null, null, 1],
          [3, 'failed', null, 'ERROR_CORE', null, null, 1],
          [4, 'queued', null, 'QUERY_LIMIT_EXCEEDED', T0 + 60_000, null, 1],
          [5, 'queued', null, null, null, null, 0],
        ])
        expect(rows[0]!.updatedAt).toBe(T0 + 100)
        // A second settle of finished items changes nothing.
        await jobs.settle(job.id, [{ seq: 1, state: 'failed', errorCode: 'late' }, { seq: 3, state: 'invited', userId: 7 }], T0 + 200)
        const again = await jobs.items('m1', job.id, { limit: 2 })
        expect(again.map((i) => [i.state, i.userId, i.errorCode])).toEqual([
          ['invited', 501, null],
          ['skipped', null, 'exists'],
        ])
        expect((await jobs.items('m1', job.id, { states: ['failed'], limit: 10 })).map((i) => i.seq)).toEqual([3])
        expect(await jobs.totals(job.id)).toEqual({ total: 5, queued: 2, sending: 0, invited: 1, skipped: 1, failed: 1 })
      })

      it('settle refuses an outcome state it does not know, writing nothing', async () => {
        const { jobs } = setup()
        const job = await started(jobs, 2)
        await jobs.markSending(job.id, [1, 2], T0)
        await expect(jobs.settle(job.id, [{ seq: 1, state: 'invited', userId: 1 }, { seq: 2, state: 'sending' as never }], T0)).rejects.toThrow(RangeError)
        expect(await jobs.totals(job.id)).toEqual({ ...zero, total: 2, sending: 2 })
      })

      it('due returns queued items by seq, honouring nextAttemptAt and the limit', async () => {
        const { jobs } = setup()
        const job = await started(jobs, 6)
        await jobs.markSending(job.id, [1, 2, 3], T0)
        await jobs.settle(job.id, [
          { seq: 1, state: 'queued', nextAttemptAt: T0 + 1_000 },
          { seq: 2, state: 'queued', nextAttemptAt: null },
          { seq: 3, state: 'invited', userId: 3 },
        ], T0)
        expect((await jobs.due(job.id, T0 + 999, 10)).map((i) => i.seq)).toEqual([2, 4, 5, 6])
        expect((await jobs.due(job.id, T0 + 1_000, 10)).map((i) => i.seq)).toEqual([1, 2, 4, 5, 6])
        expect((await jobs.due(job.id, T0 + 1_000, 2)).map((i) => i.seq)).toEqual([1, 2])
        expect(await jobs.due(job.id, T0 + 1_000, 0)).toEqual([])
        expect(await jobs.due('no-such-job', T0, 10)).toEqual([])
      })

      it('a retried item counts every attempt', async () => {
        const { jobs } = setup()
        const job = await started(jobs, 1)
        for (let attempt = 1; attempt <= 3; attempt++) {
          expect(await jobs.markSending(job.id, [1], T0 + attempt)).toEqual([1])
          await jobs.settle(job.id, [{ seq: 1, state: 'queued', nextAttemptAt: T0 }], T0 + attempt)
        }
        expect((await jobs.due(job.id, T0, 1))[0]).toMatchObject({ attempts: 3 })
      })

      it('inFlight lists the items left in sending', async () => {
        const { jobs } = setup()
        const job = await started(jobs, 4)
        await jobs.markSending(job.id, [4, 2], T0 + 9)
        expect((await jobs.inFlight(job.id)).map((i) => [i.seq, i.sendingSince])).toEqual([
          [2, T0 + 9],
          [4, T0 + 9],
        ])
        await jobs.settle(job.id, [{ seq: 2, state: 'invited', userId: 1 }], T0)
        expect((await jobs.inFlight(job.id)).map((i) => i.seq)).toEqual([4])
      })

      it('skipQueued ends the queued rows of a cancelled job and leaves rows in flight alone', async () => {
        const { jobs } = setup()
        const job = await started(jobs, 4)
        await jobs.markSending(job.id, [1], T0)
        expect(await jobs.skipQueued('m2', job.id, 'Cancelled')).toBe(0)
        expect(await jobs.skipQueued('m1', job.id, 'Cancelled')).toBe(3)
        expect(await jobs.totals(job.id)).toEqual({ ...zero, total: 4, sending: 1, skipped: 3 })
        const [row] = await jobs.items('m1', job.id, { states: ['skipped'], limit: 1 })
        expect([row!.errorCode, row!.errorMessage]).toEqual(['cancelled', 'Cancelled'])
      })

      it('settledSince counts items that were sent and settled in the window, not rows skipped up front', async () => {
        const { jobs } = setup()
        const job = await jobs.create(newJob(), [
          { email: 'x@a.test', phone: null, payload: {}, state: 'skipped', errorCode: 'excluded' },
          { email: 'y@a.test', phone: null, payload: {} },
          { email: 'z@a.test', phone: null, payload: {} },
          { email: 'w@a.test', phone: null, payload: {} },
        ])
        await jobs.markSending(job.id, [2, 3, 4], T0)
        await jobs.settle(job.id, [{ seq: 2, state: 'invited', userId: 2 }], T0 + 10)
        await jobs.settle(job.id, [{ seq: 3, state: 'failed', errorCode: 'E' }, { seq: 4, state: 'queued', nextAttemptAt: T0 + 99 }], T0 + 20)
        expect(await jobs.settledSince(job.id, T0)).toBe(2)
        expect(await jobs.settledSince(job.id, T0 + 11)).toBe(1)
        expect(await jobs.settledSince(job.id, T0 + 21)).toBe(0)
        expect(await jobs.settledSince('00000000-0000-0000-0000-000000000000', 0)).toBe(0)
      })

      it('requeueFailed puts failed rows back, keeping attempts and clearing errors', async () => {
        const { jobs } = setup()
        const job = await started(jobs, 4)
        await jobs.markSending(job.id, [1, 2, 3], T0)
        await jobs.settle(job.id, [
          { seq: 1, state: 'failed', errorCode: 'E1', errorMessage: 'one' },
          { seq: 2, state: 'failed', errorCode: 'E2', errorMessage: 'two' },
          { seq: 3, state: 'invited', userId: 3 },
        ], T0)
        expect(await jobs.requeueFailed('m2', job.id)).toBe(0)
        expect(await jobs.requeueFailed('m1', job.id)).toBe(2)
        expect(await jobs.requeueFailed('m1', job.id)).toBe(0)
        const rows = await jobs.items('m1', job.id, { states: ['queued'], limit: 10 })
        expect(rows.map((i) => [i.seq, i.attempts, i.errorCode, i.errorMessage, i.nextAttemptAt])).toEqual([
          [1, 1, null, null, null],
          [2, 1, null, null, null],
          [4, 0, null, null, null],
        ])
        expect(await jobs.totals(job.id)).toEqual({ ...zero, total: 4, queued: 3, invited: 1 })
      })

      it('items filters by state and pages by seq', async () => {
        const { jobs } = setup()
        const job = await started(jobs, 7)
        await jobs.markSending(job.id, [2, 4, 6], T0)
        expect((await jobs.items('m1', job.id, { states: ['sending'], limit: 2 })).map((i) => i.seq)).toEqual([2, 4])
        expect((await jobs.items('m1', job.id, { states: ['sending'], limit: 2, afterSeq: 4 })).map((i) => i.seq)).toEqual([6])
        expect((await jobs.items('m1', job.id, { states: ['queued', 'sending'], limit: 3, afterSeq: 3 })).map((i) => i.seq)).toEqual([4, 5, 6])
        expect(await jobs.items('m1', job.id, { states: [], limit: 10 })).toEqual([])
        expect(await jobs.items('m1', job.id, { limit: 0 })).toEqual([])
      })

      it('totals of an unknown job are zero', async () => {
        const { jobs } = setup()
        expect(await jobs.totals('no-such-job')).toEqual(zero)
      })
    })

    it('portal A never sees or changes portal B’s jobs and items', async () => {
      const { jobs } = setup()
      const theirs = await jobs.create(newJob({ memberId: 'm2' }), items(3))
      await jobs.markSending(theirs.id, [1], T0)
      await jobs.settle(theirs.id, [{ seq: 1, state: 'failed', errorCode: 'x' }], T0)
      expect(await jobs.get('m1', theirs.id)).toBeUndefined()
      expect(await jobs.list('m1', { limit: 10 })).toEqual([])
      expect(await jobs.items('m1', theirs.id, { limit: 10 })).toEqual([])
      expect(await jobs.setStatus('m1', theirs.id, ['queued'], 'running')).toBe(false)
      expect(await jobs.requeueFailed('m1', theirs.id)).toBe(0)
      expect(await jobs.runnable('m1')).toEqual([])
      expect(await jobs.get('m2', theirs.id)).toMatchObject({ status: 'queued', totals: { ...zero, total: 3, queued: 2, failed: 1 } })
    })
  })
}
