/**
 * Issue 8: a flood of joins never takes the portal's REST budget from other work. One portal, production
 * pacing (2 requests/s, burst 50, user.add's time budget), SQLite, on the emulator's sped-up clock (the bulk
 * job is sized to be bound by user.add's time budget, which takes emulated minutes). `joins` people submit the
 * public pages of 10 join links (50 at a time, each from its own address), as QR codes on conference screens
 * would bring them; then an admin sends a bulk job of `bulk` invites while the join worker admits the joins.
 *
 * Baseline, measured in the same run: the same bulk job on a fresh portal without the flood. Reported: the
 * bulk job's time with the flood against without (target ≤ 1.10), the page's answers (all 200, latency
 * p50/p99 in real time), REST requests the page made (target 0: joins only touch the database), join
 * invitations the worker admitted while the bulk job ran, and portal refusals.
 */
import pLimit from 'p-limit'
import { DEFAULT_JOIN_LIMITS } from '../server/join-links/join-intake.js'
import { createClock, type Clock } from '../test/emulator/index.js'
import { csv } from '../test/helpers/api.js'
import { installedPortal, startBenchStack, uploadCheckSend, type Api } from './bench-stack.js'
import { trafficSince, type PortalTraffic } from './send-throughput.js'

export interface JoinFloodResult {
  bulk: number
  joins: number
  /** Bulk job send → completed, emulated seconds: alone, and during the flood. */
  bulkAloneSec: number
  bulkFloodSec: number
  page: { ok: number; other: Record<string, number>; p50Ms: number; p99Ms: number; wallSec: number; perSec: number }
  /** REST requests the portal received while the page answered the flood, before the worker's first round. */
  requestsDuringIntake: number
  /** Join invitations the worker put into the engine by the time the bulk job completed, and in the first minute. */
  admittedByBulkEnd: number
  traffic: PortalTraffic
  /** user.add commands for the bulk job and for joins, from the emulator's log. */
  userAdds: { total: number }
  admission: { idle: number; busy: number }
  speed: number
  links: number
}

async function bulkJob(clock: Clock, api: Api, n: number, tag: string): Promise<number> {
  const rows = [['email', 'name'], ...Array.from({ length: n }, (_, k) => [`${tag}${k}@example.com`, `Hire ${k}`])]
  const { jobId } = await uploadCheckSend(api, new TextEncoder().encode(csv(rows)), `${tag}.csv`)
  const started = clock.now()
  const wallStarted = Date.now()
  for (;;) {
    const job = await api.json<{ job: { status: string } }>('GET', `/api/jobs/${jobId}`)
    if (job.job.status === 'completed') return (clock.now() - started) / 1000
    if (Date.now() - wallStarted > 600_000) throw new Error('the bulk job did not complete in 10 minutes')
    await new Promise((r) => setTimeout(r, 100))
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0
}

const LINKS = 10

export async function measureJoinFlood(opts: { bulk: number; joins: number; speed: number }): Promise<JoinFloodResult> {
  const alone = await (async () => {
    const clock = createClock({ speed: opts.speed })
    const stack = await startBenchStack({ clock })
    try {
      const { api } = await installedPortal(stack.emu, stack.url, { lang: 'en' })
      return await bulkJob(clock, api, opts.bulk, 'alone')
    } finally {
      await stack.close()
    }
  })()

  const clock = createClock({ speed: opts.speed })
  const stack = await startBenchStack({ clock })
  try {
    let groupId = 0
    const { portal, api } = await installedPortal(stack.emu, stack.url, { lang: 'en' }, (p) => {
      groupId = p.addGroup({ NAME: 'Conference guests', OWNER_ID: 1, IS_EXTRANET: true }).ID
    })
    await stack.app.directorySync.sync(portal.memberId, { forceFull: true })
    // Several links (one per screen or session): each stays under its own per-link limit; the portal's admission is what binds.
    const links: string[] = []
    for (let l = 0; l < LINKS; l++) {
      const made = await api.json<{ url: string }>('POST', '/api/join-links', {
        name: `Conference 2026, hall ${l + 1}`, target: { kind: 'group', id: groupId }, templateId: null, expiresOn: null, cap: opts.joins, allowedDomains: [], approval: false,
      })
      links.push(made.url)
    }
    // The worker's rounds are what spend REST: hold them until the page has answered everyone, to count the page alone.
    await stack.app.joinLinks.worker.stop()
    const since = portal.requests().length
    const latencies: number[] = []
    const other: Record<string, number> = {}
    let ok = 0
    const limit = pLimit(50)
    const pageStarted = Date.now()
    await Promise.all(Array.from({ length: opts.joins }, (_, k) => limit(async () => {
      const t = performance.now()
      const res = await fetch(links[k % LINKS]!, {
        method: 'POST',
        body: new URLSearchParams({ email: `visitor${k}@guest.example`, name: `Visitor ${k}`, lang: 'en' }),
        headers: { 'x-forwarded-for': `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}` },
      })
      await res.text()
      latencies.push(performance.now() - t)
      if (res.status === 200) ok++
      else other[String(res.status)] = (other[String(res.status)] ?? 0) + 1
    })))
    const pageWall = (Date.now() - pageStarted) / 1000
    const requestsDuringIntake = portal.requests().length - since
    latencies.sort((a, b) => a - b)

    // Now the worker runs, and the admin's bulk job goes out at the same time.
    stack.app.joinLinks.worker.start()
    const flood = await bulkJob(clock, api, opts.bulk, 'flood')
    const admittedCount = async () => Number((await stack.app.db.db.selectFrom('join_link_joins').select((eb) => eb.fn.countAll().as('n')).where('admitted_at', 'is not', null).executeTakeFirstOrThrow()).n)
    const admitted = await admittedCount()
    const traffic = trafficSince(portal, since)
    return {
      bulk: opts.bulk, joins: opts.joins, bulkAloneSec: alone, bulkFloodSec: flood,
      page: { ok, other, p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99), wallSec: pageWall, perSec: opts.joins / pageWall },
      requestsDuringIntake, admittedByBulkEnd: admitted, traffic, userAdds: { total: traffic.commands['user.add'] ?? 0 },
      admission: { idle: DEFAULT_JOIN_LIMITS.admitPerPortalPerMinute, busy: DEFAULT_JOIN_LIMITS.admitPerPortalPerMinuteWhileBusy },
      speed: opts.speed, links: LINKS,
    }
  } finally {
    await stack.close()
  }
}
