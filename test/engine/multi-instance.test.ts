/**
 * Several instances on one PostgreSQL: three worker processes share the jobs of many portals (any instance
 * takes any portal, one at a time per portal through the lease), while one of them is SIGKILLed every
 * second or two and replaced. Every e-mail still ends invited exactly once: one account per e-mail on its
 * portal, one user.add per e-mail, one ledger entry per row. The bench runs the same at full size
 * (200 portals × 100 invites, bench/instance-scaling.ts).
 *
 * The engine's waits after a crash are shortened (lease 3 s instead of 30 s, settle window 10 s instead of
 * 5 min): the emulated portal's longest request here is a batch of 50 user.add at 10 ms each (0.5 s when
 * the machine is idle, a few seconds under a loaded CI run), inside the settle window, which the test checks
 * first. A settle window shorter than a request shows up as an e-mail with two user.add (tried: lease 1 ms
 * and no settle window → 328 user.add too many).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { checkFleet, queueJobs, runFleet, startFleet, type Fleet } from '../helpers/fleet.js'

const PORTALS = 16
const INVITES = 100
const ENGINE = { leaseTtlMs: 3_000, inFlightSettleMs: 10_000, portalsInParallel: 3 }

describe('three instances on one PostgreSQL', () => {
  let fleet: Fleet | undefined
  afterEach(async () => {
    await fleet?.close()
    fleet = undefined
  })

  it(`${PORTALS} portals × ${INVITES} invites, one instance SIGKILLed every 1-2 s and restarted: every e-mail invited exactly once`, async () => {
    const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))
    fleet = await startFleet({ portals: PORTALS, userAddDelayMs: 10, engine: ENGINE, poolMax: 4 })
    const jobs = await queueJobs(fleet, INVITES, 'fleet')
    const run = await runFleet(fleet, jobs, { instances: 3, killEveryMs: 1_500, seed, timeoutMs: 120_000 })
    const check = await checkFleet(fleet, jobs)
    console.log(`[multi-instance] CRASH_SEED=${seed}; ${run.kills.length} kills in ${run.wallSec.toFixed(1)} s ` +
      `(leases held at each ${run.kills.map((k) => k.leasesHeld).join('/')}, rows sending ${run.kills.map((k) => k.rowsSending).join('/')}); ` +
      `${run.requests} portal requests, ${run.limitRefusals} refused, longest batch ${run.longestUserAddBatchSec} s; ${JSON.stringify(check)}`)

    // The precondition of the shortened settle window: no request outlived it.
    expect(run.longestUserAddBatchSec * 1000, 'a batch ran longer than the settle window').toBeLessThan(ENGINE.inFlightSettleMs)
    // The chaos happened: instances died holding portals, with rows on the wire.
    expect(run.kills.length).toBeGreaterThanOrEqual(3)
    expect(run.kills.some((k) => k.leasesHeld > 0)).toBe(true)
    expect({ ...check, samples: check.samples.length }).toEqual({
      jobs: PORTALS, jobsCompleted: PORTALS, emails: PORTALS * INVITES, itemsWrong: 0, accountsMissing: 0, accountsDuplicated: 0,
      userAddsRun: PORTALS * INVITES, ledgerRows: PORTALS * INVITES, samples: 0,
    })
  }, 240_000)
})
