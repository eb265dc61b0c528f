/**
 * `npm run bench`: measures, then writes bench/results.md. Targets are reported as PASS/FAIL, never
 * enforced: the exit code is non-zero only when a measurement crashed.
 *
 * Env: BENCH_SPEED (emulated seconds per real second for the send runs, default 50),
 * BENCH_SIZES (invite counts, default "1000,10000"), BENCH_ONLY (comma list of send,dryrun,duplicates,collabs,robots,joins,events,ui,instances),
 * BENCH_COMPILED=1 (the other child processes run as plain JS bundles too; the dry-run server always does, as
 * `npm start` runs it), BENCH_CHILD_ARGS (extra Node flags for the dry-run server).
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createClock } from '../test/emulator/index.js'
import { startBenchStack } from './bench-stack.js'
import { measureCollabSync } from './collab-sync.js'
import { measureRobotBurst } from './robot-burst.js'
import { measureJoinFlood } from './join-flood.js'
import { measureEventIntake } from './event-intake.js'
import { measureUiFirstView } from './ui-first-view.js'
import { measureInstanceScaling } from './instance-scaling.js'
import { measureDryRunMemory } from './dry-run-memory.js'
import { measureDuplicateCheck } from './duplicate-check.js'
import { renderReport, type BenchResults } from './report.js'
import { measureThroughput } from './send-throughput.js'
import { SERVER_NODE_FLAGS } from '../scripts/server-node-flags.js'

const speed = Number(process.env.BENCH_SPEED ?? 50)
const sizes = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number).filter((n) => n > 0)
const only = new Set((process.env.BENCH_ONLY ?? 'send,dryrun,duplicates,collabs,robots,joins,events,ui,instances').split(','))
const out = path.resolve(import.meta.dirname, 'results.md')
const log = (s: string): void => console.log(`[bench] ${s}`)

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8' }).split('\n').filter(Boolean).length
    return dirty ? `${head} + ${dirty} uncommitted changes` : head
  } catch {
    return 'unknown'
  }
}

const cpus = os.cpus()
const started = Date.now()
const results: BenchResults = {
  info: {
    date: new Date().toISOString(),
    node: process.version,
    machine: `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GB RAM, ${os.platform()} ${os.release()}`,
    commit: commit(),
    speed,
    totalWallSec: 0,
    load: [],
    cores: cpus.length,
  },
  errors: {},
}

/** The 1-minute load average at each step boundary: other work on the machine inflates sped-up time. */
function noteLoad(at: string): void {
  results.info.load.push({ at, load1: os.loadavg()[0] ?? 0 })
}

async function step(name: string, run: () => Promise<void>): Promise<void> {
  const t = Date.now()
  noteLoad(`before ${name}`)
  log(`${name}…`)
  try {
    await run()
    log(`${name} done in ${((Date.now() - t) / 1000).toFixed(1)} s`)
  } catch (e) {
    results.errors[name] = e instanceof Error ? (e.stack ?? e.message) : String(e)
    console.error(`[bench] ${name} crashed:`, e)
  }
}

if (only.has('send')) {
  await step('send throughput', async () => {
    const clock = createClock({ speed })
    const stack = await startBenchStack({ clock })
    try {
      results.throughput = await measureThroughput(stack, clock, sizes, log)
    } finally {
      await stack.close()
    }
  })
}
if (only.has('dryrun')) {
  await step('dry-run memory', async () => {
    const extra = (process.env.BENCH_CHILD_ARGS ?? '').split(' ').filter(Boolean)
    results.dryRun = await measureDryRunMemory({ rows: 50_000, directoryUsers: 20_000, nodeFlags: [...SERVER_NODE_FLAGS, ...extra] })
    // The same server with Node's own heap sizing, to show what the production flags buy.
    results.dryRunDefaults = await measureDryRunMemory({ rows: 50_000, directoryUsers: 20_000, nodeFlags: extra })
  })
}
if (only.has('duplicates')) {
  await step('duplicate check', async () => {
    results.duplicates = await measureDuplicateCheck({ portalUsers: 20_000, rows: 10_000 })
  })
}
if (only.has('collabs')) {
  await step('collab sync', async () => {
    results.collabSync = await measureCollabSync({ collabs: 200, guests: 5_000, seed: 7 })
  })
}
if (only.has('robots')) {
  await step('robot burst', async () => {
    results.robotBurst = await measureRobotBurst({ employee: 350, guest: 100, addToGroup: 50, duplicates: 25, arrivalSec: 3 })
  })
}
if (only.has('joins')) {
  await step('join flood', async () => {
    results.joinFlood = await measureJoinFlood({ bulk: 2_000, joins: 1_000, speed })
  })
}
if (only.has('events')) {
  await step('event intake', async () => {
    results.eventIntake = await measureEventIntake({ portals: 50, rates: [250, 500, 1000, 2000], stepSec: 3, concurrency: 32 })
  })
}
if (only.has('ui')) {
  await step('ui first view', async () => {
    results.uiFirstView = await measureUiFirstView({ runs: 5 })
  })
}

if (only.has('instances')) {
  await step('instance scaling', async () => {
    results.instanceScaling = await measureInstanceScaling({ portals: 200, invitesPerPortal: 100, userAddDelayMs: 100, killEveryMs: 3_000, seed: 7, log })
  })
}

noteLoad('end')
results.info.totalWallSec = (Date.now() - started) / 1000
writeFileSync(out, renderReport(results))
log(`wrote ${path.relative(process.cwd(), out)} (${results.info.totalWallSec.toFixed(0)} s)`)
process.exit(Object.keys(results.errors).length ? 1 : 0)
