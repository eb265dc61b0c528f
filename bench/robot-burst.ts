/**
 * Issue 6's proof: a burst of robot calls from automation rules for one portal, all served within the
 * portal's limits and none lost. Calls arrive over a few seconds, as CRM stages moving many deals at once
 * send them (350 "invite an employee", 100 "invite a guest" into 5 extranet groups, 50 "add to a group"),
 * plus 25 repeated deliveries of calls already made. Real time (clock speed 1), production pacing (2 req/s,
 * burst 50), SQLite. Counted on the emulator's side: requests, refusals (503/429), users created, and the
 * bizproc.event.send replies each workflow got.
 *
 * The baseline is computed, not run: a handler that answers each call with its own user.add (or
 * sonet_group.user.add) and its own bizproc.event.send needs 2 requests per call; at 2 req/s after the
 * bucket's 50 that is ⌈(2n − 50) / 2⌉ seconds.
 */
import { createClock, type PortalHandle } from '../test/emulator/index.js'
import { installedPortal, startBenchStack } from './bench-stack.js'
import { trafficSince, type PortalTraffic } from './send-throughput.js'

export interface RobotBurstResult {
  calls: { employee: number; guest: number; addToGroup: number; duplicates: number; total: number }
  arrivalSec: number
  /** First call sent → last reply received by the portal, wall seconds. */
  servedSec: number
  replies: { total: number; byStatus: Record<string, number> }
  usersCreated: number
  addedToGroups: number
  /** Runs the app stored (duplicates must not add any). */
  runsStored: number
  /** Jobs the engine ran for the burst. */
  jobs: number
  traffic: PortalTraffic
  /** Highest number of requests the portal received in any one second. */
  peakPerSec: number
  naive: { requests: number; sec: number }
  lost: number
}

const BUCKET = 50
const DRAIN_PER_SEC = 2

export async function measureRobotBurst(opts: { employee: number; guest: number; addToGroup: number; duplicates: number; arrivalSec: number }): Promise<RobotBurstResult> {
  const clock = createClock({ speed: 1 })
  const stack = await startBenchStack({ clock })
  try {
    let groups: number[] = []
    let project = 0
    let colleagues: number[] = []
    const { portal, api } = await installedPortal(stack.emu, stack.url, { lang: 'en' }, (p) => {
      for (let d = 0; d < 5; d++) p.addDepartment({ NAME: `Dept ${d}`, PARENT: 1 })
      groups = Array.from({ length: 5 }, (_, g) => p.addGroup({ NAME: `Partners ${g}`, OWNER_ID: 1, IS_EXTRANET: true }).ID)
      project = p.addGroup({ NAME: 'Project', OWNER_ID: 1 }).ID
      colleagues = Array.from({ length: opts.addToGroup }, (_, k) => p.addUser({ NAME: `Colleague ${k}`, EMAIL: `colleague${k}@example.com`, UF_DEPARTMENT: [1] }).ID)
    })
    // The default cap (200 a day) would refuse most of a burst this size; the bench measures serving, not refusing.
    const { settings } = await api.json<{ settings: Record<string, unknown> }>('GET', '/api/robots/settings')
    await api.json('PUT', '/api/robots/settings', { ...settings, dailyCap: 10_000 })

    type Call = { code: string; properties: Record<string, unknown> }
    const calls: Call[] = []
    for (let k = 0; k < opts.employee; k++) calls.push({ code: 'invite_employee', properties: { EMAIL: `hire${k}@example.com`, NAME: `Hire ${k}`, DEPARTMENT: `Dept ${k % 5}` } })
    for (let k = 0; k < opts.guest; k++) calls.push({ code: 'invite_guest', properties: { EMAIL: `guest${k}@partner.example`, NAME: `Guest ${k}`, GROUP_ID: String(groups[k % groups.length]) } })
    for (let k = 0; k < opts.addToGroup; k++) calls.push({ code: 'add_to_group', properties: { USER: `user_${colleagues[k]}`, GROUP_ID: String(project) } })
    // Interleaved, as several pipelines' stages fire at once.
    calls.sort((a, b) => hash(JSON.stringify(a)) - hash(JSON.stringify(b)))

    const usersBefore = portal.users().length
    const since = portal.requests().length
    const started = Date.now()
    const spacing = (opts.arrivalSec * 1000) / calls.length
    const tokens: string[] = []
    const sent: Array<Promise<void>> = []
    for (const [k, c] of calls.entries()) {
      sent.push(
        (async () => {
          await new Promise((r) => setTimeout(r, k * spacing))
          const d = await portal.callRobot(c.code, { documentId: ['crm', 'CCrmDocumentDeal', `DEAL_${k + 1}`], properties: c.properties })
          if (d.status !== 200) throw new Error(`robot call ${k} answered ${d.status} ${d.error ?? ''}`)
          tokens.push(String(d.payload.event_token))
          // Some deliveries come twice (a queue server retrying after a slow answer).
          if (k % Math.max(1, Math.floor(calls.length / opts.duplicates)) === 0 && k / Math.floor(calls.length / opts.duplicates) < opts.duplicates) {
            const again = await portal.callRobot(c.code, { documentId: ['crm', 'CCrmDocumentDeal', `DEAL_${k + 1}`], workflowId: String(d.payload.workflow_id), eventToken: String(d.payload.event_token), properties: c.properties })
            if (again.status !== 200) throw new Error(`repeated robot call ${k} answered ${again.status}`)
          }
        })(),
      )
    }
    await Promise.all(sent)
    const arrivedSec = (Date.now() - started) / 1000
    const want = new Set(tokens)
    const deadline = Date.now() + 10 * 60_000
    let lastReplyAt = Date.now()
    for (;;) {
      const got = portal.bizprocEvents().filter((e) => want.has(e.eventToken)).length
      if (got >= want.size) {
        lastReplyAt = Date.now()
        break
      }
      if (Date.now() > deadline) break
      await new Promise((r) => setTimeout(r, 50))
    }
    const events = portal.bizprocEvents().filter((e) => want.has(e.eventToken))
    const byStatus: Record<string, number> = {}
    for (const e of events) {
      const status = String((e.returnValues as Record<string, unknown> | null)?.STATUS ?? 'none')
      byStatus[status] = (byStatus[status] ?? 0) + 1
    }
    const traffic = trafficSince(portal, since)
    const runs = await stack.app.stores.robotRuns.list(portal.memberId, {}, { limit: 1, offset: 0 })
    const jobs = (await stack.app.stores.jobs.list(portal.memberId, { limit: 1000 })).filter((j) => j.source === 'robot').length
    const n = calls.length
    return {
      calls: { employee: opts.employee, guest: opts.guest, addToGroup: opts.addToGroup, duplicates: opts.duplicates, total: n },
      arrivalSec: arrivedSec,
      servedSec: (lastReplyAt - started) / 1000,
      replies: { total: events.length, byStatus },
      usersCreated: portal.users().length - usersBefore,
      addedToGroups: portal.groups().find((g) => g.ID === project)!.members.filter((m) => colleagues.includes(m.userId)).length,
      runsStored: runs.total,
      jobs,
      traffic,
      peakPerSec: peakPerSecond(portal, since),
      naive: { requests: 2 * n, sec: Math.max(0, Math.ceil((2 * n - BUCKET) / DRAIN_PER_SEC)) },
      lost: want.size - events.length,
    }
  } finally {
    await stack.close()
  }
}

function peakPerSecond(portal: PortalHandle, since: number): number {
  const perSec = new Map<number, number>()
  for (const r of portal.requests().slice(since)) {
    const s = Math.floor(r.at / 1000)
    perSec.set(s, (perSec.get(s) ?? 0) + 1)
  }
  return Math.max(0, ...perSec.values())
}

function hash(s: string): number {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return h >>> 0
}
