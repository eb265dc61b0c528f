/** The `/__emulator/*` JSON hooks mirror the PortalHandle API (used by the browser demo). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP, emulator, receiver, rest } from './test-kit.js'
import type { Emulator, PortalHandle } from './index.js'

let emu: Emulator
let portal: PortalHandle
let rx: Awaited<ReturnType<typeof receiver>>

beforeAll(async () => {
  emu = await emulator()
  portal = await emu.createPortal()
  rx = await receiver()
})
afterAll(async () => {
  await rx.close()
  await emu.close()
})

async function hook(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${portal.origin}/__emulator/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, json: await res.json() }
}

describe('hooks', () => {
  it('drive a whole install and observe it over HTTP', async () => {
    expect((await hook('GET', 'state')).json).toMatchObject({ memberId: portal.memberId, domain: portal.domain, oauthUrl: emu.oauthUrl, apps: [] })
    expect((await hook('POST', `apps/${APP.clientId}/register`, { handlerUrl: `${rx.url}/app`, installUrl: `${rx.url}/install` })).status).toBe(200)
    const fields = (await hook('POST', `apps/${APP.clientId}/begin-install`, { userId: 1 })).json as { body: Record<string, string> }
    await rest(portal, 'event.bind', { event: 'ONUSERADD', handler: `${rx.url}/e` }, fields.body.AUTH_ID!)
    expect(((await hook('POST', `apps/${APP.clientId}/finish-install`)).json as unknown[]).length).toBe(0)
    const added = (await hook('POST', 'users', { EMAIL: 'hook@example.com', NAME: 'Hook', invited: true })).json as { ID: number }
    const deliveries = (await hook('POST', 'accept-invitation', { user: 'hook@example.com' })).json as Array<{ status: number; name: string }>
    expect(deliveries).toMatchObject([{ status: 200, name: 'ONUSERADD' }])
    expect(((await hook('GET', 'users')).json as Array<{ ID: number; invited: boolean }>).find((u) => u.ID === added.ID)?.invited).toBe(false)
    const tokens = (await hook('POST', `apps/${APP.clientId}/tokens`, { userId: 1 })).json as { access_token: string }
    expect((await hook('POST', 'faults', { method: 'profile', kind: 'INTERNAL_SERVER_ERROR' })).status).toBe(200)
    expect((await rest(portal, 'profile', {}, tokens.access_token)).status).toBe(500)
    expect((await hook('GET', 'call-count/profile')).json).toEqual({ method: 'profile', count: 1 })
    expect((await hook('DELETE', 'faults')).status).toBe(200)
    expect((await hook('GET', 'events')).json).toMatchObject([{ event: 'ONUSERADD', handler: `${rx.url}/e` }])
    expect((await hook('POST', `apps/${APP.clientId}/begin-install`, { userId: 999 })).status).toBe(400)
  })
})
