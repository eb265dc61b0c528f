/**
 * `batch` (settings/how-to-call-rest-api/batch.md):
 * - `cmd` object or array of `"method?query"` strings, `halt` (true/false/1/0, default false);
 * - "The number of requests in a batch is limited to 50. If this limit is exceeded, subqueries beyond
 *   the limit will end with an error ERROR_BATCH_LENGTH_EXCEEDED" and nesting "ends with an error
 *   ERROR_BATCH_METHOD_NOT_ALLOWED": both are per-command errors in `result_error`, because "The batch
 *   method does not return a single error for the entire batch — the request itself completes with a
 *   200 status";
 * - `$result[request_id][response_field]…` references to earlier results;
 * - answer `{ result: { result, result_error, result_total, result_next, result_time }, time }`.
 * The outer call is not charged to `operating` (limits.md); each command is, under its own method.
 */
import { timeBlock, phpArray, type TimeBlock } from './envelope.js'
import { SystemErrors } from './errors.js'
import { parseForm } from './form-encoding.js'
import { runMethod, type Caller } from './dispatch.js'
import { obj, param, yesNo, type Params } from './params.js'
import type { Portal } from './portal.js'

export const BATCH_LIMIT = 50

interface Collected {
  result: Record<string, unknown>
  result_error: Record<string, unknown>
  result_total: Record<string, unknown>
  result_next: Record<string, unknown>
  result_time: Record<string, unknown>
}

function parseCommand(row: unknown): { method: string; params: Params } {
  if (typeof row === 'string') {
    const q = row.indexOf('?')
    const method = (q === -1 ? row : row.slice(0, q)).trim()
    return { method, params: q === -1 ? {} : parseForm(row.slice(q + 1)) }
  }
  // Not on the wire per the doc (strings only), but tolerated: `{ method, params }`.
  const o = obj(row)
  return { method: String(o.method ?? ''), params: obj(o.params) }
}

const REF_RE = /\$(result|result_error|result_total|result_next|result_time)((?:\[[^\]]*\])+)/g

function resolveRef(collected: Collected, kind: string, path: string): { found: boolean; value: unknown } {
  const keys = [...path.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] ?? '')
  let node: unknown = collected[kind as keyof Collected]
  for (const k of keys) {
    if (node === null || typeof node !== 'object') return { found: false, value: undefined }
    node = (node as Record<string, unknown>)[k]
    if (node === undefined) return { found: false, value: undefined }
  }
  return { found: true, value: node }
}

/** Replaces `$result[...]` references in string values; a whole-value reference keeps its type. */
function substitute(value: unknown, collected: Collected): unknown {
  if (typeof value === 'string') {
    const whole = /^\$(result|result_error|result_total|result_next|result_time)((?:\[[^\]]*\])+)$/.exec(value)
    if (whole) {
      const r = resolveRef(collected, whole[1] as string, whole[2] as string)
      return r.found ? r.value : ''
    }
    return value.replace(REF_RE, (_m, kind: string, path: string) => {
      const r = resolveRef(collected, kind, path)
      return r.found && r.value !== null && typeof r.value !== 'object' ? String(r.value) : ''
    })
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, collected))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, substitute(v, collected)]))
  }
  return value
}

export async function runBatch(
  portal: Portal,
  caller: Caller,
  params: Params,
  startMs: number,
): Promise<{ body: { result: Record<string, unknown>; time: TimeBlock }; methods: string[] }> {
  const cmd = param(params, 'cmd')
  const halt = yesNo(param(params, 'halt')) === true
  const entries: Array<[string, unknown]> = Array.isArray(cmd)
    ? cmd.map((row, i) => [String(i), row])
    : cmd !== null && typeof cmd === 'object'
      ? Object.entries(cmd as Record<string, unknown>)
      : []
  const collected: Collected = { result: {}, result_error: {}, result_total: {}, result_next: {}, result_time: {} }
  const methods: string[] = []
  let processing = 0
  for (const [index, [key, row]] of entries.entries()) {
    const { method, params: rawParams } = parseCommand(row)
    methods.push(method.toLowerCase())
    if (index >= BATCH_LIMIT) {
      portal.countCall(method)
      collected.result_error[key] = SystemErrors.batchLength().body()
      if (halt) break
      continue
    }
    const out = await runMethod(portal, caller, method, substitute(rawParams, collected) as Params, { inBatch: true, checkFaults: true })
    if (out.ok) {
      collected.result[key] = out.output.result ?? null
      if (out.output.total !== undefined) collected.result_total[key] = out.output.total
      if (out.output.next !== undefined) collected.result_next[key] = out.output.next
      collected.result_time[key] = out.time
      processing += out.time.processing
    } else {
      collected.result_error[key] = out.error.body()
      if (halt) break
    }
  }
  return {
    methods,
    body: {
      result: {
        result: phpArray(collected.result) as Record<string, unknown>,
        result_error: phpArray(collected.result_error) as Record<string, unknown>,
        result_total: phpArray(collected.result_total) as Record<string, unknown>,
        result_next: phpArray(collected.result_next) as Record<string, unknown>,
        result_time: phpArray(collected.result_time) as Record<string, unknown>,
      },
      time: timeBlock(startMs, processing),
    },
  }
}
