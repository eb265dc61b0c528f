import pLimit from 'p-limit'
import { AppError, InputError, NotFoundError } from '../shared/errors.js'
import type { JobRunner } from '../engine/job-runner.js'
import type { InvitationLifecycle } from '../ledger/invitation-lifecycle.js'
import type { DirectoryStore, DirectoryUser } from '../storage/directory-store.js'
import type { ImportRecord, ImportStore, RowEdit, DryRunSettings } from '../storage/import-store.js'
import type { JobStore, NewJobItem } from '../storage/job-store.js'
import type { PortalStore } from '../storage/portal-store.js'
import type { InviteTemplate, TemplateStore } from '../storage/template-store.js'
import { checkRows, markExisting, rowChecker, summarize, type DryRunRow, type DryRunSummary } from './dry-run.js'
import type { DirectorySync } from './directory-sync.js'
import {
  eachNormalizedRow, normalizeEmail, normalizePhone, normalizeRows, validateMapping,
  type ColumnMapping, type NormalizedRow,
} from './import/index.js'
import { parseDepartment, parseGroups } from './import/field-values.js'
import { readImport, summarizeImport, type ImportInput, type ImportOverrides, type ImportSummary } from './read-import.js'
import { jobItemFor } from './job-item.js'

const IMPORT_TTL_MS = 24 * 60 * 60 * 1000

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
  /** After a sync: invitations whose person has logged in meanwhile are accepted. */
  lifecycle: Pick<InvitationLifecycle, 'acceptSeenInDirectory'>
  now?: () => number
}) {
  const now = deps.now ?? Date.now
  /**
   * Work on a whole file (reading it again, checking every row, creating its job) runs one at a time in this
   * instance, others wait their turn: a 100,000-row file holds well over 100 MB at its peak, and the server's
   * heap is bounded (scripts/server-node-flags.ts), so two at once from two portals must not add up.
   */
  const wholeFile = pLimit(1)

  function view(id: string, s: ImportSummary): ImportView {
    return {
      id, source: s.source, fileName: s.fileName, detected: s.detected, headerRow: s.headerRow, headers: s.headers,
      sample: s.sample, rowCount: s.rowCount, mapping: s.mapping, problems: s.problems,
    }
  }

  async function load(memberId: string, id: string): Promise<ImportRecord> {
    const r = await deps.imports.get(memberId, id, now())
    if (!r) throw new NotFoundError('import_not_found', 'This upload has expired or does not exist; upload the file again')
    return r
  }

  /**
   * Gives a loaded record its rows. A file's rows are not stored (only its bytes, which a reparse needs anyway):
   * they are read again from the bytes with what was detected, which gives the same rows and costs far less
   * memory than a second, JSON copy of 50,000 rows going through the database. Records stored with their
   * rows (pastes, and files from before) are used as they are.
   */
  async function fillRows(r: ImportRecord): Promise<void> {
    if (r.rows.length > 0 || !r.original) return
    const bytes = Buffer.from(r.original, 'base64')
    r.original = null
    r.rows = (await readImport({ kind: 'file', bytes, fileName: r.fileName }, overridesOf(r.detected))).rows
  }

  /** Replaces edited rows in place: the list is ours, and a copy of 50,000 rows for a few edits is waste. */
  function applyEdits(rows: NormalizedRow[], edits: Record<string, RowEdit>): NormalizedRow[] {
    if (Object.keys(edits).length === 0) return rows
    for (let k = 0; k < rows.length; k++) rows[k] = editedRow(rows[k]!, edits)
    return rows
  }

  function editedRow(row: NormalizedRow, edits: Record<string, RowEdit>): NormalizedRow {
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
  }

  /**
   * Checks a freshly loaded record. It takes the record's rows and original bytes (they are emptied once
   * normalised): at 50,000 rows, the parsed cells, the normalised rows and the checked rows together are
   * most of a dry run's peak memory, so no two of them live longer than the step between them.
   */
  async function evaluate(memberId: string, r: ImportRecord, s: DryRunSettings): Promise<{ rows: DryRunRow[] }>
  async function evaluate(memberId: string, r: ImportRecord, s: DryRunSettings, keepNormalized: true): Promise<{ rows: DryRunRow[]; normalized: NormalizedRow[] }>
  async function evaluate(memberId: string, r: ImportRecord, s: DryRunSettings, keepNormalized = false): Promise<{ rows: DryRunRow[]; normalized?: NormalizedRow[] }> {
    await fillRows(r)
    const portal = await deps.portals.get(memberId)
    const [departments, groups] = await Promise.all([deps.directory.departments(memberId), deps.directory.groups(memberId)])
    const ctx = {
      kind: s.kind, defaultDepartmentId: s.departmentId, defaultGroupIds: s.groupIds, defaultLang: s.lang,
      departments, groups, existingByEmail: new Map<string, DirectoryUser>(), existingByPhone: new Map<string, DirectoryUser>(),
      phoneInvite: portal?.capabilities['intranet.invite.inviteusersbyphonenumber'] === true,
    }
    const excluded = new Set(r.excluded)
    const cells: Array<string[] | null> = r.rows
    r.rows = []
    r.original = null
    if (keepNormalized) {
      const normalized = applyEdits(normalizeRows(cells as string[][], s.mapping as ColumnMapping, s.headerRow), r.edits)
      cells.length = 0
      await lookUpExisting(memberId, normalized, ctx)
      return { rows: checkRows(normalized, ctx, excluded), normalized }
    }
    // Each row is read, normalised and checked in one go, so the file's cells, the normalised rows and the
    // checked rows are never all held at once; the directory is asked once, afterwards, for all rows.
    const check = rowChecker(ctx, excluded)
    const rows: DryRunRow[] = []
    for (const n of eachNormalizedRow(cells, s.mapping as ColumnMapping, s.headerRow, { release: true })) rows.push(check(editedRow(n, r.edits)))
    cells.length = 0
    const found = await lookUpExisting(memberId, rows, ctx)
    for (const row of rows) markExisting(row, found.existingByEmail, found.existingByPhone, s.kind)
    return { rows }
  }

  /** Directory users with the rows' e-mails and phones, put into `ctx`. */
  async function lookUpExisting<C extends { existingByEmail: Map<string, DirectoryUser>; existingByPhone: Map<string, DirectoryUser> }>(
    memberId: string, rows: Array<{ email: string | null; phone: string | null }>, ctx: C,
  ): Promise<C> {
    const emails = rows.map((x) => x.email).filter((e): e is string => !!e)
    const phones = rows.map((x) => x.phone).filter((p): p is string => !!p)
    const [byEmail, byPhone] = await Promise.all([deps.directory.usersByEmails(memberId, emails), deps.directory.usersByPhones(memberId, phones)])
    ctx.existingByEmail = byEmail
    ctx.existingByPhone = byPhone
    return ctx
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

  async function syncDirectory(memberId: string, forceFull: boolean): Promise<void> {
    const report = await deps.directorySync.sync(memberId, { forceFull })
    if (report.mode === 'full') await deps.lifecycle.acceptSeenInDirectory(memberId)
  }

  return {
    syncDirectory,

    async createImport(memberId: string, userId: number, input: ImportInput): Promise<ImportView> {
      // A file's rows are not stored (the dry run reads them again from its bytes), so its upload only counts
      // them; a paste has no bytes to read again, so its rows are kept.
      const pasted = input.kind === 'paste' ? await readImport(input) : null
      const parsed = pasted ?? (await summarizeImport(input))
      const bytes = input.kind === 'file' ? input.bytes : null
      const r = await deps.imports.create({
        memberId, createdBy: userId, source: parsed.source, fileName: parsed.fileName,
        original: bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') : null,
        detected: parsed.detected, rows: pasted?.rows ?? [], headerRow: parsed.headerRow, mapping: parsed.mapping, problems: parsed.problems,
      }, IMPORT_TTL_MS, now())
      return view(r.id, parsed)
    },

    async reparse(memberId: string, id: string, overrides: ImportOverrides): Promise<ImportView> {
      const r = await load(memberId, id)
      if (!r.original) throw new InputError('not_a_file', 'A pasted list has nothing to re-read')
      const parsed = await summarizeImport({ kind: 'file', bytes: Buffer.from(r.original, 'base64'), fileName: r.fileName }, overrides)
      await deps.imports.update(memberId, id, {
        detected: parsed.detected, rows: [], headerRow: parsed.headerRow, mapping: parsed.mapping, problems: parsed.problems, settings: null, edits: {}, excluded: [],
      })
      return view(id, parsed)
    },

    async dryRun(memberId: string, id: string, input: DryRunSettings): Promise<DryRunView> {
      // An archived template was deleted by its author: it stays readable for sent invitations, not for new ones.
      const template = input.templateId ? await deps.templates.get(memberId, input.templateId) : undefined
      if (input.templateId && (!template || template.archived)) throw new InputError('unknown_template', 'The chosen template does not exist')
      // Fresh enough to trust: new users since the last pass cost one request (see DirectorySync). Done before
      // the file is read, so the rows are not held while the portal answers.
      await syncDirectory(memberId, false)
      return wholeFile(async () => {
        const r = await load(memberId, id)
        await fillRows(r)
        let columns = 0
        for (const x of r.rows) columns = Math.max(columns, x.length)
        const v = validateMapping(input.mapping, columns)
        if (!v.ok) throw new InputError('invalid_mapping', v.problems.map((p) => p.message).join('; '), v.problems)
        const settings: DryRunSettings = { ...input, mapping: v.mapping }
        await deps.imports.update(memberId, id, { settings, mapping: v.mapping, headerRow: input.headerRow })
        // The loaded record is handed over whole (not copied): evaluate() empties its rows once normalised.
        r.mapping = v.mapping
        r.headerRow = input.headerRow
        return dryRunView(memberId, r, settings)
      })
    },

    /**
     * A pasted list for one target, checked like a file's rows: external people into one group (an extranet
     * group's tab, a collab) or employees into one department (a manager's tab). Ready to send with `send`.
     */
    async checkPasted(memberId: string, userId: number, text: string, t: { kind: 'intranet' | 'extranet'; departmentId: number | null; groupId: number | null; templateId: string | null; lang: 'ru' | 'en' }) {
      const up = await this.createImport(memberId, userId, { kind: 'paste', text })
      const dry = await this.dryRun(memberId, up.id, {
        mapping: up.mapping, headerRow: up.headerRow, templateId: t.templateId, kind: t.kind,
        departmentId: t.kind === 'intranet' ? t.departmentId : null, groupIds: t.groupId !== null ? [t.groupId] : [], lang: t.lang,
      })
      return { importId: up.id, summary: dry.summary, rows: dry.rows }
    },

    /** What a user's own checked list targets (their embedded send); 404 for another user's or an unchecked list. */
    async ownTarget(memberId: string, id: string, userId: number): Promise<{ settings: DryRunSettings; rows: DryRunRow[] }> {
      const r = await load(memberId, id)
      if (r.createdBy !== userId || !r.settings) throw new NotFoundError('import_not_found', 'This upload has expired or does not exist; upload the file again')
      const settings = r.settings
      const { rows } = await wholeFile(() => evaluate(memberId, r, settings))
      return { settings, rows }
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
      r.edits = edits
      r.excluded = [...ex]
      const settings = r.settings
      const { rows } = await wholeFile(() => evaluate(memberId, r, settings))
      const row = rows.find((x) => x.rowNumber === rowNumber)
      // Checked before saving: an edit of a row the file does not have must not linger in the import.
      if (!row) throw new NotFoundError('row_not_found', `There is no row ${rowNumber} in this file`)
      await deps.imports.update(memberId, id, { edits, excluded: r.excluded })
      return { row, summary: summarize(rows) }
    },

    async report(memberId: string, id: string): Promise<DryRunRow[]> {
      const r = await load(memberId, id)
      if (!r.settings) throw new AppError('dry_run_required', 'Run the check first', 409)
      const settings = r.settings
      return (await wholeFile(() => evaluate(memberId, r, settings))).rows
    },

    /** Turns the checked rows into a job; refuses while any included row has an error. */
    /** A group manager's own check of a list into exactly this guest group (group tab); 404 otherwise. */
    async assertGroupImport(memberId: string, id: string, userId: number, groupId: number): Promise<void> {
      const r = await load(memberId, id)
      const s = r.settings
      if (r.createdBy !== userId || !s || s.kind !== 'extranet' || s.groupIds.length !== 1 || s.groupIds[0] !== groupId) {
        throw new NotFoundError('import_not_found', 'This upload has expired or does not exist; upload the file again')
      }
    },

    /**
     * `only`: a send from an embedded tab (a group manager's group tab, a manager's CRM or profile tab): the
     * import must be the sender's own (and target exactly that guest group); the job and its ledger entries
     * then say 'group_tab', the source of every embedded tab.
     */
    send: (memberId: string, id: string, user: { id: number; name: string }, only?: { groupId: number } | { own: true }): Promise<{ jobId: string }> => wholeFile(async () => {
      const r = await load(memberId, id)
      if (!r.settings) throw new AppError('dry_run_required', 'Run the check before sending', 409)
      const foreign = only && (r.createdBy !== user.id || ('groupId' in only && (r.settings.kind !== 'extranet' || r.settings.groupIds.length !== 1 || r.settings.groupIds[0] !== only.groupId)))
      if (foreign) throw new NotFoundError('import_not_found', 'This upload has expired or does not exist; upload the file again')
      if (r.jobId && !r.jobId.startsWith('pending:')) return { jobId: r.jobId }
      const s = r.settings
      const { rows, normalized } = await evaluate(memberId, r, s, true)
      const errors = rows.filter((x) => x.status === 'error')
      if (errors.length) throw new AppError('has_errors', `${errors.length} rows still have errors: fix or exclude them`, 409)
      const template = s.templateId ? await deps.templates.get(memberId, s.templateId) : undefined
      const portal = await deps.portals.get(memberId)
      const items: NewJobItem[] = rows.map((row, k) => jobItemFor(row, normalized[k]!, s.kind, template, { inviter: user.name, portal: portal?.domain ?? '' }))
      // The checked rows are not needed past this point; at 100,000 rows they are tens of MB the job's
      // creation should not have to share the heap with.
      rows.length = 0
      normalized.length = 0
      const claimed = await deps.imports.claimForSend(memberId, id, `pending:${crypto.randomUUID()}`)
      if (!claimed) throw new AppError('already_sending', 'This list is already being sent', 409)
      let job
      try {
        job = await deps.jobs.create(
          {
            memberId, kind: 'bulk_invite', source: only ? 'group_tab' : 'wizard', createdBy: user.id, templateId: s.templateId,
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
    }),
  }
}

export type InviteService = ReturnType<typeof createInviteService>

/** What was detected at upload, as overrides: reading the bytes again with them gives the same rows. */
function overridesOf(detected: Record<string, unknown>): ImportOverrides {
  const o: ImportOverrides = {}
  if (detected.encoding === 'utf-8' || detected.encoding === 'windows-1251') o.encoding = detected.encoding
  if (detected.delimiter === ',' || detected.delimiter === ';' || detected.delimiter === '\t') o.delimiter = detected.delimiter
  if (typeof detected.sheet === 'string') o.sheet = detected.sheet
  return o
}
