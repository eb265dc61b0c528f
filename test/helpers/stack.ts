/**
 * A whole stack for integration tests: the emulated Bitrix24 cloud (OAuth server + portal) and one or more
 * Invite Desk instances listening on real ports, sharing one real database (SQLite file or a PostgreSQL
 * schema). Only Bitrix24 is fake.
 */
import http from 'node:http'
import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { buildApp, type InviteDesk } from '../../server/app.js'
import { parseConfig, type AppConfig } from '../../server/config/config.js'
import { createLogger } from '../../server/shared/logger.js'
import { MANIFEST } from '../../install/manifest.js'
import { startEmulator, type Emulator, type EmulatorAppOptions, type PortalHandle } from '../emulator/index.js'
import { fastRestriction } from '../emulator/test-kit.js'
import type { RestrictionParams } from '@bitrix24/b24jssdk'
import type { AppDatabase } from '../../server/storage/database.js'
import type { PacingOptions } from '../../server/portals/pacer.js'
import type { EngineTiming } from '../../server/engine/job-runner.js'
import type { JoinLimits } from '../../server/join-links/join-intake.js'
import type { Clock } from '../emulator/index.js'
import type { Backend, TestDatabase } from './databases.js'

export const CLIENT_ID = 'local.invitedesk.test'
export const CLIENT_SECRET = `client-secret-${randomBytes(8).toString('hex')}`
export const APP_SECRET = `app-secret-${randomBytes(24).toString('hex')}`
/** GET /metrics's bearer token in every test instance. */
export const METRICS_TOKEN = `metrics-${randomBytes(16).toString('hex')}`
export const TEST_APP: EmulatorAppOptions = {
  clientId: CLIENT_ID,
  clientSecret: CLIENT_SECRET,
  code: CLIENT_ID,
  version: 1,
  scopes: MANIFEST.scopes,
}

export const CLIENT_DIST = path.resolve(import.meta.dirname, '../../dist/client')

export interface Instance {
  app: InviteDesk
  url: string
  config: AppConfig
  refreshes: string[]
  close(): Promise<void>
}

export interface Stack {
  emu: Emulator
  portal: PortalHandle
  db: TestDatabase
  instances: Instance[]
  /** First instance, for single-instance tests. */
  a: Instance
  /** Every log line written by every instance (JSON). */
  logs: string[]
  close(): Promise<void>
}

/** Starts an instance bound to an existing HTTP server so APP_URL is known before the app is built. */
export async function startInstance(opts: {
  emu: Emulator
  database: AppDatabase
  logs: string[]
  restriction?: (f: string | null) => RestrictionParams
  host?: string
  /** The emulator's clock, so the app paces on the same (sped-up) time. */
  clock?: Clock
  pacing?: PacingOptions
  joinLimits?: Partial<JoinLimits>
  engine?: Partial<EngineTiming>
}): Promise<Instance> {
  const server = http.createServer()
  await new Promise<void>((r) => server.listen(0, r))
  const port = (server.address() as AddressInfo).port
  const url = `http://${opts.host ?? 'localhost'}:${port}`
  const config = parseConfig({
    APP_URL: url,
    B24_CLIENT_ID: CLIENT_ID,
    B24_CLIENT_SECRET: CLIENT_SECRET,
    B24_OAUTH_URL: opts.emu.oauthUrl,
    APP_SECRET,
    APP_ALLOW_HTTP_PORTALS: '1',
    LOG_LEVEL: 'debug',
    METRICS_TOKEN,
  })
  const sink = new Writable({
    write(chunk, _enc, cb) {
      opts.logs.push(...String(chunk).split('\n').filter(Boolean))
      cb()
    },
  })
  const refreshes: string[] = []
  const app = await buildApp(config, {
    database: opts.database,
    log: createLogger({ level: 'debug', destination: sink }),
    clientDist: CLIENT_DIST,
    restriction: opts.restriction ?? (() => fastRestriction(2) as RestrictionParams),
    onRefresh: (m) => refreshes.push(m),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.pacing ? { pacing: opts.pacing } : {}),
    ...(opts.joinLimits ? { joinLimits: opts.joinLimits } : {}),
    ...(opts.engine ? { engine: opts.engine } : {}),
  })
  server.on('request', app.http)
  app.start()
  return {
    app, url, config, refreshes,
    async close() {
      await app.stop()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}

export async function startStack(
  backend: Backend,
  opts: {
    instances?: number
    portal?: Parameters<Emulator['createPortal']>[0]
    /** One clock for the emulator and the app (e.g. `createClock({ speed: 50 })`). */
    clock?: Clock
    pacing?: PacingOptions
    /** The join pages' rate limits and join admission (tests lower them). */
    joinLimits?: Partial<JoinLimits>
    /** The job engine's lease and settle window (tests that crash things shorten them). */
    engine?: Partial<EngineTiming>
  } = {},
): Promise<Stack> {
  const emu = await startEmulator({ apps: [TEST_APP], ...(opts.clock ? { clock: opts.clock } : {}) })
  const db = await backend.open()
  const logs: string[] = []
  const instances: Instance[] = []
  const shared = { ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.pacing ? { pacing: opts.pacing } : {}), ...(opts.joinLimits ? { joinLimits: opts.joinLimits } : {}), ...(opts.engine ? { engine: opts.engine } : {}) }
  const first = await startInstance({ emu, database: db, logs, ...shared })
  instances.push(first)
  for (let i = 1; i < (opts.instances ?? 1); i++) {
    // A second instance gets its own pool/connection onto the same data: nothing shared in memory.
    instances.push(await startInstance({ emu, database: await db.openPeer(), logs, ...shared }))
  }
  const portal = await emu.createPortal(opts.portal ?? {})
  portal.registerApp(CLIENT_ID, { handlerUrl: `${first.url}/app`, installUrl: `${first.url}/install` })
  return {
    emu, portal, db, instances, a: first, logs,
    async close() {
      for (const i of instances) await i.close()
      await db.dispose()
      await emu.close()
    },
  }
}

export function form(body: Record<string, unknown>): string {
  const out = new URLSearchParams()
  const walk = (prefix: string, v: unknown) => {
    if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(prefix ? `${prefix}[${k}]` : k, x)
    else out.append(prefix, String(v ?? ''))
  }
  walk('', body)
  return out.toString()
}

export async function postForm(url: string, body: Record<string, unknown>): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(body) })
  return { status: res.status, text: await res.text(), headers: res.headers }
}

/** Pulls the boot JSON the server put into the page. */
export function bootOf(html: string): Record<string, any> {
  const m = /<script id="invite-desk-boot" type="application\/json">([\s\S]*?)<\/script>/.exec(html)
  if (!m) throw new Error('page has no boot JSON')
  return JSON.parse(m[1]!)
}

/** What the portal does: install page POST, then installFinish → ONAPPINSTALL to our /events. */
export async function installThroughPortal(stack: Stack, instance = stack.a): Promise<{ html: string; boot: Record<string, any> }> {
  const f = stack.portal.beginInstall(CLIENT_ID)
  const res = await postForm(`${instance.url}/install?${new URLSearchParams(f.query)}`, f.body)
  if (res.status !== 200) throw new Error(`install page answered ${res.status}: ${res.text.slice(0, 300)}`)
  const deliveries = await stack.portal.finishInstall(CLIENT_ID)
  const failed = deliveries.filter((d) => d.status !== 200)
  if (failed.length) throw new Error(`ONAPPINSTALL delivery failed: ${failed.map((d) => `${d.status}`).join(',')}`)
  return { html: res.text, boot: bootOf(res.text) }
}

export async function openApp(stack: Stack, opts: { userId?: number; placement?: string; instance?: Instance } = {}) {
  const f = stack.portal.appFrameFields(CLIENT_ID, { ...(opts.userId ? { userId: opts.userId } : {}), ...(opts.placement ? { placement: opts.placement } : {}) })
  const res = await postForm(`${(opts.instance ?? stack.a).url}/app?${new URLSearchParams(f.query)}`, f.body)
  return { ...res, boot: res.status === 200 ? bootOf(res.text) : undefined }
}

export async function until<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, ms = 5000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== undefined && v !== false) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
