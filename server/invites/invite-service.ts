import { AppError, InputError, NotFoundError } from '../shared/errors.js'
import type { JobRunner } from '../engine/job-runner.js'
import type { JobItemPayload } from '../engine/job-runner.js'
import type { DirectoryStore } from '../storage/directory-store.js'
import type { ImportRecord, ImportStore, RowEdit, DryRunSettings } from '../storage/import-store.js'
import type { JobStore, NewJobItem } from '../storage/job-store.js'
import type { PortalStore } from '../storage/portal-store.js'
import type { InviteTemplate, TemplateStore } from '../storage/template-store.js'
import { checkRows, summarize, type DryRunRow, type DryRunSummary } from './dry-run.js'
import type { DirectorySync } from './directory-sync.js'
import {
  normalizeEmail, normalizePhone, normalizeRows, validateMapping,
  type ColumnMapping, type NormalizedRow,
} from './import/index.js'
import { parseDepartment, parseGroups } from './import/field-values.js'
import { readImport, type ImportOverrides } from './read-import.js'
import { renderTemplate } from './render-template.js'

const IMPORT_TTL_MS = 24 * 60 * 60 * 1000
const SAMPLE_ROWS = 20

export interface ImportView {
  id: string
  source: ImportRecord['source']
  fileName: string | null
  detected: Record<string, unknown>
  headerRow: boolean
  headers: string[]
  sample: string[][]
  rowCount: number
  mapping: Record<number, string | null>
  problems: unknown[]
}

export interface DryRunView {
  summary: DryRunSummary
  rows: DryRunRow[]
  messageText: { supported: 'yes' | 'no' | 'unknown' }
  phoneInvite: boolean
}

/**
 * Templated bulk invites, from an upload to a running job: parse, map, dry-run against the directory
 * cache, fix rows, send through the job engine. Knows nothing about HTTP.
 */
export function createInviteService(deps: {
  imports: ImportStore
  templates: TemplateStore
  directory: DirectoryStore
  directorySync: DirectorySync
  jobs: JobStore
  portals: PortalStore
  runner: Pick<JobRunner, 'kick'>
  now?: () => number
}) {
  const now = deps.now ?? Date.now

  function view(r: ImportRecord): ImportView {
    const nonEmpty = r.rows.filter((row) => row.some((c) => c.trim() !== ''))
    const headers = r.headerRow ? nonEmpty[0] ?? [] : (nonEmpty[0] ?? []).map((_, i) => `#${i + 1}`)
    const data = r.headerRow ? nonEmpty.slice(1) : nonEmpty
    return {
      id: r.id, source: r.source, fileName: r.fileName, detected: r.detected, headerRow: r.headerRow, headers,
      sample: data.slice(0, SAMPLE_ROWS), rowCount: data.length, mapping: r.mapping, problems: r.problems,
    }
  }

  async function load(memberId: string, id: string): Promise<ImportRecord> {
    const r = await deps.imports.get(memberId, id, now())
    if (!r) throw new NotFoundError('import_not_found', 'This upload has expired or does not exist; upload the file again')
    return r
  }

  function applyEdits(rows: NormalizedRow[], edits: Record<string, RowEdit>): NormalizedRow[] {
    return rows.map((row) => {
      const e = edits[String(row.rowNumber)]
      if (!e) return row
      const next: NormalizedRow = { ...row, issues: row.issues.filter((i) => !['email', 'phone', 'department', 'groups', 'contact'].includes(i.field) && i.code !== 'missing_contact') }
      if (e.name !== undefined) next.name = e.name.trim() || null
      if (e.lastName !== undefined) next.lastName = e.lastName.trim() || null
      if (e.position !== undefined) next.position = e.position.trim() || null
      if (e.email !== undefined) {
        const v = e.email.trim()
        const r = v ? normalizeEmail(v) : null
        next.email = r?.ok ? r.value : null
        if (r && !r.ok) next.issues.push({ field: 'email', code: 'invalid_email', message: r.reason, severity: 'error', value: v })
      } else if (row.issues.some((i) => i.field === 'email')) next.issues.push(...row.issues.filter((i) => i.field === 'email'))
      if (e.phone !== undefined) {
        const v = e.phone.trim()
        const r = v ? normalizePhone(v) : null
        next.phone = r?.ok ? r.value : null
        if (r && !r.ok) next.issues.push({ field: 'phone', code: 'invalid_phone', message: r.reason, severity: 'error', value: v })
      } else if (row.issues.some((i) => i.field === 'phone')) next.issues.push(...row.issues.filter((i) => i.field === 'phone'))
      if (e.department !== undefined) next.department = e.department.trim() ? parseDepartment(e.department) : null
      if (e.groups !== undefined) next.groups = parseGroups(e.groups).groups
      if (!next.email && !next.phone) next.issues.push({ field: 'email', code: 'missing_contact', message: 'The row has neither an e-mail nor a phone number', severity: 'error' })
      return next
    })
  }

  async function evaluate(memberId: string, r: ImportRecord, s: DryRunSettings): Promise<{ rows: DryRunRow[]; normalized: NormalizedRow[] }> {
    const normalized = applyEdits(normalizeRows(r.rows, s.mapping as ColumnMapping, s.headerRow), r.edits)
    const emails = normalized.map((x) => x.email).filter((e): e is string => !!e)
    const phones = normalized.map((x) => x.phone).filter((p): p is string => !!p)
    const portal = await deps.portals.get(memberId)
    const [byEmail, byPhone, departments, groups] = await Promise.all([
      deps.directory.usersByEmails(memberId, emails),
      deps.directory.usersByPhones(memberId, phones),
      deps.directory.departments(memberId),
      deps.directory.groups(memberId),
    ])
    const rows = checkRows(normalized, {
      kind: s.kind, defaultDepartmentId: s.departmentId, defaultGroupIds: s.groupIds, defaultLang: s.lang,
      departments, groups, existingByEmail: byEmail, existingByPhone: byPhone,
      phoneInvite: portal?.capabilities['intranet.invite.inviteusersbyphonenumber'] === true,
    }, new Set(r.excluded))
    return { rows, normalized }
  }

  async function dryRunView(memberId: string, r: ImportRecord, s: DryRunSettings): Promise<DryRunView> {
    const { rows } = await evaluate(memberId, r, s)
    const portal = await deps.portals.get(memberId)
    return {
      summary: summarize(rows), rows,
      // MESSAGE_TEXT is undocumented (legacy docs and source only): we send it, but cannot know the portal honours it.
      messageText: { supported: 'unknown' },
      phoneInvite: portal?.capabilities['intranet.invite.inviteusersbyphonenumber'] === true,
    }
  }

  return {
    async createImport(memberId: string, userId: number, input: Parameters<typeof readImport>[0]): Promise<ImportView> {
      const parsed = await readImport(input)
      const r = await deps.imports.create({
        memberId, createdBy: userId, source: parsed.source, fileName: parsed.fileName,
        original: input.kind === 'file' ? Buffer.from(input.bytes).toString('base64') : null,
        detected: parsed.detected, rows: parsed.rows, headerRow: parsed.headerRow, mapping: parsed.mapping, problems: parsed.problems,
      }, IMPORT_TTL_MS, now())
      return view(r)
    },

    async reparse(memberId: string, id: string, overrides: ImportOverrides): Promise<ImportView> {
      const r = await load(memberId, id)
      if (!r.original) throw new InputError('not_a_file', 'A pasted list has nothing to re-read')
      const parsed = await readImport({ kind: 'file', bytes: Buffer.from(r.original, 'base64'), fileName: r.fileName }, overrides)
      await deps.imports.update(memberId, id, {
        detected: parsed.detected, rows: parsed.rows, headerRow: parsed.headerRow, mapping: parsed.mapping, problems: parsed.problems, settings: null, edits: {}, excluded: [],
      })
      return view(await load(memberId, id))
    },

    async dryRun(memberId: string, id: string, input: DryRunSettings): Promise<DryRunView> {
      const r = await load(memberId, id)
      const columns = Math.max(0, ...r.rows.map((x) => x.length))
      const v = validateMapping(input.mapping, columns)
      if (!v.ok) throw new InputError('invalid_mapping', v.problems.map((p) => p.message).join('; '), v.problems)
      if (input.templateId && !(await deps.templates.get(memberId, input.templateId))) throw new InputError('unknown_template', 'The chosen template does not exist')
      // Fresh enough to trust: new users since the last pass cost one request (see DirectorySync).
      await deps.directorySync.sync(memberId)
      const settings: DryRunSettings = { ...input, mapping: v.mapping }
      await deps.imports.update(memberId, id, { settings, mapping: v.mapping, headerRow: input.headerRow })
      return dryRunView(memberId, { ...r, mapping: v.mapping, headerRow: input.headerRow }, settings)
    },

    async editRow(memberId: string, id: string, rowNumber: number, edit: RowEdit & { excluded?: boolean }): Promise<{ row: DryRunRow; summary: DryRunSummary }> {
      const r = await load(memberId, id)
      if (!r.settings) throw new AppError('dry_run_required', 'Run the check first', 409)
      const { excluded, ...fields } = edit
      const edits = { ...r.edits }
      if (Object.keys(fields).length) edits[String(rowNumber)] = { ...edits[String(rowNumber)], ...fields }
      const ex = new Set(r.excluded)
      if (excluded === true) ex.add(rowNumber)
      if (excluded === false) ex.delete(rowNumber)
      const next = { ...r, edits, excluded: [...ex] }
      await deps.imports.update(memberId, id, { edits, excluded: next.excluded })
      const { rows } = await evaluate(memberId, next, r.settings)
      const row = rows.find((x) => x.rowNumber === rowNumber)
      if (!row) throw new NotFoundError('row_not_found', `There is no row ${rowNumber} in this file`)
      return { row, summary: summarize(rows) }
    },

    async report(memberId: string, id: string): Promise<DryRunRow[]> {
      const r = await load(memberId, id)
      if (!r.settings) throw new AppError('dry_run_required', 'Run the check first', 409)
      return (await evaluate(memberId, r, r.settings)).rows
    },

    /** Turns the checked rows into a job; refuses while any included row has an error. */
    async send(memberId: string, id: string, user: { id: number; name: string }): Promise<{ jobId: string }> {
      const r = await load(memberId, id)
      if (!r.settings) throw new AppError('dry_run_required', 'Run the check before sending', 409)
      if (r.jobId && !r.jobId.startsWith('pending:')) return { jobId: r.jobId }
      const s = r.settings
      const { rows, normalized } = await evaluate(memberId, r, s)
      const errors = rows.filter((x) => x.status === 'error')
      if (errors.length) throw new AppError('has_errors', `${errors.length} rows still have errors: fix or exclude them`, 409)
      const template = s.templateId ? await deps.templates.get(memberId, s.templateId) : undefined
      const portal = await deps.portals.get(memberId)
      const items: NewJobItem[] = rows.map((row, k) => itemFor(row, normalized[k]!, s, template, { inviter: user.name, portal: portal?.domain ?? '' }))
      const claimed = await deps.imports.claimForSend(memberId, id, `pending:${crypto.randomUUID()}`)
      if (!claimed) throw new AppError('already_sending', 'This list is already being sent', 409)
      let job
      try {
        job = await deps.jobs.create(
          {
            memberId, kind: 'bulk_invite', source: 'wizard', createdBy: user.id, templateId: s.templateId,
            title: r.fileName ?? 'Pasted list', options: { expireAfterDays: template?.expireAfterDays ?? null, importId: id },
          },
          items,
        )
      } catch (e) {
        await deps.imports.setJobId(memberId, id, null)
        throw e
      }
      await deps.imports.setJobId(memberId, id, job.id)
      await deps.jobs.setStatus(memberId, job.id, ['queued'], 'running')
      deps.runner.kick()
      return { jobId: job.id }
    },
  }
}

export type InviteService = ReturnType<typeof createInviteService>

function itemFor(row: DryRunRow, n: NormalizedRow, s: DryRunSettings, template: InviteTemplate | undefined, ctx: { inviter: string; portal: string }): NewJobItem {
  if (row.status === 'excluded') return { email: row.email, phone: row.phone, payload: {}, state: 'skipped', errorCode: 'excluded', errorMessage: 'Excluded in the dry run' }
  if (row.existing) return { email: row.email, phone: row.phone, payload: {}, state: 'skipped', errorCode: 'already_exists', errorMessage: `Already in the portal (user ${row.existing.userId}, ${row.existing.state})` }
  const fields: Record<string, unknown> = {}
  if (n.name) fields.NAME = n.name
  if (n.lastName) fields.LAST_NAME = n.lastName
  if (n.secondName) fields.SECOND_NAME = n.secondName
  if (n.position) fields.WORK_POSITION = n.position
  for (const [code, value] of Object.entries(n.userFields)) fields[code] = value
  if (s.kind === 'extranet') {
    fields.EXTRANET = 'Y'
    fields.SONET_GROUP_ID = row.groups.map((g) => g.id)
  } else {
    fields.UF_DEPARTMENT = row.department ? [row.department.id] : []
  }
  const text = template ? template.texts[row.lang] || template.texts[template.defaultLang] : ''
  const messageText = text
    ? renderTemplate(text, {
        name: n.name, lastName: n.lastName, position: n.position, department: row.department?.path.split(' / ').at(-1) ?? null,
        groups: row.groups.map((g) => g.name).join(', '), inviter: ctx.inviter, portal: ctx.portal,
      })
    : null
  const payload: JobItemPayload = {
    email: row.email, phone: row.phone, fields, messageText,
    ledger: { name: n.name, lastName: n.lastName, kind: s.kind, departmentId: row.department?.id ?? null, groupIds: row.groups.map((g) => g.id) },
  }
  return { email: row.email, phone: row.phone, payload: payload as unknown as Record<string, unknown> }
}
