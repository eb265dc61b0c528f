/**
 * bizproc.robot.add / update / list / delete, bizproc.event.send, bizproc.activity.log
 * (api-reference/bizproc/bizproc-robot/*.md, bizproc-activity/bizproc-activity-log.md).
 * Robot management is administrator-only and application-context-only; its errors are HTTP 400
 * (bizproc-robot-list.md shows `ACCESS_DENIED` "Access denied!" with HTTP status 400).
 */
import { RestError } from '../errors.js'
import { obj, param, str } from '../params.js'
import type { RobotRecord } from '../state.js'
import type { MethodContext, MethodDef } from './types.js'

const CODE_RE = /^[a-zA-Z0-9._-]+$/
const PROP_KEY_RE = /^[a-zA-Z][a-zA-Z0-9_]*$/

const validation = (msg: string): RestError => new RestError(400, 'ERROR_ACTIVITY_VALIDATION_FAILURE', msg)

function requireAdmin(ctx: MethodContext): void {
  if (!ctx.isAdmin) throw new RestError(400, 'ACCESS_DENIED', 'Access denied!')
}

function readCode(ctx: MethodContext): string {
  const code = str(param(ctx.params, 'CODE')).trim()
  if (!code) throw validation('Empty activity code!')
  if (!CODE_RE.test(code)) throw validation('Wrong activity code!')
  return code
}

/**
 * HANDLER: "The link must have the same domain where the application is installed" — compared with the
 * host of the app's registered handler URL.
 */
function checkHandler(ctx: MethodContext, handler: string): void {
  let url: URL
  try {
    url = new URL(handler)
  } catch {
    throw new RestError(400, 'ERROR_WRONG_HANDLER_URL', 'Wrong handler URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RestError(400, 'ERROR_UNSUPPORTED_PROTOCOL', 'Unsupported handler protocol')
  const reg = ctx.portal.registrations.get(ctx.app.clientId)
  if (reg && new URL(reg.handlerUrl).hostname !== url.hostname) throw new RestError(400, 'ERROR_WRONG_HANDLER_URL', 'Wrong handler URL')
}

function checkProperties(value: unknown): Record<string, unknown> {
  if (value === undefined || value === '') return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw validation('Wrong properties array!')
  const props = value as Record<string, unknown>
  for (const [key, def] of Object.entries(props)) {
    if (!PROP_KEY_RE.test(key)) throw validation(`Wrong property key ${key}!`)
    const name = obj(def).Name
    if (name === undefined || name === '' || (typeof name === 'object' && Object.keys(name as object).length === 0)) throw validation(`Empty property NAME ${key}!`)
  }
  return props
}

function checkDocumentType(value: unknown): unknown {
  if (value === undefined || value === '') return null
  if (!Array.isArray(value) || value.length !== 3 || value.some((v) => typeof v !== 'string' || !v)) throw validation('Wrong activity DOCUMENT_TYPE!')
  return value
}

function checkFilter(value: unknown): unknown {
  if (value === undefined || value === '') return null
  const f = obj(value)
  if (Object.keys(f).some((k) => k !== 'INCLUDE' && k !== 'EXCLUDE')) throw validation('Wrong activity FILTER!')
  return f
}

const subscription = (v: unknown): '' | 'Y' | 'N' => {
  const s = str(v).toUpperCase()
  return s === 'Y' || s === 'N' ? s : ''
}

function robotAdd(ctx: MethodContext): { result: true } {
  requireAdmin(ctx)
  const p = ctx.params
  if (Object.keys(p).length === 0) throw validation('Empty data!')
  const code = readCode(ctx)
  const handler = str(param(p, 'HANDLER')).trim()
  checkHandler(ctx, handler)
  const name = param(p, 'NAME')
  if (name === undefined || name === '' || (typeof name === 'object' && name !== null && Object.keys(name).length === 0)) throw validation('Empty activity NAME!')
  const properties = checkProperties(param(p, 'PROPERTIES'))
  const returnProperties = checkProperties(param(p, 'RETURN_PROPERTIES'))
  const documentType = checkDocumentType(param(p, 'DOCUMENT_TYPE'))
  const filter = checkFilter(param(p, 'FILTER'))
  if (ctx.portal.robotRecords.some((r) => r.clientId === ctx.app.clientId && r.code === code)) {
    throw new RestError(400, 'ERROR_ACTIVITY_ALREADY_INSTALLED', 'Activity or Automation rule already installed!')
  }
  const authUserId = Number.parseInt(str(param(p, 'AUTH_USER_ID')), 10)
  const usePlacement = str(param(p, 'USE_PLACEMENT')).toUpperCase() === 'Y' ? 'Y' : 'N'
  const placementHandler = str(param(p, 'PLACEMENT_HANDLER'))
  if (usePlacement === 'Y' && !placementHandler) throw new RestError(400, 'ERROR_WRONG_HANDLER_URL', 'Wrong handler URL')
  const robot: RobotRecord = {
    clientId: ctx.app.clientId,
    code,
    handler,
    authUserId: Number.isFinite(authUserId) && authUserId > 0 ? authUserId : null,
    useSubscription: subscription(param(p, 'USE_SUBSCRIPTION')),
    name,
    description: param(p, 'DESCRIPTION') ?? '',
    properties,
    returnProperties,
    documentType,
    filter,
    usePlacement,
    placementHandler,
  }
  ctx.portal.robotRecords.push(robot)
  return { result: true }
}

function robotUpdate(ctx: MethodContext): { result: true } {
  requireAdmin(ctx)
  const code = readCode(ctx)
  const robot = ctx.portal.robotRecords.find((r) => r.clientId === ctx.app.clientId && r.code === code)
  if (!robot) throw new RestError(400, 'ERROR_ACTIVITY_NOT_FOUND', 'Activity or Automation Rule not found!')
  const f = obj(param(ctx.params, 'FIELDS'))
  if (Object.keys(f).length === 0) throw validation('No fields to update')
  if (f.HANDLER !== undefined) {
    checkHandler(ctx, str(f.HANDLER))
    robot.handler = str(f.HANDLER)
  }
  if (f.AUTH_USER_ID !== undefined) {
    const n = Number.parseInt(str(f.AUTH_USER_ID), 10)
    robot.authUserId = Number.isFinite(n) && n > 0 ? n : null
  }
  if (f.USE_SUBSCRIPTION !== undefined) robot.useSubscription = subscription(f.USE_SUBSCRIPTION)
  if (f.NAME !== undefined) robot.name = f.NAME
  if (f.DESCRIPTION !== undefined) robot.description = f.DESCRIPTION
  if (f.PROPERTIES !== undefined) robot.properties = checkProperties(f.PROPERTIES)
  if (f.RETURN_PROPERTIES !== undefined) robot.returnProperties = checkProperties(f.RETURN_PROPERTIES)
  if (f.DOCUMENT_TYPE !== undefined) robot.documentType = checkDocumentType(f.DOCUMENT_TYPE)
  if (f.FILTER !== undefined) robot.filter = checkFilter(f.FILTER)
  if (f.USE_PLACEMENT !== undefined) robot.usePlacement = str(f.USE_PLACEMENT).toUpperCase() === 'Y' ? 'Y' : 'N'
  if (f.PLACEMENT_HANDLER !== undefined) robot.placementHandler = str(f.PLACEMENT_HANDLER)
  return { result: true }
}

function robotDelete(ctx: MethodContext): { result: true } {
  requireAdmin(ctx)
  const code = readCode(ctx)
  const before = ctx.portal.robotRecords.length
  ctx.portal.robotRecords = ctx.portal.robotRecords.filter((r) => !(r.clientId === ctx.app.clientId && r.code === code))
  if (ctx.portal.robotRecords.length === before) throw new RestError(400, 'ERROR_ACTIVITY_NOT_FOUND', 'Activity or Robot not found!')
  return { result: true }
}

/** bizproc-event-send.md: "If the token is invalid or expired, the method will return an access error ACCESS_DENIED" (403). */
function eventSend(ctx: MethodContext): { result: true } {
  const token = str(param(ctx.params, 'EVENT_TOKEN'))
  const pending = ctx.portal.robotTokens.get(token)
  if (!token || !pending || pending.state !== 'pending' || pending.clientId !== ctx.app.clientId) throw new RestError(403, 'ACCESS_DENIED', 'Access denied!')
  // "If the token is invalid or expired": the workflow gave up waiting when its timeout passed.
  if (pending.expiresAt !== null && ctx.clock.now() > pending.expiresAt) throw new RestError(403, 'ACCESS_DENIED', 'Access denied!')
  pending.state = 'used'
  ctx.portal.bizprocEventRecords.push({
    eventToken: token,
    clientId: ctx.app.clientId,
    robotCode: pending.robotCode,
    returnValues: param(ctx.params, 'RETURN_VALUES') ?? null,
    logMessage: str(param(ctx.params, 'LOG_MESSAGE')),
    at: ctx.clock.now(),
  })
  return { result: true }
}

function activityLog(ctx: MethodContext): { result: true } {
  const token = str(param(ctx.params, 'EVENT_TOKEN'))
  const pending = ctx.portal.robotTokens.get(token)
  if (!token || !pending || pending.state !== 'pending' || pending.clientId !== ctx.app.clientId) throw new RestError(403, 'ACCESS_DENIED', 'Access denied!')
  if (pending.expiresAt !== null && ctx.clock.now() > pending.expiresAt) throw new RestError(403, 'ACCESS_DENIED', 'Access denied!')
  ctx.portal.bizprocLog.push({ eventToken: token, message: str(param(ctx.params, 'LOG_MESSAGE')), at: ctx.clock.now() })
  return { result: true }
}

export const bizprocMethods: MethodDef[] = [
  { name: 'bizproc.robot.add', scopes: ['bizproc'], handler: robotAdd },
  { name: 'bizproc.robot.update', scopes: ['bizproc'], handler: robotUpdate },
  {
    name: 'bizproc.robot.list',
    scopes: ['bizproc'],
    handler: (ctx) => {
      requireAdmin(ctx)
      return { result: ctx.portal.robotRecords.filter((r) => r.clientId === ctx.app.clientId).map((r) => r.code) }
    },
  },
  { name: 'bizproc.robot.delete', scopes: ['bizproc'], handler: robotDelete },
  { name: 'bizproc.event.send', scopes: ['bizproc'], handler: eventSend },
  { name: 'bizproc.activity.log', scopes: ['bizproc'], handler: activityLog },
]
