/**
 * Issue 9: several instances on one PostgreSQL. 200 emulated portals, one job of 100 new people each, sent by
 * 1, 2 and 3 worker processes (the real app, test/helpers/worker-process.ts), then by 3 while one of them is
 * SIGKILLed every few seconds and restarted. After every run: every e-mail invited exactly once, counted on
 * the portals (one account each, one user.add each) and in our stores (items, ledger).
 *
 * Why it scales: a portal's requests are paced by that portal's own limits and one worker holds a portal at a
 * time, so an instance is bounded by how many portals it sends for at once (32); a second instance takes
 * other portals. The portals here answer like a busy cloud portal: each user.add takes 100 ms, so a batch of
 * 50 is on the wire for 5 s and a portal's 100 invites take about 10 s whoever sends them.
 *
 * The engine's waits after a crash are shortened (lease 10 s instead of 30 s, settle window 30 s instead of
 * 5 min): the portals' longest request is that 5 s batch (up to 12 s seen when the machine was loaded), so the
 * settle window still covers it; the report shows the longest. A settle window of 8 s was tried first: on a
 * loaded machine 3 e-mails of 20,000 got a second user.add (refused by the portal as existing), which is what
 * the window is for. Job creation (upload, dry run, send through the
 * API) is not timed; a run's time is from its workers' start to its last job completed.
 */
import { checkFleet, queueJobs, runFleet, startFleet, type FleetCheck, type FleetRun } from '../test/helpers/fleet.js'

export interface ScalingRun extends FleetRun {
  label: string
  check: FleetCheck
}

export interface InstanceScalingResult {
  leaseTtlMs: number
  inFlightSettleMs: number
  portals: number
  invitesPerPortal: number
  userAddDelayMs: number
  portalsPerInstance: number
  killEveryMs: number
  runs: ScalingRun[]
  setupSec: number
}

export async function measureInstanceScaling(opts: {
  portals: number
  invitesPerPortal: number
  userAddDelayMs: number
  killEveryMs: number
  seed: number
  log: (s: string) => void
}): Promise<InstanceScalingResult> {
  const engine = { leaseTtlMs: 10_000, inFlightSettleMs: 30_000, portalsInParallel: 32 }
  const t0 = Date.now()
  const fleet = await startFleet({ portals: opts.portals, userAddDelayMs: opts.userAddDelayMs, engine, poolMax: 8 })
  const setupSec = (Date.now() - t0) / 1000
  opts.log(`${opts.portals} portals installed in ${setupSec.toFixed(1)} s`)
  const runs: ScalingRun[] = []
  try {
    const plan: Array<{ label: string; instances: number; killEveryMs?: number }> = [
      { label: '1 instance', instances: 1 },
      { label: '2 instances', instances: 2 },
      { label: '3 instances', instances: 3 },
      { label: `3 instances, one SIGKILLed every ~${opts.killEveryMs / 1000} s`, instances: 3, killEveryMs: opts.killEveryMs },
    ]
    for (const [k, step] of plan.entries()) {
      const jobs = await queueJobs(fleet, opts.invitesPerPortal, `scale${k}`)
      const run = await runFleet(fleet, jobs, {
        instances: step.instances, seed: opts.seed + k, timeoutMs: 15 * 60_000,
        ...(step.killEveryMs ? { killEveryMs: step.killEveryMs } : {}),
      })
      const check = await checkFleet(fleet, jobs)
      runs.push({ label: step.label, ...run, check })
      opts.log(`${step.label}: ${run.invites} invites in ${run.wallSec.toFixed(1)} s (${run.invitesPerSec.toFixed(0)}/s), ${run.kills.length} kills; ${JSON.stringify(check)}`)
    }
  } finally {
    await fleet.close()
  }
  return {
    leaseTtlMs: engine.leaseTtlMs, inFlightSettleMs: engine.inFlightSettleMs,
    portals: opts.portals, invitesPerPortal: opts.invitesPerPortal, userAddDelayMs: opts.userAddDelayMs, portalsPerInstance: engine.portalsInParallel,
    killEveryMs: opts.killEveryMs, runs, setupSec,
  }
}
