/**
 * CRM contacts and companies against the docs: crm.contact.get / list / add
 * (api-reference/crm/contacts/crm-contact-*.md), crm.company.get / list / add
 * (api-reference/crm/companies/crm-company-*.md), multi-fields (api-reference/crm/data-types.md#crm_multifield),
 * paging (list-methods-pecularities.md), batch (batch.md) and the `crm` scope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isoDate } from './clock.js'
import { createClock, type Emulator, type EmulatorAppOptions, type PortalHandle } from './index.js'
import { stringifyForm } from './form-encoding.js'
import { APP, emulator, installedPortal, rest, sdkClient } from './test-kit.js'

const CRM_APP: EmulatorAppOptions = { ...APP, clientId: 'app.invitedesk.crm', scopes: [...APP.scopes, 'crm'] }
// Frozen at a whole second of real time: the SDK compares token expiry with the real clock.
const START = Math.floor(Date.now() / 1000) * 1000

let emu: Emulator
let portal: PortalHandle
let admin: string

beforeAll(async () => {
  emu = await emulator([CRM_APP, APP], createClock({ speed: 0, startAt: START }))
  portal = await installedPortal(emu, {}, CRM_APP)
  portal.addUser({ ID: 6, NAME: 'Manager', EMAIL: 'manager@example.com' })
  admin = portal.issueTokens(CRM_APP.clientId, 1).access_token
})
afterAll(() => emu.close())

type Row = Record<string, unknown>

/** crm-contact-get.md example answer, key by key (PARENT_ID_1224 and the UF_ field included). */
const CONTACT_GET_KEYS = [
  'ID', 'POST', 'COMMENTS', 'HONORIFIC', 'NAME', 'SECOND_NAME', 'LAST_NAME', 'PHOTO', 'LEAD_ID', 'TYPE_ID', 'SOURCE_ID',
  'SOURCE_DESCRIPTION', 'COMPANY_ID', 'BIRTHDATE', 'EXPORT', 'HAS_PHONE', 'HAS_EMAIL', 'HAS_IMOL', 'DATE_CREATE', 'DATE_MODIFY',
  'ASSIGNED_BY_ID', 'CREATED_BY_ID', 'MODIFY_BY_ID', 'OPENED', 'ORIGINATOR_ID', 'ORIGIN_ID', 'ORIGIN_VERSION', 'FACE_ID',
  'LAST_ACTIVITY_TIME', 'ADDRESS', 'ADDRESS_2', 'ADDRESS_CITY', 'ADDRESS_POSTAL_CODE', 'ADDRESS_REGION', 'ADDRESS_PROVINCE',
  'ADDRESS_COUNTRY', 'ADDRESS_LOC_ADDR_ID', 'UTM_SOURCE', 'UTM_MEDIUM', 'UTM_CAMPAIGN', 'UTM_CONTENT', 'UTM_TERM', 'PARENT_ID_1224',
  'LAST_ACTIVITY_BY', 'UF_CRM_1720697698689', 'PHONE', 'EMAIL',
]

/** crm-company-get.md example answer (PARENT_ID_156 and UF_CRM_1687188367 included; no multi-field has values). */
const COMPANY_GET_KEYS = [
  'ID', 'COMPANY_TYPE', 'TITLE', 'LOGO', 'LEAD_ID', 'HAS_PHONE', 'HAS_EMAIL', 'HAS_IMOL', 'ASSIGNED_BY_ID', 'CREATED_BY_ID',
  'MODIFY_BY_ID', 'BANKING_DETAILS', 'INDUSTRY', 'REVENUE', 'CURRENCY_ID', 'EMPLOYEES', 'COMMENTS', 'DATE_CREATE', 'DATE_MODIFY',
  'OPENED', 'IS_MY_COMPANY', 'ORIGINATOR_ID', 'ORIGIN_ID', 'ORIGIN_VERSION', 'ADDRESS', 'ADDRESS_2', 'ADDRESS_CITY',
  'ADDRESS_POSTAL_CODE', 'ADDRESS_REGION', 'ADDRESS_PROVINCE', 'ADDRESS_COUNTRY', 'ADDRESS_COUNTRY_CODE', 'ADDRESS_LOC_ADDR_ID',
  'ADDRESS_LEGAL', 'REG_ADDRESS', 'REG_ADDRESS_2', 'REG_ADDRESS_CITY', 'REG_ADDRESS_POSTAL_CODE', 'REG_ADDRESS_REGION',
  'REG_ADDRESS_PROVINCE', 'REG_ADDRESS_COUNTRY', 'REG_ADDRESS_COUNTRY_CODE', 'REG_ADDRESS_LOC_ADDR_ID', 'UTM_SOURCE', 'UTM_MEDIUM',
  'UTM_CAMPAIGN', 'UTM_CONTENT', 'UTM_TERM', 'PARENT_ID_156', 'LAST_ACTIVITY_BY', 'LAST_ACTIVITY_TIME', 'LAST_COMMUNICATION_TIME',
  'UF_CRM_1687188367',
]

const err = (error: string, description: string) => ({ error, error_description: description })

describe('crm.contact.add and crm.contact.get', () => {
  it('take the add example and answer the get example shape', async () => {
    const company = portal.addCompany({ TITLE: 'Main company' })
    // crm-contact-add.md example fields (PHOTO left out: files are not stored).
    const add = await rest(portal, 'crm.contact.add', {
      fields: {
        HONORIFIC: 'HNR_RU_1', NAME: 'John', SECOND_NAME: 'Doe', LAST_NAME: 'Smith', BIRTHDATE: '11.11.2001', TYPE_ID: 'PARTNER',
        SOURCE_ID: 'WEB', SOURCE_DESCRIPTION: '*Additional information about the source*', POST: 'Administrator', COMMENTS: '[B]Bold text[/B]',
        OPENED: 'Y', EXPORT: 'N', ASSIGNED_BY_ID: 6, COMPANY_ID: Number(company.ID), UTM_SOURCE: 'google', UTM_MEDIUM: 'CPC',
        UTM_CAMPAIGN: 'summer_sale', UTM_CONTENT: 'header_banner', UTM_TERM: 'discount',
        PHONE: [{ VALUE: '+1333333555', VALUE_TYPE: 'WORK' }, { VALUE: '+15599888666', VALUE_TYPE: 'HOME' }],
        EMAIL: [{ VALUE: 'john.smith@example.mailing', VALUE_TYPE: 'MAILING' }, { VALUE: 'john.smith@example.work', VALUE_TYPE: 'WORK' }],
        UF_CRM_1720697698689: 'Example value of a custom field with type "String"', PARENT_ID_1224: 12,
      },
    }, admin)
    expect(add.status).toBe(200)
    // "result: integer — the identifier of the created contact" (46 in the example: a number, not a string).
    expect(typeof add.body.result).toBe('number')
    const id = add.body.result as number

    const get = await rest(portal, 'crm.contact.get', { id }, admin)
    expect(get.status).toBe(200)
    // A placement's PLACEMENT_OPTIONS carry the id as a string ({"ID":"8061"}, rest-facts on CRM_CONTACT_DETAIL_TAB).
    expect((await rest(portal, 'crm.contact.get', { ID: String(id) }, admin)).body.result).toEqual(get.body.result)
    const c = get.body.result as Row
    expect(Object.keys(c)).toEqual(CONTACT_GET_KEYS)
    const created = isoDate(START)
    expect(c).toMatchObject({
      ID: String(id), POST: 'Administrator', HONORIFIC: 'HNR_RU_1', NAME: 'John', SECOND_NAME: 'Doe', LAST_NAME: 'Smith', PHOTO: null,
      LEAD_ID: null, TYPE_ID: 'PARTNER', SOURCE_ID: 'WEB', COMPANY_ID: company.ID, BIRTHDATE: '2001-11-11T00:00:00+00:00', EXPORT: 'N',
      HAS_PHONE: 'Y', HAS_EMAIL: 'Y', HAS_IMOL: 'N', DATE_CREATE: created, DATE_MODIFY: created, ASSIGNED_BY_ID: '6', CREATED_BY_ID: '1',
      MODIFY_BY_ID: '1', OPENED: 'Y', ORIGINATOR_ID: null, FACE_ID: null, LAST_ACTIVITY_TIME: created, ADDRESS: null, UTM_SOURCE: 'google',
      PARENT_ID_1224: '12', LAST_ACTIVITY_BY: '1', UF_CRM_1720697698689: 'Example value of a custom field with type "String"',
    })
    // crm_multifield: { ID, VALUE_TYPE, VALUE, TYPE_ID }, all strings; ids in PHONE, EMAIL order as in the example.
    const phone = c.PHONE as Row[]
    const email = c.EMAIL as Row[]
    expect(phone.map((m) => Object.keys(m))).toEqual([['ID', 'VALUE_TYPE', 'VALUE', 'TYPE_ID'], ['ID', 'VALUE_TYPE', 'VALUE', 'TYPE_ID']])
    expect(phone).toMatchObject([{ VALUE_TYPE: 'WORK', VALUE: '+1333333555', TYPE_ID: 'PHONE' }, { VALUE_TYPE: 'HOME', VALUE: '+15599888666', TYPE_ID: 'PHONE' }])
    expect(email).toMatchObject([{ VALUE_TYPE: 'MAILING', VALUE: 'john.smith@example.mailing', TYPE_ID: 'EMAIL' }, { VALUE_TYPE: 'WORK', VALUE: 'john.smith@example.work', TYPE_ID: 'EMAIL' }])
    const ids = [...phone, ...email].map((m) => Number(m.ID))
    expect(ids.every((n, i) => i === 0 || n === (ids[i - 1] as number) + 1)).toBe(true)
    expect([...phone, ...email].every((m) => typeof m.ID === 'string')).toBe(true)
    // COMPANY_IDS "does not exist" in get (main-entities-fields.md); the store keeps it.
    expect(c).not.toHaveProperty('COMPANY_IDS')
    expect(portal.contact(id)?.COMPANY_IDS).toEqual([company.ID])
  })

  it('fills defaults, ignores read-only and unknown fields, leaves empty multi-fields out', async () => {
    const tok = portal.issueTokens(CRM_APP.clientId, 6).access_token
    const add = await rest(portal, 'crm.contact.add', { fields: { NAME: 'Plain', ID: 999, HAS_EMAIL: 'Y', DATE_CREATE: '2020-01-01T00:00:00+00:00', CREATED_BY_ID: 1, NOT_A_FIELD: 'x', EMAIL: [{ VALUE: '' }] } }, tok)
    const c = (await rest(portal, 'crm.contact.get', { ID: add.body.result }, tok)).body.result as Row
    expect(c.ID).not.toBe('999')
    expect(c).toMatchObject({
      NAME: 'Plain', LAST_NAME: null, SECOND_NAME: null, POST: null, COMPANY_ID: null, BIRTHDATE: '', HONORIFIC: null, TYPE_ID: 'CLIENT',
      SOURCE_ID: 'CALL', OPENED: 'Y', EXPORT: 'Y', HAS_EMAIL: 'N', HAS_PHONE: 'N', ASSIGNED_BY_ID: '6', CREATED_BY_ID: '6', MODIFY_BY_ID: '6',
      DATE_CREATE: isoDate(START),
    })
    for (const k of ['PHONE', 'EMAIL', 'WEB', 'IM', 'LINK', 'NOT_A_FIELD']) expect(c).not.toHaveProperty(k)
  })

  it('writes DATE_CREATE and CREATED_BY_ID only with params IMPORT = Y', async () => {
    const add = await rest(portal, 'crm.contact.add', { fields: { NAME: 'Imported', DATE_CREATE: '2020-01-02T03:04:05+00:00', CREATED_BY_ID: 6 }, params: { IMPORT: 'Y' } }, admin)
    const c = (await rest(portal, 'crm.contact.get', { id: add.body.result }, admin)).body.result as Row
    expect(c).toMatchObject({ DATE_CREATE: '2020-01-02T03:04:05+00:00', CREATED_BY_ID: '6', LAST_ACTIVITY_BY: '6', ASSIGNED_BY_ID: '1' })
  })

  it('answers the documented errors with HTTP 400', async () => {
    // crm-contact-get.md: "ID is not defined or invalid" for a missing or non-positive id, "Not found" for an unknown one.
    for (const params of [{}, { id: 0 }, { id: -3 }, { id: 'abc' }]) {
      expect(await rest(portal, 'crm.contact.get', params, admin)).toEqual({ status: 400, body: err('', 'ID is not defined or invalid.') })
    }
    expect(await rest(portal, 'crm.contact.get', { id: 987654 }, admin)).toEqual({ status: 400, body: err('', 'Not found') })
    // crm-contact-add.md error table.
    expect(await rest(portal, 'crm.contact.add', {}, admin)).toEqual({ status: 400, body: err('', "Parameter 'fields' must be array.") })
    expect(await rest(portal, 'crm.contact.add', { fields: 'NAME' }, admin)).toEqual({ status: 400, body: err('', "Parameter 'fields' must be array.") })
    expect(await rest(portal, 'crm.contact.add', { fields: { NAME: 'X' }, params: 'Y' }, admin)).toEqual({ status: 400, body: err('', "Parameter 'params' must be array.") })
    const before = portal.contacts().length
    const bad = await rest(portal, 'crm.contact.add', { fields: { NAME: 'X', EMAIL: [{ VALUE: 'not-an-address', VALUE_TYPE: 'WORK' }] } }, admin)
    expect(bad).toEqual({ status: 400, body: err('ERROR_CORE', 'The field "Work e-mail" contains an invalid address') })
    expect(portal.contacts().length).toBe(before)
  })
})

describe('crm.company.add and crm.company.get', () => {
  it('take the add example and answer the get example shape', async () => {
    const add = await rest(portal, 'crm.company.add', {
      fields: {
        TITLE: 'John Doe LLC', COMPANY_TYPE: 'CUSTOMER', INDUSTRY: 'MANUFACTURING', EMPLOYEES: 'EMPLOYEES_2', CURRENCY_ID: 'USD', REVENUE: 3000000,
        OPENED: 'Y', ASSIGNED_BY_ID: 1, PHONE: [{ VALUE: '555888', VALUE_TYPE: 'WORK' }], PARENT_ID_156: 5, UF_CRM_1687188367: '',
      },
      params: { REGISTER_SONET_EVENT: 'Y' },
    }, admin)
    expect(add.status).toBe(200)
    expect(typeof add.body.result).toBe('number')
    const c = (await rest(portal, 'crm.company.get', { id: add.body.result }, admin)).body.result as Row
    expect(Object.keys(c)).toEqual([...COMPANY_GET_KEYS, 'PHONE'])
    expect(c).toMatchObject({
      ID: String(add.body.result), TITLE: 'John Doe LLC', COMPANY_TYPE: 'CUSTOMER', INDUSTRY: 'MANUFACTURING', EMPLOYEES: 'EMPLOYEES_2',
      CURRENCY_ID: 'USD', REVENUE: '3000000', LOGO: null, HAS_PHONE: 'Y', HAS_EMAIL: 'N', IS_MY_COMPANY: 'N', OPENED: 'Y', ASSIGNED_BY_ID: '1',
      LAST_ACTIVITY_BY: '1', LAST_COMMUNICATION_TIME: null, PARENT_ID_156: '5', UF_CRM_1687188367: '',
      PHONE: [{ VALUE_TYPE: 'WORK', VALUE: '555888', TYPE_ID: 'PHONE' }],
    })
    // Without multi-field values the answer ends like the example: no PHONE / EMAIL keys.
    const bare = portal.addCompany({ TITLE: 'GAZPROM', PARENT_ID_156: null, UF_CRM_1687188367: '' })
    const b = (await rest(portal, 'crm.company.get', { id: Number(bare.ID) }, admin)).body.result as Row
    expect(Object.keys(b)).toEqual(COMPANY_GET_KEYS)
    expect(b).toMatchObject({ COMPANY_TYPE: 'CUSTOMER', INDUSTRY: 'IT', EMPLOYEES: 'EMPLOYEES_1', HAS_PHONE: 'N', HAS_EMAIL: 'N', HAS_IMOL: 'N' })
  })

  it('answers the documented errors', async () => {
    expect(await rest(portal, 'crm.company.get', { id: 424242 }, admin)).toEqual({ status: 400, body: err('', 'Not found') })
    expect(await rest(portal, 'crm.company.get', {}, admin)).toEqual({ status: 400, body: err('', 'ID is not defined or invalid.') })
    expect(await rest(portal, 'crm.company.add', { fields: 5 }, admin)).toEqual({ status: 400, body: err('', "Parameter 'fields' must be array.") })
    expect(await rest(portal, 'crm.company.add', { fields: { TITLE: 'T', EMAIL: [{ VALUE: 'x@' }] } }, admin)).toEqual({ status: 400, body: err('ERROR_CORE', 'The "E-mail" field contains an invalid address') })
    // TITLE is required (main-entities-fields.md); the wording is not documented.
    const noTitle = await rest(portal, 'crm.company.add', { fields: { COMPANY_TYPE: 'CUSTOMER' } }, admin)
    expect(noTitle.status).toBe(400)
    expect(noTitle.body.error).toBe('ERROR_CORE')
  })
})

describe('crm.contact.list and crm.company.list', () => {
  let listPortal: PortalHandle
  let token: string

  beforeAll(async () => {
    listPortal = await installedPortal(emu, {}, CRM_APP)
    token = listPortal.issueTokens(CRM_APP.clientId, 1).access_token
    const firstNames = ['Anastasia', 'Artem', 'Ivan', 'Inna', 'Olga', 'Boris']
    const lastNames = ['Ilyina', 'Isaev', 'Petrov', 'Kuznetsova', 'Smith', 'Jones']
    for (let i = 0; i < 120; i++) {
      listPortal.addContact({
        NAME: firstNames[i % 6],
        LAST_NAME: lastNames[Math.floor(i / 6) % 6],
        EXPORT: i % 4 === 0 ? 'N' : 'Y',
        ASSIGNED_BY_ID: [1, 6, 7][Math.floor(i / 2) % 3],
        SOURCE_ID: i % 2 === 0 ? 'CRM_FORM' : 'WEB',
        DATE_CREATE: START - (120 - i) * 86_400_000,
        EMAIL: i % 10 === 0 ? ['special-for@example.com'] : [`c${i}@example.com`],
        ...(i % 7 === 0 ? { PHONE: [{ VALUE: `+100${i}`, VALUE_TYPE: 'MOBILE' }] } : {}),
        ...(i === 3 ? { UF_CRM_1: 'custom' } : {}),
      })
    }
    listPortal.addCompany({ TITLE: 'Crossroads', ASSIGNED_BY_ID: 811, PHONE: [{ VALUE: '+19998887766', VALUE_TYPE: 'WORK' }], DATE_CREATE: '2025-02-01T00:00:00+00:00' })
    listPortal.addCompany({ TITLE: 'Old Supplier', COMPANY_TYPE: 'SUPPLIER', DATE_CREATE: '2025-03-01T00:00:00+00:00' })
    listPortal.addCompany({ TITLE: 'Early Customer', DATE_CREATE: '2024-06-01T00:00:00+00:00' })
  })

  it('pages by 50 with total and next; start = -1 drops total', async () => {
    const p1 = await rest(listPortal, 'crm.contact.list', {}, token)
    expect((p1.body.result as Row[]).length).toBe(50)
    expect(p1.body.total).toBe(120)
    expect(p1.body.next).toBe(50)
    expect((p1.body.result as Row[])[0]?.ID).toBe('1')
    const p3 = await rest(listPortal, 'crm.contact.list', { start: 100 }, token)
    expect((p3.body.result as Row[]).length).toBe(20)
    expect(p3.body).not.toHaveProperty('next')
    expect(p3.body.total).toBe(120)
    const fast = await rest(listPortal, 'crm.contact.list', { start: -1, order: { ID: 'ASC' }, filter: { '>ID': 100 } }, token)
    expect((fast.body.result as Row[]).map((r) => r.ID)).toEqual(Array.from({ length: 20 }, (_, i) => String(101 + i)))
    expect(fast.body).not.toHaveProperty('total')
    expect(fast.body).not.toHaveProperty('next')
  })

  it('selects "*" + "UF_*" by default: no multi-fields unless named', async () => {
    const rows = (await rest(listPortal, 'crm.contact.list', { filter: { '@ID': [4, 8] } }, token)).body.result as Row[]
    expect(rows.map((r) => r.ID)).toEqual(['4', '8'])
    expect(rows[0]).toHaveProperty('UF_CRM_1', 'custom')
    expect(rows[0]).toHaveProperty('HAS_EMAIL', 'Y')
    expect(rows[0]).not.toHaveProperty('EMAIL')
    expect(Object.keys(rows[1] as Row)).toEqual(CONTACT_GET_KEYS.filter((k) => !['PARENT_ID_1224', 'UF_CRM_1720697698689', 'PHONE', 'EMAIL'].includes(k)))
  })

  it('runs the crm-contact-list.md example: prefixes, exact multi-field match, order, select order', async () => {
    const { status, body } = await rest(listPortal, 'crm.contact.list', {
      FILTER: {
        SOURCE_ID: 'CRM_FORM', '!=NAME': '', '!=LAST_NAME': '', '=%NAME': 'I%', '=%LAST_NAME': 'I%', EMAIL: 'special-for@example.com',
        '@ASSIGNED_BY_ID': [1, 6], IMPORT: 'Y', '>=DATE_CREATE': new Date(START - 183 * 86_400_000).toISOString(),
      },
      ORDER: { LAST_NAME: 'ASC', NAME: 'ASC' },
      SELECT: ['ID', 'NAME', 'LAST_NAME', 'EMAIL', 'EXPORT', 'ASSIGNED_BY_ID', 'DATE_CREATE'],
    }, token)
    expect(status).toBe(200)
    const rows = body.result as Row[]
    const expected = listPortal.contacts().filter((c) =>
      c.SOURCE_ID === 'CRM_FORM' && /^I/.test(c.NAME ?? '') && /^I/.test(c.LAST_NAME ?? '') && ['1', '6'].includes(c.ASSIGNED_BY_ID) &&
      c.EMAIL.some((e) => e.VALUE === 'special-for@example.com'))
    expect(expected.length).toBeGreaterThan(0)
    expect(body.total).toBe(expected.length)
    expect(rows.map((r) => r.ID).sort()).toEqual(expected.map((c) => c.ID).sort())
    // The example's answer: asked fields in the asked order, multi-fields last.
    for (const r of rows) {
      expect(Object.keys(r)).toEqual(['ID', 'NAME', 'LAST_NAME', 'EXPORT', 'ASSIGNED_BY_ID', 'DATE_CREATE', 'EMAIL'])
      expect(r.EMAIL).toEqual([expect.objectContaining({ VALUE: 'special-for@example.com', VALUE_TYPE: 'WORK', TYPE_ID: 'EMAIL' })])
    }
    const names = rows.map((r) => `${String(r.LAST_NAME)} ${String(r.NAME)}`)
    expect(names).toEqual([...names].sort())
  })

  it('matches multi-fields exactly only, and a bare key with % is not a pattern', async () => {
    const count = async (filter: Row): Promise<unknown> => (await rest(listPortal, 'crm.contact.list', { filter, start: -1, select: ['ID'] }, token)).body.result
    expect(((await count({ EMAIL: 'SPECIAL-FOR@example.com' })) as Row[]).length).toBe(12)
    expect(await count({ '%EMAIL': 'special' })).toEqual([])
    expect(await count({ EMAIL: 'special%' })).toEqual([])
    expect(((await count({ '%NAME': 'nna' })) as Row[]).length).toBe(20)
    expect(await count({ NAME: 'Inn%' })).toEqual([])
    expect(((await count({ '!EMAIL': 'special-for@example.com', '@ID': [1, 2, 11] })) as Row[]).map((r) => r.ID)).toEqual(['2'])
    // LIKE "does not work" on crm_status fields: no partial match on SOURCE_ID.
    expect(await count({ '%SOURCE_ID': 'CRM' })).toEqual([])
    expect(((await count({ HAS_PHONE: 'Y' })) as Row[]).length).toBe(18)
  })

  it('refuses a non-array order or filter', async () => {
    expect(await rest(listPortal, 'crm.contact.list', { order: 'ASC' }, token)).toEqual({ status: 400, body: err('', "Parameter 'order' must be array.") })
    expect(await rest(listPortal, 'crm.company.list', { filter: 'TITLE' }, token)).toEqual({ status: 400, body: err('', "Parameter 'filter' must be array.") })
  })

  it('runs the crm-company-list.md example: ID added after the asked fields, then PHONE', async () => {
    const { body } = await rest(listPortal, 'crm.company.list', {
      ORDER: { DATE_CREATE: 'ASC' }, FILTER: { COMPANY_TYPE: 'CUSTOMER', '>=DATE_CREATE': '2025-01-01' }, SELECT: ['TITLE', 'ASSIGNED_BY_ID', 'PHONE'],
    }, token)
    expect(body.result).toEqual([
      { TITLE: 'Crossroads', ASSIGNED_BY_ID: '811', ID: '1', PHONE: [{ ID: expect.any(String), VALUE_TYPE: 'WORK', VALUE: '+19998887766', TYPE_ID: 'PHONE' }] },
    ])
    expect(body.total).toBe(1)
  })

  it('works with the SDK list helper (order ID, >ID, start -1)', async () => {
    const b24 = sdkClient(listPortal.issueTokens(CRM_APP.clientId, 1), CRM_APP)
    const all = await b24.actions.v2.callList.make<{ ID: string; EMAIL?: unknown[] }>({ method: 'crm.contact.list', params: { filter: { EXPORT: 'Y' }, select: ['ID', 'EMAIL'] }, idKey: 'ID' })
    expect(all.isSuccess).toBe(true)
    const rows = all.getData() ?? []
    expect(rows.length).toBe(90)
    expect(rows.every((r) => Array.isArray(r.EMAIL))).toBe(true)
  })
})

describe('batch, scope and the directory helpers', () => {
  it('adds and reads in one batch with $result references', async () => {
    const cmd = {
      co: 'crm.company.add?' + stringifyForm({ fields: { TITLE: 'Batch LLC', EMAIL: [{ VALUE: 'office@batch.example', VALUE_TYPE: 'WORK' }] } }),
      ct: 'crm.contact.add?' + stringifyForm({ fields: { NAME: 'Batch', LAST_NAME: 'Person', COMPANY_ID: '$result[co]', PHONE: [{ VALUE: '+7000', VALUE_TYPE: 'MOBILE' }] } }),
      get: 'crm.contact.get?id=$result[ct]',
      list: 'crm.contact.list?' + stringifyForm({ filter: { COMPANY_ID: '$result[co]' }, select: ['ID', 'NAME', 'PHONE'] }),
      missing: 'crm.company.get?id=999999',
    }
    const { status, body } = await rest(portal, 'batch', { halt: 0, cmd }, admin)
    expect(status).toBe(200)
    const r = body.result as { result: Record<string, unknown>; result_error: Record<string, unknown>; result_total: Record<string, unknown> }
    const companyId = r.result.co as number
    const contactId = r.result.ct as number
    expect(typeof companyId).toBe('number')
    expect(r.result.get).toMatchObject({ ID: String(contactId), NAME: 'Batch', COMPANY_ID: String(companyId), HAS_PHONE: 'Y', PHONE: [{ VALUE: '+7000', VALUE_TYPE: 'MOBILE', TYPE_ID: 'PHONE' }] })
    expect(r.result.list).toEqual([{ ID: String(contactId), NAME: 'Batch', PHONE: [expect.objectContaining({ VALUE: '+7000' })] }])
    expect(r.result_total).toEqual({ list: 1 })
    expect(r.result_error).toEqual({ missing: err('', 'Not found') })
    expect(portal.company(companyId)?.EMAIL).toMatchObject([{ VALUE: 'office@batch.example', TYPE_ID: 'EMAIL' }])
  })

  it('refuses an app without the crm scope (403 insufficient_scope), also inside a batch', async () => {
    portal.registerApp(APP.clientId, { handlerUrl: 'http://localhost:9/app' })
    portal.beginInstall(APP.clientId)
    const narrow = portal.issueTokens(APP.clientId, 1).access_token
    const denied = err('insufficient_scope', 'The request requires higher privileges than provided by the access token')
    for (const m of ['crm.contact.get', 'crm.contact.list', 'crm.contact.add', 'crm.company.get', 'crm.company.list', 'crm.company.add']) {
      expect(await rest(portal, m, { id: 1, fields: { NAME: 'x', TITLE: 'x' } }, narrow)).toEqual({ status: 403, body: denied })
      expect((await rest(portal, 'method.get', { name: m }, narrow)).body.result).toEqual({ isExisting: true, isAvailable: false })
      expect((await rest(portal, 'method.get', { name: m }, admin)).body.result).toEqual({ isExisting: true, isAvailable: true })
    }
    const batch = await rest(portal, 'batch', { cmd: { a: 'crm.contact.list' } }, narrow)
    expect((batch.body.result as { result_error: unknown }).result_error).toEqual({ a: denied })
  })

  it('addContact / addCompany return the stored records; contacts() and companies() read them; hooks mirror them', async () => {
    const p = await emu.createPortal()
    const co = p.addCompany({ TITLE: 'Acme', EMAIL: ['info@acme.example'], DATE_CREATE: '2024-01-02T03:04:05Z' })
    expect(co).toMatchObject({ TITLE: 'Acme', HAS_EMAIL: 'Y', DATE_CREATE: '2024-01-02T03:04:05+00:00', EMAIL: [{ VALUE: 'info@acme.example', VALUE_TYPE: 'WORK', TYPE_ID: 'EMAIL' }] })
    const c = p.addContact({ ID: 40, NAME: 'Ann', LAST_NAME: 'Lee', POST: 'CTO', COMPANY_ID: Number(co.ID), EMAIL: [{ VALUE: 'ann@acme.example', VALUE_TYPE: 'HOME' }], ASSIGNED_BY_ID: 1 })
    expect(c).toMatchObject({ ID: '40', NAME: 'Ann', POST: 'CTO', COMPANY_ID: co.ID, COMPANY_IDS: [co.ID], HAS_EMAIL: 'Y', HAS_PHONE: 'N', PHONE: [], ASSIGNED_BY_ID: '1' })
    expect(p.addContact({ NAME: 'Next' }).ID).toBe('41')
    expect(p.contacts().map((x) => x.ID)).toEqual(['40', '41'])
    expect(p.companies().map((x) => x.TITLE)).toEqual(['Acme'])
    expect(p.contact(999)).toBeUndefined()
    expect(() => p.addContact({ EMAIL: ['nope'] })).toThrow(/invalid address/)
    expect(() => p.addContact({ ID: 40 })).toThrow(/already exists/)
    // Records handed out are copies.
    c.NAME = 'Changed'
    expect(p.contact(40)?.NAME).toBe('Ann')

    const hook = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${p.origin}/__emulator/${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) })
      return { status: res.status, json: (await res.json()) as unknown }
    }
    expect((await hook('POST', 'contacts', { NAME: 'Hooked', PHONE: ['+1555'] })).json).toMatchObject({ ID: '42', HAS_PHONE: 'Y' })
    expect((await hook('POST', 'companies', { TITLE: 'Hook Co' })).json).toMatchObject({ ID: '2', TITLE: 'Hook Co' })
    expect((await hook('POST', 'companies', {})).status).toBe(400)
    expect(((await hook('GET', 'contacts')).json as Row[]).map((x) => x.NAME)).toEqual(['Ann', 'Next', 'Hooked'])
    expect(((await hook('GET', 'companies')).json as Row[]).length).toBe(2)
  })
})
