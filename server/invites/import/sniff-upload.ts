import { InputError } from '../../shared/errors.js'
import { decodeCsvBytes, hasUtf8Bom } from './decode-text.js'
import { firstLocalEntryName, isZipMagic, readZipDirectory } from './zip-directory.js'

export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024
/**
 * Rows one import may hold. A 20 MB file of bare e-mails is a million rows; the check, the job and the
 * server's bounded heap (scripts/server-node-flags.ts) are sized for this many, so more are refused up front.
 */
export const MAX_IMPORT_ROWS = 100_000

/** `rows`: how many the file has, when it was read to the end. */
export function tooManyRows(rows?: number): InputError {
  const max = MAX_IMPORT_ROWS.toLocaleString('en')
  const has = rows === undefined ? `more than ${max}` : rows.toLocaleString('en')
  return new InputError('too_many_rows', `The file has ${has} rows; at most ${max} can be invited at once. Split it into several files.`, {
    max: MAX_IMPORT_ROWS, ...(rows === undefined ? {} : { rows }),
  })
}

export type SniffRejectionCode = 'empty' | 'too_large' | 'binary' | 'not_spreadsheet' | 'xls_legacy'

export type SniffResult =
  | { kind: 'csv' | 'xlsx' }
  | { kind: 'rejected'; code: SniffRejectionCode; message: string }

/** How much of a text file is inspected for binary content. */
const SNIFF_WINDOW = 8 * 1024
/** Share of control characters above which "text" is really binary; real CSVs have next to none. */
const MAX_CONTROL_RATIO = 0.02

const SAVE_AS = 'Open it in Excel and save it as "Excel Workbook (.xlsx)" or "CSV UTF-8".'

/**
 * Decides what an upload is from its bytes; the file name only breaks a tie for a damaged ZIP, because
 * extensions lie (a CSV named .xls, an HTML table named .xls). Anything that is not an .xlsx workbook or
 * plausible delimited text is rejected with a code the UI localises; `message` is the English fallback.
 */
export function sniffUpload(bytes: Uint8Array, fileName?: string): SniffResult {
  if (bytes.byteLength === 0) return reject('empty', 'The file is empty.')
  if (bytes.byteLength > MAX_UPLOAD_BYTES) {
    return reject('too_large', `The file is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB. Split it into smaller files.`)
  }

  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) {
    // Password-protected .xlsx files are OLE containers too, so the message covers both.
    return reject(
      'xls_legacy',
      `This is an Excel 97–2003 workbook (.xls) or a password-protected workbook, which cannot be read. ${SAVE_AS} Remove the password if there is one.`,
    )
  }
  if (isZipMagic(bytes)) return sniffZip(bytes, fileName)

  const known = knownBinaryFormat(bytes)
  if (known) return reject('not_spreadsheet', `This is ${known}, not a spreadsheet. Upload an .xlsx or .csv file.`)
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) {
    return reject('not_spreadsheet', `This is UTF-16 text (Excel's "Unicode Text"), which is not supported. ${SAVE_AS}`)
  }

  return sniffText(bytes)
}

function sniffZip(bytes: Uint8Array, fileName: string | undefined): SniffResult {
  const directory = readZipDirectory(bytes)
  if (!directory.ok) {
    // A truncated upload loses the directory at the end; if it still looks like a workbook, let the XLSX
    // parser report the damage precisely.
    const first = firstLocalEntryName(bytes) ?? ''
    const looksOoxml = first === '[Content_Types].xml' || first.startsWith('xl/') || first.startsWith('_rels/')
    if (looksOoxml || /\.xls[xm]$/i.test(fileName ?? '')) return { kind: 'xlsx' }
    return reject('not_spreadsheet', 'This is a damaged or unsupported ZIP archive, not a spreadsheet.')
  }

  const names = new Set(directory.entries.map((e) => e.name))
  if (names.has('[Content_Types].xml') && names.has('xl/workbook.xml')) return { kind: 'xlsx' }
  if (names.has('xl/workbook.bin')) {
    return reject('not_spreadsheet', `This is a binary Excel workbook (.xlsb), which is not supported. ${SAVE_AS}`)
  }
  if (names.has('mimetype') && names.has('content.xml')) {
    return reject('not_spreadsheet', `This is an OpenDocument file (.ods/.odt), which is not supported. ${SAVE_AS}`)
  }
  if (names.has('word/document.xml')) return reject('not_spreadsheet', 'This is a Word document, not a spreadsheet.')
  if ([...names].some((n) => n.startsWith('ppt/'))) {
    return reject('not_spreadsheet', 'This is a PowerPoint presentation, not a spreadsheet.')
  }
  return reject('not_spreadsheet', 'This is a ZIP archive, not a spreadsheet. Upload the .xlsx or .csv file itself.')
}

function sniffText(bytes: Uint8Array): SniffResult {
  if (isBlank(bytes)) return reject('empty', 'The file contains no data.')

  // Ask the same decoder the CSV path will use, so a 1251 file is judged by its letters, not its high bytes.
  const window = bytes.subarray(0, SNIFF_WINDOW)
  if (window.includes(0)) return rejectBinary()
  const { text } = decodeCsvBytes(window)
  let control = 0
  for (const ch of text) {
    if (isControl(ch.codePointAt(0) ?? 0)) control++
  }
  if (control > text.length * MAX_CONTROL_RATIO) return rejectBinary()

  const head = text.trimStart().slice(0, 64).toLowerCase()
  if (/^<(!doctype|html|\?xml|table|head|body|workbook)\b/.test(head)) {
    // Many systems (1C among them) export an HTML table or Excel 2003 XML and name it .xls.
    return reject('not_spreadsheet', `This is an HTML or XML document saved with a spreadsheet extension. ${SAVE_AS}`)
  }
  if (head.startsWith('{\\rtf')) return reject('not_spreadsheet', 'This is a rich-text (RTF) document, not a spreadsheet.')
  return { kind: 'csv' }
}

function knownBinaryFormat(bytes: Uint8Array): string | null {
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'a PDF document'
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47])) return 'a PNG image'
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'a JPEG image'
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38])) return 'a GIF image'
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes.subarray(8), [0x57, 0x45, 0x42, 0x50])) {
    return 'a WebP image'
  }
  if (startsWith(bytes, [0x1f, 0x8b])) return 'a gzip archive'
  if (startsWith(bytes, [0x52, 0x61, 0x72, 0x21])) return 'a RAR archive'
  if (startsWith(bytes, [0x37, 0x7a, 0xbc, 0xaf])) return 'a 7-Zip archive'
  return null
}

/** C0 controls other than tab/CR/LF, DEL, C1 controls, and the replacement character of undecodable bytes. */
function isControl(cp: number): boolean {
  if (cp === 0x09 || cp === 0x0a || cp === 0x0d) return false
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0xfffd
}

function isBlank(bytes: Uint8Array): boolean {
  for (let i = hasUtf8Bom(bytes) ? 3 : 0; i < bytes.byteLength; i++) {
    const b = bytes[i]
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false
  }
  return true
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b)
}

function rejectBinary(): SniffResult {
  return reject('binary', 'This is a binary file, not a spreadsheet or CSV text. Upload an .xlsx or .csv file.')
}

function reject(code: SniffRejectionCode, message: string): SniffResult {
  return { kind: 'rejected', code, message }
}
