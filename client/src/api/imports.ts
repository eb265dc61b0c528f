import { downloadFile, patchJson, postJson, request, type DownloadedFile } from './http'
import type {
  DryRun,
  DryRunRequest,
  Import,
  ReparseRequest,
  RowPatch,
  RowPatchResponse,
  SendImportResponse,
} from './types'

/** Uploads and parsing of a 20 MB spreadsheet take a while. */
const UPLOAD_TIMEOUT_MS = 180_000
const DRY_RUN_TIMEOUT_MS = 180_000

const importPath = (id: string) => `/api/imports/${encodeURIComponent(id)}`

/**
 * POST /api/imports with the file's bytes. Rejections: 400/413/415 with codes
 * empty | too_large | binary | not_spreadsheet | xls_legacy | corrupt_file | unterminated_quote | no_rows | too_many_rows.
 */
export function createFileImport(file: File): Promise<Import> {
  return request<Import>('/api/imports', {
    method: 'POST',
    rawBody: file,
    headers: {
      'Content-Type': 'application/octet-stream',
      // Header values must be ISO-8859-1; the server decodes the percent-encoding.
      'X-File-Name': encodeURIComponent(file.name),
    },
    timeoutMs: UPLOAD_TIMEOUT_MS,
  })
}

/** POST /api/imports with pasted addresses and phone numbers. */
export function createPasteImport(paste: string): Promise<Import> {
  return postJson<Import>('/api/imports', { paste }, { timeoutMs: UPLOAD_TIMEOUT_MS })
}

/** POST /api/imports/:id/reparse: override the detected encoding, delimiter or sheet. */
export function reparseImport(id: string, body: ReparseRequest): Promise<Import> {
  return postJson<Import>(`${importPath(id)}/reparse`, body, { timeoutMs: UPLOAD_TIMEOUT_MS })
}

/** POST /api/imports/:id/dry-run: check every row against the directory without inviting anyone. */
export function runDryRun(id: string, body: DryRunRequest): Promise<DryRun> {
  return postJson<DryRun>(`${importPath(id)}/dry-run`, body, { timeoutMs: DRY_RUN_TIMEOUT_MS })
}

/** PATCH /api/imports/:id/rows/:rowNumber: fix a row inline, or exclude/include it. */
export function updateImportRow(id: string, rowNumber: number, patch: RowPatch): Promise<RowPatchResponse> {
  return patchJson<RowPatchResponse>(`${importPath(id)}/rows/${rowNumber}`, patch)
}

/** GET /api/imports/:id/report.csv: the dry-run report. */
export function downloadImportReport(id: string): Promise<DownloadedFile> {
  return downloadFile(`${importPath(id)}/report.csv`, 'dry-run-report.csv')
}

/** POST /api/imports/:id/send: queue the invitations. 409 dry_run_required | has_errors. */
export function sendImport(id: string): Promise<SendImportResponse> {
  return postJson<SendImportResponse>(`${importPath(id)}/send`, {})
}
