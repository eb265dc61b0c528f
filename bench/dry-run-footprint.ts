/**
 * Child process (run with --expose-gc): what the structures of a 50,000-row dry run hold once built, so the
 * peak RSS of the server run can be read against them. Replays the server's steps in process with the same
 * file: parse (readImport), what the import store writes (the base64 original; a file's rows are read
 * again from it), normalise and check row by row (invite-service.ts evaluate), the directory's matches, and
 * the JSON answer, which the server writes 500 rows at a time. Heap retained after a full GC, per step.
 *
 * Input: env BENCH_FOOTPRINT (JSON {rows, directoryUsers}). Output: one IPC message (Footprint).
 */
import { readImport } from '../server/invites/read-import.js'
import { eachNormalizedRow, type ColumnMapping } from '../server/invites/import/index.js'
import { markExisting, rowChecker, summarize, type DryRunRow } from '../server/invites/dry-run.js'
import type { DirectoryUser } from '../server/storage/directory-store.js'
import { DEPARTMENTS, messyList } from './fixtures.js'

export interface Footprint {
  /** Step → MB retained on the V8 heap after the step (GC'd), on top of the previous step. */
  retainedMb: Record<string, number>
  /** Characters of the JSON answer (Cyrillic makes it a two-byte string in V8). */
  answerChars: number
}

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with --expose-gc')
const heapMb = (): number => {
  gc()
  gc()
  return process.memoryUsage().heapUsed / 2 ** 20
}
const { rows: n, directoryUsers } = JSON.parse(process.env.BENCH_FOOTPRINT ?? '') as { rows: number; directoryUsers: number }
// The same e-mails seedDirectory(portal, directoryUsers, 7) gives the portal in dry-run-memory.ts.
const staff = Array.from({ length: directoryUsers }, (_, i) => `staff.7.${i + 1}@corp.example`)
const { bytes } = messyList(n, { existingEmails: staff, existingShare: 0.05, seed: 50 })

const retainedMb: Record<string, number> = {}
let last = heapMb()
const mark = (step: string): void => {
  const now = heapMb()
  retainedMb[step] = now - last
  last = now
}

const parsed = await readImport({ kind: 'file', bytes, fileName: 'people.csv' })
mark('parsed rows (string[][])')
const stored = { original: Buffer.from(bytes).toString('base64') }
mark('stored form (base64 original)')
const check = rowChecker({
  kind: 'intranet', defaultDepartmentId: null, defaultGroupIds: [], defaultLang: 'ru', phoneInvite: false,
  departments: [{ id: 1, name: 'Company', parentId: null }, ...DEPARTMENTS.map((name, i) => ({ id: i + 2, name, parentId: 1 }))],
  groups: [], existingByEmail: new Map(), existingByPhone: new Map(),
}, new Set())
// As the server does: each row's cells are dropped once it is normalised and checked.
const cells: Array<string[] | null> = parsed.rows
parsed.rows = []
const checked: DryRunRow[] = []
for (const r of eachNormalizedRow(cells, parsed.mapping as ColumnMapping, parsed.headerRow, { release: true })) checked.push(check(r))
cells.length = 0
const known = new Set(staff)
const existingByEmail = new Map<string, DirectoryUser>()
for (const r of checked) {
  if (r.email && known.has(r.email)) {
    existingByEmail.set(r.email, { id: 2, email: r.email, phone: null, name: null, lastName: null, active: true, userType: 'employee', lastLogin: 1, invited: false, departments: [1], syncedAt: 0 })
  }
}
for (const r of checked) markExisting(r, existingByEmail, new Map(), 'intranet')
mark('dry-run rows (parsed rows released)')
const summary = summarize(checked)
let answerChars = JSON.stringify({ summary }).length
let chunk = ''
for (let i = 0; i < checked.length; i += 500) {
  const c = JSON.stringify(checked.slice(i, i + 500))
  answerChars += c.length
  if (c.length > chunk.length) chunk = c
}
mark('largest JSON chunk of the answer (string)')
process.send?.({ retainedMb, answerChars } satisfies Footprint, () => process.exit(0))
// Keep everything alive until the message is out.
void [stored, checked, chunk]
