/** The two encodings a CSV from a Russian-speaking office realistically arrives in. */
export type CsvEncoding = 'utf-8' | 'windows-1251'

export interface DecodedText {
  encoding: CsvEncoding
  /** The file started with a UTF-8 byte-order mark (stripped from `text`). */
  bom: boolean
  text: string
}

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const

/**
 * Decodes an uploaded CSV. Without an override: a BOM or strictly valid UTF-8 means UTF-8, anything else
 * Windows-1251 (what Russian Excel writes for "CSV (разделители – запятые)").
 * Windows-1251 Cyrillic is practically never valid UTF-8 (its letters are UTF-8 lead bytes not followed by
 * continuation bytes), so the strict check is a reliable discriminator. A file that is UTF-8 apart from a few
 * damaged bytes (a truncated export, two files glued together) stays UTF-8, with U+FFFD where bytes were bad,
 * rather than turning every Cyrillic letter into mojibake.
 */
export function decodeCsvBytes(bytes: Uint8Array, override?: CsvEncoding): DecodedText {
  const bom = hasUtf8Bom(bytes)
  // The BOM is a marker, not content, even if the admin insists on another encoding.
  const body = bom ? bytes.subarray(UTF8_BOM.length) : bytes

  if (override) return { encoding: override, bom, text: new TextDecoder(override).decode(body) }
  if (bom) return { encoding: 'utf-8', bom, text: new TextDecoder('utf-8').decode(body) }

  try {
    return { encoding: 'utf-8', bom, text: new TextDecoder('utf-8', { fatal: true }).decode(body) }
  } catch {
    // Not strictly valid: decide by how much of the non-ASCII content is well-formed UTF-8.
  }
  const lenient = new TextDecoder('utf-8').decode(body)
  if (mostlyUtf8(lenient)) return { encoding: 'utf-8', bom, text: lenient }
  return { encoding: 'windows-1251', bom, text: new TextDecoder('windows-1251').decode(body) }
}

export function hasUtf8Bom(bytes: Uint8Array): boolean {
  return bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2]
}

/** At least 95% of non-ASCII characters decoded cleanly (U+FFFD marks each bad sequence). */
function mostlyUtf8(text: string): boolean {
  let good = 0
  let bad = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) continue
    if (c === 0xfffd) bad++
    else good++
  }
  return good > 0 && bad * 19 <= good
}
