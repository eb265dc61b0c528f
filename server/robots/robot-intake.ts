/**
 * Transport-side of robot calls, after the application_token was verified: parse, persist, answer. The
 * run is written before the portal gets its 200, and a repeated delivery (same workflow and event token)
 * finds the run it made the first time, so it never invites twice. The work happens in the robot worker.
 */
import { ROBOT_CODES, type RobotCode } from '../../install/manifest.js'
import type { Clock } from '../shared/clock.js'
import type { RobotRunStore } from '../storage/robot-run-store.js'
import { parseRobotCall, propText } from './robot-call.js'

export function createRobotIntake(deps: { runs: RobotRunStore; hashToken: (token: string) => string; kick: () => void; clock: Clock }) {
  return {
    codes: ROBOT_CODES as readonly string[],
    async receive(input: { memberId: string; code: string; body: Record<string, unknown>; auth: Record<string, unknown> }): Promise<{ runId: string; duplicate: boolean }> {
      const call = parseRobotCall(input.code, input.body, input.auth)
      const email = propText(call.properties, 'EMAIL').toLowerCase()
      const { run, duplicate } = await deps.runs.insert(
        {
          memberId: input.memberId,
          robotCode: input.code as RobotCode,
          workflowId: call.workflowId,
          eventToken: call.eventToken,
          eventTokenHash: deps.hashToken(call.eventToken),
          documentId: call.documentId,
          documentType: call.documentType,
          properties: call.properties,
          useSubscription: call.useSubscription,
          authUserId: call.authUserId,
          // The portal stops waiting timeout_duration seconds after it sent the call.
          portalTimeoutAt: call.timeoutSec > 0 ? (call.sentAt ?? deps.clock.now()) + call.timeoutSec * 1000 : null,
          email: email.length > 0 && email.length <= 254 ? email : null,
        },
        deps.clock.now(),
      )
      if (!duplicate) deps.kick()
      return { runId: run.id, duplicate }
    },
  }
}

export type RobotIntake = ReturnType<typeof createRobotIntake>
