import { InputError } from '../shared/errors.js'
import type { EventInbox } from '../storage/event-inbox.js'
import type { InstallService } from '../install/install-service.js'
import type { PortalVerification } from '../trust/portal-verification.js'

/**
 * Transport-side of events: verify, persist, answer. Bitrix24 never re-sends an event ("will not resend
 * the event", events/index.md), so an event is written to the inbox before we answer 200 and processed
 * after; a crash between the two loses nothing.
 */
export function createEventIntake(deps: {
  verification: PortalVerification
  install: InstallService
  inbox: EventInbox
  kick: () => void
  now?: () => number
  /** Each delivery's outcome (metrics). */
  observe?: (event: string, outcome: 'accepted' | 'refused') => void
}) {
  const now = deps.now ?? Date.now
  async function receive(body: Record<string, unknown>): Promise<{ accepted: true; id?: number }> {
    const event = typeof body.event === 'string' ? body.event.toUpperCase() : ''
    const auth = authOf(body)
    if (!event) throw new InputError('bad_event', 'No event name')
    if (event === 'ONAPPINSTALL') {
      // The one event that brings a new application_token: it has to be proven before we answer.
      await deps.install.installFromEvent(auth)
      return { accepted: true }
    }
    const portal = await deps.verification.verifyApplicationToken({ memberId: auth.member_id, applicationToken: auth.application_token })
    const { auth: _drop, ...rest } = body
    const id = await deps.inbox.add({ memberId: portal.memberId, event, payload: rest, receivedAt: now() })
    deps.kick()
    return { accepted: true, id }
  }
  return {
    async receive(body: Record<string, unknown>): Promise<{ accepted: true; id?: number }> {
      const event = typeof body.event === 'string' ? body.event.toUpperCase() : ''
      try {
        const out = await receive(body)
        deps.observe?.(event, 'accepted')
        return out
      } catch (e) {
        deps.observe?.(event, 'refused')
        throw e
      }
    },
  }
}

export type EventIntake = ReturnType<typeof createEventIntake>

/** The `auth[...]` block of a form-encoded portal callback (events and robots), or an empty one. */
export function authOf(body: Record<string, unknown>): Record<string, unknown> {
  return (body.auth && typeof body.auth === 'object' ? body.auth : {}) as Record<string, unknown>
}
