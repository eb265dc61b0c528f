/** Helpers to read loosely-typed REST parameters the way PHP would. */

export type Params = Record<string, unknown>

/** Case-insensitive parameter lookup (`FILTER`, `filter`, `Filter`). */
export function param(params: Params, name: string): unknown {
  if (name in params) return params[name]
  const lower = name.toLowerCase()
  for (const [k, v] of Object.entries(params)) if (k.toLowerCase() === lower) return v
  return undefined
}

export function hasParam(params: Params, name: string): boolean {
  return param(params, name) !== undefined
}

export function str(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return ''
}

/** Integer or NaN. */
export function int(v: unknown): number {
  if (typeof v === 'number') return Number.isInteger(v) ? v : Math.trunc(v)
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number.parseInt(v, 10)
  return Number.NaN
}

/** A scalar or list parameter as a list (`USER_ID: 5` and `USER_ID: [5, 6]` both work). */
export function list(v: unknown): unknown[] {
  if (v === undefined || v === null || v === '') return []
  if (Array.isArray(v)) return v
  if (typeof v === 'object') return Object.values(v as object)
  return [v]
}

export function intList(v: unknown): number[] {
  return list(v).map(int).filter((n) => Number.isFinite(n))
}

/** `Y`/`N`, `true`/`false`, `1`/`0` → boolean; undefined when absent or unrecognised. */
export function yesNo(v: unknown): boolean | undefined {
  if (v === true || v === 1) return true
  if (v === false || v === 0) return false
  const s = str(v).trim().toLowerCase()
  if (['y', 'yes', 'true', '1'].includes(s)) return true
  if (['n', 'no', 'false', '0'].includes(s)) return false
  return undefined
}

export function obj(v: unknown): Params {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Params) : {}
}

/** Object keys upper-cased (PHP `array_change_key_case(..., CASE_UPPER)`). */
export function upperKeys(p: Params): Params {
  const out: Params = {}
  for (const [k, v] of Object.entries(p)) out[k.toUpperCase()] = v
  return out
}
