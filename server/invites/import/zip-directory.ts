/**
 * Reads a ZIP archive's central directory (the index at the end of the file) without inflating anything.
 * Sniffing needs the entry names to tell an .xlsx from a .docx or .ods; the XLSX parser needs each entry's
 * position to hand the streaming reader the entries in the order it can stream (see parse-xlsx.ts).
 * Node has no ZIP reader and exceljs's unzipper only streams front to back, hence this small reader.
 * ZIP64 is not supported: Excel never writes it for files of an uploadable size.
 */

export interface ZipEntry {
  name: string
  flags: number
  /** 0 = stored, 8 = deflate. */
  method: number
  crc32: number
  compressedSize: number
  uncompressedSize: number
  /** Offset of the compressed data (just past the local header) in the archive. */
  dataOffset: number
  /** The local header's date/time fields, carried over when entries are re-emitted. */
  dosTime: number
  dosDate: number
}

export type ZipDirectoryResult =
  | { ok: true; entries: ZipEntry[] }
  | { ok: false; reason: 'no_directory' | 'zip64' | 'damaged' }

const EOCD_SIGNATURE = 0x06054b50
const CENTRAL_SIGNATURE = 0x02014b50
const LOCAL_SIGNATURE = 0x04034b50
const EOCD_SIZE = 22
const MAX_COMMENT = 0xffff

export function isZipMagic(bytes: Uint8Array): boolean {
  // PK\3\4 (a first entry) or PK\5\6 (an empty archive)
  return bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6))
}

export function readZipDirectory(bytes: Uint8Array): ZipDirectoryResult {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const eocd = findEndOfCentralDirectory(view)
  if (eocd < 0) return { ok: false, reason: 'no_directory' }

  const count = view.getUint16(eocd + 10, true)
  const size = view.getUint32(eocd + 12, true)
  const start = view.getUint32(eocd + 16, true)
  if (count === 0xffff || size === 0xffffffff || start === 0xffffffff) return { ok: false, reason: 'zip64' }
  if (start + size > eocd) return { ok: false, reason: 'damaged' }

  const entries: ZipEntry[] = []
  const decoder = new TextDecoder('utf-8')
  let p = start
  for (let i = 0; i < count; i++) {
    if (p + 46 > eocd || view.getUint32(p, true) !== CENTRAL_SIGNATURE) return { ok: false, reason: 'damaged' }
    const nameLength = view.getUint16(p + 28, true)
    const extraLength = view.getUint16(p + 30, true)
    const commentLength = view.getUint16(p + 32, true)
    const compressedSize = view.getUint32(p + 20, true)
    const uncompressedSize = view.getUint32(p + 24, true)
    const localOffset = view.getUint32(p + 42, true)
    if (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff || localOffset === 0xffffffff) {
      return { ok: false, reason: 'zip64' }
    }
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLength))

    // The local header repeats the name but may carry a different extra field: its own lengths decide where data starts.
    if (localOffset + 30 > bytes.byteLength || view.getUint32(localOffset, true) !== LOCAL_SIGNATURE) {
      return { ok: false, reason: 'damaged' }
    }
    const dataOffset = localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true)
    if (dataOffset + compressedSize > bytes.byteLength) return { ok: false, reason: 'damaged' }

    entries.push({
      name,
      flags: view.getUint16(p + 8, true),
      method: view.getUint16(p + 10, true),
      dosTime: view.getUint16(p + 12, true),
      dosDate: view.getUint16(p + 14, true),
      crc32: view.getUint32(p + 16, true),
      compressedSize,
      uncompressedSize,
      dataOffset,
    })
    p += 46 + nameLength + extraLength + commentLength
  }
  return { ok: true, entries }
}

/** Name of the first local entry; the only thing still readable in a truncated archive. */
export function firstLocalEntryName(bytes: Uint8Array): string | null {
  if (bytes.byteLength < 30 || !isZipMagic(bytes)) return null
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const nameLength = view.getUint16(26, true)
  if (30 + nameLength > bytes.byteLength) return null
  return new TextDecoder('utf-8').decode(bytes.subarray(30, 30 + nameLength))
}

function findEndOfCentralDirectory(view: DataView): number {
  const last = view.byteLength - EOCD_SIZE
  const first = Math.max(0, last - MAX_COMMENT)
  for (let p = last; p >= first; p--) {
    if (view.getUint32(p, true) === EOCD_SIGNATURE && p + EOCD_SIZE + view.getUint16(p + 20, true) <= view.byteLength) {
      return p
    }
  }
  return -1
}
