/**
 * The emulator's notion of time. Everything time-based in the fake portal (token lifetimes,
 * the leaky bucket, the operating window, dates in records and the `time` envelope) reads this
 * clock, never `Date.now()` directly, so tests and benches can run time faster or jump ahead.
 */
export interface Clock {
  /** Current emulator time, unix milliseconds. */
  now(): number
  /** Emulator seconds that pass per real second (1 = real time). */
  readonly speed: number
  /** Jumps emulator time forward (e.g. past a token's 3600 s lifetime). */
  advance(ms: number): void
  /** Waits `ms` of emulator time (that is `ms / speed` real milliseconds). */
  sleep(ms: number): Promise<void>
}

export interface ClockOptions {
  /**
   * Emulator seconds per real second. `50` runs time 50x faster (benches).
   * `0` freezes time: it only moves through `advance()` (deterministic tests).
   * @default 1
   */
  speed?: number
  /** Emulator time at creation, unix ms. @default Date.now() */
  startAt?: number
}

export function createClock(options: ClockOptions = {}): Clock {
  const speed = options.speed ?? 1
  if (!(speed >= 0) || !Number.isFinite(speed)) throw new RangeError(`clock speed must be a finite number >= 0, got ${speed}`)
  const realStart = Date.now()
  const base = options.startAt ?? realStart
  let offset = 0
  return {
    speed,
    now: () => base + (Date.now() - realStart) * speed + offset,
    advance(ms: number) {
      if (ms < 0) throw new RangeError('the emulator clock only moves forward')
      offset += ms
    },
    sleep(ms: number) {
      const real = speed === 0 ? 0 : ms / speed
      return new Promise((resolve) => setTimeout(resolve, Math.max(0, real)))
    },
  }
}

/** Unix seconds (integer) of a clock reading. */
export const unixSec = (ms: number): number => Math.floor(ms / 1000)

/** `2024-07-23T11:23:47+00:00`: the ISO 8601 form the REST docs show (PHP `DATE_ATOM`, UTC). */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00')
}
