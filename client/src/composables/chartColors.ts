/**
 * A UI-kit design token's colour for a canvas chart (a canvas cannot use CSS variables), or the kit's own
 * value as the fallback when the token is not set (outside the kit's stylesheet, in tests).
 */
export function tokenColor(token: string, fallback: string): string {
  const value = typeof document === 'undefined' ? '' : getComputedStyle(document.documentElement).getPropertyValue(token).trim()
  return value || fallback
}
