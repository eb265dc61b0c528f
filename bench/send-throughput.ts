/**
 * Send throughput against the emulator with the documented limits, on one sped-up clock:
 * (a) our engine — upload, dry run, send, and the job runner sends it, paced by the app's pacer;
 * (b) a naive loop — one user.add per request through b24jssdk with its defaults (naive-sdk-child.ts);
 * (c) the floor computed from the limits (send-floor.ts).
 * Every portal is fresh, so each run starts with an empty bucket and an empty operating window.
 */
import type { Pacer } from '../server/portals/pacer.js'
import type { PortalGateway } from '../server/portals/portal-gateway.js'
import type { Clock, PortalHandle } from '../test/emulator/index.js'
import { installedPortal as bareInstalledPortal } from '../test/emulator/test-kit.js'
import { defaultLimits } from '../test/emulator/limits.js'
import { startChild } from './child-process.js'
import { CLIENT_ID, TEST_APP, installedPortal, uploadCheckSend, type BenchStack } from './bench-stack.js'
import { inviteList } from './fixtures.js'
import type { NaiveInput, NaiveResult } from './naive-sdk-child.js'
import { sendFloor, type SendFloor, type SendLimits } from './send-floor.js'
import { warpSpecOf } from './time-warp.js'

/** user.add's charge in the emulator (test/emulator/methods/user.ts; the docs give no figure). */
export const USER_ADD_SEC = 0.5

export function benchLimits(): SendLimits {
  const l = defaultLimits('standard')
  return { burst: l.burst, drainPerSec: l.drainPerSec, operatingLimitSec: l.operatingLimitSec, operatingWindowSec: l.operatingWindowSec, callSec: USER_ADD_SEC, perBatch: 50 }
}

export interface PortalTraffic {
  /** HTTP requests the portal received. */
  requests: number
  byMethod: Record<string, number>
  /** Commands carried inside batch requests, by method. */
  commands: Record<string, number>
  status503: number
  status429: number
  /** Other non-200 answers, by status. */
  otherErrors: Record<string, number>
}

export function trafficSince(portal: PortalHandle, since: number): PortalTraffic {
  const t: PortalTraffic = { requests: 0, byMethod: {}, commands: {}, status503: 0, status429: 0, otherErrors: {} }
  for (const r of portal.requests().slice(since)) {
    t.requests++
    t.byMethod[r.restMethod] = (t.byMethod[r.restMethod] ?? 0) + 1
    for (const m of r.batchOf ?? []) t.commands[m] = (t.commands[m] ?? 0) + 1
    if (r.status === 503) t.status503++
    else if (r.status === 429) t.status429++
    else if (r.status !== 200) t.otherErrors[String(r.status)] = (t.otherErrors[String(r.status)] ?? 0) + 1
  }
  return t
}

export interface EngineRun {
  invites: number
  /** Job running → completed, emulator seconds. */
  emulatedSec: number
  /** The same, wall seconds. */
  wallSec: number
  /** Upload + dry run + job creation, wall seconds (real CPU work, not paced). */
  prepareWallSec: number
  totals: Record<string, number>
  traffic: PortalTraffic
  /** Refusals the app's pacer saw (whole requests and commands inside batches). */
  pacerRefusals: Record<string, number>
  /** Item error codes of rows that did not end 'invited'. */
  rowErrors: Record<string, number>
  /** Invitations the portal really recorded. */
  portalInvitations: number
  /** Emulator seconds after the job started at which each batch carrying user.add reached the portal. */
  sendTimes: number[]
  /** Per chunk, wall ms, in send order (see profileChunks). */
  chunks: ChunkProfile[]
}

/**
 * Where one chunk's wall time goes, measured from outside the runner: `pacerWaitMs` waiting for the pacer,
 * `requestMs` from admission to the answer (HTTP, the emulator computing the batch, the SDK), `runnerMs` the
 * rest of the cycle until the next chunk's batch starts (marking items, ledger rows, settling, picking the next).
 */
export interface ChunkProfile {
  pacerWaitMs: number
  requestMs: number
  runnerMs: number
}

/**
 * Times the app's user.add batches for one portal by wrapping the gateway's `batchDetailed` and its pacer's
 * `waitForMethod`/`admit`/`settle` (plain object members; nothing in server/ changes). Returns a stop function giving the profile.
 */
function profileChunks(gateway: PortalGateway, memberId: string): () => ChunkProfile[] {
  const gw = gateway as { batchDetailed: PortalGateway['batchDetailed'] }
  const pacer: Pacer = gateway.pacer
  const original = { batch: gw.batchDetailed, admit: pacer.admit, settle: pacer.settle, waitForMethod: pacer.waitForMethod }
  // The runner may also wait for the operating budget before it marks a chunk (pacer.waitForMethod).
  let preWaitMs = 0
  pacer.waitForMethod = async (m, method, calls) => {
    const t0 = performance.now()
    try {
      return await original.waitForMethod(m, method, calls)
    } finally {
      if (m === memberId) preWaitMs += performance.now() - t0
    }
  }
  const open = new Map<number, { waitMs: number; at: number }>()
  const rows: Array<{ start: number; end: number; preWaitMs: number; waitMs: number; requestMs: number }> = []
  // The batch in hand (the runner sends one at a time); an SDK retry adds to it.
  const acc: { current?: { waitMs: number; requestMs: number } } = {}
  pacer.admit = async (m, family, calls) => {
    const t0 = performance.now()
    const ticket = await original.admit(m, family, calls)
    if (m === memberId && calls.has('user.add')) open.set(ticket.id, { waitMs: performance.now() - t0, at: performance.now() })
    return ticket
  }
  pacer.settle = (ticket) => {
    const o = open.get(ticket.id)
    if (o) {
      open.delete(ticket.id)
      acc.current = { waitMs: (acc.current?.waitMs ?? 0) + o.waitMs, requestMs: (acc.current?.requestMs ?? 0) + (performance.now() - o.at) }
    }
    original.settle(ticket)
  }
  gw.batchDetailed = async (m, calls, options) => {
    const mine = m === memberId && Object.values(calls).some(([method]) => method.toLowerCase() === 'user.add')
    const start = performance.now()
    const preWait = preWaitMs
    if (mine) preWaitMs = 0
    delete acc.current
    try {
      return await original.batch(m, calls, options)
    } finally {
      const done = acc.current as { waitMs: number; requestMs: number } | undefined
      if (mine) rows.push({ start, end: performance.now(), preWaitMs: preWait, waitMs: done?.waitMs ?? 0, requestMs: done?.requestMs ?? 0 })
    }
  }
  return () => {
    gw.batchDetailed = original.batch
    pacer.admit = original.admit
    pacer.settle = original.settle
    pacer.waitForMethod = original.waitForMethod
    return rows.map((r, i) => {
      const next = rows[i + 1]
      return { pacerWaitMs: r.preWaitMs + r.waitMs, requestMs: r.requestMs, runnerMs: next ? next.start - r.end - next.preWaitMs : 0 }
    })
  }
}

/** Converts a timestamp the app stored (wall or emulator clock, whichever its store uses) to emulator ms. */
function toEmulated(clock: Clock, ts: number): number {
  const s = warpSpecOf(clock)
  const asWall = s.base + (ts - s.realAt) * s.speed
  // A wall-clock stamp is far behind the sped-up clock; an emulator stamp is near it.
  return Math.abs(ts - s.base) <= Math.abs(asWall - s.base) ? ts : asWall
}

export async function runEngine(stack: BenchStack, clock: Clock, invites: number): Promise<EngineRun> {
  const { portal, api } = await installedPortal(stack.emu, stack.url, { plan: 'standard', lang: 'en' })
  // Install and the first sync cost a few requests outside the pacer (frame token); start from a drained bucket.
  await clock.sleep(40_000)
  const bytes = inviteList(invites, `engine${invites}`)
  const stopProfile = profileChunks(stack.app.gateway, portal.memberId)
  const w0 = Date.now()
  const since = portal.requests().length
  const { jobId } = await uploadCheckSend(api, bytes, `invites-${invites}.csv`)
  const prepareWallSec = (Date.now() - w0) / 1000
  const jobs = stack.app.stores.jobs
  let job = await jobs.get(portal.memberId, jobId)
  while (job && job.status !== 'completed' && job.status !== 'cancelled') {
    await new Promise((r) => setTimeout(r, 100))
    job = await jobs.get(portal.memberId, jobId)
  }
  const chunks = stopProfile()
  if (!job || job.startedAt === null || job.finishedAt === null) throw new Error(`job ${jobId} did not complete: ${JSON.stringify(job)}`)
  const emulatedMs = toEmulated(clock, job.finishedAt) - toEmulated(clock, job.startedAt)
  const rowErrors: Record<string, number> = {}
  for (let after = 0; ; ) {
    const items = await jobs.items(portal.memberId, jobId, { states: ['failed', 'skipped', 'queued', 'sending'], afterSeq: after, limit: 1000 })
    if (items.length === 0) break
    for (const i of items) rowErrors[`${i.state}:${i.errorCode ?? '-'}`] = (rowErrors[`${i.state}:${i.errorCode ?? '-'}`] ?? 0) + 1
    after = items.at(-1)!.seq
  }
  const stats = stack.app.gateway.pacer.stats(portal.memberId)
  const startedAt = toEmulated(clock, job.startedAt)
  const sendTimes = portal.requests().slice(since).filter((r) => r.batchOf?.includes('user.add')).map((r) => (r.at - startedAt) / 1000)
  return {
    invites,
    emulatedSec: emulatedMs / 1000,
    wallSec: emulatedMs / 1000 / clock.speed,
    prepareWallSec,
    totals: { ...job.totals } as unknown as Record<string, number>,
    traffic: trafficSince(portal, since),
    pacerRefusals: { ...stats.refusals },
    rowErrors,
    portalInvitations: portal.invitations().filter((i) => i.email.startsWith(`engine${invites}.`)).length,
    sendTimes,
    chunks,
  }
}

export interface NaiveRun {
  invites: number
  emulatedSec: number
  wallSec: number
  invited: number
  failed: number
  failures: Record<string, number>
  traffic: PortalTraffic
  portalInvitations: number
  sdkStats: unknown
}

export async function runNaive(stack: BenchStack, clock: Clock, invites: number): Promise<NaiveRun> {
  const portal = await bareInstalledPortal(stack.emu, { plan: 'standard', lang: 'en' }, TEST_APP)
  await clock.sleep(40_000)
  const tokens = portal.issueTokens(CLIENT_ID, 1)
  const since = portal.requests().length
  const input: NaiveInput = {
    warp: warpSpecOf(clock),
    tokens,
    app: { clientId: TEST_APP.clientId, clientSecret: TEST_APP.clientSecret },
    count: invites,
    emailPrefix: `naive${invites}.`,
  }
  const child = startChild<NaiveResult>('naive-sdk-child.ts', { BENCH_INPUT: JSON.stringify(input) })
  const result = await child.next()
  await child.exited
  const emulatedSec = (result.finishedAt - result.startedAt) / 1000
  return {
    invites,
    emulatedSec,
    wallSec: emulatedSec / clock.speed,
    invited: result.invited,
    failed: result.failed,
    failures: result.failures,
    traffic: trafficSince(portal, since),
    portalInvitations: portal.invitations().filter((i) => i.email.startsWith(`naive${invites}.`)).length,
    sdkStats: result.sdkStats,
  }
}

export interface ThroughputResult {
  speed: number
  limits: SendLimits
  sizes: Array<{ invites: number; engine: EngineRun; naive: NaiveRun; floor: SendFloor }>
  /** App log lines at warn or above written during the runs. */
  appWarnings: string[]
}

export async function measureThroughput(stack: BenchStack, clock: Clock, sizes: number[], log: (s: string) => void): Promise<ThroughputResult> {
  const limits = benchLimits()
  const out: ThroughputResult = { speed: clock.speed, limits, sizes: [], appWarnings: [] }
  const logsBefore = stack.logs.length
  for (const n of sizes) {
    const floor = sendFloor(n, limits)
    log(`  ${n} invites: floor ${floor.floorSec} s (${floor.bound}); engine…`)
    const engine = await runEngine(stack, clock, n)
    log(`    engine ${engine.emulatedSec.toFixed(1)} s emulated (${engine.wallSec.toFixed(1)} s wall), ${engine.traffic.requests} requests; naive…`)
    const naive = await runNaive(stack, clock, n)
    log(`    naive ${naive.emulatedSec.toFixed(1)} s emulated (${naive.wallSec.toFixed(1)} s wall), ${naive.traffic.requests} requests, ${naive.failed} failed`)
    out.sizes.push({ invites: n, engine, naive, floor })
  }
  out.appWarnings = stack.logs.slice(logsBefore)
  return out
}
