import { getJson } from './http'
import type { AuditListResponse } from './types'

export const AUDIT_PAGE_SIZE = 50

export interface ListAuditEntriesParams {
  limit?: number
  /** Return entries older than this id (keyset pagination, newest first). */
  beforeId?: number
}

/** GET /api/audit (admins): one page of the audit log, newest first. */
export function listAuditEntries(params: ListAuditEntriesParams = {}): Promise<AuditListResponse> {
  return getJson<AuditListResponse>('/api/audit', {
    limit: params.limit ?? AUDIT_PAGE_SIZE,
    beforeId: params.beforeId,
  })
}
