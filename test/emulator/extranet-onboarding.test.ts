/**
 * What extranet-group onboarding uses: sonet_group.user.delete (sonet-group-user-delete.md),
 * log.blogpost.add (log-blogpost-add.md), im.message.add (im-message-add.md), tasks.task.add
 * (tasks-task-add.md), deactivation with user.update (user-update.md) and accepting group invitations
 * (socialnetwork-api-workgroup-get.md INVITED_MEMBERS). Real HTTP against the emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP, emulator, installedPortal, rest } from './test-kit.js'
import type { Emulator, EmulatorAppOptions, PortalHandle } from './index.js'

/** The app with the scopes its manifest asks for, `log` and `task` included. */
const ONBOARDING_APP: EmulatorAppOptions = { ...APP, clientId: 'app.invitedesk.onboarding', scopes: [...APP.scopes, 'log', 'task'] }

let emu: Emulator
let portal: PortalHandle
let admin: string
let employee: number
let employeeToken: string
let guest: number
let guestToken: string
let partners: number

beforeAll(async () => {
  emu = await emulator([APP, ONBOARDING_APP])
  // Many calls from one address: a roomy bucket keeps QUERY_LIMIT_EXCEEDED (limits.test.ts) out of the way.
  portal = await installedPortal(emu, { limits: { burst: 10_000 } }, ONBOARDING_APP)
  portal.registerApp(APP.clientId, { handlerUrl: 'http://localhost:9/app' })
  portal.beginInstall(APP.clientId)
  await portal.finishInstall(APP.clientId)
  employee = portal.addUser({ EMAIL: 'emp@example.com', NAME: 'Emp', LAST_NAME: 'Loyee' }).ID
  guest = portal.addUser({ EMAIL: 'guest@partner.example', NAME: 'Gus', USER_TYPE: 'extranet', UF_DEPARTMENT: [] }).ID
  partners = portal.addGroup({ NAME: 'Partners', OWNER_ID: 1, IS_EXTRANET: true, members: [employee, guest] }).ID
  admin = portal.issueTokens(ONBOARDING_APP.clientId, 1).access_token
  employeeToken = portal.issueTokens(ONBOARDING_APP.clientId, employee).access_token
  guestToken = portal.issueTokens(ONBOARDING_APP.clientId, guest).access_token
})
afterAll(() => emu.close())

const sonetError = (description: string) => ({ status: 400, body: { error: '', error_description: description } })

describe('scopes log and task', () => {
  it('are listed by `scope full`, granted to an app that asks for them, refused to one that does not', async () => {
    const all = (await rest(portal, 'scope', { full: true }, admin)).body.result as string[]
    expect(all).toEqual(expect.arrayContaining(['log', 'task', 'im', 'sonet_group']))
    expect((await rest(portal, 'scope', {}, admin)).body.result).toEqual(expect.arrayContaining(['log', 'task']))
    const narrow = portal.issueTokens(APP.clientId, 1).access_token
    const denied = { error: 'insufficient_scope', error_description: 'The request requires higher privileges than provided by the access token' }
    expect(await rest(portal, 'log.blogpost.add', { POST_MESSAGE: 'Hi' }, narrow)).toEqual({ status: 403, body: denied })
    expect(await rest(portal, 'tasks.task.add', { fields: { TITLE: 'T', RESPONSIBLE_ID: 1 } }, narrow)).toEqual({ status: 403, body: denied })
    expect((await rest(portal, 'method.get', { name: 'tasks.task.add' }, narrow)).body.result).toEqual({ isExisting: true, isAvailable: false })
    expect((await rest(portal, 'method.get', { name: 'log.blogpost.add' }, admin)).body.result).toEqual({ isExisting: true, isAvailable: true })
    expect(portal.feedPosts()).toEqual([])
    expect(portal.tasks()).toEqual([])
  })
})

describe('sonet_group.user.delete', () => {
  it('removes members and pending invitations, never the owner or the scrum master; answers the removed IDs', async () => {
    const invitee = portal.addUser({ EMAIL: 'invitee@example.com' }).ID
    const master = portal.addUser({ EMAIL: 'master@example.com' }).ID
    const gid = portal.addGroup({ NAME: 'Sprint team', OWNER_ID: 1, TYPE: 'scrum', SCRUM_MASTER_ID: master, members: [employee, master], invited: [invitee] }).ID
    const { status, body } = await rest(portal, 'sonet_group.user.delete', { GROUP_ID: gid, USER_ID: [employee, invitee, 1, master, guest] }, admin)
    expect(status).toBe(200)
    expect(body.result).toEqual([String(employee), String(invitee)])
    expect((await rest(portal, 'sonet_group.user.get', { ID: gid }, admin)).body.result).toEqual([
      { USER_ID: '1', ROLE: 'A' },
      { USER_ID: String(master), ROLE: 'K' },
    ])
    const wg = (await rest(portal, 'socialnetwork.api.workgroup.get', { params: { groupId: gid } }, admin)).body.result as Record<string, unknown>
    expect(wg.INVITED_MEMBERS).toEqual([])
    // "An empty array means that there was an attempt to remove the owner".
    expect((await rest(portal, 'sonet_group.user.delete', { GROUP_ID: gid, USER_ID: 1 }, admin)).body.result).toEqual([])
  })

  it('answers the documented errors', async () => {
    const gid = portal.addGroup({ NAME: 'Errors', OWNER_ID: 1, members: [employee] }).ID
    expect(await rest(portal, 'sonet_group.user.delete', { GROUP_ID: 0, USER_ID: employee }, admin)).toEqual(sonetError('Wrong group ID'))
    expect(await rest(portal, 'sonet_group.user.delete', { GROUP_ID: gid, USER_ID: employee }, employeeToken)).toEqual(sonetError('No permissions to update users role'))
    expect(await rest(portal, 'sonet_group.user.delete', { GROUP_ID: gid, USER_ID: [] }, admin)).toEqual(sonetError('Wrong user IDs'))
    expect(await rest(portal, 'sonet_group.user.delete', { GROUP_ID: 99999, USER_ID: employee }, admin)).toEqual(sonetError('Socialnetwork group not found'))
    expect(portal.groups().find((g) => g.ID === gid)?.members.map((m) => m.userId)).toEqual([1, employee])
  })
})

describe('log.blogpost.add', () => {
  it('posts as the caller to DEST and answers the integer post id; admins may post as someone else', async () => {
    const first = await rest(portal, 'log.blogpost.add', { POST_TITLE: 'Welcome', POST_MESSAGE: 'Hello partners', DEST: [`SG${partners}`, `U${guest}`, 'UA'] }, employeeToken)
    expect(first.status).toBe(200)
    expect(typeof first.body.result).toBe('number')
    const asOther = await rest(portal, 'log.blogpost.add', { POST_MESSAGE: 'On behalf', USER_ID: employee, DEST: [`DR1`], IMPORTANT: 'Y' }, admin)
    // USER_ID is "Available only to administrators": anyone else still posts as themselves.
    const ignored = await rest(portal, 'log.blogpost.add', { POST_MESSAGE: 'Not as admin', USER_ID: 1 }, guestToken)
    const posts = portal.feedPosts()
    expect(posts.map((p) => p.id)).toEqual([first.body.result, asOther.body.result, ignored.body.result])
    expect(posts[0]).toMatchObject({ authorId: employee, postedBy: employee, title: 'Welcome', message: 'Hello partners', dest: [`SG${partners}`, `U${guest}`, 'UA'] })
    expect(posts[1]).toMatchObject({ authorId: employee, postedBy: 1, title: '', dest: ['DR1'], important: true })
    // "Default — UA".
    expect(posts[2]).toMatchObject({ authorId: guest, dest: ['UA'] })
  })

  it('answers the documented errors', async () => {
    const before = portal.feedPosts().length
    expect(await rest(portal, 'log.blogpost.add', { POST_TITLE: 'Empty', POST_MESSAGE: '  ' }, admin)).toEqual({
      status: 400,
      body: { error: 'SONET_CONTROLLER_LIVEFEED_BLOGPOST_ADD_ERROR', error_description: "Blog post hasn't been added" },
    })
    expect(await rest(portal, 'log.blogpost.add', { POST_MESSAGE: 'Nobody', DEST: ['SG99999', 'U99999', 'XYZ'] }, admin)).toEqual({
      status: 400,
      body: { error: 'SONET_CONTROLLER_LIVEFEED_BLOGPOST_ADD_ERROR', error_description: 'No destination specified' },
    })
    expect((await rest(portal, 'log.blogpost.add', { POST_MESSAGE: 'Ghost', USER_ID: 99999 }, admin)).body.error).toBe('SONET_CONTROLLER_LIVEFEED_BLOG_NOT_FOUND')
    expect(portal.feedPosts()).toHaveLength(before)
  })
})

describe('im.message.add', () => {
  it("posts to a group's chat (chat<CHAT_ID> or sg<ID>) and to a personal chat; chatMessages narrows by dialog", async () => {
    const wg = (await rest(portal, 'socialnetwork.api.workgroup.get', { params: { groupId: partners } }, admin)).body.result as { CHAT_ID: number; DIALOG_ID: string }
    expect(wg.DIALOG_ID).toBe(`chat${wg.CHAT_ID}`)
    const inChat = await rest(portal, 'im.message.add', { DIALOG_ID: wg.DIALOG_ID, MESSAGE: 'Welcome, [b]Gus[/b]!', SYSTEM: 'Y' }, admin)
    expect(inChat.status).toBe(200)
    expect(typeof inChat.body.result).toBe('number')
    const viaSg = await rest(portal, 'im.message.add', { DIALOG_ID: `sg${partners}`, MESSAGE: 'Thanks', REPLY_ID: inChat.body.result }, guestToken)
    const personal = await rest(portal, 'im.message.add', { DIALOG_ID: String(guest), MESSAGE: 'Your tasks are ready', URL_PREVIEW: 'N' }, employeeToken)
    expect(portal.chatMessages(wg.DIALOG_ID)).toMatchObject([
      { id: inChat.body.result, dialogId: wg.DIALOG_ID, chatId: wg.CHAT_ID, toUserId: null, authorId: 1, message: 'Welcome, [b]Gus[/b]!', system: true, urlPreview: true, replyId: null },
      { id: viaSg.body.result, dialogId: wg.DIALOG_ID, authorId: guest, message: 'Thanks', system: false, replyId: inChat.body.result },
    ])
    expect(portal.chatMessages(`sg${partners}`)).toHaveLength(2)
    expect(portal.chatMessages(String(guest))).toMatchObject([{ id: personal.body.result, dialogId: String(guest), chatId: null, toUserId: guest, authorId: employee, urlPreview: false }])
    expect(portal.chatMessages().map((m) => m.id)).toEqual([inChat.body.result, viaSg.body.result, personal.body.result])
  })

  it('answers the documented errors', async () => {
    const wg = (await rest(portal, 'socialnetwork.api.workgroup.get', { params: { groupId: partners } }, admin)).body.result as { DIALOG_ID: string }
    const outsider = portal.issueTokens(ONBOARDING_APP.clientId, portal.addUser({ EMAIL: 'outsider@example.com' }).ID).access_token
    const other = portal.addGroup({ NAME: 'Other', OWNER_ID: 1 })
    const otherChat = (await rest(portal, 'socialnetwork.api.workgroup.get', { params: { groupId: other.ID } }, admin)).body.result as { DIALOG_ID: string }
    const otherMessage = (await rest(portal, 'im.message.add', { DIALOG_ID: otherChat.DIALOG_ID, MESSAGE: 'elsewhere' }, admin)).body.result
    const before = portal.chatMessages().length
    const err = (error: string, description: string) => ({ status: 400, body: { error, error_description: description } })
    expect(await rest(portal, 'im.message.add', { DIALOG_ID: wg.DIALOG_ID, MESSAGE: ' ' }, admin)).toEqual(err('MESSAGE_EMPTY', "Message can't be empty"))
    expect(await rest(portal, 'im.message.add', { MESSAGE: 'to nobody' }, admin)).toEqual(err('USER_ID_EMPTY', "User ID can't be empty"))
    expect(await rest(portal, 'im.message.add', { DIALOG_ID: '99999', MESSAGE: 'x' }, admin)).toEqual(err('USER_NOT_FOUND', 'User not found'))
    expect(await rest(portal, 'im.message.add', { DIALOG_ID: 'chat1', MESSAGE: 'x' }, admin)).toEqual(err('CHAT_ID', 'Error creating message'))
    expect(await rest(portal, 'im.message.add', { DIALOG_ID: wg.DIALOG_ID, MESSAGE: 'x' }, outsider)).toEqual(err('ACCESS_ERROR', 'Action unavailable'))
    expect(await rest(portal, 'im.message.add', { DIALOG_ID: wg.DIALOG_ID, MESSAGE: 'x', ATTACH: '{not json' }, admin)).toEqual(err('ATTACH_ERROR', 'Incorrect attach params'))
    expect(await rest(portal, 'im.message.add', { DIALOG_ID: wg.DIALOG_ID, MESSAGE: 'x', KEYBOARD: '[oops' }, admin)).toEqual(err('KEYBOARD_ERROR', 'Incorrect keyboard params'))
    expect(await rest(portal, 'im.message.add', { DIALOG_ID: wg.DIALOG_ID, MESSAGE: 'x', REPLY_ID: 999999 }, admin)).toEqual(err('REPLY_ACCESS_ERROR', 'Action unavailable'))
    expect(await rest(portal, 'im.message.add', { DIALOG_ID: wg.DIALOG_ID, MESSAGE: 'x', REPLY_ID: otherMessage }, admin)).toEqual(
      err('REPLY_FROM_OTHER_CHAT_ERROR', 'You can only reply to a message within the same chat'),
    )
    expect(portal.chatMessages()).toHaveLength(before)
    // An ATTACH alone is enough ("Required if MESSAGE is not provided").
    expect((await rest(portal, 'im.message.add', { DIALOG_ID: wg.DIALOG_ID, ATTACH: [{ MESSAGE: 'card' }] }, admin)).status).toBe(200)
  })

  it('a member removed with sonet_group.user.delete can no longer write to the chat', async () => {
    const gid = portal.addGroup({ NAME: 'Short stay', OWNER_ID: 1, members: [guest] }).ID
    const dialog = `sg${gid}`
    expect((await rest(portal, 'im.message.add', { DIALOG_ID: dialog, MESSAGE: 'hi' }, guestToken)).status).toBe(200)
    await rest(portal, 'sonet_group.user.delete', { GROUP_ID: gid, USER_ID: guest }, admin)
    expect((await rest(portal, 'im.message.add', { DIALOG_ID: dialog, MESSAGE: 'still here?' }, guestToken)).body.error).toBe('ACCESS_ERROR')
  })
})

describe('tasks.task.add', () => {
  it('answers { task } with string ids and ISO dates; CREATED_BY defaults to the caller', async () => {
    const { status, body } = await rest(
      portal,
      'tasks.task.add',
      { fields: { TITLE: 'Read the partner guide', RESPONSIBLE_ID: guest, DESCRIPTION: 'See the pinned post', GROUP_ID: partners, DEADLINE: '2030-12-31T23:59:59' } },
      employeeToken,
    )
    expect(status).toBe(200)
    const task = (body.result as { task: Record<string, unknown> }).task
    expect(task).toMatchObject({
      title: 'Read the partner guide',
      description: 'See the pinned post',
      responsibleId: String(guest),
      createdBy: String(employee),
      groupId: String(partners),
      deadline: '2030-12-31T23:59:59+00:00',
      status: '2',
      parentId: null,
      group: { id: String(partners), name: 'Partners', opened: false, membersCount: 3 },
      creator: { id: String(employee), name: 'Emp Loyee', link: `/company/personal/user/${employee}/` },
      responsible: { id: String(guest), name: 'Gus' },
    })
    expect(task.id).toMatch(/^\d+$/)
    expect(task.createdDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/)
    const bare = (await rest(portal, 'tasks.task.add', { fields: { TITLE: 'Say hi', RESPONSIBLE_ID: employee, CREATED_BY: guest } }, admin)).body.result as { task: Record<string, unknown> }
    expect(bare.task).toMatchObject({ groupId: '0', group: [], deadline: null, createdBy: String(guest) })
    expect(portal.tasks()).toMatchObject([
      { id: Number(task.id), title: 'Read the partner guide', responsibleId: guest, createdBy: employee, groupId: partners, deadline: Date.UTC(2030, 11, 31, 23, 59, 59), status: '2', clientId: ONBOARDING_APP.clientId },
      { id: Number(bare.task.id), title: 'Say hi', responsibleId: employee, createdBy: guest, groupId: 0, deadline: null },
    ])
  })

  it('answers the documented errors', async () => {
    const before = portal.tasks().length
    expect(await rest(portal, 'tasks.task.add', {}, admin)).toEqual({ status: 400, body: { error: '100', error_description: 'Could not find value for parameter {fields} (internal error)' } })
    expect(await rest(portal, 'tasks.task.add', { fields: { RESPONSIBLE_ID: 1 } }, admin)).toEqual({ status: 400, body: { error: 'ERROR_CORE', error_description: 'Task title is not specified<br>' } })
    expect(await rest(portal, 'tasks.task.add', { fields: { TITLE: 'No one' } }, admin)).toEqual({ status: 400, body: { error: 'ERROR_CORE', error_description: 'Responsible person not specified<br>' } })
    expect((await rest(portal, 'tasks.task.add', { fields: { TITLE: 'Ghost', RESPONSIBLE_ID: 99999 } }, admin)).body).toEqual({
      error: 'ERROR_CORE',
      error_description: 'User specified in the "Responsible" field not found<br>',
    })
    expect((await rest(portal, 'tasks.task.add', { fields: { DESCRIPTION: 'both missing' } }, admin)).body.error_description).toBe('Task title is not specified<br>Responsible person not specified<br>')
    expect(portal.tasks()).toHaveLength(before)
  })
})

describe('deactivation and accepting invitations', () => {
  it('user.update ACTIVE N deactivates: user.get shows ACTIVE false, the ACTIVE filter leaves the user out', async () => {
    const u = portal.addUser({ EMAIL: 'leaver@partner.example', USER_TYPE: 'extranet', UF_DEPARTMENT: [] }).ID
    expect(await rest(portal, 'user.update', { ID: u, ACTIVE: 'N' }, admin)).toMatchObject({ status: 200, body: { result: true } })
    expect((await rest(portal, 'user.get', { FILTER: { ID: u } }, admin)).body.result).toMatchObject([{ ID: String(u), ACTIVE: false }])
    expect((await rest(portal, 'user.get', { FILTER: { ID: u, ACTIVE: true } }, admin)).body.result).toEqual([])
    // Only an administrator may change ACTIVE; a user editing themselves cannot reactivate.
    expect(await rest(portal, 'user.update', { ID: u, ACTIVE: 'N' }, employeeToken)).toEqual({ status: 400, body: { error: 'ERROR_CORE', error_description: 'access_denied' } })
    expect(portal.user(u)?.ACTIVE).toBe(false)
    expect(() => portal.acceptGroupInvitation(partners, u)).toThrow(/deactivated|no pending/)
  })

  it('an extranet invitee (user.add EXTRANET=Y) turns from invited (Z) into a member (K) on acceptInvitation', async () => {
    const gid = portal.addGroup({ NAME: 'Onboarding', OWNER_ID: 1 }).ID
    const id = (await rest(portal, 'user.add', { EMAIL: 'new@partner.example', EXTRANET: 'Y', SONET_GROUP_ID: [gid] }, admin)).body.result as number
    const wg = async () => (await rest(portal, 'socialnetwork.api.workgroup.get', { params: { groupId: gid } }, admin)).body.result as Record<string, unknown>
    expect(await wg()).toMatchObject({ INVITED_MEMBERS: [id], MEMBERS: [1] })
    expect(portal.groups().find((g) => g.ID === gid)?.members).toContainEqual({ userId: id, role: 'Z', initiatedBy: 'G' })
    // Not registered yet: the group invitation cannot be accepted on its own.
    expect(() => portal.acceptGroupInvitation(gid, id)).toThrow(/portal invitation/)
    await portal.acceptInvitation(id, { deliverEvent: false })
    expect(await wg()).toMatchObject({ INVITED_MEMBERS: [], MEMBERS: [1, id], ORDINARY_MEMBERS: [id] })
    expect((await rest(portal, 'sonet_group.user.get', { ID: gid }, admin)).body.result).toContainEqual({ USER_ID: String(id), ROLE: 'K' })
  })

  it('acceptGroupInvitation accepts a sonet_group.user.invite invitation of a registered user', async () => {
    const gid = portal.addGroup({ NAME: 'Invite only', OWNER_ID: 1 }).ID
    expect((await rest(portal, 'sonet_group.user.invite', { GROUP_ID: gid, USER_ID: [employee] }, admin)).body.result).toEqual([String(employee)])
    expect((await rest(portal, 'sonet_group.user.get', { ID: gid }, admin)).body.result).toEqual([{ USER_ID: '1', ROLE: 'A' }])
    const view = portal.acceptGroupInvitation(gid, employee)
    expect(view.members).toContainEqual({ userId: employee, role: 'K', initiatedBy: 'G' })
    const wg = (await rest(portal, 'socialnetwork.api.workgroup.get', { params: { groupId: gid, select: ['COUNTERS'] } }, admin)).body.result as Record<string, unknown>
    expect(wg).toMatchObject({ INVITED_MEMBERS: [], ORDINARY_MEMBERS: [employee], COUNTERS: { workgroup_requests_out: 0 } })
    // Accepting twice, or without an invitation, is a test mistake.
    expect(() => portal.acceptGroupInvitation(gid, employee)).toThrow(/no pending invitation/)
    expect(() => portal.acceptGroupInvitation(99999, employee)).toThrow(/no group/)
  })
})

describe('HTTP hooks', () => {
  it('serve feed posts, chat messages, tasks and accept group invitations', async () => {
    const hook = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
      const res = await fetch(`${portal.origin}/__emulator/${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
      return { status: res.status, json: (await res.json()) as unknown }
    }
    expect((await hook('GET', 'feed-posts')).json).toEqual(portal.feedPosts())
    expect((await hook('GET', 'tasks')).json).toEqual(portal.tasks())
    expect((await hook('GET', `chat-messages?dialogId=${String(guest)}`)).json).toEqual(portal.chatMessages(String(guest)))
    const gid = portal.addGroup({ NAME: 'Hooked', OWNER_ID: 1, invited: [employee] }).ID
    expect((await hook('POST', 'accept-group-invitation', { groupId: gid, userId: employee })).status).toBe(200)
    expect(portal.groups().find((g) => g.ID === gid)?.members).toContainEqual({ userId: employee, role: 'K', initiatedBy: 'G' })
    expect((await hook('POST', 'accept-group-invitation', { groupId: gid, userId: employee })).status).toBe(400)
  })
})
