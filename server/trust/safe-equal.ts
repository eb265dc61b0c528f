import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * Constant-time string comparison. Both sides are hashed first so that neither the content nor the
 * length of the stored token leaks through timing.
 */
export function safeEqual(received: unknown, stored: string | null | undefined): boolean {
  if (typeof received !== 'string' || received.length === 0 || !stored) return false
  const a = createHash('sha256').update(received).digest()
  const b = createHash('sha256').update(stored).digest()
  return timingSafeEqual(a, b)
}
