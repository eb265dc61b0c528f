/**
 * Decides runs from what happened after dispatch: a job item reached its outcome (invited, already there,
 * refused), the person a wait robot waits for accepted (ONUSERADD, or acceptance seen by a sync), or a
 * wait ran out. Each decision is a compare-and-set, so two instances or a repeated pass decide a run once.
 */
import type { Clock } from '../shared/clock.js'
import { errorText } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { findUsersByEmail } from '../engine/reconcile.js'
import type { PortalGateway } from '../portals/portal-gateway.js'
import type { LedgerStore } from '../storage/ledger-store.js'
import type { PortalStore } from '../storage/portal-store.js'
import type { RobotRun, RobotRunStore, RunDecision, SettledRun } from '../storage/robot-run-store.js'
import { langOf, reason } from './robot-messages.js'
import { acceptanceResult, groupResult, inviteResult, waitTimeoutText } from './robot-plan.js'

const PER_PASS = 500

export function createRobotOutcomes(deps: {
  runs: RobotRunStore
  ledger: LedgerStore
  portals: PortalStore
  gateway: PortalGateway
  clock: Clock
  log: Logger
}) {
  const { runs, clock, log } = deps

  async function langFor(memberId: string) {
    return langOf((await deps.portals.get(memberId))?.lang)
  }

  function decisionFor(s: SettledRun, lang: 'ru' | 'en', existingIds: Map<string, number>): RunDecision {
    const { run, item } = s
    if (run.robotCode === 'add_to_group') {
      if (item.state === 'invited') return groupResult({ status: 'added', userId: item.userId })
      if (item.state === 'skipped') return groupResult({ status: 'failed', errorText: reason(lang, 'cancelled') })
      return groupResult({ status: 'failed', errorText: reason(lang, 'send_failed', { value: item.errorMessage ?? item.errorCode ?? '' }) })
    }
    // Someone already in the portal was brought into the group: their account existed.
    if (item.state === 'invited') return inviteResult({ status: item.groupInvite ? 'already_exists' : 'invited', userId: item.userId })
    if (item.state === 'skipped' && item.errorCode === 'already_exists') {
      return inviteResult({ status: 'already_exists', userId: (run.email && existingIds.get(run.email)) || null })
    }
    if (item.state === 'skipped') return inviteResult({ status: 'failed', errorText: reason(lang, 'cancelled') })
    return inviteResult({ status: 'failed', errorText: reason(lang, 'send_failed', { value: item.errorMessage ?? item.errorCode ?? '' }) })
  }

  return {
    /** Queued runs whose job item settled; returns how many were decided. */
    async settleQueued(): Promise<number> {
      const settled = await runs.settledQueued(PER_PASS)
      if (settled.length === 0) return 0
      let decided = 0
      const byPortal = new Map<string, SettledRun[]>()
      for (const s of settled) byPortal.set(s.run.memberId, [...(byPortal.get(s.run.memberId) ?? []), s])
      for (const [memberId, list] of byPortal) {
        const lang = await langFor(memberId)
        // "Already exists" from user.add carries no id: the portal tells it, one look-up for the whole pass.
        const lookUp = [...new Set(list.filter((s) => s.item.state === 'skipped' && s.item.errorCode === 'already_exists' && s.run.email).map((s) => s.run.email!))]
        const existingIds = new Map<string, number>()
        if (lookUp.length) {
          try {
            for (const [email, u] of await findUsersByEmail(deps.gateway, memberId, lookUp)) existingIds.set(email, u.id)
          } catch (e) {
            log.warn({ memberId, err: errorText(e) }, 'could not look up existing users for robot replies; answering without USER_ID')
          }
        }
        for (const s of list) if (await runs.decide(memberId, s.run.id, ['queued'], decisionFor(s, lang, existingIds), clock.now())) decided++
      }
      return decided
    },

    /** The person accepted: every wait robot waiting for them answers ACCEPTED=Y. */
    async accepted(memberId: string, who: { userId: number | null; email: string | null; at: number }): Promise<number> {
      let n = 0
      for (const run of await runs.waitingFor(memberId, who)) {
        if (await runs.decide(memberId, run.id, ['waiting'], acceptanceResult({ accepted: true, at: who.at, userId: who.userId ?? run.userId }), clock.now())) n++
      }
      return n
    },

    /** Waits whose time ran out answer ACCEPTED=N with the reason. */
    async expireWaits(): Promise<number> {
      let n = 0
      for (const run of await runs.dueWaits(clock.now(), PER_PASS)) {
        const lang = await langFor(run.memberId)
        const had = await hadInvitation(run)
        if (await runs.decide(run.memberId, run.id, ['waiting'], acceptanceResult({ accepted: false, at: null, userId: run.userId, errorText: waitTimeoutText(run, lang, had) }), clock.now())) n++
      }
      return n
    },
  }

  async function hadInvitation(run: RobotRun): Promise<boolean> {
    if (run.userId !== null && (await deps.ledger.findByUserId(run.memberId, run.userId)).length) return true
    return !!run.email && (await deps.ledger.findByEmail(run.memberId, run.email)).length > 0
  }
}

export type RobotOutcomes = ReturnType<typeof createRobotOutcomes>
