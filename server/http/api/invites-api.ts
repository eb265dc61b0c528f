import express, { Router, type RequestHandler, type Response } from 'express'
import { z } from 'zod'
import { AppError, NotFoundError } from '../../shared/errors.js'
import type { PeopleNames } from '../../invites/people-names.js'
import { parseInput } from './parse-input.js'
import type { DryRunView, InviteService } from '../../invites/invite-service.js'
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


/** Upload → check → send. Admin-only for now; the policy for managers comes with the embedded tabs. */
export function invitesApi(deps: { invites: InviteService; directory: DirectoryStore; names: PeopleNames }): Router {
  const r = Router()
  const readRaw = express.raw({ type: 'application/octet-stream', limit: MAX_UPLOAD_BYTES + 1 })
  // The body reader's own refusal (a body well past the limit) gets the same answer as the handler's check.
  const raw: RequestHandler = (req, res, next) =>
    readRaw(req, res, (err?: unknown) => next((err as { type?: string } | undefined)?.type === 'entity.too.large' ? tooLarge() : err))

  r.get('/directory', async (_req, res) => {
    const s = sessionOf(res)
    res.json(await directoryView(deps.directory, s.memberId, s))
  })
  r.post('/directory/sync', async (_req, res) => {
    const s = requireAdmin(res)
    await deps.invites.syncDirectory(s.memberId, true)
    res.json(await directoryView(deps.directory, s.memberId, s))
  })

  r.post('/imports', raw, async (req, res) => {
    const s = requireAdmin(res)
    if (Buffer.isBuffer(req.body)) {
      if (req.body.length > MAX_UPLOAD_BYTES) throw tooLarge()
      res.status(201).json(await deps.invites.createImport(s.memberId, s.userId, { kind: 'file', bytes: req.body, fileName: fileNameOf(req.headers['x-file-name']) }))
      return
    }
    if (!req.is('application/json')) {
      throw new AppError('unsupported_body', 'Send the file as application/octet-stream (name in X-File-Name), or JSON {"paste": "…"}', 415)
    }
    const body = parseInput(z.object({ paste: z.string() }), req.body)
    res.status(201).json(await deps.invites.createImport(s.memberId, s.userId, { kind: 'paste', text: body.paste }))
  })

  r.post('/imports/:id/reparse', async (req, res) => {
    const s = requireAdmin(res)
    res.json(await deps.invites.reparse(s.memberId, String(req.params.id), parseInput(reparseBody, req.body)))
  })

  r.post('/imports/:id/dry-run', async (req, res) => {
    const s = requireAdmin(res)
    const b = parseInput(dryRunBody, req.body)
    const mapping: Record<number, string | null> = {}
    for (const [k, v] of Object.entries(b.mapping)) mapping[Number(k)] = v
    await sendDryRun(res, await deps.invites.dryRun(s.memberId, String(req.params.id), {
      mapping, headerRow: b.headerRow, templateId: b.templateId, kind: b.defaults.kind,
      departmentId: b.defaults.departmentId, groupIds: b.defaults.groupIds, lang: b.defaults.lang,
    }))
  })

  r.patch('/imports/:id/rows/:row', async (req, res) => {
    const s = requireAdmin(res)
    const row = Number(req.params.row)
    if (!Number.isInteger(row) || row < 1) throw new NotFoundError('row_not_found', 'No such row')
    const b = parseInput(rowEditBody, req.body)
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
    res.status(201).json(await deps.invites.send(s.memberId, String(req.params.id), { id: s.userId, name: await deps.names.user(s.memberId, s.userId) }))
  })

  return r
}

const tooLarge = () => new AppError('too_large', `The file is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB. Split it into smaller files.`, 413)

/** X-File-Name is percent-encoded by the client; a name that does not decode is kept as sent. */
function fileNameOf(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string' || header === '') return null
  let name = header
  try {
    name = decodeURIComponent(header)
  } catch {
    // Not valid percent-encoding: the raw header is still the best name we have.
  }
  return name.slice(0, 255)
}

/** Hidden groups are listed to admins and their owners only (the cache was read with the admin's token). */
async function directoryView(directory: DirectoryStore, memberId: string, viewer: { userId: number; isAdmin: boolean }) {
  const [departments, groups, users, state] = await Promise.all([
    directory.departments(memberId), directory.groups(memberId), directory.userCount(memberId), directory.getSyncState(memberId),
  ])
  const idx = departmentIndex(departments)
  return {
    departments: departments.map((d) => ({ ...d, path: idx.pathText(d.id) })),
    groups: groups.filter((g) => g.active && (viewer.isAdmin || g.visible !== false || g.ownerId === viewer.userId)).map((g) => ({ id: g.id, name: g.name, isExtranet: g.isExtranet })),
    users,
    syncedAt: state.usersSyncedAt,
  }
}

const ROWS_PER_WRITE = 500

/**
 * The dry-run answer, written a few hundred rows at a time: res.json would build the whole 50,000-row
 * document as one string (tens of MB, two bytes a character once a name is Cyrillic) and then a Buffer of it.
 */
async function sendDryRun(res: Response, view: DryRunView): Promise<void> {
  const { rows, ...head } = view
  res.status(200).type('application/json; charset=utf-8')
  const open = JSON.stringify(head)
  await write(res, `${open.slice(0, -1)}${open.length > 2 ? ',' : ''}"rows":[`)
  for (let i = 0; i < rows.length; i += ROWS_PER_WRITE) {
    // The browser went away: nothing more to write to.
    if (res.destroyed) return
    const chunk = JSON.stringify(rows.slice(i, i + ROWS_PER_WRITE))
    await write(res, (i > 0 ? ',' : '') + chunk.slice(1, -1))
  }
  res.end(']}')
}

/** Waits for the socket to drain when its buffer is full, so the answer does not pile up in memory. */
function write(res: Response, chunk: string): Promise<void> {
  if (res.write(chunk)) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const done = (err?: unknown) => {
      res.off('drain', done)
      res.off('close', done)
      if (err instanceof Error) reject(err)
      else resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
}
