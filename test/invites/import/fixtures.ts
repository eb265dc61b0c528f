import { PassThrough } from 'node:stream'
import ExcelJS from 'exceljs'

/** Windows-1251 encoder built from Node's own decoder, so fixtures need no encoding package. */
const CP1251 = (() => {
  const decoder = new TextDecoder('windows-1251')
  const table = new Map<string, number>()
  for (let b = 0; b < 256; b++) table.set(decoder.decode(Uint8Array.of(b)), b)
  return table
})()

export function encode1251(text: string): Buffer {
  return Buffer.from(
    [...text].map((ch) => {
      const b = CP1251.get(ch)
      if (b === undefined) throw new Error(`not in windows-1251: ${ch}`)
      return b
    }),
  )
}

export const utf8 = (text: string, bom = false) => Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, 'utf8')])

export type SheetSpec = {
  name: string
  rows: unknown[][]
  state?: 'visible' | 'hidden'
  /** Applied to every cell after the rows are added: (cell, rowNumber, colNumber). */
  decorate?: (cell: ExcelJS.Cell, row: number, col: number) => void
}

/** An .xlsx built with exceljs's in-memory writer (sheets precede sharedStrings in it, as in Excel's own files). */
export async function buildXlsx(sheets: SheetSpec[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook()
  for (const spec of sheets) {
    const ws = wb.addWorksheet(spec.name, { state: spec.state ?? 'visible' })
    spec.rows.forEach((r, i) => {
      ws.getRow(i + 1).values = r as ExcelJS.CellValue[]
    })
    if (spec.decorate) ws.eachRow((row, rn) => row.eachCell((cell, cn) => spec.decorate?.(cell, rn, cn)))
  }
  const out = await wb.xlsx.writeBuffer()
  return Buffer.from(out as ArrayBuffer)
}

/**
 * A workbook through exceljs's streaming writer: light enough for 50,000 rows, and without shared strings
 * it writes inline strings and no sharedStrings.xml at all, as some exporters do.
 */
export async function buildStreamedXlsx(
  rowCount: number,
  makeRow: (i: number) => unknown[],
  header: string[],
  opts: { useSharedStrings?: boolean } = {},
): Promise<Buffer> {
  const sink = new PassThrough()
  const chunks: Buffer[] = []
  sink.on('data', (c: Buffer) => chunks.push(c))
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: sink, useSharedStrings: opts.useSharedStrings ?? true, useStyles: true })
  const ws = wb.addWorksheet('Сотрудники')
  ws.addRow(header).commit()
  for (let i = 0; i < rowCount; i++) ws.addRow(makeRow(i)).commit()
  ws.commit()
  await wb.commit()
  return Buffer.concat(chunks)
}

/** Renames a ZIP entry in place (same length, both local header and central directory) to build odd archives. */
export function renameZipEntry(zip: Buffer, from: string, to: string): Buffer {
  if (from.length !== to.length) throw new Error('same length only')
  const out = Buffer.from(zip)
  const needle = Buffer.from(from)
  let at = out.indexOf(needle)
  if (at < 0) throw new Error(`no entry ${from}`)
  while (at >= 0) {
    out.write(to, at)
    at = out.indexOf(needle, at + 1)
  }
  return out
}
