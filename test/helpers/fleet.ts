/**
 * Several Invite Desk instances on one PostgreSQL sending for many portals, with instances killed and
 * restarted while they work: shared by the multi-instance test (small) and the bench (200 portals × 100).
 *
 * The world: one emulated Bitrix24 cloud with many portals, each with the app installed through its install
 * page and a job created through the API by a "front" instance (which sends nothing itself: its background
 * work is stopped once the installs landed). The senders are worker processes (test/helpers/worker-process.ts,
 * the real app in its own OS process) on the same database; any of them takes any portal, through the lease.
 */
import { sql } from 'kysely'
import pLimit from 'p-limit'
import type { EngineTiming } from '../../server/engine/job-runner.js'
import type { PortalHandle } from '../emulator/index.js'
import { csv, installedAdmin, sendList, startTestStack, withPortal, type Api } from './api.js'
import { BACKENDS } from './databases.js'
import { userAddEmails } from './exactly-once.js'
import { seededRandom } from './seeded-random.js'
import { CLIENT_ID, type Stack } from './stack.js'
import { spawnWorker, type Worker, type WorkerSpec } from './worker-process.js'
import { workerSpecFor } from './worker-spec.js'

export interface FleetOptions {
  portals: number
  /** Real milliseconds each user.add takes on the portal (a batch of 50 is on the wire 50 × this). */
  userAddDelayMs: number
  engine: Partial<EngineTiming>
  /** PostgreSQL connections per worker. */
  poolMax?: number
  /** Installs and job creation run this many at a time. */
  concurrency?: number
}

export interface Fleet {
  stack: Stack
  tenants: Array<{ portal: PortalHandle; api: Api }>
  spec: WorkerSpec
  close(): Promise<void>
}

export interface FleetJob {
  memberId: string
  jobId: string
  emails: string[]
}

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const postgres = BACKENDS.find((b) => b.name === 'postgres')!
  const stack = await startTestStack(postgres)
  const concurrency = opts.concurrency ?? 8
  try {
    const portals = [stack.portal]
    for (let k = 1; k < opts.portals; k++) {
      const p = await stack.emu.createPortal({})
      p.registerApp(CLIENT_ID, { handlerUrl: `${stack.a.url}/app`, installUrl: `${stack.a.url}/install` })
      portals.push(p)
    }
    const limit = pLimit(concurrency)
    const tenants = await Promise.all(portals.map((portal) => limit(async () => {
      portal.injectFault({ method: 'user.add', kind: 'slow', delayMs: opts.userAddDelayMs, probability: 1 })
      return { portal, api: await installedAdmin(withPortal(stack, portal)) }
    })))
    // From here on only the worker processes send; the front serves the API (job creation) and reads the stores.
    await stack.a.app.stop()
    const spec = { ...(await workerSpecFor(stack)), engine: opts.engine, poolMax: opts.poolMax ?? 8, logLevel: 'warn' }
    return { stack, tenants, spec, close: () => stack.close() }
  } catch (e) {
    await stack.close()
    throw e
  }
}

/** One job of `invitesPerPortal` new people per portal (upload → dry run → send), e-mails prefixed by `prefix`. */
export async function queueJobs(fleet: Fleet, invitesPerPortal: number, prefix: string, concurrency = 8): Promise<FleetJob[]> {
  const limit = pLimit(concurrency)
  return Promise.all(fleet.tenants.map(({ portal, api }, k) => limit(async () => {
    const rows = [['E-mail', 'Name', 'Last name'], ...Array.from({ length: invitesPerPortal }, (_, i) => [`${prefix}-${k}-${i + 1}@example.test`, `Name${i + 1}`, prefix])]
    const jobId = await sendList(api, csv(rows), `${prefix}.csv`)
    return { memberId: portal.memberId, jobId, emails: rows.slice(1).map((r) => r[0]!) }
  })))
}

export interface KillRecord {
  /** Seconds after the workers started. */
  atSec: number
  /** Portals whose lease the killed worker held (they wait for it to lapse). */
  leasesHeld: number
  /** Rows it left 'sending' (reconciled by whoever takes the portal next). */
  rowsSending: number
}

export interface FleetRun {
  instances: number
  invites: number
  wallSec: number
  invitesPerSec: number
  kills: KillRecord[]
  /** Requests the portals received during the run, and how many they refused for a limit. */
  requests: number
  limitRefusals: number
  /** The longest batch of user.add on any portal, from its arrival to its answer: the settle window must exceed it. */
  longestUserAddBatchSec: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Starts `instances` worker processes at once and waits until every job completed. With `killEveryMs`, a
 * random live worker is SIGKILLed about that often (±50 %) and a new one started in its place at once, so
 * `instances` keep running apart from the new one's boot (about a second).
 */
export async function runFleet(
  fleet: Fleet,
  jobs: FleetJob[],
  opts: { instances: number; killEveryMs?: number; seed?: number; timeoutMs: number; onProgress?: (done: number) => void },
): Promise<FleetRun> {
  const { db } = fleet.stack.db
  const random = seededRandom(opts.seed ?? 1)
  const jobIds = jobs.map((j) => j.jobId)
  const invites = jobs.reduce((n, j) => n + j.emails.length, 0)
  const requestsBefore = new Map(fleet.tenants.map(({ portal }) => [portal.memberId, portal.requests().length]))
  const everyone: Worker[] = []
  const boot = async () => {
    const w = await spawnWorker(fleet.spec)
    everyone.push(w)
    return w
  }
  const live: Worker[] = await Promise.all(Array.from({ length: opts.instances }, boot))
  const kills: KillRecord[] = []
  const started = Date.now()
  try {
    await Promise.all(live.map((w) => w.start()))
    const completed = async () => {
      const { n } = await db.selectFrom('invite_jobs').select((eb) => eb.fn.countAll<number>().as('n')).where('id', 'in', jobIds).where('status', '=', 'completed').executeTakeFirstOrThrow()
      return Number(n)
    }
    let nextKill = opts.killEveryMs ? started + opts.killEveryMs * (0.5 + random()) : Number.POSITIVE_INFINITY
    const replacements: Array<Promise<void>> = []
    for (;;) {
      const done = await completed()
      opts.onProgress?.(done)
      if (done === jobs.length) break
      if (Date.now() - started > opts.timeoutMs) {
        const logs = everyone.map((w) => w.stderr().slice(-1500)).join('\n---\n')
        throw new Error(`${done} of ${jobs.length} jobs completed after ${opts.timeoutMs} ms; worker logs:\n${logs}`)
      }
      if (Date.now() >= nextKill && live.length > 0) {
        const victim = live.splice(Math.floor(random() * live.length), 1)[0]!
        await victim.kill()
        const atSec = (Date.now() - started) / 1000
        const { held } = await db.selectFrom('portal_leases').select((eb) => eb.fn.countAll<number>().as('held')).where('owner', '=', victim.owner).where('lease_until', '>', Date.now()).executeTakeFirstOrThrow()
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from invite_job_items where state = 'sending' and job_id in (${sql.join(jobIds)})
          and member_id in (select member_id from portal_leases where owner = ${victim.owner})`.execute(db)
        kills.push({ atSec, leasesHeld: Number(held), rowsSending: rows[0]!.n })
        // Its replacement boots and starts at once (as an orchestrator restarts a dead container).
        replacements.push(boot().then(async (w) => {
          await w.start()
          live.push(w)
        }))
        nextKill = Date.now() + opts.killEveryMs! * (0.5 + random())
      }
      await sleep(100)
    }
    const wallSec = (Date.now() - started) / 1000
    await Promise.all(replacements)
    let requests = 0
    let limitRefusals = 0
    let longest = 0
    for (const { portal } of fleet.tenants) {
      const mine = portal.requests().slice(requestsBefore.get(portal.memberId) ?? 0)
      requests += mine.length
      limitRefusals += mine.filter((r) => r.error === 'QUERY_LIMIT_EXCEEDED' || r.error === 'OPERATION_TIME_LIMIT').length
      for (const r of mine) if (r.batchOf?.includes('user.add') && r.doneAt !== undefined) longest = Math.max(longest, r.doneAt - r.at)
    }
    return { instances: opts.instances, invites, wallSec, invitesPerSec: invites / wallSec, kills, requests, limitRefusals, longestUserAddBatchSec: longest / 1000 }
  } finally {
    // SIGTERM: the orderly stop of whatever still runs (a failed run's too).
    await Promise.all(everyone.map((w) => w.stop()))
  }
}

export interface FleetCheck {
  jobs: number
  jobsCompleted: number
  emails: number
  /** Items that ended other than 'invited', or with another id than the portal's one account for the e-mail. */
  itemsWrong: number
  /** E-mails with no account on their portal, or with more than one. */
  accountsMissing: number
  accountsDuplicated: number
  /** user.add commands the portals ran for these e-mails (exactly `emails` when nobody was invited twice). */
  userAddsRun: number
  /** Ledger entries of these jobs (one per row). */
  ledgerRows: number
  /** A few of the wrong items with what the portal saw of them, to explain a failure. */
  samples: Array<{ email: string; state: string; error: string | null; attempts: number; sendingSince: number | null; updatedAt: number; userAdds: Array<{ at: number; status: number; error?: string }> }>
}

/** Every e-mail invited exactly once, counted on the portals (accounts, user.add runs) and in our stores. */
export async function checkFleet(fleet: Fleet, jobs: FleetJob[]): Promise<FleetCheck> {
  const { db } = fleet.stack.db
  const jobIds = jobs.map((j) => j.jobId)
  const { n: completedJobs } = await db.selectFrom('invite_jobs').select((eb) => eb.fn.countAll<number>().as('n')).where('id', 'in', jobIds).where('status', '=', 'completed').executeTakeFirstOrThrow()
  const { n: ledgerRows } = await db.selectFrom('invitations').select((eb) => eb.fn.countAll<number>().as('n')).where('job_id', 'in', jobIds).executeTakeFirstOrThrow()
  const check: FleetCheck = { jobs: jobs.length, jobsCompleted: Number(completedJobs), emails: 0, itemsWrong: 0, accountsMissing: 0, accountsDuplicated: 0, userAddsRun: 0, ledgerRows: Number(ledgerRows), samples: [] }
  const byMember = new Map(fleet.tenants.map((t) => [t.portal.memberId, t.portal]))
  for (const job of jobs) {
    const portal = byMember.get(job.memberId)!
    const wanted = new Set(job.emails.map((e) => e.toLowerCase()))
    check.emails += wanted.size
    const accounts = new Map<string, number[]>()
    for (const u of portal.users()) {
      const e = u.EMAIL.toLowerCase()
      if (wanted.has(e)) accounts.set(e, [...(accounts.get(e) ?? []), u.ID])
    }
    for (const e of wanted) {
      const ids = accounts.get(e) ?? []
      if (ids.length === 0) check.accountsMissing++
      if (ids.length > 1) check.accountsDuplicated++
    }
    check.userAddsRun += portal.requests().flatMap(userAddEmails).filter((e) => wanted.has(e)).length
    const items = await db.selectFrom('invite_job_items').select(['email', 'state', 'user_id', 'error_code', 'attempts', 'sending_since', 'updated_at']).where('job_id', '=', job.jobId).execute()
    const wrong = items.filter((i) => i.state !== 'invited' || accounts.get(String(i.email).toLowerCase())?.[0] !== Number(i.user_id))
    check.itemsWrong += wrong.length
    for (const i of wrong.slice(0, Math.max(0, 5 - check.samples.length))) {
      const email = String(i.email).toLowerCase()
      const userAdds = portal.requests().filter((r) => userAddEmails(r).includes(email) || (r.restMethod === 'batch' && JSON.stringify(r.params).toLowerCase().includes(encodeURIComponent(email))))
        .map((r) => ({ at: r.at, status: r.status, ...(r.error ? { error: r.error } : {}) }))
      check.samples.push({ email, state: i.state, error: i.error_code, attempts: Number(i.attempts), sendingSince: i.sending_since === null ? null : Number(i.sending_since), updatedAt: Number(i.updated_at), userAdds })
    }
    check.itemsWrong += Math.max(0, wanted.size - items.length)
  }
  return check
}
