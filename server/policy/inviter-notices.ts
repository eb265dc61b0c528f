/**
 * Closing the loop for the people who invite (when the portal's policy says so): a Bitrix24 notification when
 * their invitee accepts, and once a day a list of their invitations still pending after a day. Robots'
 * invitations have no person to tell (their workflow gets the answer).
 */
import { errorText } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { PortalGateway } from '../portals/portal-gateway.js'
import type { Clock } from '../shared/clock.js'
import type { InvitePolicyStore } from '../storage/invite-policy-store.js'
import type { Invitation, LedgerStore } from '../storage/ledger-store.js'
import type { PortalStore } from '../storage/portal-store.js'
import type { PolicyService } from './policy-service.js'

const DAY_MS = 86_400_000
/** The digest looks at this many outstanding invitations per portal at most. */
const DIGEST_SCAN = 10_000
const DIGEST_NAMES = 5

export function createInviterNotices(deps: {
  policy: Pick<PolicyService, 'get'>
  store: Pick<InvitePolicyStore, 'claimDigest'>
  ledger: LedgerStore
  portals: PortalStore
  gateway: PortalGateway
  clock: Clock
  log: Logger
}) {
  return {
    /** Once a day per portal (across instances): each inviter hears which of their invitations still wait. Returns how many were told. */
    async digest(memberId: string): Promise<number> {
      if (!(await deps.policy.get(memberId)).notifyInviters) return 0
      const now = deps.clock.now()
      if (!(await deps.store.claimDigest(memberId, new Date(now).toISOString().slice(0, 10), now))) return 0
      const portal = await deps.portals.get(memberId)
      if (!portal || portal.status !== 'installed') return 0
      const { rows } = await deps.ledger.list(memberId, { states: ['sent', 'pending'], sentBefore: now - DAY_MS }, { limit: DIGEST_SCAN, offset: 0, order: 'oldest' })
      const byInviter = new Map<number, Invitation[]>()
      for (const inv of rows) if (inv.invitedBy !== null && inv.source !== 'robot') byInviter.set(inv.invitedBy, [...(byInviter.get(inv.invitedBy) ?? []), inv])
      let told = 0
      for (const [userId, list] of byInviter) {
        const names = list.slice(0, DIGEST_NAMES).map((i) => [i.name, i.lastName].filter(Boolean).join(' ') || i.email || i.phone || '?').join(', ')
        const more = list.length > DIGEST_NAMES ? (portal.lang === 'ru' ? ` и ещё ${list.length - DIGEST_NAMES}` : ` and ${list.length - DIGEST_NAMES} more`) : ''
        const message = portal.lang === 'ru'
          ? `Invite Desk: ещё не приняли ваше приглашение (${list.length}): ${names}${more}.`
          : `Invite Desk: ${list.length} of your invitations are still pending: ${names}${more}.`
        try {
          await deps.gateway.call(memberId, 'im.notify.system.add', { USER_ID: userId, MESSAGE: message, TAG: `invite-desk-pending-${userId}` })
          told++
        } catch (e) {
          deps.log.warn({ memberId, userId, err: errorText(e) }, 'pending digest notification failed')
        }
      }
      return told
    },

    async accepted(memberId: string, inv: Invitation): Promise<boolean> {
      if (inv.invitedBy === null || inv.source === 'robot') return false
      if (!(await deps.policy.get(memberId)).notifyInviters) return false
      const portal = await deps.portals.get(memberId)
      if (!portal) return false
      const who = [inv.name, inv.lastName].filter(Boolean).join(' ') || inv.email || inv.phone || `#${inv.userId ?? ''}`
      const message = portal.lang === 'ru'
        ? `Invite Desk: ${who} принял(а) ваше приглашение и вошёл(ла) в Битрикс24.`
        : `Invite Desk: ${who} accepted your invitation and joined Bitrix24.`
      try {
        await deps.gateway.call(memberId, 'im.notify.system.add', { USER_ID: inv.invitedBy, MESSAGE: message, TAG: `invite-desk-accepted-${inv.id}` })
        return true
      } catch (e) {
        deps.log.warn({ memberId, invitationId: inv.id, err: errorText(e) }, 'acceptance notification failed')
        return false
      }
    },
  }
}
