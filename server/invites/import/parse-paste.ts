import { normalizeEmail, normalizePhone } from './contact-values.js'

export interface PasteItem {
  /** Normalised address or +digits phone; the text as typed when invalid. */
  value: string
  kind: 'email' | 'phone' | 'invalid'
  /** Display name from "Name Surname <mail@x.ru>". */
  name?: string
}

/** Digits before a run of phone fragments counts as a whole number ("+7 916 123 45 67" is five tokens). */
const COMPLETE_PHONE_DIGITS = 10

/**
 * Reads the mass-invite paste box: e-mails and phone numbers separated by spaces, commas, semicolons or
 * line breaks, as in Bitrix24's own box, plus address-book forms such as `Ivan Petrov <ivan@x.ru>` and
 * `"Petrov, Ivan" <ivan@x.ru>` (what Outlook copies). Items come back in the order they were pasted.
 */
export function parsePaste(text: string): PasteItem[] {
  return splitSegments(text).flatMap(parseSegment)
}

/** Splits on line breaks, commas and semicolons, except inside "quoted names" (if the quotes pair up). */
function splitSegments(text: string): string[] {
  const honourQuotes = (text.match(/"/g)?.length ?? 0) % 2 === 0
  const segments: string[] = []
  let current = ''
  let quoted = false
  for (const ch of text) {
    if (ch === '"' && honourQuotes) quoted = !quoted
    if (!quoted && (ch === '\n' || ch === '\r' || ch === ',' || ch === ';')) {
      segments.push(current)
      current = ''
    } else {
      current += ch
    }
  }
  segments.push(current)
  return segments.filter((s) => s.trim() !== '')
}

function parseSegment(segment: string): PasteItem[] {
  const items: PasteItem[] = []
  let pending: string[] = []
  for (const part of segment.split(/(<[^<>]*>)/)) {
    if (/^<[^<>]*>$/.test(part)) {
      // The words right before <address> are its display name; anything earlier is separate items.
      const nameWords: string[] = []
      while (pending.length > 0 && isNameWord(pending[pending.length - 1] ?? '')) nameWords.unshift(pending.pop() ?? '')
      items.push(...classifyTokens(pending))
      pending = []
      const item = classify(part.slice(1, -1).trim())
      const name = nameWords.join(' ').replace(/^"(.*)"$/s, '$1').trim()
      items.push(name && item.kind === 'email' ? { ...item, name } : item)
    } else {
      pending.push(...part.split(/\s+/).filter((t) => t !== ''))
    }
  }
  items.push(...classifyTokens(pending))
  return items
}

/** Joins consecutive phone fragments into one number until it has enough digits; a "+" starts a new one. */
function classifyTokens(tokens: string[]): PasteItem[] {
  const items: PasteItem[] = []
  let group: string[] = []
  let digits = 0
  const flush = () => {
    if (group.length > 0) items.push(classify(group.join(' ')))
    group = []
    digits = 0
  }
  for (const token of tokens) {
    if (!isPhoneFragment(token)) {
      flush()
      items.push(classify(token))
      continue
    }
    if (token.startsWith('+') || digits >= COMPLETE_PHONE_DIGITS) flush()
    group.push(token)
    digits += token.replace(/\D/g, '').length
  }
  flush()
  return items
}

function classify(token: string): PasteItem {
  const bare = token.replace(/^["'(<]+|[>)"']+$/g, '')
  if (bare.includes('@')) {
    const email = normalizeEmail(bare)
    return email.ok ? { value: email.value, kind: 'email' } : { value: token, kind: 'invalid' }
  }
  const phone = normalizePhone(bare)
  return phone.ok ? { value: phone.value, kind: 'phone' } : { value: token, kind: 'invalid' }
}

function isPhoneFragment(token: string): boolean {
  return /^\+?[\d()\-.]+$/.test(token) && /\d/.test(token)
}

function isNameWord(token: string): boolean {
  return !token.includes('@') && !isPhoneFragment(token)
}
