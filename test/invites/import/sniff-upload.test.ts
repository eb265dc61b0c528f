import { describe, expect, it } from 'vitest'
import { MAX_UPLOAD_BYTES, sniffUpload } from '../../../server/invites/import/index.js'
import { buildXlsx, encode1251, renameZipEntry, utf8 } from './fixtures.js'

const rejected = (result: ReturnType<typeof sniffUpload>) => {
  if (result.kind !== 'rejected') throw new Error(`expected a rejection, got ${result.kind}`)
  expect(result.message.length).toBeGreaterThan(10)
  return result.code
}

describe('sniffUpload', () => {
  it('accepts CSV text in UTF-8 (with and without BOM) and Windows-1251', () => {
    expect(sniffUpload(utf8('Email;Имя\nivan@x.ru;Иван\n'))).toEqual({ kind: 'csv' })
    expect(sniffUpload(utf8('Email;Имя\nivan@x.ru;Иван\n', true))).toEqual({ kind: 'csv' })
    expect(sniffUpload(encode1251('Фамилия;Имя;Почта\nИванов;Иван;ivan@x.ru\n'))).toEqual({ kind: 'csv' })
  })

  it('accepts an .xlsx workbook by content, whatever its name', async () => {
    const xlsx = await buildXlsx([{ name: 'Лист1', rows: [['Email'], ['a@b.ru']] }])
    expect(sniffUpload(xlsx, 'export.csv')).toEqual({ kind: 'xlsx' })
  })

  it('rejects an empty file and a whitespace-only file as empty', () => {
    expect(rejected(sniffUpload(new Uint8Array(0)))).toBe('empty')
    expect(rejected(sniffUpload(utf8(' \r\n\t\n', true)))).toBe('empty')
  })

  it('rejects a file over the size limit as too_large', () => {
    expect(rejected(sniffUpload(new Uint8Array(MAX_UPLOAD_BYTES + 1)))).toBe('too_large')
    expect(sniffUpload(utf8('a@b.ru\n'.padEnd(1000, ' ')))).toEqual({ kind: 'csv' })
  })

  it('rejects PDF and images as not_spreadsheet', () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n', 'latin1'), Buffer.alloc(64, 0)])
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52])
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46])
    expect(rejected(sniffUpload(pdf, 'list.pdf'))).toBe('not_spreadsheet')
    expect(rejected(sniffUpload(png))).toBe('not_spreadsheet')
    expect(rejected(sniffUpload(jpeg))).toBe('not_spreadsheet')
  })

  it('rejects legacy .xls (OLE) with a message that says what to do', () => {
    const xls = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504)])
    const result = sniffUpload(xls, 'staff.xls')
    expect(rejected(result)).toBe('xls_legacy')
    expect(result.kind === 'rejected' && result.message).toMatch(/\.xlsx/)
  })

  it('rejects random binary as binary', () => {
    let seed = 42
    const random = Buffer.alloc(16 * 1024)
    for (let i = 0; i < random.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      random[i] = seed >> 16
    }
    expect(rejected(sniffUpload(random))).toBe('binary')
  })

  it('rejects text riddled with control characters (no NUL bytes) as binary', () => {
    const bytes = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i % 5 === 0 ? 0x01 + (i % 7) : 0x41 + (i % 26))))
    expect(rejected(sniffUpload(bytes))).toBe('binary')
  })

  it('rejects HTML saved as .xls and UTF-16 text as not_spreadsheet', () => {
    expect(rejected(sniffUpload(utf8('<html><body><table><tr><td>a@b.ru</td></tr></table></body></html>'), 'export.xls'))).toBe(
      'not_spreadsheet',
    )
    expect(rejected(sniffUpload(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Email\tName\r\n', 'utf16le')])))).toBe(
      'not_spreadsheet',
    )
  })

  it('rejects a ZIP that is not a workbook as not_spreadsheet', async () => {
    const xlsx = await buildXlsx([{ name: 'Лист1', rows: [['Email']] }])
    expect(rejected(sniffUpload(renameZipEntry(xlsx, 'xl/workbook.xml', 'xl/workbook.xmz')))).toBe('not_spreadsheet')
  })

  it('passes a truncated workbook on as xlsx so the parser can report the damage', async () => {
    const xlsx = await buildXlsx([{ name: 'Лист1', rows: [['Email'], ['a@b.ru']] }])
    expect(sniffUpload(xlsx.subarray(0, xlsx.length - 200), 'list.xlsx')).toEqual({ kind: 'xlsx' })
  })
})
