/** The variables an invitation text may use; anything else in braces is left as typed. */
export const TEMPLATE_VARIABLES = ['name', 'lastName', 'department', 'position', 'inviter', 'portal', 'groups'] as const
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number]
export type TemplateValues = Partial<Record<TemplateVariable, string | null | undefined>>

const MAX_TEXT_CHARS = 4000

/**
 * Fills {variables} in a plain-text invitation. Bitrix24 HTML-escapes MESSAGE_TEXT itself, so no escaping
 * here (escaping twice would show entities to the invitee). Missing values become empty and the spacing
 * around them is tidied, so "Hello, {name}!" never reads "Hello, !" with a doubled space.
 */
export function renderTemplate(text: string, values: TemplateValues): string {
  const out = text.replace(/\{(\w+)\}/g, (whole, key: string) => {
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(key)) return whole
    return (values[key as TemplateVariable] ?? '').trim()
  })
  return out
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/ +([,.!?;:])/g, '$1')
    .replace(/,\s*([!?.])/g, '$1')
    .trim()
    .slice(0, MAX_TEXT_CHARS)
}

/** Unknown {placeholders} in a template: shown to the author before saving. */
export function unknownVariables(text: string): string[] {
  const found = new Set<string>()
  // Any letters, not just ASCII: a Russian author's {имя} is a typo to show, not text to send as typed.
  for (const m of text.matchAll(/\{([\p{L}\p{N}_]+)\}/gu)) if (!(TEMPLATE_VARIABLES as readonly string[]).includes(m[1]!)) found.add(m[1]!)
  return [...found]
}

/** The row's language if given, else the template's default. */
export function pickLanguage(rowLang: 'ru' | 'en' | null | undefined, templateDefault: 'ru' | 'en'): 'ru' | 'en' {
  return rowLang ?? templateDefault
}
