/**
 * What a join link accepts, as pure functions: the admin's input (name, target, expiry, cap, domains) and a
 * person's submission on the public page (e-mail, name, domain allowlist).
 */
import { createHash, randomBytes } from 'node:crypto'
import { domainToASCII } from 'node:url'
import { z } from 'zod'
import { normalizeEmail } from '../invites/import/index.js'

const DAY_MS = 86_400_000
/** Links a non-admin makes must end within this many days and carry a cap of at most MANAGER_MAX_CAP. */
export const MANAGER_MAX_DAYS = 90
export const MANAGER_MAX_CAP = 1000
export const MAX_CAP = 10_000
const NAME_MAX = 100

/** 24 random bytes: 192 bits, base64url (32 characters); unguessable, and short enough for a QR code. */
export function newLinkToken(): string {
  return randomBytes(24).toString('base64url')
}

/** The token's look-up key. A plain hash suffices for 192 random bits, and survives secret-key rotation. */
export function hashLinkToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** A token as it can appear in a URL we issued (anything else is not looked up at all). */
export const LINK_TOKEN = /^[A-Za-z0-9_-]{32}$/

/** 'example.com', '@Example.COM', 'почта.рф' → the ASCII domain, or null when it is not a domain. */
export function normalizeDomain(raw: string): string | null {
  const d = raw.trim().replace(/^@/, '').toLowerCase()
  if (!d) return null
  const r = normalizeEmail(`x@${d}`)
  return r.ok ? domainToASCII(r.value.slice(2)) : null
}

/** An address's domain is allowed when the list is empty, or it is a listed domain or one of its subdomains. */
export function domainAllowed(email: string, allowed: string[]): boolean {
  if (allowed.length === 0) return true
  const domain = domainToASCII(email.slice(email.lastIndexOf('@') + 1).toLowerCase())
  return allowed.some((a) => domain === a || domain.endsWith(`.${a}`))
}

/** 'YYYY-MM-DD' → the end of that day (UTC), or NaN for a date that does not exist. */
export function endOfDay(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const start = Date.UTC(y, m - 1, d)
  const check = new Date(start)
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) return Number.NaN
  return start + DAY_MS - 1
}

const domainList = z.array(z.string().max(253)).max(50).transform((list, ctx) => {
  const out: string[] = []
  list.forEach((raw, k) => {
    const d = normalizeDomain(raw)
    if (d === null) ctx.addIssue({ code: 'custom', path: [k], message: `"${raw}" is not a domain (write it like example.com)` })
    else if (!out.includes(d)) out.push(d)
  })
  return out
})

export const joinLinkInputSchema = z.object({
  name: z.string().trim().min(1, 'Give the link a name').max(120, 'At most 120 characters'),
  target: z.object({ kind: z.enum(['department', 'group', 'collab']), id: z.number().int().positive() }).strict(),
  templateId: z.string().uuid('must be a template id').nullable(),
  expiresOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-12-31').nullable(),
  cap: z.number().int().min(1, 'must be at least 1').max(MAX_CAP, `must be at most ${MAX_CAP}`).nullable(),
  allowedDomains: domainList,
  approval: z.boolean(),
}).strict()

export const joinLinkPatchSchema = joinLinkInputSchema.partial().strict()

export type JoinLinkInput = z.infer<typeof joinLinkInputSchema>

/** A person's submission, checked; `problems` name the form's fields. */
export type Submission =
  | { ok: true; email: string; name: string; lastName: string | null }
  | { ok: false; problems: Array<{ field: 'email' | 'name' | 'last_name'; code: 'invalid_email' | 'domain' | 'required' | 'too_long' | 'not_a_name' }> }

/** Control characters and links have no place in a name that goes into an invitation e-mail. */
function nameProblem(v: string): 'too_long' | 'not_a_name' | null {
  if (v.length > NAME_MAX) return 'too_long'
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f<>@]|:\/\/|www\./i.test(v)) return 'not_a_name'
  return null
}

export function checkSubmission(form: { email?: unknown; name?: unknown; last_name?: unknown }, allowedDomains: string[]): Submission {
  const text = (v: unknown) => (typeof v === 'string' ? v.trim().replace(/\s+/g, ' ') : '')
  const problems: Extract<Submission, { ok: false }>['problems'] = []
  const emailText = text(form.email)
  const email = emailText.length <= 254 ? normalizeEmail(emailText) : ({ ok: false } as const)
  if (!email.ok) problems.push({ field: 'email', code: emailText ? 'invalid_email' : 'required' })
  else if (!domainAllowed(email.value, allowedDomains)) problems.push({ field: 'email', code: 'domain' })
  const name = text(form.name)
  const lastName = text(form.last_name)
  if (!name) problems.push({ field: 'name', code: 'required' })
  else {
    const p = nameProblem(name)
    if (p) problems.push({ field: 'name', code: p })
  }
  const lp = lastName ? nameProblem(lastName) : null
  if (lp) problems.push({ field: 'last_name', code: lp })
  if (problems.length || !email.ok) return { ok: false, problems }
  return { ok: true, email: email.value, name, lastName: lastName || null }
}
