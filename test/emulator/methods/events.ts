/**
 * event.bind / event.get / event.unbind (api-reference/events/event-*.md). Application context only
 * (every emulator token is an app token). A non-admin binds on behalf of themselves only.
 */
import { RestError, argumentEmpty } from '../errors.js'
import { int, param, str } from '../params.js'
import type { MethodContext, MethodDef } from './types.js'

/**
 * Events the emulator knows, with the scope that makes them available (api-reference/events/events.md:
 * "The list of events available to the application"; each event page's "Scope:" line).
 */
export const KNOWN_EVENTS: Record<string, string | null> = {
  ONAPPINSTALL: null,
  ONAPPUNINSTALL: null,
  ONAPPUPDATE: null,
  ONAPPTEST: null,
  ONAPPPAYMENT: null,
  ONAPPMETHODCONFIRM: null,
  ONOFFLINEEVENT: null,
  ONUSERADD: 'user',
  ONSONETGROUPADD: 'sonet_group',
  ONSONETGROUPUPDATE: 'sonet_group',
  ONSONETGROUPDELETE: 'sonet_group',
  ONCRMDEALADD: 'crm',
  ONCRMDEALUPDATE: 'crm',
  ONCRMLEADADD: 'crm',
  ONCRMLEADUPDATE: 'crm',
  ONCRMCONTACTADD: 'crm',
  ONCRMCONTACTUPDATE: 'crm',
  ONCRMCOMPANYADD: 'crm',
  ONTASKADD: 'task',
  ONTASKUPDATE: 'task',
  ONIMBOTMESSAGEADD: 'imbot',
}

const SONET_ALIASES = ['sonet_group', 'socialnetwork']

function eventAvailable(ctx: MethodContext, event: string): boolean {
  if (!(event in KNOWN_EVENTS)) return false
  const scope = KNOWN_EVENTS[event]
  if (!scope) return true
  if (scope === 'sonet_group') return SONET_ALIASES.some((s) => ctx.app.scopes.includes(s))
  return ctx.app.scopes.includes(scope)
}

function bind(ctx: MethodContext): { result: true } {
  const event = str(param(ctx.params, 'event')).trim().toUpperCase()
  const handler = str(param(ctx.params, 'handler')).trim()
  if (!event || !eventAvailable(ctx, event)) throw new RestError(400, 'ERROR_EVENT_NOT_FOUND', 'Event not found')
  if (!handler) throw argumentEmpty('handler')
  const offline = str(param(ctx.params, 'event_type')).toLowerCase() === 'offline'
  const rawAuthType = param(ctx.params, 'auth_type')
  const authTypeGiven = rawAuthType !== undefined && str(rawAuthType) !== ''
  let authType = authTypeGiven ? int(rawAuthType) : 0
  if (!Number.isFinite(authType)) authType = 0
  if (!ctx.isAdmin) {
    if (offline) throw new RestError(403, 'ACCESS_DENIED', 'Access denied! Offline events binding requires administrator access rights')
    if (authTypeGiven && authType !== ctx.user.ID) throw new RestError(403, 'ACCESS_DENIED', 'Access denied! Event binding with AUTH_TYPE requires administrator access rights')
    // event-bind.md: "Events are installed on behalf of the current user".
    authType = ctx.user.ID
  }
  const duplicate = ctx.portal.eventBindings.some(
    (b) => b.clientId === ctx.app.clientId && b.event === event && b.handler === handler && b.authType === authType && b.offline === offline,
  )
  if (duplicate) {
    // Binding the same handler twice is refused: test-handler.md "Unable to set event handler — check if a
    // handler with the same URL is already registered"; wording and ERROR_CORE as in userfieldtype-add.md.
    throw new RestError(400, 'ERROR_CORE', 'Unable to set event handler: Handler already binded')
  }
  ctx.portal.eventBindings.push({
    id: ctx.portal.nextEventId(),
    clientId: ctx.app.clientId,
    event,
    handler,
    authType,
    offline,
    options: param(ctx.params, 'options') ?? null,
  })
  return { result: true }
}

function get(ctx: MethodContext): { result: unknown } {
  // "A user without administrator permissions receives only the handlers registered for the current user."
  const mine = ctx.portal.eventBindings.filter((b) => b.clientId === ctx.app.clientId && (ctx.isAdmin || b.authType === ctx.user.ID))
  return { result: mine.map((b) => ({ event: b.event, handler: b.handler, auth_type: String(b.authType), offline: b.offline ? 1 : 0 })) }
}

function unbind(ctx: MethodContext): { result: { count: number } } {
  const event = str(param(ctx.params, 'event')).trim().toUpperCase()
  const handler = str(param(ctx.params, 'handler')).trim()
  const offline = str(param(ctx.params, 'event_type')).toLowerCase() === 'offline'
  const rawAuthType = param(ctx.params, 'auth_type')
  const authTypeGiven = rawAuthType !== undefined
  const authType = authTypeGiven ? int(rawAuthType) || 0 : undefined
  if (!ctx.isAdmin) {
    if (offline) throw new RestError(403, 'ACCESS_DENIED', 'Access denied! Offline events unbinding requires administrator access rights')
    if (authType !== undefined && authType !== 0 && authType !== ctx.user.ID) {
      throw new RestError(403, 'ACCESS_DENIED', 'Access denied! Event unbinding with AUTH_TYPE requires administrator access rights')
    }
  }
  // "If no parameters are specified, all event handlers that meet the other requirements will be deleted."
  const matches = (b: (typeof ctx.portal.eventBindings)[number]): boolean =>
    b.clientId === ctx.app.clientId &&
    b.offline === offline &&
    (!event || b.event === event) &&
    (!handler || b.handler === handler) &&
    (ctx.isAdmin ? authType === undefined || b.authType === authType : b.authType === ctx.user.ID)
  const before = ctx.portal.eventBindings.length
  ctx.portal.eventBindings = ctx.portal.eventBindings.filter((b) => !matches(b))
  return { result: { count: before - ctx.portal.eventBindings.length } }
}

export const eventMethods: MethodDef[] = [
  { name: 'event.bind', scopes: 'basic', handler: bind },
  { name: 'event.get', scopes: 'basic', handler: get },
  { name: 'event.unbind', scopes: 'basic', handler: unbind },
]
