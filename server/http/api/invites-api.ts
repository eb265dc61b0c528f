import express, { Router } from 'express'
import { z } from 'zod'
import { AppError, InputError, NotFoundError } from '../../shared/errors.js'
import type { InviteService } from '../../invites/invite-service.js'
import type { DirectorySync } from '../../invites/directory-sync.js'
import type { DirectoryStore } from '../../storage/directory-store.js'
import { departmentIndex } from '../../invites/dry-run.js'
import { MAX_UPLOAD_BYTES } from '../../invites/import/index.js'
import { toCsv } from '../../invites/export-table.js'
import { requireAdmin, sessionOf } from './require-session.js'

const dryRunBody = z.object({
  mapping: z.record(z.string(), z.string().nullable()),
  headerRow: z.boolean(),
  templateId: z.string().uuid().nullable(),
  defaults: z.object({
    kind: z.enum(['intranet', 'extranet']),
    departmentId: z.number().int().positive().nullable(),
    groupIds: z.array(z.number().int().positive()).max(50),
    lang: z.enum(['ru', 'en']),
  }),
})
const rowEditBody = z.object({
  email: z.string().max(320).optional(),
  phone: z.string().max(40).optional(),
  name: z.string().max(100).optional(),
  lastName: z.string().max(100).optional(),
  position: z.string().max(200).optional(),
  department: z.string().max(500).optional(),
  groups: z.string().max(1000).optional(),
  excluded: z.boolean().optional(),
}).strict()
const reparseBody = z.object({
  encoding: z.enum(['utf-8', 'windows-1251']).optional(),
  delimiter: z.enum([',', ';', '\t']).optional(),
  sheet: z.string().max(200).optional(),
}).strict()

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body)
  if (!r.success) throw new InputError('bad_request', 'The request is not valid', r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })))
  return r.data
}

/** Upload → check → send. Admin-only for now; the policy for managers comes with the embedded tabs. */
export function invitesApi(deps: { invites: InviteService; directory: DirectoryStore; directorySync: DirectorySync }): Router {
  const r = Router()
  const raw = express.raw({ type: 'application/octet-stream', limit: MAX_UPLOAD_BYTES + 1 })

  r.get('/directory', async (_req, res) => {
    const { memberId } = sessionOf(res)
    res.json(await directoryView(deps.directory, memberId))
  })
  r.post('/directory/sync', async (_req, res) => {
    const { memberId } = requireAdmin(res)
    await deps.directorySync.sync(memberId, { forceFull: true })
    res.json(await directoryView(deps.directory, memberId))
  })

  r.post('/imports', raw, async (req, res) => {
    const s = requireAdmin(res)
    if (Buffer.isBuffer(req.body)) {
      if (req.body.length > MAX_UPLOAD_BYTES) throw new AppError('too_large', 'The file is larger than 20 MB', 413)
      const fileName = typeof req.headers['x-file-name'] === 'string' ? decodeURIComponent(req.headers['x-file-name']).slice(0, 255) : null
      res.status(201).json(await deps.invites.createImport(s.memberId, s.userId, { kind: 'file', bytes: req.body, fileName }))
      return
    }
    const body = parse(z.object({ paste: z.string() }), req.body)
    res.status(201).json(await deps.invites.createImport(s.memberId, s.userId, { kind: 'paste', text: body.paste }))
  })

  r.post('/imports/:id/reparse', async (req, res) => {
    const s = requireAdmin(res)
    res.json(await deps.invites.reparse(s.memberId, String(req.params.id), parse(reparseBody, req.body)))
  })

  r.post('/imports/:id/dry-run', async (req, res) => {
    const s = requireAdmin(res)
    const b = parse(dryRunBody, req.body)
    const mapping: Record<number, string | null> = {}
    for (const [k, v] of Object.entries(b.mapping)) mapping[Number(k)] = v
    res.json(await deps.invites.dryRun(s.memberId, String(req.params.id), {
      mapping, headerRow: b.headerRow, templateId: b.templateId, kind: b.defaults.kind,
      departmentId: b.defaults.departmentId, groupIds: b.defaults.groupIds, lang: b.defaults.lang,
    }))
  })

  r.patch('/imports/:id/rows/:row', async (req, res) => {
    const s = requireAdmin(res)
    const row = Number(req.params.row)
    if (!Number.isInteger(row) || row < 1) throw new NotFoundError('row_not_found', 'No such row')
    const b = parse(rowEditBody, req.body)
    const edit = Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined))
    res.json(await deps.invites.editRow(s.memberId, String(req.params.id), row, edit))
  })

  r.get('/imports/:id/report.csv', async (req, res) => {
    const s = requireAdmin(res)
    const rows = await deps.invites.report(s.memberId, String(req.params.id))
    const csv = toCsv(
      ['Row', 'Status', 'E-mail', 'Phone', 'Name', 'Last name', 'Department', 'Groups', 'Existing user', 'Problems'],
      rows.map((x) => [
        x.rowNumber, x.status, x.email, x.phone, x.name, x.lastName, x.department?.path ?? '', x.groups.map((g) => g.name).join(', '),
        x.existing ? `${x.existing.userId} (${x.existing.state})` : '', x.issues.map((i) => `${i.field}: ${i.message}`).join('; '),
      ]),
    )
    res.attachment('dry-run-report.csv').type('text/csv; charset=utf-8').send(csv)
  })

  r.post('/imports/:id/send', async (req, res) => {
    const s = requireAdmin(res)
    res.status(201).json(await deps.invites.send(s.memberId, String(req.params.id), { id: s.userId, name: `#${s.userId}` }))
  })

  return r
}

async function directoryView(directory: DirectoryStore, memberId: string) {
  const [departments, groups, users, state] = await Promise.all([
    directory.departments(memberId), directory.groups(memberId), directory.userCount(memberId), directory.getSyncState(memberId),
  ])
  const idx = departmentIndex(departments)
  return {
    departments: departments.map((d) => ({ ...d, path: idx.pathText(d.id) })),
    groups: groups.filter((g) => g.active).map((g) => ({ id: g.id, name: g.name, isExtranet: g.isExtranet })),
    users,
    syncedAt: state.usersSyncedAt,
  }
}
