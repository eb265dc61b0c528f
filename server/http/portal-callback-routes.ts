import { Router } from 'express'
import { NotFoundError } from '../shared/errors.js'
import { authOf, type EventIntake } from '../events/event-intake.js'
import type { PortalVerification } from '../trust/portal-verification.js'

/** Where robot calls go once verified (server/robots/robot-intake.ts). */
export interface RobotReceiver {
  codes: readonly string[]
  receive(input: { memberId: string; code: string; body: Record<string, unknown>; auth: Record<string, unknown> }): Promise<{ runId: string; duplicate: boolean }>
}

/** Server-to-server calls from the portal: events and automation-rule robots. Verify, hand over, answer. */
export function portalCallbackRoutes(deps: {
  intake: EventIntake
  verification: PortalVerification
  robots: RobotReceiver
}): Router {
  const r = Router()

  r.post('/events', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const out = await deps.intake.receive(body)
    res.json(out)
  })

  r.post('/robots/:code', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const auth = authOf(body)
    // Verification comes first: an unverified caller learns nothing, not even which robots exist.
    const portal = await deps.verification.verifyApplicationToken({ memberId: auth.member_id, applicationToken: auth.application_token })
    const code = String(req.params.code)
    if (!deps.robots.codes.includes(code)) throw new NotFoundError('unknown_robot', `No robot with code ${code.slice(0, 64).replace(/[^A-Za-z0-9._-]/g, '?')}`)
    const { auth: _auth, ...rest } = body
    // Answered at once: the work (and the reply through bizproc.event.send) happens in the robot worker.
    const out = await deps.robots.receive({ memberId: portal.memberId, code, body: rest, auth })
    res.json({ accepted: true, duplicate: out.duplicate })
  })

  return r
}
