import type { Clock } from '../shared/clock.js'
import type { Logger } from '../shared/logger.js'
import { errorText } from '../shared/errors.js'
import type { PortalGateway } from '../portals/portal-gateway.js'
import { readGroupRosters, type GroupRoster } from '../portals/group-rosters.js'
import type { AuditLog } from '../storage/audit-log.js'
import type { DirectoryStore } from '../storage/directory-store.js'
import { OUTSTANDING_STATES, type Invitation, type LedgerStore } from '../storage/ledger-store.js'
import type { PortalRecord, PortalStore } from '../storage/portal-store.js'

/** rest-facts §1.3: undocumented, used by the portal's own UI; probed per portal with method.get. */
export const REINVITE_METHOD = 'intranet.invite.reinvite'
const DUE_PER_PASS = 200

export interface RemindResult {
  resent: boolean
  /** Why nothing was sent: 'reinvite_unsupported', 'already_accepted', 'not_outstanding', 'no_user', 'portal_refused'. */
  reason?: string
  /** The person's page in the portal, where Bitrix24 offers its own "Invite again". */
  portalUrl?: string
  message?: string
}

/** The person's profile in the portal: for an invited-not-accepted user it carries "Invite again". */
export function portalUserUrl(portal: Pick<PortalRecord, 'domain' | 'clientEndpoint'>, userId: number): string {
  const origin = new URL(portal.clientEndpoint).origin
  return `${origin}/company/personal/user/${userId}/`
}

/**
 * What happens to an invitation after it was sent: acceptance (ONUSERADD, or a first login seen by the
 * directory sync), reminders (resend where the portal answers intranet.invite.reinvite, otherwise the
 * person's page with the portal's own "Invite again"), and expiry. Every change goes through the ledger's
 * compare-and-set transitions, so the event and the sync can race without double entries.
 */
export function createInvitationLifecycle(deps: {
  ledger: LedgerStore
  directory: DirectoryStore
  portals: PortalStore
  gateway: PortalGateway
  audit: AuditLog
  clock: Clock
  log: Logger
  /** After an acceptance (guest stays become active and are welcomed). */
  onAccepted?: (memberId: string, invitation: Invitation) => Promise<unknown>
}) {
  const { ledger, clock, log } = deps

  async function accept(memberId: string, inv: Invitation, via: 'ONUSERADD' | 'sync' | 'group'): Promise<boolean> {
    const ok = await ledger.transition(memberId, inv.id, [...OUTSTANDING_STATES], 'accepted', clock.now(), null, { via })
    if (ok) {
      await deps.audit.record({
        memberId, at: clock.now(), actorUserId: inv.userId, actorKind: via === 'sync' ? 'system' : 'portal',
        action: 'invitation.accepted', subject: inv.id, details: { via, userId: inv.userId }, result: 'ok',
      })
      await joinGroups(memberId, inv)
      await deps.onAccepted?.(memberId, inv).catch((e: unknown) => log.warn({ memberId, invitationId: inv.id, err: errorText(e) }, 'accepted hook failed'))
    }
    return ok
  }

  /**
   * Employees join the template's or row's workgroups once they exist as users: user.add takes groups only
   * for extranet invitations (SONET_GROUP_ID), so intranet ones are added on acceptance (sonet_group.user.add).
   */
  async function joinGroups(memberId: string, inv: Invitation): Promise<void> {
    if (inv.target.kind !== 'intranet' || inv.target.groupIds.length === 0 || !inv.userId) return
    const calls = Object.fromEntries(inv.target.groupIds.map((g) => [`g${g}`, ['sonet_group.user.add', { GROUP_ID: g, USER_ID: inv.userId }] as [string, Record<string, unknown>]]))
    let failed: string[]
    try {
      const out = await deps.gateway.batch(memberId, calls)
      failed = Object.entries(out).filter(([, o]) => !o.ok).map(([k, o]) => `${k.slice(1)}: ${o.ok ? '' : o.message}`)
    } catch (e) {
      failed = [errorText(e)]
    }
    await deps.audit.record({
      memberId, at: clock.now(), actorUserId: null, actorKind: 'system', action: 'invitation.groups_joined', subject: inv.id,
      details: { groupIds: inv.target.groupIds, userId: inv.userId, ...(failed.length ? { failed } : {}) }, result: failed.length ? 'failed' : 'ok',
    })
  }

  /** Group invitations of people already in the portal: accepted once they are members (not just invited). */
  async function acceptJoined(memberId: string, invitations: Invitation[]): Promise<number> {
    const groupIds = [...new Set(invitations.flatMap((i) => i.target.groupIds))]
    if (groupIds.length === 0) return 0
    let rosters: Map<number, GroupRoster>
    try {
      // A group gone or hidden holds nobody; other failures wait for the next pass.
      rosters = await readGroupRosters(deps.gateway, memberId, groupIds, { missingIsEmpty: true })
    } catch (e) {
      log.warn({ memberId, err: errorText(e) }, 'could not read group members; joined guests wait for the next pass')
      return 0
    }
    let accepted = 0
    for (const inv of invitations) {
      if (inv.target.groupIds.every((g) => rosters.get(g)?.members.has(inv.userId!)) && (await accept(memberId, inv, 'group'))) accepted++
    }
    return accepted
  }

  async function reinvite(portal: PortalRecord, inv: Invitation): Promise<RemindResult> {
    if (!OUTSTANDING_STATES.includes(inv.state)) {
      return { resent: false, reason: inv.state === 'accepted' ? 'already_accepted' : 'not_outstanding' }
    }
    if (!inv.userId) return { resent: false, reason: 'no_user' }
    const portalUrl = portalUserUrl(portal, inv.userId)
    if (portal.capabilities[REINVITE_METHOD.toLowerCase()] !== true) return { resent: false, reason: 'reinvite_unsupported', portalUrl }
    try {
      await deps.gateway.call(portal.memberId, REINVITE_METHOD, { params: { userId: inv.userId } })
    } catch (e) {
      return { resent: false, reason: 'portal_refused', portalUrl, message: errorText(e) }
    }
    return { resent: true }
  }

  return {
    /** ONUSERADD: the invited person completed registration. Unknown people are not ours to track. */
    async onUserAdded(memberId: string, data: Record<string, unknown>): Promise<number> {
      const userId = Number(data.ID)
      const email = typeof data.EMAIL === 'string' ? data.EMAIL : ''
      const byId = Number.isInteger(userId) && userId > 0 ? await ledger.findByUserId(memberId, userId) : []
      const candidates = byId.length ? byId : email ? await ledger.findByEmail(memberId, email) : []
      let accepted = 0
      for (const inv of candidates) if (await accept(memberId, inv, 'ONUSERADD')) accepted++
      return accepted
    },

    /** After a directory sync: outstanding invitations whose person has logged in meanwhile (ONUSERADD lost or late). */
    async acceptSeenInDirectory(memberId: string): Promise<number> {
      let accepted = 0
      for (let offset = 0; ; offset += DUE_PER_PASS) {
        const { rows } = await ledger.list(memberId, { states: [...OUTSTANDING_STATES] }, { limit: DUE_PER_PASS, offset, order: 'oldest' })
        if (rows.length === 0) break
        const users = await deps.directory.usersByEmails(memberId, rows.map((r) => r.email).filter((e): e is string => !!e))
        // People already in the portal logged in long ago: they accept by joining the group (below).
        const joining = rows.filter((inv) => inv.target.existingUser && inv.userId !== null)
        for (const inv of rows) {
          if (inv.target.existingUser) continue
          const u = inv.email ? users.get(inv.email.toLowerCase()) : undefined
          if (u && u.lastLogin !== null && (inv.userId === null || inv.userId === u.id) && (await accept(memberId, inv, 'sync'))) accepted++
        }
        accepted += await acceptJoined(memberId, joining)
        if (rows.length < DUE_PER_PASS) break
      }
      return accepted
    },

    /** A person asked for a reminder from the ledger. */
    async remind(memberId: string, id: string, actorUserId: number): Promise<RemindResult | undefined> {
      const [inv, portal] = await Promise.all([ledger.get(memberId, id), deps.portals.get(memberId)])
      if (!inv || !portal) return undefined
      const r = await reinvite(portal, inv)
      if (r.resent) await ledger.noteReminder(memberId, id, clock.now())
      await deps.audit.record({
        memberId, at: clock.now(), actorUserId, actorKind: 'user', action: 'invitation.remind', subject: id,
        details: { resent: r.resent, ...(r.reason ? { reason: r.reason } : {}) }, result: r.resent || r.reason === 'reinvite_unsupported' ? 'ok' : 'failed',
      })
      return r
    },

    /** The scheduler's pass over one portal: expire what is past its date, remind what is due. */
    async runDue(memberId: string): Promise<{ expired: number; reminded: number; manual: number }> {
      const portal = await deps.portals.get(memberId)
      const out = { expired: 0, reminded: 0, manual: 0 }
      if (!portal || portal.status !== 'installed') return out
      const now = clock.now()
      for (const inv of await ledger.duePending(memberId, now, DUE_PER_PASS)) {
        if (inv.expiresAt !== null && inv.expiresAt <= now) {
          if (await ledger.transition(memberId, inv.id, [...OUTSTANDING_STATES], 'expired', now, null, { via: 'schedule' })) out.expired++
          continue
        }
        const r = await reinvite(portal, inv)
        // The schedule moves on either way (a refusal is never retried in a loop); only a resend counts as a reminder.
        if (r.resent) await ledger.noteReminder(memberId, inv.id, now)
        else await ledger.deferReminder(memberId, inv.id, now)
        if (r.resent) out.reminded++
        else out.manual++
      }
      if (out.expired || out.reminded || out.manual) {
        await deps.audit.record({ memberId, at: now, actorUserId: null, actorKind: 'system', action: 'invitation.schedule', subject: null, details: out, result: 'ok' })
        log.info({ memberId, ...out }, 'reminder and expiry pass')
      }
      return out
    },
  }
}

export type InvitationLifecycle = ReturnType<typeof createInvitationLifecycle>
