// JSON columns are stored as text so the schema stays identical on SQLite and PostgreSQL.

export function toJsonText(value: unknown): string {
  return JSON.stringify(value)
}

/** Parses a JSON-object column; a corrupt or non-object value reads as the fallback rather than crashing a request. */
export function parseJsonObject<T extends object, F extends T | null = T>(text: string | null, fallback: F): T | F {
  if (text === null) return fallback
  try {
    const value: unknown = JSON.parse(text)
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as T) : fallback
  } catch {
    return fallback
  }
}
