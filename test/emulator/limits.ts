/**
 * The two cloud limits of `limits.md` (settings/performance/limits.md includes it):
 * - request rate: a leaky bucket per portal (and per source IP: "If several applications on a single
 *   server work with the same Bitrix24, they share a common request rate limit"),
 * - resource intensity ("operating"): summed method execution time per method per application,
 *   kept in ten one-minute baskets.
 */
import type { Clock } from './clock.js'

export interface LimitSettings {
  /** `X`, "Limit before blocking". Enterprise 250, others 50 (limits.md table). */
  burst: number
  /** `Y`, "Counter reduction rate" per second. Enterprise 5, others 2. */
  drainPerSec: number
  /**
   * Operating limit in seconds per method per app. "480 seconds" is the doc's worked example;
   * "The limit value in the cloud version is set by the Bitrix24 configuration."
   */
  operatingLimitSec: number
  /** Window the baskets cover: "10 one-minute baskets" = 600 s. One basket = window / 10. */
  operatingWindowSec: number
}

export function defaultLimits(plan: 'standard' | 'enterprise'): LimitSettings {
  return plan === 'enterprise'
    ? { burst: 250, drainPerSec: 5, operatingLimitSec: 480, operatingWindowSec: 600 }
    : { burst: 50, drainPerSec: 2, operatingLimitSec: 480, operatingWindowSec: 600 }
}

/**
 * limits.md: "1. Each application request increases a virtual request counter. 2. When the counter
 * value exceeds the threshold X, the following request is blocked with status 503 ... 3. The counter
 * value automatically decreases by Y once per second."
 *
 * Read literally: a request is refused when the counter already exceeds X; a refused request does not
 * raise the counter (otherwise a client that keeps retrying could never get through, and the doc's
 * rule 1, "at no more than Y requests per second you never get QUERY_LIMIT_EXCEEDED", would break).
 * So after an idle period X + 1 requests pass at once and request X + 2 gets 503.
 */
export class LeakyBucket {
  private counters = new Map<string, { value: number; at: number }>()

  constructor(
    private readonly clock: Clock,
    private readonly settings: () => LimitSettings,
  ) {}

  /** Current counter for a key after draining (fractional). */
  level(key: string): number {
    const c = this.counters.get(key)
    if (!c) return 0
    const now = this.clock.now()
    const drained = ((now - c.at) / 1000) * this.settings().drainPerSec
    c.value = Math.max(0, c.value - drained)
    c.at = now
    return c.value
  }

  /** Returns false when this request must be refused with QUERY_LIMIT_EXCEEDED. */
  take(key: string): boolean {
    const value = this.level(key)
    if (value > this.settings().burst) return false
    this.counters.set(key, { value: value + 1, at: this.clock.now() })
    return true
  }

  reset(): void {
    this.counters.clear()
  }
}

interface Basket {
  startAt: number
  seconds: number
}

export interface OperatingState {
  /** Seconds accumulated in the live baskets. */
  operating: number
  /** Unix seconds when the oldest live basket drops out; undefined when nothing is accumulated. */
  resetAt?: number
}

/**
 * limits.md: "Method execution time is accounted for in 10 one-minute baskets ... The countdown for the
 * basket starts from the first recorded method call in the corresponding minute and lasts 10 minutes."
 * "Bitrix24 checks the accumulated value before executing each call. The call after which the value
 * exceeds the limit is terminated. The next call is blocked with error OPERATION_TIME_LIMIT."
 * The worked example lets the crossing call complete ("five more calls are completed, and operating
 * reaches 500 seconds"), so the crossing call is answered normally and only later calls get 429.
 * "An external call to batch is not accounted for in operating. Nested calls are ... accounted for".
 */
export class OperatingBudget {
  private baskets = new Map<string, Basket[]>()

  constructor(
    private readonly clock: Clock,
    private readonly settings: () => LimitSettings,
  ) {}

  private live(key: string): Basket[] {
    const now = this.clock.now()
    const windowMs = this.settings().operatingWindowSec * 1000
    const list = (this.baskets.get(key) ?? []).filter((b) => b.startAt + windowMs > now)
    this.baskets.set(key, list)
    return list
  }

  state(key: string): OperatingState {
    const list = this.live(key)
    if (list.length === 0) return { operating: 0 }
    const operating = list.reduce((sum, b) => sum + b.seconds, 0)
    const oldest = list[0] as Basket
    return { operating, resetAt: Math.floor((oldest.startAt + this.settings().operatingWindowSec * 1000) / 1000) }
  }

  /** True when the method is blocked for this app right now. */
  blocked(key: string): boolean {
    return this.state(key).operating > this.settings().operatingLimitSec
  }

  record(key: string, seconds: number): OperatingState {
    const list = this.live(key)
    const now = this.clock.now()
    const basketMs = (this.settings().operatingWindowSec * 1000) / 10
    const current = list[list.length - 1]
    if (current && now - current.startAt < basketMs) current.seconds += seconds
    else list.push({ startAt: now, seconds })
    return this.state(key)
  }

  reset(): void {
    this.baskets.clear()
  }
}
