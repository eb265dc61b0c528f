/**
 * Controls of a running send over real HTTP, on SQLite and PostgreSQL: pause and resume, cancel, retry of
 * failed rows, the transitions that must be refused, and job isolation between portals and users. Every
 * outcome is checked on the emulated portal's side (which user.add calls it received, and when).
 *
 * A job is caught mid-send by holding its first batch in the portal (a `slow` fault on `batch`): the first
 * chunk of 50 is then provably 'sending' while the test acts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BACKENDS } from '../helpers/databases.js'
import { CLIENT_ID, type Stack } from '../helpers/stack.js'
import {
  csv, installedAdmin, people, sendList, sessionApi, startTestStack, uploadAndCheck, waitForJob, withPortal, type Api,
} from '../helpers/api.js'

/** How long the portal holds the first batch: ample time to act while the chunk is in flight. */
const HOLD_MS = 2_500

for (const backend of BACKENDS) {
  describe(`job controls API on ${backend.name}`, () => {
    let s: Stack
    let admin: Api
    beforeEach(async () => {
      s = await startTestStack(backend)
      admin = await installedAdmin(s)
    })
    afterEach(async () => {
      await s?.close()
    })

    /** Checks the list, then holds the portal's next batch and sends: returns once the first chunk is in flight. */
    async function sendHeld(n: number, prefix: string): Promise<string> {
      const { importId } = await uploadAndCheck(admin, csv(people(n, prefix)), `${prefix}.csv`)
      s.portal.injectFault({ method: 'batch', kind: 'slow', delayMs: HOLD_MS, times: 1 })
      const sent = await admin.post(`/api/imports/${importId}/send`)
      expect(sent.status).toBe(201)
      const jobId = sent.body.jobId as string
      const inFlight = await waitForJob(admin, jobId, (j) => j.totals.sending === 50, 'first chunk in flight')
      expect(inFlight.job).toMatchObject({ status: 'running', totals: { total: n, queued: n - 50, sending: 50, invited: 0 } })
      // Nothing has settled yet: no pace to report.
      expect(inFlight.ratePerMin).toBeNull()
      expect(inFlight.etaSec).toBeNull()
      return jobId
    }

    const act = (jobId: string, action: string) => admin.post(`/api/jobs/${jobId}/${action}`)

    it('pause holds the rest of the job until resume; the chunk in flight still settles', async () => {
      const jobId = await sendHeld(60, 'pause')
      const paused = await act(jobId, 'pause')
      expect(paused.status).toBe(200)
      expect(paused.body.job).toMatchObject({ id: jobId, status: 'paused' })
      const again = await act(jobId, 'pause')
      expect(again.status).toBe(409)
      expect(again.body.error).toMatchObject({ code: 'job_state', message: expect.stringContaining('paused') })

      const settled = await waitForJob(admin, jobId, (j) => j.totals.sending === 0, 'chunk settled')
      expect(settled.job).toMatchObject({ status: 'paused', totals: { invited: 50, queued: 10, sending: 0 } })
      expect(settled.ratePerMin).toBeNull()
      await s.a.app.runner.drain()
      expect(s.portal.callCount('user.add')).toBe(50)
      expect((await admin.get(`/api/jobs/${jobId}`)).body.job).toMatchObject({ status: 'paused', totals: { queued: 10 } })

      // Hold the last chunk too, to read the pace while the job runs with 50 rows settled.
      s.portal.injectFault({ method: 'batch', kind: 'slow', delayMs: HOLD_MS, times: 1 })
      const resumed = await act(jobId, 'resume')
      expect(resumed.status).toBe(200)
      expect(resumed.body.job.status).toBe('running')
      const running = await waitForJob(admin, jobId, (j) => j.totals.sending === 10, 'last chunk in flight')
      expect(running.job.status).toBe('running')
      expect(running.ratePerMin).toBeGreaterThan(0)
      expect(Number.isInteger(running.ratePerMin)).toBe(true)
      expect(running.etaSec).toBeGreaterThanOrEqual(1)
      const done = await waitForJob(admin, jobId, (j) => j.status === 'completed', 'job completed')
      expect(done.job.totals).toMatchObject({ total: 60, invited: 60, queued: 0, failed: 0, skipped: 0 })
      expect(s.portal.callCount('user.add')).toBe(60)
      expect(new Set(s.portal.invitations().map((i) => i.email)).size).toBe(60)

      for (const action of ['pause', 'resume', 'cancel']) {
        const r = await act(jobId, action)
        expect({ action, status: r.status, code: r.body.error.code }).toEqual({ action, status: 409, code: 'job_state' })
      }
      const retry = await act(jobId, 'retry-failed')
      expect(retry.status).toBe(409)
      expect(retry.body.error.code).toBe('nothing_to_retry')

      const audit = (await admin.get('/api/audit?limit=50')).body.entries.filter((e: any) => e.subject === jobId).map((e: any) => e.action)
      expect(audit.sort()).toEqual(['job.pause', 'job.resume'])
    })

    it('cancel skips every queued row with code cancelled and sends nothing more', async () => {
      const jobId = await sendHeld(70, 'cancel')
      const cancelled = await act(jobId, 'cancel')
      expect(cancelled.status).toBe(200)
      expect(cancelled.body.job).toMatchObject({ status: 'cancelled', totals: { queued: 0, skipped: 20, sending: 50 } })
      expect(cancelled.body.job.finishedAt).not.toBeNull()

      const settled = await waitForJob(admin, jobId, (j) => j.totals.sending === 0, 'chunk settled')
      expect(settled.job).toMatchObject({ status: 'cancelled', totals: { total: 70, invited: 50, skipped: 20, queued: 0, failed: 0 } })
      await s.a.app.runner.drain()
      expect(s.portal.callCount('user.add')).toBe(50)

      const skipped = await admin.get(`/api/jobs/${jobId}/items?state=skipped&limit=100`)
      expect(skipped.body.items).toHaveLength(20)
      expect(skipped.body.items.map((i: any) => i.seq)).toEqual(Array.from({ length: 20 }, (_, k) => 51 + k))
      for (const i of skipped.body.items) expect(i).toMatchObject({ errorCode: 'cancelled', errorMessage: expect.stringContaining('cancelled'), userId: null })
      const received = new Set(s.portal.invitations().map((i) => i.email))
      for (const i of skipped.body.items) expect(received.has(i.email)).toBe(false)

      for (const action of ['cancel', 'resume', 'pause']) expect((await act(jobId, action)).status).toBe(409)
      const retry = await act(jobId, 'retry-failed')
      expect(retry.status).toBe(409)
      expect(retry.body.error.code).toBe('job_cancelled')
      // No notification for a send someone stopped on purpose... but the results say what happened.
      const results = await admin.get(`/api/jobs/${jobId}/results.csv`)
      expect(results.text.split('\r\n').filter((l) => l.includes(',skipped,')).length).toBe(20)
    })

    it('retry-failed re-sends only the rows that failed, once the portal has room', async () => {
      // Admin + 2 seats: two invitations fit, the other two hit user_count_exceeded.
      s.portal.setUserLimit(3)
      const jobId = await sendList(admin, csv(people(4, 'seat')), 'seats.csv')
      const first = await waitForJob(admin, jobId, (j) => j.status === 'completed', 'first pass completed')
      expect(first.job.totals).toMatchObject({ invited: 2, failed: 2, queued: 0 })
      const failed = (await admin.get(`/api/jobs/${jobId}/items?state=failed`)).body.items
      expect(failed.map((i: any) => i.errorCode)).toEqual(['user_count_exceeded', 'user_count_exceeded'])
      expect(failed[0].errorMessage).toMatch(/seats/)
      const failedEmails = failed.map((i: any) => i.email).sort()
      expect(s.portal.callCount('user.add')).toBe(4)
      const ledgerFailed = (await admin.get('/api/invitations?state=failed')).body
      expect(ledgerFailed.rows.map((r: any) => r.email).sort()).toEqual(failedEmails)

      s.portal.setUserLimit(100)
      const retried = await act(jobId, 'retry-failed')
      expect(retried.status).toBe(200)
      expect(retried.body.job.status).toBe('running')
      const done = await waitForJob(admin, jobId, (j) => j.status === 'completed', 'retry completed')
      expect(done.job.totals).toMatchObject({ total: 4, invited: 4, failed: 0, queued: 0 })
      expect(s.portal.callCount('user.add')).toBe(6)
      const lastBatch = s.portal.requests().filter((r) => r.restMethod === 'batch' && r.batchOf?.includes('user.add')).at(-1)!
      expect(lastBatch.batchOf).toEqual(['user.add', 'user.add'])
      const sentAgain = JSON.stringify(lastBatch.params)
      const local = (e: string) => e.split('@')[0]!
      for (const e of failedEmails) expect(sentAgain).toContain(local(e))
      for (const i of first.job.totals.invited ? (await admin.get(`/api/jobs/${jobId}/items`)).body.items : []) {
        if (!failedEmails.includes(i.email)) expect(sentAgain).not.toContain(local(i.email))
      }
      expect(s.portal.invitations().map((i) => i.email).sort()).toEqual(people(4, 'seat').slice(1).map((r) => r[0]).sort())

      // The ledger entries moved on from 'failed', with their history.
      const ledger = (await admin.get('/api/invitations')).body
      expect(ledger.total).toBe(4)
      expect(ledger.rows.every((r: any) => r.state === 'pending')).toBe(true)
      const revived = ledger.rows.find((r: any) => r.email === failedEmails[0])
      const detail = (await admin.get(`/api/invitations/${revived.id}`)).body
      expect(detail.history.map((h: any) => [h.from, h.to])).toEqual([[null, 'failed'], ['failed', 'pending']])
      expect(retry409(await act(jobId, 'retry-failed'))).toBe('nothing_to_retry')
    })

    it('another portal gets 404 for this job; a non-admin sees no one else’s jobs and cannot act', async () => {
      const jobId = await sendList(admin, csv(people(2, 'mine')), 'mine.csv')
      await waitForJob(admin, jobId, (j) => j.status === 'completed', 'job completed')

      const other = await s.emu.createPortal({})
      other.registerApp(CLIENT_ID, { handlerUrl: `${s.a.url}/app`, installUrl: `${s.a.url}/install` })
      const stranger = await installedAdmin(withPortal(s, other))
      expect((await stranger.get('/api/jobs')).body).toEqual({ jobs: [] })
      for (const r of [
        await stranger.get(`/api/jobs/${jobId}`),
        await stranger.get(`/api/jobs/${jobId}/items`),
        await stranger.get(`/api/jobs/${jobId}/results.csv`),
        await stranger.get(`/api/jobs/${jobId}/results.xlsx`),
        await stranger.post(`/api/jobs/${jobId}/pause`),
        await stranger.post(`/api/jobs/${jobId}/retry-failed`),
      ]) {
        expect(r.status).toBe(404)
        expect(r.body.error.code).toBe('job_not_found')
      }

      const olga = s.portal.addUser({ NAME: 'Olga', LAST_NAME: 'Petrova', EMAIL: 'olga@example.test', UF_DEPARTMENT: [1] })
      const user = await sessionApi(s, olga.ID)
      expect((await user.get('/api/jobs')).body).toEqual({ jobs: [] })
      expect((await user.get('/api/dashboard')).body.recentJobs).toEqual([])
      for (const path of [`/api/jobs/${jobId}`, `/api/jobs/${jobId}/items`, `/api/jobs/${jobId}/results.csv`]) {
        expect((await user.get(path)).status).toBe(404)
      }
      for (const action of ['pause', 'resume', 'cancel', 'retry-failed']) {
        const r = await user.post(`/api/jobs/${jobId}/${action}`)
        expect(r.status).toBe(403)
        expect(r.body.error.code).toBe('admin_only')
      }
      for (const r of [
        await user.upload(csv(people(1, 'x')), 'x.csv'),
        await user.post('/api/imports', { paste: 'x@example.test' }),
        await user.post('/api/directory/sync'),
      ]) {
        expect(r.status).toBe(403)
        expect(r.body.error.code).toBe('admin_only')
      }
      expect(await s.db.db.selectFrom('invite_imports').select('id').execute()).toHaveLength(1)
      expect((await admin.get('/api/jobs')).body.jobs.map((j: any) => j.id)).toEqual([jobId])
    })
  })
}

function retry409(r: { status: number; body: any }): string {
  expect(r.status).toBe(409)
  return r.body.error.code
}
