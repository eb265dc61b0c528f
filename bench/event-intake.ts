/**
 * Issue 9: event intake. ONUSERADD deliveries for many portals, form-encoded as Bitrix24 posts them, to the
 * app's /events (verify the application token against the store, write the inbox row, answer), at increasing
 * offered rates, then flat out; the same load against a bare Express handler (urlencoded parser and an empty
 * JSON answer, nothing else) measured in the same run is the ceiling. SQLite, one instance, keep-alive
 * connections on loopback; the inbox processor is stopped during the measurement so the intake alone is
 * measured (it then drains the backlog). Reported: achieved throughput and latency p50/p99 per rate, and the
 * ratio of the flat-out throughputs (target ≥ 0.5).
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { createClock } from '../test/emulator/index.js'
import { form } from '../test/helpers/stack.js'
import { installedPortal, startBenchStack } from './bench-stack.js'

export interface IntakeStep { offered: number | 'max'; achieved: number; p50Ms: number; p99Ms: number; errors: number; sent: number }
export interface EventIntakeResult {
  portals: number
  stepSec: number
  app: IntakeStep[]
  bare: IntakeStep[]
  /** Flat-out throughput, ours / bare. */
  ratio: number
  inboxRows: number
}

const quantile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0)

/** Offered load at `rate` per second for `sec` (open loop), or flat out with `concurrency` requests in flight. */
async function drive(url: string, bodies: string[], opts: { rate: number | 'max'; sec: number; concurrency: number }): Promise<IntakeStep> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency })
  const target = new URL(url)
  const latencies: number[] = []
  let errors = 0
  let sent = 0
  const post = (body: string) => new Promise<number>((resolve, reject) => {
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end(body)
  })
  const one = async (k: number) => {
    const t = performance.now()
    try {
      if ((await post(bodies[k % bodies.length]!)) !== 200) errors++
    } catch {
      errors++
    }
    latencies.push(performance.now() - t)
  }
  const started = performance.now()
  const end = started + opts.sec * 1000
  if (opts.rate === 'max') {
    await Promise.all(Array.from({ length: opts.concurrency }, async () => {
      while (performance.now() < end) await one(sent++)
    }))
  } else {
    const interval = 1000 / opts.rate
    const pending: Array<Promise<void>> = []
    for (let k = 0; ; k++) {
      const at = started + k * interval
      if (at >= end) break
      const wait = at - performance.now()
      if (wait > 1) await new Promise((r) => setTimeout(r, wait))
      pending.push(one(sent++))
    }
    await Promise.all(pending)
  }
  const elapsed = (performance.now() - started) / 1000
  agent.destroy()
  latencies.sort((a, b) => a - b)
  return { offered: opts.rate, achieved: latencies.length / elapsed, p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99), errors, sent }
}

export async function measureEventIntake(opts: { portals: number; rates: number[]; stepSec: number; concurrency: number }): Promise<EventIntakeResult> {
  const stack = await startBenchStack({ clock: createClock({ speed: 1 }) })
  const bareServer = http.createServer(express().use(express.urlencoded({ extended: true, limit: '256kb', parameterLimit: 2000 })).post('/events', (_req, res) => {
    res.json({})
  }))
  await new Promise<void>((r) => bareServer.listen(0, '127.0.0.1', r))
  try {
    const bodies: string[] = []
    for (let p = 0; p < opts.portals; p++) {
      const { portal } = await installedPortal(stack.emu, stack.url, { lang: 'en' })
      const rec = (await stack.app.stores.portals.get(portal.memberId))!
      for (let u = 0; u < 20; u++) {
        bodies.push(form({
          event: 'ONUSERADD', event_handler_id: '1', data: { ID: String(1000 + u) }, ts: String(Math.floor(Date.now() / 1000)),
          auth: { domain: portal.domain, client_endpoint: `${portal.origin}/rest/`, server_endpoint: 'https://oauth.bitrix.info/rest/', member_id: portal.memberId, application_token: rec.applicationToken! },
        }))
      }
    }
    // The intake alone: the processor would compete for the same CPU (it drains the inbox afterwards).
    await stack.app.events.stop()
    const appUrl = `${stack.url.replace('localhost', '127.0.0.1')}/events`
    const bareUrl = `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}/events`
    const steps = [...opts.rates, 'max' as const]
    const app: IntakeStep[] = []
    const bare: IntakeStep[] = []
    for (const rate of steps) {
      bare.push(await drive(bareUrl, bodies, { rate, sec: opts.stepSec, concurrency: opts.concurrency }))
      app.push(await drive(appUrl, bodies, { rate, sec: opts.stepSec, concurrency: opts.concurrency }))
    }
    const rows = await stack.app.db.db.selectFrom('event_inbox').select((eb) => eb.fn.countAll().as('n')).where('event', '=', 'ONUSERADD').executeTakeFirstOrThrow()
    return {
      portals: opts.portals, stepSec: opts.stepSec, app, bare,
      ratio: app.at(-1)!.achieved / bare.at(-1)!.achieved, inboxRows: Number(rows.n),
    }
  } finally {
    await new Promise<void>((r) => bareServer.close(() => r()))
    await stack.close()
  }
}
