/**
 * Client-side pacing of Bitrix24 REST, per portal, so the portal never has to refuse us.
 *
 * Two documented limits (rest-facts §8, `settings/performance/limits.md`):
 * - Request rate, a leaky bucket per portal: every HTTP request (a `batch` counts once) raises a counter
 *   that drains by Y per second; above X the portal answers 503 QUERY_LIMIT_EXCEEDED. X/Y are 50/2,
 *   Enterprise (LICENSE_FAMILY 'ent') 250/5.
 * - "Operating": seconds of execution per method per app, summed in ten one-minute baskets (a 10-minute
 *   window); above the limit (set by the portal; 480 s is only the doc's example) the method gets 429
 *   OPERATION_TIME_LIMIT until `time.operating_reset_at`. The outer `batch` call is not charged, each
 *   command inside it is.
 *
 * The bucket is modelled locally (drains by Y per second of `clock`) and a request only goes out when the
 * counter stays `safetyMargin` below X. A request reaches the portal some time between our admitting it
 * and its answer, so it is counted in full while in flight and drains only from its answer on: the model
 * stays an upper bound of the portal's counter whatever the latency (otherwise a burst that reaches the
 * portal late, all at once, could overshoot by Y × latency). Operating is modelled from what the portal tells us: every answer
 * carries `time.operating` (and `time.processing`, what that call cost); inside batch answers each
 * command's `result_time` does. The estimate is kept an upper bound of the portal's figure:
 * - our own charges are dropped one full window after the portal ran them (`time.finish`, mapped onto our
 *   clock by the smallest answer delay seen, which can only make it late), and the portal drops a basket
 *   one window after its first call, which is never later,
 * - the portal's own figure is kept (minus our charges that dropped since) when it is higher, which
 *   covers charges made by other processes of this app,
 * - requests in flight hold a reservation of `calls × cost per call` until their answer is observed.
 * A method is only sent when estimate + reservation stays `operatingMarginSec` below the budget; near the
 * budget it is blocked until `operating_reset_at`, as the docs advise.
 *
 * Waiters are served first come, first served, per portal (bucket) and per portal+method (operating);
 * nothing is shared between portals, so one portal's pacing never delays another.
 *
 * Not covered (and why): other apps or webhooks calling the same portal from our IP share its bucket, and
 * several instances of this server each keep their own model; the safety margin absorbs a little of that,
 * an answer of 503/429 is observed and makes the model pessimistic at once.
 */
import type { Clock } from '../shared/clock.js'

export interface PortalLimits {
  /** X: requests the counter may reach before the portal blocks. */
  burst: number
  /** Y: counter decrease per second. */
  drainPerSec: number
}

/** limits.md table: Enterprise 250 / 5 per second, every other plan 50 / 2. */
export function documentedLimits(licenseFamily: string | null): PortalLimits {
  return licenseFamily === 'ent' ? { burst: 250, drainPerSec: 5 } : { burst: 50, drainPerSec: 2 }
}

export type Refusal = 'QUERY_LIMIT_EXCEEDED' | 'OPERATION_TIME_LIMIT'

export interface ObserveInfo {
  /** The REST method (a command's method for batch answers). */
  method: string
  /** `time.operating`: seconds of this method in the portal's window, this call included. */
  operating?: number
  /** `time.operating_reset_at`: unix seconds when the oldest basket drops out of the window. */
  operatingResetAt?: number
  /** `time.processing`: what this call was charged, in seconds. */
  processing?: number
  /**
   * `time.finish`: unix seconds (portal clock) when the call ended. Lets a charge be dated by when the portal
   * ran it rather than when its answer reached us (see `observe`).
   */
  finishedAt?: number
  /** The portal refused the request (503 / 429). */
  refused?: Refusal
}

export interface PacingOptions {
  /** Plan limits; default: the documented table. */
  limitsFor?: (licenseFamily: string | null) => PortalLimits
  /** Requests kept in reserve under X. Default max(2, 4 % of X). */
  safetyMargin?: (limits: PortalLimits) => number
  /** The portal's operating limit per method, seconds. Default 480 (limits.md's example; set by the portal). */
  operatingBudgetSec?: number
  /** The operating window, seconds. Default 600 (ten one-minute baskets). */
  operatingWindowSec?: number
  /** Seconds kept free under the budget. Default 5. */
  operatingMarginSec?: number
  /** Assumed cost of one call of a method not seen yet in the window, seconds. Default 2. */
  initialCallCostSec?: number
  /** A reservation whose answer never got observed is dropped after this long (clock ms). Default 120 000. */
  reservationTtlMs?: number
}

export interface PacerOptions extends PacingOptions {
  clock: Clock
}

/** One admitted request: its operating reservations, released by `settle`. */
export interface PacerTicket {
  readonly memberId: string
  readonly id: number
}

export interface MethodStats {
  /** Estimated operating seconds (upper bound), reservations included. */
  estimate: number
  blockedUntil: number | null
  waits: number
  waitedMs: number
}

export interface PacerStats {
  /** HTTP requests admitted. */
  requests: number
  /** Requests that had to wait for the bucket, and for how long in total (clock ms). */
  bucketWaits: number
  bucketWaitedMs: number
  /** Refusals the portal still answered with (should stay 0). */
  refusals: Record<Refusal, number>
  /** Current modelled counter, requests in flight included. */
  level: number
  /** Requests sent and not answered yet. */
  inflight: number
  methods: Record<string, MethodStats>
}

export interface Pacer {
  /** Waits until one more request keeps the portal's counter `safetyMargin` below X, then counts it. */
  acquire(memberId: string, licenseFamily: string | null): Promise<void>
  /** Feeds one answer (or refusal) into the model. */
  observe(memberId: string, info: ObserveInfo): void
  /** Waits until `calls` more calls of `method` fit the operating budget (reserves nothing). */
  waitForMethod(memberId: string, method: string, calls?: number): Promise<void>
  /**
   * What the gateway does around each HTTP request: wait for every method's operating budget (reserving
   * it), then `acquire` the bucket. `calls` maps method → number of calls in the request.
   */
  admit(memberId: string, licenseFamily: string | null, calls: ReadonlyMap<string, number>): Promise<PacerTicket>
  /** The answer (or failure) of an admitted request was observed: count it as arrived, release its reservations. Idempotent. */
  settle(ticket: PacerTicket): void
  stats(memberId: string): PacerStats
}

/** First come, first served lock. */
class FifoLock {
  private tail: Promise<void> = Promise.resolve()

  async enter(): Promise<() => void> {
    const prev = this.tail
    let release!: () => void
    this.tail = new Promise<void>((r) => (release = r))
    await prev
    return release
  }
}

interface Charge {
  at: number
  sec: number
}

interface MethodState {
  /** Our observed charges, in time order (same-instant charges merged). */
  log: Charge[]
  /** The portal's latest figure we trust (see `observe`). */
  observed: { operating: number; at: number } | undefined
  /** ms; when the portal says its oldest basket drops. */
  resetAt: number
  blockedUntil: number
  /** Highest single-call charge seen recently, and when. */
  cost: { sec: number; at: number } | undefined
  reservations: Map<number, { sec: number; expires: number }>
  lock: FifoLock
  waits: number
  waitedMs: number
}

interface PortalState {
  limits: PortalLimits
  /**
   * The counter as if every answered request had reached the portal when its answer came back (drained,
   * floored at 0 like the portal's). Plus one per request in flight, this bounds the portal's real
   * counter from above whatever the network latency: a request reaches the portal somewhere between
   * admission and answer, and counting it late only loses drain the portal may have had.
   */
  level: number
  levelAt: number
  /** Ticket id → admission time, for requests sent and not answered yet. */
  inflight: Map<number, number>
  /**
   * Sliding-window minimum of (our clock at answer − portal's `time.finish`): an upper bound of the offset
   * between the portal's clock and ours, since no answer arrives before it was computed. Monotonic deque.
   */
  offsets: Array<{ at: number; offset: number }>
  bucketLock: FifoLock
  methods: Map<string, MethodState>
  /** Resolved whenever an answer arrives or a reservation is released; waiters re-check. */
  changed: { promise: Promise<void>; fire: () => void }
  /** Ticket id → the methods it holds reservations on. */
  tickets: Map<number, string[]>
  requests: number
  bucketWaits: number
  bucketWaitedMs: number
  refusals: Record<Refusal, number>
}

function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void
  const promise = new Promise<void>((r) => (fire = r))
  return { promise, fire }
}

export function createPacer(options: PacerOptions): Pacer {
  const { clock } = options
  const limitsFor = options.limitsFor ?? documentedLimits
  const safetyMargin = options.safetyMargin ?? ((l: PortalLimits) => Math.max(2, Math.ceil(l.burst * 0.04)))
  const budgetSec = options.operatingBudgetSec ?? 480
  const windowMs = (options.operatingWindowSec ?? 600) * 1000
  const opMarginSec = options.operatingMarginSec ?? 5
  const initialCostSec = options.initialCallCostSec ?? 2
  const ttlMs = options.reservationTtlMs ?? 120_000
  /** Longest single sleep before re-checking, so a missed signal can never stall a waiter for long. */
  const maxNapMs = Math.max(50, windowMs / 60)
  const portals = new Map<string, PortalState>()
  let nextTicket = 1

  function portal(memberId: string, licenseFamily?: string | null): PortalState {
    let p = portals.get(memberId)
    if (!p) {
      p = {
        limits: limitsFor(licenseFamily ?? null),
        level: 0,
        levelAt: clock.now(),
        inflight: new Map(),
        offsets: [],
        bucketLock: new FifoLock(),
        methods: new Map(),
        changed: signal(),
        tickets: new Map(),
        requests: 0,
        bucketWaits: 0,
        bucketWaitedMs: 0,
        refusals: { QUERY_LIMIT_EXCEEDED: 0, OPERATION_TIME_LIMIT: 0 },
      }
      portals.set(memberId, p)
    } else if (licenseFamily !== undefined) {
      p.limits = limitsFor(licenseFamily)
    }
    return p
  }

  function method(p: PortalState, name: string): MethodState {
    const key = name.toLowerCase()
    let m = p.methods.get(key)
    if (!m) {
      m = { log: [], observed: undefined, resetAt: 0, blockedUntil: 0, cost: undefined, reservations: new Map(), lock: new FifoLock(), waits: 0, waitedMs: 0 }
      p.methods.set(key, m)
    }
    return m
  }

  function notify(p: PortalState): void {
    const s = p.changed
    p.changed = signal()
    s.fire()
  }

  // ---------------------------------------------------------------- bucket

  function drain(p: PortalState, now: number): void {
    const dt = Math.max(0, now - p.levelAt)
    p.level = Math.max(0, p.level - (dt / 1000) * p.limits.drainPerSec)
    p.levelAt = now
  }

  /** In-flight requests, forgetting those whose answer never got reported (counted as arrived then). */
  function inflightCount(p: PortalState, now: number): number {
    for (const [id, at] of p.inflight) {
      if (at + ttlMs > now) continue
      p.inflight.delete(id)
      drain(p, now)
      p.level += 1
    }
    return p.inflight.size
  }

  /** Waits for room for one more request and takes it; `ticket` keeps it in flight until `settle`. */
  async function takeSlot(memberId: string, licenseFamily: string | null, ticket?: number): Promise<void> {
    const p = portal(memberId, licenseFamily)
    const release = await p.bucketLock.enter()
    try {
      let waited = false
      for (;;) {
        const now = clock.now()
        drain(p, now)
        const cap = Math.max(1, p.limits.burst - safetyMargin(p.limits))
        const inflight = inflightCount(p, now)
        if (p.level + inflight + 1 <= cap) {
          if (ticket === undefined) p.level += 1
          else p.inflight.set(ticket, now)
          p.requests += 1
          return
        }
        if (!waited) p.bucketWaits += 1
        waited = true
        // Draining frees room at Y per second; answers coming back free none (they move from in flight to the
        // counter) but make the drain start, so wake on them too.
        const excess = p.level + inflight + 1 - cap
        const waitMs = excess <= p.level ? Math.max(1, Math.ceil((excess / p.limits.drainPerSec) * 1000)) : maxNapMs
        const t0 = clock.now()
        await Promise.race([clock.sleep(waitMs), p.changed.promise])
        p.bucketWaitedMs += Math.max(0, clock.now() - t0)
      }
    } finally {
      release()
    }
  }

  async function acquire(memberId: string, licenseFamily: string | null): Promise<void> {
    // Without a ticket nothing tells us when the answer came: the request is counted as arriving now.
    await takeSlot(memberId, licenseFamily)
  }

  // ---------------------------------------------------------------- operating

  /** Portal time (unix seconds) as a time on our clock no earlier than the real one; `fallback` when unknown. */
  function ourTime(p: PortalState, portalSec: number, now: number, fallback: number): number {
    while (p.offsets.length > 0 && p.offsets[0]!.at + windowMs <= now) p.offsets.shift()
    const min = p.offsets[0]
    return min ? portalSec * 1000 + min.offset : fallback
  }

  function learnOffset(p: PortalState, finishedAtSec: number, now: number): void {
    const offset = now - finishedAtSec * 1000
    while (p.offsets.length > 0 && p.offsets[p.offsets.length - 1]!.offset >= offset) p.offsets.pop()
    p.offsets.push({ at: now, offset })
  }

  function prune(m: MethodState, now: number): void {
    // Charges are needed for two windows: one while live, one more to correct an observation made while they were.
    if (m.log.length > 0 && m.log[0]!.at + 2 * windowMs <= now) m.log = m.log.filter((c) => c.at + 2 * windowMs > now)
    for (const [id, r] of m.reservations) if (r.expires <= now) m.reservations.delete(id)
    if (m.observed && m.observed.at + windowMs <= now) m.observed = undefined
    if (m.cost && m.cost.at + windowMs <= now) m.cost = undefined
  }

  /** Upper bound of the portal's operating figure for this method, without reservations. */
  function used(m: MethodState, now: number): number {
    let live = 0
    let droppedSinceObserved = 0
    for (const c of m.log) {
      if (c.at + windowMs > now) live += c.sec
      else if (m.observed && c.at <= m.observed.at && c.at + windowMs > m.observed.at) droppedSinceObserved += c.sec
    }
    const fromPortal = m.observed ? Math.max(0, m.observed.operating - droppedSinceObserved) : 0
    return Math.max(live, fromPortal)
  }

  function reserved(m: MethodState): number {
    let sum = 0
    for (const r of m.reservations.values()) sum += r.sec
    return sum
  }

  function costPerCall(m: MethodState): number {
    return m.cost?.sec ?? initialCostSec
  }

  /** 0 when `calls` more calls fit now; otherwise when to look again (clock ms, absolute). */
  function blockedTill(m: MethodState, calls: number, now: number): number {
    prune(m, now)
    if (m.blockedUntil > now) return m.blockedUntil
    const current = used(m, now) + reserved(m)
    const need = calls * costPerCall(m)
    // One request larger than the whole budget can never fit: let it go alone rather than wait forever.
    if (current + need <= budgetSec - opMarginSec || current <= 0) return 0
    // Something changes when one of our charges drops, the portal's figure expires, a reservation expires
    // or the portal's oldest basket drops; re-check then (or on the next answer, see `changed`).
    let next = now + maxNapMs
    for (const c of m.log) if (c.at + windowMs > now) next = Math.min(next, c.at + windowMs)
    if (m.observed) next = Math.min(next, m.observed.at + windowMs)
    for (const r of m.reservations.values()) if (Number.isFinite(r.expires)) next = Math.min(next, r.expires)
    if (m.resetAt > now) next = Math.min(next, m.resetAt)
    return Math.max(now + 1, next)
  }

  async function waitFor(p: PortalState, entries: Array<[MethodState, number]>): Promise<void> {
    for (;;) {
      const now = clock.now()
      let wake = 0
      for (const [m, calls] of entries) wake = Math.max(wake, blockedTill(m, calls, now))
      if (wake === 0) return
      const napMs = Math.min(maxNapMs, wake - now)
      for (const [m, calls] of entries) {
        if (blockedTill(m, calls, now) === 0) continue
        m.waits += 1
        m.waitedMs += napMs
      }
      await Promise.race([clock.sleep(napMs), p.changed.promise])
    }
  }

  async function withMethodLocks<T>(p: PortalState, names: Iterable<string>, fn: (states: Array<{ name: string; m: MethodState }>) => Promise<T>): Promise<T> {
    // Sorted, so two requests never hold each other's locks.
    const sorted = [...new Set([...names].map((n) => n.toLowerCase()))].sort()
    const states = sorted.map((name) => ({ name, m: method(p, name) }))
    const releases: Array<() => void> = []
    try {
      for (const { m } of states) releases.push(await m.lock.enter())
      return await fn(states)
    } finally {
      for (const r of releases.reverse()) r()
    }
  }

  function settle(ticket: PacerTicket): void {
    const p = portals.get(ticket.memberId)
    if (!p) return
    if (p.inflight.delete(ticket.id)) {
      drain(p, clock.now())
      p.level += 1
    }
    const held = p.tickets.get(ticket.id)
    if (held) {
      p.tickets.delete(ticket.id)
      for (const name of held) method(p, name).reservations.delete(ticket.id)
    }
    notify(p)
  }

  return {
    acquire,

    observe(memberId, info) {
      const p = portal(memberId)
      const now = clock.now()
      if (info.refused === 'QUERY_LIMIT_EXCEEDED') {
        // The portal's counter is above X: assume it is full.
        drain(p, now)
        p.level = Math.max(p.level, p.limits.burst)
        p.refusals.QUERY_LIMIT_EXCEEDED += 1
        notify(p)
        return
      }
      const m = method(p, info.method)
      prune(m, now)
      const finished = typeof info.finishedAt === 'number' && Number.isFinite(info.finishedAt) && info.finishedAt > 0 ? info.finishedAt : undefined
      if (finished !== undefined) learnOffset(p, finished, now)
      // When the portal ran this call, on our clock, never earlier than it really was (so charges drop out no
      // sooner than the portal's baskets); the answer's arrival when the portal gave no time.
      const ranAt = finished !== undefined ? Math.min(now, ourTime(p, finished, now, now)) : now
      if (typeof info.operatingResetAt === 'number' && Number.isFinite(info.operatingResetAt) && info.operatingResetAt > 0) {
        // Never trust a reset further away than one window (clock skew, odd answers).
        m.resetAt = Math.min(ourTime(p, info.operatingResetAt, now, info.operatingResetAt * 1000), now + windowMs)
      }
      if (info.refused === 'OPERATION_TIME_LIMIT') {
        p.refusals.OPERATION_TIME_LIMIT += 1
        m.observed = { operating: Math.max(budgetSec, used(m, now)), at: now }
        m.blockedUntil = Math.max(m.blockedUntil, m.resetAt > now ? m.resetAt + 1000 : now + windowMs / 10)
        notify(p)
        return
      }
      if (typeof info.processing === 'number' && Number.isFinite(info.processing) && info.processing > 0) {
        const last = m.log[m.log.length - 1]
        if (last && last.at === ranAt) last.sec += info.processing
        else m.log.push({ at: ranAt, sec: info.processing })
        if (!m.cost || info.processing > m.cost.sec) m.cost = { sec: info.processing, at: now }
        else m.cost.at = now
      }
      if (typeof info.operating === 'number' && Number.isFinite(info.operating) && info.operating >= 0) {
        // Answers to concurrent requests arrive in any order: a lower figure may be the older one, so
        // only a higher one replaces what we hold (ours decays as our charges drop out).
        if (!m.observed || info.operating >= used(m, now)) m.observed = { operating: info.operating, at: ranAt }
        // Near the budget: block the method until the portal's oldest basket drops (limits.md's advice).
        if (info.operating >= budgetSec - opMarginSec && m.resetAt > now) m.blockedUntil = Math.max(m.blockedUntil, m.resetAt)
      }
      notify(p)
    },

    async waitForMethod(memberId, name, calls = 1) {
      const p = portal(memberId)
      await withMethodLocks(p, [name], async ([s]) => waitFor(p, [[s!.m, calls]]))
    },

    async admit(memberId, licenseFamily, calls) {
      const p = portal(memberId, licenseFamily)
      const id = nextTicket++
      const counts = new Map<string, number>()
      for (const [name, n] of calls) counts.set(name.toLowerCase(), (counts.get(name.toLowerCase()) ?? 0) + n)
      await withMethodLocks(p, counts.keys(), async (states) => {
        const entries: Array<[MethodState, number]> = states.map(({ name, m }) => [m, counts.get(name) ?? 1])
        await waitFor(p, entries)
        // Held while the request waits for the bucket and is in flight; `settle` (or the ttl) frees it.
        for (const [m, n] of entries) m.reservations.set(id, { sec: n * costPerCall(m), expires: Number.POSITIVE_INFINITY })
        p.tickets.set(id, states.map(({ name }) => name))
      })
      const ticket: PacerTicket = { memberId, id }
      try {
        await takeSlot(memberId, licenseFamily, id)
      } catch (e) {
        settle(ticket)
        throw e
      }
      const expires = clock.now() + ttlMs
      for (const name of p.tickets.get(id) ?? []) {
        const r = method(p, name).reservations.get(id)
        if (r) r.expires = expires
      }
      return ticket
    },

    settle,

    stats(memberId) {
      const p = portal(memberId)
      const now = clock.now()
      drain(p, now)
      const inflight = inflightCount(p, now)
      const methods: Record<string, MethodStats> = {}
      for (const [name, m] of p.methods) {
        prune(m, now)
        methods[name] = { estimate: used(m, now) + reserved(m), blockedUntil: m.blockedUntil > now ? m.blockedUntil : null, waits: m.waits, waitedMs: m.waitedMs }
      }
      return {
        requests: p.requests,
        bucketWaits: p.bucketWaits,
        bucketWaitedMs: p.bucketWaitedMs,
        refusals: { ...p.refusals },
        level: p.level + inflight,
        inflight,
        methods,
      }
    },
  }
}
