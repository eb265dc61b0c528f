import { REINVITE_METHOD } from '../ledger/invitation-lifecycle.js'
import type { PortalGateway } from '../portals/portal-gateway.js'
import type { Clock } from '../shared/clock.js'
import { AppError, errorText, NotAvailableError, NotFoundError } from '../shared/errors.js'
import type { AuditLog } from '../storage/audit-log.js'
import type { CollabStore } from '../storage/collab-store.js'
import type { PortalRecord, PortalStore } from '../storage/portal-store.js'

export type CollabActionName = 'invite' | 'remind' | 'remove' | 'deactivate'

export interface CollabAction {
  available: boolean
  /** The REST method used, when available. */
  via: string | null
  /** What happens instead, or what to know (English; the UI has its own words for each case). */
  fallback: string | null
}

/** SRC-only collab methods (rest-facts §3.3), used when the portal answers them. */
const COLLAB_MEMBER_DELETE = 'socialnetwork.collab.member.delete'
const GROUP_USER_DELETE = 'sonet_group.user.delete'
const USER_UPDATE = 'user.update'
const USER_ADD = 'user.add'

/**
 * What can be done to a collab's guests on this portal, decided by what the portal answered at install
 * (method.get). Nothing here is assumed: a method the portal did not confirm is not called.
 */
export function collabActions(portal: Pick<PortalRecord, 'capabilities'>): Record<CollabActionName, CollabAction> {
  const has = (m: string) => portal.capabilities[m.toLowerCase()] === true
  const removeVia = has(COLLAB_MEMBER_DELETE) ? COLLAB_MEMBER_DELETE : has(GROUP_USER_DELETE) ? GROUP_USER_DELETE : null
  return {
    invite: has(USER_ADD)
      ? { available: true, via: USER_ADD, fallback: 'Bitrix24 documents no collab-guest invitation: guests are invited as extranet users into the collab (user.add with EXTRANET=Y and SONET_GROUP_ID).' }
      : { available: false, via: null, fallback: "Use the collab's own invite dialog." },
    remind: has(REINVITE_METHOD)
      ? { available: true, via: REINVITE_METHOD, fallback: null }
      : { available: false, via: null, fallback: "The portal does not answer intranet.invite.reinvite: use \"Invite again\" in the person's profile or the collab's own dialog." },
    remove: removeVia
      ? { available: true, via: removeVia, fallback: null }
      : { available: false, via: null, fallback: "Remove the guest in the collab's member list." },
    deactivate: has(USER_UPDATE)
      ? { available: true, via: USER_UPDATE, fallback: null }
      : { available: false, via: null, fallback: 'Deactivate the account in the portal\'s employee list.' },
  }
}

export function createCollabActionRunner(deps: {
  collabs: CollabStore
  portals: PortalStore
  gateway: PortalGateway
  audit: AuditLog
  clock: Clock
}) {
  async function portalOf(memberId: string): Promise<PortalRecord> {
    const p = await deps.portals.get(memberId)
    if (!p) throw new NotFoundError('portal_not_found', 'Unknown portal')
    return p
  }

  /** The relation must be one the sync knows; otherwise the caller is told plainly. */
  async function relation(memberId: string, collabId: number, userId: number) {
    const m = (await deps.collabs.memberships(memberId, [collabId])).find((x) => x.userId === userId)
    const person = (await deps.collabs.people(memberId, [userId])).get(userId)
    if (!m || !person || person.userType !== 'extranet') throw new NotFoundError('guest_not_found', 'This person is not a guest of this collab (as of the last sync)')
    return { m, person }
  }

  function notAvailable(action: CollabAction, domain: string, collabId: number): never {
    throw new NotAvailableError(action.fallback ?? 'Not available on this portal', { collabUrl: `https://${domain}/workgroups/group/${collabId}/` })
  }

  async function audited<T>(memberId: string, actor: number, action: string, details: Record<string, unknown>, run: () => Promise<T>): Promise<T> {
    try {
      const out = await run()
      await deps.audit.record({ memberId, at: deps.clock.now(), actorUserId: actor, actorKind: 'user', action, subject: `collab:${String(details.collabId)}`, details, result: 'ok' })
      return out
    } catch (e) {
      await deps.audit.record({ memberId, at: deps.clock.now(), actorUserId: actor, actorKind: 'user', action, subject: `collab:${String(details.collabId)}`, details: { ...details, error: errorText(e) }, result: 'failed' })
      throw e
    }
  }

  /** Removes the guest from the collab with the method the portal offers; the relation goes from our copy at once. */
  async function removeFromCollab(portal: PortalRecord, collabId: number, userId: number): Promise<string> {
    const action = collabActions(portal).remove
    if (!action.available || !action.via) notAvailable(action, portal.domain, collabId)
    if (action.via === COLLAB_MEMBER_DELETE) await deps.gateway.call(portal.memberId, COLLAB_MEMBER_DELETE, { groupId: collabId, members: [`U${userId}`] })
    else {
      const removed = await deps.gateway.call<unknown[]>(portal.memberId, GROUP_USER_DELETE, { GROUP_ID: collabId, USER_ID: userId })
      if (Array.isArray(removed) && removed.length === 0) throw new AppError('portal_refused', 'The portal removed nobody (the owner cannot be removed)', 409)
    }
    await deps.collabs.removeMembership(portal.memberId, collabId, userId)
    return action.via
  }

  return {
    async remind(memberId: string, collabId: number, userId: number, actor: number): Promise<{ via: string }> {
      const portal = await portalOf(memberId)
      const { person, m } = await relation(memberId, collabId, userId)
      if (person.lastLogin !== null && m.role !== 'invited') throw new AppError('already_accepted', 'This guest has already accepted', 409)
      const action = collabActions(portal).remind
      if (!action.available || !action.via) notAvailable(action, portal.domain, collabId)
      return audited(memberId, actor, 'collab.guest.remind', { collabId, userId }, async () => {
        await deps.gateway.call(memberId, REINVITE_METHOD, { params: { userId } })
        return { via: REINVITE_METHOD }
      })
    },

    async remove(memberId: string, collabId: number, userId: number, actor: number | null): Promise<{ via: string }> {
      const portal = await portalOf(memberId)
      await relation(memberId, collabId, userId)
      if (actor === null) return { via: await removeFromCollab(portal, collabId, userId) }
      return audited(memberId, actor, 'collab.guest.remove', { collabId, userId }, async () => ({ via: await removeFromCollab(portal, collabId, userId) }))
    },

    async deactivate(memberId: string, collabId: number, userId: number, actor: number): Promise<{ via: string }> {
      const portal = await portalOf(memberId)
      const { person } = await relation(memberId, collabId, userId)
      if (!person.active) throw new AppError('already_deactivated', 'This account is already deactivated', 409)
      const action = collabActions(portal).deactivate
      if (!action.available) notAvailable(action, portal.domain, collabId)
      return audited(memberId, actor, 'collab.guest.deactivate', { collabId, userId }, async () => {
        await deps.gateway.call(memberId, USER_UPDATE, { ID: userId, ACTIVE: 'N' })
        await deps.collabs.upsertPeople(memberId, [{ ...person, active: false, syncedAt: deps.clock.now() }])
        return { via: USER_UPDATE }
      })
    },

    removeFromCollab,
  }
}

export type CollabActionRunner = ReturnType<typeof createCollabActionRunner>
