import type { PortalGateway } from '../portals/portal-gateway.js'
import type { PortalStore } from '../storage/portal-store.js'
import { errorText } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'

const TTL_MS = 10 * 60_000

export interface PeopleNames {
  /** "Name Last name" of a portal user, for {inviter}; "#id" when the portal cannot say. */
  user(memberId: string, userId: number): Promise<string>
  /** The portal's address, for {portal}. */
  portal(memberId: string): Promise<string>
}

/** Names the invitation text shows, read from the portal once and remembered for a few minutes. */
export function createPeopleNames(deps: { gateway: PortalGateway; portals: PortalStore; log: Logger; now?: () => number }): PeopleNames {
  const now = deps.now ?? Date.now
  const cache = new Map<string, { name: string; at: number }>()
  return {
    async user(memberId, userId) {
      const key = `${memberId}:${userId}`
      const hit = cache.get(key)
      if (hit && now() - hit.at < TTL_MS) return hit.name
      let name = `#${userId}`
      try {
        const rows = await deps.gateway.call<Array<{ NAME?: string; LAST_NAME?: string }>>(memberId, 'user.get', { FILTER: { ID: userId } })
        const u = Array.isArray(rows) ? rows[0] : undefined
        const full = [u?.NAME, u?.LAST_NAME].filter((x) => typeof x === 'string' && x.trim()).join(' ').trim()
        if (full) name = full
      } catch (e) {
        deps.log.warn({ memberId, err: errorText(e) }, 'could not read the inviter name')
        return name
      }
      cache.set(key, { name, at: now() })
      return name
    },
    async portal(memberId) {
      return (await deps.portals.get(memberId))?.domain ?? ''
    },
  }
}
