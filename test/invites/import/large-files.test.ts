import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  decodeCsvBytes,
  detectMapping,
  normalizeRows,
  parseCsv,
  parseXlsx,
  sniffUpload,
} from '../../../server/invites/import/index.js'
import { buildStreamedXlsx, encode1251 } from './fixtures.js'

// Correctness only; time and memory are printed for the report, never asserted (machines vary).
// The figures come from a fresh child process: inside the test worker the heap has already grown.
const ROWS = 50_000
const HEADER = ['Фамилия', 'Имя', 'Отчество', 'E-mail', 'Телефон', 'Должность', 'Отдел', 'Группы', 'Язык', 'UF_USR_SKILL']
const row = (i: number) => [
  `Иванов${i}`,
  `Иван${i % 100}`,
  'Иванович',
  `user${i}@example.ru`,
  `+7 916 ${String(i).padStart(7, '0')}`,
  'Менеджер',
  `Продажи / Москва ${i % 20}`,
  'Проект А, 15',
  i % 2 ? 'ru' : 'en',
  `навык ${i % 7}`,
]

interface Probe {
  ms: number
  rssBeforeMb: number
  rssPeakMb: number
  rssPeakDeltaMb: number
  retainedHeapMb: number
  rowCount: number
  lastRow: string[]
}

/** Parses the file in a fresh Node process (see measure-parse.ts) and prints the figures for the report. */
function probe(kind: 'csv' | 'xlsx', bytes: Buffer): Probe {
  const dir = mkdtempSync(join(tmpdir(), 'invite-import-'))
  try {
    const file = join(dir, `fixture.${kind}`)
    writeFileSync(file, bytes)
    const script = fileURLToPath(new URL('./measure-parse.ts', import.meta.url))
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, kind, file], { encoding: 'utf8' })
    const result = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Probe
    console.log(
      `[import 50k] ${kind.toUpperCase()} ${(bytes.length / 1024 / 1024).toFixed(1)} MB: parse ${result.ms} ms, ` +
        `RSS ${result.rssBeforeMb} → peak ${result.rssPeakMb} MB (+${result.rssPeakDeltaMb} MB), heap retained after GC ${result.retainedHeapMb} MB`,
    )
    return result
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('50,000-row files', () => {
  it('parses a Windows-1251 semicolon CSV', async () => {
    const bytes = encode1251([HEADER, ...Array.from({ length: ROWS }, (_, i) => row(i))].map((r) => r.join(';')).join('\r\n') + '\r\n')
    expect(probe('csv', bytes)).toMatchObject({ rowCount: ROWS + 1, lastRow: row(ROWS - 1) })

    expect(sniffUpload(bytes)).toEqual({ kind: 'csv' })
    const { text, encoding } = decodeCsvBytes(bytes)
    expect(encoding).toBe('windows-1251')
    const parsed = parseCsv(text)
    expect(parsed.delimiter).toBe(';')
    expect(parsed.problems).toEqual([])
    expect(parsed.rows).toHaveLength(ROWS + 1)
    expect(parsed.rows[ROWS]).toEqual(row(ROWS - 1))

    const { mapping, headerRow } = detectMapping(parsed.rows[0] ?? [], parsed.rows.slice(1, 51))
    expect(headerRow).toBe(true)
    const started = performance.now()
    const normalized = normalizeRows(parsed.rows, mapping, headerRow)
    console.log(`[import 50k] normalizeRows: ${(performance.now() - started).toFixed(0)} ms`)
    expect(normalized).toHaveLength(ROWS)
    expect(normalized.filter((r) => r.issues.length > 0)).toEqual([])
    expect(normalized[ROWS - 1]).toMatchObject({
      rowNumber: ROWS + 1,
      email: `user${ROWS - 1}@example.ru`,
      phone: '+79160049999',
      lastName: `Иванов${ROWS - 1}`,
      department: { kind: 'path', path: ['Продажи', 'Москва 19'] },
      userFields: { UF_USR_SKILL: `навык ${(ROWS - 1) % 7}` },
    })
  })

  it('parses an XLSX', async () => {
    const bytes = await buildStreamedXlsx(ROWS, row, HEADER)
    expect(probe('xlsx', bytes)).toMatchObject({ rowCount: ROWS + 1, lastRow: row(ROWS - 1) })

    expect(sniffUpload(bytes)).toEqual({ kind: 'xlsx' })
    const parsed = await parseXlsx(bytes)
    expect(parsed.sheet).toBe('Сотрудники')
    expect(parsed.rows).toHaveLength(ROWS + 1)
    expect(parsed.rows[0]).toEqual(HEADER)
    expect(parsed.rows[ROWS]).toEqual(row(ROWS - 1))

    const normalized = normalizeRows(parsed.rows, detectMapping(HEADER).mapping, true)
    expect(normalized).toHaveLength(ROWS)
    expect(normalized.filter((r) => r.issues.length > 0)).toEqual([])
  })
})
