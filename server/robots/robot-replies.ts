/**
 * Sends each decided run's values back to its workflow (bizproc.event.send), 50 to a batch, through the
 * portal's pacer. A busy portal (limits, 5xx, no answer) is retried on the named policy below; a token the
 * portal no longer takes (403 ACCESS_DENIED: the workflow stopped waiting, or it was already answered) ends
 * the reply as 'expired'. A reply that went out but whose answer was lost is sent again once claimed back;
 * the portal then refuses the used token, which is recorded as sent, since the first one got through.
 */
import type { Clock } from '../shared/clock.js'
import { AppError, errorText, PortalApiError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { CallParams, PortalGateway } from '../portals/portal-gateway.js'
import type { RobotRun, RobotRunStore } from '../storage/robot-run-store.js'

const PER_BATCH = 50
/** Prefix of a reply error after which the portal may have taken the reply anyway. */
const MAYBE_SENT = 'maybe_sent:'
const PORTALS_PER_PASS = 32
/** A reply claimed this long ago and not finished belongs to a sender that died. */
export const REPLY_STALE_MS = 2 * 60_000

/** Named retry policy for replies to a busy portal: exponential, capped, jittered (bolt-js style). */
export const ROBOT_REPLY_RETRY_POLICY = {
  name: 'robot-reply',
  delayMs: (attempt: number) => Math.round(Math.min(5 * 60_000, 2_000 * 2 ** Math.max(0, attempt - 1)) * (0.8 + Math.random() * 0.4)),
  maxAttempts: 10,
} as const

/** Errors after which the same reply may well succeed later. */
const TRANSIENT = new Set([
  'QUERY_LIMIT_EXCEEDED', 'OPERATION_TIME_LIMIT', 'OVERLOAD_LIMIT', 'INTERNAL_SERVER_ERROR', 'ERROR_UNEXPECTED_ANSWER',
  'NETWORK_ERROR', 'REQUEST_TIMEOUT', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'expired_token', 'invalid_token', 'NO_AUTH_FOUND',
  'JSSDK_CALL_ALL_ATTEMPTS_EXHAUSTED',
])

export function createRobotReplies(deps: { runs: RobotRunStore; gateway: PortalGateway; clock: Clock; log: Logger }) {
  const { runs, clock, log } = deps

  const logMessage = (run: RobotRun): string => {
    const v = run.returnValues ?? {}
    const status = v.STATUS ?? (v.ACCEPTED !== undefined ? `ACCEPTED=${v.ACCEPTED}` : '')
    return `Invite Desk: ${status}${v.ERROR_TEXT ? ` — ${v.ERROR_TEXT}` : ''}`.slice(0, 1000)
  }

  async function retryOrFail(run: RobotRun, code: string, message: string): Promise<void> {
    if (run.replyAttempts >= ROBOT_REPLY_RETRY_POLICY.maxAttempts) {
      await runs.finishReply(run.memberId, run.id, { state: 'failed', error: `${code}: ${message} (gave up after ${run.replyAttempts} attempts)` }, clock.now())
      return
    }
    await runs.finishReply(run.memberId, run.id, { state: 'pending', error: `${code}: ${message}`, nextAt: clock.now() + ROBOT_REPLY_RETRY_POLICY.delayMs(run.replyAttempts) }, clock.now())
  }

  async function sendBatch(memberId: string, list: RobotRun[]): Promise<number> {
    const calls: Record<string, [string, CallParams]> = {}
    list.forEach((run, k) => {
      calls[`r${k}`] = ['bizproc.event.send', { EVENT_TOKEN: run.eventToken, RETURN_VALUES: run.returnValues ?? {}, LOG_MESSAGE: logMessage(run) }]
    })
    let outcomes
    try {
      outcomes = (await deps.gateway.batchDetailed(memberId, calls, { replay: false })).outcomes
    } catch (e) {
      const code = e instanceof PortalApiError ? e.apiCode : e instanceof AppError ? e.code : 'UNKNOWN'
      // Refused before running (limits, auth, our side) vs. possibly delivered (no answer, 5xx): the latter is
      // marked, so a later ACCESS_DENIED for the used token reads as "it did get through".
      const refused = e instanceof PortalApiError ? [401, 403, 429, 503].includes(e.httpStatus) : e instanceof AppError
      const tag = refused ? code : `${MAYBE_SENT}${code}`
      log.warn({ memberId, replies: list.length, err: errorText(e) }, 'robot replies failed; retrying later')
      for (const run of list) await retryOrFail(run, tag, errorText(e))
      return 0
    }
    let sent = 0
    for (const [k, run] of list.entries()) {
      const o = outcomes[`r${k}`]
      if (o?.ok) {
        await runs.finishReply(memberId, run.id, { state: 'sent' }, clock.now())
        sent++
      } else if (!o) {
        await retryOrFail(run, `${MAYBE_SENT}no_answer`, 'The portal answered the batch without this reply')
      } else if (o.code === 'ACCESS_DENIED') {
        // An earlier attempt of ours may have been the one that used the token.
        const earlier = run.replyAttempts > 1 && (run.replyError === null || run.replyError.startsWith(MAYBE_SENT))
        await runs.finishReply(memberId, run.id, earlier
          ? { state: 'sent', error: 'Confirmed by the portal refusing the used token' }
          : { state: 'expired', error: 'The workflow no longer waits for this reply (ACCESS_DENIED): it timed out or was stopped' }, clock.now())
        if (earlier) sent++
      } else if (TRANSIENT.has(o.code)) {
        await retryOrFail(run, o.code, o.message)
      } else {
        await runs.finishReply(memberId, run.id, { state: 'failed', error: `${o.code}: ${o.message}` }, clock.now())
      }
    }
    return sent
  }

  return {
    /** One pass over every portal with replies due; returns how many were sent. */
    async sendDue(): Promise<number> {
      const now = clock.now()
      let sent = 0
      for (const memberId of await runs.membersWithReplies(now, now - REPLY_STALE_MS, PORTALS_PER_PASS)) {
        for (;;) {
          const list = await runs.claimReplies(memberId, clock.now(), clock.now() - REPLY_STALE_MS, PER_BATCH)
          if (list.length === 0) break
          sent += await sendBatch(memberId, list)
          if (list.length < PER_BATCH) break
        }
      }
      return sent
    },
  }
}

export type RobotReplies = ReturnType<typeof createRobotReplies>
