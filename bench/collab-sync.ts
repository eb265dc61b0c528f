/**
 * What keeping collab guests in step costs in REST (issue 5), on the proof seed: 200 collabs and 5,000 guests
 * (test/emulator/seed-collabs.ts). Four passes of the app's sync (server/collabs/collab-sync.ts), each counted on
 * the emulator's side and timed on the wall: a full pass; an incremental pass after the ten changes of
 * test/collabs/collab-sync.test.ts; one after ten changes the portal can place without a roster scan; one with
 * nothing changed. After each, the dashboard's figures are compared with what the emulator holds.
 *
 * The baseline is computed from the same portal, not run: a per-call client (no batch) reads each collab with
 * its own socialnetwork.api.workgroup.get, lists the workgroups and the extranet users 50 per request, and,
 * having no change feed, does it all again on every pass.
 */
import { collabTruth, createClock, seedCollabs, type PortalHandle } from '../test/emulator/index.js'
import { installedPortal, startBenchStack, type BenchStack } from './bench-stack.js'
import { trafficSince, type PortalTraffic } from './send-throughput.js'

const ACTIVE_DAYS = 30
const PAGE = 50
/**
 * An incremental pass re-reads changes from 5 minutes before the previous pass began (OVERLAP_MS in
 * collab-sync.ts), and the scheduler runs one an hour. The shared clock is moved on this much before each
 * incremental pass, so each pass sees its own changes and not the previous pass's (which the bench makes just
 * before that pass). Kept under the access token's hour, so no refresh shows up in the counts.
 */
const STEP_MS = 10 * 60_000

export interface CollabSyncPass {
  /** What the app's sync answered. */
  mode: string
  appRequests: number
  collabs: number
  /** Guest memberships (collab, guest) after the pass. */
  guests: number
  /** Rosters (collabs) whose members the pass read. */
  rostersRead: number
  /** Counted on the emulator's side, from the call to its answer. */
  traffic: PortalTraffic
  wallSec: number
  /** What a per-call client would need for the same pass (see naiveRequests). */
  naive: NaiveCost
  /** Dashboard figures that differ from the emulator's truth; empty when they all match. */
  mismatches: string[]
}

export interface NaiveCost {
  collabs: number
  workgroups: number
  extranetUsers: number
  /** collabs + ⌈extranet users / 50⌉ + ⌈workgroups / 50⌉. */
  requests: number
}

export interface CollabSyncResult {
  seed: { collabs: number; guests: number; seed: number; activeDays: number }
  /** Truth after seeding: guest memberships, distinct guests. */
  memberships: number
  people: number
  seedWallSec: number
  stepMin: number
  full: CollabSyncPass
  changed: CollabSyncPass & { changes: string[] }
  placeable: CollabSyncPass & { changes: string[] }
  idle: CollabSyncPass
}

/** The request count of a client that reads the same data with one call per collab and plain pages of 50. */
export function naiveRequests(portal: PortalHandle): NaiveCost {
  const groups = portal.groups()
  const collabs = groups.filter((g) => g.TYPE === 'collab').length
  const extranetUsers = portal.users().filter((u) => u.USER_TYPE === 'extranet').length
  // A plain page-by-page list needs a request per page of 50, and at least one to learn the list is empty.
  const pages = (n: number): number => Math.max(1, Math.ceil(n / PAGE))
  return { collabs, workgroups: groups.length, extranetUsers, requests: collabs + pages(extranetUsers) + pages(groups.length) }
}

/** The dashboard's totals, people and per-collab counts against collabTruth; one line per difference. */
async function compareWithPortal(stack: BenchStack, portal: PortalHandle): Promise<string[]> {
  const s = await stack.app.collabs.dashboard.summary(portal.memberId, { userId: 1, isAdmin: true }, ACTIVE_DAYS)
  const truth = collabTruth(portal, { activeDays: ACTIVE_DAYS })
  const out: string[] = []
  const t = truth.total
  const want = { guests: t.guests, invited: t.invited, accepted: t.active + t.inactive, active: t.active, inactive: t.inactive, deactivated: t.deactivated }
  for (const [k, v] of Object.entries(want)) {
    const got = s.totals[k as keyof typeof want]
    if (got !== v) out.push(`totals.${k}: dashboard ${got}, portal ${v}`)
  }
  if (s.people !== truth.people) out.push(`people: dashboard ${s.people}, portal ${truth.people}`)
  if (s.collabs.length !== truth.byCollab.size) out.push(`collabs: dashboard ${s.collabs.length}, portal ${truth.byCollab.size}`)
  for (const c of s.collabs) {
    const p = truth.byCollab.get(c.id)
    if (!p) out.push(`collab ${c.id}: on the dashboard, not a collab on the portal`)
    else if (p.guests !== c.guests || p.invited !== c.invited || p.active !== c.active || p.inactive !== c.inactive || p.deactivated !== c.deactivated) {
      out.push(`collab ${c.id}: dashboard ${JSON.stringify({ guests: c.guests, invited: c.invited, active: c.active, inactive: c.inactive, deactivated: c.deactivated })}, portal ${JSON.stringify(p)}`)
    }
  }
  return out
}

/** Install traffic is answered asynchronously (ONAPPINSTALL from the inbox): wait until the portal is quiet. */
async function quiet(portal: PortalHandle, quietMs = 500, maxMs = 15_000): Promise<void> {
  const until = Date.now() + maxMs
  let n = portal.requests().length
  let since = Date.now()
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50))
    const m = portal.requests().length
    if (m !== n) {
      n = m
      since = Date.now()
    } else if (Date.now() - since >= quietMs) return
  }
  throw new Error(`the portal still received requests ${maxMs} ms after the install`)
}

export async function measureCollabSync(opts: { collabs: number; guests: number; seed: number }): Promise<CollabSyncResult> {
  // Real-time speed; the clock only jumps where STEP_MS says.
  const clock = createClock({ speed: 1 })
  const stack = await startBenchStack({ clock })
  try {
    // Only the measured passes may reach the portal: the hourly pass would otherwise race them.
    await stack.app.collabs.scheduler.stop()
    let seedWallSec = 0
    // Seeded before the install: a real portal has its collabs before any app.
    const { portal } = await installedPortal(stack.emu, stack.url, { plan: 'standard', lang: 'en' }, (p) => {
      const t = performance.now()
      seedCollabs(p, { collabs: opts.collabs, guests: opts.guests, seed: opts.seed, activeDays: ACTIVE_DAYS })
      seedWallSec = (performance.now() - t) / 1000
    })
    await quiet(portal)
    const memberId = portal.memberId
    const seeded = collabTruth(portal, { activeDays: ACTIVE_DAYS })
    const gw = stack.app.gateway

    async function pass(full: boolean): Promise<CollabSyncPass> {
      const naive = naiveRequests(portal)
      const since = portal.requests().length
      const t = performance.now()
      const report = await stack.app.collabs.sync.sync(memberId, { full })
      const wallSec = (performance.now() - t) / 1000
      const traffic = trafficSince(portal, since)
      if (!report) throw new Error('the sync did not run: another pass held the portal')
      return {
        mode: report.mode, appRequests: report.requests, collabs: report.collabs, guests: report.guests, rostersRead: report.changedCollabs,
        traffic, wallSec, naive, mismatches: await compareWithPortal(stack, portal),
      }
    }

    /**
     * Guests in one collab only (as the sync test picks them), in the given state, each in a collab no earlier
     * pick touched: pairs come sorted by collab, so without that the changes would pile into one roster.
     */
    const usedCollabs = new Set<number>()
    function take(state: string, n: number): Array<{ collabId: number; userId: number }> {
      const pairs = collabTruth(portal, { activeDays: ACTIVE_DAYS }).pairs
      const perUser = new Map<number, number>()
      for (const p of pairs) perUser.set(p.userId, (perUser.get(p.userId) ?? 0) + 1)
      const out: Array<{ collabId: number; userId: number }> = []
      for (const p of pairs) {
        if (out.length === n) break
        if (p.state !== state || perUser.get(p.userId) !== 1 || usedCollabs.has(p.collabId)) continue
        out.push(p)
        usedCollabs.add(p.collabId)
      }
      if (out.length < n) throw new Error(`the seed has only ${out.length} ${state} guests in collabs not yet changed, ${n} needed`)
      return out
    }
    const deactivate = (userId: number) => gw.call(memberId, 'user.update', { ID: userId, ACTIVE: 'N' })

    const full = await pass(true)

    // The ten changes of test/collabs/collab-sync.test.ts.
    const invited = take('invited', 3)
    const active = take('active', 4)
    const inactive = take('inactive', 2)
    for (const p of invited) await portal.acceptInvitation(p.userId, { deliverEvent: false })
    for (const p of active.slice(0, 2)) await deactivate(p.userId)
    for (const p of inactive) portal.recordActivity(p.userId)
    for (const p of active.slice(2, 4)) await gw.call(memberId, 'sonet_group.user.delete', { GROUP_ID: p.collabId, USER_ID: p.userId })
    portal.inviteGuestToCollab(seeded.byCollab.keys().next().value!, { email: 'bench.new.guest@example.test', name: 'New', lastName: 'Guest' })
    clock.advance(STEP_MS)
    const changed = {
      ...(await pass(false)),
      changes: ['3 invited guests accept (portal invitation and collab)', '2 active guests deactivated (user.update ACTIVE N)', '2 inactive guests active again (LAST_ACTIVITY_DATE)', '2 guests removed from their collab (sonet_group.user.delete)', '1 new guest invited through the collab\'s own dialog (nobody here invited them)'],
    }

    // Ten changes of known guests: the change feed names them, and the stored memberships place them.
    for (const p of take('active', 5)) await deactivate(p.userId)
    for (const p of take('inactive', 5)) portal.recordActivity(p.userId)
    clock.advance(STEP_MS)
    const placeable = { ...(await pass(false)), changes: ['5 active guests deactivated (user.update ACTIVE N)', '5 inactive guests active again (LAST_ACTIVITY_DATE)'] }

    clock.advance(STEP_MS)
    const idle = await pass(false)

    return {
      seed: { ...opts, activeDays: ACTIVE_DAYS }, memberships: seeded.total.guests, people: seeded.people, seedWallSec, stepMin: STEP_MS / 60_000,
      full, changed, placeable, idle,
    }
  } finally {
    await stack.close()
  }
}
