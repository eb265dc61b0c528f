/**
 * The bench's world: the emulated Bitrix24 cloud and one Invite Desk instance on real ports, sharing one
 * clock, with the app built as production builds it (no test restriction profile, default pacing,
 * SQLite). Portals are installed through the install page and opened through the frame, like a real one.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { buildApp, type InviteDesk } from '../server/app.js'
import { parseConfig } from '../server/config/config.js'
import { createLogger } from '../server/shared/logger.js'
import { startEmulator, type Clock, type CreatePortalOptions, type Emulator, type PortalHandle } from '../test/emulator/index.js'
import { BACKENDS, type TestDatabase } from '../test/helpers/databases.js'
import { APP_SECRET, CLIENT_DIST, CLIENT_ID, CLIENT_SECRET, TEST_APP, bootOf, postForm } from '../test/helpers/stack.js'

export { CLIENT_ID, CLIENT_SECRET, APP_SECRET, TEST_APP }

export interface BenchStack {
  emu: Emulator
  app: InviteDesk
  url: string
  /** warn+ log lines of the app, kept for the report when something goes wrong. */
  logs: string[]
  close(): Promise<void>
}

export async function startBenchStack(opts: { clock?: Clock } = {}): Promise<BenchStack> {
  const emu = await startEmulator({ apps: [TEST_APP], ...(opts.clock ? { clock: opts.clock } : {}) })
  const db: TestDatabase = await BACKENDS.find((b) => b.name === 'sqlite')!.open()
  const server = http.createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://localhost:${(server.address() as AddressInfo).port}`
  const logs: string[] = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(...String(chunk).split('\n').filter(Boolean))
      cb()
    },
  })
  const config = parseConfig({
    APP_URL: url, B24_CLIENT_ID: CLIENT_ID, B24_CLIENT_SECRET: CLIENT_SECRET, B24_OAUTH_URL: emu.oauthUrl,
    APP_SECRET, APP_ALLOW_HTTP_PORTALS: '1', LOG_LEVEL: 'warn',
  })
  const app = await buildApp(config, {
    database: db,
    log: createLogger({ level: 'warn', destination: sink }),
    clientDist: CLIENT_DIST,
    ...(opts.clock ? { clock: opts.clock } : {}),
  })
  server.on('request', app.http)
  app.start()
  return {
    emu, app, url, logs,
    async close() {
      await app.stop()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
      await db.dispose()
      await emu.close()
    },
  }
}

/** A new portal with the app installed through its install page, and an admin API session opened through the frame. */
export async function installedPortal(
  emu: Emulator,
  appUrl: string,
  portalOpts: CreatePortalOptions = {},
  /** Runs before the install, e.g. to give the portal its staff (a real portal has them before any app). */
  prepare?: (portal: PortalHandle) => void,
): Promise<{ portal: PortalHandle; api: Api }> {
  const portal = await emu.createPortal(portalOpts)
  prepare?.(portal)
  portal.registerApp(CLIENT_ID, { handlerUrl: `${appUrl}/app`, installUrl: `${appUrl}/install` })
  const f = portal.beginInstall(CLIENT_ID)
  const page = await postForm(`${appUrl}/install?${new URLSearchParams(f.query)}`, f.body)
  if (page.status !== 200) throw new Error(`install page answered ${page.status}: ${page.text.slice(0, 300)}`)
  const deliveries = await portal.finishInstall(CLIENT_ID)
  if (deliveries.some((d) => d.status !== 200)) throw new Error('ONAPPINSTALL was not accepted')
  // ONAPPINSTALL is processed from the app's inbox, asynchronously: open the frame until it has a session.
  const until = Date.now() + 15_000
  for (;;) {
    const frame = portal.appFrameFields(CLIENT_ID, { userId: 1 })
    const opened = await postForm(`${appUrl}/app?${new URLSearchParams(frame.query)}`, frame.body)
    const token = opened.status === 200 ? bootOf(opened.text).session?.token : undefined
    if (typeof token === 'string') return { portal, api: apiFor(appUrl, token) }
    if (Date.now() > until) throw new Error(`opening the app answered ${opened.status}: ${opened.text.slice(0, 300)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export interface Api {
  json<T = any>(method: string, path: string, body?: unknown): Promise<T>
  upload<T = any>(bytes: Uint8Array, fileName: string): Promise<T>
}

/** The app's JSON API with a bearer session; any non-2xx answer throws with the server's text. */
export function apiFor(url: string, token: string): Api {
  async function call<T>(method: string, path: string, body: BodyInit | undefined, type?: string, extra: Record<string, string> = {}): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...extra }
    if (type) headers['content-type'] = type
    const res = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) })
    const text = await res.text()
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`)
    return (text ? JSON.parse(text) : undefined) as T
  }
  return {
    json: (method, path, body) => call(method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? undefined : 'application/json'),
    upload: (bytes, fileName) => call('POST', '/api/imports', Buffer.from(bytes), 'application/octet-stream', { 'x-file-name': encodeURIComponent(fileName) }),
  }
}

/** Upload → dry run (detected mapping, department 1 by default) → send; returns the job id and the dry-run summary. */
export async function uploadCheckSend(api: Api, bytes: Uint8Array, fileName: string): Promise<{ jobId: string; summary: Record<string, unknown> }> {
  const up = await api.upload(bytes, fileName)
  const dry = await api.json('POST', `/api/imports/${up.id}/dry-run`, {
    mapping: up.mapping, headerRow: up.headerRow, templateId: null, defaults: { kind: 'intranet', departmentId: 1, groupIds: [], lang: 'en' },
  })
  const sent = await api.json('POST', `/api/imports/${up.id}/send`)
  return { jobId: String(sent.jobId), summary: dry.summary }
}
