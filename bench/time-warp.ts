/**
 * Puts a whole process on the emulator's sped-up clock: `Date.now()` returns emulator time and timers
 * fire after `ms / speed` real milliseconds. Used in child processes only, for code we do not control
 * (b24jssdk's own rate and operating limiters read `Date.now()` and sleep with `setTimeout`); without it a
 * library paced in wall-clock time would look 100x too fast to a 100x-sped-up portal.
 */

/** The linear map from real to emulator time: emulator = base + (real − realAt) × speed. */
export interface WarpSpec {
  speed: number
  /** Emulator unix ms at the moment `realAt`. */
  base: number
  /** Real unix ms. */
  realAt: number
}

/** Reads the map off a running clock (two readings taken back to back: error ≤ 1 real ms). */
export function warpSpecOf(clock: { now(): number; speed: number }): WarpSpec {
  const realAt = Date.now()
  return { speed: clock.speed, base: clock.now(), realAt }
}

export function warpProcessTime(spec: WarpSpec): void {
  if (!(spec.speed > 0)) throw new RangeError('a warped process needs a running clock (speed > 0)')
  const realNow = Date.now.bind(Date)
  const realSetTimeout = globalThis.setTimeout
  const realSetInterval = globalThis.setInterval
  const scale = (ms: unknown): number => Math.max(0, (Number(ms) || 0) / spec.speed)
  Date.now = () => Math.floor(spec.base + (realNow() - spec.realAt) * spec.speed)
  globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    realSetTimeout(fn, scale(ms), ...args)) as typeof setTimeout
  globalThis.setInterval = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    realSetInterval(fn, scale(ms), ...args)) as typeof setInterval
}
