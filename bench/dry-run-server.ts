/**
 * Child process: one Invite Desk server, built as `server/main.ts` builds it (SQLite file, production
 * defaults), so that its peak RSS is the server's own while the parent uploads a file and runs the dry run
 * through the JSON API. Answers `{type: 'memory'}` with its current and peak memory.
 *
 * Input: env BENCH_SERVER (JSON ServerInput). Messages out: ServerReady, then MemorySample per request.
 */
import http from 'node:http'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { buildApp } from '../server/app.js'
import { parseConfig } from '../server/config/config.js'

export interface ServerInput {
  oauthUrl: string
  clientId: string
  clientSecret: string
  appSecret: string
  sqlitePath: string
}

export interface MemorySample {
  /** Resident set now, bytes. */
  rss: number
  /** Peak resident set of the process so far (getrusage ru_maxrss), bytes. */
  maxRss: number
  /** /proc/self/status VmHWM (Linux), bytes; null elsewhere. */
  vmHwm: number | null
  heapUsed: number
  /** Highest V8 heap use and off-heap (Buffers) use seen by a 5 ms sampler since the last sample. */
  peakHeapUsed: number
  peakExternal: number
  /** CPU time of this process so far (user + system), seconds. */
  cpuSec: number
}

export interface ServerReady {
  url: string
  memory: MemorySample
}

let peakHeapUsed = 0
let peakExternal = 0
// Where the peak comes from (heap objects or Buffers): sampled, since V8 keeps no high-water mark.
setInterval(() => {
  const m = process.memoryUsage()
  peakHeapUsed = Math.max(peakHeapUsed, m.heapUsed)
  peakExternal = Math.max(peakExternal, m.external)
}, 5).unref()

function memory(): MemorySample {
  let vmHwm: number | null = null
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'))
    if (m) vmHwm = Number(m[1]) * 1024
  } catch {
    vmHwm = null
  }
  const m = process.memoryUsage()
  const cpu = process.cpuUsage()
  const sample = {
    rss: m.rss, maxRss: process.resourceUsage().maxRSS * 1024, vmHwm, heapUsed: m.heapUsed,
    peakHeapUsed: Math.max(peakHeapUsed, m.heapUsed), peakExternal: Math.max(peakExternal, m.external), cpuSec: (cpu.user + cpu.system) / 1e6,
  }
  peakHeapUsed = 0
  peakExternal = 0
  return sample
}

const input = JSON.parse(process.env.BENCH_SERVER ?? '') as ServerInput
const server = http.createServer()
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
const url = `http://localhost:${(server.address() as AddressInfo).port}`
const app = await buildApp(
  parseConfig({
    APP_URL: url, B24_CLIENT_ID: input.clientId, B24_CLIENT_SECRET: input.clientSecret, B24_OAUTH_URL: input.oauthUrl,
    APP_SECRET: input.appSecret, APP_ALLOW_HTTP_PORTALS: '1', SQLITE_PATH: input.sqlitePath, LOG_LEVEL: 'warn',
  }),
)
server.on('request', app.http)
app.start()

process.on('message', (m: { type?: string }) => {
  if (m?.type === 'memory') process.send?.(memory())
  if (m?.type === 'stop') {
    server.closeAllConnections()
    server.close()
    void app.close().then(() => process.exit(0))
  }
})
process.send?.({ url, memory: memory() } satisfies ServerReady)
