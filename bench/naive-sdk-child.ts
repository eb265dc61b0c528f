/**
 * Child process: the naive way to send invitations — one `user.add` per request, in a loop, through
 * b24jssdk's `B24OAuth` with its default restriction profile (rate limiter 50 / 2 per s, operating limiter,
 * adaptive delays, 3 retries). The process runs on the emulator's sped-up clock (time-warp.ts) so the SDK's
 * wall-clock limiters see the same time as the portal. A failed call is counted and the loop moves on, as a
 * plain loop would; nothing here retries beyond what the SDK does itself.
 *
 * Input: env BENCH_INPUT (JSON NaiveInput). Output: one IPC message (NaiveResult).
 */
import { warpProcessTime, type WarpSpec } from './time-warp.js'

export interface NaiveInput {
  warp: WarpSpec
  tokens: {
    access_token: string
    refresh_token: string
    expires: number
    expires_in: number
    scope: string
    client_endpoint: string
    server_endpoint: string
    member_id: string
    user_id: number
  }
  app: { clientId: string; clientSecret: string }
  count: number
  /** Addresses are `${emailPrefix}${i}@example.com`. */
  emailPrefix: string
}

export interface NaiveResult {
  invited: number
  failed: number
  /** Error code → count, for the calls that finally failed (after the SDK's own retries). */
  failures: Record<string, number>
  /** Emulator ms. */
  startedAt: number
  finishedAt: number
  sdkStats: unknown
}

const input = JSON.parse(process.env.BENCH_INPUT ?? '') as NaiveInput
// Before the SDK is loaded, so every timestamp and timer it takes is on the emulator's clock.
warpProcessTime(input.warp)
const { B24OAuth, EnumAppStatus, ApiVersion } = await import('@bitrix24/b24jssdk')

const t = input.tokens
const b24 = new B24OAuth(
  {
    applicationToken: '',
    userId: t.user_id,
    memberId: t.member_id,
    accessToken: t.access_token,
    refreshToken: t.refresh_token,
    expires: t.expires,
    expiresIn: t.expires_in,
    scope: t.scope,
    domain: new URL(t.client_endpoint).host,
    clientEndpoint: t.client_endpoint,
    serverEndpoint: t.server_endpoint,
    status: EnumAppStatus.Free,
  },
  { clientId: input.app.clientId, clientSecret: input.app.clientSecret },
)

const failures: Record<string, number> = {}
let invited = 0
let failed = 0
const fail = (code: string): void => {
  failed++
  failures[code] = (failures[code] ?? 0) + 1
}
const startedAt = Date.now()
for (let i = 0; i < input.count; i++) {
  try {
    const r = await b24.actions.v2.call.make({
      method: 'user.add',
      params: { EMAIL: `${input.emailPrefix}${i}@example.com`, NAME: `Naive${i}`, LAST_NAME: 'Loop', UF_DEPARTMENT: [1] },
    })
    if (r.isSuccess) invited++
    else fail([...r.getErrors()][0] ? String((([...r.getErrors()][0] as { code?: unknown }).code) ?? 'error') : 'error')
  } catch (e) {
    fail(String((e as { code?: unknown }).code ?? 'exception'))
  }
}
const finishedAt = Date.now()
const result: NaiveResult = { invited, failed, failures, startedAt, finishedAt, sdkStats: b24.getHttpClient(ApiVersion.v2).getStats() }
process.send?.(result, () => process.exit(0))
