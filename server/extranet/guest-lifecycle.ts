/**
 * A guest's stay in an extranet group, from the invitation to the end of their access: the stay is opened when
 * the invitation goes out (sponsor and end date from the group's onboarding kit), the welcome steps run once
 * when the guest accepts, the sponsor is told before the end date, and at the end date the guest leaves the
 * group and, when nothing else holds them, is deactivated (at once or after the sponsor confirms, per kit).
 *
 * Every step is a compare-and-set in the guest store taken before the portal is called, so two instances or a
 * repeated pass do each thing once; a step the portal refused is recorded (audit log, ledger), not repeated.
 */
import { randomUUID } from 'node:crypto'
import { errorText } from '../shared/errors.js'
import type { Clock } from '../shared/clock.js'
import type { Logger } from '../shared/logger.js'
import type { CallParams, PortalGateway } from '../portals/portal-gateway.js'
import type { AuditLog } from '../storage/audit-log.js'
import type { DirectoryStore } from '../storage/directory-store.js'
import type { Guest, GuestStore } from '../storage/guest-store.js'
import type { Invitation, LedgerStore } from '../storage/ledger-store.js'
import type { OnboardingKit, OnboardingKitStore } from '../storage/onboarding-kit-store.js'
import type { PortalStore } from '../storage/portal-store.js'
import type { PortalTasks } from '../storage/portal-tasks.js'
import { holds, readGroupRosters } from '../portals/group-rosters.js'
import { renderTemplate } from '../invites/render-template.js'

const DAY_MS = 86_400_000
const DUE_PER_PASS = 100
/** How long a confirmation holds a stay's end: its removal, a user.get, the group look-ups and a deactivation. */
const CONFIRM_CLAIM_MS = 5 * 60_000
const NOTIFY_METHOD = 'im.notify.system.add'

export interface WelcomeResult {
  /** Steps sent, by name ('feed', 'chat', 'task'), with the portal's refusal where there was one. */
  steps: Record<string, 'ok' | string>
}

export interface EndResult {
  removed: boolean
  deactivated: boolean
  /** Why the account stayed active: 'employee', 'other_group', 'policy_keep', 'no_user'. */
  keptBecause?: string
}

export function createGuestLifecycle(deps: {
  guests: GuestStore
  kits: OnboardingKitStore
  ledger: LedgerStore
  directory: DirectoryStore
  portals: PortalStore
  /** Serialises confirmations of one stay's end across instances. */
  tasks: PortalTasks
  gateway: PortalGateway
  audit: AuditLog
  clock: Clock
  log: Logger
}) {
  const { guests, kits, clock } = deps

  const audit = (memberId: string, action: string, guest: Guest, details: Record<string, unknown>, ok: boolean, actorUserId: number | null = null) =>
    deps.audit.record({ memberId, at: clock.now(), actorUserId, actorKind: actorUserId === null ? 'system' : 'user', action, subject: guest.id, details: { groupId: guest.groupId, userId: guest.userId, ...details }, result: ok ? 'ok' : 'failed' })

  async function groupName(memberId: string, groupId: number): Promise<string> {
    const g = (await deps.directory.groups(memberId)).find((x) => x.id === groupId)
    return g?.name ?? `#${groupId}`
  }

  /** The kit's welcome steps, in one batch. */
  async function sendWelcome(memberId: string, guest: Guest, kit: OnboardingKit): Promise<WelcomeResult> {
    const portal = await deps.portals.get(memberId)
    const lang = portal?.lang === 'en' ? 'en' : 'ru'
    const text = renderTemplate(kit.welcomeText[lang] || kit.welcomeText[lang === 'ru' ? 'en' : 'ru'], {
      name: guest.name, lastName: null, position: null, department: null, groups: await groupName(memberId, guest.groupId), inviter: null, portal: portal?.domain ?? '',
    })
    const calls: Record<string, [string, CallParams]> = {}
    if (kit.postToFeed && text) {
      // log.blogpost.add: DEST 'SG<id>' posts to the group's feed.
      calls.feed = ['log.blogpost.add', { POST_TITLE: lang === 'ru' ? 'Добро пожаловать' : 'Welcome', POST_MESSAGE: text, DEST: [`SG${guest.groupId}`] }]
    }
    if (kit.postToChat && text) calls.chat = ['im.message.add', { DIALOG_ID: `sg${guest.groupId}`, MESSAGE: text }]
    if (kit.starterTask && guest.userId) {
      const t = kit.starterTask
      calls.task = ['tasks.task.add', {
        fields: {
          TITLE: t.title, DESCRIPTION: t.description, RESPONSIBLE_ID: guest.userId, CREATED_BY: guest.sponsorId, GROUP_ID: guest.groupId,
          ...(t.deadlineDays ? { DEADLINE: new Date(clock.now() + t.deadlineDays * DAY_MS).toISOString() } : {}),
        },
      }]
    }
    const steps: WelcomeResult['steps'] = {}
    if (Object.keys(calls).length === 0) return { steps }
    try {
      const out = await deps.gateway.batch(memberId, calls)
      for (const k of Object.keys(calls)) {
        const o = out[k]
        steps[k] = o?.ok ? 'ok' : o ? o.message || o.code : 'no answer'
      }
    } catch (e) {
      for (const k of Object.keys(calls)) steps[k] = errorText(e)
    }
    return { steps }
  }

  /** Ends a stay: out of the group, and deactivated when the portal holds them nowhere else. */
  async function endStay(memberId: string, guest: Guest, actorUserId: number | null): Promise<EndResult> {
    if (!guest.userId) {
      await guests.finishEnd(memberId, guest.id, { removed: false, deactivated: false }, clock.now())
      return { removed: false, deactivated: false, keptBecause: 'no_user' }
    }
    const userId = guest.userId
    let removed = false
    try {
      await deps.gateway.call(memberId, 'sonet_group.user.delete', { GROUP_ID: guest.groupId, USER_ID: userId })
      removed = true
    } catch (e) {
      await audit(memberId, 'guest.remove', guest, { error: errorText(e) }, false, actorUserId)
    }
    const keep = removed ? await reasonToKeep(memberId, guest) : 'not_removed'
    let deactivated = false
    if (!keep) {
      try {
        await deps.gateway.call(memberId, 'user.update', { ID: userId, ACTIVE: 'N' })
        deactivated = true
      } catch (e) {
        await audit(memberId, 'guest.deactivate', guest, { error: errorText(e) }, false, actorUserId)
      }
    }
    if (await guests.finishEnd(memberId, guest.id, { removed, deactivated }, clock.now())) {
      if (guest.invitationId) {
        const inv = await deps.ledger.get(memberId, guest.invitationId)
        if (inv) await deps.ledger.transition(memberId, inv.id, ['sent', 'pending', 'accepted'], 'revoked', clock.now(), actorUserId, { via: 'access_end', groupId: guest.groupId, removed, deactivated })
      }
      await audit(memberId, 'guest.ended', guest, { removed, deactivated, ...(keep ? { keptBecause: keep } : {}) }, removed, actorUserId)
    }
    return { removed, deactivated, ...(keep ? { keptBecause: keep } : {}) }
  }

  /**
   * Why the account must stay active: an employee (never deactivated by us), or a member of another group
   * (ours or not). Asked of the portal, not of our own records alone.
   */
  async function reasonToKeep(memberId: string, guest: Guest): Promise<string | undefined> {
    const userId = guest.userId!
    const [u] = await deps.gateway.call<Array<Record<string, unknown>>>(memberId, 'user.get', { ID: userId, ADMIN_MODE: 'True' }).catch(() => [])
    if (!u) return 'unknown_user'
    const departments = Array.isArray(u.UF_DEPARTMENT) ? u.UF_DEPARTMENT.filter((d) => Number(d) > 0) : []
    if (u.USER_TYPE === 'employee' || departments.length > 0) return 'employee'
    if ((await guests.otherStays(memberId, userId, guest.groupId)) > 0) return 'other_group'
    try {
      // The portal's groups as they are now (the directory cache may predate a group the guest joined since).
      const groupIds = (await allGroupIds(memberId)).filter((id) => id !== guest.groupId)
      const rosters = await readGroupRosters(deps.gateway, memberId, groupIds)
      if ([...rosters.values()].some((r) => holds(r, userId))) return 'other_group'
    } catch {
      // Unknown is not "nowhere else": keep the account.
      return 'other_group_unknown'
    }
    return undefined
  }

  /** Every workgroup's id, paged (sonet_group.get, 50 a page; IS_ADMIN lets the admin see closed ones). */
  async function allGroupIds(memberId: string): Promise<number[]> {
    const ids: number[] = []
    for (let start = 0; ; start += 50) {
      const { outcomes } = await deps.gateway.batchDetailed(memberId, { p: ['sonet_group.get', { ORDER: { ID: 'ASC' }, IS_ADMIN: 'Y', start }] })
      const o = outcomes.p
      if (!o || !o.ok) throw new Error(`sonet_group.get failed${o && !o.ok ? `: ${o.message}` : ''}`)
      const rows = Array.isArray(o.result) ? (o.result as Array<Record<string, unknown>>) : []
      for (const r of rows) if (Number(r.ID) > 0) ids.push(Number(r.ID))
      if (rows.length < 50 || start + 50 >= (o.total ?? 0)) return ids
    }
  }

  async function notifySponsor(memberId: string, guest: Guest, message: { ru: string; en: string }): Promise<boolean> {
    const portal = await deps.portals.get(memberId)
    if (!portal || portal.capabilities[NOTIFY_METHOD] === false) return false
    try {
      await deps.gateway.call(memberId, NOTIFY_METHOD, { USER_ID: guest.sponsorId, MESSAGE: portal.lang === 'en' ? message.en : message.ru, TAG: `invite-desk-guest-${guest.id}` })
      return true
    } catch (e) {
      deps.log.warn({ memberId, guestId: guest.id, err: errorText(e) }, 'sponsor notice failed')
      return false
    }
  }

  const who = (g: Guest) => g.name ?? g.email ?? `#${g.userId}`
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)

  return {
    /** An invitation into guest groups went out: one stay per group, with the kit's sponsor and end date. */
    async onInvited(inv: Invitation): Promise<void> {
      if (inv.target.kind !== 'extranet' || inv.state === 'failed') return
      for (const groupId of inv.target.groupIds) {
        const kit = await kits.get(inv.memberId, groupId)
        // An automation rule's own end date (invite_guest's ACCESS_END_DATE) wins over the kit's duration.
        const endsAt = (inv.origin?.kind === 'robot' ? inv.origin.accessEndsAt : undefined) ?? (kit?.accessDays ? (inv.sentAt ?? clock.now()) + kit.accessDays * DAY_MS : null)
        const noticeDays = kit?.noticeDays ?? 7
        await guests.upsertInvited({
          memberId: inv.memberId, groupId, email: inv.email, userId: inv.userId, name: [inv.name, inv.lastName].filter(Boolean).join(' ') || null,
          sponsorId: kit?.sponsorId ?? inv.invitedBy ?? 1, accessEndsAt: endsAt, noticeAt: endsAt === null ? null : endsAt - noticeDays * DAY_MS, invitationId: inv.id,
        })
      }
    },

    /** The guest accepted (ONUSERADD, or seen by sync): their stays become active and are welcomed once. */
    async onAccepted(memberId: string, inv: Invitation): Promise<number> {
      if (inv.target.kind !== 'extranet' || !inv.userId) return 0
      const active = await guests.markAccepted(memberId, { userId: inv.userId, ...(inv.email ? { email: inv.email } : {}) }, inv.userId, clock.now())
      let welcomed = 0
      for (const g of active) if (await this.welcome(memberId, g.id)) welcomed++
      return welcomed
    },

    /** Runs the kit's welcome steps for one active stay, once (a repeated call does nothing). */
    async welcome(memberId: string, guestId: string): Promise<WelcomeResult | undefined> {
      const guest = await guests.get(memberId, guestId)
      if (!guest || guest.state !== 'active') return undefined
      const kit = await kits.get(memberId, guest.groupId)
      if (!kit || !(await guests.claimWelcome(memberId, guest.id, clock.now()))) return undefined
      const r = await sendWelcome(memberId, guest, kit)
      await audit(memberId, 'guest.welcomed', guest, { steps: r.steps }, Object.values(r.steps).every((s) => s === 'ok'))
      return r
    },

    /** The scheduler's pass: notices before the end date, then the stays that reached it. */
    async runDue(memberId: string): Promise<{ noticed: number; ended: number; awaiting: number }> {
      const out = { noticed: 0, ended: 0, awaiting: 0 }
      const portal = await deps.portals.get(memberId)
      if (!portal || portal.status !== 'installed') return out
      const now = clock.now()
      for (const g of await guests.dueNotices(memberId, now, DUE_PER_PASS)) {
        if (!(await guests.claimNotice(memberId, g.id, now))) continue
        const group = await groupName(memberId, g.groupId)
        const ends = day(g.accessEndsAt ?? now)
        await notifySponsor(memberId, g, {
          ru: `Invite Desk: доступ гостя ${who(g)} к группе «${group}» заканчивается ${ends}. Продлите его в Invite Desk, если он ещё нужен.`,
          en: `Invite Desk: guest ${who(g)}'s access to "${group}" ends on ${ends}. Extend it in Invite Desk if it is still needed.`,
        })
        await audit(memberId, 'guest.notice', g, { accessEndsAt: g.accessEndsAt }, true)
        out.noticed++
      }
      for (const g of await guests.dueEnds(memberId, now, DUE_PER_PASS)) {
        const kit = await kits.get(memberId, g.groupId)
        if ((kit?.offboarding ?? 'confirm') === 'auto') {
          await endStay(memberId, g, null)
          out.ended++
        } else if (await guests.requestEnd(memberId, g.id, now)) {
          const group = await groupName(memberId, g.groupId)
          await notifySponsor(memberId, g, {
            ru: `Invite Desk: доступ гостя ${who(g)} к группе «${group}» закончился. Подтвердите удаление из группы или продлите доступ в Invite Desk.`,
            en: `Invite Desk: guest ${who(g)}'s access to "${group}" has ended. Confirm the removal from the group, or extend the access, in Invite Desk.`,
          })
          await audit(memberId, 'guest.end_requested', g, {}, true)
          out.awaiting++
        }
      }
      return out
    },

    /** The sponsor (or an admin) confirms an end that waits for them. */
    async confirmEnd(memberId: string, guestId: string, actorUserId: number): Promise<EndResult | undefined> {
      // Two people confirming at once (two tabs, two sponsors, two instances): one ends the stay, the other
      // finds it taken, so the portal is asked to remove and deactivate the guest once. The stay's own state
      // only changes after those calls, so it cannot be the claim.
      const task = `guest-end:${guestId}`
      const owner = randomUUID()
      if (!(await deps.tasks.claim(memberId, task, owner, clock.now(), CONFIRM_CLAIM_MS))) return undefined
      try {
        const g = await guests.get(memberId, guestId)
        if (!g || g.state !== 'awaiting_confirmation') return undefined
        return await endStay(memberId, g, actorUserId)
      } finally {
        await deps.tasks.release(memberId, task, owner)
      }
    },

    /** Keeps a guest whose end waits for confirmation: a new end date (or none). */
    async extend(memberId: string, guestId: string, accessEndsAt: number | null, actorUserId: number): Promise<boolean> {
      const g = await guests.get(memberId, guestId)
      if (!g || g.state === 'ended') return false
      const kit = await kits.get(memberId, g.groupId)
      const noticeAt = accessEndsAt === null ? null : accessEndsAt - (kit?.noticeDays ?? 7) * DAY_MS
      if (g.state === 'awaiting_confirmation') await guests.cancelEnd(memberId, g.id)
      const changed = await guests.setAccessEnd(memberId, g.id, accessEndsAt, noticeAt)
      await audit(memberId, 'guest.extended', g, { accessEndsAt }, true, actorUserId)
      return changed || g.state === 'awaiting_confirmation'
    },
  }
}

export type GuestLifecycle = ReturnType<typeof createGuestLifecycle>
