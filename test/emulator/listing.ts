/**
 * Filtering, ordering and paging shared by the list methods.
 * - Filter key prefixes: user-get.md (`>=`, `>`, `<=`, `<`, `@`, `!@`, `%`, `=%`, `%=`, `!%`, `!=%`,
 *   `!%=`, `=`, `!=`, `!`), sonet-group-get.md adds `><`, `!><`, `?`. "Filtering parameters can take
 *   array values" (= IN). Dates in ISO 8601; "If the value is not recognized as a date, the condition
 *   retrieves no records".
 * - Paging: "The results page size is always static: 50 records", `start = (N-1) * 50`, `next`, `total`
 *   (list-methods-pecularities.md); `start = -1` "disables the total count" (huge-data.md,
 *   socialnetwork-api-workgroup-list.md: "If -1 is passed, the response will not include the total field").
 */
import { int, str, type Params } from './params.js'

export const PAGE_SIZE = 50

const PREFIXES = ['!><', '!=%', '!%=', '><', '>=', '<=', '=%', '%=', '!%', '!@', '!=', '>', '<', '@', '%', '=', '!', '?'] as const
type Op = (typeof PREFIXES)[number] | ''

export function splitKey(key: string): { op: Op; field: string } {
  for (const p of PREFIXES) if (key.startsWith(p) && key.length > p.length) return { op: p, field: key.slice(p.length) }
  return { op: '', field: key }
}

/** A field value as the filter sees it. Dates are unix ms; lists (UF_DEPARTMENT) match if any element matches. */
export type FieldValue = string | number | boolean | null | undefined | Array<string | number>

export type Fields<T> = Record<string, { get(item: T): FieldValue; date?: boolean }>

const likeToRegex = (pattern: string): RegExp =>
  new RegExp(`^${pattern.split('%').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'is')

function scalarEquals(a: string | number | boolean | null | undefined, b: unknown): boolean {
  if (a === null || a === undefined || a === '') return b === '' || b === null || b === undefined || b === false || str(b) === 'N'
  if (typeof a === 'boolean') {
    const s = str(b).toLowerCase()
    const bb = b === true || s === 'y' || s === 'true' || s === '1'
    return a === bb
  }
  if (typeof a === 'number') {
    const n = Number(b)
    return Number.isFinite(n) && n === a
  }
  return a.toLowerCase() === str(b).toLowerCase()
}

/**
 * A filter date: ISO 8601 as the docs ask (`2024-07-23T11:23:47+00:00`, `2024-07-23`). A date-time without
 * an offset, including the `2024-08-29 10:30:11` form LAST_ACTIVITY_DATE is returned in, is read as UTC,
 * the zone the emulator writes dates in (Date.parse alone would use the test machine's zone).
 */
export function parseFilterDate(v: unknown): number {
  if (typeof v === 'number') return v
  const s = str(v).trim()
  const local = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/.exec(s)
  return Date.parse(local ? `${local[1]}T${local[2]}Z` : s)
}

function compare(a: FieldValue, b: unknown, date: boolean | undefined): number | null {
  if (a === null || a === undefined || a === '' || Array.isArray(a)) return null
  if (date) {
    const bm = parseFilterDate(b)
    if (!Number.isFinite(bm) || typeof a !== 'number') return null
    return a - bm
  }
  if (typeof a === 'number') {
    const n = Number(b)
    return Number.isFinite(n) ? a - n : null
  }
  if (typeof a === 'boolean') return null
  return a.localeCompare(str(b))
}

function matchOne(value: FieldValue, op: Op, filterValue: unknown, date: boolean | undefined): boolean {
  const values = Array.isArray(filterValue) ? filterValue : [filterValue]
  const items: Array<string | number | boolean | null | undefined> = Array.isArray(value) ? value : [value]
  const anyItem = (pred: (v: string | number | boolean | null | undefined) => boolean): boolean =>
    items.length === 0 ? pred(null) : items.some(pred)
  const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v))
  switch (op) {
    case '':
    case '=':
    case '@': {
      // An empty value matches "no date" (LAST_LOGIN '' = never logged in, user-get.md's ISODate | '').
      if (date) return values.some((fv) => anyItem((v) => (fv === '' || fv === null ? v === null || v === undefined || v === '' : compare(v as FieldValue, fv, true) === 0)))
      return values.some((fv) =>
        anyItem((v) => {
          // user-get.md example: {"filter": {"NAME": "Iv%"}} — a bare key with `%` in the value is a pattern.
          if (op === '' && typeof fv === 'string' && fv.includes('%') && typeof v === 'string') return likeToRegex(fv).test(v)
          return scalarEquals(v, fv)
        }),
      )
    }
    case '!':
    case '!=':
    case '!@':
      return !matchOne(value, '=', filterValue, date)
    case '>':
    case '>=':
    case '<':
    case '<=': {
      const fv = values[0]
      return anyItem((v) => {
        const c = compare(v as FieldValue, fv, date)
        if (c === null) return false
        return op === '>' ? c > 0 : op === '>=' ? c >= 0 : op === '<' ? c < 0 : c <= 0
      })
    }
    case '><':
    case '!><': {
      const [lo, hi] = values
      const inside = anyItem((v) => {
        const a = compare(v as FieldValue, lo, date)
        const b = compare(v as FieldValue, hi, date)
        return a !== null && b !== null && a >= 0 && b <= 0
      })
      return op === '><' ? inside : !inside
    }
    case '%':
    case '?':
      return values.some((fv) => anyItem((v) => text(v).toLowerCase().includes(text(fv).toLowerCase())))
    case '!%':
      return !matchOne(value, '%', filterValue, date)
    case '=%':
    case '%=':
      return values.some((fv) => anyItem((v) => likeToRegex(text(fv)).test(text(v))))
    case '!=%':
    case '!%=':
      return !matchOne(value, '=%', filterValue, date)
  }
}

/**
 * Applies a filter object. Unknown fields are ignored, as the legacy list methods do with keys they
 * do not know; `special` handles computed keys (NAME_SEARCH, FIND …) and returns undefined to fall
 * through to the field table.
 */
export function applyFilter<T>(
  items: T[],
  filter: Params,
  fields: Fields<T>,
  special?: (key: string, value: unknown, item: T) => boolean | undefined,
): T[] {
  const entries = Object.entries(filter)
  return items.filter((item) =>
    entries.every(([key, fv]) => {
      const sp = special?.(key, fv, item)
      if (sp !== undefined) return sp
      const { op, field } = splitKey(key)
      const spec = fields[field.toUpperCase()]
      if (!spec) return true
      return matchOne(spec.get(item), op, fv, spec.date)
    }),
  )
}

/** Sorts by `{FIELD: 'ASC'|'DESC', …}`; unknown fields are skipped; ID breaks ties. */
export function applyOrder<T>(items: T[], order: Params, fields: Fields<T>): T[] {
  const keys = Object.entries(order)
    .map(([f, d]) => ({ spec: fields[f.toUpperCase()], desc: str(d).toUpperCase() === 'DESC' }))
    .filter((k): k is { spec: NonNullable<typeof k.spec>; desc: boolean } => k.spec !== undefined)
  const idSpec = fields.ID
  if (idSpec) keys.push({ spec: idSpec, desc: false })
  const norm = (v: FieldValue): string | number => (Array.isArray(v) ? (v[0] ?? '') : v === null || v === undefined ? '' : typeof v === 'boolean' ? (v ? 1 : 0) : v)
  return [...items].sort((a, b) => {
    for (const k of keys) {
      const va = norm(k.spec.get(a))
      const vb = norm(k.spec.get(b))
      let c: number
      if (typeof va === 'number' && typeof vb === 'number') c = va - vb
      else c = String(va).localeCompare(String(vb), undefined, { numeric: true })
      if (c !== 0) return k.desc ? -c : c
    }
    return 0
  })
}

export interface Page<T> {
  items: T[]
  total?: number
  next?: number
}

export function paginate<T>(items: T[], startParam: unknown): Page<T> {
  const start = int(startParam)
  if (start === -1) return { items: items.slice(0, PAGE_SIZE) }
  const from = Number.isFinite(start) && start > 0 ? start : 0
  const slice = items.slice(from, from + PAGE_SIZE)
  const page: Page<T> = { items: slice, total: items.length }
  if (from + PAGE_SIZE < items.length) page.next = from + PAGE_SIZE
  return page
}
