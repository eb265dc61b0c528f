import type { CollabCounts, CollabMembership, CollabPerson } from '../storage/collab-store.js'

export type GuestState = 'invited' | 'active' | 'inactive' | 'deactivated'
export const GUEST_STATES: readonly GuestState[] = ['invited', 'active', 'inactive', 'deactivated']

const DAY_MS = 24 * 60 * 60_000

/** A guest is an extranet user related to a collab (a member, or invited and not yet accepted); an employee never is. */
export function isGuest(_m: CollabMembership, p: CollabPerson | undefined): p is CollabPerson {
  return p !== undefined && p.userType === 'extranet'
}

/**
 * One state per guest and collab. Deactivated wins (the account is off); then invited (the collab invitation
 * is pending, or the person never logged in, so never accepted the portal invitation); then active when the
 * last activity (LAST_ACTIVITY_DATE, else LAST_LOGIN) is within `activeDays`, else inactive.
 */
export function guestState(m: CollabMembership, p: CollabPerson, now: number, activeDays: number): GuestState {
  if (!p.active) return 'deactivated'
  if (m.role === 'invited' || p.lastLogin === null) return 'invited'
  const last = p.lastActivity ?? p.lastLogin
  return last >= now - activeDays * DAY_MS ? 'active' : 'inactive'
}

export const emptyCounts = (): CollabCounts => ({ guests: 0, invited: 0, active: 0, inactive: 0, deactivated: 0 })

/** Counts per collab id, and for every collab together under id 0. */
export function countByCollab(memberships: CollabMembership[], people: Map<number, CollabPerson>, now: number, activeDays: number): Map<number, CollabCounts> {
  const out = new Map<number, CollabCounts>([[0, emptyCounts()]])
  for (const m of memberships) {
    const p = people.get(m.userId)
    if (!isGuest(m, p)) continue
    const s = guestState(m, p, now, activeDays)
    let c = out.get(m.collabId)
    if (!c) out.set(m.collabId, (c = emptyCounts()))
    for (const bucket of [c, out.get(0)!]) {
      bucket.guests++
      bucket[s]++
    }
  }
  return out
}

/** The UTC calendar day of `ms`, as the history keys it. */
export function historyDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

export function daysBetween(from: number | null, to: number): number | null {
  return from === null ? null : Math.max(0, Math.floor((to - from) / DAY_MS))
}
