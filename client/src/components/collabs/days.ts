/** A whole number of days in [min, max] from a text field; '' is null when `optional`; undefined = invalid. */
export function parseDays(text: string, min: number, max: number, optional = false): number | null | undefined {
  const trimmed = text.trim()
  if (!trimmed) return optional ? null : undefined
  const n = Number(trimmed)
  return /^\d+$/.test(trimmed) && n >= min && n <= max ? n : undefined
}

/** The limits the server accepts (GET/PUT /api/collabs/settings, POST /api/collabs/reviews). */
export const DAY_LIMITS = {
  activeDays: [7, 365],
  pendingDays: [1, 90],
  inactiveDays: [7, 365],
  everyDays: [30, 365],
  dueDays: [1, 90],
} as const satisfies Record<string, readonly [number, number]>
