/**
 * What checking 10,000 rows against a 20,000-user portal costs in REST: the dry run compares the rows with
 * the app's directory cache, which it refreshes first (batches of 50 chained user.get pages, see
 * server/invites/directory-sync.ts), so the cost is per 2,500 portal users, not per row. Counted on the
 * emulator's side, per HTTP request and per command.
 */
import { installedPortal, startBenchStack } from './bench-stack.js'
import { messyList, type MessyListStats } from './fixtures.js'
import { seedDirectory } from './fixtures.js'
import { trafficSince, type PortalTraffic } from './send-throughput.js'

export interface DuplicateCheckResult {
  portalUsers: number
  rows: number
  file: MessyListStats
  /** Rows whose e-mail belongs to a portal user (from the file itself). */
  rowsMatchingPortal: number
  /** Rows the dry run reported as existing, by state. */
  found: Record<string, number>
  first: { traffic: PortalTraffic; wallSec: number }
  /** The same dry run again: the cache is fresh, only new users are read. */
  again: { traffic: PortalTraffic; wallSec: number }
}

export async function measureDuplicateCheck(opts: { portalUsers: number; rows: number }): Promise<DuplicateCheckResult> {
  const stack = await startBenchStack()
  try {
    let staff: string[] = []
    const { portal, api } = await installedPortal(stack.emu, stack.url, { plan: 'standard', lang: 'en' }, (p) => {
      staff = seedDirectory(p, opts.portalUsers, 3)
    })
    const { bytes, stats } = messyList(opts.rows, { existingEmails: staff, existingShare: 0.2, seed: 10 })
    const known = new Set(portal.users().map((u) => String(u.EMAIL).toLowerCase()))
    const text = new TextDecoder().decode(bytes)
    let rowsMatchingPortal = 0
    for (const line of text.split('\r\n').slice(1)) {
      const email = line.split(';')[3]?.toLowerCase()
      if (email && known.has(email)) rowsMatchingPortal++
    }
    const up = await api.upload(bytes, 'people-10000.csv')
    const body = { mapping: up.mapping, headerRow: up.headerRow, templateId: null, defaults: { kind: 'intranet', departmentId: 1, groupIds: [], lang: 'en' } }

    let since = portal.requests().length
    let t = performance.now()
    const dry = await api.json('POST', `/api/imports/${up.id}/dry-run`, body)
    const first = { traffic: trafficSince(portal, since), wallSec: (performance.now() - t) / 1000 }

    since = portal.requests().length
    t = performance.now()
    await api.json('POST', `/api/imports/${up.id}/dry-run`, body)
    const again = { traffic: trafficSince(portal, since), wallSec: (performance.now() - t) / 1000 }

    return { portalUsers: portal.users().length, rows: opts.rows, file: stats, rowsMatchingPortal, found: dry.summary.existing, first, again }
  } finally {
    await stack.close()
  }
}
