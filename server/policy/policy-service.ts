/**
 * The portal's invite policy, and the inviter's context it is decided on: departments from the directory
 * cache, group roles from the portal (the group's roster), invitations sent in the last 24 hours from the
 * ledger. Identity comes from the session, which was opened on the frame's verified token.
 */
import type { Clock } from '../shared/clock.js'
import { departmentWithin } from '../invites/dry-run.js'
import { readGroupRosters } from '../portals/group-rosters.js'
import type { PortalGateway } from '../portals/portal-gateway.js'
import type { DirectoryStore } from '../storage/directory-store.js'
import type { InvitePolicyStore } from '../storage/invite-policy-store.js'
import type { LedgerStore } from '../storage/ledger-store.js'
import { decide, DEFAULT_POLICY, invitePolicySchema, type InviteAsk, type InvitePolicy, type InviterContext, type PolicyDecision } from './invite-policy.js'

const DAY_MS = 86_400_000

export function createPolicyService(deps: { store: InvitePolicyStore; directory: DirectoryStore; ledger: LedgerStore; gateway: PortalGateway; clock: Clock }) {
  async function get(memberId: string): Promise<InvitePolicy> {
    const stored = await deps.store.get(memberId)
    if (!stored) return DEFAULT_POLICY
    const parsed = invitePolicySchema.safeParse({ ...DEFAULT_POLICY, ...stored })
    return parsed.success ? parsed.data : DEFAULT_POLICY
  }

  /** Groups among `groupIds` the user owns or moderates, read from the portal. */
  async function managedAmong(memberId: string, userId: number, groupIds: number[]): Promise<Set<number>> {
    if (groupIds.length === 0) return new Set()
    const rosters = await readGroupRosters(deps.gateway, memberId, groupIds, { missingIsEmpty: true })
    return new Set(groupIds.filter((g) => {
      const r = rosters.get(g)
      return !!r && (r.ownerId === userId || r.moderators.has(userId))
    }))
  }

  async function context(memberId: string, user: { id: number; isAdmin: boolean }, groupId: number | null): Promise<InviterContext> {
    const [me, departments, sent] = await Promise.all([
      deps.directory.usersByIds(memberId, [user.id]),
      deps.directory.departments(memberId),
      deps.ledger.list(memberId, { invitedBy: user.id, sentAfter: deps.clock.now() - DAY_MS }, { limit: 1, offset: 0 }),
    ])
    return {
      userId: user.id,
      isAdmin: user.isAdmin,
      departments: me.get(user.id)?.departments ?? [],
      managedGroups: user.isAdmin || groupId === null ? new Set() : await managedAmong(memberId, user.id, [groupId]),
      parentOf: new Map(departments.map((d) => [d.id, d.parentId])),
      sentLast24h: sent.total,
    }
  }

  return {
    get,
    async save(memberId: string, policy: InvitePolicy, by: number): Promise<InvitePolicy> {
      await deps.store.put(memberId, policy, by, deps.clock.now())
      return policy
    },
    context,
    managedAmong,
    /**
     * Whose invitations this viewer sees: null for admins (everyone's); otherwise their own, plus, when the
     * policy allows, those of the people in the departments they head (sub-departments included).
     */
    async visibleInviters(memberId: string, v: { userId: number; isAdmin: boolean }): Promise<number[] | null> {
      if (v.isAdmin) return null
      if (!(await get(memberId)).departmentVisibility) return [v.userId]
      const departments = await deps.directory.departments(memberId)
      const headed = departments.filter((d) => d.headId === v.userId).map((d) => d.id)
      if (headed.length === 0) return [v.userId]
      const parentOf = new Map(departments.map((d) => [d.id, d.parentId]))
      const under = departments.filter((d) => departmentWithin(d.id, headed, parentOf)).map((d) => d.id)
      return [...new Set([v.userId, ...(await deps.directory.userIdsInDepartments(memberId, under))])]
    },
    /**
     * A hidden group exists, for a non-admin, only if they are in it (the directory was read with the admin's
     * token, so its names must not reach people the portal would not show them to).
     */
    async canSeeGroup(memberId: string, v: { userId: number; isAdmin: boolean }, groupId: number): Promise<boolean> {
      if (v.isAdmin) return true
      const g = (await deps.directory.groups(memberId)).find((x) => x.id === groupId)
      if (!g || g.visible !== false) return true
      const r = (await readGroupRosters(deps.gateway, memberId, [groupId], { missingIsEmpty: true })).get(groupId)
      return !!r && (r.ownerId === v.userId || r.members.has(v.userId) || r.moderators.has(v.userId) || r.invited.has(v.userId))
    },
    /** The group's owner as the portal says now; null when the group is gone or hidden. */
    async groupOwner(memberId: string, groupId: number): Promise<number | null> {
      const rosters = await readGroupRosters(deps.gateway, memberId, [groupId], { missingIsEmpty: true })
      return rosters.get(groupId)?.ownerId ?? null
    },
    /** The policy's answer for this user and ask. */
    async decideFor(memberId: string, user: { id: number; isAdmin: boolean }, ask: InviteAsk): Promise<PolicyDecision> {
      return decide(await get(memberId), await context(memberId, user, ask.groupId), ask)
    },
  }
}

export type PolicyService = ReturnType<typeof createPolicyService>
