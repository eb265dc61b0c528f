/**
 * Time as the server sees it. Everything that paces or schedules work reads a Clock instead of
 * `Date.now()`/`setTimeout`, so tests and benches can hand in the emulator's sped-up clock
 * (test/emulator/clock.ts has the same shape; server/ never imports it).
 */
export interface Clock {
  /** Unix milliseconds. */
  now(): number
  /** Resolves after `ms` of this clock's time (not necessarily wall time). */
  sleep(ms: number): Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
}
