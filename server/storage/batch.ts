import type { Dialect } from './migrations.js'

// Helpers shared by the stores that write or look up thousands of rows at a time.

/**
 * Bound parameters allowed in one statement: SQLite's SQLITE_MAX_VARIABLE_NUMBER (32,766 since
 * 3.32; better-sqlite3 bundles a newer SQLite built with that value) and PostgreSQL's protocol
 * limit of 65,535. A margin is kept for the few parameters a statement adds around its rows.
 */
const MAX_PARAMS: Record<Dialect, number> = { sqlite: 32_766, postgres: 65_535 }
const PARAM_MARGIN = 16
/** Beyond this a bigger statement saves nothing measurable and only grows the SQL text. */
const MAX_ROWS_PER_STATEMENT = 2_000
/** Values per `IN (...)` list: well under both limits, and small enough for a cheap plan. */
export const IN_LIST_CHUNK = 1_000

/** Rows per multi-row INSERT for a row of `columns` bound values, under the dialect's parameter limit. */
export function rowsPerInsert(dialect: Dialect, columns: number): number {
  return Math.max(1, Math.min(MAX_ROWS_PER_STATEMENT, Math.floor((MAX_PARAMS[dialect] - PARAM_MARGIN) / columns)))
}

export function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** A JSON array of integers; anything else reads as [] rather than crashing a request. */
export function parseIntArray(text: string | null): number[] {
  if (text === null) return []
  try {
    const value: unknown = JSON.parse(text)
    return Array.isArray(value) ? value.filter((n): n is number => Number.isInteger(n)) : []
  } catch {
    return []
  }
}

/**
 * True when `error` is a unique-constraint violation of the named index. PostgreSQL reports the
 * index name (SQLSTATE 23505); SQLite reports the columns, so the caller passes them as
 * "table.column, table.column" exactly as SQLite prints them.
 */
export function isUniqueViolation(error: unknown, index: { name: string; sqliteColumns: string }): boolean {
  if (typeof error !== 'object' || error === null) return false
  const e = error as { code?: unknown; constraint?: unknown; message?: unknown }
  if (e.code === '23505') return e.constraint === index.name
  return (
    e.code === 'SQLITE_CONSTRAINT_UNIQUE' &&
    typeof e.message === 'string' &&
    e.message.includes(`UNIQUE constraint failed: ${index.sqliteColumns}`)
  )
}
