/**
 * placement.bind / get / unbind / list (api-reference/widgets/placement-*.md, placements.md, index.md).
 * bind/get/unbind: administrator only, application context only.
 */
import { RestError, argumentEmpty } from '../errors.js'
import { int, obj, param, str } from '../params.js'
import type { PlacementBinding } from '../state.js'
import type { MethodContext, MethodDef } from './types.js'

/**
 * Placement codes and the extra scope their registration needs (placements.md "All Placements";
 * index.md: "For messenger placements, on the contrary, the placement scope alone is enough for
 * registration, while im is needed to work with the chat").
 */
const FIXED_PLACEMENTS: Record<string, string | null> = {
  BI_ANALYTICS_MENU: null,
  CALENDAR_GRIDVIEW: 'calendar',
  CALL_CARD: 'telephony',
  CONTACT_CENTER: 'contact_center',
  CRM_ANALYTICS_MENU: 'crm',
  CRM_ANALYTICS_TOOLBAR: 'crm',
  CRM_BANK_DETAIL_AUTOCOMPLETE: 'crm',
  CRM_DETAIL_SEARCH: 'crm',
  CRM_FUNNELS_TOOLBAR: 'crm',
  CRM_REQUISITE_AUTOCOMPLETE: 'crm',
  IM_CONTEXT_MENU: null,
  IM_NAVIGATION: null,
  IM_SIDEBAR: null,
  IM_SMILES_SELECTOR: null,
  IM_TEXTAREA: null,
  IMMOBILE_CONTEXT_MENU: null,
  LEFT_MENU: null,
  PAGE_BACKGROUND_WORKER: null,
  REST_APP_URI: null,
  SONET_GROUP_DETAIL_TAB: 'sonet_group',
  SONET_GROUP_ROBOT_DESIGNER_TOOLBAR: 'sonet_group',
  SONET_GROUP_TOOLBAR: 'sonet_group',
  TASK_GROUP_LIST_TOOLBAR: 'task',
  TASK_LIST_CONTEXT_MENU: 'task',
  TASK_ROBOT_DESIGNER_TOOLBAR: 'task',
  TASK_USER_LIST_TOOLBAR: 'task',
  TASK_VIEW_SIDEBAR: 'task',
  TASK_VIEW_TAB: 'task',
  TASK_VIEW_TOP_PANEL: 'task',
  TELEPHONY_ANALYTICS_MENU: 'telephony',
  USER_PROFILE_MENU: 'user',
  USER_PROFILE_TOOLBAR: 'user',
}
const CRM_TEMPLATE =
  /^CRM_(LEAD|DEAL|CONTACT|COMPANY|QUOTE|SMART_INVOICE|ORDER|ACTIVITY|INVOICE|DYNAMIC_\d+)_(ACTIVITY_TIMELINE_MENU|DETAIL_ACTIVITY|DETAIL_TAB|DETAIL_TOOLBAR|DOCUMENTGENERATOR_BUTTON|LIST_MENU|LIST_TOOLBAR|ROBOT_DESIGNER_TOOLBAR)$/

/** Universal placements "are registered in a single instance" (index.md). */
const SINGLE_INSTANCE = new Set(['PAGE_BACKGROUND_WORKER', 'REST_APP_URI'])

function scopeFor(code: string): string | null | undefined {
  if (code in FIXED_PLACEMENTS) return FIXED_PLACEMENTS[code]
  if (CRM_TEMPLATE.test(code)) return 'crm'
  return undefined
}

function hasScope(scopes: readonly string[], needed: string | null): boolean {
  if (needed === null) return true
  if (needed === 'user') return scopes.some((s) => s === 'user' || s === 'user_basic' || s === 'user_brief')
  if (needed === 'sonet_group') return scopes.includes('sonet_group') || scopes.includes('socialnetwork')
  return scopes.includes(needed)
}

function requireAdmin(ctx: MethodContext): void {
  // placement-unbind.md: 403 ACCESS_DENIED "Access denied!" — "User is not an administrator".
  if (!ctx.isAdmin) throw new RestError(403, 'ACCESS_DENIED', 'Access denied!')
}

function bind(ctx: MethodContext): { result: unknown; status?: number } {
  requireAdmin(ctx)
  const p = ctx.params
  const code = str(param(p, 'PLACEMENT')).trim().toUpperCase()
  const handler = str(param(p, 'HANDLER')).trim()
  // placement-bind.md's table gives status 200 for ERROR_ARGUMENT, ERROR_PLACEMENT_MAX_COUNT,
  // ERROR_PLACEMENT_USER_MODE and EMPTY_ERROR_HANDLER_URL.
  if (!code) throw argumentEmpty('PLACEMENT', 200)
  if (!handler) throw argumentEmpty('HANDLER', 200)
  const needed = scopeFor(code)
  // index.md: "a placement is unknown if the code is specified incorrectly or the application has not
  // been granted the tool scope". No status is documented; 400 like other method errors.
  if (needed === undefined || !hasScope(ctx.app.scopes, needed)) throw new RestError(400, 'ERROR_PLACEMENT_NOT_FOUND', 'Placement not found')
  if (!/^https?:\/\//i.test(handler)) throw new RestError(400, 'ERROR_UNSUPPORTED_PROTOCOL', 'Unsupported handler protocol')
  const userIdRaw = param(p, 'USER_ID')
  const userId = userIdRaw === undefined || str(userIdRaw) === '' ? 0 : int(userIdRaw)
  if (userId && code !== 'PAGE_BACKGROUND_WORKER') throw new RestError(200, 'ERROR_PLACEMENT_USER_MODE', 'User mode is not available')
  const options = param(p, 'OPTIONS')
  if (code === 'PAGE_BACKGROUND_WORKER' && !str(obj(options).errorHandlerUrl)) throw new RestError(200, 'EMPTY_ERROR_HANDLER_URL', 'Empty error handler URL')
  const mine = ctx.portal.placementBindings.filter((b) => b.clientId === ctx.app.clientId && b.placement === code)
  if (SINGLE_INSTANCE.has(code) && mine.length > 0) throw new RestError(200, 'ERROR_PLACEMENT_MAX_COUNT', 'Placement max count exceeded')
  if (mine.some((b) => b.handler === handler && b.userId === (Number.isFinite(userId) ? userId : 0))) {
    // Same wording the docs show for a taken placement handler (widgets/user-field/userfieldtype-add.md).
    throw new RestError(400, 'ERROR_CORE', 'Unable to set placement handler: Handler already binded')
  }
  const langAll = obj(param(p, 'LANG_ALL'))
  const binding: PlacementBinding = {
    id: ctx.portal.nextPlacementId(),
    clientId: ctx.app.clientId,
    placement: code,
    handler,
    title: str(param(p, 'TITLE')),
    description: str(param(p, 'DESCRIPTION')),
    groupName: str(param(p, 'GROUP_NAME')),
    langAll,
    options: options === undefined || options === '' ? [] : options,
    userId: Number.isFinite(userId) ? userId : 0,
  }
  ctx.portal.placementBindings.push(binding)
  return { result: true }
}

function get(ctx: MethodContext): { result: unknown } {
  requireAdmin(ctx)
  return {
    result: ctx.portal.placementBindings
      .filter((b) => b.clientId === ctx.app.clientId)
      .map((b) => ({ placement: b.placement, userId: b.userId, handler: b.handler, options: b.options, title: b.title, description: b.description, langAll: b.langAll })),
  }
}

function unbind(ctx: MethodContext): { result: { count: number } } {
  requireAdmin(ctx)
  const raw = param(ctx.params, 'PLACEMENT')
  if (raw !== undefined && typeof raw !== 'string') throw new RestError(400, 'ERROR_ARGUMENT', "The value of an argument 'PLACEMENT' must be of type string", 'PLACEMENT')
  const code = str(raw).trim().toUpperCase()
  if (!code) throw argumentEmpty('PLACEMENT')
  const handler = str(param(ctx.params, 'HANDLER')).trim()
  const userRaw = param(ctx.params, 'USER_ID')
  const userId = userRaw === undefined || str(userRaw) === '' ? undefined : int(userRaw)
  const matches = (b: PlacementBinding): boolean =>
    b.clientId === ctx.app.clientId && b.placement === code && (!handler || b.handler === handler) && (userId === undefined || b.userId === userId)
  const found = ctx.portal.placementBindings.filter(matches).length
  ctx.portal.placementBindings = ctx.portal.placementBindings.filter((b) => !matches(b))
  // placement-unbind.md: count grows "by 1 for each found handler record before the removal call" and
  // "by another 1 after each successful removal" (its example removes 2 handlers and shows 4).
  return { result: { count: found * 2 } }
}

function listPlacements(ctx: MethodContext): { result: string[] } {
  const codes = Object.entries(FIXED_PLACEMENTS)
    .filter(([, scope]) => hasScope(ctx.app.scopes, scope))
    .map(([code]) => code)
  if (ctx.app.scopes.includes('crm')) {
    for (const entity of ['LEAD', 'DEAL', 'CONTACT', 'COMPANY', 'QUOTE', 'SMART_INVOICE']) {
      for (const kind of ['DETAIL_TAB', 'DETAIL_TOOLBAR', 'LIST_MENU', 'LIST_TOOLBAR']) codes.push(`CRM_${entity}_${kind}`)
    }
  }
  return { result: codes }
}

export const placementMethods: MethodDef[] = [
  { name: 'placement.bind', scopes: ['placement'], handler: bind },
  { name: 'placement.get', scopes: ['placement'], handler: get },
  { name: 'placement.unbind', scopes: ['placement'], handler: unbind },
  { name: 'placement.list', scopes: ['placement'], handler: listPlacements },
]
