/**
 * PHP/qs-style bracket encoding, used both ways:
 * - parsing request bodies and query strings (`filter[>ID]=5`, `cmd[a]=user.get?ID=1`, `USER_ID[]=3`),
 * - encoding outgoing events and robot calls as `application/x-www-form-urlencoded` with nested
 *   keys (`data[FIELDS][ID]=1`, `auth[application_token]=…`), as `api-reference/events/index.md` shows.
 */
export type FormValue = string | FormObject | FormValue[]
export interface FormObject {
  [key: string]: FormValue
}

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    return s
  }
}

/** Splits `a[b][c]` into `['a','b','c']`; `a[]` gives `['a','']` (append). */
function keyPath(key: string): string[] {
  const open = key.indexOf('[')
  if (open <= 0) return [key]
  const path = [key.slice(0, open)]
  const re = /\[([^\]]*)\]/g
  let m: RegExpExecArray | null
  let last = open
  while ((m = re.exec(key)) !== null) {
    if (m.index !== last) break
    path.push(m[1] ?? '')
    last = re.lastIndex
  }
  // Trailing garbage after the brackets is kept on the last segment, like PHP does loosely.
  if (last < key.length && path.length > 1) path[path.length - 1] += key.slice(last)
  return path
}

/** Turns objects whose keys are exactly 0..n-1 into arrays (PHP lists, qs arrays). */
function normalise(value: FormValue): FormValue {
  if (Array.isArray(value)) return value.map(normalise)
  if (typeof value === 'string') return value
  const keys = Object.keys(value)
  const out: FormObject = {}
  for (const k of keys) out[k] = normalise(value[k] as FormValue)
  if (keys.length > 0 && keys.every((k, i) => k === String(i))) return keys.map((k) => out[k] as FormValue)
  return out
}

export function parseForm(input: string): FormObject {
  const root: FormObject = {}
  if (!input) return root
  for (const pair of input.split('&')) {
    if (!pair) continue
    const eq = pair.indexOf('=')
    const rawKey = decode(eq === -1 ? pair : pair.slice(0, eq))
    const value = eq === -1 ? '' : decode(pair.slice(eq + 1))
    if (!rawKey) continue
    const path = keyPath(rawKey)
    let node: FormObject = root
    for (let i = 0; i < path.length; i++) {
      let seg = path[i] as string
      const isLast = i === path.length - 1
      if (seg === '') {
        // `a[]`: next free integer index
        let n = 0
        while (Object.prototype.hasOwnProperty.call(node, String(n))) n++
        seg = String(n)
      }
      if (seg === '__proto__' || seg === 'constructor' || seg === 'prototype') break
      if (isLast) {
        node[seg] = value
      } else {
        const next = node[seg]
        if (next === undefined || typeof next === 'string' || Array.isArray(next)) {
          const fresh: FormObject = {}
          node[seg] = fresh
          node = fresh
        } else {
          node = next
        }
      }
    }
  }
  return normalise(root) as FormObject
}

const enc = (s: string): string => encodeURIComponent(s)

/** PHP `http_build_query`-like: nested keys with brackets, list indices, booleans as 1/0, nulls dropped. */
export function stringifyForm(value: Record<string, unknown>): string {
  const parts: string[] = []
  const walk = (prefix: string, v: unknown): void => {
    if (v === null || v === undefined) return
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(`${prefix}[${i}]`, item))
      return
    }
    if (typeof v === 'object') {
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) walk(`${prefix}[${k}]`, item)
      return
    }
    const scalar = typeof v === 'boolean' ? (v ? '1' : '0') : String(v)
    parts.push(`${enc(prefix)}=${enc(scalar)}`)
  }
  for (const [k, v] of Object.entries(value)) walk(k, v)
  return parts.join('&')
}
