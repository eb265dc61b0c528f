/**
 * Peak memory and time of a dry run of a 50,000-row file: the server runs in its own process
 * (dry-run-server.ts) so its peak RSS is the server's alone; this process plays the portal (emulator,
 * real-time clock) and the browser (upload, dry run through the JSON API).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startEmulator } from '../test/emulator/index.js'
import { startChild } from './child-process.js'
import { APP_SECRET, CLIENT_ID, CLIENT_SECRET, TEST_APP, installedPortal, type Api } from './bench-stack.js'
import type { MemorySample, ServerInput, ServerReady } from './dry-run-server.js'
import type { Footprint } from './dry-run-footprint.js'
import { messyList, seedDirectory, type MessyListStats } from './fixtures.js'

export interface DryRunMemoryResult {
  /** Node flags the server ran with (besides the bundle: always compiled, as `npm start` runs it). */
  nodeFlags: readonly string[]
  rows: number
  fileBytes: number
  directoryUsers: number
  file: MessyListStats
  /** Server idle after start and install. */
  baseline: MemorySample
  afterUpload: MemorySample
  afterDryRun: MemorySample
  /** After a second dry run of the same upload. */
  afterAgain: MemorySample
  uploadSec: number
  /** First dry run: includes the full directory sync (the emulated portal answering 20,000 users). */
  dryRunSec: number
  /** Second dry run: incremental sync, so mostly the server's own work. */
  againSec: number
  summary: Record<string, unknown>
  /** Size of the dry-run answer (every row), bytes. */
  answerBytes: number
  /** What the dry run's structures retain, replayed in a separate process (dry-run-footprint.ts). */
  footprint: Footprint
}

async function measureFootprint(rows: number, directoryUsers: number): Promise<Footprint> {
  const child = startChild<Footprint>('dry-run-footprint.ts', { BENCH_FOOTPRINT: JSON.stringify({ rows, directoryUsers }) }, ['--expose-gc'])
  const f = await child.next()
  await child.exited
  return f
}

export async function measureDryRunMemory(opts: { rows: number; directoryUsers: number; nodeFlags: readonly string[] }): Promise<DryRunMemoryResult> {
  const emu = await startEmulator({ apps: [TEST_APP] })
  const dir = await mkdtemp(path.join(tmpdir(), 'invite-desk-bench-'))
  const input: ServerInput = { oauthUrl: emu.oauthUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appSecret: APP_SECRET, sqlitePath: path.join(dir, 'bench.sqlite') }
  const child = startChild<ServerReady | MemorySample>('dry-run-server.ts', { BENCH_SERVER: JSON.stringify(input) }, opts.nodeFlags, true)
  try {
    const ready = (await child.next()) as ServerReady
    let existing: string[] = []
    const { api } = await installedPortal(emu, ready.url, { plan: 'standard', lang: 'ru' }, (p) => {
      existing = seedDirectory(p, opts.directoryUsers, 7)
    })
    const { bytes, stats } = messyList(opts.rows, { existingEmails: existing, existingShare: 0.05, seed: 50 })
    const sample = async (): Promise<MemorySample> => {
      child.send({ type: 'memory' })
      return (await child.next()) as MemorySample
    }
    const baseline = await sample()

    let t = performance.now()
    const up = await api.upload(bytes, 'Сотрудники 50000.csv')
    const uploadSec = (performance.now() - t) / 1000
    const afterUpload = await sample()

    t = performance.now()
    const res = await fetchDryRun(api, up)
    const dryRunSec = (performance.now() - t) / 1000
    const afterDryRun = await sample()

    // The same check again: the directory is fresh now (incremental sync), so this is the server's own cost.
    t = performance.now()
    await fetchDryRun(api, up)
    const againSec = (performance.now() - t) / 1000
    const afterAgain = await sample()
    child.send({ type: 'stop' })
    await child.exited
    const footprint = await measureFootprint(opts.rows, opts.directoryUsers)
    return {
      nodeFlags: opts.nodeFlags, rows: opts.rows, fileBytes: bytes.length, directoryUsers: opts.directoryUsers, file: stats,
      baseline, afterUpload, afterDryRun, afterAgain, uploadSec, dryRunSec, againSec, summary: res.summary, answerBytes: res.bytes, footprint,
    }
  } finally {
    if (child.proc.exitCode === null) child.proc.kill()
    await emu.close()
    await rm(dir, { recursive: true, force: true })
  }
}

/** The dry run as the wizard asks for it (detected mapping, employees, no default department: the file names them). */
async function fetchDryRun(api: Api, up: { id: string; mapping: unknown; headerRow: boolean }): Promise<{ summary: Record<string, unknown>; bytes: number }> {
  const body = await api.json('POST', `/api/imports/${up.id}/dry-run`, {
    mapping: up.mapping, headerRow: up.headerRow, templateId: null, defaults: { kind: 'intranet', departmentId: null, groupIds: [], lang: 'ru' },
  })
  return { summary: body.summary, bytes: Buffer.byteLength(JSON.stringify(body)) }
}
