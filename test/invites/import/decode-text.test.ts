import { describe, expect, it } from 'vitest'
import { decodeCsvBytes } from '../../../server/invites/import/index.js'
import { encode1251, utf8 } from './fixtures.js'

const SAMPLE = 'Фамилия;Имя;Почта\nЁлкина;Алёна;alena@пример.рф\n'

describe('decodeCsvBytes', () => {
  it('reads UTF-8 with a BOM and strips the BOM', () => {
    expect(decodeCsvBytes(utf8(SAMPLE, true))).toEqual({ encoding: 'utf-8', bom: true, text: SAMPLE })
  })

  it('reads UTF-8 Cyrillic without a BOM as UTF-8', () => {
    expect(decodeCsvBytes(utf8(SAMPLE))).toEqual({ encoding: 'utf-8', bom: false, text: SAMPLE })
  })

  it('reads Windows-1251 Cyrillic as Windows-1251', () => {
    expect(decodeCsvBytes(encode1251(SAMPLE))).toEqual({ encoding: 'windows-1251', bom: false, text: SAMPLE })
  })

  it('decides on a single short Cyrillic word too', () => {
    expect(decodeCsvBytes(encode1251('Иванов')).encoding).toBe('windows-1251')
    expect(decodeCsvBytes(utf8('Иванов')).encoding).toBe('utf-8')
  })

  it('treats plain ASCII as UTF-8', () => {
    expect(decodeCsvBytes(utf8('email\na@b.ru\n')).encoding).toBe('utf-8')
  })

  it('keeps a UTF-8 file with one damaged byte as UTF-8 instead of turning it into mojibake', () => {
    const bytes = Buffer.concat([utf8(SAMPLE.repeat(5)), Buffer.from([0xff]), utf8('Конец')])
    const decoded = decodeCsvBytes(bytes)
    expect(decoded.encoding).toBe('utf-8')
    expect(decoded.text).toContain('Ёлкина')
    expect(decoded.text).toContain('\uFFFD')
  })

  it('honours an override', () => {
    expect(decodeCsvBytes(encode1251(SAMPLE), 'windows-1251').text).toBe(SAMPLE)
    const forced = decodeCsvBytes(encode1251(SAMPLE), 'utf-8')
    expect(forced.encoding).toBe('utf-8')
    expect(forced.text).not.toBe(SAMPLE)
    expect(decodeCsvBytes(utf8(SAMPLE, true), 'windows-1251')).toMatchObject({ encoding: 'windows-1251', bom: true })
  })
})
