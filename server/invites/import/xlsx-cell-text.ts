/**
 * Turns an exceljs cell value into the string an admin expects to see: what the cell shows, minus the
 * formatting that does not matter for invites (currency, percent, thousands separators).
 */
export function cellText(value: unknown, numFmt?: string): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return unescapeOoxml(value)
  if (typeof value === 'number') {
    // The streaming reader converts date-formatted values but not formula results that are dates.
    return numFmt && isDateFormat(numFmt) ? dateText(excelSerialToDate(value)) : numberText(value)
  }
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE'
  if (value instanceof Date) return dateText(value)
  if (typeof value !== 'object') return String(value)

  const v = value as Record<string, unknown>
  if (Array.isArray(v.richText)) {
    return unescapeOoxml(v.richText.map((run: { text?: unknown }) => (typeof run.text === 'string' ? run.text : '')).join(''))
  }
  if ('formula' in v || 'sharedFormula' in v) return cellText(v.result, numFmt)
  if (typeof v.error === 'string') return v.error
  if ('hyperlink' in v) {
    const text = cellText(v.text)
    return text !== '' ? text : String(v.hyperlink ?? '').replace(/^mailto:/i, '')
  }
  return ''
}

/** Integers as written; fractions rounded to 15 significant digits, which is all a double holds (0.1+0.2 → 0.3). */
export function numberText(n: number): string {
  if (!Number.isFinite(n)) return ''
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(15)))
}

/** yyyy-mm-dd; a time part is added only when there is one, and a pure time (serial < 1) shows as HH:MM. */
export function dateText(d: Date): string {
  if (Number.isNaN(d.getTime())) return ''
  const pad = (n: number) => String(n).padStart(2, '0')
  // exceljs builds dates in UTC from the serial number, so UTC fields are the cell's wall-clock value.
  const time =
    d.getUTCHours() || d.getUTCMinutes() || d.getUTCSeconds()
      ? `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${d.getUTCSeconds() ? `:${pad(d.getUTCSeconds())}` : ''}`
      : ''
  if (d.getUTCFullYear() === 1899 && d.getUTCMonth() === 11 && d.getUTCDate() === 30) return time || '00:00'
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
  return time ? `${date} ${time}` : date
}

function excelSerialToDate(serial: number): Date {
  return new Date(Math.round((serial - 25569) * 86_400_000))
}

/** A number format shows a date or time when it has d/m/y/h/s tokens outside quoted text, escapes and [..] sections. */
export function isDateFormat(fmt: string): boolean {
  const bare = fmt.replace(/"[^"]*"/g, '').replace(/\\./g, '').replace(/\[[^\]]*\]/g, '')
  return /[dmyhs]/i.test(bare)
}

/** OOXML escapes characters XML cannot carry as _xHHHH_ (Excel writes a cell's line break as _x000D_\n). */
function unescapeOoxml(s: string): string {
  const decoded = s.includes('_x') ? s.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : s
  return decoded.includes('\r') ? decoded.replace(/\r\n?/g, '\n') : decoded
}
