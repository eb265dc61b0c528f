import { Router } from 'express'
import { z } from 'zod'
import type { JobControl, JobAction } from '../../engine/job-control.js'
import type { Job, JobItem, JobStore } from '../../storage/job-store.js'
import { toCsv, toXlsx } from '../../invites/export-table.js'
import { parseInput } from './parse-input.js'
import { requireAdmin, sessionOf } from './require-session.js'

const ACTIONS: readonly JobAction[] = ['pause', 'resume', 'cancel', 'retry-failed']
const itemsQuery = z.object({
  state: z.enum(['queued', 'sending', 'invited', 'skipped', 'failed']).optional(),
  afterSeq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
})
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) })

export function jobView(j: Job) {
  return { id: j.id, title: j.title, status: j.status, source: j.source, createdAt: j.createdAt, startedAt: j.startedAt, finishedAt: j.finishedAt, totals: j.totals }
}

const itemView = (i: JobItem) => ({ seq: i.seq, state: i.state, email: i.email, phone: i.phone, userId: i.userId, errorCode: i.errorCode, errorMessage: i.errorMessage })

/** The person's name as the send recorded it (the wizard keeps it under `ledger` for every row). */
function nameOf(i: JobItem): [string | null, string | null] {
  const l = (i.payload as { ledger?: { name?: unknown; lastName?: unknown } }).ledger
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null)
  return [text(l?.name), text(l?.lastName)]
}

const RESULT_HEADER = ['Row', 'E-mail', 'Phone', 'Name', 'Last name', 'Result', 'User ID', 'Code', 'Reason']
const resultRow = (i: JobItem) => [i.seq, i.email, i.phone, ...nameOf(i), i.state, i.userId, i.errorCode, i.errorMessage]

/** Send jobs: progress for the progress bar, the controls, per-row results and their export. */
export function jobsApi(deps: { jobs: JobStore; control: JobControl }): Router {
  const r = Router()

  r.get('/jobs', async (req, res) => {
    const s = sessionOf(res)
    const q = parseInput(listQuery, req.query)
    res.json({ jobs: (await deps.control.list(s.memberId, s, q.limit)).map(jobView) })
  })

  r.get('/jobs/:id', async (req, res) => {
    const s = sessionOf(res)
    const p = await deps.control.progress(s.memberId, String(req.params.id), s)
    res.json({ job: jobView(p.job), ratePerMin: p.ratePerMin, etaSec: p.etaSec })
  })

  r.get('/jobs/:id/items', async (req, res) => {
    const s = sessionOf(res)
    const q = parseInput(itemsQuery, req.query)
    const job = await deps.control.load(s.memberId, String(req.params.id), s)
    const items = await deps.jobs.items(s.memberId, job.id, { limit: q.limit, ...(q.state ? { states: [q.state] } : {}), ...(q.afterSeq !== undefined ? { afterSeq: q.afterSeq } : {}) })
    res.json({ items: items.map(itemView) })
  })

  r.get(['/jobs/:id/results.csv', '/jobs/:id/results.xlsx'], async (req, res) => {
    const s = sessionOf(res)
    const rows: unknown[][] = []
    for await (const page of deps.control.allItems(s.memberId, String(req.params.id), s)) rows.push(...page.map(resultRow))
    const cells = rows as Array<Array<string | number | null>>
    if (req.path.endsWith('.xlsx')) {
      res.attachment('invite-results.xlsx').type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(await toXlsx('Results', RESULT_HEADER, cells))
    } else {
      res.attachment('invite-results.csv').type('text/csv; charset=utf-8').send(toCsv(RESULT_HEADER, cells))
    }
  })

  r.post('/jobs/:id/:action', async (req, res, next) => {
    const action = String(req.params.action) as JobAction
    if (!ACTIONS.includes(action)) return next()
    const s = requireAdmin(res)
    res.json({ job: jobView(await deps.control.act(s.memberId, String(req.params.id), action, s.userId)) })
  })

  return r
}
