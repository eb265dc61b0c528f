/**
 * PostgreSQL restarted in the middle of a job. The database is the test's own server (a throwaway cluster,
 * test/helpers/private-postgres.ts), crashed with `pg_ctl stop -m immediate` (no checkpoint, every session
 * cut, crash recovery at the next start) while the app has rows on the wire, and started again a couple of
 * seconds later. The app keeps running throughout: its health check says "degraded" while the database is
 * gone, and the job then completes with every row invited exactly once, counted on the portal.
 *
 * Rows whose answer could not be written (the database was gone when the portal answered) stay 'sending';
 * they are looked up on the portal once the settle window has passed (shortened here to 6 s: the portal's
 * longest request is a batch of 50 user.add at 10 ms each, half a second on an idle machine).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csv, installedAdmin, people, sendList, startTestStack } from '../helpers/api.js'
import { postgresAt } from '../helpers/databases.js'
import { expectInvitedExactlyOnce } from '../helpers/exactly-once.js'
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js'
import { until, type Stack } from '../helpers/stack.js'
import { LEASE_TTL_MS } from '../../server/engine/job-runner.js'

const ROWS = 600

describe('PostgreSQL restarted mid-job', () => {
  let server: PrivatePostgres
  let stack: Stack | undefined
  beforeAll(async () => {
    server = await startPrivatePostgres()
  }, 60_000)
  afterAll(async () => {
    await stack?.close().catch(() => undefined)
    await server?.destroy()
  })

  it(`a ${ROWS}-row job survives a database crash and restart: nothing lost, nothing doubled`, async () => {
    stack = await startTestStack(postgresAt(server.url), { engine: { inFlightSettleMs: 6_000 } })
    const s = stack
    const api = await installedAdmin(s)
    const list = people(ROWS, 'pgrestart')
    const emails = list.slice(1).map((r) => r[0]!)
    const sinceRequest = s.portal.requests().length
    s.portal.injectFault({ method: 'user.add', kind: 'slow', delayMs: 10, probability: 1 })
    const jobId = await sendList(api, csv(list), 'restart.csv')
    const { jobs } = s.a.app.stores
    await until(async () => ((await jobs.totals(jobId)).invited >= 100 ? true : undefined), 'the first rows to be invited', 30_000)

    // A batch is on the wire about half the time: wait for one, so the crash lands while the portal works.
    await until(async () => ((await jobs.totals(jobId)).sending > 0 ? true : undefined), 'rows on the wire', 10_000)
    const atCrash = await jobs.totals(jobId)
    await server.stop('immediate')
    const down = await fetch(`${s.a.url}/healthz`)
    expect(down.status).toBe(503)
    expect(await down.json()).toMatchObject({ db: 'unreachable' })
    await new Promise((r) => setTimeout(r, 2_000))
    await server.start()
    const restarted = Date.now()
    await until(async () => ((await fetch(`${s.a.url}/healthz`)).status === 200 ? true : undefined), 'the health check to recover', 20_000)

    await until(async () => ((await jobs.get(s.portal.memberId, jobId))?.status === 'completed' ? true : undefined), 'the job to complete', 60_000)
      .catch((e: unknown) => { throw new Error(`${String(e)}; totals ${JSON.stringify(atCrash)} at the crash; errors:\n${s.logs.filter((l) => /"level":(50|60)|"level":"(error|fatal)"/.test(l)).slice(-8).join('\n')}`) })
    const afterRestartSec = (Date.now() - restarted) / 1000
    const figures = await expectInvitedExactlyOnce(s, jobId, emails, sinceRequest)
    expect(figures.userAddsRun).toBe(ROWS)
    // The instance took its own portal up again (its lease could not be released while the database was
    // gone) instead of waiting the lease out: before that fix this took the whole 30 s lease.
    expect(afterRestartSec).toBeLessThan(LEASE_TTL_MS / 1000)
    // The crash did fall mid-job, with rows on the wire.
    expect(atCrash.invited).toBeLessThan(ROWS)
    expect(atCrash.sending).toBeGreaterThan(0)
    console.log(`[database-restart] crash at ${JSON.stringify(atCrash)}; completed ${afterRestartSec.toFixed(1)} s after the restart; portal: ${figures.userAddsRun} user.add, ${figures.requests} requests, ${figures.userGets} user.get look-ups`)
  }, 120_000)
})
