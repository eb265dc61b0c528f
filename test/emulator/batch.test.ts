/**
 * batch (settings/how-to-call-rest-api/batch.md): shape, $result references, halt, the 50-command
 * limit and nesting as per-command errors, operating per nested method (limits.md), and b24jssdk's
 * actions.v2.batch on top of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringifyForm } from './form-encoding.js'
import { APP, emulator, installedPortal, rest, sdkClient } from './test-kit.js'
import type { Emulator, PortalHandle } from './index.js'

let emu: Emulator
let portal: PortalHandle
let admin: string

beforeAll(async () => {
  emu = await emulator()
  portal = await installedPortal(emu)
  admin = portal.issueTokens(APP.clientId, 1).access_token
})
afterAll(() => emu.close())

type BatchBody = { result: { result: unknown; result_error: unknown; result_total: unknown; result_next: unknown; result_time: unknown }; time: Record<string, unknown> }

describe('batch', () => {
  it('answers the documented shape and resolves $result references (the doc example)', async () => {
    const { status, body } = await rest(portal, 'batch', { halt: 0, cmd: { get_user: 'user.current', get_department: 'department.get?ID=$result[get_user][UF_DEPARTMENT][0]' } }, admin)
    expect(status).toBe(200)
    const b = body as unknown as BatchBody
    expect(Object.keys(b.result)).toEqual(['result', 'result_error', 'result_total', 'result_next', 'result_time'])
    expect(b.result.result).toMatchObject({ get_user: { ID: '1' }, get_department: [{ ID: '1', NAME: 'Company' }] })
    expect(b.result.result_error).toEqual([])
    expect(b.result.result_total).toEqual({ get_department: 1 })
    expect(b.result.result_next).toEqual([])
    expect(Object.keys(b.result.result_time as object)).toEqual(['get_user', 'get_department'])
    // The outer call is not charged to operating (limits.md).
    expect(b.time).not.toHaveProperty('operating')
  })

  it('references list rows by index, and works form-encoded with array cmd (double-encoded query strings)', async () => {
    const cmd = ['user.add?' + stringifyForm({ EMAIL: 'ref@example.com', UF_DEPARTMENT: [1], NAME: 'Ref' }), 'user.get?' + stringifyForm({ FILTER: { ID: '$result[0]' } }), 'user.search?FILTER[NAME]=$result[1][0][NAME]']
    const res = await fetch(`${portal.clientEndpoint}batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: stringifyForm({ auth: admin, halt: 1, cmd }),
    })
    const b = (await res.json()) as BatchBody
    const results = b.result.result as unknown[]
    expect(Array.isArray(results)).toBe(true)
    const id = results[0] as number
    expect((results[1] as Array<{ ID: string }>)[0]?.ID).toBe(String(id))
    expect((results[2] as Array<{ EMAIL: string }>).map((u) => u.EMAIL)).toEqual(['ref@example.com'])
  })

  it('puts errors per command in result_error; halt stops at the first one', async () => {
    const cmd = { ok1: 'profile', deps: 'department.get?sort=ID&order=ASC&auth=ignored', nested: 'batch?cmd[a]=profile', missing: 'no.such.method', ok2: 'user.admin' }
    const noHalt = (await rest(portal, 'batch', { halt: 0, cmd }, admin)).body as unknown as BatchBody
    expect(Object.keys(noHalt.result.result as object)).toEqual(['ok1', 'deps', 'ok2'])
    expect(noHalt.result.result_error).toEqual({
      nested: { error: 'ERROR_BATCH_METHOD_NOT_ALLOWED', error_description: 'Method is not allowed for batch usage' },
      missing: { error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' },
    })
    const halted = (await rest(portal, 'batch', { halt: 1, cmd }, admin)).body as unknown as BatchBody
    expect(Object.keys(halted.result.result as object)).toEqual(['ok1', 'deps'])
    expect(Object.keys(halted.result.result_error as object)).toEqual(['nested'])
  })

  it('commands beyond 50 end with ERROR_BATCH_LENGTH_EXCEEDED, the batch itself is 200', async () => {
    const cmd = Object.fromEntries(Array.from({ length: 52 }, (_, i) => [`c${i}`, 'user.admin']))
    const { status, body } = await rest(portal, 'batch', { cmd }, admin)
    expect(status).toBe(200)
    const b = body as unknown as BatchBody
    expect(Object.keys(b.result.result as object)).toHaveLength(50)
    expect(b.result.result_error).toEqual({
      c50: { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' },
      c51: { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' },
    })
  })

  it('charges each nested call to its own method in operating', async () => {
    const p = await installedPortal(emu, { methodTimes: { 'user.admin': 2 } })
    const t = p.issueTokens(APP.clientId, 1).access_token
    const b = (await rest(p, 'batch', { cmd: ['user.admin', 'user.admin', 'profile'] }, t)).body as unknown as BatchBody
    const times = b.result.result_time as Array<Record<string, number>>
    expect(times.map((x) => x.operating)).toEqual([2, 4, 0.05])
    expect(b.time.processing).toBeCloseTo(4.05)
  })

  it('the SDK batch (object and array forms) reads it back', async () => {
    const b24 = sdkClient(portal.issueTokens(APP.clientId, 1))
    const asObject = await b24.actions.v2.batch.make({
      calls: { me: { method: 'user.current' }, deps: ['department.get', { sort: 'ID' }] },
      options: { isHaltOnError: true },
    })
    expect(asObject.isSuccess).toBe(true)
    const data = asObject.getData() as Record<string, unknown>
    expect(data.me).toMatchObject({ ID: '1' })
    expect(data.deps).toEqual([{ ID: '1', NAME: 'Company', SORT: 500, UF_HEAD: '1' }])
    const asArray = await b24.actions.v2.batch.make({ calls: [['user.admin', {}], ['no.such.method', {}]], options: { isHaltOnError: false } })
    expect(asArray.isSuccess).toBe(false)
    expect(asArray.getErrorMessages().join(' ')).toContain('Method not found!')
  })
})
