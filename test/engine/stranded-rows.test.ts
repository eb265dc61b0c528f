/**
 * Rows a crash (or a lost answer) left 'sending' in a job that was then paused or cancelled: the runner only
 * sends for running jobs, but it must still settle these, once the portal is surely done with their request
 * (IN_FLIGHT_SETTLE_MS). A row the portal did create becomes 'invited' (and enters the ledger); one it never
 * saw ends 'skipped' in a cancelled job, and goes back to 'queued' in a paused one, to be sent on resume.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createClock, type Clock } from '../emulator/index.js'
import { BACKENDS } from '../helpers/databases.js'
import { until, type Stack } from '../helpers/stack.js'
import { installedAdmin, startTestStack } from '../helpers/api.js'
import { IN_FLIGHT_SETTLE_MS } from '../../server/engine/job-runner.js'
import type { JobStatus } from '../../server/storage/job-store.js'

for (const backend of BACKENDS) {
  describe(`rows left in flight by a stopped job on ${backend.name}`, () => {
    let s: Stack | undefined
    let clock: Clock
    afterEach(async () => {
      await s?.close()
      s = undefined
    })

    /** A 3-row job whose rows 1 and 2 were on the wire when the worker died; the portal created row 1 only. */
    async function stranded(status: Extract<JobStatus, 'paused' | 'cancelled'>) {
      clock = createClock({ speed: 1 })
      s = await startTestStack(backend, { clock })
      await installedAdmin(s)
      const { jobs } = s.a.app.stores
      const memberId = s.portal.memberId
      const emails = ['one@example.test', 'two@example.test', 'three@example.test']
      const job = await jobs.create(
        { memberId, kind: 'bulk_invite', source: 'wizard', createdBy: 1, templateId: null, title: 'stranded', options: {} },
        emails.map((email) => ({ email, phone: null, payload: { email, phone: null, fields: { UF_DEPARTMENT: [1] }, messageText: null } })),
      )
      // Still 'queued', so no worker takes it while the crash is staged.
      expect(await jobs.markSending(job.id, [1, 2], clock.now())).toEqual([1, 2])
      const created = s.portal.addUser({ EMAIL: emails[0]!, NAME: 'One', UF_DEPARTMENT: [1], invited: true })
      expect(await jobs.setStatus(memberId, job.id, ['queued'], status)).toBe(true)
      return { jobs, memberId, job, created }
    }

    it('a cancelled job: the row the portal created is invited and recorded, the other ends skipped', async () => {
      const { jobs, memberId, job, created } = await stranded('cancelled')
      await jobs.skipQueued(memberId, job.id, 'Not sent: the job was cancelled')
      // Too young to judge: the portal might still be running the request.
      await new Promise((r) => setTimeout(r, 1_500))
      expect((await jobs.totals(job.id)).sending).toBe(2)

      clock.advance(IN_FLIGHT_SETTLE_MS + 1_000)
      await until(async () => (await jobs.totals(job.id)).sending === 0 || undefined, 'stranded rows settled', 10_000)
      const items = await jobs.items(memberId, job.id, { limit: 10 })
      expect(items.map((i) => [i.seq, i.state, i.userId, i.errorCode])).toEqual([
        [1, 'invited', created.ID, null],
        [2, 'skipped', null, 'cancelled'],
        [3, 'skipped', null, 'cancelled'],
      ])
      expect((await jobs.get(memberId, job.id))!.status).toBe('cancelled')
      expect(s!.portal.callCount('user.add')).toBe(0)
      const ledger = await s!.a.app.stores.ledger.list(memberId, {}, { limit: 10, offset: 0 })
      expect(ledger.rows.map((r) => [r.email, r.state, r.userId])).toEqual([['one@example.test', 'pending', created.ID]])
      expect(await s!.a.app.stores.jobs.runnable(memberId)).toEqual([])
    })

    it('a paused job: the unseen row goes back to the queue and is sent once on resume', async () => {
      const { jobs, memberId, job, created } = await stranded('paused')
      clock.advance(IN_FLIGHT_SETTLE_MS + 1_000)
      await until(async () => (await jobs.totals(job.id)).sending === 0 || undefined, 'stranded rows settled', 10_000)
      expect((await jobs.items(memberId, job.id, { limit: 10 })).map((i) => [i.seq, i.state])).toEqual([
        [1, 'invited'], [2, 'queued'], [3, 'queued'],
      ])
      expect(s!.portal.callCount('user.add')).toBe(0)

      expect(await jobs.setStatus(memberId, job.id, ['paused'], 'running')).toBe(true)
      s!.a.app.runner.kick()
      await until(async () => (await jobs.get(memberId, job.id))?.status === 'completed' || undefined, 'job completed', 10_000)
      const users = s!.portal.users().filter((u) => u.EMAIL.endsWith('@example.test'))
      expect(users.map((u) => u.EMAIL).sort()).toEqual(['one@example.test', 'three@example.test', 'two@example.test'])
      expect(s!.portal.callCount('user.add')).toBe(2)
      expect((await jobs.items(memberId, job.id, { limit: 10 }))[0]!.userId).toBe(created.ID)
    })
  })
}
