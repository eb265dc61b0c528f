import { Router } from 'express'
import { z } from 'zod'
import { MANIFEST, ROBOT_CODES } from '../../../install/manifest.js'
import { robotSettingsSchema, type RobotSettingsService } from '../../robots/robot-settings.js'
import type { Clock } from '../../shared/clock.js'
import { NotFoundError } from '../../shared/errors.js'
import type { AuditLog } from '../../storage/audit-log.js'
import type { PortalStore } from '../../storage/portal-store.js'
import type { RobotRun, RobotRunStore } from '../../storage/robot-run-store.js'
import { parseInput } from './parse-input.js'
import { requireAdmin } from './require-session.js'

const DAY_MS = 86_400_000
const runsQuery = z.object({
  robot: z.enum(ROBOT_CODES).optional(),
  outcome: z.enum(['invited', 'already_exists', 'added', 'already_member', 'accepted', 'not_accepted', 'failed', 'pending']).optional(),
  q: z.string().max(200).optional(),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(200).default(50),
}).strict()
const runParams = z.object({ runId: z.string().uuid('must be a robot run id') })

type Localized = { ru: string; en: string }
const localized = (v: unknown): Localized => (typeof v === 'string' ? { ru: v, en: v } : (v as Localized))
const propsView = (props: Record<string, unknown>) =>
  Object.entries(props).map(([key, def]) => {
    const d = def as { Name: unknown; Type: string; Required?: string }
    return { key, name: localized(d.Name), type: d.Type, required: d.Required === 'Y' }
  })

/** A run as the Automation page shows it: never its event token (a credential for the workflow). */
function runView(r: RobotRun) {
  const state = r.state === 'dispatching' ? 'received' : r.state
  return {
    id: r.id, robotCode: r.robotCode, document: r.document, documentType: r.documentType, workflowId: r.workflowId, properties: r.properties,
    email: r.email, state, outcome: r.outcome, userId: r.userId, errorText: r.errorText, returnValues: r.returnValues,
    reply: r.reply, replyError: r.replyError, replyAttempts: r.replyAttempts, jobId: r.jobId, waitUntil: r.waitUntil,
    createdAt: r.createdAt, decidedAt: r.decidedAt, repliedAt: r.repliedAt,
  }
}

/** The Automation page and the robot policy in Settings: portal administrators only. */
export function robotsApi(deps: { runs: RobotRunStore; settings: RobotSettingsService; portals: PortalStore; audit: AuditLog; clock: Clock }): Router {
  const r = Router()

  r.get('/robots', async (_req, res) => {
    const s = requireAdmin(res)
    const since = deps.clock.now() - DAY_MS
    const [portal, settings, counts, used] = await Promise.all([
      deps.portals.get(s.memberId), deps.settings.get(s.memberId), deps.runs.countsSince(s.memberId, since), deps.runs.admittedSince(s.memberId, since),
    ])
    const registered = new Set(portal?.registration?.robots ?? [])
    res.json({
      robots: MANIFEST.robots.map((d) => ({
        code: d.code, name: d.name, description: d.description, registered: registered.has(d.code),
        enabled: settings.enabled[d.code as keyof typeof settings.enabled] !== false,
        properties: propsView(d.properties), returnProperties: propsView(d.returnProperties),
        last24h: counts[d.code] ?? { total: 0, succeeded: 0, failed: 0, waiting: 0, notAccepted: 0 },
      })),
      registration: portal?.registration ?? null,
      cap: { limit: settings.dailyCap, usedLast24h: used },
    })
  })

  r.get('/robots/runs', async (req, res) => {
    const s = requireAdmin(res)
    const q = parseInput(runsQuery, req.query)
    const page = await deps.runs.list(s.memberId, { ...(q.robot ? { robotCode: q.robot } : {}), ...(q.outcome ? { outcome: q.outcome } : {}), ...(q.q ? { search: q.q } : {}) }, { limit: q.limit, offset: q.offset })
    res.json({ rows: page.rows.map(runView), total: page.total })
  })

  r.get('/robots/runs/:runId', async (req, res) => {
    const s = requireAdmin(res)
    const { runId } = parseInput(runParams, req.params)
    const run = await deps.runs.get(s.memberId, runId)
    if (!run) throw new NotFoundError('robot_run_not_found', 'There is no such robot run')
    res.json({ run: runView(run) })
  })

  r.get('/robots/settings', async (_req, res) => {
    const s = requireAdmin(res)
    res.json({ settings: await deps.settings.get(s.memberId) })
  })

  r.put('/robots/settings', async (req, res) => {
    const s = requireAdmin(res)
    const settings = parseInput(robotSettingsSchema, req.body)
    const saved = await deps.settings.save(s.memberId, settings, s.userId)
    await deps.audit.record({
      memberId: s.memberId, at: deps.clock.now(), actorUserId: s.userId, actorKind: 'user', action: 'robots.policy_saved', subject: null, details: { settings: saved }, result: 'ok',
    })
    res.json({ settings: saved })
  })

  return r
}
