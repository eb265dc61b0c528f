/**
 * The exactly-once checks shared by the crash and fault tests, counted where it matters: on the emulated
 * portal (its users and the user.add commands it ran) and in our stores (items, ledger).
 */
import { expect } from 'vitest'
import type { Stack } from './stack.js'
import type { RequestRecord } from '../emulator/state.js'

/** E-mails of the user.add commands in one request the portal ran (a batch with its commands, or user.add itself). */
export function userAddEmails(r: RequestRecord): string[] {
  if (r.restMethod === 'user.add') return r.status === 200 ? [String(r.params.EMAIL ?? '').toLowerCase()] : []
  // batchOf is only set once the portal ran the commands: refused or cut-before-running batches have none.
  if (r.restMethod !== 'batch' || !r.batchOf) return []
  const cmd = r.params.cmd
  const rows: unknown[] = Array.isArray(cmd) ? cmd : cmd !== null && typeof cmd === 'object' ? Object.values(cmd) : []
  return rows
    .map(String)
    .filter((row) => row.split('?')[0]!.trim().toLowerCase() === 'user.add')
    .map((row) => (new URLSearchParams(row.slice(row.indexOf('?') + 1)).get('EMAIL') ?? '').toLowerCase())
}

export interface ExactlyOnceFigures {
  /** user.add commands the portal ran, all e-mails of the job. */
  userAddsRun: number
  /** HTTP requests the portal received while the job ran (from `sinceRequest`). */
  requests: number
  batches: number
  userGets: number
}

/**
 * Every row invited once: the job completed, all items 'invited' with the id of the one portal user that
 * has that e-mail, the portal ran user.add exactly once per e-mail (a second run would have been refused as
 * "already exists", which no item may show), and the ledger holds one entry per row.
 */
export async function expectInvitedExactlyOnce(stack: Stack, jobId: string, emails: string[], sinceRequest = 0): Promise<ExactlyOnceFigures> {
  const { jobs } = stack.a.app.stores
  const memberId = stack.portal.memberId
  const wanted = new Set(emails.map((e) => e.toLowerCase()))

  const job = await jobs.get(memberId, jobId)
  expect(job?.status).toBe('completed')
  if (job && job.totals.failed > 0) {
    // Say why, when it fails: the totals alone do not tell a lost row from a retry budget spent under load.
    const all = await jobs.items(memberId, jobId, { limit: emails.length })
    console.log('failed items:', JSON.stringify(all.filter((i) => i.state === 'failed').slice(0, 5).map((i) => [i.seq, i.errorCode, i.errorMessage, i.attempts])))
  }
  expect(job?.totals).toEqual({ total: emails.length, queued: 0, sending: 0, invited: emails.length, skipped: 0, failed: 0 })
  const items = await jobs.items(memberId, jobId, { limit: emails.length + 1 })
  expect(items).toHaveLength(emails.length)
  expect(items.filter((i) => i.errorCode === 'already_exists')).toEqual([])

  // The portal's side: one account per e-mail, and it is the one each item names.
  const users = stack.portal.users().filter((u) => wanted.has(u.EMAIL.toLowerCase()))
  const accounts = new Map<string, number[]>()
  for (const u of users) accounts.set(u.EMAIL.toLowerCase(), [...(accounts.get(u.EMAIL.toLowerCase()) ?? []), u.ID])
  expect(accounts.size).toBe(wanted.size)
  expect([...accounts.entries()].filter(([, ids]) => ids.length !== 1)).toEqual([])
  const wrongId = items.filter((i) => i.state !== 'invited' || accounts.get(i.email!.toLowerCase())?.[0] !== i.userId)
  expect(wrongId.map((i) => ({ seq: i.seq, state: i.state, userId: i.userId, error: i.errorCode }))).toEqual([])

  // Every user.add the portal ran, answered or not: exactly one per e-mail.
  const requests = stack.portal.requests().slice(sinceRequest)
  const runs = new Map<string, number>()
  for (const r of requests) for (const e of userAddEmails(r)) runs.set(e, (runs.get(e) ?? 0) + 1)
  expect([...wanted].filter((e) => runs.get(e) !== 1).map((e) => `${e}: ${runs.get(e) ?? 0}`)).toEqual([])

  // The ledger: one entry per row, pending, for that user.
  const ledger = await stack.db.db
    .selectFrom('invitations')
    .select(['email_lc', 'user_id', 'state', 'job_seq'])
    .where('member_id', '=', memberId)
    .where('job_id', '=', jobId)
    .execute()
  expect(ledger).toHaveLength(emails.length)
  expect(new Set(ledger.map((l) => l.job_seq)).size).toBe(emails.length)
  expect(ledger.filter((l) => l.state !== 'pending' || l.user_id !== accounts.get(l.email_lc ?? '')?.[0])).toEqual([])

  return {
    userAddsRun: [...runs.values()].reduce((a, b) => a + b, 0),
    requests: requests.length,
    batches: requests.filter((r) => r.restMethod === 'batch').length,
    userGets: requests.reduce((n, r) => n + (r.batchOf ?? []).filter((m) => m === 'user.get').length + (r.restMethod === 'user.get' ? 1 : 0), 0),
  }
}
