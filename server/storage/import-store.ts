import { randomUUID } from 'node:crypto'
import type { AppDatabase } from './database.js'

/** Row edits the admin made in the dry run, keyed by the file's row number. */
export interface RowEdit {
  email?: string
  phone?: string
  name?: string
  lastName?: string
  position?: string
  department?: string
  groups?: string
}

export interface DryRunSettings {
  mapping: Record<number, string | null>
  headerRow: boolean
  templateId: string | null
  kind: 'intranet' | 'extranet'
  departmentId: number | null
  groupIds: number[]
  lang: 'ru' | 'en'
}

/** An upload or paste between parsing and sending: kept in the database so any instance can serve the next step. */
export interface ImportRecord {
  id: string
  memberId: string
  createdBy: number
  source: 'csv' | 'xlsx' | 'paste'
  fileName: string | null
  /** The original bytes (base64) so the admin can override the detected encoding, delimiter or sheet. */
  original: string | null
  detected: Record<string, unknown>
  rows: string[][]
  headerRow: boolean
  mapping: Record<number, string | null>
  problems: unknown[]
  settings: DryRunSettings | null
  excluded: number[]
  edits: Record<string, RowEdit>
  jobId: string | null
  createdAt: number
  expiresAt: number
}

export interface ImportStore {
  create(r: Omit<ImportRecord, 'id' | 'createdAt' | 'expiresAt' | 'settings' | 'excluded' | 'edits' | 'jobId'>, ttlMs: number, nowMs: number): Promise<ImportRecord>
  get(memberId: string, id: string, nowMs: number): Promise<ImportRecord | undefined>
  update(memberId: string, id: string, patch: Partial<Pick<ImportRecord, 'detected' | 'rows' | 'headerRow' | 'mapping' | 'problems' | 'settings' | 'excluded' | 'edits'>>): Promise<void>
  /** Binds the import to its job once; false if it was already sent (a double click sends once). */
  claimForSend(memberId: string, id: string, jobId: string): Promise<boolean>
  /** Replaces the placeholder set by claimForSend with the created job (or clears it when creation failed). */
  setJobId(memberId: string, id: string, jobId: string | null): Promise<void>
  purgeExpired(nowMs: number): Promise<number>
}

const J = JSON.stringify
const P = <T>(s: string | null, fallback: T): T => (s ? (JSON.parse(s) as T) : fallback)

export function createImportStore(app: AppDatabase): ImportStore {
  const { db } = app
  const toRecord = (r: any): ImportRecord => ({
    id: r.id, memberId: r.member_id, createdBy: Number(r.created_by), source: r.source, fileName: r.file_name, original: r.original,
    detected: P(r.detected, {}), rows: P(r.rows, []), headerRow: r.header_row === 1 || r.header_row === true, mapping: P(r.mapping, {}),
    problems: P(r.problems, []), settings: P(r.settings, null), excluded: P(r.excluded, []), edits: P(r.edits, {}), jobId: r.job_id,
    createdAt: Number(r.created_at), expiresAt: Number(r.expires_at),
  })
  return {
    async create(r, ttlMs, nowMs) {
      const row = {
        id: randomUUID(), member_id: r.memberId, created_by: r.createdBy, source: r.source, file_name: r.fileName, original: r.original,
        detected: J(r.detected), rows: J(r.rows), header_row: r.headerRow ? 1 : 0, mapping: J(r.mapping), problems: J(r.problems),
        settings: null, excluded: '[]', edits: '{}', job_id: null, created_at: nowMs, expires_at: nowMs + ttlMs,
      }
      await db.insertInto('invite_imports').values(row).execute()
      // Answered from what was written: reading back a 20 MB upload's bytes only to return them is waste.
      return toRecord(row)
    },
    async get(memberId, id, nowMs) {
      const r = await db.selectFrom('invite_imports').selectAll().where('member_id', '=', memberId).where('id', '=', id).where('expires_at', '>', nowMs).executeTakeFirst()
      return r ? toRecord(r) : undefined
    },
    async update(memberId, id, patch) {
      const set: Record<string, unknown> = {}
      if (patch.detected) set.detected = J(patch.detected)
      if (patch.rows) set.rows = J(patch.rows)
      if (patch.headerRow !== undefined) set.header_row = patch.headerRow ? 1 : 0
      if (patch.mapping) set.mapping = J(patch.mapping)
      if (patch.problems) set.problems = J(patch.problems)
      if (patch.settings !== undefined) set.settings = patch.settings ? J(patch.settings) : null
      if (patch.excluded) set.excluded = J(patch.excluded)
      if (patch.edits) set.edits = J(patch.edits)
      if (Object.keys(set).length === 0) return
      await db.updateTable('invite_imports').set(set).where('member_id', '=', memberId).where('id', '=', id).execute()
    },
    async claimForSend(memberId, id, jobId) {
      const r = await db.updateTable('invite_imports').set({ job_id: jobId }).where('member_id', '=', memberId).where('id', '=', id).where('job_id', 'is', null).executeTakeFirst()
      return BigInt(r.numUpdatedRows) > 0n
    },
    async setJobId(memberId, id, jobId) {
      await db.updateTable('invite_imports').set({ job_id: jobId }).where('member_id', '=', memberId).where('id', '=', id).execute()
    },
    async purgeExpired(nowMs) {
      const r = await db.deleteFrom('invite_imports').where('expires_at', '<=', nowMs).executeTakeFirst()
      return Number(r.numDeletedRows)
    },
  }
}
