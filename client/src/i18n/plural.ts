/**
 * Russian plural forms. With 4 choices: `zero | one (1, 21…) | few (2–4, 22…) | many`; with 3:
 * `one | few | many`. English uses vue-i18n's default (`zero | one | many`).
 */
export function russianPlural(choice: number, choicesLength: number): number {
  const hasZero = choicesLength >= 4
  if (hasZero && choice === 0) return 0
  const offset = hasZero ? 1 : 0
  const n = Math.abs(choice) % 100
  const last = n % 10
  if (n > 10 && n < 20) return offset + 2
  if (last === 1) return offset
  if (last >= 2 && last <= 4) return offset + 1
  return offset + 2
}
