import { AppError } from '../shared/errors.js'
import type { CallParams, PortalGateway } from './portal-gateway.js'

/** Every list method pages by 50 (huge-data.md). */
const PAGE = 50
/** batch.md: at most 50 commands per batch. */
const MAX_COMMANDS = 50

/**
 * One list read by ID: pages that continue after the last ID of the previous page (`>ID` filter, `start: -1`
 * so the portal skips counting; huge-data.md). Several such reads share each batch, each page chained to the
 * one before it through a `$result[...]` reference (batch.md), so a read costs requests in proportion to what
 * it returns, and several small reads cost one request together.
 */
export interface ChainedList<T> {
  method: string
  /** Params of a page reading after `after` (an ID, or a `$result[...]` reference to one). */
  params(after: number | string): CallParams
  /** The page's items from a command's result. */
  items(result: unknown): T[]
  /** The item's ID. */
  idOf(item: T): number
  /** The reference to the ID of a page's last item, e.g. `$result[k][49][ID]` (k is the command key). */
  lastIdRef(key: string): string
  /** Start after this ID. */
  after: number
  /** Commands this read may take in one batch (the rest of the batch goes to the others). */
  pagesPerBatch?: number
}

/**
 * Runs the reads to their ends, sharing batches. Returns items per read (in ID order) and the number of HTTP
 * requests spent. A failed page throws: a list read half-way is not "everything".
 */
export async function readChained<K extends string>(
  gateway: PortalGateway,
  memberId: string,
  reads: Record<K, ChainedList<any>>,
): Promise<{ results: Record<K, unknown[]>; requests: number }> {
  const keys = Object.keys(reads) as K[]
  const results = Object.fromEntries(keys.map((k) => [k, [] as unknown[]])) as Record<K, unknown[]>
  const cursor = new Map<K, number>(keys.map((k) => [k, reads[k].after]))
  const open = new Set<K>(keys)
  let requests = 0
  while (open.size > 0) {
    const share = Math.max(1, Math.floor(MAX_COMMANDS / open.size))
    const calls: Record<string, [string, CallParams]> = {}
    const plan: Array<{ read: K; keys: string[] }> = []
    for (const k of open) {
      const spec = reads[k]
      const pages = Math.min(share, spec.pagesPerBatch ?? MAX_COMMANDS)
      const cmdKeys: string[] = []
      for (let p = 0; p < pages && Object.keys(calls).length < MAX_COMMANDS; p++) {
        const key = `${k}_${p}`
        const after = p === 0 ? cursor.get(k)! : spec.lastIdRef(`${k}_${p - 1}`)
        calls[key] = [spec.method, spec.params(after)]
        cmdKeys.push(key)
      }
      plan.push({ read: k, keys: cmdKeys })
    }
    const out = await gateway.batch(memberId, calls)
    requests++
    for (const { read, keys: cmdKeys } of plan) {
      const spec = reads[read]
      let done = false
      for (const key of cmdKeys) {
        const o = out[key]
        if (!o || !o.ok) throw new AppError('portal_list_failed', `${spec.method} failed while reading a list (${o && !o.ok ? o.code || o.message : 'no answer'})`, 502)
        const page = spec.items(o.result)
        results[read].push(...page)
        const last = page.at(-1)
        if (page.length < PAGE || last === undefined) {
          done = true
          break
        }
        cursor.set(read, spec.idOf(last))
      }
      if (done) open.delete(read)
    }
  }
  return { results, requests }
}
