import { InputError } from '../shared/errors.js'

/**
 * What a robot's HANDLER receives, form-encoded (rest-facts §7.2: workflow_id, code, document_id[0..2],
 * document_type[0..2], event_token, properties[…], use_subscription, timeout_duration, ts, auth[…]).
 * Parsed once here; the rest of the capability never looks at the raw body.
 */
export interface RobotCall {
  code: string
  workflowId: string
  eventToken: string
  documentId: string[]
  documentType: string[]
  properties: Record<string, unknown>
  useSubscription: boolean
  /** Seconds the workflow waits for our reply; 0: no limit given. */
  timeoutSec: number
  /** When the portal sent the call (its ts), epoch ms; null when absent. */
  sentAt: number | null
  /** The user whose token came with the call (AUTH_USER_ID, or who started the workflow). */
  authUserId: number | null
}

const MAX_ID = 255

const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '')
const list = (v: unknown): string[] => {
  if (Array.isArray(v)) return v.map(text)
  // qs turns document_id[0]=… into an array, but a sparse one into an object keyed by index.
  if (v && typeof v === 'object') return Object.keys(v).sort((a, b) => Number(a) - Number(b)).map((k) => text((v as Record<string, unknown>)[k]))
  return []
}

export function parseRobotCall(code: string, body: Record<string, unknown>, auth: Record<string, unknown>): RobotCall {
  const workflowId = text(body.workflow_id).trim()
  const eventToken = text(body.event_token).trim()
  if (!workflowId || workflowId.length > MAX_ID) throw new InputError('bad_robot_call', 'The robot call has no workflow_id')
  if (!eventToken || eventToken.length > 1_000) throw new InputError('bad_robot_call', 'The robot call has no event_token')
  if (body.code !== undefined && text(body.code) !== code) throw new InputError('bad_robot_call', 'The robot call names another robot than its address')
  const documentId = list(body.document_id)
  if (documentId.length !== 3 || documentId.some((p) => !p || p.length > MAX_ID)) throw new InputError('bad_robot_call', 'The robot call has no document_id')
  const documentType = list(body.document_type)
  const properties = body.properties && typeof body.properties === 'object' && !Array.isArray(body.properties) ? (body.properties as Record<string, unknown>) : {}
  const timeout = Number.parseInt(text(body.timeout_duration), 10)
  const ts = Number.parseInt(text(body.ts), 10)
  const user = Number.parseInt(text(auth.user_id), 10)
  return {
    code,
    workflowId,
    eventToken,
    documentId,
    documentType,
    properties,
    // "empty = wait" (bizproc.robot.add): only an explicit N means nobody waits for a reply.
    useSubscription: text(body.use_subscription).toUpperCase() !== 'N',
    timeoutSec: Number.isFinite(timeout) && timeout > 0 ? timeout : 0,
    sentAt: Number.isFinite(ts) && ts > 0 ? ts * 1000 : null,
    authUserId: Number.isFinite(user) && user > 0 ? user : null,
  }
}

/** A property as one trimmed string: workflows pass scalars as text, and a multiple value as a list. */
export function propText(props: Record<string, unknown>, key: string): string {
  const v = props[key]
  const first = Array.isArray(v) ? v[0] : v
  return text(first).trim()
}

/** A positive integer property ('12', 12, or the 'user_12' / 'group_12' a user or group field resolves to). */
export function propId(props: Record<string, unknown>, key: string): number | null {
  const raw = propText(props, key)
  const m = /^(?:[a-z]+_)?(\d{1,10})$/i.exec(raw)
  if (!m) return null
  const n = Number(m[1])
  return n > 0 && n <= 2_147_483_647 ? n : null
}

/** A date property (Y-m-d, d.m.Y, or ISO date-time) as epoch ms of the end of that day, UTC; null when empty, NaN when unreadable. */
export function propEndOfDay(props: Record<string, unknown>, key: string): number | null {
  const raw = propText(props, key)
  if (!raw) return null
  let y: number, m: number, d: number
  const iso = /^(\d{4})-(\d{2})-(\d{2})/.exec(raw)
  const ru = /^(\d{2})\.(\d{2})\.(\d{4})/.exec(raw)
  if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])]
  else if (ru) [y, m, d] = [Number(ru[3]), Number(ru[2]), Number(ru[1])]
  else return Number.NaN
  const at = Date.UTC(y, m - 1, d, 23, 59, 59)
  const check = new Date(at)
  return check.getUTCFullYear() === y && check.getUTCMonth() === m - 1 && check.getUTCDate() === d ? at : Number.NaN
}
