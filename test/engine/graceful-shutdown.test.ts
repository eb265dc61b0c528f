/**
 * SIGTERM is an orderly hand-over: a worker process in the middle of a 400-row job gets SIGTERM, finishes
 * the chunk it has on the wire, releases the portal's lease and exits; the next worker takes the portal at
 * once (no waiting out the 30-second lease) and the job ends with every row invited exactly once, counted on
 * the emulated portal. Both backends; each worker is the real app in its own OS process.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BACKENDS, type Backend } from '../helpers/databases.js'
import { startStack, until, type Stack } from '../helpers/stack.js'
import { csv, installedAdmin, people, sendList } from '../helpers/api.js'
import { spawnWorker, type Worker } from '../helpers/worker-process.js'
import { workerSpecFor } from '../helpers/worker-spec.js'
import { expectInvitedExactlyOnce } from '../helpers/exactly-once.js'
import { LEASE_TTL_MS } from '../../server/engine/job-runner.js'

const ROWS = 400
const LIMITS = { burst: 10_000, drainPerSec: 1_000 }

describe.each(BACKENDS)('graceful shutdown ($name)', (backend: Backend) => {
  let stack: Stack | undefined
  const spawned: Worker[] = []
  afterEach(async () => {
    for (const w of spawned.splice(0)) await w.kill().catch(() => undefined)
    await stack?.close()
    stack = undefined
  })

  it('a worker stopped with SIGTERM mid-job finishes its chunk, hands the portal over at once, and no row is sent twice', async () => {
    stack = await startStack(backend, { portal: { limits: LIMITS, methodTimes: { 'user.add': 0.01 } } })
    const s = stack
    const api = await installedAdmin(s)
    await s.a.app.stop()
    const list = people(ROWS, 'term')
    const emails = list.slice(1).map((r) => r[0]!)
    const jobId = await sendList(api, csv(list), 'term.csv')
    const { jobs, leases } = s.a.app.stores
    const memberId = s.portal.memberId
    const sinceRequest = s.portal.requests().length
    // Each user.add takes a few real milliseconds: a batch of 50 is on the wire for a while.
    s.portal.injectFault({ method: 'user.add', kind: 'slow', delayMs: 5, probability: 1 })
    const spec = await workerSpecFor(s, LIMITS)
    const first = await spawnWorker(spec)
    spawned.push(first)
    const second = await spawnWorker(spec)
    spawned.push(second)

    await first.start()
    await until(async () => ((await jobs.inFlight(jobId)).length > 0 ? true : undefined), 'a chunk on the wire', 30_000)
    const stopping = Date.now()
    await first.stop()
    const stopMs = Date.now() - stopping
    // The chunk in hand was finished, not left for reconcile; the lease was given back.
    expect((await jobs.inFlight(jobId)).length).toBe(0)
    expect(await leases.holder(memberId, Date.now())).toBeNull()
    const totals = await jobs.totals(jobId)
    expect(totals.invited).toBeGreaterThan(0)
    expect(totals.queued, 'SIGTERM came after the job was done').toBeGreaterThan(0)

    // The next worker takes the portal at once: well within the lease a crashed worker would have left.
    const handedOver = Date.now()
    await second.start()
    await until(async () => ((await jobs.get(memberId, jobId))?.status === 'completed' ? true : undefined), 'the job to complete', LEASE_TTL_MS)
      .catch((e: unknown) => { throw new Error(`${String(e)}\nworker log:\n${second.stderr().slice(-4000)}`) })
    const takeOverMs = Date.now() - handedOver
    expect(takeOverMs).toBeLessThan(LEASE_TTL_MS)
    await second.stop()
    const figures = await expectInvitedExactlyOnce(s, jobId, emails, sinceRequest)
    expect(figures.userAddsRun).toBe(ROWS)
    console.log(`[graceful-shutdown ${backend.name}] SIGTERM to exit ${stopMs} ms with ${totals.invited} of ${ROWS} invited; the next worker finished the job ${takeOverMs} ms after it started`)
  })
})
