/**
 * A deterministic portal full of collabs and their guests (issue 5), and the truth about them computed
 * from the emulator's own state, so tests of the app's collab tracking can compare against it.
 *
 * A guest is an extranet user (rest-facts §3.4) with a membership in a TYPE 'collab' group: a member
 * (A, E, K) or invited by the group and not yet accepted (Z, initiated by G). A request to join
 * (Z, initiated by U) does not make anyone a guest.
 */
import { Portal, type PortalHandle } from './portal.js'
import type { GroupRole, Membership } from './state.js'

export type GuestState = 'invited' | 'active' | 'inactive' | 'deactivated'

export interface CollabCounts {
  /** Guest memberships: invited + active + inactive + deactivated. */
  guests: number
  invited: number
  active: number
  inactive: number
  deactivated: number
}

export interface CollabTruth {
  /** Over every (collab, guest) pair. */
  total: CollabCounts
  /** Distinct guest users. */
  people: number
  /** Every collab of the portal, guests or not. */
  byCollab: Map<number, CollabCounts>
  /** Every (collab, guest) pair with its state, by collab id, then in membership order. */
  pairs: Array<{ collabId: number; userId: number; state: GuestState }>
}

export interface SeedCollabsOptions {
  collabs: number
  guests: number
  /** @default 1 */
  seed?: number
  /** The app's "active within" window; active guests fall within activeDays − 1 days, inactive ones after activeDays + 1. @default 30 */
  activeDays?: number
}

export interface SeedCollabsResult {
  /** The portal clock when seeding started (whole seconds); every seeded date is relative to it. */
  now: number
  activeDays: number
  /** The department of the collab owners and moderators. */
  departmentId: number
  /** Employees who own and moderate the collabs. */
  employeeIds: number[]
  collabIds: number[]
  /** Ordinary groups, projects and a scrum (not collabs, not extranet). */
  groupIds: number[]
  /** Extranet groups that are not collabs. */
  extranetGroupIds: number[]
  /** Extranet users of those groups who are in no collab (not guests). */
  extranetUserIds: number[]
  guestIds: number[]
  /** What each guest was made as. Per person: one of them can still be 'invited' into a second collab. */
  kinds: Map<number, GuestState>
}

const DAY = 86_400_000
const OWNERS = 40

const FIRST = ['Anna', 'Boris', 'Chloe', 'David', 'Elena', 'Farid', 'Grace', 'Hugo', 'Irina', 'Jonas', 'Kira', 'Liam', 'Maya', 'Nikolai', 'Olga', 'Pavel', 'Quinn', 'Rosa', 'Sven', 'Tara', 'Umar', 'Vera', 'Walt', 'Xenia', 'Yuri', 'Zoe']
const LAST = ['Adams', 'Baker', 'Costa', 'Dietrich', 'Evans', 'Fischer', 'Garcia', 'Hansen', 'Ivanova', 'Jensen', 'Kowalski', 'Lopez', 'Moreau', 'Novak', 'Olsen', 'Petrov', 'Quist', 'Rossi', 'Schmidt', 'Tanaka', 'Ueda', 'Varga', 'Weber', 'Young', 'Zimmer']
const COMPANIES = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne', 'Hooli', 'Vandelay', 'Soylent', 'Tyrell', 'Cyberdyne', 'Wonka', 'Gringotts', 'Oscorp', 'Monarch', 'Aperture']
const TOPICS = ['launch', 'audit', 'rollout', 'pilot', 'migration', 'campaign', 'support', 'design review', 'integration', 'onboarding']

/** mulberry32: small, fast, good enough for test data, and the same on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The seeder and the truth read and write records directly: they need a portal of this process. */
function asPortal(portal: PortalHandle): Portal {
  if (!(portal instanceof Portal)) throw new Error('seedCollabs/collabTruth need a portal created by startEmulator in this process')
  return portal
}

const wholeInt = (v: unknown, name: string, min: number, max: number): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new Error(`seedCollabs: ${name} must be an integer from ${min} to ${max}, got ${String(v)}`)
  return v
}

const emptyCounts = (): CollabCounts => ({ guests: 0, invited: 0, active: 0, inactive: 0, deactivated: 0 })

interface PlannedGuest {
  kind: GuestState
  registeredAt: number
  lastLogin: number | null
  lastActivity: number | null
  changedAt: number
  /** When the guest first accepted (became a member); null for invited people. */
  acceptedAt: number | null
}

export function seedCollabs(handle: PortalHandle, opts: SeedCollabsOptions): SeedCollabsResult {
  const portal = asPortal(handle)
  const collabCount = wholeInt(opts.collabs, 'collabs', 1, 100_000)
  const guestCount = wholeInt(opts.guests, 'guests', 0, 1_000_000)
  const seed = wholeInt(opts.seed ?? 1, 'seed', 0, 2 ** 32 - 1)
  // Active guests sit within activeDays − 1 days, so activeDays needs room for that margin.
  const activeDays = wholeInt(opts.activeDays ?? 30, 'activeDays', 2, 3650)
  const rnd = prng(seed)
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1))
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T
  // Whole seconds: REST returns dates to the second, so the app and the truth see the same instants.
  const sec = (ms: number): number => Math.floor(ms / 1000) * 1000
  const now = sec(portal.clock.now())
  const ago = (days: number): number => sec(now - days * DAY)
  const tag = `s${seed}`

  // ------------------------------------------------------------- employees who own the collabs
  const department = portal.addDepartment({ NAME: 'Collab owners', PARENT: portal.departmentsById.has(1) ? 1 : null })
  const employeeIds: number[] = []
  for (let i = 0; i < OWNERS; i++) {
    const login = ago(rnd() * 5)
    employeeIds.push(
      portal.addUser({
        NAME: pick(FIRST),
        LAST_NAME: pick(LAST),
        EMAIL: `owner${i + 1}.${tag}@corp.example`,
        USER_TYPE: 'employee',
        UF_DEPARTMENT: [department.ID],
        WORK_POSITION: 'Account manager',
        LAST_LOGIN: login,
        DATE_REGISTER: ago(int(400, 1500)),
        TIMESTAMP_X: ago(int(30, 400)),
      }).ID,
    )
  }
  const otherEmployees = (except: number, n: number): number[] => {
    const out = new Set<number>()
    for (let tries = 0; out.size < n && tries < n * 5; tries++) {
      const e = pick(employeeIds)
      if (e !== except) out.add(e)
    }
    return [...out]
  }

  // ------------------------------------------------------------- guests: kinds in exact shares, shuffled
  const shares: Array<[GuestState, number]> = [['invited', 0.15], ['active', 0.5], ['inactive', 0.25]]
  const kinds: GuestState[] = []
  for (const [kind, share] of shares) for (let i = Math.round(guestCount * share); i > 0; i--) kinds.push(kind)
  while (kinds.length > guestCount) kinds.pop()
  while (kinds.length < guestCount) kinds.push('deactivated')
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[kinds[i], kinds[j]] = [kinds[j] as GuestState, kinds[i] as GuestState]
  }

  const planGuest = (kind: GuestState): PlannedGuest => {
    if (kind === 'invited') {
      const registeredAt = ago(rnd() * 60)
      return { kind, registeredAt, lastLogin: null, lastActivity: null, changedAt: registeredAt, acceptedAt: null }
    }
    const activity =
      kind === 'active' ? ago(rnd() * (activeDays - 1)) : kind === 'inactive' ? ago(activeDays + 1 + rnd() * Math.max(30, 400 - activeDays - 1)) : ago(rnd() * 400)
    // Some accounts carry no LAST_ACTIVITY_DATE, so the fallback to LAST_LOGIN gets exercised.
    const noActivityDate = rnd() < 0.05
    const lastLogin = noActivityDate ? activity : sec(activity - rnd() * 3 * DAY)
    const registeredAt = sec(lastLogin - rnd() * 365 * DAY)
    const acceptedAt = sec(registeredAt + rnd() * Math.min(2 * DAY, lastLogin - registeredAt))
    // A deactivation is a profile change; otherwise the last one was the registration.
    const changedAt = kind === 'deactivated' ? sec(activity + rnd() * (now - activity)) : acceptedAt
    return { kind, registeredAt, lastLogin, lastActivity: noActivityDate ? null : activity, changedAt, acceptedAt }
  }

  const guestIds: number[] = []
  const plans = new Map<number, PlannedGuest>()
  const kindById = new Map<number, GuestState>()
  for (let i = 0; i < guestCount; i++) {
    const plan = planGuest(kinds[i] as GuestState)
    const company = pick(COMPANIES)
    const id = portal.addUser({
      NAME: pick(FIRST),
      LAST_NAME: pick(LAST),
      EMAIL: `guest${i + 1}.${tag}@${company.toLowerCase()}.example`,
      WORK_COMPANY: company,
      USER_TYPE: 'extranet',
      UF_DEPARTMENT: [],
      ACTIVE: plan.kind !== 'deactivated',
      invited: plan.kind === 'invited',
      LAST_LOGIN: plan.lastLogin,
      LAST_ACTIVITY_DATE: plan.lastActivity,
      DATE_REGISTER: plan.registeredAt,
      TIMESTAMP_X: plan.changedAt,
    }).ID
    guestIds.push(id)
    plans.set(id, plan)
    kindById.set(id, plan.kind)
  }

  // ------------------------------------------------------------- uneven collab sizes
  // Shuffled ranks: about 8% of collabs stay empty, 10% get one or two guests, the rest follow a Zipf curve.
  const order = Array.from({ length: collabCount }, (_, i) => i)
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[order[i], order[j]] = [order[j] as number, order[i] as number]
  }
  const emptyN = Math.floor(collabCount * 0.08)
  const tinyN = Math.floor(collabCount * 0.1)
  const weights = new Array<number>(collabCount).fill(0)
  const tiny: number[] = []
  order.forEach((c, rank) => {
    if (rank < emptyN) return
    if (rank < emptyN + tinyN) tiny.push(c)
    else weights[c] = (rank - emptyN - tinyN + 1) ** -0.85
  })
  const cumulative: number[] = []
  let sum = 0
  for (const w of weights) cumulative.push((sum += w))
  const sampleCollab = (): number => {
    const x = rnd() * sum
    let lo = 0
    let hi = cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((cumulative[mid] as number) > x) hi = mid
      else lo = mid + 1
    }
    return lo
  }

  // ------------------------------------------------------------- memberships, by collab index
  const rosters: Array<Map<number, Membership>> = Array.from({ length: collabCount }, () => new Map())
  const primary = (uid: number, c: number): void => {
    const plan = plans.get(uid) as PlannedGuest
    rosters[c]?.set(uid, plan.acceptedAt === null ? { role: 'Z', initiatedBy: 'G', at: plan.registeredAt } : { role: 'K', initiatedBy: 'G', at: plan.acceptedAt })
  }
  let next = 0
  for (const c of tiny) for (let n = int(1, 2); n > 0 && next < guestIds.length; n--) primary(guestIds[next++] as number, c)
  for (; next < guestIds.length; next++) primary(guestIds[next] as number, sampleCollab())
  const inCollabs = (uid: number): number => rosters.reduce((n, r) => n + (r.has(uid) ? 1 : 0), 0)
  const extraCollab = (uid: number): number | null => {
    for (let tries = 0; tries < 10; tries++) {
      const c = sampleCollab()
      if (!rosters[c]?.has(uid)) return c
    }
    return null
  }
  for (const uid of guestIds) {
    const plan = plans.get(uid) as PlannedGuest
    // About 10% of guests are in two or three collabs, not always in the same state.
    if (rnd() < 0.1) {
      for (let n = int(1, 2); n > 0 && inCollabs(uid) < collabCount; n--) {
        const c = extraCollab(uid)
        if (c === null) break
        let m: Membership
        if (plan.acceptedAt === null) m = { role: 'Z', initiatedBy: 'G', at: sec(plan.registeredAt + rnd() * (now - plan.registeredAt)) }
        else if (plan.kind !== 'deactivated' && rnd() < 0.4) m = { role: 'Z', initiatedBy: 'G', at: Math.max(plan.registeredAt, ago(rnd() * 60)) }
        else m = { role: 'K', initiatedBy: 'G', at: sec(plan.acceptedAt + rnd() * ((plan.lastLogin ?? now) - plan.acceptedAt)) }
        rosters[c]?.set(uid, m)
      }
    }
    // A few accepted guests asked to join another collab: a request, which makes nobody a guest there.
    if (plan.kind !== 'invited' && plan.kind !== 'deactivated' && rnd() < 0.01) {
      const c = extraCollab(uid)
      if (c !== null) rosters[c]?.set(uid, { role: 'Z', initiatedBy: 'U', at: ago(rnd() * 20) })
    }
  }

  // ------------------------------------------------------------- groups
  const groupIds: number[] = []
  const ordinary: Array<{ NAME: string; TYPE: 'group' | 'project' | 'scrum' }> = [
    { NAME: 'Sales team', TYPE: 'group' },
    { NAME: 'Marketing', TYPE: 'group' },
    { NAME: 'Website relaunch', TYPE: 'project' },
    { NAME: 'Mobile app', TYPE: 'scrum' },
  ]
  for (const o of ordinary) {
    const owner = pick(employeeIds)
    const members = otherEmployees(owner, int(3, 8))
    groupIds.push(
      portal.addGroup({ NAME: `${o.NAME} (${tag})`, TYPE: o.TYPE, OWNER_ID: owner, members, DATE_CREATE: ago(int(200, 900)), ...(o.TYPE === 'scrum' ? { SCRUM_MASTER_ID: members[0] ?? owner } : {}) }).ID,
    )
  }

  const collabIds: number[] = []
  for (let c = 0; c < collabCount; c++) {
    const owner = pick(employeeIds)
    const created = ago(int(410, 800))
    const members: Array<{ id: number; role: GroupRole; initiatedBy?: 'U' | 'G'; at?: number }> = []
    for (const e of otherEmployees(owner, int(0, 2))) members.push({ id: e, role: 'E', at: created })
    for (const e of otherEmployees(owner, int(0, 3))) if (!members.some((m) => m.id === e)) members.push({ id: e, role: 'K', at: created })
    // Now and then an employee is invited into a collab: pending, yet not a guest.
    if (rnd() < 0.05) {
      const e = pick(employeeIds)
      if (e !== owner && !members.some((m) => m.id === e)) members.push({ id: e, role: 'Z', initiatedBy: 'G', at: ago(rnd() * 30) })
    }
    for (const [uid, m] of rosters[c] ?? []) members.push({ id: uid, role: m.role, initiatedBy: m.initiatedBy, at: m.at })
    collabIds.push(portal.addGroup({ NAME: `${pick(COMPANIES)} ${pick(TOPICS)} #${c + 1} (${tag})`, TYPE: 'collab', OWNER_ID: owner, members, DATE_CREATE: created }).ID)
  }

  // Extranet groups that are not collabs: their extranet users are not collab guests, and two collab guests
  // also sit in one of them.
  const extranetUserIds: number[] = []
  const extranetUser = (n: number, invited: boolean): number => {
    const registeredAt = ago(int(10, 300))
    const id = portal.addUser({
      NAME: pick(FIRST),
      LAST_NAME: pick(LAST),
      EMAIL: `partner${n}.${tag}@partners.example`,
      USER_TYPE: 'extranet',
      UF_DEPARTMENT: [],
      invited,
      LAST_LOGIN: invited ? null : ago(rnd() * 60),
      DATE_REGISTER: registeredAt,
      TIMESTAMP_X: registeredAt,
    }).ID
    extranetUserIds.push(id)
    return id
  }
  const extranetGroupIds: number[] = []
  const partnerMembers = [extranetUser(1, false), extranetUser(2, false), extranetUser(3, false)]
  const partnerInvited = [extranetUser(4, true)]
  extranetGroupIds.push(portal.addGroup({ NAME: `Partners (${tag})`, OWNER_ID: pick(employeeIds), IS_EXTRANET: true, VISIBLE: 'N', members: partnerMembers, invited: partnerInvited, DATE_CREATE: ago(500) }).ID)
  const acceptedGuests = guestIds.filter((id) => plans.get(id)?.acceptedAt !== null && kindById.get(id) !== 'deactivated').slice(0, 2)
  const supplierMembers = [extranetUser(5, false), extranetUser(6, false), ...acceptedGuests]
  extranetGroupIds.push(portal.addGroup({ NAME: `Suppliers (${tag})`, OWNER_ID: pick(employeeIds), IS_EXTRANET: true, members: supplierMembers, DATE_CREATE: ago(450) }).ID)

  return { now, activeDays, departmentId: department.ID, employeeIds, collabIds, groupIds, extranetGroupIds, extranetUserIds, guestIds, kinds: kindById }
}

/**
 * The app's spec, from emulator state only. Per (collab, guest): 'deactivated' if the account is not
 * active; else 'invited' if the membership is pending or the user never logged in; else 'active' if
 * LAST_ACTIVITY_DATE (falling back to LAST_LOGIN) is at or after now − activeDays days; else 'inactive'.
 */
export function collabTruth(handle: PortalHandle, opts: { activeDays?: number; now?: number } = {}): CollabTruth {
  const portal = asPortal(handle)
  const activeDays = opts.activeDays ?? 30
  if (!(activeDays > 0) || !Number.isFinite(activeDays)) throw new Error(`collabTruth: activeDays must be a positive number, got ${activeDays}`)
  const now = opts.now ?? portal.clock.now()
  const cutoff = now - activeDays * DAY
  const total = emptyCounts()
  const byCollab = new Map<number, CollabCounts>()
  const pairs: CollabTruth['pairs'] = []
  const people = new Set<number>()
  const groups = [...portal.groupsById.values()].filter((g) => g.TYPE === 'collab').sort((a, b) => a.ID - b.ID)
  for (const g of groups) {
    const counts = emptyCounts()
    byCollab.set(g.ID, counts)
    for (const [uid, m] of g.members) {
      const u = portal.usersById.get(uid)
      if (!u || u.USER_TYPE !== 'extranet') continue
      const pending = m.role === 'Z'
      if (pending && m.initiatedBy !== 'G') continue
      const last = u.LAST_ACTIVITY_DATE ?? u.LAST_LOGIN
      const state: GuestState = !u.ACTIVE ? 'deactivated' : pending || u.LAST_LOGIN === null ? 'invited' : last !== null && last >= cutoff ? 'active' : 'inactive'
      for (const c of [counts, total]) {
        c.guests += 1
        c[state] += 1
      }
      pairs.push({ collabId: g.ID, userId: uid, state })
      people.add(uid)
    }
  }
  return { total, people: people.size, byCollab, pairs }
}
