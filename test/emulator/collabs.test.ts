/**
 * Collab guest tracking (issue 5): LAST_ACTIVITY_DATE apart from LAST_LOGIN (user-current.md format,
 * ISO filters per user-get.md), the undocumented socialnetwork.collab.Member.delete (rest-facts §3.3),
 * the collab UI's guest invitation, and the deterministic collab seeder with its truth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP, emulator, installedPortal, rest } from './test-kit.js'
import { collabTruth, createClock, seedCollabs, type Emulator, type PortalHandle } from './index.js'

const DAY = 86_400_000
const START = Date.UTC(2025, 5, 15, 12, 0, 0)
const NO_LIMIT = { burst: 1_000_000 }

let emu: Emulator
let portal: PortalHandle
let admin: string

beforeAll(async () => {
  // Frozen time: dates in answers and filters are exact.
  emu = await emulator([APP], createClock({ speed: 0, startAt: START }))
  // A frozen clock never drains the leaky bucket, so the burst is lifted.
  portal = await installedPortal(emu, { limits: NO_LIMIT, extraMethods: ['socialnetwork.collab.Member.add', 'socialnetwork.collab.Member.delete'] })
  admin = portal.issueTokens(APP.clientId, 1).access_token
})
afterAll(() => emu.close())

type Row = Record<string, unknown>
const iso = (ms: number): string => new Date(ms).toISOString()
const userGet = async (params: Record<string, unknown>): Promise<Row[]> => {
  const { status, body } = await rest(portal, 'user.get', params, admin)
  expect(status).toBe(200)
  return body.result as Row[]
}
const ids = (rows: Row[]): number[] => rows.map((r) => Number(r.ID)).sort((a, b) => a - b)

describe('LAST_ACTIVITY_DATE', () => {
  it('is its own field: returned as `YYYY-MM-DD hh:mm:ss`, LAST_LOGIN stays ISO, default is LAST_LOGIN', async () => {
    const lastLogin = START - 100 * DAY
    const activity = START - 2 * DAY + 5_000
    const a = portal.addUser({ EMAIL: 'lad-a@example.com', USER_TYPE: 'extranet', UF_DEPARTMENT: [], LAST_LOGIN: lastLogin, LAST_ACTIVITY_DATE: activity }).ID
    const b = portal.addUser({ EMAIL: 'lad-b@example.com', LAST_LOGIN: iso(lastLogin) }).ID
    const [ra, rb] = await userGet({ FILTER: { '@ID': [a, b] }, ORDER: { ID: 'ASC' } })
    expect(ra).toMatchObject({ LAST_LOGIN: '2025-03-07T12:00:00+00:00', LAST_ACTIVITY_DATE: '2025-06-13 12:00:05' })
    expect(rb).toMatchObject({ LAST_LOGIN: '2025-03-07T12:00:00+00:00', LAST_ACTIVITY_DATE: '2025-03-07 12:00:00' })
    expect(portal.user(a)).toMatchObject({ LAST_LOGIN: '2025-03-07T12:00:00+00:00', LAST_ACTIVITY_DATE: '2025-06-13T12:00:05+00:00' })
    // An invited user has neither.
    const c = portal.addUser({ EMAIL: 'lad-c@example.com', invited: true }).ID
    expect((await userGet({ FILTER: { ID: c } }))[0]).toMatchObject({ LAST_LOGIN: '', LAST_ACTIVITY_DATE: '' })
  })

  it('filters with ISO dates and prefixes; LAST_LOGIN and LAST_ACTIVITY_DATE differ', async () => {
    const base = { USER_TYPE: 'extranet' as const, UF_DEPARTMENT: [], WORK_COMPANY: 'filter-set' }
    const recent = portal.addUser({ ...base, EMAIL: 'f1@example.com', LAST_LOGIN: START - 90 * DAY, LAST_ACTIVITY_DATE: START - DAY }).ID
    const old = portal.addUser({ ...base, EMAIL: 'f2@example.com', LAST_LOGIN: START - 90 * DAY, LAST_ACTIVITY_DATE: START - 60 * DAY }).ID
    const never = portal.addUser({ ...base, EMAIL: 'f3@example.com', invited: true }).ID
    const since = iso(START - 30 * DAY)
    expect(ids(await userGet({ FILTER: { WORK_COMPANY: 'filter-set', '>LAST_ACTIVITY_DATE': since } }))).toEqual([recent])
    expect(ids(await userGet({ FILTER: { WORK_COMPANY: 'filter-set', '<LAST_ACTIVITY_DATE': since } }))).toEqual([old])
    expect(ids(await userGet({ FILTER: { WORK_COMPANY: 'filter-set', '>LAST_LOGIN': since } }))).toEqual([])
    expect(ids(await userGet({ FILTER: { WORK_COMPANY: 'filter-set', LAST_ACTIVITY_DATE: '' } }))).toEqual([never])
    // The date-only and the answer's own `YYYY-MM-DD hh:mm:ss` forms are read as UTC, on any test machine.
    expect(ids(await userGet({ FILTER: { WORK_COMPANY: 'filter-set', '>=LAST_ACTIVITY_DATE': '2025-06-14' } }))).toEqual([recent])
    expect(ids(await userGet({ FILTER: { WORK_COMPANY: 'filter-set', '>LAST_ACTIVITY_DATE': '2025-06-14 12:00:00' } }))).toEqual([])
    expect(ids(await userGet({ FILTER: { WORK_COMPANY: 'filter-set', '>=LAST_ACTIVITY_DATE': '2025-06-14 12:00:00' } }))).toEqual([recent])
    // "If the value is not recognized as a date, the condition retrieves no records".
    expect(await userGet({ FILTER: { WORK_COMPANY: 'filter-set', '>LAST_ACTIVITY_DATE': 'yesterday' } })).toEqual([])
    // Sortable too.
    const ordered = await userGet({ FILTER: { WORK_COMPANY: 'filter-set', '!LAST_ACTIVITY_DATE': '' }, ORDER: { LAST_ACTIVITY_DATE: 'DESC' } })
    expect(ordered.map((r) => Number(r.ID))).toEqual([recent, old])
  })

  it('recordActivity moves only LAST_ACTIVITY_DATE (not TIMESTAMP_X); user.update ACTIVE=N moves TIMESTAMP_X', async () => {
    const id = portal.addUser({ EMAIL: 'act@example.com', USER_TYPE: 'extranet', UF_DEPARTMENT: [], LAST_LOGIN: START - 50 * DAY, TIMESTAMP_X: START - 50 * DAY }).ID
    const mark = iso(START - DAY)
    expect(ids(await userGet({ FILTER: { ID: id, '>TIMESTAMP_X': mark } }))).toEqual([])
    const viewed = portal.recordActivity(id, START - 3_600_000)
    expect(viewed).toMatchObject({ LAST_LOGIN: iso(START - 50 * DAY).replace('.000Z', '+00:00'), LAST_ACTIVITY_DATE: '2025-06-15T11:00:00+00:00' })
    expect(ids(await userGet({ FILTER: { ID: id, '>LAST_ACTIVITY_DATE': mark } }))).toEqual([id])
    expect(ids(await userGet({ FILTER: { ID: id, '>LAST_LOGIN': mark } }))).toEqual([])
    expect(ids(await userGet({ FILTER: { ID: id, '>TIMESTAMP_X': mark } }))).toEqual([])
    // A login moves both dates, still not TIMESTAMP_X.
    portal.recordLogin(id, START - 1_800_000)
    const [after] = await userGet({ FILTER: { ID: id } })
    expect(after).toMatchObject({ LAST_LOGIN: '2025-06-15T11:30:00+00:00', LAST_ACTIVITY_DATE: '2025-06-15 11:30:00' })
    expect(ids(await userGet({ FILTER: { ID: id, '>TIMESTAMP_X': mark } }))).toEqual([])
    // Deactivation is a profile change.
    expect((await rest(portal, 'user.update', { ID: id, ACTIVE: 'N' }, admin)).body.result).toBe(true)
    expect(await userGet({ FILTER: { ID: id, '>TIMESTAMP_X': mark } })).toMatchObject([{ ID: String(id), ACTIVE: false }])
    expect(() => portal.recordLogin(id)).toThrow(/deactivated/)
    expect(() => portal.recordActivity(99_999)).toThrow(/no user/)
  })

  it('acceptInvitation sets LAST_LOGIN and LAST_ACTIVITY_DATE together', async () => {
    const id = portal.addUser({ EMAIL: 'acc@example.com', USER_TYPE: 'extranet', UF_DEPARTMENT: [], invited: true }).ID
    expect(() => portal.recordLogin(id)).toThrow(/acceptInvitation/)
    await portal.acceptInvitation(id, { deliverEvent: false })
    expect((await userGet({ FILTER: { ID: id } }))[0]).toMatchObject({ LAST_LOGIN: '2025-06-15T12:00:00+00:00', LAST_ACTIVITY_DATE: '2025-06-15 12:00:00' })
  })
})

describe('guests invited through the collab UI', () => {
  it('inviteGuestToCollab: a new extranet user, invited, pending in the collab (INVITED_MEMBERS, GROUP_MEMBERS_LIST)', async () => {
    const owner = portal.addUser({ EMAIL: 'collab-owner@example.com', NAME: 'Owner' }).ID
    const collab = portal.addGroup({ NAME: 'UI collab', OWNER_ID: owner, TYPE: 'collab' }).ID
    const guest = portal.inviteGuestToCollab(collab, { email: 'new.guest@acme.example', name: 'New', lastName: 'Guest' })
    expect(guest).toMatchObject({ USER_TYPE: 'extranet', UF_DEPARTMENT: [], invited: true, LAST_LOGIN: '', LAST_ACTIVITY_DATE: '', ACTIVE: true, NAME: 'New', DATE_REGISTER: '2025-06-15T12:00:00+00:00' })
    expect(guest.CONFIRM_CODE).not.toBe('')
    const { body } = await rest(portal, 'socialnetwork.api.workgroup.get', { params: { groupId: collab, select: ['GROUP_MEMBERS_LIST'] } }, admin)
    expect(body.result).toMatchObject({
      TYPE: 'collab',
      MEMBERS: [owner],
      INVITED_MEMBERS: [guest.ID],
      GROUP_MEMBERS_LIST: [
        { id: owner, invited: false, isAwaiting: false, isMember: true },
        { id: guest.ID, invited: true, isAwaiting: false, isMember: false },
      ],
    })
    expect((await userGet({ FILTER: { ID: guest.ID } }))[0]).toMatchObject({ USER_TYPE: 'extranet', LAST_LOGIN: '', EMAIL: 'new.guest@acme.example' })
    // Not an app's invitation.
    expect(portal.invitations().some((i) => i.userId === guest.ID)).toBe(false)
    expect(collabTruth(portal).byCollab.get(collab)).toEqual({ guests: 1, invited: 1, active: 0, inactive: 0, deactivated: 0 })
    // Accepting the portal invitation accepts the collab's too.
    await portal.acceptInvitation(guest.ID, { deliverEvent: false })
    expect(portal.groups().find((g) => g.ID === collab)?.members).toContainEqual({ userId: guest.ID, role: 'K', initiatedBy: 'G' })
    expect(collabTruth(portal).byCollab.get(collab)).toEqual({ guests: 1, invited: 0, active: 1, inactive: 0, deactivated: 0 })
  })

  it('addGuestToCollab invites an existing user; bad input is refused', async () => {
    const owner = portal.addUser({ EMAIL: 'collab-owner2@example.com' }).ID
    const collab = portal.addGroup({ NAME: 'UI collab 2', OWNER_ID: owner, TYPE: 'collab' }).ID
    const plain = portal.addGroup({ NAME: 'Plain group', OWNER_ID: owner }).ID
    const existing = portal.addUser({ EMAIL: 'known.guest@acme.example', USER_TYPE: 'extranet', UF_DEPARTMENT: [], LAST_LOGIN: START - 40 * DAY }).ID
    const g = portal.addGuestToCollab(collab, existing)
    expect(g.members).toContainEqual({ userId: existing, role: 'Z', initiatedBy: 'G' })
    // Registered already, so the invitation is the collab's alone: pending until accepted.
    expect(collabTruth(portal).byCollab.get(collab)).toMatchObject({ guests: 1, invited: 1 })
    portal.acceptGroupInvitation(collab, existing)
    expect(collabTruth(portal).byCollab.get(collab)).toMatchObject({ guests: 1, invited: 0, inactive: 1 })
    expect(() => portal.addGuestToCollab(collab, existing)).toThrow(/already a member/)
    expect(() => portal.addGuestToCollab(plain, existing)).toThrow(/not a collab/)
    expect(() => portal.inviteGuestToCollab(collab, { email: 'known.guest@acme.example' })).toThrow(/addGuestToCollab/)
    expect(() => portal.inviteGuestToCollab(collab, { email: 'not-an-email' })).toThrow(/bad e-mail/)
    expect(() => portal.inviteGuestToCollab(collab, { email: 'x@acme.example', invitedBy: 99_999 })).toThrow(/no user/)
    expect(() => portal.inviteGuestToCollab(99_999, { email: 'y@acme.example' })).toThrow(/no group/)
  })
})

describe('socialnetwork.collab.Member.delete (only with extraMethods)', () => {
  it('exists only when the portal lists it', async () => {
    const bare = await installedPortal(emu)
    const t = bare.issueTokens(APP.clientId, 1).access_token
    expect((await rest(bare, 'method.get', { name: 'socialnetwork.collab.member.delete' }, t)).body.result).toEqual({ isExisting: false, isAvailable: false })
    const call = await rest(bare, 'socialnetwork.collab.Member.delete', { groupId: 1, members: ['U2'] }, t)
    expect(call.status).toBe(404)
    expect(call.body.error).toBe('ERROR_METHOD_NOT_FOUND')
    expect((await rest(portal, 'method.get', { name: 'socialnetwork.collab.Member.delete' }, admin)).body.result).toEqual({ isExisting: true, isAvailable: true })
  })

  it('removes members and pending invitations, never the owner; answers true; errors like Member.add', async () => {
    const owner = portal.addUser({ EMAIL: 'del-owner@example.com' }).ID
    const moderator = portal.addUser({ EMAIL: 'del-mod@example.com' }).ID
    const member = portal.addUser({ EMAIL: 'del-member@example.com', USER_TYPE: 'extranet', UF_DEPARTMENT: [] }).ID
    const outsider = portal.addUser({ EMAIL: 'del-outsider@example.com' }).ID
    const collab = portal.addGroup({ NAME: 'Delete collab', OWNER_ID: owner, TYPE: 'collab', members: [{ id: moderator, role: 'E' }, member] }).ID
    const pending = portal.inviteGuestToCollab(collab, { email: 'del-pending@acme.example' }).ID
    const plain = portal.addGroup({ NAME: 'Not a collab', OWNER_ID: owner, members: [member] }).ID
    const roster = (): number[] => (portal.groups().find((g) => g.ID === collab)?.members ?? []).map((m) => m.userId).sort((a, b) => a - b)

    const asOutsider = await rest(portal, 'socialnetwork.collab.Member.delete', { groupId: collab, members: [`U${member}`] }, portal.issueTokens(APP.clientId, outsider).access_token)
    expect(asOutsider).toEqual({ status: 403, body: { error: 'ACCESS_DENIED', error_description: 'Access denied' } })
    const asMember = await rest(portal, 'socialnetwork.collab.Member.delete', { groupId: collab, members: [`U${pending}`] }, portal.issueTokens(APP.clientId, member).access_token)
    expect(asMember.status).toBe(403)
    expect(roster()).toEqual([owner, moderator, member, pending].sort((a, b) => a - b))

    const byModerator = await rest(portal, 'socialnetwork.collab.Member.delete', { groupId: collab, members: [`U${member}`, `U${pending}`, `U${owner}`, 'DR1', 'U99999'] }, portal.issueTokens(APP.clientId, moderator).access_token)
    expect(byModerator).toMatchObject({ status: 200, body: { result: true } })
    expect(roster()).toEqual([owner, moderator].sort((a, b) => a - b))

    const notCollab = await rest(portal, 'socialnetwork.collab.Member.delete', { groupId: plain, members: [`U${member}`] }, admin)
    expect(notCollab).toEqual({ status: 400, body: { error: 'SOCIALNETWORK_COLLAB_NOT_FOUND', error_description: 'Collab not found' } })
    expect((await rest(portal, 'socialnetwork.collab.Member.delete', { members: [`U${member}`] }, admin)).body.error).toBe('SOCIALNETWORK_COLLAB_NOT_FOUND')
    // Member.add puts them back (same access codes).
    expect((await rest(portal, 'socialnetwork.collab.Member.add', { groupId: collab, members: [`U${member}`] }, admin)).body.result).toBe(true)
    expect(roster()).toContain(member)
  })
})

describe('seedCollabs / collabTruth', () => {
  let seeded: PortalHandle
  let result: ReturnType<typeof seedCollabs>

  beforeAll(async () => {
    seeded = await installedPortal(emu, { memberId: 'seeded-a', limits: NO_LIMIT })
    const t0 = performance.now()
    result = seedCollabs(seeded, { collabs: 200, guests: 5000, seed: 42 })
    // Fast enough to run in every test file's setup.
    expect(performance.now() - t0).toBeLessThan(1500)
  })

  it('makes the intended distribution, and the truth agrees with it', () => {
    expect(result).toMatchObject({ now: START, activeDays: 30 })
    expect(result.collabIds).toHaveLength(200)
    expect(result.guestIds).toHaveLength(5000)
    expect(result.employeeIds).toHaveLength(40)
    const truth = collabTruth(seeded, { activeDays: 30, now: START })
    expect(truth.people).toBe(5000)
    expect(truth.byCollab.size).toBe(200)
    const t = truth.total
    expect(t.guests).toBe(t.invited + t.active + t.inactive + t.deactivated)
    expect(t.guests).toBe(truth.pairs.length)

    // Per person, from the pairs: what each guest was made as.
    const byPerson = new Map<number, Set<string>>()
    for (const p of truth.pairs) byPerson.set(p.userId, (byPerson.get(p.userId) ?? new Set()).add(p.state))
    const share = (kind: string): number => [...result.kinds.values()].filter((k) => k === kind).length / 5000
    expect(share('invited')).toBeCloseTo(0.15, 2)
    expect(share('active')).toBeCloseTo(0.5, 2)
    expect(share('inactive')).toBeCloseTo(0.25, 2)
    expect(share('deactivated')).toBeCloseTo(0.1, 2)
    for (const [uid, kind] of result.kinds) {
      const states = [...(byPerson.get(uid) ?? [])]
      if (kind === 'invited' || kind === 'deactivated') expect(states).toEqual([kind])
      else expect(states.filter((s) => s !== 'invited')).toEqual([kind]) // maybe invited into another collab too
    }
    // About 10% are in two or three collabs, some of them in different states.
    const multi = [...byPerson.keys()].filter((uid) => truth.pairs.filter((p) => p.userId === uid).length > 1)
    expect(multi.length / 5000).toBeGreaterThan(0.07)
    expect(multi.length / 5000).toBeLessThan(0.13)
    expect(multi.filter((uid) => (byPerson.get(uid)?.size ?? 0) > 1).length).toBeGreaterThan(50)
    // Pair shares: within a few points of the person shares (extra invitations raise 'invited').
    expect(t.invited / t.guests).toBeGreaterThan(0.15)
    expect(t.invited / t.guests).toBeLessThan(0.25)
    expect(t.active / t.guests).toBeGreaterThan(0.42)
    expect(t.deactivated / t.guests).toBeGreaterThan(0.07)

    // Uneven: a few big collabs, some empty ones, some with one or two guests.
    const sizes = [...truth.byCollab.values()].map((c) => c.guests).sort((a, b) => a - b)
    expect(sizes.filter((n) => n === 0).length).toBeGreaterThanOrEqual(10)
    expect(sizes.filter((n) => n === 1 || n === 2).length).toBeGreaterThanOrEqual(10)
    expect(sizes.at(-1)).toBeGreaterThan(200)
  })

  it('keeps non-guests out: employees, requests to join, extranet users of non-collab groups', () => {
    const truth = collabTruth(seeded, { now: START })
    const guestPairs = new Set(truth.pairs.map((p) => `${p.collabId}:${p.userId}`))
    const users = new Map(seeded.users().map((u) => [u.ID, u]))
    let requests = 0
    let employeeInvites = 0
    for (const g of seeded.groups()) {
      for (const m of g.members) {
        const isGuestPair = guestPairs.has(`${g.ID}:${m.userId}`)
        if (g.TYPE !== 'collab') expect(isGuestPair).toBe(false)
        else if (users.get(m.userId)?.USER_TYPE !== 'extranet') {
          expect(isGuestPair).toBe(false)
          if (m.role === 'Z') employeeInvites += 1
        } else if (m.role === 'Z' && m.initiatedBy === 'U') {
          expect(isGuestPair).toBe(false)
          requests += 1
        } else expect(isGuestPair).toBe(true)
      }
    }
    expect(requests).toBeGreaterThan(5)
    expect(employeeInvites).toBeGreaterThan(0)
    expect(result.extranetGroupIds).toHaveLength(2)
    expect(result.groupIds.length).toBeGreaterThanOrEqual(3)
    for (const id of result.extranetUserIds) expect(truth.pairs.some((p) => p.userId === id)).toBe(false)
    // The activity window moves the split between active and inactive, nothing else.
    const wide = collabTruth(seeded, { activeDays: 400, now: START }).total
    expect(wide.active + wide.inactive).toBe(truth.total.active + truth.total.inactive)
    expect(wide.inactive).toBeLessThan(truth.total.inactive / 10)
  })

  it('what REST shows matches: workgroup.list with select TYPE, user.get dates of the guests', async () => {
    const token = seeded.issueTokens(APP.clientId, 1).access_token
    // Plain paging (the SDK would refresh tokens issued at the frozen 2025 time).
    const groups: Array<{ id: string; type: string }> = []
    for (let start: number | undefined = 0; start !== undefined; ) {
      const page = await rest(seeded, 'socialnetwork.api.workgroup.list', { select: ['ID', 'TYPE'], params: { IS_ADMIN: 'Y' }, start }, token)
      groups.push(...(page.body.result as { workgroups: Array<{ id: string; type: string }> }).workgroups)
      start = page.body.next as number | undefined
    }
    expect(groups).toHaveLength(seeded.groups().length)
    expect(groups.filter((g) => g.type === 'collab').map((g) => Number(g.id)).sort((a, b) => a - b)).toEqual(result.collabIds)
    expect(new Set(groups.map((g) => g.type))).toEqual(new Set(['collab', 'group', 'project', 'scrum']))

    // The app's classification from REST data alone agrees with the truth for one collab.
    const truth = collabTruth(seeded, { now: START })
    const big = [...truth.byCollab].sort((a, b) => b[1].guests - a[1].guests)[0] as [number, { guests: number }]
    const wg = (await rest(seeded, 'socialnetwork.api.workgroup.get', { params: { groupId: big[0] } }, token)).body.result as { MEMBERS: number[]; INVITED_MEMBERS: number[] }
    const cutoff = START - 30 * DAY
    const counts: Record<string, number> = { invited: 0, active: 0, inactive: 0, deactivated: 0 }
    const wanted = [...wg.MEMBERS, ...wg.INVITED_MEMBERS]
    const rows: Row[] = []
    for (let start = 0; start < wanted.length; start += 50) {
      const page = (await rest(seeded, 'user.get', { FILTER: { '@ID': wanted.slice(start, start + 50), USER_TYPE: 'extranet' }, ADMIN_MODE: true }, token)).body.result as Row[]
      rows.push(...page)
    }
    const invited = new Set(wg.INVITED_MEMBERS)
    for (const u of rows) {
      const last = u.LAST_ACTIVITY_DATE ? Date.parse(`${String(u.LAST_ACTIVITY_DATE).replace(' ', 'T')}Z`) : u.LAST_LOGIN ? Date.parse(String(u.LAST_LOGIN)) : null
      const state = u.ACTIVE === false ? 'deactivated' : invited.has(Number(u.ID)) || u.LAST_LOGIN === '' ? 'invited' : last !== null && last >= cutoff ? 'active' : 'inactive'
      counts[state] = (counts[state] ?? 0) + 1
    }
    expect({ guests: rows.length, ...counts }).toEqual(truth.byCollab.get(big[0]))
  })

  it('is deterministic for a seed', async () => {
    const again = await installedPortal(emu, { memberId: 'seeded-b' })
    const r2 = seedCollabs(again, { collabs: 200, guests: 5000, seed: 42 })
    expect(r2.collabIds).toEqual(result.collabIds)
    expect([...r2.kinds]).toEqual([...result.kinds])
    const strip = (h: PortalHandle) => h.users().map(({ CONFIRM_CODE: _code, ...u }) => u)
    expect(strip(again)).toEqual(strip(seeded))
    expect(again.groups()).toEqual(seeded.groups())
    expect(collabTruth(again, { now: START })).toEqual(collabTruth(seeded, { now: START }))
    const other = await installedPortal(emu, { memberId: 'seeded-c' })
    seedCollabs(other, { collabs: 200, guests: 5000, seed: 43 })
    expect(collabTruth(other, { now: START }).total).not.toEqual(collabTruth(seeded, { now: START }).total)
  })

  it('refuses bad options; works over the HTTP hooks', async () => {
    const p = await installedPortal(emu)
    expect(() => seedCollabs(p, { collabs: 0, guests: 10 })).toThrow(/collabs must be an integer/)
    expect(() => seedCollabs(p, { collabs: 5, guests: 1.5 })).toThrow(/guests/)
    expect(() => seedCollabs(p, { collabs: 5, guests: 10, activeDays: 1 })).toThrow(/activeDays/)
    expect(() => seedCollabs({ ...p } as PortalHandle, { collabs: 5, guests: 10 })).toThrow(/this process/)
    const post = async (path: string, body: unknown): Promise<Row> => (await (await fetch(`${p.origin}/__emulator/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as Row
    const seededOverHttp = await post('seed-collabs', { collabs: 10, guests: 100, seed: 5, activeDays: 14 })
    expect(seededOverHttp).toMatchObject({ activeDays: 14, collabIds: expect.any(Array) })
    const truth = (await (await fetch(`${p.origin}/__emulator/collab-truth?activeDays=14`)).json()) as { total: { guests: number }; people: number; byCollab: Record<string, unknown> }
    expect(truth.people).toBe(100)
    expect(Object.keys(truth.byCollab)).toHaveLength(10)
    const collabId = (seededOverHttp.collabIds as number[])[0] as number
    const invited = await post('invite-guest-to-collab', { collabId, email: 'hook.guest@acme.example' })
    expect(invited).toMatchObject({ USER_TYPE: 'extranet', invited: true })
    await post('accept-invitation', { user: invited.ID })
    expect(await post('record-activity', { userId: invited.ID, at: START - DAY })).toMatchObject({ LAST_ACTIVITY_DATE: '2025-06-14T12:00:00+00:00' })
    expect(await post('invite-guest-to-collab', { collabId: 99_999, email: 'z@acme.example' })).toEqual({ error: 'no group 99999' })
  })
})
