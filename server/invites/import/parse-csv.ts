import Papa from 'papaparse'
import { TableSummarizer, isEmptyRow, summarizeTable, type TableSummary } from './table-summary.js'

export type CsvDelimiter = ',' | ';' | '\t'

export type CsvProblemCode = 'unterminated_quote' | 'malformed_quote' | 'ragged_row' | 'too_many_problems'

export interface CsvProblem {
  /** 1-based record number, as a spreadsheet program shows the row (a quoted line break does not start a new row). */
  row: number
  code: CsvProblemCode
  message: string
}

export interface ParsedCsv {
  delimiter: CsvDelimiter
  rows: string[][]
  problems: CsvProblem[]
}

export interface CsvSummary extends TableSummary {
  delimiter: CsvDelimiter
  problems: CsvProblem[]
}

const CANDIDATES: readonly CsvDelimiter[] = [';', ',', '\t']
/** After this many broken quotes the file does not use quoting consistently; stop re-parsing (it is quadratic). */
const MAX_QUOTE_RECOVERIES = 20
/** Per problem code; the rest are summarised so a 50,000-row file of ragged rows does not flood the UI. */
const MAX_PROBLEMS_PER_CODE = 100

/**
 * Parses delimited text with papaparse. The delimiter is papaparse's guess checked against the header line.
 * A quote that is never closed would make papaparse read the rest of the file as one value; instead that line
 * is reported and read literally, and parsing resumes on the next line.
 */
export function parseCsv(text: string, opts: { delimiter?: CsvDelimiter } = {}): ParsedCsv {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text
  const delimiter = opts.delimiter ?? detectDelimiter(body)
  const { rows, problems } = parseRecovering(body, delimiter, { recoveries: 0 })
  trimTrailingEmptyRows(rows)
  problems.push(...raggedRowProblems(rows, delimiter))
  return { delimiter, rows, problems: capProblems(problems) }
}

/**
 * The same reading as parseCsv, row by row, keeping only the first rows: an upload of 50,000 rows is counted
 * and checked without holding them all. A file with a quote that swallows line breaks needs parseCsv's
 * re-reading around the broken line, so such a file (rare) is read whole instead.
 */
export function summarizeCsv(text: string, opts: { delimiter?: CsvDelimiter; keep: number }): CsvSummary {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text
  const delimiter = opts.delimiter ?? detectDelimiter(body)
  const table = new TableSummarizer(opts.keep)
  const problems: CsvProblem[] = []
  let expected = -1
  let broken = false
  let index = 0
  Papa.parse<string[]>(body, {
    delimiter, quoteChar: '"', escapeChar: '"',
    step(result, parser) {
      const row = result.data
      const quoteErrors = result.errors.filter((e) => e.type === 'Quotes')
      if (quoteErrors.some((e) => e.code === 'MissingQuotes') || (quoteErrors.length > 0 && row.some((v) => /[\r\n]/.test(v)))) {
        broken = true
        parser.abort()
        return
      }
      index++
      if (quoteErrors.length > 0) problems.push(malformedQuote(index))
      if (!table.add(row)) return
      if (expected < 0) expected = row.length
      else if (row.length !== expected) problems.push(raggedRow(index, row.length, expected, delimiter))
    },
  })
  if (!broken) return { delimiter, ...table.result(), problems: capProblems(problems) }
  const whole = parseCsv(text, { delimiter })
  return { delimiter, ...summarizeTable(whole.rows, opts.keep), problems: whole.problems }
}

function detectDelimiter(text: string): CsvDelimiter {
  const guessed = Papa.parse<string[]>(text, { delimitersToGuess: [...CANDIDATES], preview: 50 })
  const undetectable = guessed.errors.some((e) => e.code === 'UndetectableDelimiter')
  const guess = CANDIDATES.find((d) => d === guessed.meta.delimiter) ?? ','

  // The header line is the most reliable witness: data rows may contain commas inside unquoted names
  // ("Иванов, Иван") or a broken quote that confuses papaparse's consistency check.
  const headerFields = new Map(CANDIDATES.map((d) => [d, firstRecordLength(text, d)] as const))
  const guessFields = headerFields.get(guess) ?? 1
  const best = Math.max(...headerFields.values())
  if (!undetectable && guessFields >= 2 && guessFields >= best) return guess
  if (best < 2) return guess
  return CANDIDATES.find((d) => headerFields.get(d) === best) ?? guess
}

function firstRecordLength(text: string, delimiter: CsvDelimiter): number {
  const first = Papa.parse<string[]>(text, { delimiter, preview: 1, skipEmptyLines: 'greedy' }).data[0]
  return first?.length ?? 0
}

interface Parsed {
  rows: string[][]
  problems: CsvProblem[]
}

function parseRecovering(text: string, delimiter: CsvDelimiter, budget: { recoveries: number }): Parsed {
  const result = Papa.parse<string[]>(text, { delimiter, quoteChar: '"', escapeChar: '"' })
  const quoteErrors = result.errors.filter((e) => e.type === 'Quotes').sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
  // A bad quote only matters when it swallowed line breaks; otherwise papaparse's reading of the value is fine.
  const fatal = quoteErrors.find(
    (e) => e.code === 'MissingQuotes' || (result.data[e.row ?? -1] ?? []).some((v) => /[\r\n]/.test(v)),
  )

  if (!fatal || fatal.index === undefined || budget.recoveries >= MAX_QUOTE_RECOVERIES) {
    if (fatal && budget.recoveries >= MAX_QUOTE_RECOVERIES) return readWithoutQuotes(text, delimiter)
    const problems = quoteErrors.map((e) => malformedQuote((e.row ?? 0) + 1))
    return { rows: result.data, problems: dedupeByRow(problems) }
  }

  budget.recoveries++
  const quoteAt = fatal.index - 1 // papaparse points just past the opening quote
  const lineStart = Math.max(text.lastIndexOf('\n', quoteAt), text.lastIndexOf('\r', quoteAt)) + 1
  const lineEnd = nextLineBreak(text, quoteAt)
  const afterLine = lineEnd + (text.startsWith('\r\n', lineEnd) ? 2 : lineEnd < text.length ? 1 : 0)

  const head = lineStart > 0 ? parseRecovering(text.slice(0, lineStart), delimiter, budget) : { rows: [], problems: [] }
  // The head ends with the line break before the broken line, which papaparse reads as one more empty row.
  const lastHeadRow = head.rows.at(-1)
  if (lastHeadRow && lastHeadRow.length === 1 && lastHeadRow[0] === '') head.rows.pop()

  const brokenRow = head.rows.length + 1
  const literal = text.slice(lineStart, lineEnd).split(delimiter)
  const tail = afterLine < text.length ? parseRecovering(text.slice(afterLine), delimiter, budget) : { rows: [], problems: [] }

  return {
    rows: [...head.rows, literal, ...tail.rows],
    problems: [
      ...head.problems,
      {
        row: brokenRow,
        code: 'unterminated_quote',
        message:
          `Row ${brokenRow}: a quote (") opens a value that is never closed. The row was read as it stands, quotes ` +
          'included; check it and fix the quotes if the values are wrong.',
      },
      ...tail.problems.map((p) => ({ ...p, row: p.row + brokenRow })),
    ],
  }
}

/** Last resort for files riddled with stray quotes: one line, one row, quotes are ordinary characters. */
function readWithoutQuotes(text: string, delimiter: CsvDelimiter): Parsed {
  const rows = text.split(/\r\n|\n|\r/).map((line) => line.split(delimiter))
  return {
    rows,
    problems: [
      {
        row: 1,
        code: 'too_many_problems',
        message: `Quotes (") are used inconsistently in this part of the file, so they were read as ordinary characters from here on.`,
      },
    ],
  }
}

function nextLineBreak(text: string, from: number): number {
  const n = text.indexOf('\n', from)
  const r = text.indexOf('\r', from)
  if (n < 0) return r < 0 ? text.length : r
  return r < 0 ? n : Math.min(n, r)
}

function malformedQuote(row: number): CsvProblem {
  return {
    row,
    code: 'malformed_quote',
    message: `Row ${row}: a quoted value has text after its closing quote; the value was kept with the quote inside.`,
  }
}

function dedupeByRow(problems: CsvProblem[]): CsvProblem[] {
  const seen = new Set<number>()
  return problems.filter((p) => !seen.has(p.row) && seen.add(p.row))
}

function trimTrailingEmptyRows(rows: string[][]): void {
  while (rows.length > 0 && isEmptyRow(rows[rows.length - 1] ?? [])) rows.pop()
}

function raggedRowProblems(rows: string[][], delimiter: CsvDelimiter): CsvProblem[] {
  const headerIndex = rows.findIndex((r) => !isEmptyRow(r))
  const expected = rows[headerIndex]?.length ?? 0
  const problems: CsvProblem[] = []
  for (let i = headerIndex + 1; i < rows.length; i++) {
    const row = rows[i] ?? []
    if (row.length !== expected && !isEmptyRow(row)) problems.push(raggedRow(i + 1, row.length, expected, delimiter))
  }
  return problems
}

function raggedRow(row: number, values: number, expected: number, delimiter: CsvDelimiter): CsvProblem {
  const name = delimiter === '\t' ? 'tab' : `"${delimiter}"`
  return {
    row,
    code: 'ragged_row',
    message: values > expected
      ? `Row ${row} has ${values} values but the first row has ${expected}: a value probably contains an unquoted ${name}, so the columns after it are shifted.`
      : `Row ${row} has ${values} values but the first row has ${expected}; the missing ones are read as empty.`,
  }
}

function capProblems(problems: CsvProblem[]): CsvProblem[] {
  const kept: CsvProblem[] = []
  const dropped = new Map<CsvProblemCode, { first: number; count: number }>()
  const counts = new Map<CsvProblemCode, number>()
  for (const p of problems.sort((a, b) => a.row - b.row)) {
    const n = (counts.get(p.code) ?? 0) + 1
    counts.set(p.code, n)
    if (n <= MAX_PROBLEMS_PER_CODE) kept.push(p)
    else {
      const d = dropped.get(p.code)
      if (d) d.count++
      else dropped.set(p.code, { first: p.row, count: 1 })
    }
  }
  for (const [code, d] of dropped) {
    kept.push({
      row: d.first,
      code: 'too_many_problems',
      message: `${d.count} more rows from row ${d.first} on have the same problem (${code}); only the first ${MAX_PROBLEMS_PER_CODE} are listed.`,
    })
  }
  return kept
}
