/**
 * user.add (api-reference/user/user-add.md): the error table, extranet invites into groups (rest-facts
 * §1.1: the user waits in INVITED_MEMBERS), MESSAGE_TEXT (legacy docs + source), the invited state
 * (rest-facts §1.4), and user.update (user-update.md). Through b24jssdk: 400 errors are thrown AjaxErrors.
 */
import { AjaxError } from '@bitrix24/b24jssdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP, emulator, installedPortal, rest, sdkClient } from './test-kit.js'
import type { Emulator, PortalHandle } from './index.js'

let emu: Emulator
let portal: PortalHandle
let admin: string
let extranetGroup: number

beforeAll(async () => {
  emu = await emulator()
  portal = await installedPortal(emu, { userLimit: 5 })
  extranetGroup = portal.addGroup({ NAME: 'Partners', OWNER_ID: 1, IS_EXTRANET: true }).ID
  portal.addUser({ EMAIL: 'taken@example.com', NAME: 'Taken' })
  admin = portal.issueTokens(APP.clientId, 1).access_token
})
afterAll(() => emu.close())

describe('user.add error table', () => {
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    ['missing EMAIL', { UF_DEPARTMENT: [1] }, { error: 'ERROR_ARGUMENT', error_description: 'wrong_email', argument: '' }],
    ['bad EMAIL', { EMAIL: 'not-an-email', UF_DEPARTMENT: [1] }, { error: 'ERROR_ARGUMENT', error_description: 'wrong_email', argument: '' }],
    ['taken EMAIL', { EMAIL: 'TAKEN@example.com', UF_DEPARTMENT: [1] }, { error: 'ERROR_ARGUMENT', error_description: 'A user with this email already exists', argument: '' }],
    ['neither department nor extranet', { EMAIL: 'a@example.com' }, { error: 'ERROR_ARGUMENT', error_description: 'no_extranet_field', argument: '' }],
    ['extranet without group', { EMAIL: 'b@example.com', EXTRANET: 'Y' }, { error: 'ERROR_GROUPID', error_description: 'Group code not specified' }],
    ['extranet with a missing group', { EMAIL: 'c@example.com', EXTRANET: 'Y', SONET_GROUP_ID: [999] }, { error: 'ERROR_NO_GROUP', error_description: 'Group is specified incorrectly' }],
  ]
  for (const [name, params, error] of cases) {
    it(`${name} → HTTP 400 ${String(error.error)}`, async () => {
      const { status, body } = await rest(portal, 'user.add', params, admin)
      expect(status).toBe(400)
      expect(body).toEqual(error)
    })
  }

  it('a non-admin gets ERROR_CORE access_denied', async () => {
    const u = portal.addUser({ EMAIL: 'clerk@example.com' })
    const { status, body } = await rest(portal, 'user.add', { EMAIL: 'x@example.com', UF_DEPARTMENT: [1] }, portal.issueTokens(APP.clientId, u.ID).access_token)
    expect(status).toBe(400)
    expect(body).toEqual({ error: 'ERROR_CORE', error_description: 'access_denied' })
  })

  it('the license seat limit gives user_count_exceeded (extranet invites do not take seats)', async () => {
    const p = await installedPortal(emu, { userLimit: 2 })
    const gid = p.addGroup({ NAME: 'Ext', OWNER_ID: 1 }).ID
    const t = p.issueTokens(APP.clientId, 1).access_token
    expect((await rest(p, 'user.add', { EMAIL: 'one@example.com', UF_DEPARTMENT: [1] }, t)).status).toBe(200)
    expect((await rest(p, 'user.add', { EMAIL: 'two@example.com', UF_DEPARTMENT: [1] }, t)).body).toEqual({ error: 'ERROR_ARGUMENT', error_description: 'user_count_exceeded', argument: '' })
    expect((await rest(p, 'user.add', { EMAIL: 'guest@example.com', EXTRANET: 'Y', SONET_GROUP_ID: [gid] }, t)).status).toBe(200)
  })

  it('the duplicate-email text is localised on a ru portal', async () => {
    const p = await installedPortal(emu, { lang: 'ru' })
    const t = p.issueTokens(APP.clientId, 1).access_token
    expect((await rest(p, 'user.add', { EMAIL: 'admin@example.com', UF_DEPARTMENT: [1] }, t)).body.error_description).toBe('Пользователь с таким email уже существует')
  })

  it('the SDK throws these as AjaxError with code and status 400', async () => {
    const b24 = sdkClient(portal.issueTokens(APP.clientId, 1))
    const err = await b24.actions.v2.call.make({ method: 'user.add', params: { EMAIL: 'nope' } }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AjaxError)
    expect((err as AjaxError).code).toBe('ERROR_ARGUMENT')
    expect((err as AjaxError).status).toBe(400)
    expect((err as AjaxError).message).toBe('wrong_email')
  })
})

describe('user.add success', () => {
  it('creates an active, invited user that never logged in, and records MESSAGE_TEXT', async () => {
    const { status, body } = await rest(portal, 'user.add', { EMAIL: 'anna@example.com', NAME: 'Anna', UF_DEPARTMENT: [1], WORK_POSITION: 'Designer', MESSAGE_TEXT: 'Join <us>!' }, admin)
    expect(status).toBe(200)
    const id = body.result as number
    expect(typeof id).toBe('number')
    expect(portal.user(id)).toMatchObject({ ACTIVE: true, invited: true, LAST_LOGIN: '', USER_TYPE: 'employee', UF_DEPARTMENT: [1] })
    expect(portal.user(id)?.CONFIRM_CODE).not.toBe('')
    const listed = (await rest(portal, 'user.get', { FILTER: { ID: id } }, admin)).body.result as Array<Record<string, unknown>>
    expect(listed[0]).toMatchObject({ ID: String(id), ACTIVE: true, LAST_LOGIN: '', EMAIL: 'anna@example.com', USER_TYPE: 'employee', WORK_POSITION: 'Designer' })
    expect(listed[0]).not.toHaveProperty('CONFIRM_CODE')
    expect(portal.invitations().at(-1)).toMatchObject({ userId: id, invitedBy: 1, messageText: 'Join <us>!', messageTextEscaped: 'Join &lt;us&gt;!', extranet: false })
  })

  it('an extranet invite puts the user in the group INVITED_MEMBERS; acceptance makes them a member', async () => {
    const { body } = await rest(portal, 'user.add', { EMAIL: 'guest@partner.example', EXTRANET: 'Y', SONET_GROUP_ID: [extranetGroup] }, admin)
    const id = body.result as number
    expect(portal.user(id)).toMatchObject({ USER_TYPE: 'extranet', UF_DEPARTMENT: [] })
    const wg = async () => (await rest(portal, 'socialnetwork.api.workgroup.get', { params: { groupId: extranetGroup, select: ['GROUP_MEMBERS_LIST'] } }, admin)).body.result as Record<string, unknown>
    expect((await wg()).INVITED_MEMBERS).toEqual([id])
    expect((await rest(portal, 'sonet_group.user.get', { ID: extranetGroup }, admin)).body.result).toEqual([{ USER_ID: '1', ROLE: 'A' }])
    await portal.acceptInvitation(id)
    const after = await wg()
    expect(after.INVITED_MEMBERS).toEqual([])
    expect(after.MEMBERS).toEqual([1, id])
    expect(after.GROUP_MEMBERS_LIST).toContainEqual({ id, invited: false, isAwaiting: false, isMember: true })
  })

  it('a batch of 50 user.add commands adds 50 users (bulk invites)', async () => {
    const p = await installedPortal(emu)
    const t = p.issueTokens(APP.clientId, 1).access_token
    const cmd = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`u${i}`, `user.add?EMAIL=bulk${i}%40example.com&UF_DEPARTMENT[]=1`]))
    const { body } = await rest(p, 'batch', { halt: 0, cmd }, t)
    const result = (body.result as Record<string, Record<string, number>>).result as Record<string, number>
    expect(Object.keys(result)).toHaveLength(50)
    expect(p.callCount('user.add')).toBe(50)
    expect(p.users().filter((u) => u.invited)).toHaveLength(50)
  })
})

describe('user.update', () => {
  it('updates fields and ACTIVE; non-admins may only edit themselves; unknown IDs are access_denied', async () => {
    const u = portal.addUser({ EMAIL: 'upd@example.com', NAME: 'Old' })
    expect((await rest(portal, 'user.update', { ID: u.ID, NAME: 'New', ACTIVE: 'N', LAST_LOGIN: '2020-01-01' }, admin)).body.result).toBe(true)
    expect(portal.user(u.ID)).toMatchObject({ NAME: 'New', ACTIVE: false })
    expect(portal.user(u.ID)?.LAST_LOGIN).not.toBe('2020-01-01')
    expect((await rest(portal, 'user.update', { ID: 99999, NAME: 'x' }, admin)).body).toEqual({ error: 'ERROR_CORE', error_description: 'access_denied' })
    const self = portal.addUser({ EMAIL: 'self@example.com' })
    const selfToken = portal.issueTokens(APP.clientId, self.ID).access_token
    expect((await rest(portal, 'user.update', { ID: self.ID, WORK_POSITION: 'Boss', ACTIVE: 'N' }, selfToken)).body.result).toBe(true)
    expect(portal.user(self.ID)).toMatchObject({ ACTIVE: true })
    expect((await rest(portal, 'user.update', { ID: 1, NAME: 'Hacked' }, selfToken)).body.error_description).toBe('access_denied')
  })
})
