/**
 * One Invite Desk worker in its own OS process, for crash tests: the real app (`buildApp`) on a database
 * the parent test owns, with its background work started (job runner, event inbox, reminder scheduler),
 * running until it is killed. It serves no HTTP: a worker that only sends invitations needs none.
 *
 * The child runs this very file. `spawnWorker` bundles it once per test process with esbuild (what tsx
 * uses underneath; packages stay external), because loading ~100 TypeScript modules through tsx costs
 * about 1.5 s more per start than one prebuilt file (1.2 s instead of 2.8 s here), and crash tests start
 * many workers.
 *
 * Protocol: the spec comes as JSON in INVITE_DESK_WORKER. The child opens the database, builds the app and
 * prints `{"booted":true,…}`; on a line `go` on stdin it starts the app and prints `{"ready":true,…}`. So a
 * worker can boot while the previous one still runs, and start the moment that one is gone. It exits when
 * its stdin closes (the parent is gone). Logs go to stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createInterface } from 'node:readline'
import pino from 'pino'
import { buildApp } from '../../server/app.js'
import { parseConfig } from '../../server/config/config.js'
import { createLogger } from '../../server/shared/logger.js'
import { openDatabase } from '../../server/storage/database.js'
import type { PortalLimits } from '../../server/portals/pacer.js'
import type { EngineTiming } from '../../server/engine/job-runner.js'

export interface WorkerSpec {
  /** The environment parseConfig reads (APP_URL, B24_CLIENT_ID, B24_CLIENT_SECRET, B24_OAUTH_URL, APP_SECRET, …). */
  env: Record<string, string>
  database: { sqlitePath: string } | { url: string; pgSchema: string }
  /** The portal's request-rate limits when the test portal runs with other than the documented ones. */
  limits?: PortalLimits
  /** The job engine's lease, settle window and width when a test shortens them. */
  engine?: Partial<EngineTiming>
  /** PostgreSQL connections of this worker (default 4). */
  poolMax?: number
  logLevel?: string
}

// ---------------------------------------------------------------- child side

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.INVITE_DESK_WORKER ?? '') as WorkerSpec
  const database = await openWithRetry(
    'sqlitePath' in spec.database ? { sqlitePath: spec.database.sqlitePath } : { url: spec.database.url, pgSchema: spec.database.pgSchema, poolMax: spec.poolMax ?? 4 },
  )
  const limits = spec.limits
  const app = await buildApp(parseConfig(spec.env), {
    database,
    // Synchronous writes: a SIGKILL must not swallow the last lines, they are what explains a failure.
    log: createLogger({ level: spec.logLevel ?? 'info', destination: pino.destination({ dest: 2, sync: true }) }),
    clientDist: path.join(process.cwd(), 'dist/client'),
    ...(limits ? { pacing: { limitsFor: () => limits } } : {}),
    ...(spec.engine ? { engine: spec.engine } : {}),
  })
  // SIGTERM is the orderly stop (finish the chunk in hand, release the lease); SIGKILL is the crash under test.
  process.on('SIGTERM', () => void app.close().finally(() => process.exit(0)))
  const say = (what: 'booted' | 'ready') => process.stdout.write(`${JSON.stringify({ [what]: true, pid: process.pid, owner: app.runner.owner })}\n`)
  say('booted')
  let started = false
  const lines = createInterface({ input: process.stdin })
  lines.on('line', (line) => {
    if (line.trim() !== 'go' || started) return
    started = true
    app.start()
    say('ready')
  })
  // The open stdin keeps this process alive (the runner's timers are unref'd) until it is killed; once the
  // parent is gone, so is the worker, so a crashed test run leaves no orphans sending invitations.
  lines.on('close', () => process.exit(0))
}

/**
 * openDatabase runs the (here already applied) migrations, and Kysely's PostgreSQL introspection reads every
 * schema with has_schema_privilege(name): when another test process drops its schema at that moment,
 * PostgreSQL answers 3F000 "schema does not exist". That race is the test machine's, not this worker's.
 */
async function openWithRetry(opts: Parameters<typeof openDatabase>[0]): Promise<Awaited<ReturnType<typeof openDatabase>>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openDatabase(opts)
    } catch (e) {
      const code = (e as { cause?: { code?: unknown } }).cause?.code
      if (code !== '3F000' || attempt >= 5) throw e
      await new Promise((r) => setTimeout(r, 50 * attempt))
    }
  }
}

if (process.env.INVITE_DESK_WORKER) {
  main().catch((e: unknown) => {
    const text = (x: unknown): string => (x instanceof Error ? `${x.stack ?? x.message}${x.cause ? `\ncaused by: ${text(x.cause)}` : ''}` : JSON.stringify(x))
    process.stderr.write(`worker failed: ${text(e)}\n`)
    process.exit(1)
  })
}

// ---------------------------------------------------------------- parent side

export interface Worker {
  pid: number
  /** The job runner's lease owner id inside that process. */
  owner: string
  /** Starts the app's background work; resolves once the runner runs. */
  start(): Promise<void>
  /** SIGKILL: no cleanup at all, as in a crash. Resolves once the process is gone. */
  kill(): Promise<void>
  /** SIGTERM: the orderly stop. Resolves once the process is gone. */
  stop(): Promise<void>
  /** What the process wrote on stderr so far (its logs). */
  stderr(): string
  child: ChildProcess
}

let bundled: Promise<string[]> | undefined

/**
 * Node arguments that run this file: one ESM bundle inside the repository (so its packages resolve from
 * node_modules), or the TypeScript source through tsx when esbuild cannot be loaded.
 */
function workerCommand(): Promise<string[]> {
  bundled ??= (async () => {
    let build: typeof import('esbuild').build
    try {
      ;({ build } = await import('esbuild'))
    } catch {
      return ['--import', 'tsx', import.meta.filename]
    }
    const root = path.resolve(import.meta.dirname, '../..')
    const out = path.join(root, 'node_modules/.cache/invite-desk-worker/worker.mjs')
    const result = await build({
      entryPoints: [import.meta.filename], bundle: true, platform: 'node', format: 'esm', target: 'node20',
      packages: 'external', write: false, logLevel: 'error', outfile: out,
    })
    await mkdir(path.dirname(out), { recursive: true })
    // Written aside and renamed: a test file running in parallel may be starting the same bundle.
    const tmp = `${out}.${process.pid}.tmp`
    await writeFile(tmp, result.outputFiles[0]!.contents)
    await rename(tmp, out)
    return [out]
  })()
  return bundled
}

/** Starts a worker process and waits until it has booted (database open, app built); `start()` lets it work. */
export async function spawnWorker(spec: WorkerSpec, timeoutMs = 30_000): Promise<Worker> {
  const child = spawn(process.execPath, await workerCommand(), {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { ...process.env, INVITE_DESK_WORKER: JSON.stringify(spec) },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let err = ''
  child.stderr!.on('data', (d: Buffer) => { err += d.toString('utf8') })
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const lines = createInterface({ input: child.stdout! })
  const next = (what: 'booted' | 'ready') =>
    new Promise<{ pid: number; owner: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker not ${what} after ${timeoutMs} ms:\n${err.slice(-3000)}`)), timeoutMs)
      const onLine = (line: string) => {
        if (!line.startsWith(`{"${what}"`)) return
        clearTimeout(timer)
        lines.off('line', onLine)
        resolve(JSON.parse(line) as { pid: number; owner: string })
      }
      lines.on('line', onLine)
      void gone.then(() => {
        clearTimeout(timer)
        reject(new Error(`worker exited before ${what} (${child.exitCode ?? child.signalCode}):\n${err.slice(-3000)}`))
      })
    })
  const booted = await next('booted')
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    await gone
  }
  return {
    ...booted,
    child,
    stderr: () => err,
    async start() {
      const ready = next('ready')
      child.stdin!.write('go\n')
      await ready
    },
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
  }
}
