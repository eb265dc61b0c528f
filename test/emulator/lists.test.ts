/**
 * Paging and filters: list-methods-pecularities.md (50 per page, total, next, start), huge-data.md and
 * socialnetwork-api-workgroup-list.md (start = -1 drops total; page by `>ID`), user-get.md prefixes.
 * Driven through b24jssdk's actions.v2.callList / fetchList / call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP, emulator, installedPortal, rest, sdkClient } from './test-kit.js'
import type { Emulator, PortalHandle } from './index.js'

let emu: Emulator
let portal: PortalHandle
let admin: string

beforeAll(async () => {
  emu = await emulator()
  portal = await installedPortal(emu)
  portal.addDepartment({ NAME: 'Sales', PARENT: 1 })
  for (let i = 0; i < 119; i++) {
    portal.addUser({
      NAME: i % 3 === 0 ? `Ivan${i}` : `Olga${i}`,
      LAST_NAME: i % 2 === 0 ? 'Petrov' : 'Johnson',
      EMAIL: `u${i}@example.com`,
      UF_DEPARTMENT: [i % 4 === 0 ? 2 : 1],
      WORK_POSITION: i % 5 === 0 ? 'Manager' : 'Engineer',
      invited: i >= 110,
    })
  }
  portal.addUser({ NAME: 'Bot', EMAIL: 'bot@example.com', USER_TYPE: 'bot' })
  portal.addUser({ NAME: 'Ext', EMAIL: 'ext@example.com', USER_TYPE: 'extranet', UF_DEPARTMENT: [] })
  admin = portal.issueTokens(APP.clientId, 1).access_token
})
afterAll(() => emu.close())

type Users = Array<Record<string, unknown>>

describe('classic paging', () => {
  it('pages by 50 with total and next; the last page has no next', async () => {
    const p1 = await rest(portal, 'user.get', {}, admin)
    expect((p1.body.result as Users).length).toBe(50)
    expect(p1.body.total).toBe(121) // 120 people + 1 extranet, the bot is never listed
    expect(p1.body.next).toBe(50)
    const p3 = await rest(portal, 'user.get', { start: 100 }, admin)
    expect((p3.body.result as Users).length).toBe(21)
    expect(p3.body).not.toHaveProperty('next')
    expect(p3.body.total).toBe(121)
  })

  it('start = -1 returns one page without total or next', async () => {
    const { body } = await rest(portal, 'user.get', { start: -1 }, admin)
    expect((body.result as Users).length).toBe(50)
    expect(body).not.toHaveProperty('total')
    expect(body).not.toHaveProperty('next')
  })

  it('the SDK callList pages with order ID ASC, >ID and start -1 and gets every user', async () => {
    const b24 = sdkClient(portal.issueTokens(APP.clientId, 1))
    const before = portal.requests().length
    const all = await b24.actions.v2.callList.make<{ ID: string }>({ method: 'user.get', params: { filter: { USER_TYPE: 'employee' } }, idKey: 'ID' })
    expect(all.isSuccess).toBe(true)
    const ids = (all.getData() ?? []).map((u) => Number(u.ID))
    expect(ids.length).toBe(120)
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
    const sent = portal.requests().slice(before).filter((r) => r.restMethod === 'user.get')
    expect(sent.map((r) => Number((r.params.filter as Record<string, unknown>)['>ID']))).toEqual([0, 50, 100])
    expect(sent.every((r) => String(r.params.start) === '-1' && JSON.stringify(r.params.order) === '{"ID":"ASC"}')).toBe(true)
  })

  it('the SDK fetchList streams the same pages', async () => {
    const b24 = sdkClient(portal.issueTokens(APP.clientId, 1))
    const sizes: number[] = []
    for await (const chunk of b24.actions.v2.fetchList.make<{ ID: string }>({ method: 'user.get', params: { filter: { USER_TYPE: 'employee' } }, idKey: 'ID' })) sizes.push(chunk.length)
    expect(sizes).toEqual([50, 50, 20])
  })
})

describe('filters (user-get.md prefixes)', () => {
  const count = async (filter: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const { body } = await rest(portal, 'user.get', { FILTER: filter, ...extra }, admin)
    return body.total as number
  }
  it('supports the documented operators', async () => {
    expect(await count({ '>ID': 100 })).toBe(21)
    expect(await count({ '>=ID': 100, '<=ID': 110 })).toBe(11)
    expect(await count({ '<ID': 3 })).toBe(2)
    expect(await count({ '@ID': [1, 2, 3] })).toBe(3)
    expect(await count({ '!@ID': [1, 2, 3] })).toBe(118)
    expect(await count({ '%NAME': 'van1' })).toBe(await count({ '=%NAME': '%van1%' }))
    expect(await count({ NAME: 'Iv%' })).toBe(40) // the doc's own example {"NAME": "Iv%"}
    expect(await count({ '!%LAST_NAME': 'son' })).toBe(62)
    expect(await count({ '!=%LAST_NAME': '%son' })).toBe(62)
    expect(await count({ '!NAME': 'Admin', '=WORK_POSITION': 'Manager' })).toBe(24)
    expect(await count({ '!=WORK_POSITION': 'Manager' })).toBe(97)
    expect(await count({ UF_DEPARTMENT: 2 })).toBe(30)
    expect(await count({ USER_TYPE: 'extranet' })).toBe(1)
    expect(await count({ USER_TYPE: 'email' })).toBe(0)
    expect(await count({ ACTIVE: true, LAST_LOGIN: '' })).toBe(9)
    expect(await count({ '>LAST_LOGIN': '2000-01-01T00:00:00+00:00' })).toBe(112)
    expect(await count({ '>LAST_LOGIN': 'not a date' })).toBe(0)
    expect(await count({ NAME_SEARCH: 'olga1 johnson' })).toBeGreaterThan(0)
  })

  it('takes top-level filter keys, SORT/ORDER strings and select (the doc example shape)', async () => {
    const { body } = await rest(portal, 'user.get', { UF_DEPARTMENT: 2, SORT: 'ID', ORDER: 'desc', select: ['ID', 'EMAIL'] }, admin)
    const result = body.result as Users
    expect(body.total).toBe(30)
    expect(Number(result[0]?.ID)).toBeGreaterThan(Number(result[1]?.ID))
    expect(Object.keys(result[0] ?? {})).toEqual(['ID', 'EMAIL'])
  })

  it('user.search: FIND searches names, positions and department names by prefix', async () => {
    const byDept = await rest(portal, 'user.search', { FILTER: { FIND: 'sales' } }, admin)
    expect(byDept.body.total).toBe(30)
    const byPos = await rest(portal, 'user.search', { FILTER: { WORK_POSITION: 'manag' } }, admin)
    expect(byPos.body.total).toBe(24)
  })

  it('department.get pages, filters and sorts', async () => {
    const { body } = await rest(portal, 'department.get', { sort: 'NAME', order: 'DESC' }, admin)
    expect(body.result).toEqual([
      { ID: '2', NAME: 'Sales', SORT: 500, PARENT: '1' },
      { ID: '1', NAME: 'Company', SORT: 500, UF_HEAD: '1' },
    ])
    expect(body.total).toBe(2)
    expect((await rest(portal, 'department.get', { PARENT: 1 }, admin)).body.result).toEqual([{ ID: '2', NAME: 'Sales', SORT: 500, PARENT: '1' }])
    const b24 = sdkClient(portal.issueTokens(APP.clientId, 1))
    const all = await b24.actions.v2.callList.make<{ ID: string }>({ method: 'department.get', idKey: 'ID' })
    expect(all.getData()?.map((d) => d.ID)).toEqual(['1', '2'])
  })
})
