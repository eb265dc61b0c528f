import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { crc32, createInflateRaw } from 'node:zlib'
import type ExcelJS from 'exceljs'
import { InputError } from '../../shared/errors.js'
import { MAX_IMPORT_ROWS, tooManyRows } from './sniff-upload.js'
import { cellText } from './xlsx-cell-text.js'
import { readZipDirectory, type ZipEntry } from './zip-directory.js'

export type XlsxErrorCode = 'corrupt_file' | 'not_xlsx' | 'too_large' | 'sheet_not_found'

export class XlsxParseError extends InputError {
  declare readonly code: XlsxErrorCode
  constructor(code: XlsxErrorCode, message: string, details?: unknown) {
    super(code, message, details)
  }
}

export interface ParsedXlsx {
  /** Worksheet names in tab order (chart sheets are not listed). */
  sheets: string[]
  /** The sheet the rows come from. */
  sheet: string
  /** rows[i] is sheet row i + 1, so row numbers stay true to the file; trailing empty rows are dropped. */
  rows: string[][]
}

/** Declared uncompressed size of the entries we read; far above any honest 20 MB upload, it stops ZIP bombs. */
export const MAX_XLSX_XML_BYTES = 400 * 1024 * 1024

/** Entries the reader needs before any worksheet, in this order. */
const PRELUDE = ['xl/workbook.xml', 'xl/_rels/workbook.xml.rels', 'xl/styles.xml', 'xl/sharedStrings.xml'] as const
/** The only worksheet entry names exceljs's streaming reader recognises. */
const WORKSHEET = /^xl\/worksheets\/sheet\d+\.xml$/
const EMPTY_SHARED_STRINGS =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
  '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>'

/**
 * Reads one worksheet of an .xlsx as display strings, with exceljs's streaming reader (the in-memory
 * reader needs several times more memory for large sheets).
 * By default the sheet is the first non-empty visible worksheet in tab order (hidden ones only if all
 * visible ones are empty); `opts.sheet` picks one by name.
 */
export async function parseXlsx(bytes: Uint8Array, opts: { sheet?: string } = {}): Promise<ParsedXlsx> {
  const records = streamableRecords(bytes)
  await verifyRecords(records)
  // Loaded on the first spreadsheet: exceljs is tens of MB of heap that a server reading CSVs never needs.
  const { default: Excel } = await import('exceljs')
  const reader = new Excel.stream.xlsx.WorkbookReader(Readable.from(zipStream(records), { objectMode: false }), {
    worksheets: 'emit',
    sharedStrings: 'cache',
    // Styles tell date cells from numbers; hyperlinks are not needed, a hyperlink cell's value is its text.
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  })

  const seen: SheetInfo[] = []
  let chosen: { info: SheetInfo; rows: string[][] } | null = null
  try {
    for await (const worksheet of reader) {
      const info = sheetInfo(reader, worksheet, seen.length)
      seen.push(info)
      const wanted = opts.sheet === undefined ? !chosen || ranksBefore(info, chosen.info) : info.name === opts.sheet
      // A sheet we do not iterate is drained by the reader, unparsed.
      if (!wanted) continue
      const rows = await readRows(worksheet)
      if (opts.sheet !== undefined || rows.length > 0) chosen = { info, rows }
    }
  } catch (error) {
    if (error instanceof InputError && error.code === 'too_many_rows') throw error
    throw damaged(null, error instanceof Error ? error.message : String(error))
  }

  const sheets = [...seen].sort((a, b) => a.tab - b.tab)
  if (opts.sheet !== undefined && !chosen) {
    throw new XlsxParseError('sheet_not_found', `The workbook has no worksheet named "${opts.sheet}".`, {
      sheets: sheets.map((s) => s.name),
    })
  }
  if (sheets.length === 0) throw new XlsxParseError('not_xlsx', 'The workbook contains no worksheets.')
  const fallback = [...sheets].sort(compareRank)[0] as SheetInfo
  return { sheets: sheets.map((s) => s.name), sheet: (chosen?.info ?? fallback).name, rows: chosen?.rows ?? [] }
}

interface SheetInfo {
  name: string
  tab: number
  hidden: boolean
}

/**
 * exceljs streams a worksheet only if the shared strings, styles and workbook parts came before it in the
 * archive; otherwise it spools the sheet to a temporary file. Excel writes sheets first, so every real file
 * would take that path (disk I/O, and about three times the memory). The archive is therefore re-emitted
 * with the parts the reader needs first and the rest (themes, images, printer settings) left out.
 */
function streamableRecords(bytes: Uint8Array): ZipRecord[] {
  const directory = readZipDirectory(bytes)
  if (!directory.ok) {
    throw new XlsxParseError('corrupt_file', 'The file is not a readable .xlsx workbook: the ZIP archive is damaged or truncated.', {
      reason: directory.reason,
    })
  }
  const byName = new Map(directory.entries.map((e) => [e.name, e]))
  if (!byName.has('xl/workbook.xml') || !byName.has('xl/_rels/workbook.xml.rels')) {
    throw new XlsxParseError('not_xlsx', 'The file is a ZIP archive but not an Excel workbook (.xlsx).')
  }
  const prelude = PRELUDE.flatMap((name) => byName.get(name) ?? [])
  const sheets = directory.entries.filter((e) => WORKSHEET.test(e.name))

  for (const e of [...prelude, ...sheets]) {
    if ((e.flags & 1) !== 0 || (e.method !== 0 && e.method !== 8)) {
      throw new XlsxParseError('corrupt_file', 'The workbook uses encryption or compression that cannot be read. Save it again from Excel.', {
        entry: e.name,
      })
    }
  }
  const declared = [...prelude, ...sheets].reduce((sum, e) => sum + e.uncompressedSize, 0)
  if (declared > MAX_XLSX_XML_BYTES) {
    throw new XlsxParseError('too_large', 'The workbook is too large to import. Split it into smaller files.')
  }

  const stored = (e: ZipEntry): ZipRecord => ({ ...e, data: bytes.subarray(e.dataOffset, e.dataOffset + e.compressedSize) })
  const records = prelude.map(stored)
  // Without a shared-string table (all cells inline or numeric) exceljs would still spool every sheet to disk.
  if (!byName.has('xl/sharedStrings.xml')) records.push(storedRecord('xl/sharedStrings.xml', EMPTY_SHARED_STRINGS))
  return [...records, ...sheets.map(stored)]
}

/**
 * Inflates every record once, discarding the output, and checks its size and CRC. The streaming reader
 * hangs forever when inflation fails mid-entry (the error never reaches the consumer of the entry), so
 * damage must be found before it starts. This also catches archives that lie about their sizes.
 */
async function verifyRecords(records: ZipRecord[]): Promise<void> {
  for (const r of records) {
    let crc = 0
    let size = 0
    const measure = new Writable({
      write(chunk: Buffer, _encoding, done) {
        size += chunk.byteLength
        crc = crc32(chunk, crc)
        done(size > r.uncompressedSize ? new Error('entry is larger than declared') : null)
      },
    })
    try {
      const source = Readable.from([Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength)])
      if (r.method === 8) await pipeline(source, createInflateRaw(), measure)
      else await pipeline(source, measure)
    } catch (error) {
      throw damaged(r.name, error instanceof Error ? error.message : String(error))
    }
    if (size !== r.uncompressedSize || crc !== r.crc32) throw damaged(r.name, 'size or checksum mismatch')
  }
}

function damaged(entry: string | null, cause: string): XlsxParseError {
  return new XlsxParseError(
    'corrupt_file',
    'The workbook is damaged and cannot be read. Open it in Excel and save it again.',
    entry ? { entry, cause } : { cause },
  )
}

type ZipRecord = Pick<ZipEntry, 'name' | 'flags' | 'method' | 'dosTime' | 'dosDate' | 'crc32' | 'compressedSize' | 'uncompressedSize'> & {
  data: Uint8Array
}

function storedRecord(name: string, text: string): ZipRecord {
  const data = new TextEncoder().encode(text)
  const size = data.byteLength
  return { name, flags: 0, method: 0, dosTime: 0, dosDate: 0, crc32: crc32(data), compressedSize: size, uncompressedSize: size, data }
}

/**
 * A ZIP stream of local records only, ending with an empty end-of-directory record (the streaming unzipper
 * never reads the directory). Headers are rebuilt from the central directory so sizes are always known up
 * front: entries written with trailing data descriptors otherwise confuse the streaming unzipper.
 */
function* zipStream(records: ZipRecord[]): Generator<Buffer> {
  const encoder = new TextEncoder()
  for (const r of records) {
    const name = encoder.encode(r.name)
    const header = new Uint8Array(30 + name.byteLength)
    const view = new DataView(header.buffer)
    view.setUint32(0, 0x04034b50, true)
    view.setUint16(4, 20, true)
    view.setUint16(6, r.flags & ~0x08, true) // no data descriptor follows
    view.setUint16(8, r.method, true)
    view.setUint16(10, r.dosTime, true)
    view.setUint16(12, r.dosDate, true)
    view.setUint32(14, r.crc32, true)
    view.setUint32(18, r.compressedSize, true)
    view.setUint32(22, r.uncompressedSize, true)
    view.setUint16(26, name.byteLength, true)
    view.setUint16(28, 0, true)
    header.set(name, 30)
    yield Buffer.from(header.buffer)
    yield Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength)
  }
  const eocd = new Uint8Array(22)
  new DataView(eocd.buffer).setUint32(0, 0x06054b50, true)
  yield Buffer.from(eocd.buffer)
}

async function readRows(worksheet: AsyncIterable<ExcelJS.Row>): Promise<string[][]> {
  const rows: string[][] = []
  let filled = 0
  for await (const row of worksheet) {
    const cells: string[] = []
    row.eachCell({ includeEmpty: false }, (cell, col) => {
      const text = cellText(cell.value, cell.numFmt)
      if (text === '') return
      while (cells.length < col - 1) cells.push('')
      cells[col - 1] = text
    })
    if (cells.length === 0) continue
    // Stops reading a sheet that has more rows than an import may hold (plus a header) instead of holding them all.
    if (++filled > MAX_IMPORT_ROWS + 1) throw tooManyRows()
    // Empty rows are materialised only when data follows them: a sheet formatted down to row 1,048,576
    // must not turn into a million empty arrays.
    while (rows.length < row.number - 1) rows.push([])
    rows.push(cells)
  }
  return rows
}

function sheetInfo(reader: unknown, worksheet: unknown, order: number): SheetInfo {
  // Name, state and tab order are not in exceljs's typings for the streaming reader, but are set on it at runtime.
  const ws = worksheet as { name?: unknown; state?: unknown }
  const name = typeof ws.name === 'string' ? ws.name : `Sheet${order + 1}`
  const tabs = (reader as { model?: { sheets?: Array<{ name?: unknown }> } }).model?.sheets ?? []
  const tab = tabs.findIndex((s) => s.name === name)
  return { name, tab: tab < 0 ? tabs.length + order : tab, hidden: ws.state === 'hidden' || ws.state === 'veryHidden' }
}

function compareRank(a: SheetInfo, b: SheetInfo): number {
  return Number(a.hidden) - Number(b.hidden) || a.tab - b.tab
}

function ranksBefore(a: SheetInfo, b: SheetInfo): boolean {
  return compareRank(a, b) < 0
}

