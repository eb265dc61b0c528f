import { normalizeEmail, normalizePhone, splitNamedAddress } from './contact-values.js'
import type { ColumnMapping, FieldKey } from './field-keys.js'
import {
  cleanText,
  type DepartmentRef,
  type GroupRef,
  type Language,
  parseDepartment,
  parseGroups,
  parseLanguage,
  splitFullName,
} from './field-values.js'

export type RowIssueCode =
  | 'invalid_email'
  | 'invalid_phone'
  | 'phone_country_code_assumed'
  | 'missing_contact'
  | 'duplicate_email'
  | 'duplicate_phone'
  | 'unknown_language'
  | 'invalid_department'
  | 'invalid_group'

export interface RowIssue {
  field: string
  code: RowIssueCode
  message: string
  /** 'error': the row cannot be invited as it is; 'warning': it can, but the admin should look. */
  severity: 'error' | 'warning'
  /** The cell as it was in the file. */
  value?: string
}

export interface NormalizedRow {
  /** 1-based, as the user sees it in the file (the sheet row, or the CSV record). */
  rowNumber: number
  email: string | null
  phone: string | null
  name: string | null
  lastName: string | null
  secondName: string | null
  position: string | null
  department: DepartmentRef | null
  groups: GroupRef[]
  language: Language | null
  template: string | null
  /** Custom user field code (UF_…) → value; empty cells are left out. */
  userFields: Record<string, string>
  issues: RowIssue[]
}

/**
 * Turns parsed rows into invite candidates for the dry run. With `headerRow`, the first non-empty row is
 * the header and is skipped. Fully empty rows are skipped silently; row numbers stay those of the file.
 * Values are taken as text: a cell starting with = + - @ is kept verbatim (export neutralises it elsewhere).
 */
export function normalizeRows(rows: string[][], mapping: ColumnMapping, headerRow: boolean): NormalizedRow[] {
  return [...eachNormalizedRow(rows, mapping, headerRow)]
}

/**
 * normalizeRows one row at a time, for a caller that keeps only what it makes of each row. With `release`,
 * each source row is dropped from `rows` once read (the caller owns the array and needs it no more).
 */
export function* eachNormalizedRow(rows: Array<string[] | null>, mapping: ColumnMapping, headerRow: boolean, opts: { release?: boolean } = {}): Generator<NormalizedRow> {
  const columns = Object.entries(mapping)
    .filter((entry): entry is [string, FieldKey] => entry[1] !== null && entry[1] !== undefined)
    .map(([column, field]) => ({ column: Number(column), field }))

  const firstData = headerRow ? rows.findIndex((r) => !isEmptyRow(r ?? [])) + 1 : 0
  const firstRowByEmail = new Map<string, number>()
  const firstRowByPhone = new Map<string, number>()

  for (let i = Math.max(firstData, 0); i < rows.length; i++) {
    const cells = rows[i] ?? []
    if (opts.release) rows[i] = null
    if (isEmptyRow(cells)) continue
    const row = normalizeRow(i + 1, cells, columns)
    flagDuplicate(row, 'email', firstRowByEmail)
    flagDuplicate(row, 'phone', firstRowByPhone)
    yield row
  }
}

function normalizeRow(rowNumber: number, cells: string[], columns: Array<{ column: number; field: FieldKey }>): NormalizedRow {
  const row: NormalizedRow = {
    rowNumber,
    email: null,
    phone: null,
    name: null,
    lastName: null,
    secondName: null,
    position: null,
    department: null,
    groups: [],
    language: null,
    template: null,
    userFields: {},
    issues: [],
  }
  const issue = (field: string, code: RowIssueCode, message: string, value: string, severity: RowIssue['severity'] = 'error') =>
    row.issues.push({ field, code, message, severity, value })
  let fullName: string | null = null
  let contactCells = 0

  for (const { column, field } of columns) {
    const raw = cells[column] ?? ''
    const text = cleanText(raw)
    if (text === '') continue

    if (field.startsWith('uf:')) {
      row.userFields[field.slice(3)] = text
      continue
    }
    switch (field) {
      case 'email': {
        contactCells++
        // An address-book form in the e-mail column ("Ivan Petrov <ivan@x.ru>") contributes its address only.
        const email = normalizeEmail(splitNamedAddress(text)?.address ?? text)
        if (email.ok) row.email = email.value
        else issue('email', 'invalid_email', email.reason, raw)
        break
      }
      case 'phone': {
        contactCells++
        const phone = normalizePhone(text)
        if (!phone.ok) issue('phone', 'invalid_phone', phone.reason, raw)
        else {
          row.phone = phone.value
          if (phone.countryCodeAssumed) {
            issue(
              'phone',
              'phone_country_code_assumed',
              `"${text}" has no country code; it was read as ${phone.value}. Add the country code (e.g. +7) if that is wrong.`,
              raw,
              'warning',
            )
          }
        }
        break
      }
      case 'name':
      case 'lastName':
      case 'secondName':
      case 'position':
      case 'template':
        row[field] = text
        break
      case 'fullName':
        fullName = text
        break
      case 'department':
        row.department = parseDepartment(text)
        if (!row.department) issue('department', 'invalid_department', `"${text}" is neither a department ID nor a department name.`, raw)
        break
      case 'groups': {
        const { groups, invalid } = parseGroups(text)
        row.groups = groups
        for (const bad of invalid) issue('groups', 'invalid_group', `"${bad}" is not a valid group ID.`, raw)
        break
      }
      case 'language':
        row.language = parseLanguage(text)
        if (!row.language) {
          issue('language', 'unknown_language', `"${text}" is not a known language (ru or en); the portal default will be used.`, raw, 'warning')
        }
        break
    }
  }

  if (fullName !== null) {
    // Separate name columns win over the split of a full name.
    const parts = splitFullName(fullName)
    row.lastName ??= parts.lastName
    row.name ??= parts.name
    row.secondName ??= parts.secondName
  }
  if (contactCells === 0) {
    row.issues.push({ field: 'email', code: 'missing_contact', message: 'The row has neither an e-mail nor a phone number.', severity: 'error' })
  }
  return row
}

function flagDuplicate(row: NormalizedRow, field: 'email' | 'phone', firstRow: Map<string, number>): void {
  const value = row[field]
  if (value === null) return
  // Bitrix24 treats addresses case-insensitively, so John@x.ru and john@x.ru are one user.
  const key = value.toLowerCase()
  const first = firstRow.get(key)
  if (first === undefined) {
    firstRow.set(key, row.rowNumber)
    return
  }
  row.issues.push({
    field,
    code: field === 'email' ? 'duplicate_email' : 'duplicate_phone',
    message: `The same ${field === 'email' ? 'e-mail' : 'phone number'} as in row ${first}.`,
    severity: 'error',
    value,
  })
}

function isEmptyRow(cells: string[]): boolean {
  return cells.every((c) => cleanText(c) === '')
}
