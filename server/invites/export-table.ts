
type Cell = string | number | null | undefined

/**
 * Spreadsheet apps execute cells starting with = + - @ (and tab/CR) as formulas: prefix them with an
 * apostrophe so exported names and e-mails stay text (OWASP "CSV injection").
 */
export function neutralize(v: Cell): string {
  const s = v === null || v === undefined ? '' : String(v)
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s
}

/** RFC 4180 CSV with a UTF-8 BOM so Excel opens Cyrillic correctly. */
export function toCsv(header: string[], rows: Cell[][]): string {
  const q = (s: string) => (/[",\r\n;]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
  return '\uFEFF' + [header, ...rows].map((r) => r.map((c) => q(neutralize(c))).join(',')).join('\r\n') + '\r\n'
}

export async function toXlsx(sheetName: string, header: string[], rows: Cell[][]): Promise<Buffer> {
  // Loaded on the first XLSX export: exceljs is tens of MB of heap that most servers never need.
  const { default: ExcelJS } = await import('exceljs')
  const wb = new ExcelJS.Workbook()
  const ws = wb.addWorksheet(sheetName.slice(0, 31))
  ws.addRow(header).font = { bold: true }
  // Numbers stay numbers (no "number stored as text"); text is neutralised as in the CSV.
  for (const r of rows) ws.addRow(r.map((c) => (typeof c === 'number' ? c : neutralize(c))))
  ws.columns.forEach((c) => {
    c.width = 20
  })
  return Buffer.from(await wb.xlsx.writeBuffer())
}
