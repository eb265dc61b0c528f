/** Renders bench/results.md from the measurements of one run. Ratios only; no figure is asserted. */
import os from 'node:os'
import type { CollabSyncPass, CollabSyncResult } from './collab-sync.js'
import type { RobotBurstResult } from './robot-burst.js'
import type { JoinFloodResult } from './join-flood.js'
import type { EventIntakeResult } from './event-intake.js'
import type { UiFirstViewResult } from './ui-first-view.js'
import type { InstanceScalingResult } from './instance-scaling.js'
import type { DryRunMemoryResult } from './dry-run-memory.js'
import type { DuplicateCheckResult } from './duplicate-check.js'
import type { EngineRun, PortalTraffic, ThroughputResult } from './send-throughput.js'

export interface RunInfo {
  date: string
  node: string
  machine: string
  commit: string
  speed: number
  totalWallSec: number
  /** 1-minute load average at step boundaries. */
  load: Array<{ at: string; load1: number }>
  cores: number
}

export interface BenchResults {
  info: RunInfo
  throughput?: ThroughputResult
  dryRun?: DryRunMemoryResult
  /** The same dry run with Node's default heap settings (reference). */
  dryRunDefaults?: DryRunMemoryResult
  duplicates?: DuplicateCheckResult
  collabSync?: CollabSyncResult
  robotBurst?: RobotBurstResult
  joinFlood?: JoinFloodResult
  eventIntake?: EventIntakeResult
  uiFirstView?: UiFirstViewResult
  instanceScaling?: InstanceScalingResult
  /** Measurements that crashed: name → error text (the rest of the report still stands). */
  errors: Record<string, string>
}

export const TARGET_RATIO = 1.1
export const TARGET_RSS_MB = 200

const MB = 1024 * 1024
const f1 = (n: number): string => n.toFixed(1)
const f2 = (n: number): string => n.toFixed(2)
const f3 = (n: number): string => n.toFixed(3)
const mb = (bytes: number): string => f1(bytes / MB)
const verdict = (ok: boolean): string => (ok ? '**PASS**' : '**FAIL**')
const list = (m: Record<string, number>): string => Object.entries(m).map(([k, v]) => `${k} × ${v}`).join(', ') || '—'

function trafficLine(t: PortalTraffic): string {
  const other = Object.entries(t.otherErrors).map(([s, n]) => `${s} × ${n}`).join(', ')
  return `${t.requests} (${list(t.byMethod)}; commands inside batches: ${list(t.commands)})${other ? `; other non-200: ${other}` : ''}`
}

/** Splits the engine's send times into windows (a gap longer than 1/3 of the window means a wait for the budget). */
export function engineTimeline(run: EngineRun, windowSec: number): { firstSend: number; windowStarts: number[]; drift: number[]; lastWindowSpan: number; afterLastSend: number; chunkGaps: { first: number; last: number }; meanChunkGap: number } {
  const t = run.sendTimes
  const starts: number[] = t.length ? [t[0]!] : []
  const lastOfWindow: number[] = []
  for (let i = 1; i < t.length; i++) if (t[i]! - t[i - 1]! > windowSec / 3) {
    lastOfWindow.push(t[i - 1]!)
    starts.push(t[i]!)
  }
  const drift = starts.slice(1).map((s, k) => s - starts[k]! - windowSec)
  const meanGap = (from: number, to: number): number => {
    const xs = t.filter((x) => x >= from && x <= to)
    return xs.length > 1 ? (xs.at(-1)! - xs[0]!) / (xs.length - 1) : 0
  }
  const firstWindowEnd = lastOfWindow[0] ?? t.at(-1) ?? 0
  return {
    firstSend: t[0] ?? 0,
    windowStarts: starts,
    drift,
    lastWindowSpan: (t.at(-1) ?? 0) - (starts.at(-1) ?? 0),
    afterLastSend: run.emulatedSec - (t.at(-1) ?? 0),
    chunkGaps: { first: meanGap(t[0] ?? 0, firstWindowEnd), last: meanGap(starts.at(-1) ?? 0, t.at(-1) ?? 0) },
    // Gaps between chunks that were not waits for the budget: the runner's (and the emulator's) own time per chunk.
    meanChunkGap: (() => {
      const gaps = t.slice(1).map((x, i) => x - t[i]!).filter((g) => g <= windowSec / 3)
      return gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : 0
    })(),
  }
}

function throughputSection(r: ThroughputResult, out: string[]): void {
  const l = r.limits
  out.push('## 1. Send throughput', '')
  out.push(
    `One emulator and one Invite Desk instance on one clock running **${r.speed}×** (every duration below is emulated seconds unless marked *wall*). ` +
      'Each run uses a fresh standard-plan portal (empty bucket, empty operating window) and waits 40 emulated seconds after installing so the install traffic has drained.',
    '',
    '| limit | value | source |',
    '|---|---|---|',
    `| leaky bucket X (burst) | ${l.burst} requests | limits.md table (non-Enterprise) |`,
    `| leaky bucket Y (drain) | ${l.drainPerSec} per s | limits.md table (non-Enterprise) |`,
    `| operating budget L | ${l.operatingLimitSec} s per method per app | limits.md worked example ("set by the Bitrix24 configuration" in the cloud) |`,
    `| operating window W | ${l.operatingWindowSec} s (ten one-minute baskets) | limits.md |`,
    `| user.add charge c | ${l.callSec} s per call | the emulator's default (test/emulator/methods/user.ts); the docs give no figure |`,
    `| commands per batch | ${l.perBatch} | batch.md |`,
    '',
    '**(a) engine**: the CSV goes through the JSON API (upload → dry run → send) and the app\'s job runner sends it: chunks of 50 `user.add` in one `batch`, paced by server/portals/pacer.ts. Time = job `startedAt` → `finishedAt` (the job is created and running when send answers; parsing and the dry run are shown apart, in wall seconds).',
    '',
    '**(b) naive**: a loop of one `user.add` per request, `await`ed one after the other, through `B24OAuth` with b24jssdk 2.2.0\'s default restriction profile (rate limiter 50 / 2 per s, operating limiter, adaptive delays, 3 retries), in a child process whose `Date.now()` and timers run on the same sped-up clock (bench/time-warp.ts), so the SDK\'s wall-clock limiters see the portal\'s time. A call that still fails after the SDK\'s own retries counts as a failed invite and the loop goes on.',
    '',
    '**(c) floor**, the least time any client can take (bench/send-floor.ts):',
    '',
    `- request rate: R = ⌈N / ${l.perBatch}⌉ batch requests; after an idle period X + 1 = ${l.burst + 1} pass at once (a request is refused only when the counter already exceeds X), then one per 1/Y s: **T_rate = max(0, R − (X + 1)) / Y**;`,
    `- operating time: a call is refused once the live baskets hold more than L, and the call that crosses L completes, so a window takes at most k = ⌊L / c⌋ + 1 = ${Math.floor(l.operatingLimitSec / l.callSec) + 1} calls; a basket counts until it leaves the window, W after its first call, so the best schedule sends k calls at the instant the previous group's basket drops: **T_op = ⌊(N − 1) / k⌋ × W**;`,
    '- **floor = max(T_rate, T_op)**. It counts no time for computing anything on either side and treats the portal as answering instantly (the emulator reports `processing` but does not spend it).',
    `- For reference only, *c\\** (basket-aware): baskets collect every call of their first minute, so a client that opens the next basket with one call a minute before the old one drops and fills it the moment the old one is gone charges its calls to a basket leaving the window W − 60 s later: c* = W + (⌈N / (k − 1)⌉ − 2) × (W − 60). That needs the basket boundaries placed to the second against the portal's private bookkeeping, which the docs do not pin down; the target is held against (c).`,
    '',
  )
  out.push('| invites | (a) engine | (b) naive SDK loop | (c) floor | a / c (target ≤ 1.1) | a / b | b / c | a / c* (reference) |', '|---|---|---|---|---|---|---|---|')
  for (const s of r.sizes) {
    const ac = s.engine.emulatedSec / s.floor.floorSec
    out.push(
      `| ${s.invites.toLocaleString('en')} | ${f1(s.engine.emulatedSec)} s (wall ${f1(s.engine.wallSec)} s) | ${f1(s.naive.emulatedSec)} s (wall ${f1(s.naive.wallSec)} s) | ${f1(s.floor.floorSec)} s (T_rate ${f1(s.floor.rateSec)}, T_op ${f1(s.floor.operatingSec)}) | ${f3(ac)} ${verdict(ac <= TARGET_RATIO)} | ${f3(s.engine.emulatedSec / s.naive.emulatedSec)} | ${f3(s.naive.emulatedSec / s.floor.floorSec)} | ${s.floor.basketAwareSec > 0 ? `${f3(s.engine.emulatedSec / s.floor.basketAwareSec)} (c* ${f1(s.floor.basketAwareSec)} s)` : '—'} |`,
    )
  }
  out.push('', '### Refusals and outcomes', '')
  out.push('| invites | run | HTTP requests to the portal | 503 | 429 | refusals inside batches | rows invited | rows failed | on the portal | surfaced to the user |', '|---|---|---|---|---|---|---|---|---|---|')
  for (const s of r.sizes) {
    const e = s.engine
    const refusedInside = (e.pacerRefusals.OPERATION_TIME_LIMIT ?? 0) + (e.pacerRefusals.QUERY_LIMIT_EXCEEDED ?? 0)
    const failedRows = e.totals.failed ?? 0
    const clean = e.traffic.status503 === 0 && e.traffic.status429 === 0 && refusedInside === 0 && failedRows === 0 && (e.totals.invited ?? 0) === s.invites
    out.push(
      `| ${s.invites.toLocaleString('en')} | (a) engine | ${trafficLine(e.traffic)} | ${e.traffic.status503} | ${e.traffic.status429} | ${refusedInside} (pacer's count) | ${e.totals.invited ?? 0} | ${failedRows}${Object.keys(e.rowErrors).length ? ` (${list(e.rowErrors)})` : ''} | ${e.portalInvitations} | ${clean ? 'none — **PASS**' : '**FAIL**: see counts'} |`,
    )
    const n = s.naive
    out.push(
      `| ${s.invites.toLocaleString('en')} | (b) naive | ${trafficLine(n.traffic)} | ${n.traffic.status503} | ${n.traffic.status429} | — | ${n.invited} | ${n.failed}${n.failed ? ` (${list(n.failures)})` : ''} | ${n.portalInvitations} | ${n.failed ? `${n.failed} failed invites` : 'none'} |`,
    )
  }
  out.push('', '### Where (a) spends the time above (c)', '')
  out.push('| invites | first send after start | waits for the operating budget | window starts (emulated s after start) | drift per window (start − previous start − W) | mean time per chunk (emulated / wall) | last window, first → last send | last send → job completed | parse + dry run + job creation (wall) |', '|---|---|---|---|---|---|---|---|---|')
  for (const s of r.sizes) {
    const t = engineTimeline(s.engine, l.operatingWindowSec)
    out.push(
      `| ${s.invites.toLocaleString('en')} | ${f1(t.firstSend)} s | ${t.windowStarts.length - 1} | ${t.windowStarts.map(f1).join(', ')} | ${t.drift.map(f1).join(', ') || '—'} | ${f1(t.meanChunkGap)} s / ${f3(t.meanChunkGap / r.speed)} s | ${f1(t.lastWindowSpan)} s | ${f1(t.afterLastSend)} s | ${f2(s.engine.prepareWallSec)} s |`,
    )
  }
  out.push('', 'Per chunk, measured from outside the runner (wall ms; × speed = emulated): the pacer\'s wait, the request (admission → answer: HTTP, the emulator running 50 `user.add`, the SDK), and the runner\'s own time until the next chunk\'s batch (marking items, ledger rows, settling, picking the next chunk).', '')
  out.push('| invites | chunks | pacer wait, total | request, mean of first 19 / last 19 chunks | runner, mean of first 19 / last 19 chunks | compute per chunk (request + runner), last 19, emulated |', '|---|---|---|---|---|---|')
  for (const s of r.sizes) {
    const c = s.engine.chunks
    const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0)
    const head = c.slice(0, 19)
    const tail = c.slice(-19)
    const runnerTail = tail.slice(0, -1) // the last chunk has no next one
    const computeTail = mean(tail.map((x) => x.requestMs)) + mean(runnerTail.map((x) => x.runnerMs))
    out.push(
      `| ${s.invites.toLocaleString('en')} | ${c.length} | ${f1(c.reduce((a, x) => a + x.pacerWaitMs, 0) / 1000)} s wall = ${f1((c.reduce((a, x) => a + x.pacerWaitMs, 0) / 1000) * r.speed)} s emulated | ${f1(mean(head.map((x) => x.requestMs)))} / ${f1(mean(tail.map((x) => x.requestMs)))} ms | ${f1(mean(head.slice(0, -1).map((x) => x.runnerMs)))} / ${f1(mean(runnerTail.map((x) => x.runnerMs)))} ms | ${f1((computeTail / 1000) * r.speed)} s |`,
    )
  }
  out.push(
    '',
    `At ${r.speed}× every real millisecond of computing counts as ${r.speed} emulated milliseconds, and the floor counts none. The runner sends one chunk at a time (mark 50 items, one batch request, 50 ledger rows, settle), so its own time per chunk, and the emulator's \`user.add\` (which compares the e-mail with every user, so it slows down as the portal fills), show up as the time per chunk; the last window's chunks and each window's first chunk add it to (a). ` +
      `When 19 chunks take longer than W (${f1(l.operatingWindowSec / 19)} emulated s, ${f3(l.operatingWindowSec / 19 / r.speed)} wall s per chunk at this speed) the run is bound by the runner's own speed and never waits for the budget. ` +
      'The pacer itself waits exactly for the budget: the first chunk of a window goes out when the previous window\'s first chunk has left the operating window (it dates each charge by the portal\'s `time.finish` for that command, and a chunk only fits once all 50 of the previous window\'s first chunk have dropped, so each window starts later by about the time the emulator took to run that chunk). A window holds 19 chunks (950 calls, 475 s: the pacer keeps 5 s under L, and a 20th chunk would need 500 s); 19 or 20 chunks per window make no difference to the number of windows 1,000 or 10,000 invites need.',
  )
  if (r.appWarnings.length) out.push('', `App warnings during the runs (${r.appWarnings.length}):`, '', '```', ...r.appWarnings.slice(0, 10).map((x) => x.slice(0, 300)), '```')
  out.push('')
}

/** Peak RSS of the server through the upload and the first dry run (the measurement the target is about). */
export function dryRunPeak(d: DryRunMemoryResult): number {
  return Math.max(d.afterDryRun.maxRss, d.afterDryRun.vmHwm ?? 0)
}

function dryRunSection(d: DryRunMemoryResult, defaults: DryRunMemoryResult | undefined, out: string[]): void {
  const peak = dryRunPeak(d)
  const peakAgain = Math.max(d.afterAgain.maxRss, d.afterAgain.vmHwm ?? 0)
  out.push('## 2. Dry run of a 50,000-row file: memory and time', '')
  out.push(
    `The server runs alone in a child process (bench/dry-run-server.ts, built like server/main.ts: SQLite file, production defaults, as \`npm start\` runs it: bundled to plain JS by scripts/build-server.ts, with the Node flags of scripts/server-node-flags.ts, \`${d.nodeFlags.join(' ')}\`); this process plays the portal (emulator, real-time clock, ${d.directoryUsers.toLocaleString('en')} users seeded before the install) and the browser (upload and dry run through the JSON API). ` +
      `The file: ${d.rows.toLocaleString('en')} rows, ${mb(d.fileBytes)} MB, \`;\`-separated UTF-8 with BOM, Фамилия/Имя/Отчество/E-mail/Телефон/Должность/Отдел, 70 % Cyrillic names; ${d.file.invalidEmails} broken e-mails, ${d.file.duplicateRows} repeated rows, ${d.file.unknownDepartments} misspelt departments, ${d.file.existing} people already in the portal. ` +
      'Peak = getrusage `ru_maxrss` (same as /proc/self/status VmHWM), MB = 2^20 bytes.',
    '',
    '| step | wall time | server CPU | RSS after | peak RSS so far | peak V8 heap in step (5 ms sampler) | peak off-heap (Buffers) in step |',
    '|---|---|---|---|---|---|---|',
    `| server started, app installed, idle | — | ${f2(d.baseline.cpuSec)} s | ${mb(d.baseline.rss)} MB | ${mb(d.baseline.maxRss)} MB | ${mb(d.baseline.peakHeapUsed)} MB | ${mb(d.baseline.peakExternal)} MB |`,
    `| upload (POST /api/imports: parse, store) | ${f2(d.uploadSec)} s | ${f2(d.afterUpload.cpuSec - d.baseline.cpuSec)} s | ${mb(d.afterUpload.rss)} MB | ${mb(d.afterUpload.maxRss)} MB | ${mb(d.afterUpload.peakHeapUsed)} MB | ${mb(d.afterUpload.peakExternal)} MB |`,
    `| first dry run (full directory sync + check, answer ${mb(d.answerBytes)} MB of JSON) | ${f2(d.dryRunSec)} s | ${f2(d.afterDryRun.cpuSec - d.afterUpload.cpuSec)} s | ${mb(d.afterDryRun.rss)} MB | ${mb(d.afterDryRun.maxRss)} MB | ${mb(d.afterDryRun.peakHeapUsed)} MB | ${mb(d.afterDryRun.peakExternal)} MB |`,
    `| second dry run (cache fresh: incremental sync + check) | ${f2(d.againSec)} s | ${f2(d.afterAgain.cpuSec - d.afterDryRun.cpuSec)} s | ${mb(d.afterAgain.rss)} MB | ${mb(d.afterAgain.maxRss)} MB | ${mb(d.afterAgain.peakHeapUsed)} MB | ${mb(d.afterAgain.peakExternal)} MB |`,
    '',
    `**Peak RSS of the server process through upload and dry run: ${mb(peak)} MB** — target ≤ ${TARGET_RSS_MB} MB: ${verdict(peak <= TARGET_RSS_MB * MB)}. ` +
      `Of that, the idle server (Node and the app's modules) holds ${mb(d.baseline.maxRss)} MB; the upload adds ${mb(d.afterUpload.maxRss - d.baseline.maxRss)} MB and the dry run ${mb(peak - d.afterUpload.maxRss)} MB. ` +
      `Checking the same upload again raises the peak to ${mb(peakAgain)} MB.`,
    '',
    ...(defaults ? [referenceLine(defaults), ''] : []),
    `Dry-run summary: ${Object.entries(d.summary).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${k} ${v}`).join(', ')}; existing: ${list(d.summary.existing as Record<string, number>)}.`,
    '',
    'The wall time of the first dry run is mostly the emulated portal computing its answers to the directory sync (it filters all users for every `user.get` page, in this process); the server\'s own share is its CPU column.',
    '',
    'What the structures hold once built (the same file replayed step by step in another process, V8 heap retained after a full GC; the server holds several at once, plus garbage not yet collected and SQLite\'s and the HTTP layer\'s copies):',
    '',
    '| structure | retained |',
    '|---|---|',
    ...Object.entries(d.footprint.retainedMb).map(([k, v]) => `| ${k} | ${f1(v)} MB |`),
    `| total | ${f1(Object.values(d.footprint.retainedMb).reduce((a, b) => a + b, 0))} MB |`,
    '',
    `The JSON answer carries every row: ${d.footprint.answerChars.toLocaleString('en')} characters, a two-byte string in V8 because of the Cyrillic, then ${mb(d.answerBytes)} MB of UTF-8 in a Buffer.`,
    '',
  )
}

/** The same measurement without the production flags: what Node's own heap sizing does on this machine. */
function referenceLine(d: DryRunMemoryResult): string {
  const peak = dryRunPeak(d)
  return `Reference, the same bundle with Node's default heap sizing (flags: ${d.nodeFlags.length ? `\`${d.nodeFlags.join(' ')}\`` : 'none'}; ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB machine): peak ${mb(peak)} MB (idle ${mb(d.baseline.maxRss)} MB, upload +${mb(d.afterUpload.maxRss - d.baseline.maxRss)} MB, dry run +${mb(peak - d.afterUpload.maxRss)} MB; again ${mb(Math.max(d.afterAgain.maxRss, d.afterAgain.vmHwm ?? 0))} MB), dry run ${f2(d.dryRunSec)} s / again ${f2(d.againSec)} s wall (server CPU ${f2(d.afterDryRun.cpuSec - d.afterUpload.cpuSec)} s / ${f2(d.afterAgain.cpuSec - d.afterDryRun.cpuSec)} s). The live data is the same (the table of retained structures below); without a ceiling V8 lets garbage accumulate before it collects.`
}

function duplicateSection(d: DuplicateCheckResult, limits: { burst: number; drainPerSec: number; operatingLimitSec: number } | undefined, out: string[]): void {
  const budget = Math.ceil(d.portalUsers / 2500) + 2
  const naiveRequests = d.rows
  const naiveRateSec = Math.max(0, naiveRequests - ((limits?.burst ?? 50) + 1)) / (limits?.drainPerSec ?? 2)
  out.push('## 3. Duplicate check: 10,000 rows against a 20,000-user portal', '')
  out.push(
    `Portal: ${d.portalUsers.toLocaleString('en')} users (seeded before the install; 5 % still invited, 3 % dismissed). File: ${d.rows.toLocaleString('en')} rows, ${d.rowsMatchingPortal} of them naming a portal user (upper-cased e-mails). Requests counted on the emulator's side around the dry-run call.`,
    '',
    '| dry run | HTTP requests | users read | wall time |',
    '|---|---|---|---|',
    `| first (directory never synced: full sync) | ${trafficLine(d.first.traffic)} | ${d.portalUsers.toLocaleString('en')} (${d.first.traffic.commands['user.get'] ?? 0} pages of ≤ 50) | ${f2(d.first.wallSec)} s |`,
    `| again (cache fresh: users added since) | ${trafficLine(d.again.traffic)} | users added since (${d.again.traffic.commands['user.get'] ?? 0} pages) | ${f2(d.again.wallSec)} s |`,
    `| naive: one \`user.get\` by e-mail per row | ${naiveRequests.toLocaleString('en')} | — | ≥ ${f1(naiveRateSec)} s under the leaky bucket alone (${naiveRequests} − ${(limits?.burst ?? 50) + 1}) / ${limits?.drainPerSec ?? 2} |`,
    `| naive, 50 per-row look-ups per batch | ${Math.ceil(d.rows / 50)} | — | — |`,
    '',
    `Found as existing: ${list(d.found)} = ${Object.values(d.found).reduce((a, b) => a + b, 0)} of the ${d.rowsMatchingPortal} rows naming a portal user.`,
    '',
    `**${d.first.traffic.requests} requests for the first check** (target: per 2,500 portal users, not per row: ≤ ⌈users / 2,500⌉ + 2 = ${budget}) ${verdict(d.first.traffic.requests <= budget && d.first.traffic.status503 + d.first.traffic.status429 === 0)}; ` +
      `${d.rows.toLocaleString('en')} / ${d.first.traffic.requests} = ${Math.round(d.rows / Math.max(1, d.first.traffic.requests))}× fewer than the per-row check. ` +
      'Each request is one `batch` of 50 `user.get` pages chained by `$result[…]` (ID > last ID of the previous page, `start: -1`), i.e. 2,500 users; the last request finds the end of the list, plus one batch for departments and groups.',
    '',
  )
}

const collabPasses = (c: CollabSyncResult): Array<[string, CollabSyncPass]> => [
  ['full', c.full], ['incremental after the 10 changes', c.changed], ['incremental after 10 placeable changes', c.placeable], ['incremental, nothing changed', c.idle],
]

const rosterRequests = (p: CollabSyncPass): number => Math.ceil(p.rostersRead / 50)
/** Requests beyond the change list and the rosters (profiles read afterwards). */
const profileRequests = (p: CollabSyncPass, idle: CollabSyncPass): number => p.traffic.requests - idle.traffic.requests - rosterRequests(p)

function collabSection(c: CollabSyncResult, out: string[]): void {
  const n = c.full.naive
  out.push(`## 4. Collab guest sync: ${c.seed.collabs.toLocaleString('en')} collabs, ${c.seed.guests.toLocaleString('en')} guests`, '')
  out.push(
    `Portal seeded before the install (test/emulator/seed-collabs.ts, seed ${c.seed.seed}, ${f2(c.seedWallSec)} s): ${n.collabs} collabs among ${n.workgroups} workgroups, ${n.extranetUsers.toLocaleString('en')} extranet users, ` +
      `${c.memberships.toLocaleString('en')} guest memberships of ${c.people.toLocaleString('en')} guests in every state. The app runs on SQLite with its collab scheduler stopped; each pass is the call POST /api/collabs/sync makes ` +
      `(\`collabs.sync.sync\`), counted on the emulator's side and timed on the wall. The shared clock moves ${c.stepMin} minutes before each incremental pass, past the 5 minutes of overlap a pass re-reads, so each pass sees only its own changes (the scheduler runs one an hour). ` +
      `After every pass the dashboard (\`collabs.dashboard.summary\`, admin, active within ${c.seed.activeDays} days) is compared with the emulator's own truth (collabTruth): totals, people and every collab.`,
    '',
    `**Baseline (computed from the same portal, not run):** a per-call client reads each collab's roster with its own \`socialnetwork.api.workgroup.get\` and lists workgroups and extranet users a page of 50 per request: ` +
      `${n.collabs} + ⌈${n.extranetUsers.toLocaleString('en')} / 50⌉ + ⌈${n.workgroups} / 50⌉ = **${n.requests} requests**. It has no change feed, so every pass costs it the same.`,
    '',
    '| pass | changes since the previous pass | HTTP requests (by method; commands inside batches) | rosters read | collabs / guest memberships after | wall time | naive per-call | ours / naive | dashboard = portal |',
    '|---|---|---|---|---|---|---|---|---|',
  )
  const changes: Record<string, string> = { full: 'first pass', 'incremental after the 10 changes': c.changed.changes.join('; '), 'incremental after 10 placeable changes': c.placeable.changes.join('; '), 'incremental, nothing changed': 'none' }
  for (const [name, p] of collabPasses(c)) {
    const own = p.appRequests === p.traffic.requests ? '' : ` (the app counted ${p.appRequests})`
    const expected = p === c.full ? 'full' : 'incremental'
    out.push(
      `| ${name}${p.mode === expected ? '' : ` (**ran as ${p.mode}**)`} | ${changes[name]} | ${trafficLine(p.traffic)}${own} | ${p.rostersRead} | ${p.collabs} / ${p.guests.toLocaleString('en')} | ${f2(p.wallSec)} s | ${p.naive.requests} | ${f3(p.traffic.requests / p.naive.requests)} | ${p.mismatches.length ? `**FAIL** (${p.mismatches.length})` : '**PASS**'} |`,
    )
  }
  out.push(
    '',
    `Time: the full pass takes **${f1(c.full.wallSec / c.idle.wallSec)}×** the idle incremental pass (${f2(c.full.wallSec)} s / ${f2(c.idle.wallSec)} s); after the 10 changes ${f1(c.changed.wallSec / c.idle.wallSec)}×, after the 10 placeable changes ${f1(c.placeable.wallSec / c.idle.wallSec)}×. ` +
      'Wall times include the emulator answering in this process; the request counts do not depend on the machine.',
    '',
    `Here an incremental pass starts with ${c.idle.traffic.requests} request${c.idle.traffic.requests === 1 ? '' : 's'} (the idle pass): a batch listing the workgroups and the extranet users that are new, changed (\`>TIMESTAMP_X\`) or active (\`>LAST_ACTIVITY_DATE\`) since the previous pass. ` +
      `A new guest nobody here invited can sit in any collab, so the pass after the 10 changes reads all ${c.changed.rostersRead} rosters (${rosterRequests(c.changed)} requests of up to 50 \`workgroup.get\`)` +
      (profileRequests(c.changed, c.idle) > 0
        ? `, then ${profileRequests(c.changed, c.idle)} more for the profiles of people met in those rosters and not stored (the collabs' owners and moderators: employees, whom the full pass, reading extranet users only, never reads; once stored they are not read again). `
        : '. ') +
      `Changes of known guests are placed through the stored memberships: the 10 placeable changes read ${c.placeable.rostersRead} rosters.`,
    '',
  )
  for (const [name, p] of collabPasses(c)) {
    if (p.mismatches.length) out.push(`> **FAIL: after the pass "${name}" the dashboard differs from the portal** (${p.mismatches.length} differences): ${p.mismatches.slice(0, 5).join('; ')}${p.mismatches.length > 5 ? '; …' : ''}`, '')
  }
}

export function renderReport(r: BenchResults): string {
  const out: string[] = []
  out.push('# Invite Desk bench results', '')
  out.push(
    'Produced by `npm run bench` (bench/run.ts). Performance is measured here, never asserted in CI: every target below is a ratio or a count computed in this run.',
    '',
    '| | |',
    '|---|---|',
    `| date | ${r.info.date} |`,
    `| Node | ${r.info.node} |`,
    `| machine | ${r.info.machine} |`,
    `| commit | ${r.info.commit} |`,
    `| clock speed (throughput runs) | ${r.info.speed}× |`,
    `| bench wall time | ${f1(r.info.totalWallSec)} s |`,
    `| 1-min load average | ${r.info.load.map((l) => `${l.at}: ${f2(l.load1)}`).join('; ')} |`,
    '',
  )
  // The warning is about the sped-up send runs: the samples around them (the last step's own worker processes
  // load the machine at the end, which says nothing about them).
  const sendIndex = r.info.load.findIndex((l) => l.at === 'before send throughput')
  const busy = (sendIndex < 0 ? [] : r.info.load.slice(sendIndex, sendIndex + 2)).filter((l) => l.load1 > r.info.cores)
  if (busy.length) {
    out.push(
      `> **The machine was busy during this run** (load average above its ${r.info.cores} cores at ${busy.map((l) => l.at).join(', ')}). ` +
        `On a sped-up clock every real millisecond the app or the emulator waits for a CPU counts ${r.info.speed}× over, so the send times (a) and (b) below are inflated; the floor (c) and the request counts are not. Run the bench on an idle machine for figures to compare.`,
      '',
    )
  }
  const summary: string[] = []
  if (r.throughput) {
    for (const s of r.throughput.sizes) {
      const ac = s.engine.emulatedSec / s.floor.floorSec
      summary.push(`| send ${s.invites.toLocaleString('en')} invites: engine / floor | ${f3(ac)} | ≤ ${TARGET_RATIO} | ${verdict(ac <= TARGET_RATIO)} |`)
      const refused = s.engine.traffic.status503 + s.engine.traffic.status429 + (s.engine.pacerRefusals.OPERATION_TIME_LIMIT ?? 0) + (s.engine.pacerRefusals.QUERY_LIMIT_EXCEEDED ?? 0)
      summary.push(`| send ${s.invites.toLocaleString('en')} invites: 503/429 seen / failed rows | ${refused} / ${s.engine.totals.failed ?? 0} | 0 surfaced | ${verdict((s.engine.totals.failed ?? 0) === 0 && (s.engine.totals.invited ?? 0) === s.invites)} |`)
      summary.push(`| send ${s.invites.toLocaleString('en')} invites: engine / naive SDK loop | ${f3(s.engine.emulatedSec / s.naive.emulatedSec)} | reported | — |`)
    }
  }
  if (r.dryRun) {
    const peak = dryRunPeak(r.dryRun)
    summary.push(`| dry run of ${r.dryRun.rows.toLocaleString('en')} rows: peak RSS | ${mb(peak)} MB | ≤ ${TARGET_RSS_MB} MB | ${verdict(peak <= TARGET_RSS_MB * MB)} |`)
    const d = r.dryRun
    summary.push(`| dry run of ${d.rows.toLocaleString('en')} rows: time, first / again (server CPU) | ${f1(d.dryRunSec)} s (${f1(d.afterDryRun.cpuSec - d.afterUpload.cpuSec)} s) / ${f1(d.againSec)} s (${f1(d.afterAgain.cpuSec - d.afterDryRun.cpuSec)} s) | reported | — |`)
  }
  if (r.duplicates) {
    const budget = Math.ceil(r.duplicates.portalUsers / 2500) + 2
    summary.push(`| duplicate check ${r.duplicates.rows.toLocaleString('en')} vs ${r.duplicates.portalUsers.toLocaleString('en')}: REST requests | ${r.duplicates.first.traffic.requests} (naive per row: ${r.duplicates.rows.toLocaleString('en')}) | ≤ ${budget} | ${verdict(r.duplicates.first.traffic.requests <= budget)} |`)
  }
  if (r.collabSync) {
    const c = r.collabSync
    const label = `collab sync ${c.seed.collabs} collabs / ${c.seed.guests.toLocaleString('en')} guests`
    summary.push(`| ${label}: full pass, REST requests (ours / naive per-call) | ${c.full.traffic.requests} / ${c.full.naive.requests} = ${f3(c.full.traffic.requests / c.full.naive.requests)} | reported | — |`)
    summary.push(`| ${label}: incremental requests after 10 changes / 10 placeable / none | ${c.changed.traffic.requests} / ${c.placeable.traffic.requests} / ${c.idle.traffic.requests} (naive: ${c.idle.naive.requests} each) | reported | — |`)
    summary.push(`| ${label}: full / idle incremental wall time | ${f1(c.full.wallSec / c.idle.wallSec)}× (${f2(c.full.wallSec)} s / ${f2(c.idle.wallSec)} s) | reported | — |`)
    const ok = collabPasses(c).filter(([, p]) => p.mismatches.length === 0).length
    summary.push(`| ${label}: dashboard = portal after each pass | ${ok} of 4 | 4 of 4 | ${verdict(ok === 4)} |`)
  }
  if (r.robotBurst) {
    const b = r.robotBurst
    const refused = b.traffic.status503 + b.traffic.status429
    summary.push(`| robot burst: ${b.calls.total} calls in ${f1(b.arrivalSec)} s, all answered / none lost / portal refusals | ${b.replies.total} of ${b.calls.total} / ${b.lost} lost / ${refused} | all, 0, 0 | ${verdict(b.lost === 0 && b.replies.total === b.calls.total && refused === 0)} |`)
    summary.push(`| robot burst: time to the last reply / REST requests (ours / per-call handler) | ${f1(b.servedSec)} s (per-call: ≥ ${b.naive.sec} s) / ${b.traffic.requests} / ${b.naive.requests} = ${f3(b.traffic.requests / b.naive.requests)} | reported | — |`)
  }
  if (r.joinFlood) {
    const j = r.joinFlood
    const refused = j.traffic.status503 + j.traffic.status429
    summary.push(`| join flood: bulk job of ${j.bulk} with / without ${j.joins} joins at once | ${f3(j.bulkFloodSec / j.bulkAloneSec)} (${f1(j.bulkFloodSec)} s / ${f1(j.bulkAloneSec)} s) | ≤ ${TARGET_RATIO} | ${verdict(j.bulkFloodSec / j.bulkAloneSec <= TARGET_RATIO)} |`)
    summary.push(`| join flood: page answers 200 / REST requests by the page / portal refusals | ${j.page.ok} of ${j.joins} / ${j.requestsDuringIntake} / ${refused} | all, 0, 0 | ${verdict(j.page.ok === j.joins && j.requestsDuringIntake === 0 && refused === 0)} |`)
  }
  if (r.eventIntake) {
    const e = r.eventIntake
    const app = e.app.at(-1)!
    const bare = e.bare.at(-1)!
    summary.push(`| event intake flat out: ours / bare Express (events/s) | ${f3(e.ratio)} (${f1(app.achieved)} / ${f1(bare.achieved)}; p99 ${f1(app.p99Ms)} / ${f1(bare.p99Ms)} ms) | ≥ 0.5 | ${verdict(e.ratio >= 0.5 && app.errors === 0)} |`)
  }
  if (r.uiFirstView) {
    const u = r.uiFirstView
    summary.push(`| UI first view: JS / CSS gzip, time to an interactive Dashboard (median of ${u.interactiveMs.length}) | ${kb(u.js.gzip)} / ${kb(u.css.gzip)}, ${Math.round(u.medianMs)} ms | reported | — |`)
  }
  if (r.instanceScaling) {
    const x = r.instanceScaling
    const clean = x.runs.filter((k) => k.kills.length === 0)
    const one = clean.find((k) => k.instances === 1)
    const three = clean.find((k) => k.instances === 3)
    if (one && three) {
      const ratio = three.invitesPerSec / one.invitesPerSec
      summary.push(`| ${x.portals} portals × ${x.invitesPerPortal} invites: throughput 3 instances / 1 instance | ${f2(ratio)} (${clean.map((k) => `${k.instances}: ${Math.round(k.invitesPerSec)}/s`).join(', ')}) | > 1, rising with instances | ${verdict(ratio > 1 && clean.every((k, i) => i === 0 || k.invitesPerSec > clean[i - 1]!.invitesPerSec))} |`)
    }
    const longest = Math.max(...x.runs.map((k) => k.longestUserAddBatchSec))
    summary.push(`| ${x.portals} portals × ${x.invitesPerPortal} invites: longest user.add batch / settle window | ${f1(longest)} s / ${x.inFlightSettleMs / 1000} s | shorter | ${verdict(longest * 1000 < x.inFlightSettleMs)} |`)
    const exact = x.runs.filter((k) => exactlyOnce(k, x)).length
    const chaos = x.runs.filter((k) => k.kills.length > 0)
    summary.push(`| ${x.portals} portals × ${x.invitesPerPortal} invites: runs with every e-mail invited exactly once (${chaos.map((k) => `${k.kills.length} SIGKILLs`).join(', ') || 'no kills'} in the chaos run) | ${exact} of ${x.runs.length} | all | ${verdict(exact === x.runs.length)} |`)
  }
  out.push('## Summary', '', '| measurement | value | target | result |', '|---|---|---|---|', ...summary, '')
  for (const [name, err] of Object.entries(r.errors)) out.push(`> **${name} crashed**: \`${err.slice(0, 500)}\``, '')
  if (r.throughput) throughputSection(r.throughput, out)
  if (r.dryRun) dryRunSection(r.dryRun, r.dryRunDefaults, out)
  if (r.duplicates) duplicateSection(r.duplicates, r.throughput?.limits, out)
  if (r.collabSync) collabSection(r.collabSync, out)
  if (r.robotBurst) robotSection(r.robotBurst, out)
  if (r.joinFlood) joinSection(r.joinFlood, out)
  if (r.eventIntake) eventSection(r.eventIntake, out)
  if (r.uiFirstView) uiSection(r.uiFirstView, out)
  if (r.instanceScaling) scalingSection(r.instanceScaling, out)
  return out.join('\n')
}

function robotSection(b: RobotBurstResult, out: string[]): void {
  out.push(`## 5. Robot burst: ${b.calls.total} automation-rule calls for one portal`, '')
  out.push(
    `${b.calls.employee} "invite an employee", ${b.calls.guest} "invite a guest" into 5 extranet groups and ${b.calls.addToGroup} "add to a group" calls, interleaved, ` +
      `posted form-encoded by the emulated portal to the robots' handlers over ${f1(b.arrivalSec)} s, plus ${b.calls.duplicates} repeated deliveries of calls already made. ` +
      'Real time (clock speed 1), production pacing (2 requests/s, burst 50), SQLite, one instance. Each handler stores the run and answers at once; the robot worker gathers what arrived into jobs of the engine and answers every workflow with bizproc.event.send.',
    '',
    `**Baseline (computed, not run):** a handler that answers each call with its own invite call and its own bizproc.event.send needs 2 × ${b.calls.total} = **${b.naive.requests} requests**; after the bucket's 50, at 2 requests/s, at least **${b.naive.sec} s**.`,
    '',
    '| calls (+ repeats) | answered | lost | time to the last reply | REST requests (by method; commands inside batches) | peak requests in one second | 503 / 429 | jobs | users created | added to the group | runs stored |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    `| ${b.calls.total} (+${b.calls.duplicates}) | ${b.replies.total} (${Object.entries(b.replies.byStatus).map(([k, v]) => `${k} ${v}`).join(', ')}) | ${b.lost} | ${f1(b.servedSec)} s | ${trafficLine(b.traffic)} | ${b.peakPerSec} | ${b.traffic.status503} / ${b.traffic.status429} | ${b.jobs} | ${b.usersCreated} | ${b.addedToGroups} | ${b.runsStored} |`,
    '',
    `Ours / per-call handler: **${f3(b.traffic.requests / b.naive.requests)}** of the requests; the last workflow had its answer ${f1(b.servedSec)} s after the first call, against at least ${b.naive.sec} s for the per-call handler.`,
    '',
  )
}

function joinSection(j: JoinFloodResult, out: string[]): void {
  out.push(`## 6. Join flood: ${j.joins} people join through ${j.links} links while a bulk job runs`, '')
  out.push(
    `${j.joins} submissions of the public pages of ${j.links} join links (50 at a time, each from its own address), then an admin's bulk job of ${j.bulk} invites on the same portal while the join worker admits the joins. ` +
      `Production pacing (2 requests/s, burst 50, user.add's time budget), SQLite, one instance, emulated clock at ${j.speed}× (the bulk job is bound by user.add's time budget; times below are emulated seconds, the page's latency is real). ` +
      `The page only writes to the database; the worker admits at most ${j.admission.idle} join invitations per portal per minute into the engine, ${j.admission.busy} while other invite work runs. ` +
      'Baseline, measured in the same run: the same bulk job on a fresh portal without the flood.',
    '',
    '| page: 200 / other | page latency p50 / p99 | page throughput | REST requests during intake | bulk job alone / with the flood | joins admitted by the bulk job\'s end | user.add commands | REST requests (by method) | 503 / 429 |',
    '|---|---|---|---|---|---|---|---|---|',
    `| ${j.page.ok} / ${Object.entries(j.page.other).map(([k, v]) => `${k} ${v}`).join(', ') || '0'} | ${f1(j.page.p50Ms)} / ${f1(j.page.p99Ms)} ms | ${f1(j.page.perSec)} joins/s | ${j.requestsDuringIntake} | ${f1(j.bulkAloneSec)} s / ${f1(j.bulkFloodSec)} s (${f3(j.bulkFloodSec / j.bulkAloneSec)}) | ${j.admittedByBulkEnd} | ${j.userAdds.total} | ${trafficLine(j.traffic)} | ${j.traffic.status503} / ${j.traffic.status429} |`,
    '',
    `The joins admitted by the bulk job's end are the first round (${j.admission.idle}, before the job was running) and then ${j.admission.busy} a minute; the rest wait in order and go out at ${j.admission.idle} a minute once the portal is idle (test/join-links checks the admission).`,
    '',
    `A page that invited each person as they submit would spend ${j.joins} user.add calls at once; after the bucket's 50 at 2 requests/s that is the portal's whole budget for at least ${Math.ceil((j.joins - 50) / 2)} s, which every other job would wait behind.`,
    '',
  )
}

function eventSection(e: EventIntakeResult, out: string[]): void {
  out.push('## 7. Event intake: ONUSERADD deliveries against a bare Express handler', '')
  out.push(
    `ONUSERADD deliveries for ${e.portals} portals, form-encoded as Bitrix24 posts them, to /events: the application token verified against the store (constant-time), the inbox row written, 200. ` +
      `Offered at increasing rates for ${e.stepSec} s each (open loop), then flat out (32 in flight), over keep-alive connections on loopback; the load generator shares the machine. ` +
      'The ceiling, measured in the same run with the same load: a bare Express handler (the same urlencoded parser, an empty JSON answer). SQLite, one instance; the inbox processor stopped meanwhile, so the intake alone is measured.',
    '',
    '| offered (events/s) | ours: achieved | ours: p50 / p99 | bare: achieved | bare: p50 / p99 | ours / bare | errors (ours / bare) |',
    '|---|---|---|---|---|---|---|',
    ...e.app.map((a, k) => {
      const b = e.bare[k]!
      return `| ${a.offered === 'max' ? 'flat out' : a.offered} | ${f1(a.achieved)} | ${f1(a.p50Ms)} / ${f1(a.p99Ms)} ms | ${f1(b.achieved)} | ${f1(b.p50Ms)} / ${f1(b.p99Ms)} ms | ${f3(a.achieved / b.achieved)} | ${a.errors} / ${b.errors} |`
    }),
    '',
    `${e.inboxRows} events stored in the inbox. Flat out, ours / bare = **${f3(e.ratio)}** (target ≥ 0.5).`,
    '',
  )
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`

function uiSection(u: UiFirstViewResult, out: string[]): void {
  out.push('## 8. The UI\'s first view', '')
  out.push(
    'Headless Chromium opens the emulated portal page, whose iframe loads the app; measured from the iframe\'s navigation start (its `performance.now()`) to the Dashboard\'s data from the API on screen, with the browser cache disabled (every load a first visit), after one warm-up load. ' +
      'The files are every script and style of the app\'s origin the frame fetched until then, with their size as built and gzip-compressed (level 9, as a proxy would send them).',
    '',
    '| file | kind | bytes | gzip |',
    '|---|---|---|---|',
    ...u.files.map((f) => `| ${f.file} | ${f.kind} | ${kb(f.bytes)} | ${kb(f.gzip)} |`),
    `| **all scripts** | js | ${kb(u.js.bytes)} | **${kb(u.js.gzip)}** |`,
    `| **all styles** | css | ${kb(u.css.bytes)} | **${kb(u.css.gzip)}** |`,
    '',
    `Time to an interactive Dashboard: ${u.interactiveMs.map((m) => `${Math.round(m)} ms`).join(', ')} — median **${Math.round(u.medianMs)} ms** (the emulated portal on loopback; a real portal adds its own page and network).`,
    '',
  )
}

function exactlyOnce(k: InstanceScalingResult['runs'][number], x: InstanceScalingResult): boolean {
  const n = x.portals * x.invitesPerPortal
  const c = k.check
  return c.jobsCompleted === x.portals && c.emails === n && c.userAddsRun === n && c.ledgerRows === n && c.itemsWrong === 0 && c.accountsMissing === 0 && c.accountsDuplicated === 0
}

function scalingSection(x: InstanceScalingResult, out: string[]): void {
  out.push(`## 9. Several instances on one PostgreSQL: ${x.portals} portals × ${x.invitesPerPortal} invites`, '')
  out.push(
    `${x.portals} emulated portals, the app installed in each through its install page, one job of ${x.invitesPerPortal} new people each created through the API (not timed); then 1, 2 and 3 worker processes (the real app, each its own OS process, on one PostgreSQL) send all ${(x.portals * x.invitesPerPortal).toLocaleString('en')} invitations, and finally 3 while one of them is SIGKILLed about every ${x.killEveryMs / 1000} s (±50 %) and a new one started in its place. ` +
      `Each portal answers like a busy cloud portal (every user.add takes ${x.userAddDelayMs} ms, so a batch of 50 is on the wire for ${(x.userAddDelayMs * 50) / 1000} s) under the documented limits (2 requests/s, burst 50); an instance sends for up to ${x.portalsPerInstance} portals at once, one worker per portal through the lease. ` +
      `The waits a crash leaves are shortened for the run (lease ${x.leaseTtlMs / 1000} s instead of 30 s, settle window ${x.inFlightSettleMs / 1000} s instead of 5 minutes: it must be longer than the longest batch the portals ran, shown below). ` +
      'After every run: every e-mail counted on its portal (one account, one user.add) and in our stores (items, ledger).',
    '',
    '| run | wall time | invites/s | ×1 instance | SIGKILLs | leases the killed held (sum) | rows still sending in its portals at the kill (sum; rows of earlier kills wait out the settle window) | portal requests / refused | longest user.add batch | e-mails / accounts / user.add run / ledger rows / wrong items |',
    '|---|---|---|---|---|---|---|---|---|---|',
  )
  const base = x.runs.find((k) => k.instances === 1 && k.kills.length === 0)
  for (const k of x.runs) {
    const c = k.check
    out.push(`| ${k.label} | ${f1(k.wallSec)} s | ${Math.round(k.invitesPerSec)} | ${base ? f2(k.invitesPerSec / base.invitesPerSec) : '—'} | ${k.kills.length} | ${k.kills.reduce((n, q) => n + q.leasesHeld, 0)} | ${k.kills.reduce((n, q) => n + q.rowsSending, 0)} | ${k.requests} / ${k.limitRefusals} | ${f1(k.longestUserAddBatchSec)} s | ${c.emails} / ${c.emails - c.accountsMissing} (${c.accountsDuplicated} twice) / ${c.userAddsRun} / ${c.ledgerRows} / ${c.itemsWrong} |`)
  }
  const chaos = x.runs.find((k) => k.kills.length > 0)
  if (chaos) {
    out.push('', `Kills in the chaos run (seconds after its start: portals held, rows still sending in them): ${chaos.kills.map((q) => `${f1(q.atSec)}: ${q.leasesHeld}, ${q.rowsSending}`).join('; ')}.`)
  }
  out.push('', `Installing the ${x.portals} portals took ${f1(x.setupSec)} s. test/engine/multi-instance.test.ts runs the chaos case small in CI.`, '')
}
