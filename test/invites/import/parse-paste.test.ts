import { describe, expect, it } from 'vitest'
import { parsePaste } from '../../../server/invites/import/index.js'

describe('parsePaste', () => {
  it('splits on spaces, commas, semicolons and line breaks', () => {
    expect(parsePaste('a@x.ru b@x.ru,c@x.ru;d@x.ru\ne@x.ru\r\nf@x.ru\t g@x.ru ,, ;')).toEqual(
      ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((l) => ({ value: `${l}@x.ru`, kind: 'email' })),
    )
  })

  it('reads phone numbers written with spaces, brackets and dashes as one number each', () => {
    expect(parsePaste('+7 916 123-45-67, 8 (903) 765 43 21\n+44 20 7946 0958 79161112233 79162223344')).toEqual([
      { value: '+79161234567', kind: 'phone' },
      { value: '+79037654321', kind: 'phone' },
      { value: '+442079460958', kind: 'phone' },
      { value: '+79161112233', kind: 'phone' },
      { value: '+79162223344', kind: 'phone' },
    ])
  })

  it('keeps the name of "Name Surname <mail>" forms, including Outlook\'s quoted ones', () => {
    expect(parsePaste('Иван Петров <Ivan@Mail.RU>; "Sidorov, Petr" <petr@x.ru>, anna@x.ru Anna Smith <anna.s@x.ru>')).toEqual([
      { value: 'Ivan@mail.ru', kind: 'email', name: 'Иван Петров' },
      { value: 'petr@x.ru', kind: 'email', name: 'Sidorov, Petr' },
      { value: 'anna@x.ru', kind: 'email' },
      { value: 'anna.s@x.ru', kind: 'email', name: 'Anna Smith' },
    ])
  })

  it('marks what is neither an e-mail nor a phone as invalid, keeping the text', () => {
    expect(parsePaste('ivan@@x.ru, 12345, hello, ivan@x, +7 916 12')).toEqual([
      { value: 'ivan@@x.ru', kind: 'invalid' },
      { value: '12345', kind: 'invalid' },
      { value: 'hello', kind: 'invalid' },
      { value: 'ivan@x', kind: 'invalid' },
      { value: '+7 916 12', kind: 'invalid' },
    ])
  })

  it('survives an unpaired quote', () => {
    expect(parsePaste('"a@x.ru, b@x.ru').map((i) => i.value)).toEqual(['a@x.ru', 'b@x.ru'])
  })

  it('returns nothing for blank input', () => {
    expect(parsePaste(' \n ,; ')).toEqual([])
  })
})
