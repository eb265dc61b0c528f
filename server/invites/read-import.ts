import { AppError, InputError } from '../shared/errors.js'
import {
  MAX_IMPORT_ROWS, decodeCsvBytes, detectMapping, tooManyRows, parseCsv, parsePaste, parseXlsx, sniffUpload, summarizeCsv, summarizeTable,
  type ColumnMapping, type CsvDelimiter, type CsvEncoding, type CsvProblem, type TableSummary,
} from './import/index.js'

export interface ImportOverrides {
  encoding?: CsvEncoding
  delimiter?: CsvDelimiter
  sheet?: string
}

export type ImportInput = { kind: 'file'; bytes: Uint8Array; fileName: string | null } | { kind: 'paste'; text: string }

interface ImportBase {
  source: 'csv' | 'xlsx' | 'paste'
  fileName: string | null
  detected: { encoding?: CsvEncoding; delimiter?: CsvDelimiter; sheet?: string; sheets?: string[] }
  headerRow: boolean
  mapping: ColumnMapping
  problems: CsvProblem[]
}

/** What the mapping step shows: the header, the first rows, the count. */
export interface ImportSummary extends ImportBase {
  headers: string[]
  sample: string[][]
  /** Rows to invite (non-empty, header excluded). */
  rowCount: number
}

/** The summary plus every row, for the dry run and the send. */
export interface ParsedImport extends ImportSummary {
  rows: string[][]
}

const MAX_PASTE_CHARS = 2_000_000
/** Rows the mapping step shows, and the rows header detection looks at. */
export const SAMPLE_ROWS = 20

type Source = ImportBase['source']

/**
 * Turns an upload or a paste into rows plus what was detected (encoding, delimiter, sheet) and a first
 * column mapping. Every refusal is an InputError with a code the UI localises; nothing is stored until
 * this succeeds, so a bad file leaves nothing half-done behind.
 */
export async function readImport(input: ImportInput, overrides: ImportOverrides = {}): Promise<ParsedImport> {
  const { table, shape, ...base } = await readTable(input, overrides, 'rows')
  const rows = 'rows' in table ? table.rows : []
  return { ...summaryOf(base, summarizeTable(rows, SAMPLE_ROWS + 1), shape), rows }
}

/**
 * readImport's answer without the rows: a CSV is read row by row keeping only its first rows, so a
 * 50,000-row upload is checked and counted without holding 50,000 rows. Same checks, same refusals.
 */
export async function summarizeImport(input: ImportInput, overrides: ImportOverrides = {}): Promise<ImportSummary> {
  const { table, shape, ...base } = await readTable(input, overrides, 'summary')
  return summaryOf(base, 'rows' in table ? summarizeTable(table.rows, SAMPLE_ROWS + 1) : table, shape)
}

function summaryOf(base: Omit<ImportBase, 'headerRow' | 'mapping'>, t: TableSummary, known: Shape | undefined): ImportSummary {
  const shape = known ?? shapeOf(t)
  const rowCount = shape.headerRow ? t.rowCount - 1 : t.rowCount
  if (rowCount > MAX_IMPORT_ROWS) throw tooManyRows(rowCount)
  const data = shape.headerRow ? t.head.slice(1) : t.head
  return {
    ...base, ...shape,
    headers: shape.headerRow ? t.head[0]! : t.head[0]!.map((_, i) => `#${i + 1}`),
    sample: data.slice(0, SAMPLE_ROWS),
    rowCount,
  }
}

type Shape = { headerRow: boolean; mapping: ColumnMapping }

/** Header detection and the refusals for a file with nothing to invite. */
function shapeOf(t: TableSummary): Shape {
  if (t.rowCount === 0) throw new InputError('no_rows', 'The file has no rows')
  const { mapping, headerRow } = detectMapping(t.head[0]!, t.head.slice(1, SAMPLE_ROWS + 1))
  if (headerRow && t.rowCount < 2) throw new InputError('no_rows', 'The file has a header but no rows to invite')
  return { mapping, headerRow }
}

async function readTable(
  input: ImportInput, overrides: ImportOverrides, want: 'rows' | 'summary',
): Promise<Omit<ImportBase, 'headerRow' | 'mapping'> & { table: { rows: string[][] } | TableSummary; shape?: Shape }> {
  if (input.kind === 'paste') {
    if (input.text.length > MAX_PASTE_CHARS) throw new AppError('too_large', 'The pasted list is too long', 413)
    const items = parsePaste(input.text)
    if (items.length === 0) throw new InputError('no_rows', 'Nothing to invite: paste e-mails or phone numbers')
    // The paste becomes a small table so the rest of the pipeline (mapping, dry run) is the same.
    const rows = [['E-mail', 'Phone', 'Full name'], ...items.map((i) => [i.kind === 'phone' ? '' : i.value, i.kind === 'phone' ? i.value : '', i.name ?? ''])]
    return { source: 'paste', fileName: null, detected: {}, table: { rows }, problems: [], shape: { headerRow: true, mapping: { 0: 'email', 1: 'phone', 2: 'fullName' } } }
  }

  const sniff = sniffUpload(input.bytes, input.fileName ?? undefined)
  if (sniff.kind === 'rejected') {
    throw new AppError(sniff.code, sniff.message, sniff.code === 'too_large' ? 413 : sniff.code === 'empty' ? 400 : 415)
  }
  const source: Source = sniff.kind
  if (sniff.kind === 'xlsx') {
    const x = await parseXlsx(input.bytes, overrides.sheet ? { sheet: overrides.sheet } : {})
    return { source, fileName: input.fileName, detected: { sheet: x.sheet, sheets: x.sheets }, table: { rows: x.rows }, problems: [] }
  }
  const text = decodeCsvBytes(input.bytes, overrides.encoding)
  const delimiter = overrides.delimiter ? { delimiter: overrides.delimiter } : {}
  if (want === 'rows') {
    const csv = parseCsv(text.text, delimiter)
    return { source, fileName: input.fileName, detected: { encoding: text.encoding, delimiter: csv.delimiter }, table: { rows: csv.rows }, problems: csv.problems }
  }
  const { problems, delimiter: found, ...table } = summarizeCsv(text.text, { ...delimiter, keep: SAMPLE_ROWS + 1 })
  return { source, fileName: input.fileName, detected: { encoding: text.encoding, delimiter: found }, table, problems }
}
