/**
 * Exactly-once sending across crashes: a 1,000-row job is sent by worker processes that are SIGKILLed at
 * random points and restarted, and it still ends with every row invited exactly once, counted on the
 * emulated portal. Each worker is the real app (test/helpers/worker-process.ts) in its own OS process on
 * the shared database; the test process owns the emulator and the data.
 *
 * Injected faults are left to fault-injection.test.ts: the workers run on real time (a clock cannot be
 * shared across processes), where an unanswered request parks its rows for the real 5-minute settle
 * window and a 429 holds user.add for the rest of the 10-minute operating window.
 *
 * Set CRASH_SEED to replay a failing run's kill points (the seed is printed).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BACKENDS, type Backend } from '../helpers/databases.js'
import { startStack, until, type Stack } from '../helpers/stack.js'
import { csv, installedAdmin, people, sendList } from '../helpers/api.js'
import { spawnWorker, type Worker } from '../helpers/worker-process.js'
import { workerSpecFor } from '../helpers/worker-spec.js'
import { expectInvitedExactlyOnce } from '../helpers/exactly-once.js'
import { IN_FLIGHT_SETTLE_MS, LEASE_TTL_MS } from '../../server/engine/job-runner.js'
import { seededRandom } from '../helpers/seeded-random.js'

const ROWS = 1000
const KILLS = 6
// A clock cannot be shared across processes, so the portal runs on real time. Its documented limits
// (50 requests, then 2 per second) would make each fresh worker, whose pacer starts from an empty model,
// wait out the earlier workers' requests; a large bucket keeps the test about crashes, not pacing.
const LIMITS = { burst: 10_000, drainPerSec: 1_000 }
// Each user.add inside a batch takes a few real milliseconds (and is charged little operating time), so a
// batch of 50 is on the wire for 150-200 ms: random kill points land mostly while rows are 'sending'.
const USER_ADD_DELAY_MS = 3


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits until the portal has finished what a killed worker left running (it completes a request whose client is gone). */
async function portalQuiet(stack: Stack): Promise<void> {
  let last = ''
  let stableSince = Date.now()
  await until(() => {
    const now = `${stack.portal.requests().length}/${stack.portal.users().length}`
    if (now !== last) {
      last = now
      stableSince = Date.now()
    }
    return Date.now() - stableSince >= 200 ? true : undefined
  }, 'the portal to go quiet', 10_000)
}

/** What waiting out a dead worker would do: its lease lapses and its rows' request is long over. */
async function letTimePass(stack: Stack, jobId: string, owner: string): Promise<void> {
  const ms = LEASE_TTL_MS + IN_FLIGHT_SETTLE_MS
  await stack.db.db.updateTable('portal_leases').set((eb) => ({ lease_until: eb('lease_until', '-', ms) })).where('owner', '=', owner).execute()
  await stack.db.db
    .updateTable('invite_job_items')
    .set((eb) => ({ sending_since: eb('sending_since', '-', ms) }))
    .where('job_id', '=', jobId)
    .where('state', '=', 'sending')
    .execute()
}

describe.each(BACKENDS)('crash and restart ($name)', (backend: Backend) => {
  let stack: Stack | undefined
  let spawned: Array<Promise<Worker>> = []
  afterEach(async () => {
    // Whatever a failed run left: every worker process dies before the data goes away.
    for (const w of spawned) await w.then((x) => x.kill(), () => undefined)
    spawned = []
    await stack?.close()
    stack = undefined
  })

  it(`a ${ROWS}-row job whose worker is SIGKILLed ${KILLS} times ends with every row invited exactly once`, async () => {
    const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))
    console.log(`[crash-resume ${backend.name}] CRASH_SEED=${seed}`)
    const random = seededRandom(seed)
    const started = Date.now()
    stack = await startStack(backend, { portal: { limits: LIMITS, methodTimes: { 'user.add': 0.01 } } })
    const s = stack
    const api = await installedAdmin(s)
    // From here on only the worker processes send; this instance serves the API and reads the stores.
    await s.a.app.stop()
    const list = people(ROWS, 'crash')
    const emails = list.slice(1).map((r) => r[0]!)
    const jobId = await sendList(api, csv(list), 'crash.csv')
    const { jobs, leases } = s.a.app.stores
    const memberId = s.portal.memberId
    expect((await jobs.get(memberId, jobId))?.status).toBe('running')
    const sinceRequest = s.portal.requests().length
    s.portal.injectFault({ method: 'user.add', kind: 'slow', delayMs: USER_ADD_DELAY_MS, probability: 1 })

    const spec = await workerSpecFor(s, LIMITS)
    const restarts: Array<{ sendingAtKill: number; invitedAtKill: number; ledgerAhead: number; leaseHeld: boolean; afterMs: number }> = []
    const boot = () => {
      const w = spawnWorker(spec)
      spawned.push(w)
      return w
    }
    const snapshot = async () => ({ invited: (await jobs.totals(jobId)).invited, sending: new Set((await jobs.inFlight(jobId)).map((i) => i.seq)) })
    // The next worker boots while the current one runs, and starts once that one is dead and its lease free.
    let next = boot()
    for (let k = 0; k < KILLS; k++) {
      const worker = await next
      next = boot()
      const before = await snapshot()
      await worker.start()
      // Killed at a random moment once it has moved the job on (reconciled what the last one left, or put
      // new rows on the wire): mid-request, mid-ledger write, between chunks, or during a look-up.
      await until(async () => {
        const now = await snapshot()
        return now.invited > before.invited || [...now.sending].some((seq) => !before.sending.has(seq)) ? true : undefined
      }, `worker ${k + 1} to make progress`, 30_000)
      const afterMs = Math.round(random() * 300)
      await sleep(afterMs)
      await worker.kill()
      const dead = worker
      const totals = await jobs.totals(jobId)
      expect(totals.queued + totals.sending, `kill ${k + 1} came after the job was done`).toBeGreaterThan(0)
      // Ledger entries written for rows still 'sending': the kill fell between the ledger and the item update.
      const { n } = await s.db.db.selectFrom('invitations').select((eb) => eb.fn.countAll<number>().as('n')).where('job_id', '=', jobId).executeTakeFirstOrThrow()
      const ledgerAhead = Number(n) - totals.invited
      // The dead worker still holds the portal's lease: nobody else sends until it lapses (30 s), and its
      // rows in 'sending' are only reconciled once the portal is surely done with their request (5 min).
      // The portal finishes that request here within a fraction of a second; then, instead of waiting out
      // both, the dead worker's timestamps are moved back by that much.
      const leaseHeld = (await leases.holder(memberId, Date.now())) === dead.owner
      await portalQuiet(s)
      await letTimePass(s, jobId, dead.owner)
      restarts.push({ sendingAtKill: totals.sending, invitedAtKill: totals.invited, ledgerAhead, leaseHeld, afterMs })
    }

    const final = await next
    await final.start()
    await until(async () => ((await jobs.get(memberId, jobId))?.status === 'completed' ? true : undefined), 'the job to complete', 40_000)
      .catch((e: unknown) => { throw new Error(`${String(e)}\nworker log:\n${final.stderr().slice(-4000)}`) })
    await final.stop()

    // Reconcile had something to do: at least one kill left rows in 'sending'.
    expect(restarts.some((r) => r.sendingAtKill > 0)).toBe(true)
    expect(restarts.filter((r) => r.leaseHeld).length).toBeGreaterThan(0)
    const figures = await expectInvitedExactlyOnce(s, jobId, emails, sinceRequest)
    expect(figures.userAddsRun).toBe(ROWS)

    console.log(
      `[crash-resume ${backend.name}] seed ${seed}; ${KILLS} kills, ${restarts.map((r) => r.afterMs).join('/')} ms after each worker's first progress; ` +
        `rows found 'sending' at each restart ${restarts.map((r) => r.sendingAtKill).join('/')} (invited before it ${restarts.map((r) => r.invitedAtKill).join('/')}; ` +
        `of those already in the ledger ${restarts.map((r) => r.ledgerAhead).join('/')}); ` +
        `lease held by the dead worker ${restarts.filter((r) => r.leaseHeld).length}/${KILLS}; ` +
        `portal: ${figures.userAddsRun} user.add for ${ROWS} rows, ${figures.requests} requests (${figures.batches} batches, ${figures.userGets} user.get commands); ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s`,
    )
  })
})
