/**
 * im.notify.system.add / im.notify.personal.add (api-reference/chats/notifications/*.md) and
 * im.message.add (api-reference/chats/messages/im-message-add.md).
 * The notify methods need an app token or webhook (session auth gets WRONG_AUTH_TYPE); emulator tokens are app tokens.
 */
import { RestError } from '../errors.js'
import { int, param, str, yesNo } from '../params.js'
import type { MethodContext, MethodDef } from './types.js'

const ATTACH_LIMIT = 60_000

/**
 * An ATTACH / KEYBOARD / MENU value: an object, or a JSON string of one. `code` names the error for
 * a string that is not JSON (ATTACH_ERROR, KEYBOARD_ERROR, MENU_ERROR in the pages' tables).
 */
function structured(raw: unknown, code: string, description: string, oversize = false): unknown {
  const tooBig = (s: string): boolean => oversize && s.length > ATTACH_LIMIT
  if (typeof raw === 'string' && raw !== '') {
    if (tooBig(raw)) throw new RestError(400, 'ATTACH_OVERSIZE', 'You have exceeded the maximum allowable size of attach')
    try {
      return JSON.parse(raw)
    } catch {
      throw new RestError(400, code, description)
    }
  }
  if (raw !== undefined && raw !== null && typeof raw === 'object' && tooBig(JSON.stringify(raw))) {
    throw new RestError(400, 'ATTACH_OVERSIZE', 'You have exceeded the maximum allowable size of attach')
  }
  return raw ?? null
}

const parseAttach = (raw: unknown): unknown => structured(raw, 'ATTACH_ERROR', 'Incorrect attach params', true)

function notify(kind: 'system' | 'personal') {
  return (ctx: MethodContext): { result: unknown } => {
    const userId = int(param(ctx.params, 'USER_ID'))
    if (!Number.isFinite(userId) || userId <= 0) throw new RestError(400, 'USER_ID_EMPTY', "User ID can't be empty")
    // "The method trims whitespace from the edges of the string before sending."
    const message = str(param(ctx.params, 'MESSAGE')).trim()
    if (!message) throw new RestError(400, 'MESSAGE_EMPTY', "Message can't be empty")
    const attach = parseAttach(param(ctx.params, 'ATTACH'))
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

/**
 * The only chats the emulator has are group chats (GroupRecord.CHAT_ID); their members are the
 * group's active members ("a user with permission to send messages in chat").
 */
function resolveDialog(ctx: MethodContext, dialogId: string): { dialogId: string; chatId: number | null; toUserId: number | null } {
  const canonical = ctx.portal.canonicalDialogId(dialogId)
  const chat = /^chat(\d+)$/.exec(canonical)
  if (chat || /^sg\d+$/.test(canonical)) {
    const chatId = chat ? Number(chat[1]) : Number.NaN
    const group = [...ctx.portal.groupsById.values()].find((g) => g.CHAT_ID === chatId)
    // "Failed to create message. Ensure that a chat with such ID exists".
    if (!group) throw new RestError(400, 'CHAT_ID', 'Error creating message')
    const me = group.members.get(ctx.user.ID)
    if (!me || me.role === 'Z') throw new RestError(400, 'ACCESS_ERROR', 'Action unavailable')
    return { dialogId: canonical, chatId, toUserId: null }
  }
  // "XXX — identifier of the personal chat user"; anything else is an invalid user id.
  const userId = /^\d+$/.test(canonical) ? Number(canonical) : Number.NaN
  if (!Number.isFinite(userId) || userId <= 0) throw new RestError(400, 'USER_ID_EMPTY', "User ID can't be empty")
  if (!ctx.portal.usersById.has(userId)) throw new RestError(400, 'USER_NOT_FOUND', 'User not found')
  return { dialogId: String(userId), chatId: null, toUserId: userId }
}

/** im-message-add.md: the dialog is checked first, then the content. */
function messageAdd(ctx: MethodContext): { result: number } {
  const target = resolveDialog(ctx, str(param(ctx.params, 'DIALOG_ID')))
  const message = str(param(ctx.params, 'MESSAGE'))
  const attach = parseAttach(param(ctx.params, 'ATTACH'))
  // "Empty MESSAGE and ATTACH not provided".
  if (!message.trim() && (attach === null || attach === '')) throw new RestError(400, 'MESSAGE_EMPTY', "Message can't be empty")
  const keyboard = structured(param(ctx.params, 'KEYBOARD'), 'KEYBOARD_ERROR', 'Incorrect keyboard params')
  const menu = structured(param(ctx.params, 'MENU'), 'MENU_ERROR', 'Incorrect menu params')
  const replyRaw = param(ctx.params, 'REPLY_ID')
  let replyId: number | null = null
  if (replyRaw !== undefined && replyRaw !== null && replyRaw !== '' && replyRaw !== 0 && replyRaw !== '0') {
    replyId = int(replyRaw)
    const original = ctx.portal.chatMessageRecords.find((m) => m.id === replyId)
    if (!original) throw new RestError(400, 'REPLY_ACCESS_ERROR', 'Action unavailable')
    if (original.dialogId !== target.dialogId) throw new RestError(400, 'REPLY_FROM_OTHER_CHAT_ERROR', 'You can only reply to a message within the same chat')
  }
  const id = ctx.portal.nextMessageId()
  ctx.portal.chatMessageRecords.push({
    id,
    clientId: ctx.app.clientId,
    ...target,
    authorId: ctx.user.ID,
    message,
    system: yesNo(param(ctx.params, 'SYSTEM')) === true,
    attach,
    keyboard,
    menu,
    // "URL_PREVIEW ... Default is Y".
    urlPreview: yesNo(param(ctx.params, 'URL_PREVIEW')) !== false,
    replyId,
    at: ctx.clock.now(),
  })
  return { result: id }
}

export const imMethods: MethodDef[] = [
  { name: 'im.notify.system.add', scopes: ['im'], handler: notify('system') },
  { name: 'im.notify.personal.add', scopes: ['im'], handler: notify('personal') },
  { name: 'im.message.add', scopes: ['im'], handler: messageAdd },
]
