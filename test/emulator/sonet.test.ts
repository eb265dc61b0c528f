/**
 * Workgroups: sonet-group-get.md, sonet-group-user-add|get|invite.md, socialnetwork-api-workgroup-list.md
 * (camelCase keys in a `workgroups` wrapper, select, site filter, start -1 without total) and
 * socialnetwork-api-workgroup-get.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP, emulator, installedPortal, rest, sdkClient } from './test-kit.js'
import type { Emulator, PortalHandle } from './index.js'

let emu: Emulator
let portal: PortalHandle
let admin: string
let employee: number
let guest: number
const ids: Record<string, number> = {}

beforeAll(async () => {
  emu = await emulator()
  portal = await installedPortal(emu)
  employee = portal.addUser({ EMAIL: 'emp@example.com', NAME: 'Emp' }).ID
  guest = portal.addUser({ EMAIL: 'guest@example.com', USER_TYPE: 'extranet', UF_DEPARTMENT: [] }).ID
  ids.open = portal.addGroup({ NAME: 'Open group', OWNER_ID: 1, members: [employee] }).ID
  ids.secret = portal.addGroup({ NAME: 'Secret project', OWNER_ID: 1, TYPE: 'project', VISIBLE: 'N' }).ID
  ids.partners = portal.addGroup({ NAME: 'Partners', OWNER_ID: 1, IS_EXTRANET: true, members: [guest], VISIBLE: 'N' }).ID
  ids.collab = portal.addGroup({ NAME: 'Collab with ACME', OWNER_ID: employee, TYPE: 'collab', invited: [guest] }).ID
  for (let i = 0; i < 55; i++) portal.addGroup({ NAME: `Bulk ${i}`, OWNER_ID: 1 })
  admin = portal.issueTokens(APP.clientId, 1).access_token
})
afterAll(() => emu.close())

describe('sonet_group.get', () => {
  it('pages 50, orders by ID DESC by default, returns the documented item', async () => {
    const { body } = await rest(portal, 'sonet_group.get', {}, admin)
    const items = body.result as Array<Record<string, unknown>>
    expect(items).toHaveLength(50)
    expect(body.total).toBe(59) // the admin owns the hidden groups, so they are visible to them
    expect(body.next).toBe(50)
    expect(Number(items[0]?.ID)).toBeGreaterThan(Number(items[1]?.ID))
    expect(Object.keys(items[0] ?? {})).toEqual(['ID', 'SITE_ID', 'NAME', 'DESCRIPTION', 'DATE_CREATE', 'DATE_UPDATE', 'ACTIVE', 'VISIBLE', 'OPENED', 'CLOSED', 'SUBJECT_ID', 'OWNER_ID', 'KEYWORDS', 'NUMBER_OF_MEMBERS', 'DATE_ACTIVITY', 'SUBJECT_NAME', 'PROJECT', 'IS_EXTRANET'])
  })

  it('filters IS_EXTRANET and lets admins see secret groups with IS_ADMIN=Y', async () => {
    const ext = await rest(portal, 'sonet_group.get', { FILTER: { IS_EXTRANET: 'Y' }, IS_ADMIN: 'Y' }, admin)
    expect((ext.body.result as Array<{ NAME: string }>).map((g) => g.NAME).sort()).toEqual(['Collab with ACME', 'Partners'])
    const all = await rest(portal, 'sonet_group.get', { IS_ADMIN: 'Y', ORDER: { ID: 'ASC' }, FILTER: { '%NAME': 'secret' } }, admin)
    expect(all.body.result).toMatchObject([{ NAME: 'Secret project', PROJECT: 'Y', VISIBLE: 'N' }])
    // A hidden group is invisible to an employee who is not in it.
    const asEmployee = await rest(portal, 'sonet_group.get', { FILTER: { '%NAME': 'secret' } }, portal.issueTokens(APP.clientId, employee).access_token)
    expect(asEmployee.body.result).toEqual([])
    const asGuest = await rest(portal, 'sonet_group.get', {}, portal.issueTokens(APP.clientId, guest).access_token)
    expect((asGuest.body.result as Array<{ NAME: string }>).map((g) => g.NAME).sort()).toEqual(['Collab with ACME', 'Partners'])
  })
})

describe('membership', () => {
  it('sonet_group.user.add adds without invitation, only admins; an extranet user makes the group external', async () => {
    const gid = portal.addGroup({ NAME: 'Will be external', OWNER_ID: 1 }).ID
    expect((await rest(portal, 'sonet_group.user.add', { GROUP_ID: gid, USER_ID: [employee, guest, 9999] }, admin)).body.result).toEqual([String(employee), String(guest)])
    expect((await rest(portal, 'sonet_group.user.get', { ID: gid }, admin)).body.result).toEqual([
      { USER_ID: '1', ROLE: 'A' },
      { USER_ID: String(employee), ROLE: 'K' },
      { USER_ID: String(guest), ROLE: 'K' },
    ])
    expect(portal.groups().find((g) => g.ID === gid)?.IS_EXTRANET).toBe(true)
    const empToken = portal.issueTokens(APP.clientId, employee).access_token
    expect(await rest(portal, 'sonet_group.user.add', { GROUP_ID: gid, USER_ID: 1 }, empToken)).toEqual({ status: 400, body: { error: '', error_description: 'No permissions to add users' } })
    expect((await rest(portal, 'sonet_group.user.add', { GROUP_ID: 0, USER_ID: 1 }, admin)).body.error_description).toBe('Wrong group ID')
    expect((await rest(portal, 'sonet_group.user.add', { GROUP_ID: 99999, USER_ID: 1 }, admin)).body.error_description).toBe('Socialnetwork group not found')
  })

  it('sonet_group.user.invite invites existing users; [] for members and without rights', async () => {
    const gid = portal.addGroup({ NAME: 'Owners invite', OWNER_ID: 1, INITIATE_PERMS: 'A', members: [employee] }).ID
    const other = portal.addUser({ EMAIL: 'other@example.com' }).ID
    const empToken = portal.issueTokens(APP.clientId, employee).access_token
    expect((await rest(portal, 'sonet_group.user.invite', { GROUP_ID: gid, USER_ID: [other] }, empToken)).body.result).toEqual([])
    expect((await rest(portal, 'sonet_group.user.invite', { GROUP_ID: gid, USER_ID: [other, employee], MESSAGE: 'Join' }, admin)).body.result).toEqual([String(other)])
    const got = (await rest(portal, 'socialnetwork.api.workgroup.get', { params: { groupId: gid, select: ['COUNTERS', 'USER_DATA'] } }, admin)).body.result as Record<string, unknown>
    expect(got).toMatchObject({ INVITED_MEMBERS: [other], ORDINARY_MEMBERS: [employee], COUNTERS: { workgroup_requests_out: 1, workgroup_requests_in: 0 }, USER_DATA: { ROLE: 'A', INITIATED_BY_TYPE: 'G' } })
    expect((await rest(portal, 'sonet_group.user.invite', { GROUP_ID: gid, USER_ID: [] }, admin)).body.error_description).toBe('Wrong user IDs')
  })
})

describe('socialnetwork.api.workgroup.*', () => {
  it('list: camelCase keys inside `workgroups`, only id without select, TYPE selectable', async () => {
    const bare = await rest(portal, 'socialnetwork.api.workgroup.list', { filter: { ID: ids.open } }, admin)
    expect(bare.body.result).toEqual({ workgroups: [{ id: String(ids.open) }] })
    expect(bare.body.total).toBe(1)
    const withType = await rest(portal, 'socialnetwork.api.workgroup.list', { filter: { '@ID': [ids.open, ids.collab] }, select: ['ID', 'NAME', 'TYPE', 'NUMBER_OF_MEMBERS'], order: { ID: 'ASC' } }, admin)
    expect((withType.body.result as { workgroups: unknown[] }).workgroups).toEqual([
      { id: String(ids.open), name: 'Open group', type: 'group', numberOfMembers: '2' },
      { id: String(ids.collab), name: 'Collab with ACME', type: 'collab', numberOfMembers: '1' },
    ])
    const fast = await rest(portal, 'socialnetwork.api.workgroup.list', { start: -1 }, admin)
    expect(fast.body).not.toHaveProperty('total')
  })

  it('list: extranet users only see extranet-site groups; the SDK callList works with customKeyForResult', async () => {
    const asGuest = await rest(portal, 'socialnetwork.api.workgroup.list', { select: ['NAME'] }, portal.issueTokens(APP.clientId, guest).access_token)
    expect((asGuest.body.result as { workgroups: Array<{ name: string }> }).workgroups.map((g) => g.name).sort()).toEqual(['Collab with ACME', 'Partners', 'Will be external'])
    const b24 = sdkClient(portal.issueTokens(APP.clientId, 1))
    const all = await b24.actions.v2.callList.make<{ id: string; type: string }>({
      method: 'socialnetwork.api.workgroup.list',
      params: { select: ['ID', 'TYPE'], params: { IS_ADMIN: 'Y' } },
      idKey: 'id',
      cursorIdKey: 'ID',
      customKeyForResult: 'workgroups',
    })
    expect(all.isSuccess).toBe(true)
    expect(all.getData()?.length).toBe(portal.groups().length)
    expect(all.getData()?.filter((g) => g.type === 'collab')).toHaveLength(1)
  })

  it('get: documented result, errors for missing and unknown groups', async () => {
    const { body } = await rest(portal, 'socialnetwork.api.workgroup.get', { params: { groupId: ids.collab, select: ['GROUP_MEMBERS_LIST', 'OWNER_DATA'] } }, admin)
    expect(body.result).toMatchObject({
      ID: ids.collab,
      TYPE: 'collab',
      OWNER_ID: employee,
      MEMBERS: [employee],
      INVITED_MEMBERS: [guest],
      SITE_IDS: ['s1', 'co'],
      DIALOG_ID: expect.stringMatching(/^chat\d+$/),
      GROUP_MEMBERS_LIST: [
        { id: employee, invited: false, isAwaiting: false, isMember: true },
        { id: guest, invited: true, isAwaiting: false, isMember: false },
      ],
      OWNER_DATA: { ID: employee, FORMATTED_NAME: 'Emp' },
    })
    expect((body.result as Record<string, string>).DATE_CREATE).toMatch(/^\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d$/)
    expect((await rest(portal, 'socialnetwork.api.workgroup.get', { params: {} }, admin)).body).toEqual({ error: 'SONET_CONTROLLER_WORKGROUP_EMPTY', error_description: 'No value for the workgroup ID was provided.' })
    expect((await rest(portal, 'socialnetwork.api.workgroup.get', { params: { groupId: 99999 } }, admin)).body.error).toBe('SONET_CONTROLLER_WORKGROUP_NOT_FOUND')
    // A regular employee cannot read a secret group.
    expect((await rest(portal, 'socialnetwork.api.workgroup.get', { params: { groupId: ids.secret } }, portal.issueTokens(APP.clientId, employee).access_token)).body.error).toBe('SONET_CONTROLLER_WORKGROUP_NOT_FOUND')
  })
})
