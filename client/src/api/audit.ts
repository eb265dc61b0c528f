import { downloadFile, getJson, type DownloadedFile, type QueryValue } from './http'
import type { AuditListResponse } from './types'

export const AUDIT_PAGE_SIZE = 50

/** What the audit log can be narrowed to; empty values are left out. */
export interface AuditFilters {
  /** An action code, or a family ending with a dot (e.g. `invite_request.`). */
  action: string
  /** A user id as typed; empty = anyone. */
  actor: string
  /** YYYY-MM-DD, inclusive; empty = no bound. */
  from: string
  /** YYYY-MM-DD, inclusive; empty = no bound. */
  to: string
  result: '' | 'ok' | 'refused' | 'failed'
}

export function emptyAuditFilters(): AuditFilters {
  return { action: '', actor: '', from: '', to: '', result: '' }
}

/** Local midnight of a YYYY-MM-DD day, `plusDays` later (calendar days: right across DST changes). */
function localDay(text: string, plusDays = 0): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plusDays).getTime() : undefined
}

/** Filters as query parameters (the day bounds in the viewer's time zone, `to` including its whole day). */
export function auditQuery(f: AuditFilters): Record<string, QueryValue> {
  const actor = /^\d{1,10}$/.test(f.actor.trim()) ? Number(f.actor.trim()) : undefined
  return {
    action: f.action || undefined,
    actor,
    from: localDay(f.from),
    to: localDay(f.to, 1),
    result: f.result || undefined,
  }
}

export interface ListAuditEntriesParams {
  limit?: number
  /** Return entries older than this id (keyset pagination, newest first). */
  beforeId?: number
  filters?: AuditFilters
}

/** GET /api/audit (admins): one page of the audit log, newest first. */
export function listAuditEntries(params: ListAuditEntriesParams = {}): Promise<AuditListResponse> {
  return getJson<AuditListResponse>('/api/audit', {
    limit: params.limit ?? AUDIT_PAGE_SIZE,
    beforeId: params.beforeId,
    ...(params.filters ? auditQuery(params.filters) : {}),
  })
}

/** GET /api/audit/export.csv|xlsx (admins): the filtered log as a file. */
export function downloadAudit(filters: AuditFilters, format: 'csv' | 'xlsx'): Promise<DownloadedFile> {
  return downloadFile(`/api/audit/export.${format}`, `audit.${format}`, auditQuery(filters))
}
