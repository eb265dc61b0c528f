/**
 * im.notify.system.add / im.notify.personal.add (api-reference/chats/notifications/*.md).
 * Both need an app token or webhook (session auth gets WRONG_AUTH_TYPE); emulator tokens are app tokens.
 */
import { RestError } from '../errors.js'
import { int, param, str } from '../params.js'
import type { MethodContext, MethodDef } from './types.js'

const ATTACH_LIMIT = 60_000

function notify(kind: 'system' | 'personal') {
  return (ctx: MethodContext): { result: unknown } => {
    const userId = int(param(ctx.params, 'USER_ID'))
    if (!Number.isFinite(userId) || userId <= 0) throw new RestError(400, 'USER_ID_EMPTY', "User ID can't be empty")
    // "The method trims whitespace from the edges of the string before sending."
    const message = str(param(ctx.params, 'MESSAGE')).trim()
    if (!message) throw new RestError(400, 'MESSAGE_EMPTY', "Message can't be empty")
    const attachRaw = param(ctx.params, 'ATTACH')
    let attach: unknown = attachRaw ?? null
    if (typeof attachRaw === 'string' && attachRaw !== '') {
      if (attachRaw.length > ATTACH_LIMIT) throw new RestError(400, 'ATTACH_OVERSIZE', 'You have exceeded the maximum allowable size of attach')
      try {
        attach = JSON.parse(attachRaw)
      } catch {
        throw new RestError(400, 'ATTACH_ERROR', 'Incorrect attach params')
      }
    } else if (attachRaw !== undefined && attachRaw !== null && typeof attachRaw === 'object') {
      if (JSON.stringify(attachRaw).length > ATTACH_LIMIT) throw new RestError(400, 'ATTACH_OVERSIZE', 'You have exceeded the maximum allowable size of attach')
    }
    // "If the notification is not created, it may return false".
    if (!ctx.portal.usersById.has(userId)) return { result: false }
    const tag = str(param(ctx.params, 'TAG'))
    const records = ctx.portal.notificationRecords
    if (tag) {
      // "When adding a notification with an existing tag, other notifications will be removed."
      for (let i = records.length - 1; i >= 0; i--) {
        const r = records[i]
        if (r && r.tag === tag && r.clientId === ctx.app.clientId) records.splice(i, 1)
      }
    }
    const id = ctx.portal.nextNotificationId()
    records.push({
      id,
      kind,
      clientId: ctx.app.clientId,
      userId,
      fromUserId: kind === 'personal' ? ctx.user.ID : 0,
      message,
      messageOut: str(param(ctx.params, 'MESSAGE_OUT')),
      tag,
      subTag: str(param(ctx.params, 'SUB_TAG')),
      attach,
      at: ctx.clock.now(),
    })
    return { result: id }
  }
}

export const imMethods: MethodDef[] = [
  { name: 'im.notify.system.add', scopes: ['im'], handler: notify('system') },
  { name: 'im.notify.personal.add', scopes: ['im'], handler: notify('personal') },
]
