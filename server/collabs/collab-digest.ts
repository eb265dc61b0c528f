import type { PortalGateway } from '../portals/portal-gateway.js'
import type { Clock } from '../shared/clock.js'
import { errorText } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { AuditLog } from '../storage/audit-log.js'
import type { CollabStore } from '../storage/collab-store.js'
import type { PortalStore } from '../storage/portal-store.js'
import { appPageUrl } from './app-link.js'
import type { CollabDashboard } from './collab-dashboard.js'
import type { CollabSettingsService } from './collab-settings.js'
import { daysBetween, historyDay } from './guest-state.js'

const NOTIFY = 'im.notify.system.add'
/** A notification lists this many collabs by name; the rest are a count. */
const NAMED_COLLABS = 10

export interface DigestReport {
  /** Owners notified. */
  sent: number
  /** Owners the portal refused to notify. */
  failed: number
  pending: number
  inactive: number
}

/**
 * Once a day, each collab owner hears about their collabs' invitations still not accepted after N days and
 * their guests inactive for M days (Settings). One digest per portal per day across instances (claimDigest).
 */
export function createCollabDigest(deps: {
  dashboard: CollabDashboard
  collabs: CollabStore
  settings: CollabSettingsService
  portals: PortalStore
  gateway: PortalGateway
  audit: AuditLog
  clock: Clock
  log: Logger
}) {
  return {
    /** Sends today's digest unless it went out already today or is switched off; null when nothing was sent. */
    async run(memberId: string): Promise<DigestReport | null> {
      const { digest } = await deps.settings.get(memberId)
      const portal = await deps.portals.get(memberId)
      if (!digest.enabled || !portal || portal.status !== 'installed' || portal.capabilities[NOTIFY] === false) return null
      const now = deps.clock.now()
      // A sync still being written (here or on another instance) is a half-read picture: a later pass sends it.
      if ((await deps.collabs.getSyncState(memberId)).running) return null
      if (!(await deps.collabs.claimDigest(memberId, historyDay(now), now))) return null
      const { snapshot, rows } = await deps.dashboard.guestsOf(memberId, null)
      // Per owner, per collab: [pending too long, inactive too long].
      const perOwner = new Map<number, Map<number, [number, number]>>()
      let pending = 0
      let inactive = 0
      for (const r of rows) {
        const owner = snapshot.collabs.get(r.m.collabId)?.ownerId
        if (owner == null) continue
        const invitedAt = snapshot.invitedBy.get(r.m.userId)?.sentAt ?? r.p.dateRegister ?? r.m.firstSeenAt
        const stalePending = r.state === 'invited' && (daysBetween(invitedAt, now) ?? 0) >= digest.pendingDays
        const staleInactive = r.state === 'inactive' && (daysBetween(r.p.lastActivity ?? r.p.lastLogin, now) ?? 0) >= digest.inactiveDays
        if (!stalePending && !staleInactive) continue
        let byCollab = perOwner.get(owner)
        if (!byCollab) perOwner.set(owner, (byCollab = new Map()))
        const c = byCollab.get(r.m.collabId) ?? [0, 0]
        if (stalePending) { c[0]++; pending++ }
        if (staleInactive) { c[1]++; inactive++ }
        byCollab.set(r.m.collabId, c)
      }
      const link = appPageUrl(portal)
      const en = portal.lang === 'en'
      let sent = 0
      let failed = 0
      for (const [owner, byCollab] of perOwner) {
        const lines = [...byCollab].sort((a, b) => b[1][0] + b[1][1] - (a[1][0] + a[1][1])).slice(0, NAMED_COLLABS).map(([id, [p, i]]) => {
          const name = snapshot.collabs.get(id)?.name ?? `#${id}`
          return en ? `• ${name}: ${p} not accepted after ${digest.pendingDays} days, ${i} inactive for ${digest.inactiveDays} days`
            : `• ${name}: не приняли приглашение за ${digest.pendingDays} дн. — ${p}, неактивны ${digest.inactiveDays} дн. — ${i}`
        })
        if (byCollab.size > NAMED_COLLABS) lines.push(en ? `…and ${byCollab.size - NAMED_COLLABS} more collabs` : `…и ещё коллаб: ${byCollab.size - NAMED_COLLABS}`)
        const head = en ? 'Collab guests that need your attention:' : 'Гости коллаб, которым нужно ваше внимание:'
        const tail = en ? `[URL=${link}]Open Invite Desk → Collabs[/URL]` : `[URL=${link}]Открыть Invite Desk → Коллабы[/URL]`
        try {
          await deps.gateway.call(memberId, NOTIFY, { USER_ID: owner, MESSAGE: [head, ...lines, tail].join('\n'), TAG: `invite-desk-collab-digest-${owner}` })
          sent++
        } catch (e) {
          failed++
          deps.log.warn({ memberId, err: errorText(e) }, 'collab digest notice failed')
        }
      }
      const report = { sent, failed, pending, inactive }
      await deps.audit.record({ memberId, at: now, actorUserId: null, actorKind: 'system', action: 'collab.digest', subject: null, details: { ...report }, result: failed ? 'failed' : 'ok' })
      return report
    },
  }
}

export type CollabDigest = ReturnType<typeof createCollabDigest>
