import { describe, expect, it } from 'vitest'
import { decodeCsvBytes, parseCsv } from '../../../server/invites/import/index.js'
import { encode1251 } from './fixtures.js'

describe('parseCsv', () => {
  it('detects comma, semicolon and tab', () => {
    expect(parseCsv('email,name\na@b.ru,Ann\n')).toMatchObject({ delimiter: ',', rows: [['email', 'name'], ['a@b.ru', 'Ann']] })
    expect(parseCsv('email;name\na@b.ru;Ann\n')).toMatchObject({ delimiter: ';', rows: [['email', 'name'], ['a@b.ru', 'Ann']] })
    expect(parseCsv('email\tname\na@b.ru\tAnn\n')).toMatchObject({ delimiter: '\t', rows: [['email', 'name'], ['a@b.ru', 'Ann']] })
  })

  it('reads a Windows-1251 semicolon file as Russian Excel writes it (CRLF, commas inside values)', () => {
    const bytes = encode1251('Фамилия;Имя;Эл. почта;Отдел\r\nИванов;Иван;ivan@x.ru;Продажи, Москва\r\nПетрова;Анна;anna@x.ru;ИТ\r\n')
    const { text, encoding } = decodeCsvBytes(bytes)
    expect(encoding).toBe('windows-1251')
    const parsed = parseCsv(text)
    expect(parsed.delimiter).toBe(';')
    expect(parsed.rows).toEqual([
      ['Фамилия', 'Имя', 'Эл. почта', 'Отдел'],
      ['Иванов', 'Иван', 'ivan@x.ru', 'Продажи, Москва'],
      ['Петрова', 'Анна', 'anna@x.ru', 'ИТ'],
    ])
    expect(parsed.problems).toEqual([])
  })

  it('trusts the header line when the data confuses the guess', () => {
    // Every data row has one comma inside an unquoted value, which looks like a consistent comma file.
    expect(parseCsv('ФИО;Почта\nИванов, Иван;a@b.ru\nПетров, Пётр;p@b.ru\n').delimiter).toBe(';')
  })

  it('keeps a single-column file whole', () => {
    expect(parseCsv('email\na@b.ru\nc@d.ru')).toMatchObject({ rows: [['email'], ['a@b.ru'], ['c@d.ru']], problems: [] })
  })

  it('honours an explicit delimiter', () => {
    expect(parseCsv('a;b,c\n1;2,3', { delimiter: ',' }).rows).toEqual([['a;b', 'c'], ['1;2', '3']])
  })

  it('reads quoted values with line breaks, delimiters and doubled quotes', () => {
    const parsed = parseCsv('name;note;email\n"Иванов;Иван";"line 1\nline 2";a@b.ru\n"ООО ""Ромашка""";x;c@d.ru\n')
    expect(parsed.rows).toEqual([
      ['name', 'note', 'email'],
      ['Иванов;Иван', 'line 1\nline 2', 'a@b.ru'],
      ['ООО "Ромашка"', 'x', 'c@d.ru'],
    ])
    expect(parsed.problems).toEqual([])
  })

  it('trims trailing empty lines but keeps empty lines in between (row numbers stay true)', () => {
    expect(parseCsv('email\na@b.ru\n\nc@d.ru\n\n\n').rows).toEqual([['email'], ['a@b.ru'], [''], ['c@d.ru']])
  })

  it('reports an unterminated quote and keeps reading the rest of the file', () => {
    const parsed = parseCsv('name,email\n"Ivanov,ivan@x.ru\nPetrov,petr@x.ru\nSidorov,sid@x.ru\n')
    expect(parsed.rows).toEqual([
      ['name', 'email'],
      ['"Ivanov', 'ivan@x.ru'],
      ['Petrov', 'petr@x.ru'],
      ['Sidorov', 'sid@x.ru'],
    ])
    expect(parsed.problems).toHaveLength(1)
    expect(parsed.problems[0]).toMatchObject({ row: 2, code: 'unterminated_quote' })
  })

  it('does not let a stray quote swallow the lines up to the next quote', () => {
    const parsed = parseCsv('name;email\n"Ivanov;ivan@x.ru\nPetrov;petr@x.ru\n"Sidorov";sid@x.ru\nKozlov;koz@x.ru\n')
    expect(parsed.rows.map((r) => r[1])).toEqual(['email', 'ivan@x.ru', 'petr@x.ru', 'sid@x.ru', 'koz@x.ru'])
    expect(parsed.problems.map((p) => [p.row, p.code])).toEqual([[2, 'unterminated_quote']])
  })

  it('reports text after a closing quote as malformed_quote', () => {
    const parsed = parseCsv('name;email\n"Ivanov" Ivan";ivan@x.ru\nPetrov;petr@x.ru\n')
    expect(parsed.rows[2]).toEqual(['Petrov', 'petr@x.ru'])
    expect(parsed.problems.map((p) => p.code)).toContain('malformed_quote')
    expect(parsed.problems.find((p) => p.code === 'malformed_quote')?.row).toBe(2)
  })

  it('reports rows with more or fewer values than the header as ragged_row', () => {
    const parsed = parseCsv('name,email\nIvanov, Ivan,ivan@x.ru\nPetrov\nSidorov,sid@x.ru\n')
    expect(parsed.problems.map((p) => [p.row, p.code])).toEqual([
      [2, 'ragged_row'],
      [3, 'ragged_row'],
    ])
    expect(parsed.problems[0]?.message).toMatch(/shifted/)
  })

  it('summarises floods of the same problem', () => {
    const text = 'a,b\n' + 'x\n'.repeat(150) + 'y,z\n'
    const parsed = parseCsv(text)
    expect(parsed.problems.filter((p) => p.code === 'ragged_row')).toHaveLength(100)
    expect(parsed.problems.at(-1)).toMatchObject({ code: 'too_many_problems', row: 102 })
  })

  it('stops re-parsing after many broken quotes and reads the rest literally', () => {
    const text = 'name,email\n' + Array.from({ length: 40 }, (_, i) => `"n${i},e${i}@x.ru`).join('\n') + '\n'
    const parsed = parseCsv(text)
    expect(parsed.rows).toHaveLength(41)
    expect(parsed.rows[40]).toEqual(['"n39', 'e39@x.ru'])
    expect(parsed.problems.filter((p) => p.code === 'unterminated_quote')).toHaveLength(20)
    expect(parsed.problems.some((p) => p.code === 'too_many_problems')).toBe(true)
  })
})
