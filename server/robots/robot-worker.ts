/**
 * The robots' background loop: dispatch what arrived, decide what settled or ran out, send the replies.
 * A tick runs these in order, one tick at a time per instance; every step is safe to run on several
 * instances at once (claims and compare-and-set in the store). Arrivals kick a tick shortly after, so a
 * burst of calls is gathered into one round rather than one job per call.
 */
import type { Clock } from '../shared/clock.js'
import { errorText } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { createBackgroundLoop } from '../shared/background-loop.js'
import type { RobotRunStore } from '../storage/robot-run-store.js'
import { DISPATCH_STALE_MS, type RobotDispatch } from './robot-dispatch.js'
import type { RobotOutcomes } from './robot-outcomes.js'
import type { RobotReplies } from './robot-replies.js'

const POLL_MS = 1_000
/** How long an arrival waits for others before its round starts. */
const GATHER_MS = 200
const PORTALS_PER_TICK = 32

export function createRobotWorker(deps: { runs: RobotRunStore; dispatch: RobotDispatch; outcomes: RobotOutcomes; replies: RobotReplies; clock: Clock; log: Logger }) {
  const { runs, clock, log } = deps
  const loop = createBackgroundLoop({ name: 'robot', pollMs: POLL_MS, gatherMs: GATHER_MS, log, pass })

  async function pass(): Promise<void> {
    for (const memberId of await runs.membersToDispatch(clock.now() - DISPATCH_STALE_MS, PORTALS_PER_TICK)) {
      if (loop.stopped) return
      await deps.dispatch.dispatch(memberId).catch((e: unknown) => log.error({ memberId, err: errorText(e) }, 'robot dispatch failed'))
    }
    await deps.outcomes.settleQueued()
    await deps.outcomes.expireWaits()
    await deps.replies.sendDue()
  }

  return {
    start: loop.start,
    /** A call arrived or an item settled: a tick soon, gathering what else arrives meanwhile. */
    kick: loop.kick,
    stop: loop.stop,
    drain: loop.drain,
  }
}

export type RobotWorker = ReturnType<typeof createRobotWorker>
