/**
 * Success envelope of `api-reference/data-types.md#time`:
 * `{ result, total?, next?, time: { start, finish, duration, processing, date_start, date_finish,
 *   operating_reset_at?, operating } }`. `total`/`next` only for list methods
 * (`settings/how-to-call-rest-api/list-methods-pecularities.md`).
 */
import { isoDate } from './clock.js'
import type { OperatingState } from './limits.js'

export interface TimeBlock {
  start: number
  finish: number
  duration: number
  processing: number
  date_start: string
  date_finish: string
  operating_reset_at?: number
  operating?: number
}

/**
 * The emulator does not really spend `processing` seconds: it reports them, and `finish` is
 * `start + processing` on the emulator clock (plus a millisecond of "transport").
 */
export function timeBlock(startMs: number, processingSec: number, operating?: OperatingState): TimeBlock {
  const start = startMs / 1000
  const finish = start + processingSec + 0.001
  const t: TimeBlock = {
    start,
    finish,
    duration: finish - start,
    processing: processingSec,
    date_start: isoDate(startMs),
    date_finish: isoDate(finish * 1000),
  }
  if (operating) {
    if (operating.resetAt !== undefined) t.operating_reset_at = operating.resetAt
    t.operating = operating.operating
  }
  return t
}

/** What a method handler returns: the result plus list paging when it is a list method. */
export interface MethodOutput {
  result: unknown
  total?: number
  next?: number
  /** HTTP status; a few documented errors come with 200 (placement.bind). Defaults to 200. */
  status?: number
}

/**
 * PHP's json_encode turns an array keyed 0..n-1 into a JSON list and an empty array into `[]`;
 * batch answers show this (`"result_error": []`, `"result_next": []`). Mirror it for keyed maps.
 */
export function phpArray(map: Record<string, unknown>): unknown {
  const keys = Object.keys(map)
  if (keys.length === 0) return []
  if (keys.every((k, i) => k === String(i))) return keys.map((k) => map[k])
  return map
}
