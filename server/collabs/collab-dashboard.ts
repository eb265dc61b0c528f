import type { PeopleNames } from '../invites/people-names.js'
import type { Clock } from '../shared/clock.js'
import type { Collab, CollabCounts, CollabMembership, CollabPerson, CollabStore } from '../storage/collab-store.js'
import type { DirectoryStore } from '../storage/directory-store.js'
import type { LedgerStore } from '../storage/ledger-store.js'
import type { PortalStore } from '../storage/portal-store.js'
import type { CollabSettingsService } from './collab-settings.js'
import { countByCollab, daysBetween, emptyCounts, guestState, historyDay, isGuest, type GuestState } from './guest-state.js'

export interface Viewer {
  userId: number
  isAdmin: boolean
}

export interface Sponsor {
  id: number | null
  name: string | null
  /** ledger: invited through Invite Desk; owner: nobody recorded, the collab's owner answers for the guest. */
  source: 'ledger' | 'owner'
}

export interface GuestRow {
  collabId: number
  collabName: string
  userId: number
  name: string
  email: string | null
  state: GuestState
  sponsor: Sponsor
  invitedAt: number | null
  daysSinceInvitation: number | null
  lastActivityAt: number | null
  daysSinceActivity: number | null
  profileUrl: string
  /** The viewer owns or moderates the collab (or is an admin): they may remind and remove. */
  canManage: boolean
}

export type StateFilter = GuestState | 'accepted'
export type GuestSort = 'name' | 'collab' | 'state' | 'invitedAt' | 'lastActivityAt' | 'sponsor'

export interface GuestQuery {
  collabId?: number
  state?: StateFilter
  sponsorId?: number
  q?: string
  sort?: GuestSort
  dir?: 'asc' | 'desc'
  activeDays?: number
}

/** What the portal holds, joined once per request: a portal's guests are thousands, not millions. */
interface Snapshot {
  now: number
  activeDays: number
  domain: string
  collabs: Map<number, Collab>
  memberships: CollabMembership[]
  people: Map<number, CollabPerson>
  /** The newest ledger invitation per guest, and the collabs it targeted. */
  invitedBy: Map<number, { by: number | null; sentAt: number | null; groupIds: number[] }>
}

/**
 * The Collabs dashboard's reads: counts, the guest list with its filters, the trend. Admins see every collab;
 * anyone else sees the collabs they own or moderate, and the guests they sponsor.
 */
export function createCollabDashboard(deps: {
  collabs: CollabStore
  ledger: LedgerStore
  directory: DirectoryStore
  portals: PortalStore
  names: PeopleNames
  settings: CollabSettingsService
  clock: Clock
}) {
  async function load(memberId: string, activeDays?: number): Promise<Snapshot> {
    const [collabs, memberships, people, settings, portal] = await Promise.all([
      deps.collabs.collabs(memberId), deps.collabs.memberships(memberId), deps.collabs.people(memberId),
      deps.settings.get(memberId), deps.portals.get(memberId),
    ])
    const guestIds = [...new Set(memberships.filter((m) => isGuest(m, people.get(m.userId))).map((m) => m.userId))]
    const invitedBy = new Map<number, { by: number | null; sentAt: number | null; groupIds: number[] }>()
    for (const inv of await deps.ledger.findByUserIds(memberId, guestIds)) {
      if (inv.userId === null || inv.state === 'failed' || invitedBy.has(inv.userId)) continue
      invitedBy.set(inv.userId, { by: inv.invitedBy, sentAt: inv.sentAt, groupIds: inv.target.groupIds })
    }
    return {
      now: deps.clock.now(), activeDays: activeDays ?? settings.activeDays, domain: portal?.domain ?? '',
      collabs: new Map(collabs.map((c) => [c.id, c])), memberships, people, invitedBy,
    }
  }

  /** Collabs the viewer may see. */
  function visibleCollabs(s: Snapshot, v: Viewer): Set<number> {
    if (v.isAdmin) return new Set(s.collabs.keys())
    const out = new Set<number>()
    for (const c of s.collabs.values()) if (c.ownerId === v.userId) out.add(c.id)
    for (const m of s.memberships) if (m.userId === v.userId && (m.role === 'owner' || m.role === 'moderator')) out.add(m.collabId)
    return out
  }

  function sponsorOf(s: Snapshot, m: CollabMembership): { id: number | null; source: 'ledger' | 'owner' } {
    const inv = s.invitedBy.get(m.userId)
    if (inv && inv.by !== null) return { id: inv.by, source: 'ledger' }
    return { id: s.collabs.get(m.collabId)?.ownerId ?? null, source: 'owner' }
  }

  /** Guest rows the viewer may see, unfiltered. */
  function rows(s: Snapshot, v: Viewer): Array<{ m: CollabMembership; p: CollabPerson; state: GuestState; sponsor: { id: number | null; source: 'ledger' | 'owner' } }> {
    const visible = visibleCollabs(s, v)
    const out = []
    for (const m of s.memberships) {
      const p = s.people.get(m.userId)
      if (!isGuest(m, p) || !s.collabs.has(m.collabId)) continue
      const sponsor = sponsorOf(s, m)
      if (!visible.has(m.collabId) && sponsor.id !== v.userId) continue
      out.push({ m, p, state: guestState(m, p, s.now, s.activeDays), sponsor })
    }
    return out
  }

  /** Display names for user ids: the directory cache first, then the portal (cached) for the few it lacks. */
  async function namesOf(memberId: string, ids: number[]): Promise<Map<number, string>> {
    const unique = [...new Set(ids)]
    const out = new Map<number, string>()
    const cached = await deps.directory.usersByIds(memberId, unique)
    for (const [id, u] of cached) {
      const name = `${u.name ?? ''} ${u.lastName ?? ''}`.trim()
      if (name) out.set(id, name)
    }
    for (const id of unique.filter((i) => !out.has(i)).slice(0, 50)) out.set(id, await deps.names.user(memberId, id))
    return out
  }

  const personName = (p: CollabPerson): string => `${p.name ?? ''} ${p.lastName ?? ''}`.trim() || p.email || `#${p.userId}`
  const collabUrl = (domain: string, id: number) => `https://${domain}/workgroups/group/${id}/`

  return {
    async summary(memberId: string, viewer: Viewer, activeDays?: number) {
      const s = await load(memberId, activeDays)
      const visible = rows(s, viewer)
      const byCollab = new Map<number, CollabCounts>()
      const totals = emptyCounts()
      for (const r of visible) {
        let c = byCollab.get(r.m.collabId)
        if (!c) byCollab.set(r.m.collabId, (c = emptyCounts()))
        for (const b of [c, totals]) {
          b.guests++
          b[r.state]++
        }
      }
      const collabIds = viewer.isAdmin ? [...s.collabs.keys()] : [...new Set([...visibleCollabs(s, viewer), ...byCollab.keys()])]
      const owners = await namesOf(memberId, collabIds.map((id) => s.collabs.get(id)?.ownerId).filter((x): x is number => typeof x === 'number'))
      const accepted = totals.active + totals.inactive
      return {
        activeDays: s.activeDays,
        totals: { guests: totals.guests, invited: totals.invited, accepted, active: totals.active, inactive: totals.inactive, deactivated: totals.deactivated },
        people: new Set(visible.map((r) => r.m.userId)).size,
        // Every guest was invited; deactivated ones are counted as accepted only if they ever logged in.
        funnel: {
          invited: totals.guests,
          accepted: accepted + visible.filter((r) => r.state === 'deactivated' && r.p.lastLogin !== null).length,
          active: totals.active,
        },
        collabs: collabIds.map((id) => {
          const c = s.collabs.get(id)!
          const n = byCollab.get(id) ?? emptyCounts()
          return {
            id, name: c.name, ownerId: c.ownerId, ownerName: c.ownerId === null ? null : owners.get(c.ownerId) ?? null,
            guests: n.guests, invited: n.invited, accepted: n.active + n.inactive, active: n.active, inactive: n.inactive, deactivated: n.deactivated,
            url: collabUrl(s.domain, id),
          }
        }).sort((a, b) => b.guests - a.guests || a.name.localeCompare(b.name)),
      }
    },

    /** Filtered and sorted; the caller pages. */
    async guests(memberId: string, viewer: Viewer, q: GuestQuery): Promise<GuestRow[]> {
      const s = await load(memberId, q.activeDays)
      const needle = q.q?.trim().toLowerCase() ?? ''
      const picked = rows(s, viewer).filter((r) =>
        (q.collabId === undefined || r.m.collabId === q.collabId)
        && (q.state === undefined || (q.state === 'accepted' ? r.state === 'active' || r.state === 'inactive' : r.state === q.state))
        && (q.sponsorId === undefined || r.sponsor.id === q.sponsorId)
        && (needle === '' || `${personName(r.p)}\n${r.p.email ?? ''}`.toLowerCase().includes(needle)),
      )
      const sponsorNames = await namesOf(memberId, picked.map((r) => r.sponsor.id).filter((x): x is number => x !== null))
      const manages = visibleCollabs(s, viewer)
      const out: GuestRow[] = picked.map((r) => {
        const inv = s.invitedBy.get(r.m.userId)
        // The invitation into this collab: our ledger's send time, else when the portal created the account (an
        // invited person's account is created by the invitation), else when the sync first saw the relation.
        const invitedAt = inv?.sentAt ?? (r.p.dateRegister !== null && r.p.lastLogin === null ? r.p.dateRegister : null) ?? r.m.firstSeenAt
        const lastActivityAt = r.p.lastActivity ?? r.p.lastLogin
        return {
          collabId: r.m.collabId,
          collabName: s.collabs.get(r.m.collabId)?.name ?? '',
          userId: r.m.userId,
          name: personName(r.p),
          email: r.p.email,
          state: r.state,
          sponsor: { id: r.sponsor.id, name: r.sponsor.id === null ? null : sponsorNames.get(r.sponsor.id) ?? null, source: r.sponsor.source },
          invitedAt,
          daysSinceInvitation: daysBetween(invitedAt, s.now),
          lastActivityAt,
          daysSinceActivity: daysBetween(lastActivityAt, s.now),
          profileUrl: `https://${s.domain}/company/personal/user/${r.m.userId}/`,
          canManage: manages.has(r.m.collabId),
        }
      })
      return sortRows(out, q.sort ?? 'name', q.dir ?? 'asc')
    },

    /** Guests of a collab in the given states (the digest and the reviews). */
    async guestsOf(memberId: string, collabIds: number[] | null) {
      const s = await load(memberId)
      const all = rows(s, { userId: 0, isAdmin: true })
      return { snapshot: s, rows: collabIds === null ? all : all.filter((r) => collabIds.includes(r.m.collabId)) }
    },

    async history(memberId: string, viewer: Viewer, collabId: number | undefined, days: number) {
      if (collabId !== undefined && !viewer.isAdmin) {
        const s = await load(memberId)
        if (!visibleCollabs(s, viewer).has(collabId)) return { points: [] }
      }
      const from = historyDay(deps.clock.now() - days * 24 * 60 * 60_000)
      const points = await deps.collabs.history(memberId, viewer.isAdmin || collabId !== undefined ? collabId ?? 0 : -1, from)
      return { points: points.map((p) => ({ day: p.day, invited: p.invited, accepted: p.active + p.inactive, active: p.active, inactive: p.inactive, deactivated: p.deactivated })) }
    },

    /** May the viewer act on this collab's guests (remind, remove)? Owners, moderators, admins. */
    async manages(memberId: string, viewer: Viewer, collabId: number): Promise<boolean> {
      if (viewer.isAdmin) return true
      // Only this collab's owner and roster: not the whole portal's snapshot (people, ledger) that load() joins.
      const collab = (await deps.collabs.collabs(memberId)).find((c) => c.id === collabId)
      if (collab?.ownerId === viewer.userId) return true
      return (await deps.collabs.memberships(memberId, [collabId])).some((m) => m.userId === viewer.userId && (m.role === 'owner' || m.role === 'moderator'))
    },

    collabUrl,
  }
}

export type CollabDashboard = ReturnType<typeof createCollabDashboard>

const STATE_ORDER: Record<GuestState, number> = { invited: 0, active: 1, inactive: 2, deactivated: 3 }

function sortRows(rows: GuestRow[], sort: GuestSort, dir: 'asc' | 'desc'): GuestRow[] {
  const sign = dir === 'desc' ? -1 : 1
  const nullsLast = (a: number | null, b: number | null) => (a === null ? (b === null ? 0 : 1) : b === null ? -1 : sign * (a - b))
  const text = (a: string, b: string) => sign * a.localeCompare(b)
  const cmp: Record<GuestSort, (a: GuestRow, b: GuestRow) => number> = {
    name: (a, b) => text(a.name, b.name),
    collab: (a, b) => text(a.collabName, b.collabName) || a.name.localeCompare(b.name),
    state: (a, b) => sign * (STATE_ORDER[a.state] - STATE_ORDER[b.state]),
    invitedAt: (a, b) => nullsLast(a.invitedAt, b.invitedAt),
    lastActivityAt: (a, b) => nullsLast(a.lastActivityAt, b.lastActivityAt),
    sponsor: (a, b) => text(a.sponsor.name ?? '', b.sponsor.name ?? ''),
  }
  // Ties fall back to collab and user id so pages never shuffle between requests.
  return rows.sort((a, b) => cmp[sort](a, b) || a.collabId - b.collabId || a.userId - b.userId)
}
