import { describe, expect, it } from 'vitest'
import { parseXlsx, XlsxParseError } from '../../../server/invites/import/index.js'
import { buildStreamedXlsx, buildXlsx, renameZipEntry } from './fixtures.js'

async function parseError(promise: Promise<unknown>): Promise<XlsxParseError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(XlsxParseError)
    return error as XlsxParseError
  }
  throw new Error('expected parseXlsx to fail')
}

describe('parseXlsx', () => {
  it('converts every kind of cell to its display text', async () => {
    const xlsx = await buildXlsx([
      {
        name: 'Сотрудники',
        rows: [
          ['Email', 'Дата', 'Число', 'Дробь', 'Rich', 'Link', 'Formula', 'Bool', 'Телефон', 'FormulaDate', 'Time'],
          [
            'ivan@x.ru',
            new Date(Date.UTC(2024, 2, 5)),
            42,
            0.1 + 0.2,
            { richText: [{ text: 'Ива', font: { bold: true } }, { text: 'нов' }] },
            { text: 'petr@x.ru', hyperlink: 'mailto:petr@x.ru' },
            { formula: 'C2*2', result: 84 },
            true,
            79161234567,
            { formula: 'B2+10', result: 45000 },
            new Date(Date.UTC(2024, 2, 5, 9, 30)),
          ],
        ],
        decorate: (cell, row, col) => {
          if (row === 2 && col === 10) cell.numFmt = 'dd.mm.yyyy'
        },
      },
    ])
    const parsed = await parseXlsx(xlsx)
    expect(parsed.sheets).toEqual(['Сотрудники'])
    expect(parsed.sheet).toBe('Сотрудники')
    expect(parsed.rows[1]).toEqual([
      'ivan@x.ru',
      '2024-03-05',
      '42',
      '0.3',
      'Иванов',
      'petr@x.ru',
      '84',
      'TRUE',
      '79161234567',
      '2023-03-15',
      '2024-03-05 09:30',
    ])
  })

  it('keeps row numbers true to the sheet: gaps stay as empty rows, trailing empties are dropped', async () => {
    const xlsx = await buildXlsx([{ name: 'S', rows: [[], ['Email'], [], ['a@b.ru'], [null, null, 'c@d.ru']] }])
    expect((await parseXlsx(xlsx)).rows).toEqual([[], ['Email'], [], ['a@b.ru'], ['', '', 'c@d.ru']])
  })

  it('takes the first non-empty visible worksheet by default and can pick one by name', async () => {
    const xlsx = await buildXlsx([
      { name: 'Инструкция', rows: [] },
      { name: 'Скрытый', rows: [['hidden@x.ru']], state: 'hidden' },
      { name: 'Список', rows: [['Email'], ['a@b.ru']] },
      { name: 'Ещё', rows: [['Email'], ['c@d.ru']] },
    ])
    const byDefault = await parseXlsx(xlsx)
    expect(byDefault.sheets).toEqual(['Инструкция', 'Скрытый', 'Список', 'Ещё'])
    expect(byDefault.sheet).toBe('Список')
    expect(byDefault.rows).toEqual([['Email'], ['a@b.ru']])

    expect(await parseXlsx(xlsx, { sheet: 'Ещё' })).toMatchObject({ sheet: 'Ещё', rows: [['Email'], ['c@d.ru']] })
    expect(await parseXlsx(xlsx, { sheet: 'Скрытый' })).toMatchObject({ rows: [['hidden@x.ru']] })
    expect(await parseXlsx(xlsx, { sheet: 'Инструкция' })).toMatchObject({ sheet: 'Инструкция', rows: [] })
  })

  it('reads a workbook without a shared-string table (inline strings)', async () => {
    const xlsx = await buildStreamedXlsx(1, () => ['a@b.ru', 'Анна'], ['Email', 'Имя'], { useSharedStrings: false })
    expect(xlsx.includes(Buffer.from('xl/sharedStrings.xml'))).toBe(false)
    expect((await parseXlsx(xlsx)).rows).toEqual([['Email', 'Имя'], ['a@b.ru', 'Анна']])
  })

  it('returns no rows for a workbook whose sheets are all empty', async () => {
    const xlsx = await buildXlsx([{ name: 'A', rows: [] }, { name: 'B', rows: [] }])
    expect(await parseXlsx(xlsx)).toEqual({ sheets: ['A', 'B'], sheet: 'A', rows: [] })
  })

  it('rejects an unknown sheet name with sheet_not_found', async () => {
    const xlsx = await buildXlsx([{ name: 'A', rows: [['x']] }])
    const error = await parseError(parseXlsx(xlsx, { sheet: 'Нет такого' }))
    expect(error.code).toBe('sheet_not_found')
    expect(error.details).toEqual({ sheets: ['A'] })
  })

  it('rejects a truncated archive with corrupt_file', async () => {
    const xlsx = await buildXlsx([{ name: 'A', rows: [['Email'], ['a@b.ru']] }])
    expect((await parseError(parseXlsx(xlsx.subarray(0, Math.floor(xlsx.length * 0.7))))).code).toBe('corrupt_file')
  })

  it('rejects damaged compressed data with corrupt_file instead of hanging', async () => {
    const rows = [['Email', 'Имя'], ...Array.from({ length: 3000 }, (_, i) => [`user${i}@x.ru`, `Имя ${i * 7919}`])]
    const xlsx = await buildXlsx([{ name: 'A', rows }])
    const damaged = Buffer.from(xlsx)
    const sheetAt = damaged.indexOf(Buffer.from('xl/worksheets/sheet1.xml')) + 200
    for (let i = sheetAt; i < sheetAt + 300; i++) damaged[i] = (damaged[i]! * 31 + 7) & 0xff
    expect((await parseError(parseXlsx(damaged))).code).toBe('corrupt_file')
  })

  it('rejects random bytes with corrupt_file', async () => {
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) % 251))
    expect((await parseError(parseXlsx(bytes))).code).toBe('corrupt_file')
  })

  it('rejects a ZIP without a workbook with not_xlsx', async () => {
    const xlsx = await buildXlsx([{ name: 'A', rows: [['x']] }])
    expect((await parseError(parseXlsx(renameZipEntry(xlsx, 'xl/workbook.xml', 'xl/workbook.xmz')))).code).toBe('not_xlsx')
  })
})
