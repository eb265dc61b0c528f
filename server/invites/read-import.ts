import { AppError, InputError } from '../shared/errors.js'
import {
  decodeCsvBytes, detectMapping, parseCsv, parsePaste, parseXlsx, sniffUpload,
  type ColumnMapping, type CsvDelimiter, type CsvEncoding, type CsvProblem,
} from './import/index.js'

export interface ImportOverrides {
  encoding?: CsvEncoding
  delimiter?: CsvDelimiter
  sheet?: string
}

export interface ParsedImport {
  source: 'csv' | 'xlsx' | 'paste'
  fileName: string | null
  detected: { encoding?: CsvEncoding; delimiter?: CsvDelimiter; sheet?: string; sheets?: string[] }
  rows: string[][]
  headerRow: boolean
  mapping: ColumnMapping
  problems: CsvProblem[]
}

const MAX_PASTE_CHARS = 2_000_000

/**
 * Turns an upload or a paste into rows plus what was detected (encoding, delimiter, sheet) and a first
 * column mapping. Every refusal is an InputError with a code the UI localises; nothing is stored until
 * this succeeds, so a bad file leaves nothing half-done behind.
 */
export async function readImport(
  input: { kind: 'file'; bytes: Uint8Array; fileName: string | null } | { kind: 'paste'; text: string },
  overrides: ImportOverrides = {},
): Promise<ParsedImport> {
  if (input.kind === 'paste') {
    if (input.text.length > MAX_PASTE_CHARS) throw new AppError('too_large', 'The pasted list is too long', 413)
    const items = parsePaste(input.text)
    if (items.length === 0) throw new InputError('no_rows', 'Nothing to invite: paste e-mails or phone numbers')
    // The paste becomes a small table so the rest of the pipeline (mapping, dry run) is the same.
    const rows = [['E-mail', 'Phone', 'Full name'], ...items.map((i) => [i.kind === 'phone' ? '' : i.value, i.kind === 'phone' ? i.value : '', i.name ?? ''])]
    return { source: 'paste', fileName: null, detected: {}, rows, headerRow: true, mapping: { 0: 'email', 1: 'phone', 2: 'fullName' }, problems: [] }
  }

  const sniff = sniffUpload(input.bytes, input.fileName ?? undefined)
  if (sniff.kind === 'rejected') {
    throw new AppError(sniff.code, sniff.message, sniff.code === 'too_large' ? 413 : sniff.code === 'empty' ? 400 : 415)
  }
  let rows: string[][]
  let detected: ParsedImport['detected']
  let problems: CsvProblem[] = []
  if (sniff.kind === 'xlsx') {
    const x = await parseXlsx(input.bytes, overrides.sheet ? { sheet: overrides.sheet } : {})
    rows = x.rows
    detected = { sheet: x.sheet, sheets: x.sheets }
  } else {
    const text = decodeCsvBytes(input.bytes, overrides.encoding)
    const csv = parseCsv(text.text, overrides.delimiter ? { delimiter: overrides.delimiter } : {})
    rows = csv.rows
    problems = csv.problems
    detected = { encoding: text.encoding, delimiter: csv.delimiter }
  }
  const nonEmpty = rows.filter((r) => r.some((c) => c.trim() !== ''))
  if (nonEmpty.length === 0) throw new InputError('no_rows', 'The file has no rows')
  const header = nonEmpty[0]!
  const { mapping, headerRow } = detectMapping(header, nonEmpty.slice(1, 21))
  if (headerRow && nonEmpty.length < 2) throw new InputError('no_rows', 'The file has a header but no rows to invite')
  return { source: sniff.kind, fileName: input.fileName, detected, rows, headerRow, mapping, problems }
}
