import { z } from 'zod'
import { normalizeEmail, normalizePhone, splitNamedAddress } from './contact-values.js'
import { type ColumnMapping, type FieldKey, isFieldKey, type StandardField, USER_FIELD_CODE } from './field-keys.js'
import { cleanText, parseLanguage } from './field-values.js'

/**
 * Header spellings per field, in normalised form (see normalizeHeader): Russian and English office usage
 * plus Bitrix24's own export codes (NAME, LAST_NAME, WORK_POSITION, UF_DEPARTMENT, PERSONAL_MOBILE …).
 */
const HEADER_SYNONYMS: Record<StandardField, readonly string[]> = {
  email: [
    'email', 'mail', 'emailaddress', 'emailадрес', 'адресemail', 'workemail', 'почта', 'электроннаяпочта', 'элпочта',
    'эпочта', 'адресэлектроннойпочты', 'электронныйадрес', 'рабочаяпочта', 'емейл', 'емэйл', 'имейл', 'имэйл', 'емаил',
  ],
  phone: [
    'phone', 'phonenumber', 'mobile', 'mobilephone', 'mobilenumber', 'cell', 'cellphone', 'tel', 'telephone',
    'personalmobile', 'personalphone', 'workphone', 'телефон', 'тел', 'мобильный', 'мобильныйтелефон', 'номертелефона',
    'сотовый', 'сотовыйтелефон', 'рабочийтелефон',
  ],
  name: ['name', 'firstname', 'givenname', 'first', 'forename', 'имя'],
  lastName: ['lastname', 'surname', 'familyname', 'last', 'фамилия'],
  secondName: ['secondname', 'middlename', 'patronymic', 'middle', 'отчество'],
  fullName: ['fullname', 'фио', 'полноеимя', 'фамилияимяотчество', 'сотрудник'],
  position: ['position', 'jobtitle', 'title', 'job', 'workposition', 'должность'],
  department: [
    'department', 'dept', 'division', 'ufdepartment', 'отдел', 'подразделение', 'департамент', 'структурноеподразделение',
    'отделподразделение', 'подразделениеотдел',
  ],
  groups: [
    'groups', 'group', 'workgroup', 'workgroups', 'project', 'projects', 'группы', 'группа', 'рабочаягруппа',
    'рабочиегруппы', 'проект', 'проекты', 'группыпроекты',
  ],
  language: ['language', 'lang', 'locale', 'interfacelanguage', 'язык', 'языкинтерфейса'],
  template: ['template', 'invitetemplate', 'invitationtemplate', 'шаблон', 'шаблонприглашения'],
}

const FIELD_BY_HEADER = new Map<string, StandardField>(
  Object.entries(HEADER_SYNONYMS).flatMap(([field, names]) => names.map((n) => [n, field as StandardField] as const)),
)

/** Rows looked at when guessing columns from their content. */
const SAMPLE_ROWS = 50
/** Share of a column's non-empty values that must look like a kind for the column to be guessed as it. */
const CONTENT_MAJORITY = 0.6

/** Lower case, ё → е, parenthesised notes dropped, then only letters and digits: "E-mail (рабочий)" → "email". */
export function normalizeHeader(header: string): string {
  return header
    .replace(/\([^)]*\)|\[[^\]]*\]/g, '')
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/[^\p{L}\p{N}]/gu, '')
}

/** The field a header names, or null. UF_* codes (Bitrix24 custom user fields) map to `uf:<CODE>`. */
export function fieldForHeader(header: string): FieldKey | null {
  const known = FIELD_BY_HEADER.get(normalizeHeader(header))
  if (known) return known
  const code = /^\s*(?:uf:)?(UF_[A-Z0-9_]+)\b/i.exec(header)?.[1]?.toUpperCase()
  return code && USER_FIELD_CODE.test(code) ? `uf:${code}` : null
}

export interface DetectedMapping {
  mapping: ColumnMapping
  /** False when the first row is data (it contains an e-mail); columns were then guessed from content. */
  headerRow: boolean
}

/**
 * Proposes a mapping from the first row. If that row is data rather than headers, columns are guessed from
 * their content (the first row plus `sampleRows`, the rows after it). With headers, columns whose header is
 * not recognised still get e-mail or phone from their content if no other column has it.
 */
export function detectMapping(headers: string[], sampleRows: string[][] = []): DetectedMapping {
  const recognised = headers.map(fieldForHeader)
  const firstRowIsData =
    headers.some(isEmailLike) || (recognised.every((f) => f === null) && headers.some(isPhoneLike))

  if (firstRowIsData) return { mapping: guessFromContent([headers, ...sampleRows], headers.length, {}), headerRow: false }

  const mapping: ColumnMapping = {}
  const taken = new Set<FieldKey>()
  recognised.forEach((field, column) => {
    // The first column with a field keeps it; a second "Email" column is left for the admin to decide.
    if (field && !taken.has(field)) {
      mapping[column] = field
      taken.add(field)
    } else mapping[column] = null
  })
  const rest = guessFromContent(sampleRows, headers.length, mapping, ['email', 'phone'])
  return { mapping: rest, headerRow: true }
}

function guessFromContent(
  rows: string[][],
  columnCount: number,
  start: ColumnMapping,
  allowed: readonly StandardField[] = ['email', 'phone', 'language', 'fullName'],
): ColumnMapping {
  const mapping: ColumnMapping = { ...start }
  const taken = new Set(Object.values(mapping).filter((f): f is FieldKey => f !== null))
  const sample = rows.slice(0, SAMPLE_ROWS)
  const width = Math.max(columnCount, ...sample.map((r) => r.length))

  for (let column = 0; column < width; column++) {
    if (mapping[column]) continue
    mapping[column] = null
    const values = sample.map((r) => cleanText(r[column] ?? '')).filter((v) => v !== '')
    if (values.length === 0) continue
    const share = (test: (v: string) => boolean) => values.filter(test).length / values.length
    const tests: Array<[StandardField, (v: string) => boolean, number]> = [
      ['email', isEmailLike, CONTENT_MAJORITY],
      ['phone', isPhoneLike, CONTENT_MAJORITY],
      ['language', (v) => parseLanguage(v) !== null, 1],
      ['fullName', isFullNameLike, CONTENT_MAJORITY],
    ]
    for (const [field, test, needed] of tests) {
      if (allowed.includes(field) && !taken.has(field) && share(test) >= needed) {
        mapping[column] = field
        taken.add(field)
        break
      }
    }
  }
  return mapping
}

function isEmailLike(value: string): boolean {
  const text = value.trim()
  return normalizeEmail(splitNamedAddress(text)?.address ?? text).ok
}

function isPhoneLike(value: string): boolean {
  return normalizePhone(value).ok
}

/** Two or three capitalised words of letters: "Иванов Иван Иванович", "John Smith". */
function isFullNameLike(value: string): boolean {
  return /^\p{Lu}[\p{L}'-]*(?: \p{Lu}[\p{L}'-]*){1,2}$/u.test(cleanText(value))
}

export type MappingProblemCode = 'invalid_mapping' | 'unknown_field' | 'duplicate_field' | 'column_out_of_range' | 'missing_contact'

export interface MappingProblem {
  code: MappingProblemCode
  message: string
  field?: string
  /** 0-based column indexes involved. */
  columns?: number[]
}

export type MappingValidation = { ok: true; mapping: ColumnMapping } | { ok: false; problems: MappingProblem[] }

const mappingShape = z.record(z.string().regex(/^\d+$/), z.string().nullable())

/**
 * Checks a mapping sent by the client: known fields only, each field from one column at most (distinct
 * uf:* fields are separate fields; the same UF code twice is a duplicate), and e-mail or phone present.
 */
export function validateMapping(input: unknown, columnCount?: number): MappingValidation {
  const parsed = mappingShape.safeParse(input)
  if (!parsed.success) {
    return {
      ok: false,
      problems: [{ code: 'invalid_mapping', message: 'The mapping must be an object of column numbers to field names or null.' }],
    }
  }

  const problems: MappingProblem[] = []
  const mapping: ColumnMapping = {}
  const columnsByField = new Map<FieldKey, number[]>()
  for (const [key, field] of Object.entries(parsed.data)) {
    const column = Number(key)
    if (columnCount !== undefined && column >= columnCount) {
      problems.push({ code: 'column_out_of_range', message: `Column ${column + 1} does not exist in the file.`, columns: [column] })
      continue
    }
    if (field === null) {
      mapping[column] = null
      continue
    }
    if (!isFieldKey(field)) {
      problems.push({ code: 'unknown_field', message: `"${field}" is not a field that can be imported.`, field, columns: [column] })
      continue
    }
    mapping[column] = field
    columnsByField.set(field, [...(columnsByField.get(field) ?? []), column])
  }

  for (const [field, columns] of columnsByField) {
    if (columns.length > 1) {
      problems.push({
        code: 'duplicate_field',
        message: `"${field}" is mapped to columns ${columns.map((c) => c + 1).join(', ')}; choose one.`,
        field,
        columns,
      })
    }
  }
  if (!columnsByField.has('email') && !columnsByField.has('phone')) {
    problems.push({ code: 'missing_contact', message: 'Map a column to e-mail or to phone: invitations are sent to one of them.' })
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, mapping }
}
