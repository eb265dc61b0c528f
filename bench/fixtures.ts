/**
 * Inputs for the bench: invitation lists as people export them (UTF-8 CSV, Russian and English headers
 * and names, a few broken rows) and portal directories of a given size. Deterministic (seeded), so two
 * runs check the same rows.
 */
import type { PortalHandle } from '../test/emulator/index.js'
import { seededRandom as random } from '../test/helpers/seeded-random.js'


const RU_FIRST = ['Анна', 'Иван', 'Мария', 'Сергей', 'Ольга', 'Дмитрий', 'Елена', 'Алексей', 'Татьяна', 'Николай', 'Юлия', 'Пётр']
const RU_LAST = ['Иванова', 'Петров', 'Смирнова', 'Кузнецов', 'Попова', 'Соколов', 'Лебедева', 'Козлов', 'Новикова', 'Морозов']
const RU_MIDDLE = ['Ивановна', 'Сергеевич', 'Петровна', 'Алексеевич', 'Николаевна', '']
const EN_FIRST = ['Alice', 'Bob', 'Carol', 'David', 'Erin', 'Frank', 'Grace', 'Henry', 'Irene', 'Jack']
const EN_LAST = ['Smith', 'Jones', 'Taylor', 'Brown', 'Wilson', 'Evans', 'Thomas', 'Walker', 'White', 'Clarke']
const POSITIONS = ['Менеджер по продажам', 'Бухгалтер', 'Software Engineer', 'Аналитик', 'Designer', 'Юрист', 'HR-специалист', '']

/** Departments the big file names (by name); the portal is seeded with the same ones. */
export const DEPARTMENTS = ['Продажи', 'Маркетинг', 'Бухгалтерия', 'Разработка', 'Support', 'Логистика', 'Юридический отдел', 'HR', 'Закупки', 'Производство']

const pick = <T>(rnd: () => number, list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!

function csvText(rows: string[][], delimiter: string): string {
  const q = (s: string) => (s.includes(delimiter) || /["\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
  return rows.map((r) => r.map(q).join(delimiter)).join('\r\n') + '\r\n'
}

/** A clean list of `n` new people (all sendable): the throughput runs. */
export function inviteList(n: number, prefix: string): Uint8Array {
  const rnd = random(n)
  const rows = [['E-mail', 'Имя', 'Фамилия']]
  for (let i = 1; i <= n; i++) {
    const ru = rnd() < 0.5
    rows.push([`${prefix}.${i}@invite.example`, ru ? pick(rnd, RU_FIRST) : pick(rnd, EN_FIRST), ru ? pick(rnd, RU_LAST) : pick(rnd, EN_LAST)])
  }
  return new TextEncoder().encode(csvText(rows, ','))
}

export interface MessyListStats {
  rows: number
  invalidEmails: number
  duplicateRows: number
  existing: number
  unknownDepartments: number
}

/**
 * A realistic HR export: `;`-separated (Excel's Russian locale), UTF-8 with BOM, Фамилия/Имя/Отчество,
 * e-mail, phone, position and department by name. About 1 % broken e-mails, 1 % repeated rows, 0.5 %
 * misspelt departments, and `existingShare` of the rows naming people already in the portal.
 */
export function messyList(n: number, opts: { existingEmails: string[]; existingShare: number; seed: number }): { bytes: Uint8Array; stats: MessyListStats } {
  const rnd = random(opts.seed)
  const rows = [['Фамилия', 'Имя', 'Отчество', 'E-mail', 'Телефон', 'Должность', 'Отдел']]
  const stats: MessyListStats = { rows: n, invalidEmails: 0, duplicateRows: 0, existing: 0, unknownDepartments: 0 }
  for (let i = 1; i <= n; i++) {
    const r = rnd()
    if (r < 0.01 && rows.length > 2) {
      rows.push([...rows[1 + Math.floor(rnd() * (rows.length - 1))]!])
      stats.duplicateRows++
      continue
    }
    const ru = rnd() < 0.7
    let email = `person.${opts.seed}.${i}@corp.example`
    if (r < 0.02) {
      email = `person ${i}@corp`
      stats.invalidEmails++
    } else if (r < 0.02 + opts.existingShare && opts.existingEmails.length > 0) {
      email = pick(rnd, opts.existingEmails).toUpperCase()
      stats.existing++
    }
    let department = pick(rnd, DEPARTMENTS)
    if (rnd() < 0.005) {
      department = department.slice(0, -1) + 'ы'
      stats.unknownDepartments++
    }
    const phone = rnd() < 0.6 ? `+7 (9${String(10 + Math.floor(rnd() * 89))}) ${String(100 + Math.floor(rnd() * 899))}-${String(10 + Math.floor(rnd() * 89))}-${String(10 + Math.floor(rnd() * 89))}` : ''
    rows.push([
      ru ? pick(rnd, RU_LAST) : pick(rnd, EN_LAST),
      ru ? pick(rnd, RU_FIRST) : pick(rnd, EN_FIRST),
      ru ? pick(rnd, RU_MIDDLE) : '',
      email,
      phone,
      pick(rnd, POSITIONS),
      department,
    ])
  }
  const text = '\uFEFF' + csvText(rows, ';')
  return { bytes: new TextEncoder().encode(text), stats }
}

/** Seeds the portal's departments (once) and `n` active employees spread over them; returns their e-mails. */
export function seedDirectory(portal: PortalHandle, n: number, seed: number): string[] {
  const rnd = random(seed)
  const known = new Map(portal.departments().map((d) => [d.NAME, d.ID]))
  const depIds = DEPARTMENTS.map((name) => known.get(name) ?? portal.addDepartment({ NAME: name, PARENT: 1 }).ID)
  const emails: string[] = []
  for (let i = 1; i <= n; i++) {
    const email = `staff.${seed}.${i}@corp.example`
    const invited = rnd() < 0.05
    portal.addUser({ EMAIL: email, NAME: pick(rnd, RU_FIRST), LAST_NAME: pick(rnd, RU_LAST), UF_DEPARTMENT: [pick(rnd, depIds)], ...(invited ? { invited: true } : {}), ...(rnd() < 0.03 ? { ACTIVE: false } : {}) })
    emails.push(email)
  }
  return emails
}
