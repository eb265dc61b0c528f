import { describe, expect, it } from 'vitest'
import { detectMapping, fieldForHeader, validateMapping } from '../../../server/invites/import/index.js'

describe('fieldForHeader', () => {
  it.each([
    ['E-mail', 'email'],
    ['Email', 'email'],
    [' EMAIL ', 'email'],
    ['Эл. почта', 'email'],
    ['Электронная почта', 'email'],
    ['Почта', 'email'],
    ['E-mail (рабочий)', 'email'],
    ['Имя', 'name'],
    ['First name', 'name'],
    ['first_name', 'name'],
    ['Фамилия', 'lastName'],
    ['Last name', 'lastName'],
    ['Surname', 'lastName'],
    ['LAST_NAME', 'lastName'],
    ['Отчество', 'secondName'],
    ['Должность', 'position'],
    ['Position', 'position'],
    ['Job title', 'position'],
    ['WORK_POSITION', 'position'],
    ['Отдел', 'department'],
    ['Подразделение', 'department'],
    ['Department', 'department'],
    ['UF_DEPARTMENT', 'department'],
    ['Группы', 'groups'],
    ['Группа', 'groups'],
    ['Groups', 'groups'],
    ['Workgroup', 'groups'],
    ['Группы (через запятую)', 'groups'],
    ['Телефон', 'phone'],
    ['Мобильный', 'phone'],
    ['Phone', 'phone'],
    ['Mobile', 'phone'],
    ['Язык', 'language'],
    ['Language', 'language'],
    ['Шаблон', 'template'],
    ['Template', 'template'],
    ['ФИО', 'fullName'],
    ['Full name', 'fullName'],
    ['UF_USR_SKILL', 'uf:UF_USR_SKILL'],
    ['uf_usr_skill (Навык)', 'uf:UF_USR_SKILL'],
  ])('%s → %s', (header, field) => {
    expect(fieldForHeader(header)).toBe(field)
  })

  it('leaves unknown headers unmapped', () => {
    expect(fieldForHeader('Комментарий')).toBeNull()
    expect(fieldForHeader('')).toBeNull()
  })
})

describe('detectMapping', () => {
  it('maps a Russian header row', () => {
    expect(detectMapping(['Фамилия', 'Имя', 'Эл. почта', 'Отдел', 'Комментарий'])).toEqual({
      mapping: { 0: 'lastName', 1: 'name', 2: 'email', 3: 'department', 4: null },
      headerRow: true,
    })
  })

  it('maps an English header row and gives a second e-mail column to nobody', () => {
    expect(detectMapping(['Email', 'First name', 'Last name', 'E-mail', 'UF_USR_SKILL'])).toEqual({
      mapping: { 0: 'email', 1: 'name', 2: 'lastName', 3: null, 4: 'uf:UF_USR_SKILL' },
      headerRow: true,
    })
  })

  it('finds e-mail by content under an unrecognised header', () => {
    const { mapping } = detectMapping(['Сотрудник', 'Контакт'], [['Иванов Иван', 'ivan@x.ru'], ['Петров Пётр', 'petr@x.ru']])
    expect(mapping).toEqual({ 0: 'fullName', 1: 'email' })
  })

  it('treats a first row holding an e-mail as data and guesses columns from content', () => {
    const first = ['Иванов Иван Иванович', 'ivan@x.ru', '+7 916 123-45-67', 'ru', 'Менеджер']
    const rest = [
      ['Петрова Анна Сергеевна', 'anna@x.ru', '89031234567', 'en', 'Бухгалтер'],
      ['Smith John', 'john@x.com', '', 'en', 'CTO'],
    ]
    expect(detectMapping(first, rest)).toEqual({
      mapping: { 0: 'fullName', 1: 'email', 2: 'phone', 3: 'language', 4: null },
      headerRow: false,
    })
  })

  it('treats a first row of phone numbers as data', () => {
    expect(detectMapping(['+79161234567'])).toEqual({ mapping: { 0: 'phone' }, headerRow: false })
  })
})

describe('validateMapping', () => {
  it('accepts a mapping with a contact column and returns it typed', () => {
    expect(validateMapping({ 0: 'email', 1: 'name', 2: null, 3: 'uf:UF_USR_A', 4: 'uf:UF_USR_B' }, 5)).toEqual({
      ok: true,
      mapping: { 0: 'email', 1: 'name', 2: null, 3: 'uf:UF_USR_A', 4: 'uf:UF_USR_B' },
    })
    expect(validateMapping({ 0: 'phone' }).ok).toBe(true)
  })

  const codes = (input: unknown, columns?: number) => {
    const result = validateMapping(input, columns)
    return result.ok ? [] : result.problems.map((p) => p.code)
  }

  it('requires e-mail or phone', () => {
    expect(codes({ 0: 'name', 1: 'lastName' })).toEqual(['missing_contact'])
  })

  it('rejects a field mapped twice, including the same UF code twice', () => {
    expect(codes({ 0: 'email', 1: 'email' })).toEqual(['duplicate_field'])
    expect(codes({ 0: 'email', 1: 'uf:UF_X', 2: 'uf:UF_X' })).toEqual(['duplicate_field'])
    const result = validateMapping({ 0: 'email', 2: 'email' })
    expect(!result.ok && result.problems[0]).toMatchObject({ field: 'email', columns: [0, 2] })
  })

  it('rejects unknown fields and malformed UF codes', () => {
    expect(codes({ 0: 'email', 1: 'salary' })).toEqual(['unknown_field'])
    expect(codes({ 0: 'email', 1: 'uf:skill' })).toEqual(['unknown_field'])
  })

  it('rejects columns outside the file', () => {
    expect(codes({ 0: 'email', 7: 'name' }, 3)).toEqual(['column_out_of_range'])
  })

  it('rejects a malformed mapping', () => {
    expect(codes(['email'])).toEqual(['invalid_mapping'])
    expect(codes({ a: 'email' })).toEqual(['invalid_mapping'])
    expect(codes({ 0: 5 })).toEqual(['invalid_mapping'])
    expect(codes(null)).toEqual(['invalid_mapping'])
  })
})
