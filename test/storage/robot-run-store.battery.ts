import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createJobStore } from '../../server/storage/job-store.js'
import { createRobotRunStore, type NewRobotRun, type RobotRun, type RobotRunStore, type RunDecision } from '../../server/storage/robot-run-store.js'
import { createSecretBox } from '../../server/trust/secret-box.js'
import { useDatabase, type OpenTestDatabase } from './battery-support.js'

const T0 = 1_700_000_000_000
const MIN = 60_000
const DAY = 86_400_000

const box = createSecretBox([{ id: 'test', key: Buffer.alloc(32, 7) }])

let serial = 0
/** A new delivery: its own event token (and hash) unless the test names one. */
const delivery = (overrides: Partial<NewRobotRun> = {}): NewRobotRun => {
  serial++
  return {
    memberId: 'm1',
    robotCode: 'invite_user',
    workflowId: 'wf-1',
    eventToken: `event-token-${serial}|secret`,
    eventTokenHash: `hash-${serial}`,
    documentId: ['crm', 'CCrmDocumentDeal', 'DEAL_123'],
    documentType: ['crm', 'CCrmDocumentDeal', 'DEAL'],
    properties: { EMAIL: 'ann@example.com', NAME: 'Анна', GROUP_ID: 7 },
    useSubscription: true,
    authUserId: 1,
    portalTimeoutAt: T0 + DAY,
    email: 'ann@example.com',
    ...overrides,
  }
}

const invited = (returnValues: RunDecision['returnValues'] = { USER_ID: 501 }): RunDecision => ({ outcome: 'invited', userId: 501, returnValues })
const failed = (errorText = 'Portal said no'): RunDecision => ({ outcome: 'failed', errorText, returnValues: { ERROR: errorText } })

export function robotRunStoreBattery(open: OpenTestDatabase): void {
  describe('RobotRunStore', () => {
    const current = useDatabase(open)
    const setup = () => createRobotRunStore(current(), box)
    /** A second app instance on PostgreSQL; on SQLite the same store (two connections in one process cannot interleave writes). */
    const peerOf = async (store: RobotRunStore) => (current().dialect === 'postgres' ? createRobotRunStore(await current().openPeer(), box) : store)
    const raw = (id: string) => current().db.selectFrom('robot_runs').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    const rowCount = async () => Number((await current().db.selectFrom('robot_runs').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
    const add = async (store: RobotRunStore, overrides: Partial<NewRobotRun> = {}, now = T0) => (await store.insert(delivery(overrides), now)).run
    /** A run moved to 'dispatching' under a job of its own. */
    const dispatching = async (store: RobotRunStore, overrides: Partial<NewRobotRun> = {}, now = T0) => {
      const run = await add(store, overrides, now)
      const [claimed] = await store.claimReceived(run.memberId, randomUUID(), now, 1)
      expect(claimed?.id).toBe(run.id)
      return claimed!
    }
    /** A run decided at `now`: its reply (when useSubscription) is due from then. */
    const decided = async (store: RobotRunStore, overrides: Partial<NewRobotRun> = {}, now = T0, d: RunDecision = invited()) => {
      const run = await dispatching(store, overrides, now)
      expect(await store.decide(run.memberId, run.id, ['dispatching'], d, now)).toBe(true)
      return (await store.get(run.memberId, run.id))!
    }
    const waiting = async (store: RobotRunStore, who: { email: string | null; userId: number | null; waitUntil: number }, overrides: Partial<NewRobotRun> = {}, now = T0) => {
      const run = await dispatching(store, { robotCode: 'wait_acceptance', ...overrides }, now)
      expect(await store.markWaiting(run.memberId, run.id, who, now)).toBe(true)
      return (await store.get(run.memberId, run.id))!
    }
    const ids = (runs: RobotRun[]) => runs.map((r) => r.id)

    describe('insert and read', () => {
      it('inserts a received run and reads it back field by field', async () => {
        const store = setup()
        const input = delivery({ eventToken: 'tok-abc', eventTokenHash: 'h-abc' })
        const { run, duplicate } = await store.insert(input, T0)
        expect(duplicate).toBe(false)
        expect(run).toEqual({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          memberId: 'm1',
          robotCode: 'invite_user',
          workflowId: 'wf-1',
          eventToken: 'tok-abc',
          document: 'DEAL_123',
          documentId: ['crm', 'CCrmDocumentDeal', 'DEAL_123'],
          documentType: ['crm', 'CCrmDocumentDeal', 'DEAL'],
          properties: { EMAIL: 'ann@example.com', NAME: 'Анна', GROUP_ID: 7 },
          useSubscription: true,
          authUserId: 1,
          email: 'ann@example.com',
          userId: null,
          state: 'received',
          outcome: null,
          errorText: null,
          returnValues: null,
          jobId: null,
          jobSeq: null,
          admittedAt: null,
          waitUntil: null,
          portalTimeoutAt: T0 + DAY,
          reply: 'pending',
          replyAttempts: 0,
          replyNextAt: null,
          replyError: null,
          createdAt: T0,
          updatedAt: T0,
          decidedAt: null,
          repliedAt: null,
        })
        expect(await store.get('m1', run.id)).toEqual(run)
        expect(await store.get('m2', run.id)).toBeUndefined()
        expect(await store.get('m1', randomUUID())).toBeUndefined()
      })

      it('no subscription: reply none; nulls kept; document falls back to the joined id', async () => {
        const store = setup()
        const run = await add(store, { useSubscription: false, authUserId: null, portalTimeoutAt: null, email: null, documentId: ['lists', 'BizprocDocument'], properties: {} })
        expect(run).toMatchObject({ useSubscription: false, reply: 'none', authUserId: null, portalTimeoutAt: null, email: null, document: 'lists:BizprocDocument', properties: {} })
        expect(await store.get('m1', run.id)).toEqual(run)
      })

      it('is idempotent per (memberId, workflowId, eventTokenHash): the repeat returns the first run with duplicate = true', async () => {
        const store = setup()
        const first = await store.insert(delivery({ eventToken: 'tok-1', eventTokenHash: 'h-1' }), T0)
        const again = await store.insert(delivery({ eventToken: 'tok-1-again', eventTokenHash: 'h-1', robotCode: 'add_to_group', properties: { X: 1 }, email: 'bob@example.com' }), T0 + MIN)
        expect(again).toEqual({ run: first.run, duplicate: true })
        expect(await rowCount()).toBe(1)
        // The first run stays as it moved on: the repeat returns its current state.
        await store.claimReceived('m1', randomUUID(), T0 + 2 * MIN, 10)
        const third = await store.insert(delivery({ eventToken: 'tok-1', eventTokenHash: 'h-1' }), T0 + 3 * MIN)
        expect(third.duplicate).toBe(true)
        expect(third.run).toMatchObject({ id: first.run.id, state: 'dispatching', createdAt: T0, updatedAt: T0 + 2 * MIN })
        // Any part of the key differing makes a new run.
        const otherWorkflow = await store.insert(delivery({ eventTokenHash: 'h-1', workflowId: 'wf-2' }), T0)
        const otherMember = await store.insert(delivery({ eventTokenHash: 'h-1', memberId: 'm2' }), T0)
        const otherHash = await store.insert(delivery({ eventTokenHash: 'h-2' }), T0)
        for (const x of [otherWorkflow, otherMember, otherHash]) {
          expect(x.duplicate).toBe(false)
          expect(x.run.id).not.toBe(first.run.id)
        }
        expect(await rowCount()).toBe(4)
      })

      it('of concurrent deliveries of one call, exactly one makes the run and all return it', async () => {
        const store = setup()
        const peer = await peerOf(store)
        const input = delivery()
        const results = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? peer : store).insert({ ...input }, T0 + i)))
        expect(results.filter((r) => !r.duplicate)).toHaveLength(1)
        expect(new Set(results.map((r) => r.run.id)).size).toBe(1)
        expect(await rowCount()).toBe(1)
      })

      it('stores the event token encrypted and the hash as given; reads it back decrypted', async () => {
        const store = setup()
        const token = 'a1b2c3-event-token-PLAIN'
        const run = await add(store, { eventToken: token, eventTokenHash: 'keyed-hash-1' })
        const row = await raw(run.id)
        expect(row.event_token).not.toBe(token)
        expect(row.event_token).not.toContain(token)
        expect(row.event_token_hash).toBe('keyed-hash-1')
        expect(box.open(row.event_token)).toBe(token)
        expect((await store.get('m1', run.id))!.eventToken).toBe(token)
        expect((await store.list('m1', {}, { limit: 10, offset: 0 })).rows[0]!.eventToken).toBe(token)
        // Another key cannot open it.
        const stranger = createRobotRunStore(current(), createSecretBox([{ id: 'test', key: Buffer.alloc(32, 8) }]))
        await expect(stranger.get('m1', run.id)).rejects.toThrow()
      })
    })

    describe('dispatch', () => {
      it('claimReceived moves received → dispatching under the job id, oldest first, at most limit', async () => {
        const store = setup()
        const c = await add(store, {}, T0 + 2)
        const a = await add(store, {}, T0)
        const b = await add(store, {}, T0 + 1)
        const other = await add(store, { memberId: 'm2' }, T0)
        const job1 = randomUUID()
        const first = await store.claimReceived('m1', job1, T0 + MIN, 2)
        expect(ids(first)).toEqual([a.id, b.id])
        for (const r of first) expect(r).toMatchObject({ state: 'dispatching', jobId: job1, updatedAt: T0 + MIN, createdAt: expect.any(Number) })
        expect(await store.get('m1', a.id)).toEqual(first[0])
        const job2 = randomUUID()
        expect(ids(await store.claimReceived('m1', job2, T0 + MIN, 10))).toEqual([c.id])
        expect(await store.claimReceived('m1', randomUUID(), T0 + MIN, 10)).toEqual([])
        expect((await store.get('m2', other.id))!.state).toBe('received')
        // Claimed runs are not claimed again, not even under the same job id.
        expect(await store.claimReceived('m1', job1, T0 + 2 * MIN, 10)).toEqual([])
        expect(await store.get('m1', c.id)).toMatchObject({ state: 'dispatching', jobId: job2 })
      })

      it('claimReceived breaks createdAt ties by id', async () => {
        const store = setup()
        const made = [await add(store), await add(store), await add(store)]
        const claimed = await store.claimReceived('m1', randomUUID(), T0, 10)
        expect(ids(claimed)).toEqual(ids(made).sort())
      })

      it('concurrent claimers with different job ids never both get a run', async () => {
        const store = setup()
        const peer = await peerOf(store)
        const all = new Set<string>()
        for (let i = 0; i < 24; i++) all.add((await add(store, {}, T0 + i)).id)
        const jobs = Array.from({ length: 4 }, () => randomUUID())
        const rounds = await Promise.all(jobs.map((job, i) => (i % 2 ? peer : store).claimReceived('m1', job, T0 + MIN, 10)))
        const seen = new Map<string, string>()
        rounds.forEach((runs, i) => {
          for (const r of runs) {
            expect(seen.has(r.id)).toBe(false)
            seen.set(r.id, jobs[i]!)
            expect(r.jobId).toBe(jobs[i])
          }
          expect(runs.length).toBeLessThanOrEqual(10)
        })
        // What each claimer returned is what the table says.
        for (const [id, job] of seen) expect((await raw(id)).job_id).toBe(job)
        // The rest are still there for the next round; together every run is claimed exactly once.
        const rest = await store.claimReceived('m1', randomUUID(), T0 + 2 * MIN, 100)
        for (const r of rest) expect(seen.has(r.id)).toBe(false)
        expect(new Set([...seen.keys(), ...ids(rest)])).toEqual(all)
      })

      it('claimers racing with dispatchers that queue at once: each run is returned and queued exactly once', async () => {
        const store = setup()
        const peer = await peerOf(store)
        for (let round = 0; round < 3; round++) {
          const made: string[] = []
          for (let i = 0; i < 30; i++) made.push((await add(store, {}, T0 + round * DAY + i)).id)
          const jobs = Array.from({ length: 8 }, () => randomUUID())
          // Every claimer may read the same candidates; one that updates late must not take back runs already queued.
          const rounds = await Promise.all(
            jobs.map(async (job, i) => {
              const x = i % 2 ? peer : store
              const runs = await x.claimReceived('m1', job, T0 + round * DAY + MIN, 30)
              await x.markQueued('m1', job, runs.map((r, k) => ({ id: r.id, seq: k + 1 })), T0 + round * DAY + MIN)
              return runs
            }),
          )
          const got = rounds.flatMap(ids)
          expect(new Set(got).size).toBe(got.length)
          expect([...got].sort()).toEqual([...made].sort())
          for (const [i, runs] of rounds.entries()) {
            for (const [k, r] of runs.entries()) expect(await store.get('m1', r.id)).toMatchObject({ state: 'queued', jobId: jobs[i], jobSeq: k + 1 })
          }
        }
      })

      it('staleDispatching lists runs dispatching since before staleBefore; release gives them back', async () => {
        const store = setup()
        const job = randomUUID()
        const a = await add(store, {}, T0)
        const b = await add(store, {}, T0 + 1)
        await store.claimReceived('m1', job, T0 + MIN, 10)
        const late = await dispatching(store, {}, T0 + 5 * MIN)
        await dispatching(store, { memberId: 'm2' }, T0)
        expect(await store.staleDispatching('m1', T0 + MIN)).toEqual([])
        const stale = await store.staleDispatching('m1', T0 + MIN + 1)
        expect(ids(stale)).toEqual([a.id, b.id])
        for (const r of stale) expect(r).toMatchObject({ state: 'dispatching', jobId: job })
        expect(ids(await store.staleDispatching('m1', T0 + 5 * MIN + 1))).toEqual([a.id, b.id, late.id])

        await store.release('m1', [a.id, b.id], T0 + 10 * MIN)
        for (const id of [a.id, b.id]) expect(await store.get('m1', id)).toMatchObject({ state: 'received', jobId: null, updatedAt: T0 + 10 * MIN })
        expect(ids(await store.staleDispatching('m1', T0 + 5 * MIN + 1))).toEqual([late.id])
        // Released runs are claimed again, oldest first.
        expect(ids(await store.claimReceived('m1', randomUUID(), T0 + 11 * MIN, 2))).toEqual([a.id, b.id])
        await store.release('m1', [], T0)
      })

      it('release touches only dispatching runs of the portal', async () => {
        const store = setup()
        const queued = await dispatching(store)
        await store.markQueued('m1', queued.jobId!, [{ id: queued.id, seq: 1 }], T0 + MIN)
        const received = await add(store)
        const foreign = await dispatching(store, { memberId: 'm2' })
        await store.release('m1', [queued.id, received.id, foreign.id], T0 + 2 * MIN)
        expect(await store.get('m1', queued.id)).toMatchObject({ state: 'queued', jobId: queued.jobId, updatedAt: T0 + MIN })
        expect(await store.get('m1', received.id)).toEqual(received)
        expect(await store.get('m2', foreign.id)).toEqual(foreign)
      })

      it('markQueued: dispatching → queued with its seq, admittedAt = now; others untouched', async () => {
        const store = setup()
        const job = randomUUID()
        const a = await add(store, {}, T0)
        const b = await add(store, {}, T0 + 1)
        await store.claimReceived('m1', job, T0, 10)
        const received = await add(store, {}, T0 + 2)
        await store.markQueued('m1', job, [{ id: a.id, seq: 1 }, { id: b.id, seq: 2 }, { id: received.id, seq: 3 }], T0 + MIN)
        expect(await store.get('m1', a.id)).toMatchObject({ state: 'queued', jobId: job, jobSeq: 1, admittedAt: T0 + MIN, updatedAt: T0 + MIN })
        expect(await store.get('m1', b.id)).toMatchObject({ state: 'queued', jobId: job, jobSeq: 2, admittedAt: T0 + MIN })
        expect(await store.get('m1', received.id)).toEqual(received)
        expect(await store.staleDispatching('m1', T0 + DAY)).toEqual([])
        // Not again: they are no longer dispatching.
        await store.markQueued('m1', job, [{ id: a.id, seq: 9 }], T0 + 2 * MIN)
        expect((await store.get('m1', a.id))!.jobSeq).toBe(1)
        await store.markQueued('m1', job, [], T0 + 3 * MIN)
        // Another portal's runs are out of reach.
        const foreign = await dispatching(store, { memberId: 'm2' })
        await store.markQueued('m1', foreign.jobId!, [{ id: foreign.id, seq: 1 }], T0 + MIN)
        expect((await store.get('m2', foreign.id))!.state).toBe('dispatching')
      })

      it('membersToDispatch: portals with received runs, or dispatching ones gone stale', async () => {
        const store = setup()
        await add(store, { memberId: 'm3' }, T0)
        await dispatching(store, { memberId: 'm2' }, T0)
        await dispatching(store, { memberId: 'm4' }, T0 + 5 * MIN)
        await decided(store, { memberId: 'm5' }, T0)
        await add(store, { memberId: 'm1' }, T0)
        await add(store, { memberId: 'm1' }, T0)
        expect(await store.membersToDispatch(T0, 10)).toEqual(['m1', 'm3'])
        expect(await store.membersToDispatch(T0 + 1, 10)).toEqual(['m1', 'm2', 'm3'])
        expect(await store.membersToDispatch(T0 + 1, 2)).toEqual(['m1', 'm2'])
        expect(await store.membersToDispatch(T0 + DAY, 10)).toEqual(['m1', 'm2', 'm3', 'm4'])
      })

      it('admittedSince counts the portal runs admitted at or after since', async () => {
        const store = setup()
        const early = [await dispatching(store), await dispatching(store)]
        for (const [k, r] of early.entries()) await store.markQueued('m1', r.jobId!, [{ id: r.id, seq: k + 1 }], T0)
        const later = await dispatching(store)
        await store.markQueued('m1', later.jobId!, [{ id: later.id, seq: 1 }], T0 + DAY)
        await dispatching(store)
        const foreign = await dispatching(store, { memberId: 'm2' })
        await store.markQueued('m2', foreign.jobId!, [{ id: foreign.id, seq: 1 }], T0 + DAY)
        expect(await store.admittedSince('m1', T0)).toBe(3)
        expect(await store.admittedSince('m1', T0 + 1)).toBe(1)
        expect(await store.admittedSince('m1', T0 + DAY + 1)).toBe(0)
        expect(await store.admittedSince('m2', 0)).toBe(1)
        expect(await store.admittedSince('m3', 0)).toBe(0)
      })
    })

    describe('decisions', () => {
      it('markWaiting: dispatching → waiting for this person, compare-and-set', async () => {
        const store = setup()
        const run = await dispatching(store, { robotCode: 'wait_acceptance' })
        const who = { email: 'ann@example.com', userId: 42, waitUntil: T0 + DAY }
        expect(await store.markWaiting('m2', run.id, who, T0 + MIN)).toBe(false)
        expect(await store.markWaiting('m1', run.id, who, T0 + MIN)).toBe(true)
        expect(await store.get('m1', run.id)).toEqual({ ...run, state: 'waiting', jobId: null, email: 'ann@example.com', userId: 42, waitUntil: T0 + DAY, updatedAt: T0 + MIN })
        expect(await store.markWaiting('m1', run.id, { ...who, waitUntil: T0 + 2 * DAY }, T0 + 2 * MIN)).toBe(false)
        expect((await store.get('m1', run.id))!.waitUntil).toBe(T0 + DAY)
        const received = await add(store)
        expect(await store.markWaiting('m1', received.id, who, T0)).toBe(false)
        expect(await store.get('m1', received.id)).toEqual(received)
        expect(await store.markWaiting('m1', randomUUID(), who, T0)).toBe(false)
      })

      it('decide: compare-and-set to done with the outcome; a pending reply is due at once', async () => {
        const store = setup()
        const run = await dispatching(store)
        expect(await store.decide('m1', run.id, ['received', 'waiting'], invited(), T0 + MIN)).toBe(false)
        expect(await store.decide('m2', run.id, ['dispatching'], invited(), T0 + MIN)).toBe(false)
        expect(await store.decide('m1', run.id, [], invited(), T0 + MIN)).toBe(false)
        expect(await store.get('m1', run.id)).toEqual(run)
        expect(await store.decide('m1', run.id, ['received', 'dispatching'], invited({ USER_ID: 501, NOTE: 'ok' }), T0 + MIN)).toBe(true)
        const done = await store.get('m1', run.id)
        expect(done).toEqual({
          ...run,
          state: 'done',
          outcome: 'invited',
          userId: 501,
          errorText: null,
          returnValues: { USER_ID: 501, NOTE: 'ok' },
          reply: 'pending',
          replyNextAt: T0 + MIN,
          decidedAt: T0 + MIN,
          updatedAt: T0 + MIN,
          // Decided without a job item: the job id its claim stamped is not kept.
          jobId: null,
        })
        // Someone else decided it: a second decision changes nothing.
        expect(await store.decide('m1', run.id, ['dispatching'], failed(), T0 + 2 * MIN)).toBe(false)
        expect(await store.get('m1', run.id)).toEqual(done)
      })

      it('decide without a subscription leaves the reply none and not due', async () => {
        const store = setup()
        const run = await dispatching(store, { useSubscription: false })
        expect(await store.decide('m1', run.id, ['dispatching'], failed('x'.repeat(5_000)), T0 + MIN)).toBe(true)
        const done = (await store.get('m1', run.id))!
        expect(done).toMatchObject({ state: 'done', outcome: 'failed', reply: 'none', replyNextAt: null, decidedAt: T0 + MIN, returnValues: { ERROR: 'x'.repeat(5_000) } })
        // The error text is kept short.
        expect(done.errorText).toBe('x'.repeat(2_000))
        expect(await store.claimReplies('m1', T0 + DAY, T0 + DAY, 10)).toEqual([])
      })

      it('decide keeps the stored userId when omitted and clears it on null', async () => {
        const store = setup()
        const kept = await waiting(store, { email: 'ann@example.com', userId: 42, waitUntil: T0 + DAY })
        expect(await store.decide('m1', kept.id, ['waiting'], { outcome: 'not_accepted', returnValues: { ACCEPTED: 'N' } }, T0 + MIN)).toBe(true)
        expect(await store.get('m1', kept.id)).toMatchObject({ userId: 42, outcome: 'not_accepted', errorText: null, waitUntil: T0 + DAY })
        const cleared = await waiting(store, { email: 'ann@example.com', userId: 42, waitUntil: T0 + DAY })
        expect(await store.decide('m1', cleared.id, ['waiting'], { outcome: 'accepted', userId: null, returnValues: {} }, T0 + MIN)).toBe(true)
        expect(await store.get('m1', cleared.id)).toMatchObject({ userId: null, outcome: 'accepted', returnValues: {} })
      })

      it('of concurrent decisions of one run, exactly one wins', async () => {
        const store = setup()
        const peer = await peerOf(store)
        const run = await waiting(store, { email: 'ann@example.com', userId: 42, waitUntil: T0 + DAY })
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) => (i % 2 ? peer : store).decide('m1', run.id, ['waiting'], i % 3 ? { outcome: 'accepted', returnValues: { N: i } } : failed(`e${i}`), T0 + i)),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
        const winner = results.indexOf(true)
        expect((await store.get('m1', run.id))!.decidedAt).toBe(T0 + winner)
      })

      it('settledQueued: queued runs whose job item settled, with the item outcome, oldest first', async () => {
        const store = setup()
        const jobs = createJobStore(current(), () => T0)
        const jobId = randomUUID()
        const runs: RobotRun[] = []
        for (let i = 0; i < 5; i++) runs.push(await add(store, {}, T0 + i))
        await store.claimReceived('m1', jobId, T0 + MIN, 10)
        const payload = (groupInvite?: boolean) => ({ EMAIL: 'x@example.com', ...(groupInvite === undefined ? {} : { groupInvite }) })
        await jobs.create({ id: jobId, memberId: 'm1', kind: 'bulk_invite', source: 'robot', createdBy: null, templateId: null, title: 'Robots', options: {} }, [
          { email: 'a@example.com', phone: null, payload: payload() },
          { email: 'b@example.com', phone: null, payload: payload(true) },
          { email: 'c@example.com', phone: null, payload: payload(false) },
          { email: 'd@example.com', phone: null, payload: payload() },
          { email: 'e@example.com', phone: null, payload: payload() },
          { email: 'f@example.com', phone: null, payload: payload() },
        ])
        // Runs 0..4 ↔ items 1..5 (in reverse for the last two, so order follows the run, not the seq); item 6 has no run.
        await store.markQueued('m1', jobId, [{ id: runs[0]!.id, seq: 1 }, { id: runs[1]!.id, seq: 2 }, { id: runs[2]!.id, seq: 3 }, { id: runs[3]!.id, seq: 5 }, { id: runs[4]!.id, seq: 4 }], T0 + MIN)
        expect(await store.settledQueued(10)).toEqual([])
        expect(await jobs.markSending(jobId, [1, 2, 3, 4, 5, 6], T0 + 2 * MIN)).toEqual([1, 2, 3, 4, 5, 6])
        await jobs.settle(jobId, [
          { seq: 1, state: 'invited', userId: 501 },
          { seq: 2, state: 'skipped', userId: 502, errorCode: 'already_exists', errorMessage: 'In the portal' },
          // seq 3 is still sending; seq 4 goes back to the queue for a retry.
          { seq: 4, state: 'queued', errorCode: 'rate_limited', nextAttemptAt: T0 + DAY },
          { seq: 5, state: 'failed', errorCode: 'portal_error', errorMessage: 'Nope' },
          { seq: 6, state: 'invited', userId: 506 },
        ], T0 + 3 * MIN)
        const settled = await store.settledQueued(10)
        expect(settled).toEqual([
          { run: await store.get('m1', runs[0]!.id), item: { state: 'invited', userId: 501, errorCode: null, errorMessage: null, groupInvite: false } },
          { run: await store.get('m1', runs[1]!.id), item: { state: 'skipped', userId: 502, errorCode: 'already_exists', errorMessage: 'In the portal', groupInvite: true } },
          { run: await store.get('m1', runs[3]!.id), item: { state: 'failed', userId: null, errorCode: 'portal_error', errorMessage: 'Nope', groupInvite: false } },
        ])
        expect(settled[0]!.run.state).toBe('queued')
        expect((await store.settledQueued(1)).map((s) => s.run.id)).toEqual([runs[0]!.id])
        // Decided runs leave the list.
        expect(await store.decide('m1', runs[0]!.id, ['queued'], invited(), T0 + 4 * MIN)).toBe(true)
        // A run decided from its job item keeps the job it went out in.
        expect((await store.get('m1', runs[0]!.id))!.jobId).toBe(jobId)
        expect((await store.settledQueued(10)).map((s) => s.run.id)).toEqual([runs[1]!.id, runs[3]!.id])
        // Item 3 settles later, with groupInvite false in its payload.
        await jobs.settle(jobId, [{ seq: 3, state: 'invited', userId: 503 }], T0 + 5 * MIN)
        expect((await store.settledQueued(10)).map((s) => [s.run.id, s.item.userId, s.item.groupInvite])).toEqual([
          [runs[1]!.id, 502, true],
          [runs[2]!.id, 503, false],
          [runs[3]!.id, null, false],
        ])
      })
    })

    describe('waits', () => {
      it('waitingFor finds waiting runs by user id or by e-mail (case-insensitive)', async () => {
        const store = setup()
        const byMail = await waiting(store, { email: 'ann@example.com', userId: null, waitUntil: T0 + DAY }, {}, T0)
        const byUser = await waiting(store, { email: null, userId: 42, waitUntil: T0 + DAY }, {}, T0 + 1)
        const both = await waiting(store, { email: 'ann@example.com', userId: 42, waitUntil: T0 + DAY }, {}, T0 + 2)
        await waiting(store, { email: 'bob@example.com', userId: 43, waitUntil: T0 + DAY }, {}, T0 + 3)
        await waiting(store, { email: 'ann@example.com', userId: 42, waitUntil: T0 + DAY }, { memberId: 'm2' }, T0 + 4)
        const done = await waiting(store, { email: 'ann@example.com', userId: 42, waitUntil: T0 + DAY }, {}, T0 + 5)
        await store.decide('m1', done.id, ['waiting'], { outcome: 'accepted', returnValues: {} }, T0 + 6)
        // A run that names the e-mail but is not waiting is not found.
        await add(store, { email: 'ann@example.com' })

        expect(ids(await store.waitingFor('m1', { userId: 42, email: null }))).toEqual([byUser.id, both.id])
        expect(ids(await store.waitingFor('m1', { userId: null, email: 'ann@example.com' }))).toEqual([byMail.id, both.id])
        expect(ids(await store.waitingFor('m1', { userId: null, email: '  Ann@Example.COM ' }))).toEqual([byMail.id, both.id])
        expect(ids(await store.waitingFor('m1', { userId: 42, email: 'ANN@example.com' }))).toEqual([byMail.id, byUser.id, both.id])
        expect(await store.waitingFor('m1', { userId: null, email: null })).toEqual([])
        expect(await store.waitingFor('m1', { userId: null, email: '' })).toEqual([])
        expect(await store.waitingFor('m1', { userId: 7, email: 'nobody@example.com' })).toEqual([])
        expect(await store.waitingFor('m3', { userId: 42, email: 'ann@example.com' })).toEqual([])
        expect(await store.waitingFor('m1', { userId: 42, email: null })).toEqual([byUser, both])
      })

      it('dueWaits: waiting runs with waitUntil ≤ now across portals, oldest deadline first, at most limit', async () => {
        const store = setup()
        const third = await waiting(store, { email: 'a@example.com', userId: null, waitUntil: T0 + 3 * MIN }, {}, T0)
        const first = await waiting(store, { email: 'b@example.com', userId: null, waitUntil: T0 + MIN }, { memberId: 'm2' }, T0 + 1)
        const second = await waiting(store, { email: 'c@example.com', userId: null, waitUntil: T0 + 2 * MIN }, {}, T0 + 2)
        const tieA = await waiting(store, { email: 'd@example.com', userId: null, waitUntil: T0 + 4 * MIN }, {}, T0 + 3)
        const tieB = await waiting(store, { email: 'e@example.com', userId: null, waitUntil: T0 + 4 * MIN }, {}, T0 + 4)
        const gone = await waiting(store, { email: 'f@example.com', userId: null, waitUntil: T0 }, {}, T0 + 5)
        await store.decide('m1', gone.id, ['waiting'], { outcome: 'accepted', returnValues: {} }, T0 + 6)

        expect(await store.dueWaits(T0 + MIN - 1, 10)).toEqual([])
        expect(ids(await store.dueWaits(T0 + 2 * MIN, 10))).toEqual([first.id, second.id])
        expect(ids(await store.dueWaits(T0 + DAY, 10))).toEqual([first.id, second.id, third.id, ...[tieA.id, tieB.id].sort()])
        expect(ids(await store.dueWaits(T0 + DAY, 2))).toEqual([first.id, second.id])
        expect((await store.dueWaits(T0 + MIN, 10))[0]).toEqual(first)
      })
    })

    describe('replies', () => {
      it('claimReplies: due pending replies → sending, attempts + 1, oldest due first, at most limit, one portal', async () => {
        const store = setup()
        const late = await decided(store, {}, T0 + 2 * MIN)
        const early = await decided(store, {}, T0)
        const middle = await decided(store, {}, T0 + MIN)
        await decided(store, { useSubscription: false }, T0)
        const undecided = await add(store, {}, T0)
        const foreign = await decided(store, { memberId: 'm2' }, T0)

        expect(await store.claimReplies('m1', T0 - 1, T0 - 1, 10)).toEqual([])
        const claimed = await store.claimReplies('m1', T0 + MIN, T0, 1)
        expect(claimed).toEqual([{ ...early, reply: 'sending', replyAttempts: 1, updatedAt: T0 + MIN }])
        expect(await store.get('m1', early.id)).toEqual(claimed[0])
        expect(ids(await store.claimReplies('m1', T0 + MIN, T0, 10))).toEqual([middle.id])
        // Claimed and not stale yet: nobody gets them again; late is due now.
        expect(await store.claimReplies('m1', T0 + 10 * MIN, T0 + MIN, 10)).toEqual([{ ...late, reply: 'sending', replyAttempts: 1, updatedAt: T0 + 10 * MIN }])
        expect(await store.claimReplies('m1', T0 + 10 * MIN, T0 + MIN, 10)).toEqual([])
        expect((await store.get('m1', undecided.id))!.reply).toBe('pending')
        expect((await store.get('m2', foreign.id))!.reply).toBe('pending')
        expect(ids(await store.claimReplies('m2', T0, T0, 1))).toEqual([foreign.id])
      })

      it('claimReplies takes back replies whose sender did not finish before staleBefore', async () => {
        const store = setup()
        const a = await decided(store, {}, T0)
        const b = await decided(store, {}, T0 + 1)
        expect(ids(await store.claimReplies('m1', T0 + MIN, T0, 1))).toEqual([a.id])
        expect(ids(await store.claimReplies('m1', T0 + 2 * MIN, T0, 1))).toEqual([b.id])
        // Claimed at T0 + MIN and T0 + 2 MIN: a stale cut between them frees only a.
        expect(await store.claimReplies('m1', T0 + 3 * MIN, T0 + MIN, 10)).toEqual([])
        const again = await store.claimReplies('m1', T0 + 3 * MIN, T0 + MIN + 1, 10)
        expect(again).toEqual([{ ...a, reply: 'sending', replyAttempts: 2, updatedAt: T0 + 3 * MIN }])
        const both = await store.claimReplies('m1', T0 + 10 * MIN, T0 + 10 * MIN, 10)
        expect(both.map((r) => [r.id, r.replyAttempts])).toEqual([[a.id, 3], [b.id, 2]])
      })

      it('concurrent claimReplies never hand one reply to two senders', async () => {
        const store = setup()
        const peer = await peerOf(store)
        const all: string[] = []
        for (let i = 0; i < 30; i++) all.push((await decided(store, {}, T0 + i)).id)
        // Half were claimed long ago by a sender that died: they are taken back too.
        await store.claimReplies('m1', T0 + 15, T0, 15)
        const rounds = await Promise.all(Array.from({ length: 4 }, (_, i) => (i % 2 ? peer : store).claimReplies('m1', T0 + DAY, T0 + MIN, 30)))
        const got = rounds.flatMap(ids)
        expect(new Set(got).size).toBe(got.length)
        expect(got.sort()).toEqual([...all].sort())
        for (const r of rounds.flat()) expect(r).toMatchObject({ reply: 'sending', updatedAt: T0 + DAY })
        const attempts = await Promise.all(all.map(async (id) => (await store.get('m1', id))!.replyAttempts))
        expect(attempts).toEqual(all.map((_, i) => (i < 15 ? 2 : 1)))
      })

      it('membersWithReplies: portals with due pending or stale sending replies', async () => {
        const store = setup()
        await decided(store, { memberId: 'm3' }, T0)
        await decided(store, { memberId: 'm2' }, T0)
        await store.claimReplies('m2', T0, T0, 10)
        await decided(store, { memberId: 'm4' }, T0)
        await store.claimReplies('m4', T0 + MIN, T0, 10)
        await decided(store, { memberId: 'm5' }, T0 + DAY)
        await decided(store, { memberId: 'm6', useSubscription: false }, T0)
        await add(store, { memberId: 'm7' })
        expect(await store.membersWithReplies(T0, T0, 10)).toEqual(['m3'])
        expect(await store.membersWithReplies(T0, T0 + 1, 10)).toEqual(['m2', 'm3'])
        expect(await store.membersWithReplies(T0 + MIN, T0 + MIN + 1, 10)).toEqual(['m2', 'm3', 'm4'])
        expect(await store.membersWithReplies(T0 + MIN, T0 + MIN + 1, 2)).toEqual(['m2', 'm3'])
        expect(await store.membersWithReplies(T0 + DAY, T0, 10)).toEqual(['m3', 'm5'])
      })

      it('finishReply: sent stamps repliedAt; pending sets the next time; failed and expired keep the error', async () => {
        const store = setup()
        const runs = [await decided(store), await decided(store), await decided(store), await decided(store), await decided(store)]
        await store.claimReplies('m1', T0, T0, 10)
        const [sent, retry, retryNow, gaveUp, expired] = runs.map((r) => r.id) as [string, string, string, string, string]
        await store.finishReply('m1', sent, { state: 'sent' }, T0 + 1)
        await store.finishReply('m1', retry, { state: 'pending', error: 'HTTP 503', nextAt: T0 + 10 * MIN }, T0 + 1)
        await store.finishReply('m1', retryNow, { state: 'pending', error: null }, T0 + 1)
        await store.finishReply('m1', gaveUp, { state: 'failed', error: 'y'.repeat(3_000) }, T0 + 1)
        await store.finishReply('m1', expired, { state: 'expired', error: 'Portal stopped waiting' }, T0 + 1)
        expect(await store.get('m1', sent)).toMatchObject({ reply: 'sent', repliedAt: T0 + 1, replyNextAt: null, replyError: null, replyAttempts: 1, updatedAt: T0 + 1 })
        expect(await store.get('m1', retry)).toMatchObject({ reply: 'pending', repliedAt: null, replyNextAt: T0 + 10 * MIN, replyError: 'HTTP 503' })
        expect(await store.get('m1', retryNow)).toMatchObject({ reply: 'pending', repliedAt: null, replyNextAt: T0 + 1, replyError: null })
        expect(await store.get('m1', gaveUp)).toMatchObject({ reply: 'failed', repliedAt: null, replyNextAt: null, replyError: 'y'.repeat(2_000) })
        expect(await store.get('m1', expired)).toMatchObject({ reply: 'expired', repliedAt: null, replyNextAt: null, replyError: 'Portal stopped waiting' })
        // The retry is claimed again at its time, not before.
        expect(ids(await store.claimReplies('m1', T0 + 2, T0, 10))).toEqual([retryNow])
        expect(ids(await store.claimReplies('m1', T0 + 10 * MIN, T0, 10))).toEqual([retry])
        expect((await store.get('m1', retry))!.replyAttempts).toBe(2)
      })

      it('finishReply acts only on a reply in sending, of its own portal', async () => {
        const store = setup()
        const pending = await decided(store)
        const none = await decided(store, { useSubscription: false })
        await store.finishReply('m1', pending.id, { state: 'sent' }, T0 + 1)
        await store.finishReply('m1', none.id, { state: 'failed', error: 'x' }, T0 + 1)
        expect(await store.get('m1', pending.id)).toEqual(pending)
        expect(await store.get('m1', none.id)).toEqual(none)
        await store.claimReplies('m1', T0, T0, 10)
        await store.finishReply('m2', pending.id, { state: 'sent' }, T0 + 2)
        expect((await store.get('m1', pending.id))!.reply).toBe('sending')
        await store.finishReply('m1', pending.id, { state: 'sent' }, T0 + 3)
        const sent = (await store.get('m1', pending.id))!
        // Finished already: a late second finish changes nothing.
        await store.finishReply('m1', pending.id, { state: 'failed', error: 'late' }, T0 + 4)
        expect(await store.get('m1', pending.id)).toEqual(sent)
        expect(sent).toMatchObject({ reply: 'sent', repliedAt: T0 + 3 })
      })
    })

    describe('list and counts', () => {
      it('filters by robot code, outcome (pending = undecided) and search; total counts every match; newest first', async () => {
        const store = setup()
        const r1 = await decided(store, { robotCode: 'invite_user', email: 'ann@example.com', workflowId: 'wf-A', documentId: ['crm', 'CCrmDocumentDeal', 'DEAL_1'] }, T0)
        const r2 = await decided(store, { robotCode: 'invite_user', email: 'bob@example.com', workflowId: 'wf-B', documentId: ['crm', 'CCrmDocumentLead', 'LEAD_7'] }, T0 + 1, failed())
        const r3 = await decided(store, { robotCode: 'add_to_group', email: null, workflowId: 'wf_50%off', documentId: ['crm', 'CCrmDocumentDeal', 'DEAL_2'] }, T0 + 2, { outcome: 'added', returnValues: {} })
        const r4 = await waiting(store, { email: 'carol@example.com', userId: null, waitUntil: T0 + DAY }, { email: 'carol@example.com', workflowId: 'wfX50Aoff', documentId: ['lists', 'BizprocDocument', 'Item 9'] }, T0 + 3)
        const r5 = await add(store, { robotCode: 'invite_user', email: 'dave@example.com', workflowId: 'wf-C', documentId: ['crm', 'CCrmDocumentDeal', 'DEAL_3'] }, T0 + 4)
        await add(store, { memberId: 'm2', email: 'ann@example.com' }, T0 + 5)
        const page = { limit: 50, offset: 0 }
        const list = async (filter: Parameters<RobotRunStore['list']>[1], p = page) => {
          const r = await store.list('m1', filter, p)
          return { ids: ids(r.rows), total: r.total }
        }

        const all = await store.list('m1', {}, page)
        expect(ids(all.rows)).toEqual([r5.id, r4.id, r3.id, r2.id, r1.id])
        expect(all.total).toBe(5)
        expect(all.rows[1]).toEqual(await store.get('m1', r4.id))
        expect(await list({ robotCode: 'invite_user' })).toEqual({ ids: [r5.id, r2.id, r1.id], total: 3 })
        expect(await list({ robotCode: 'nothing' })).toEqual({ ids: [], total: 0 })
        expect(await list({ outcome: 'pending' })).toEqual({ ids: [r5.id, r4.id], total: 2 })
        expect(await list({ outcome: 'failed' })).toEqual({ ids: [r2.id], total: 1 })
        expect(await list({ outcome: 'added' })).toEqual({ ids: [r3.id], total: 1 })
        expect(await list({ outcome: 'invited' })).toEqual({ ids: [r1.id], total: 1 })
        expect(await list({ outcome: 'not_accepted' })).toEqual({ ids: [], total: 0 })
        // Search: e-mail, document, workflow id; case-insensitive, trimmed, substring.
        expect(await list({ search: 'ANN@' })).toEqual({ ids: [r1.id], total: 1 })
        expect(await list({ search: ' deal_' })).toEqual({ ids: [r5.id, r3.id, r1.id], total: 3 })
        expect(await list({ search: 'lead_7' })).toEqual({ ids: [r2.id], total: 1 })
        expect(await list({ search: 'item 9' })).toEqual({ ids: [r4.id], total: 1 })
        expect(await list({ search: 'WF-b' })).toEqual({ ids: [r2.id], total: 1 })
        expect(await list({ search: '  ' })).toEqual({ ids: [r5.id, r4.id, r3.id, r2.id, r1.id], total: 5 })
        // % and _ are literal characters, not wildcards.
        expect(await list({ search: '50%' })).toEqual({ ids: [r3.id], total: 1 })
        expect(await list({ search: 'wf_5' })).toEqual({ ids: [r3.id], total: 1 })
        expect(await list({ search: '_' })).toEqual({ ids: [r5.id, r3.id, r2.id, r1.id], total: 4 })
        expect(await list({ search: '%' })).toEqual({ ids: [r3.id], total: 1 })
        expect(await list({ search: '\\' })).toEqual({ ids: [], total: 0 })
        // Combined.
        expect(await list({ robotCode: 'invite_user', outcome: 'pending', search: 'dave' })).toEqual({ ids: [r5.id], total: 1 })
        expect(await list({ robotCode: 'add_to_group', search: 'dave' })).toEqual({ ids: [], total: 0 })
        // Paging: total is every match, rows are the page.
        expect(await list({}, { limit: 2, offset: 0 })).toEqual({ ids: [r5.id, r4.id], total: 5 })
        expect(await list({}, { limit: 2, offset: 2 })).toEqual({ ids: [r3.id, r2.id], total: 5 })
        expect(await list({}, { limit: 2, offset: 4 })).toEqual({ ids: [r1.id], total: 5 })
        expect(await list({}, { limit: 2, offset: 6 })).toEqual({ ids: [], total: 5 })
        expect(await list({ search: 'deal' }, { limit: 1, offset: 1 })).toEqual({ ids: [r3.id], total: 3 })
      })

      it('pages through runs with equal createdAt by id, without gaps or repeats', async () => {
        const store = setup()
        const made: string[] = []
        for (let i = 0; i < 7; i++) made.push((await add(store, {}, T0)).id)
        const seen: string[] = []
        for (let offset = 0; offset < 7; offset += 3) seen.push(...ids((await store.list('m1', {}, { limit: 3, offset })).rows))
        expect(seen).toEqual([...made].sort().reverse())
      })

      it('countsSince buckets runs created since, per robot code', async () => {
        const store = setup()
        await decided(store, { robotCode: 'invite_user' }, T0, invited())
        await decided(store, { robotCode: 'invite_user' }, T0, { outcome: 'already_exists', returnValues: {} })
        await decided(store, { robotCode: 'invite_user' }, T0, failed())
        await dispatching(store, { robotCode: 'invite_user' }, T0)
        await decided(store, { robotCode: 'add_to_group' }, T0 + 1, { outcome: 'added', returnValues: {} })
        await decided(store, { robotCode: 'add_to_group' }, T0 + 1, { outcome: 'already_member', returnValues: {} })
        const w = await waiting(store, { email: 'a@example.com', userId: null, waitUntil: T0 + DAY }, {}, T0 + 2)
        await store.decide('m1', w.id, ['waiting'], { outcome: 'accepted', returnValues: {} }, T0 + 3)
        const n = await waiting(store, { email: 'a@example.com', userId: null, waitUntil: T0 + DAY }, {}, T0 + 2)
        await store.decide('m1', n.id, ['waiting'], { outcome: 'not_accepted', returnValues: {} }, T0 + 3)
        await waiting(store, { email: 'a@example.com', userId: null, waitUntil: T0 + DAY }, {}, T0 + 2)
        // Too old, or another portal's: not counted.
        await decided(store, { robotCode: 'invite_user' }, T0 - 1, failed())
        await decided(store, { robotCode: 'invite_user', memberId: 'm2' }, T0, failed())
        await add(store, { robotCode: 'invite_user' }, T0)

        expect(await store.countsSince('m1', T0)).toEqual({
          invite_user: { total: 5, succeeded: 2, failed: 1, waiting: 2, notAccepted: 0 },
          add_to_group: { total: 2, succeeded: 2, failed: 0, waiting: 0, notAccepted: 0 },
          wait_acceptance: { total: 3, succeeded: 1, failed: 0, waiting: 1, notAccepted: 1 },
        })
        expect(await store.countsSince('m1', T0 + 2)).toEqual({
          wait_acceptance: { total: 3, succeeded: 1, failed: 0, waiting: 1, notAccepted: 1 },
        })
        expect(await store.countsSince('m1', T0 + DAY)).toEqual({})
        expect(await store.countsSince('m3', 0)).toEqual({})
      })
    })
  })
}
