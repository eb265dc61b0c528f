/**
 * summarizeCsv reads a file row by row for the upload; it must tell exactly what parseCsv (the whole read the
 * dry run uses) tells: the same first rows, count, width and problems, for every kind of file.
 */
import { describe, expect, it } from 'vitest'
import { parseCsv, summarizeCsv, summarizeTable } from '../../../server/invites/import/index.js'

const FILES: Record<string, string> = {
  comma: 'email,name\na@b.ru,Ann\n',
  semicolon: 'email;name\na@b.ru;Ann\n',
  tab: 'email\tname\na@b.ru\tAnn\n',
  bom: '\uFEFFemail;name\r\na@b.ru;Ann\r\n',
  'commas inside values': 'ФИО;Почта\nИванов, Иван;a@b.ru\nПетров, Пётр;p@b.ru\n',
  'single column': 'email\na@b.ru\nc@d.ru',
  'quoted line breaks': 'name;note;email\n"Иванов;Иван";"line 1\nline 2";a@b.ru\n"ООО ""Ромашка""";x;c@d.ru\n',
  'empty lines': '\n\nemail\na@b.ru\n\nc@d.ru\n\n\n',
  'unterminated quote': 'name,email\n"Ivanov,ivan@x.ru\nPetrov,petr@x.ru\nSidorov,sid@x.ru\n',
  'stray quote': 'name;email\n"Ivanov;ivan@x.ru\nPetrov;petr@x.ru\n"Sidorov";sid@x.ru\nKozlov;koz@x.ru\n',
  'text after a closing quote': 'name;email\n"Ivanov" Ivan";ivan@x.ru\nPetrov;petr@x.ru\nSidorov;x;y\n',
  ragged: 'name,email\nIvanov, Ivan,ivan@x.ru\nPetrov\nSidorov,sid@x.ru\n',
  'a flood of ragged rows': 'a,b\n' + 'x\n'.repeat(150) + 'y,z\n',
  'many broken quotes': 'name,email\n' + Array.from({ length: 40 }, (_, i) => `"n${i},e${i}@x.ru`).join('\n') + '\n',
  'a long file': 'Фамилия;Имя;E-mail\n' + Array.from({ length: 500 }, (_, i) => (i % 97 === 0 ? `Ф${i};И\n` : `Ф${i};И${i};u${i}@x.ru\n`)).join(''),
}

describe('summarizeCsv', () => {
  for (const [name, text] of Object.entries(FILES)) {
    it(`tells what parseCsv tells: ${name}`, () => {
      const whole = parseCsv(text)
      const summary = summarizeCsv(text, { keep: 21 })
      expect(summary).toEqual({ delimiter: whole.delimiter, ...summarizeTable(whole.rows, 21), problems: whole.problems })
    })
  }

  it('keeps only the first rows, counts the rest and takes an explicit delimiter', () => {
    const text = 'a;b,c\n' + Array.from({ length: 1000 }, (_, i) => `${i};x,y\n`).join('')
    const s = summarizeCsv(text, { delimiter: ',', keep: 3 })
    expect(s).toEqual({ delimiter: ',', head: [['a;b', 'c'], ['0;x', 'y'], ['1;x', 'y']], rowCount: 1001, columns: 2, problems: [] })
  })
})
