/**
 * Closing the loop for the people who invite: a Bitrix24 notification when their invitee accepts (when the
 * portal's policy says so). Robots' invitations have no person to tell (their workflow gets the answer).
 */
import { errorText } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { PortalGateway } from '../portals/portal-gateway.js'
import type { Invitation } from '../storage/ledger-store.js'
import type { PortalStore } from '../storage/portal-store.js'
import type { PolicyService } from './policy-service.js'

export function createInviterNotices(deps: { policy: Pick<PolicyService, 'get'>; portals: PortalStore; gateway: PortalGateway; log: Logger }) {
  return {
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
