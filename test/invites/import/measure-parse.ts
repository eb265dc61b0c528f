/**
 * Child-process probe for large-files.test.ts: parses one file in a fresh process so the RSS figure is not
 * hidden by the test worker's already-grown heap. Usage: node --expose-gc --import tsx measure-parse.ts csv|xlsx <file>
 * Prints one JSON line.
 */
import { readFileSync } from 'node:fs'
import { decodeCsvBytes, parseCsv, parseXlsx } from '../../../server/invites/import/index.js'

const [kind, file] = process.argv.slice(2)
if ((kind !== 'csv' && kind !== 'xlsx') || !file) throw new Error('usage: measure-parse.ts csv|xlsx <file>')

const bytes = readFileSync(file)
const gc = (globalThis as { gc?: () => void }).gc
gc?.()
const mb = (n: number) => Math.round(n / 1024 / 1024)
const before = process.memoryUsage().rss
let peak = before
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5)
const started = performance.now()

const rows = kind === 'csv' ? parseCsv(decodeCsvBytes(bytes).text).rows : (await parseXlsx(bytes)).rows

const ms = Math.round(performance.now() - started)
clearInterval(sampler)
// maxRSS covers synchronous work the sampler cannot interrupt (the CSV path).
peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024)
gc?.()
console.log(
  JSON.stringify({
    ms,
    rssBeforeMb: mb(before),
    rssPeakMb: mb(peak),
    rssPeakDeltaMb: mb(peak - before),
    retainedHeapMb: mb(process.memoryUsage().heapUsed),
    rowCount: rows.length,
    lastRow: rows.at(-1),
  }),
)
