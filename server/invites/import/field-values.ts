/** Interpreting one cell as the value of one invite field (everything but contacts, see contact-values.ts). */

export type DepartmentRef = { kind: 'id'; id: number } | { kind: 'path'; path: string[] }
export type GroupRef = { kind: 'id'; id: number } | { kind: 'name'; name: string }
export type Language = 'ru' | 'en'

/** Collapses runs of whitespace (line breaks and no-break spaces included) and trims; '' stays ''. */
export function cleanText(value: string): string {
  return value.replace(/[\s\u00a0\u200b\ufeff]+/g, ' ').trim()
}

const LANGUAGES: Record<string, Language> = {
  ru: 'ru', rus: 'ru', 'ru-ru': 'ru', ru_ru: 'ru', russian: 'ru', рус: 'ru', русский: 'ru', ру: 'ru',
  en: 'en', eng: 'en', 'en-us': 'en', en_us: 'en', 'en-gb': 'en', en_gb: 'en', english: 'en', англ: 'en', английский: 'en',
}

/** null for an unknown value; the caller decides whether empty is allowed. */
export function parseLanguage(value: string): Language | null {
  return LANGUAGES[cleanText(value).toLowerCase().replace(/\.$/, '')] ?? null
}

/** "15" → id 15; "Sales / Moscow", "Sales > Moscow" (also \ → ») → path; null when nothing usable remains. */
export function parseDepartment(value: string): DepartmentRef | null {
  const text = cleanText(value)
  if (/^\d+$/.test(text)) {
    const id = Number(text)
    return id > 0 ? { kind: 'id', id } : null
  }
  const path = splitDepartmentPath(text)
  return path.length > 0 ? { kind: 'path', path } : null
}

/** A department path's parts: "Sales / Moscow", "Sales > Moscow" (also \ » →). A name holding one of these reads as two parts. */
export function splitDepartmentPath(text: string): string[] {
  return text.split(/[/>\\»→]/).map(cleanText).filter((s) => s !== '')
}

/** Split on , ; | — numbers are group ids, the rest names; duplicates are dropped. */
export function parseGroups(value: string): { groups: GroupRef[]; invalid: string[] } {
  const groups: GroupRef[] = []
  const invalid: string[] = []
  const seen = new Set<string>()
  for (const part of value.split(/[,;|]/).map(cleanText)) {
    if (part === '') continue
    const ref: GroupRef | null = /^\d+$/.test(part) ? (Number(part) > 0 ? { kind: 'id', id: Number(part) } : null) : { kind: 'name', name: part }
    if (!ref) {
      invalid.push(part)
      continue
    }
    const key = ref.kind === 'id' ? `#${ref.id}` : `n:${ref.name.toLowerCase()}`
    if (seen.has(key)) continue
    seen.add(key)
    groups.push(ref)
  }
  return { groups, invalid }
}

export interface NameParts {
  name: string | null
  lastName: string | null
  secondName: string | null
}

const PATRONYMIC = /(?:вич|вна|ична|инична|оглы|кызы|vich|vna|ovna|evna|ichna)$/i

/**
 * Splits a full name. Cyrillic names, and any name ending in a patronymic, are read in the Russian order
 * Фамилия Имя Отчество; other Latin-script names in the Western order First [Middle…] Last.
 */
export function splitFullName(value: string): NameParts {
  const words = cleanText(value).split(' ').filter((w) => w !== '')
  if (words.length === 0) return { name: null, lastName: null, secondName: null }
  if (words.length === 1) return { name: words[0] ?? null, lastName: null, secondName: null }
  const russianOrder = /[а-яё]/i.test(value) || (words.length >= 3 && PATRONYMIC.test(words[words.length - 1] ?? ''))
  if (russianOrder) {
    const [lastName = null, name = null, ...rest] = words
    return { lastName, name, secondName: rest.length > 0 ? rest.join(' ') : null }
  }
  const middle = words.slice(1, -1)
  return { name: words[0] ?? null, lastName: words[words.length - 1] ?? null, secondName: middle.length > 0 ? middle.join(' ') : null }
}
