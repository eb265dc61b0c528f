/** The invite fields a file column can be mapped to. */
export const STANDARD_FIELDS = [
  'email',
  'phone',
  'name',
  'lastName',
  'secondName',
  /** "ФИО" / "Full name": split into lastName, name and secondName when rows are normalised. */
  'fullName',
  'position',
  'department',
  'groups',
  'language',
  'template',
] as const

export type StandardField = (typeof STANDARD_FIELDS)[number]
/** A Bitrix24 custom user field, e.g. `uf:UF_USR_SKILL`. */
export type UserFieldKey = `uf:${string}`
export type FieldKey = StandardField | UserFieldKey

/** Column index (0-based) → field; null or absent = column not imported. */
export type ColumnMapping = Record<number, FieldKey | null>

/** Bitrix24 user field codes: UF_ followed by upper-case letters, digits and underscores. */
export const USER_FIELD_CODE = /^UF_[A-Z0-9_]+$/

export function isFieldKey(value: unknown): value is FieldKey {
  if (typeof value !== 'string') return false
  if (value.startsWith('uf:')) return USER_FIELD_CODE.test(value.slice(3))
  return (STANDARD_FIELDS as readonly string[]).includes(value)
}
