import { domainToASCII } from 'node:url'

/** Validation and normalisation of the two contact kinds an invite can go to. Shared by files and the paste box. */

export type EmailResult = { ok: true; value: string } | { ok: false; reason: string }
export type PhoneResult = { ok: true; value: string; countryCodeAssumed: boolean } | { ok: false; reason: string }

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/
const ASCII_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/
const TLD = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/

/**
 * Pragmatic address check: one @, an ASCII local part (what Bitrix24 accepts), and a domain of at least two
 * labels that converts to ASCII (IDN such as почта.рф are allowed) with a TLD of two or more letters.
 * The domain is lower-cased; the local part is kept as written.
 */
export function normalizeEmail(raw: string): EmailResult {
  const address = raw.trim().replace(/^mailto:/i, '').replace(/^<(.*)>$/, '$1')
  if (address === '') return { ok: false, reason: 'The e-mail address is empty.' }
  if (/\s/.test(address)) return { ok: false, reason: `"${address}" contains spaces.` }
  const at = address.split('@')
  if (at.length !== 2) return { ok: false, reason: `"${address}" must contain exactly one @.` }
  const [local = '', rawDomain = ''] = at
  const domain = rawDomain.toLowerCase()

  if (local.length === 0 || local.length > 64 || !LOCAL_PART.test(local)) {
    return { ok: false, reason: `"${address}": the part before @ may only contain Latin letters, digits and . _ - + characters.` }
  }
  if (domain.split('.').some((label) => /[a-z]/.test(label) && /[а-яё]/.test(label))) {
    // Typically a Cyrillic "а", "о" or "с" typed into a Latin domain: valid IDN, wrong mailbox.
    return { ok: false, reason: `"${address}": the domain mixes Latin and Cyrillic letters.` }
  }
  const ascii = domainToASCII(domain)
  const labels = ascii.split('.')
  if (
    ascii === '' ||
    ascii.length > 253 ||
    labels.length < 2 ||
    !labels.every((l) => ASCII_LABEL.test(l)) ||
    !TLD.test(labels[labels.length - 1] ?? '')
  ) {
    return { ok: false, reason: `"${address}": "${rawDomain}" is not a valid domain.` }
  }
  return { ok: true, value: `${local}@${domain}` }
}

/** Characters people put between phone digits. */
const PHONE_PUNCTUATION = /^[+\d\s()\-.\u00a0\u2010-\u2015/]+$/

/**
 * Normalises to "+" and 10–15 digits. Russian trunk-prefix numbers (8 916 …, 11 digits) become +7…;
 * a leading 00 is the international prefix. A number written without + or trunk prefix is taken to
 * include its country code, and `countryCodeAssumed` is set when that is doubtful (10 digits).
 */
export function normalizePhone(raw: string): PhoneResult {
  const text = raw.trim()
  if (/^\d+(?:[.,]\d+)?e\+?\d+$/i.test(text)) {
    return { ok: false, reason: `"${text}" is a number Excel shortened to scientific notation; format the column as text and export again.` }
  }
  if (!PHONE_PUNCTUATION.test(text) || text.lastIndexOf('+') > 0) {
    return { ok: false, reason: `"${text}" is not a phone number (only digits, spaces, + ( ) - are allowed).` }
  }
  let digits = text.replace(/\D/g, '')
  const plus = text.startsWith('+')
  if (!plus && digits.startsWith('00')) digits = digits.slice(2)
  else if (!plus && digits.length === 11 && digits.startsWith('8')) digits = `7${digits.slice(1)}`

  if (digits.length < 10 || digits.length > 15) {
    return { ok: false, reason: `"${text}" has ${digits.length} digits; a phone number with country code has 10 to 15.` }
  }
  return { ok: true, value: `+${digits}`, countryCodeAssumed: !plus && !text.startsWith('00') && digits.length === 10 }
}

/** "Ivan Petrov <ivan@x.ru>" or '"Petrov, Ivan" <ivan@x.ru>' → name and address; null for a bare value. */
export function splitNamedAddress(text: string): { name: string; address: string } | null {
  const match = /^\s*(.*?)\s*<([^<>]*)>\s*$/s.exec(text)
  if (!match) return null
  const name = (match[1] ?? '').replace(/^"(.*)"$/s, '$1').replace(/\s+/g, ' ').trim()
  return { name, address: (match[2] ?? '').trim() }
}
