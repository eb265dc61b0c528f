/**
 * The least emulated time in which any client can get N `user.add` calls accepted by a portal with the
 * given limits (limits.md, as test/emulator/limits.ts reads it). Two independent bounds; the floor is the
 * larger one.
 *
 * Request rate (leaky bucket X / Y): `batch` carries at most 50 commands and counts once, so N invites need
 * R = ⌈N / 50⌉ requests. After an idle period X + 1 requests pass at once (the emulator's literal reading:
 * a request is refused only when the counter already exceeds X), then one more per 1/Y s:
 *   T_rate = max(0, R − (X + 1)) / Y
 *
 * Operating time (L seconds of execution per method per window W, c seconds per user.add): a call is
 * refused when the method's live baskets already hold more than L, and the call that crosses L completes.
 * So one window takes at most k = ⌊L / c⌋ + 1 calls, and the calls of a basket count until the basket
 * leaves the window, W after its first call. Sending each group of k at the instant the previous group's
 * basket drops is the best a client can do window by window:
 *   T_op = ⌊(N − 1) / k⌋ × W
 *
 * A stricter bound, reported for reference (`basketAwareSec`): a basket collects every call made within
 * its first minute (limits.md: "ten one-minute baskets", counted "from the first recorded method call in
 * the corresponding minute"). A client that opens the next basket with one call a minute before the old
 * one drops, and fills it the moment the old one is gone, charges its calls to a basket that leaves the
 * window only W − 60 s later. That needs the basket's first call placed to the second against the
 * portal's private bookkeeping; the documented budget is per window, so T_op is the floor we hold the
 * engine to, and the basket-aware figure is shown next to it.
 */
export interface SendLimits {
  /** X */
  burst: number
  /** Y, per second */
  drainPerSec: number
  /** L, seconds */
  operatingLimitSec: number
  /** W, seconds */
  operatingWindowSec: number
  /** c, seconds charged per user.add */
  callSec: number
  /** Commands per batch (batch.md: 50). */
  perBatch: number
}

export interface SendFloor {
  invites: number
  requests: number
  callsPerWindow: number
  rateSec: number
  operatingSec: number
  floorSec: number
  /** Binding bound. */
  bound: 'rate' | 'operating'
  /** Reference only, see above. */
  basketAwareSec: number
}

export function sendFloor(invites: number, l: SendLimits): SendFloor {
  const requests = Math.ceil(invites / l.perBatch)
  const rateSec = Math.max(0, requests - (l.burst + 1)) / l.drainPerSec
  const k = Math.floor(l.operatingLimitSec / l.callSec) + 1
  const operatingSec = invites > 0 ? Math.floor((invites - 1) / k) * l.operatingWindowSec : 0
  // Basket-aware: the first window takes k − 1 calls (so one "opener" call still fits before it drops); each later
  // basket takes the opener plus k − 1, becoming usable W − 60 s after the previous one.
  const basketMin = l.operatingWindowSec / 10
  let basketAwareSec = 0
  if (invites > k) {
    const perGroup = k - 1
    const groups = Math.ceil(invites / perGroup)
    basketAwareSec = l.operatingWindowSec + Math.max(0, groups - 2) * (l.operatingWindowSec - basketMin)
  }
  basketAwareSec = Math.max(rateSec, Math.min(operatingSec, basketAwareSec))
  const floorSec = Math.max(rateSec, operatingSec)
  return { invites, requests, callsPerWindow: k, rateSec, operatingSec, floorSec, bound: operatingSec >= rateSec ? 'operating' : 'rate', basketAwareSec }
}
