import { AppError } from '../shared/errors.js'
import type { CallParams, PortalGateway } from './portal-gateway.js'

export interface GroupRoster {
  /** MEMBERS: owner, moderators, members. */
  members: Set<number>
  /** INVITED_MEMBERS: invited by the group, not yet accepted. */
  invited: Set<number>
  /** MODERATOR_MEMBERS. */
  moderators: Set<number>
  /** OWNER_ID; null when the answer lacks it. */
  ownerId: number | null
}

const PER_BATCH = 50

/**
 * Who is in each group and who is invited, from `socialnetwork.api.workgroup.get` (rest-facts §2.2), 50
 * groups per batch. Read-only, so the transport may retry it. A failure is "unknown", never "nobody": it
 * throws, except that with `missingIsEmpty` a group that is gone (or hidden) holds nobody.
 */
export async function readGroupRosters(
  gateway: PortalGateway, memberId: string, groupIds: number[], opts: { missingIsEmpty?: boolean } = {},
): Promise<Map<number, GroupRoster>> {
  const out = new Map<number, GroupRoster>()
  for (let from = 0; from < groupIds.length; from += PER_BATCH) {
    const ids = groupIds.slice(from, from + PER_BATCH)
    const calls = Object.fromEntries(ids.map((id) => [`g${id}`, ['socialnetwork.api.workgroup.get', { params: { groupId: id } }] as [string, CallParams]]))
    const { outcomes } = await gateway.batchDetailed(memberId, calls)
    for (const id of ids) {
      const o = outcomes[`g${id}`]
      if (!o || !o.ok) {
        if (opts.missingIsEmpty && o && /not found/i.test(o.message)) {
          out.set(id, { members: new Set(), invited: new Set(), moderators: new Set(), ownerId: null })
          continue
        }
        throw new AppError('group_lookup_failed', `The portal could not read group ${id} (${o && !o.ok ? `${o.code}: ${o.message}` : 'no answer'})`, 502)
      }
      const r = (o.result ?? {}) as Record<string, unknown>
      const owner = Number(r.OWNER_ID)
      out.set(id, {
        members: idSet(r.MEMBERS), invited: idSet(r.INVITED_MEMBERS), moderators: idSet(r.MODERATOR_MEMBERS),
        ownerId: Number.isInteger(owner) && owner > 0 ? owner : null,
      })
    }
  }
  return out
}

/** Members or invited: someone the group already holds. */
export function holds(roster: GroupRoster | undefined, userId: number): boolean {
  return !!roster && (roster.members.has(userId) || roster.invited.has(userId))
}

function idSet(v: unknown): Set<number> {
  return new Set((Array.isArray(v) ? v : []).map(Number).filter((n) => Number.isInteger(n) && n > 0))
}
