/**
 * UNCONFIRMED intranet invite methods (rest-facts §1.2–1.3: source only, `@restMethod` tags, no doc
 * page). They exist only in portals created with them in `extraMethods`. Scope `intranet` is the
 * emulator's guess ("presumably intranet").
 */
import { RestError } from '../errors.js'
import { int, intList, list, obj, param, str } from '../params.js'
import type { MethodContext, MethodDef } from './types.js'

function reinvite(ctx: MethodContext): { result: true } {
  const params = obj(param(ctx.params, 'params'))
  const userId = int(param(params, 'userId') ?? param(ctx.params, 'userId'))
  if (!Number.isFinite(userId) || userId <= 0) throw new RestError(400, 'INTRANET_CONTROLLER_INVITE_NO_USER_ID', 'No user id')
  const user = ctx.portal.usersById.get(userId)
  if (!user) throw new RestError(400, 'INTRANET_CONTROLLER_INVITE_USER_NOT_FOUND', 'User not found')
  // SRC: only works while the user still has a non-empty CONFIRM_CODE.
  if (!user.CONFIRM_CODE || !ctx.isAdmin) throw new RestError(400, 'INTRANET_CONTROLLER_INVITE_FAILED', 'Invitation failed')
  ctx.portal.invitationRecords.push({
    userId,
    email: str(user.fields.EMAIL),
    invitedBy: ctx.user.ID,
    clientId: ctx.app.clientId,
    extranet: user.USER_TYPE === 'extranet',
    groupIds: [],
    departmentIds: [...user.UF_DEPARTMENT],
    messageText: null,
    messageTextEscaped: null,
    at: ctx.clock.now(),
    acceptedAt: null,
  })
  return { result: true }
}

function inviteByPhone(ctx: MethodContext): { result: unknown } {
  if (!ctx.isAdmin) throw new RestError(403, 'ACCESS_DENIED', 'Access denied')
  const items = list(param(ctx.params, 'phoneInvitations'))
  const departmentIds = intList(param(ctx.params, 'departmentIds'))
  const out: unknown[] = []
  for (const raw of items) {
    const item = obj(raw)
    const phone = str(item.phoneNumber).trim()
    if (!phone) continue
    const created = ctx.portal.addUser({
      NAME: str(item.name),
      LAST_NAME: str(item.lastName),
      PERSONAL_MOBILE: phone,
      UF_DEPARTMENT: departmentIds.length > 0 ? departmentIds : [1],
      USER_TYPE: 'employee',
      invited: true,
      LAST_LOGIN: null,
    })
    out.push({ id: created.ID, login: phone, email: '', authPhoneNumber: phone, name: created.NAME, lastName: created.LAST_NAME, fullName: `${created.NAME} ${created.LAST_NAME}`.trim(), invitationStatus: 'invited' })
  }
  return { result: out }
}

export const intranetMethods: MethodDef[] = [
  { name: 'intranet.invite.reinvite', scopes: ['intranet'], optional: true, handler: reinvite },
  { name: 'intranet.invite.inviteusersbyphonenumber', scopes: ['intranet'], optional: true, handler: inviteByPhone },
]
