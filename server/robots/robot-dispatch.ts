/**
 * Turns received robot runs into work: one dispatcher per portal at a time (a claim row, across instances)
 * takes every run that arrived, plans each (policy, checks, existing people), answers the ones that need no
 * sending, and puts the rest into ONE job of the engine, so a burst of calls becomes a few batches of 50
 * instead of one request each. The job is created under an id the runs were claimed with first: a crash
 * between the two leaves runs whose job either exists (they are queued then) or does not (they go back).
 */
import { randomUUID } from 'node:crypto'
import type { Clock } from '../shared/clock.js'
import { errorText } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { seqsByOrigin } from '../engine/job-origins.js'
import { readGroupRosters, type GroupRoster } from '../portals/group-rosters.js'
import type { PortalGateway } from '../portals/portal-gateway.js'
import type { DirectoryStore } from '../storage/directory-store.js'
import type { JobStore, NewJobItem } from '../storage/job-store.js'
import type { Invitation, LedgerStore } from '../storage/ledger-store.js'
import type { PortalStore } from '../storage/portal-store.js'
import type { RobotRun, RobotRunStore } from '../storage/robot-run-store.js'
import type { RobotSettingsStore } from '../storage/robot-settings-store.js'
import type { TemplateStore } from '../storage/template-store.js'
import { propId, propText } from './robot-call.js'
import { langOf, reason } from './robot-messages.js'
import { failureFor, planRun, type Plan, type PlanContext } from './robot-plan.js'
import type { RobotSettingsService } from './robot-settings.js'

const DAY_MS = 86_400_000
/** Runs taken per round: a burst larger than this simply takes several rounds. */
export const DISPATCH_ROUND = 500
export const DISPATCH_CLAIM_TTL_MS = 60_000
/** A run left 'dispatching' this long belongs to a dispatcher that died. */
export const DISPATCH_STALE_MS = 2 * 60_000
/** The directory cache is refreshed at most this often for robots (one request when nothing changed). */
const DIRECTORY_FRESH_MS = 30_000

export interface DispatchReport { claimed: number; queued: number; decided: number; waiting: number; jobId: string | null }

export function createRobotDispatch(deps: {
  runs: RobotRunStore
  settingsStore: RobotSettingsStore
  settings: RobotSettingsService
  jobs: JobStore
  templates: TemplateStore
  directory: DirectoryStore
  ledger: LedgerStore
  portals: PortalStore
  gateway: PortalGateway
  /** Incremental directory sync (new users since the last pass). */
  syncDirectory: (memberId: string) => Promise<void>
  /** Starts the job engine on a new job. */
  kickRunner: () => void
  clock: Clock
  log: Logger
  owner: string
}) {
  const { runs, clock, log } = deps
  const lastDirectorySync = new Map<string, number>()

  async function freshDirectory(memberId: string): Promise<void> {
    const at = lastDirectorySync.get(memberId) ?? 0
    if (clock.now() - at < DIRECTORY_FRESH_MS) return
    try {
      await deps.syncDirectory(memberId)
      lastDirectorySync.set(memberId, clock.now())
    } catch (e) {
      // A stale cache only means the portal itself reports "already exists": the run still gets its answer.
      log.warn({ memberId, err: errorText(e) }, 'directory sync before robot dispatch failed')
    }
  }

  /** Runs a crashed dispatcher left: queued if their job exists, else given back to 'received'. */
  async function recover(memberId: string): Promise<void> {
    const stale = await runs.staleDispatching(memberId, clock.now() - DISPATCH_STALE_MS)
    const byJob = new Map<string, RobotRun[]>()
    for (const r of stale) if (r.jobId) byJob.set(r.jobId, [...(byJob.get(r.jobId) ?? []), r])
    for (const [jobId, list] of byJob) {
      const job = await deps.jobs.get(memberId, jobId)
      if (!job) {
        await runs.release(memberId, list.map((r) => r.id), clock.now())
        continue
      }
      const seqs = await seqsByOrigin(deps.jobs, memberId, jobId, new Set(list.map((r) => r.id)), (o) => (o.kind === 'robot' ? o.runId : undefined))
      await runs.markQueued(memberId, jobId, seqs, clock.now())
      // Claimed but not in the job: it was decided, or its decision was lost; plan it again.
      const left = list.filter((r) => !seqs.some((s) => s.id === r.id)).map((r) => r.id)
      if (left.length) await runs.release(memberId, left, clock.now())
    }
  }

  async function context(memberId: string, claimed: RobotRun[]): Promise<PlanContext> {
    const portal = await deps.portals.get(memberId)
    const emails = claimed.map((r) => propText(r.properties, 'EMAIL').toLowerCase()).filter((e) => e.includes('@'))
    const waitRuns = claimed.filter((r) => r.robotCode === 'wait_acceptance')
    const waitEmails = [...new Set(waitRuns.map((r) => propText(r.properties, 'EMAIL').toLowerCase()).filter(Boolean))]
    const waitUsers = [...new Set(waitRuns.map((r) => propId(r.properties, 'USER_ID')).filter((u): u is number => u !== null))]
    const [settings, templates, departments, groups, usersByEmail, byUser] = await Promise.all([
      deps.settings.get(memberId),
      deps.templates.list(memberId),
      deps.directory.departments(memberId),
      deps.directory.groups(memberId),
      deps.directory.usersByEmails(memberId, emails),
      waitUsers.length ? deps.ledger.findByUserIds(memberId, waitUsers) : Promise.resolve([] as Invitation[]),
    ])
    const invitationsByEmail = new Map<string, Invitation[]>()
    for (const e of waitEmails) invitationsByEmail.set(e, await deps.ledger.findByEmail(memberId, e))
    // add_to_group answers already_member without sending: one read of the named groups per round.
    const groupIds = [...new Set(claimed.filter((r) => r.robotCode === 'add_to_group').map((r) => propId(r.properties, 'GROUP_ID')).filter((g): g is number => g !== null))]
    let rosters = new Map<number, GroupRoster>()
    if (groupIds.length) {
      rosters = await readGroupRosters(deps.gateway, memberId, groupIds, { missingIsEmpty: true }).catch((e: unknown) => {
        log.warn({ memberId, err: errorText(e) }, 'could not read groups for add_to_group; the send decides')
        return new Map<number, GroupRoster>()
      })
    }
    const invitationsByUser = new Map<number, Invitation[]>()
    for (const inv of byUser) if (inv.userId !== null) invitationsByUser.set(inv.userId, [...(invitationsByUser.get(inv.userId) ?? []), inv])
    return {
      lang: langOf(portal?.lang), portalDomain: portal?.domain ?? '', settings, templates, now: clock.now(),
      dry: {
        defaultLang: langOf(portal?.lang), departments, groups, existingByEmail: usersByEmail, existingByPhone: new Map(), phoneInvite: false,
      },
      usersByEmail, invitationsByEmail, invitationsByUser, rosters,
    }
  }

  /** One round for one portal; returns what it did (nothing when another instance holds the portal). */
  async function dispatch(memberId: string): Promise<DispatchReport> {
    const report: DispatchReport = { claimed: 0, queued: 0, decided: 0, waiting: 0, jobId: null }
    if (!(await deps.settingsStore.claimDispatch(memberId, deps.owner, clock.now(), DISPATCH_CLAIM_TTL_MS))) return report
    try {
      await recover(memberId)
      const portal = await deps.portals.get(memberId)
      const jobId = randomUUID()
      const claimed = await runs.claimReceived(memberId, jobId, clock.now(), DISPATCH_ROUND)
      report.claimed = claimed.length
      if (claimed.length === 0) return report
      if (!portal || portal.status !== 'installed') {
        const lang = langOf(portal?.lang)
        for (const r of claimed) await runs.decide(memberId, r.id, ['dispatching'], failureFor(r.robotCode, reason(lang, 'not_installed')), clock.now())
        report.decided = claimed.length
        return report
      }
      await freshDirectory(memberId)
      const ctx = await context(memberId, claimed)
      const capLeft = { n: Math.max(0, ctx.settings.dailyCap - (await runs.admittedSince(memberId, clock.now() - DAY_MS))) }
      const items: Array<{ run: RobotRun; item: NewJobItem }> = []
      for (const run of claimed) {
        let plan: Plan
        try {
          plan = planRun(run, ctx)
        } catch (e) {
          log.error({ memberId, runId: run.id, err: errorText(e) }, 'robot run could not be planned')
          plan = { kind: 'decide', decision: failureFor(run.robotCode, errorText(e)) }
        }
        if (plan.kind === 'item') {
          if (capLeft.n <= 0) plan = { kind: 'decide', decision: failureFor(run.robotCode, reason(ctx.lang, 'daily_cap', { cap: ctx.settings.dailyCap })), email: plan.email }
          else {
            capLeft.n--
            items.push({ run, item: plan.item })
            continue
          }
        }
        if (plan.kind === 'wait') {
          if (await runs.markWaiting(memberId, run.id, { email: plan.email, userId: plan.userId, waitUntil: plan.waitUntil }, clock.now())) report.waiting++
          continue
        }
        if (await runs.decide(memberId, run.id, ['dispatching'], plan.decision, clock.now())) report.decided++
      }
      if (items.length) {
        const job = await deps.jobs.create(
          {
            id: jobId, memberId, kind: 'bulk_invite', source: 'robot', createdBy: null, templateId: null,
            title: ctx.lang === 'ru' ? `Роботы: ${items.length} приглашений` : `Automation rules: ${items.length} invitations`,
            options: { robotRuns: items.length },
          },
          items.map((x) => x.item),
        )
        await runs.markQueued(memberId, job.id, items.map((x, k) => ({ id: x.run.id, seq: k + 1 })), clock.now())
        await deps.jobs.setStatus(memberId, job.id, ['queued'], 'running')
        report.queued = items.length
        report.jobId = job.id
        deps.kickRunner()
      }
      return report
    } finally {
      await deps.settingsStore.releaseDispatch(memberId, deps.owner).catch(() => undefined)
    }
  }

  return { dispatch }
}

export type RobotDispatch = ReturnType<typeof createRobotDispatch>
