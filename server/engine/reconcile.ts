/**
 * Exactly-once support: after a crash (or a send whose answer was lost) we do not know whether `user.add`
 * ran. Bitrix24 e-mails are unique per portal (user.add refuses a taken one), so asking the portal for the
 * e-mail answers it.
 *
 * Lookup: `user.get` with `FILTER: { '@EMAIL': [...] }` and `ADMIN_MODE: 'True'`. user-get.md documents the
 * `@` prefix ("IN (an array is passed as a value)", its own example filters `@PERSONAL_CITY` by a list) and
 * `ADMIN_MODE` ("data about any users", so extranet-only visibility rules do not hide anyone). One command
 * asks for up to `emailsPerCommand` addresses instead of one command per address; a page holds 50 users,
 * and a command whose `result_total` says there is more is followed up with `start` (duplicate accounts).
 * Single addresses use `=EMAIL`: "=" is the documented exact match, while a bare key treats `%` as a
 * wildcard (the doc's own `{"NAME": "Iva%"}` example). Matching is then re-checked here, case-insensitively,
 * so a looser server-side comparison can never attach someone else's account.
 */
import type { CallParams, PortalGateway } from '../portals/portal-gateway.js'
import { AppError } from '../shared/errors.js'

export interface PortalUserMatch {
  id: number
  active: boolean
  /** ISO 8601, or null when the user never logged in (`LAST_LOGIN: ''`): an invitation not yet accepted. */
  lastLogin: string | null
}

const BATCH_LIMIT = 50
const PAGE_SIZE = 50

export interface FindUsersOptions {
  /** Addresses per `user.get` command. Default 25, which keeps one page enough even with duplicates. */
  emailsPerCommand?: number
}

/** For items left 'sending' by a crash: ask the portal whether the user now exists. */
export async function findUsersByEmail(
  gateway: PortalGateway,
  memberId: string,
  emails: string[],
  options: FindUsersOptions = {},
): Promise<Map<string, PortalUserMatch>> {
  const perCommand = Math.max(1, Math.min(PAGE_SIZE, Math.floor(options.emailsPerCommand ?? 25)))
  const wanted = new Map<string, string>() // lower → as given (first spelling)
  for (const raw of emails) {
    const e = (raw ?? '').trim()
    if (e && !wanted.has(e.toLowerCase())) wanted.set(e.toLowerCase(), e)
  }
  const found = new Map<string, PortalUserMatch>()
  if (wanted.size === 0) return found

  const spellings = [...wanted.values()]
  let queue: Array<{ emails: string[]; start: number }> = []
  for (let i = 0; i < spellings.length; i += perCommand) queue.push({ emails: spellings.slice(i, i + perCommand), start: 0 })

  while (queue.length > 0) {
    const round = queue.slice(0, BATCH_LIMIT)
    queue = queue.slice(BATCH_LIMIT)
    const calls: Record<string, [string, CallParams]> = {}
    round.forEach((q, i) => {
      const FILTER = q.emails.length === 1 ? { '=EMAIL': q.emails[0] } : { '@EMAIL': q.emails }
      calls[`q${i}`] = ['user.get', { FILTER, ADMIN_MODE: 'True', ...(q.start > 0 ? { start: q.start } : {}) }]
    })
    // Read-only and idempotent, so the transport may retry the whole batch.
    const { outcomes } = await gateway.batchDetailed(memberId, calls)
    round.forEach((q, i) => {
      const o = outcomes[`q${i}`]
      if (!o || !o.ok) {
        // Unknown is not "absent": never report a user missing because the lookup failed.
        throw new AppError('user_lookup_failed', `The portal could not look users up by e-mail (${o && !o.ok ? `${o.code}: ${o.message}` : 'no answer'})`, 502)
      }
      const rows = Array.isArray(o.result) ? (o.result as unknown[]) : []
      for (const row of rows) {
        const match = parseUser(row)
        if (!match || !wanted.has(match.email)) continue
        const prev = found.get(match.email)
        if (!prev || better(match.user, prev)) found.set(match.email, match.user)
      }
      if (typeof o.total === 'number' && o.total > q.start + PAGE_SIZE && rows.length > 0) queue.push({ emails: q.emails, start: q.start + PAGE_SIZE })
    })
  }
  return found
}

/** Several accounts on one address (rare): the active one, then the newest. */
function better(a: PortalUserMatch, b: PortalUserMatch): boolean {
  if (a.active !== b.active) return a.active
  return a.id > b.id
}

function parseUser(row: unknown): { email: string; user: PortalUserMatch } | undefined {
  if (row === null || typeof row !== 'object') return undefined
  const r = row as Record<string, unknown>
  const id = Number(r.ID)
  const email = typeof r.EMAIL === 'string' ? r.EMAIL.trim().toLowerCase() : ''
  if (!Number.isInteger(id) || id <= 0 || !email) return undefined
  // user-get.md: ACTIVE is a boolean in answers; older portals answer 'Y'/'N'.
  const active = r.ACTIVE === true || r.ACTIVE === 'Y' || r.ACTIVE === 'true' || r.ACTIVE === 1
  const lastLogin = typeof r.LAST_LOGIN === 'string' && r.LAST_LOGIN.trim() !== '' ? r.LAST_LOGIN : null
  return { email, user: { id, active, lastLogin } }
}
