/**
 * app.info, profile, scope, method.get, user.admin (api-reference/common/system/*.md,
 * api-reference/common/users/*.md).
 */
import { param, str, yesNo } from '../params.js'
import type { MethodContext, MethodDef } from './types.js'

/** Scope codes of api-reference/scopes/permissions.md (for `scope` with `full: true`). */
export const ALL_SCOPES = [
  'ai_admin', 'biconnector', 'bizproc', 'booking', 'calendar', 'call', 'cashbox', 'catalog', 'contact_center', 'crm',
  'documentgenerator', 'delivery', 'department', 'disk', 'entity', 'humanresources', 'humanresources.hcmlink', 'im',
  'imbot', 'imconnector', 'imopenlines', 'intranet', 'landing', 'lists', 'log', 'mailservice', 'main', 'messageservice',
  'mobile', 'pay_system', 'placement', 'pull', 'rpa', 'sale', 'salescenter', 'sign.b2e', 'sonet_group', 'socialnetwork',
  'task', 'telephony', 'timeman', 'user', 'user_brief', 'user_basic', 'user.userfield', 'userfieldconfig', 'userconsent', 'vote',
] as const

/** Whether the app's scopes grant a method with these scopes. */
export function scopeGranted(appScopes: readonly string[], methodScopes: readonly string[] | 'basic'): boolean {
  return methodScopes === 'basic' || methodScopes.some((s) => appScopes.includes(s))
}

function methodGet(ctx: MethodContext): { result: unknown } {
  // "The name of the method to check in lowercase ... If the parameter is not provided or is empty,
  // the method returns isExisting and isAvailable with the value false".
  const name = str(param(ctx.params, 'name')).trim().toLowerCase()
  const def = name ? ctx.portal.methodDef(name) : undefined
  const isExisting = def !== undefined
  return { result: { isExisting, isAvailable: isExisting && scopeGranted(ctx.app.scopes, def.scopes) } }
}

export const appMethods: MethodDef[] = [
  { name: 'app.info', scopes: 'basic', handler: (ctx) => ({ result: ctx.portal.appInfo(ctx.app.clientId) }) },
  {
    name: 'profile',
    scopes: 'basic',
    handler: (ctx) => {
      const u = ctx.user
      // profile.md: "If the user is inactive, the object is empty".
      if (!u.ACTIVE) return { result: {} }
      return {
        result: {
          ID: String(u.ID),
          ADMIN: ctx.isAdmin,
          NAME: str(u.fields.NAME),
          LAST_NAME: str(u.fields.LAST_NAME),
          PERSONAL_GENDER: str(u.fields.PERSONAL_GENDER),
          TIME_ZONE: str(u.fields.TIME_ZONE),
        },
      }
    },
  },
  { name: 'user.admin', scopes: 'basic', handler: (ctx) => ({ result: ctx.isAdmin }) },
  {
    name: 'scope',
    scopes: 'basic',
    handler: (ctx) => ({ result: yesNo(param(ctx.params, 'full')) === true ? [...ALL_SCOPES] : [...ctx.app.scopes] }),
  },
  { name: 'method.get', scopes: 'basic', handler: methodGet },
]
