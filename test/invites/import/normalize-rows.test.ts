import { describe, expect, it } from 'vitest'
import { type ColumnMapping, normalizeRows, type NormalizedRow } from '../../../server/invites/import/index.js'

const MAPPING: ColumnMapping = {
  0: 'email',
  1: 'phone',
  2: 'lastName',
  3: 'name',
  4: 'position',
  5: 'department',
  6: 'groups',
  7: 'language',
  8: 'template',
  9: 'uf:UF_USR_SKILL',
  10: null,
}
const HEADER = ['Email', 'Телефон', 'Фамилия', 'Имя', 'Должность', 'Отдел', 'Группы', 'Язык', 'Шаблон', 'UF_USR_SKILL', 'Заметка']

const one = (cells: string[], mapping: ColumnMapping = MAPPING): NormalizedRow => {
  const rows = normalizeRows([HEADER, cells], mapping, true)
  expect(rows).toHaveLength(1)
  return rows[0] as NormalizedRow
}
const codes = (row: NormalizedRow) => row.issues.map((i) => i.code)

describe('normalizeRows', () => {
  it('normalises a complete row', () => {
    const row = one([
      '  Ivan.Petrov@Example.RU ',
      '8 (916) 123-45-67',
      'Петров',
      ' Иван ',
      'Менеджер  по\u00a0продажам',
      'Продажи / Москва',
      'Проект А; 15 | Проект Б, 15',
      'Русский',
      'welcome',
      'TypeScript',
      'не импортируется',
    ])
    expect(row).toEqual({
      rowNumber: 2,
      email: 'Ivan.Petrov@example.ru',
      phone: '+79161234567',
      name: 'Иван',
      lastName: 'Петров',
      secondName: null,
      position: 'Менеджер по продажам',
      department: { kind: 'path', path: ['Продажи', 'Москва'] },
      groups: [
        { kind: 'name', name: 'Проект А' },
        { kind: 'id', id: 15 },
        { kind: 'name', name: 'Проект Б' },
      ],
      language: 'ru',
      template: 'welcome',
      userFields: { UF_USR_SKILL: 'TypeScript' },
      issues: [],
    })
  })

  it('reads departments as ids or paths', () => {
    const dept = (v: string) => one(['a@x.ru', '', '', '', '', v]).department
    expect(dept('15')).toEqual({ kind: 'id', id: 15 })
    expect(dept('Sales > Moscow > B2B')).toEqual({ kind: 'path', path: ['Sales', 'Moscow', 'B2B'] })
    expect(dept('Продажи')).toEqual({ kind: 'path', path: ['Продажи'] })
    expect(dept('')).toBeNull()
    expect(codes(one(['a@x.ru', '', '', '', '', ' / ']))).toEqual(['invalid_department'])
  })

  it('reads languages in both alphabets and warns on unknown ones', () => {
    const lang = (v: string) => one(['a@x.ru', '', '', '', '', '', '', v])
    expect(['ru', 'RUS', 'рус', 'Russian', 'русский'].map((v) => lang(v).language)).toEqual(Array(5).fill('ru'))
    expect(['en', 'eng', 'English', 'английский'].map((v) => lang(v).language)).toEqual(Array(4).fill('en'))
    const unknown = lang('Deutsch')
    expect(unknown.language).toBeNull()
    expect(unknown.issues).toEqual([expect.objectContaining({ code: 'unknown_language', severity: 'warning', value: 'Deutsch' })])
  })

  it('validates e-mail addresses pragmatically', () => {
    const email = (v: string) => one([v])
    expect(email('ivan@почта.рф').email).toBe('ivan@почта.рф')
    expect(email('Ivan Petrov <ivan@x.ru>').email).toBe('ivan@x.ru')
    expect(email('mailto:ivan@x.ru').email).toBe('ivan@x.ru')
    for (const bad of ['ivan@@x.ru', 'ivan@x', 'iv an@x.ru', 'ivan@x.r', 'иван@x.ru', 'ivan@mаil.ru', '.ivan@x.ru', 'ivan@-x.ru']) {
      const row = email(bad)
      expect(row.email, bad).toBeNull()
      expect(codes(row), bad).toEqual(['invalid_email'])
    }
  })

  it('normalises phones to + and digits', () => {
    const phone = (v: string) => one(['', v])
    expect(phone('+7 (916) 123-45-67').phone).toBe('+79161234567')
    expect(phone('89161234567').phone).toBe('+79161234567')
    expect(phone('0044 20 7946 0958').phone).toBe('+442079460958')
    expect(phone('79161234567').phone).toBe('+79161234567')
    const bare = phone('9161234567')
    expect(bare.phone).toBe('+9161234567')
    expect(bare.issues).toEqual([expect.objectContaining({ code: 'phone_country_code_assumed', severity: 'warning' })])
    for (const bad of ['12345', '+7 916 123 45 67 доб. 12', '7,91612E+10', '+1234567890123456', '8-916-123-45-67, 8-903-000-00-00']) {
      const row = phone(bad)
      expect(row.phone, bad).toBeNull()
      expect(codes(row), bad).toEqual(['invalid_phone'])
    }
  })

  it('flags rows without any contact', () => {
    expect(codes(one(['', '', 'Петров', 'Иван']))).toEqual(['missing_contact'])
  })

  it('flags repeated contacts, pointing at the first row', () => {
    const rows = normalizeRows([HEADER, ['a@x.ru'], ['b@x.ru'], ['A@X.RU']], MAPPING, true)
    expect(rows[2]?.issues).toEqual([expect.objectContaining({ code: 'duplicate_email', message: expect.stringContaining('row 2') })])
  })

  it('skips empty rows silently and keeps row numbers true to the file', () => {
    const rows = normalizeRows([[], ['', ' '], HEADER, ['a@x.ru'], [], ['  ', ''], ['b@x.ru']], MAPPING, true)
    expect(rows.map((r) => [r.rowNumber, r.email])).toEqual([
      [4, 'a@x.ru'],
      [7, 'b@x.ru'],
    ])
  })

  it('starts at the first row when there is no header row', () => {
    const rows = normalizeRows([['a@x.ru'], ['b@x.ru']], { 0: 'email' }, false)
    expect(rows.map((r) => r.rowNumber)).toEqual([1, 2])
  })

  it('splits a full name: Russian order for Cyrillic, Western order for Latin', () => {
    const mapping: ColumnMapping = { 0: 'email', 1: 'fullName', 2: 'name' }
    const row = (name: string, first = '') => normalizeRows([['a@x.ru', name, first]], mapping, false)[0]
    expect(row('Иванов Иван Иванович')).toMatchObject({ lastName: 'Иванов', name: 'Иван', secondName: 'Иванович' })
    expect(row('Петрова Анна')).toMatchObject({ lastName: 'Петрова', name: 'Анна', secondName: null })
    expect(row('Ivanov Ivan Ivanovich')).toMatchObject({ lastName: 'Ivanov', name: 'Ivan', secondName: 'Ivanovich' })
    expect(row('John Ronald Smith')).toMatchObject({ name: 'John', lastName: 'Smith', secondName: 'Ronald' })
    // An explicit name column wins over the split.
    expect(row('Иванов Иван', 'Ваня')).toMatchObject({ lastName: 'Иванов', name: 'Ваня' })
  })

  it('keeps cells starting with = + - @ as text', () => {
    const row = one(['a@x.ru', '', '=HYPERLINK("x")', '-Иван', '+Менеджер', '@Sales', '', '', '', '=1+1'])
    expect(row).toMatchObject({
      lastName: '=HYPERLINK("x")',
      name: '-Иван',
      position: '+Менеджер',
      department: { kind: 'path', path: ['@Sales'] },
      userFields: { UF_USR_SKILL: '=1+1' },
    })
  })
})
