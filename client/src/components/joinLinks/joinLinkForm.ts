import {
  JOIN_LINK_CAP_MAX,
  JOIN_LINK_DOMAINS_MAX,
  JOIN_LINK_MANAGER_CAP_MAX,
  JOIN_LINK_MANAGER_DAYS,
  JOIN_LINK_NAME_MAX,
  type FieldProblem,
  type InviteKind,
  type JoinLinkInput,
  type JoinLinkView,
  type JoinTargetKind,
} from '../../api/types'

/**
 * The join link form as typed (numbers and domains as text, one chosen target per kind kept while
 * another kind is picked), its checks, what is sent, and the server's 400 details mapped onto the
 * fields. No Vue and no texts here: the form component words the problem codes.
 */

export interface JoinLinkDraft {
  name: string
  targetKind: JoinTargetKind
  /** The chosen target of each kind (switching kinds keeps the others' choice). */
  targetIds: Record<JoinTargetKind, number | null>
  /** '' = no template (the portal's standard invitation). */
  templateId: string
  /** 'YYYY-MM-DD' or '' (never). */
  expiresOn: string
  /** As typed; '' = no cap. */
  cap: string
  /** As typed: "example.com, partner.org". */
  domains: string
  approval: boolean
}

export type JoinLinkField = 'name' | 'target' | 'templateId' | 'expiresOn' | 'cap' | 'allowedDomains' | 'approval'
export const JOIN_LINK_FIELDS: readonly JoinLinkField[] = ['name', 'target', 'templateId', 'expiresOn', 'cap', 'allowedDomains', 'approval']

/** What the form finds wrong before sending (the component words them). */
export type JoinLinkProblem =
  | 'nameRequired'
  | 'nameTooLong'
  | 'targetRequired'
  | 'expiryInvalid'
  | 'expiryPast'
  | 'expiryRequired'
  | 'expiryTooFar'
  | 'capInvalid'
  | 'capRequired'
  | 'capTooHigh'
  | 'domainsInvalid'
  | 'domainsTooMany'

/** Limits that depend on who creates the link. */
export interface JoinLinkRules {
  /** Today as 'YYYY-MM-DD' in UTC (the server's day). */
  today: string
  /** A non-administrator: a cap and an expiry are required, within the managers' limits. */
  manager: boolean
}

/** The kind of invitation a target gets: a department employees, a group or collab guests. */
export function inviteKindOf(kind: JoinTargetKind): InviteKind {
  return kind === 'department' ? 'intranet' : 'extranet'
}

const DAY_MS = 86_400_000

/** 'YYYY-MM-DD' of an instant in UTC. */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10)
}

/** Epoch ms of 00:00 UTC of a 'YYYY-MM-DD', or null when it is not a real date. */
export function parseDay(day: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day.trim())
  if (!match) return null
  const [year, month, date] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const at = Date.UTC(year, month - 1, date)
  const back = new Date(at)
  // Date.UTC rolls 2026-02-31 over into March: not a real date.
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== date) return null
  return at
}

/** The day `days` after `day` ('YYYY-MM-DD', UTC). */
export function addDays(day: string, days: number): string {
  const at = parseDay(day)
  return at === null ? day : utcDay(at + days * DAY_MS)
}

/** Whole calendar days (UTC) from `now` to `at`: 0 = today, 1 = tomorrow. */
export function daysUntil(at: number, now: number): number {
  const from = parseDay(utcDay(now))!
  const to = parseDay(utcDay(at))!
  return Math.round((to - from) / DAY_MS)
}

export function emptyJoinLinkDraft(): JoinLinkDraft {
  return {
    name: '',
    targetKind: 'group',
    targetIds: { department: null, group: null, collab: null },
    templateId: '',
    expiresOn: '',
    cap: '',
    domains: '',
    approval: false,
  }
}

/** A new link for someone who is not an administrator: their limits filled in, to lower. */
export function managerJoinLinkDraft(today: string): JoinLinkDraft {
  return { ...emptyJoinLinkDraft(), expiresOn: addDays(today, 30), cap: '50' }
}

export function draftFromLink(link: JoinLinkView): JoinLinkDraft {
  const draft = emptyJoinLinkDraft()
  draft.name = link.name
  draft.targetKind = link.target.kind
  draft.targetIds[link.target.kind] = link.target.id
  draft.templateId = link.templateId ?? ''
  draft.expiresOn = link.expiresAt === null ? '' : utcDay(link.expiresAt)
  draft.cap = link.cap === null ? '' : String(link.cap)
  draft.domains = link.allowedDomains.join(', ')
  draft.approval = link.approval
  return draft
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/
const TLD = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/

/**
 * A domain as the server wants it ('example.com', lower case, no '@'), or null when the text is none.
 * A leading '@' is dropped ("@example.com" means the domain); an international name becomes its
 * ASCII (punycode) form, as e-mail addresses are compared.
 */
export function normalizeDomain(text: string): string | null {
  let value = text.trim().toLowerCase().replace(/^@/, '').replace(/\.$/, '')
  if (!value || value.length > 253 || /[@/:\s\\?#]/.test(value)) return null
  if (/[^\x20-\x7e]/.test(value)) {
    try {
      value = new URL(`http://${value}`).hostname
    } catch {
      return null
    }
  }
  const labels = value.split('.')
  if (labels.length < 2 || !labels.every(label => LABEL.test(label))) return null
  return TLD.test(labels[labels.length - 1]!) ? value : null
}

/** "example.com, @partner.org; bad@x" → the valid domains (once each, in order) and what is not a domain. */
export function parseDomains(text: string): { domains: string[]; invalid: string[] } {
  const domains: string[] = []
  const invalid: string[] = []
  for (const part of text.split(/[\s,;]+/).filter(Boolean)) {
    const domain = normalizeDomain(part)
    if (domain === null) invalid.push(part)
    else if (!domains.includes(domain)) domains.push(domain)
  }
  return { domains, invalid }
}

/** A whole number 1..10000 as typed, null for '', undefined when not one. */
export function parseCap(text: string): number | null | undefined {
  const value = text.trim()
  if (value === '') return null
  if (!/^\d{1,5}$/.test(value)) return undefined
  const n = Number(value)
  return n >= 1 && n <= JOIN_LINK_CAP_MAX ? n : undefined
}

/** Problems of the draft by field; empty when it can be sent. */
export function validateJoinLink(draft: JoinLinkDraft, rules: JoinLinkRules): Partial<Record<JoinLinkField, JoinLinkProblem>> {
  const problems: Partial<Record<JoinLinkField, JoinLinkProblem>> = {}
  const name = draft.name.trim()
  if (!name) problems.name = 'nameRequired'
  else if (name.length > JOIN_LINK_NAME_MAX) problems.name = 'nameTooLong'

  if (draft.targetIds[draft.targetKind] === null) problems.target = 'targetRequired'

  const expiry = draft.expiresOn.trim()
  if (expiry === '') {
    if (rules.manager) problems.expiresOn = 'expiryRequired'
  } else if (parseDay(expiry) === null) problems.expiresOn = 'expiryInvalid'
  else if (expiry < rules.today) problems.expiresOn = 'expiryPast'
  else if (rules.manager && expiry > addDays(rules.today, JOIN_LINK_MANAGER_DAYS)) problems.expiresOn = 'expiryTooFar'

  const cap = parseCap(draft.cap)
  if (cap === undefined) problems.cap = 'capInvalid'
  else if (cap === null && rules.manager) problems.cap = 'capRequired'
  else if (cap !== null && rules.manager && cap > JOIN_LINK_MANAGER_CAP_MAX) problems.cap = 'capTooHigh'

  const { domains, invalid } = parseDomains(draft.domains)
  if (invalid.length) problems.allowedDomains = 'domainsInvalid'
  else if (domains.length > JOIN_LINK_DOMAINS_MAX) problems.allowedDomains = 'domainsTooMany'
  return problems
}

/** The link to create (the draft must be valid). */
export function inputFromDraft(draft: JoinLinkDraft): JoinLinkInput {
  const expiry = draft.expiresOn.trim()
  return {
    name: draft.name.trim(),
    target: { kind: draft.targetKind, id: draft.targetIds[draft.targetKind] ?? 0 },
    templateId: draft.templateId || null,
    expiresOn: expiry || null,
    cap: parseCap(draft.cap) ?? null,
    allowedDomains: parseDomains(draft.domains).domains,
    approval: draft.approval,
  }
}

/**
 * What an edit changes, field by field: unchanged fields are not sent (an expired link's date, in the
 * past, must not be sent back when only its name changes).
 */
export function patchFromDraft(draft: JoinLinkDraft, link: JoinLinkView): Partial<JoinLinkInput> {
  const next = inputFromDraft(draft)
  const before = inputFromDraft(draftFromLink(link))
  const patch: Partial<JoinLinkInput> = {}
  if (next.name !== link.name) patch.name = next.name
  if (next.target.kind !== link.target.kind || next.target.id !== link.target.id) patch.target = next.target
  if (next.templateId !== before.templateId) patch.templateId = next.templateId
  if (next.expiresOn !== before.expiresOn) patch.expiresOn = next.expiresOn
  if (next.cap !== before.cap) patch.cap = next.cap
  if (next.allowedDomains.join(',') !== before.allowedDomains.join(',')) patch.allowedDomains = next.allowedDomains
  if (next.approval !== before.approval) patch.approval = next.approval
  return patch
}

/**
 * Where a server path points in the form: `name`, `target.id` → target, `allowedDomains.3` → the
 * domains, … Null for a path the form has no field for (shown above the form instead).
 */
export function fieldOfPath(path: unknown): JoinLinkField | null {
  const parts = Array.isArray(path) ? path.map(String) : typeof path === 'string' ? path.split(/[.[\]]+/).filter(Boolean) : []
  const head = parts[0]
  if (head === 'expiresAt') return 'expiresOn'
  if (head === 'template') return 'templateId'
  return head !== undefined && (JOIN_LINK_FIELDS as readonly string[]).includes(head) ? (head as JoinLinkField) : null
}

/** The server's 400 details: messages by field (the first per field) and the ones no field takes. */
export function serverFieldErrors(details: unknown): { fields: Partial<Record<JoinLinkField, string>>; other: string[] } {
  const fields: Partial<Record<JoinLinkField, string>> = {}
  const other: string[] = []
  if (!Array.isArray(details)) return { fields, other }
  for (const item of details as Array<Partial<FieldProblem> | null>) {
    if (!item || typeof item !== 'object') continue
    const message = typeof item.message === 'string' ? item.message : ''
    const field = fieldOfPath(item.path)
    if (field === null) {
      if (message) other.push(message)
    } else if (!(field in fields)) fields[field] = message
  }
  return { fields, other }
}
