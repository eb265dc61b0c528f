/**
 * Install, events, widgets, robots and notifications, as the portal does them:
 * installation-finish.md, on-app-install.md, on-app-uninstall.md, on-user-add.md, events/index.md
 * (form-encoded delivery, top-level keys, no retries), event-bind/get/unbind.md, placement-*.md,
 * bizproc-robot-*.md, bizproc-event-send.md, im-notify-*.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP, emulator, rest, receiver } from './test-kit.js'
import type { Emulator } from './index.js'

let emu: Emulator
let rx: Awaited<ReturnType<typeof receiver>>

beforeAll(async () => {
  emu = await emulator()
  rx = await receiver()
})
afterAll(async () => {
  await rx.close()
  await emu.close()
})

async function freshInstall(lang: 'ru' | 'en' = 'en') {
  const portal = await emu.createPortal({ lang })
  portal.registerApp(APP.clientId, { handlerUrl: `${rx.url}/app`, installUrl: `${rx.url}/install` })
  const fields = portal.beginInstall(APP.clientId)
  return { portal, fields, admin: fields.body.AUTH_ID as string }
}

describe('installation', () => {
  it('the installer receives the documented fields; INSTALLED stays false until installFinish', async () => {
    const { portal, fields, admin } = await freshInstall('ru')
    expect(fields.url.startsWith(`${rx.url}/install?`)).toBe(true)
    expect(fields.query).toEqual({ DOMAIN: portal.domain, PROTOCOL: '0', LANG: 'ru', APP_SID: fields.appSid })
    expect(Object.keys(fields.body)).toEqual(['AUTH_ID', 'AUTH_EXPIRES', 'REFRESH_ID', 'SERVER_ENDPOINT', 'APPLICATION_TOKEN', 'APPLICATION_SCOPE', 'member_id', 'status', 'PLACEMENT', 'PLACEMENT_OPTIONS'])
    expect(fields.body).toMatchObject({ AUTH_EXPIRES: '3600', SERVER_ENDPOINT: `${emu.oauthUrl}/rest/`, member_id: portal.memberId, status: 'F', PLACEMENT: 'DEFAULT', APPLICATION_SCOPE: APP.scopes.join(',') })
    expect(((await rest(portal, 'app.info', {}, admin)).body.result as Record<string, unknown>).INSTALLED).toBe(false)
    // Events are not sent before the installation is finished.
    await rest(portal, 'event.bind', { event: 'ONUSERADD', handler: `${rx.url}/events` }, admin)
    expect(await portal.fireEvent('ONUSERADD', { ID: 1 })).toEqual([])
  })

  it('finishInstall sets INSTALLED and delivers ONAPPINSTALL form-encoded exactly as documented', async () => {
    const { portal, fields, admin } = await freshInstall()
    expect((await rest(portal, 'event.bind', { event: 'onAppInstall', handler: `${rx.url}/install-handler` }, admin)).body.result).toBe(true)
    const before = rx.received.length
    const deliveries = await portal.finishInstall(APP.clientId)
    expect(deliveries).toHaveLength(1)
    expect(deliveries[0]?.status).toBe(200)
    const got = rx.received.slice(before)
    expect(got).toHaveLength(1)
    const hit = got[0]!
    expect(hit.contentType).toBe('application/x-www-form-urlencoded')
    expect(hit.raw).toContain('auth%5Bapplication_token%5D=')
    expect(Object.keys(hit.body)).toEqual(['event', 'event_handler_id', 'data', 'ts', 'auth'])
    expect(hit.body.event).toBe('ONAPPINSTALL')
    expect(hit.body.data).toEqual({ VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'en' })
    const auth = hit.body.auth as Record<string, string>
    expect(Object.keys(auth)).toEqual(['domain', 'scope', 'access_token', 'refresh_token', 'expires_in', 'server_endpoint', 'status', 'client_endpoint', 'member_id', 'application_token'])
    expect(auth).toMatchObject({ domain: portal.domain, client_endpoint: portal.clientEndpoint, member_id: portal.memberId, application_token: fields.body.APPLICATION_TOKEN, expires_in: '3600' })
    // The event's tokens work.
    expect((await rest(portal, 'app.info', {}, auth.access_token!)).body.result).toMatchObject({ INSTALLED: true })
    expect((await rest(portal, 'profile', {}, admin)).status).toBe(200)
  })

  it('application_token survives a reinstall of the same version and changes after uninstall', async () => {
    const { portal, fields } = await freshInstall()
    await portal.finishInstall(APP.clientId)
    const again = portal.beginInstall(APP.clientId)
    expect(again.body.APPLICATION_TOKEN).toBe(fields.body.APPLICATION_TOKEN)
    await portal.uninstallApp(APP.clientId, { clean: false })
    const fresh = portal.beginInstall(APP.clientId)
    expect(fresh.body.APPLICATION_TOKEN).not.toBe(fields.body.APPLICATION_TOKEN)
  })

  it('uninstall delivers ONAPPUNINSTALL with only the documented auth keys, then drops handlers, widgets, robots', async () => {
    const { portal, fields, admin } = await freshInstall()
    await portal.finishInstall(APP.clientId)
    await rest(portal, 'event.bind', { event: 'ONAPPUNINSTALL', handler: `${rx.url}/uninstall` }, admin)
    await rest(portal, 'placement.bind', { PLACEMENT: 'USER_PROFILE_TOOLBAR', HANDLER: `${rx.url}/widget`, TITLE: 'Invite' }, admin)
    await rest(portal, 'bizproc.robot.add', { CODE: 'invite', HANDLER: `${rx.url}/robot`, NAME: 'Invite' }, admin)
    const before = rx.received.length
    await portal.uninstallApp(APP.clientId, { clean: true })
    const hit = rx.received.slice(before)[0]!
    expect(hit.body.event).toBe('ONAPPUNINSTALL')
    expect(hit.body.data).toEqual({ LANGUAGE_ID: 'en', CLEAN: '1' })
    expect(Object.keys(hit.body.auth as object).sort()).toEqual(['application_token', 'client_endpoint', 'domain', 'member_id', 'server_endpoint'])
    expect((hit.body.auth as Record<string, string>).application_token).toBe(fields.body.APPLICATION_TOKEN)
    expect(portal.events()).toEqual([])
    expect(portal.placements()).toEqual([])
    expect(portal.robots()).toEqual([])
  })
})

describe('events', () => {
  it('event.bind: unknown event, duplicate handler, non-admin rules; event.get and event.unbind', async () => {
    const { portal, admin } = await freshInstall()
    await portal.finishInstall(APP.clientId)
    const user = portal.addUser({ NAME: 'Regular', EMAIL: 'regular@example.com' })
    const userToken = portal.issueTokens(APP.clientId, user.ID).access_token
    const h = `${rx.url}/events`
    expect((await rest(portal, 'event.bind', { event: 'ONNOTHING', handler: h }, admin)).body).toEqual({ error: 'ERROR_EVENT_NOT_FOUND', error_description: 'Event not found' })
    expect((await rest(portal, 'event.bind', { event: 'ONCRMDEALADD', handler: h }, admin)).body.error).toBe('ERROR_EVENT_NOT_FOUND') // no crm scope
    expect((await rest(portal, 'event.bind', { event: 'ONUSERADD', handler: h }, admin)).body.result).toBe(true)
    const dup = await rest(portal, 'event.bind', { event: 'ONUSERADD', handler: h }, admin)
    expect(dup.status).toBe(400)
    expect(dup.body).toEqual({ error: 'ERROR_CORE', error_description: 'Unable to set event handler: Handler already binded' })
    expect((await rest(portal, 'event.bind', { event: 'ONUSERADD', handler: h, event_type: 'offline' }, userToken)).status).toBe(403)
    expect((await rest(portal, 'event.bind', { event: 'ONUSERADD', handler: h, auth_type: 1 }, userToken)).body.error_description).toBe('Access denied! Event binding with AUTH_TYPE requires administrator access rights')
    expect((await rest(portal, 'event.bind', { event: 'ONUSERADD', handler: h }, userToken)).body.result).toBe(true)
    expect((await rest(portal, 'event.get', {}, admin)).body.result).toEqual([
      { event: 'ONUSERADD', handler: h, auth_type: '0', offline: 0 },
      { event: 'ONUSERADD', handler: h, auth_type: String(user.ID), offline: 0 },
    ])
    expect((await rest(portal, 'event.get', {}, userToken)).body.result).toEqual([{ event: 'ONUSERADD', handler: h, auth_type: String(user.ID), offline: 0 }])
    expect((await rest(portal, 'event.unbind', { event: 'ONUSERADD', handler: h, auth_type: 0 }, admin)).body.result).toEqual({ count: 1 })
    expect(portal.events()).toHaveLength(1)
  })

  it('fireEvent posts the documented top-level keys; no retry when the handler fails', async () => {
    const { portal, admin } = await freshInstall()
    await portal.finishInstall(APP.clientId)
    const failing = await receiver(500)
    try {
      await rest(portal, 'event.bind', { event: 'ONSONETGROUPADD', handler: `${failing.url}/e` }, admin)
      const out = await portal.fireEvent('OnSonetGroupAdd', { FIELDS: { ID: 77 } })
      expect(out).toHaveLength(1)
      expect(out[0]).toMatchObject({ status: 500, error: 'HTTP 500' })
      expect(failing.received).toHaveLength(1)
      const body = failing.received[0]!.body
      expect(Object.keys(body)).toEqual(['event', 'event_handler_id', 'data', 'ts', 'auth'])
      expect(body.data).toEqual({ FIELDS: { ID: '77' } })
      expect(failing.received[0]!.raw).toContain('data%5BFIELDS%5D%5BID%5D=77')
      expect(Object.keys(body.auth as object)).toEqual(['access_token', 'expires_in', 'scope', 'domain', 'server_endpoint', 'status', 'client_endpoint', 'member_id', 'application_token'])
      // Not fired by a user: no tokens.
      const noUser = await portal.fireEvent('ONSONETGROUPADD', { FIELDS: { ID: 78 } }, { userId: null })
      expect(Object.keys(noUser[0]!.payload.auth as object)).not.toContain('access_token')
      expect(portal.deliveries().filter((d) => d.kind === 'event' && d.name === 'ONSONETGROUPADD')).toHaveLength(2)
    } finally {
      await failing.close()
    }
  })

  it('acceptInvitation sets LAST_LOGIN, clears the invitation and fires ONUSERADD for the new user', async () => {
    const { portal, admin } = await freshInstall()
    await portal.finishInstall(APP.clientId)
    await rest(portal, 'event.bind', { event: 'ONUSERADD', handler: `${rx.url}/onuseradd` }, admin)
    const id = (await rest(portal, 'user.add', { EMAIL: 'new@example.com', NAME: 'New', UF_DEPARTMENT: [1], WORK_POSITION: 'QA' }, admin)).body.result as number
    expect(portal.user(id)).toMatchObject({ invited: true, LAST_LOGIN: '', ACTIVE: true })
    const before = rx.received.length
    await portal.acceptInvitation('NEW@example.com')
    expect(portal.user(id)).toMatchObject({ invited: false, CONFIRM_CODE: '' })
    expect(portal.user(id)?.LAST_LOGIN).not.toBe('')
    const hit = rx.received.slice(before)[0]!
    expect(hit.body.event).toBe('ONUSERADD')
    expect(hit.body.data).toEqual({
      ID: String(id),
      ACTIVE: 'Y',
      EMAIL: 'new@example.com',
      NAME: 'New',
      LAST_NAME: '',
      PERSONAL_GENDER: '',
      PERSONAL_BIRTHDAY: '',
      UF_DEPARTMENT: ['1'],
      DATE_REGISTER: expect.stringMatching(/\+00:00$/),
      WORK_POSITION: 'QA',
      UF_EMPLOYMENT_DATE: '',
    })
    // The token in the event belongs to the user who completed the registration.
    const token = (hit.body.auth as Record<string, string>).access_token!
    expect(((await rest(portal, 'profile', {}, token)).body.result as Record<string, unknown>).ID).toBe(String(id))
  })
})

describe('placements', () => {
  it('bind/get/unbind with the documented errors and shapes', async () => {
    const { portal, admin } = await freshInstall()
    const user = portal.addUser({ EMAIL: 'u@example.com' })
    const userToken = portal.issueTokens(APP.clientId, user.ID).access_token
    const h = `${rx.url}/widget`
    expect((await rest(portal, 'placement.bind', { PLACEMENT: 'USER_PROFILE_TOOLBAR', HANDLER: h, TITLE: 'Invite', LANG_ALL: { en: { TITLE: 'Invite' } } }, admin)).body.result).toBe(true)
    expect((await rest(portal, 'placement.bind', { PLACEMENT: 'USER_PROFILE_TOOLBAR', HANDLER: h }, admin)).body.error).toBe('ERROR_CORE')
    expect(await rest(portal, 'placement.bind', { HANDLER: h }, admin)).toEqual({ status: 200, body: { error: 'ERROR_ARGUMENT', error_description: "Argument 'PLACEMENT' is null or empty", argument: 'PLACEMENT' } })
    expect((await rest(portal, 'placement.bind', { PLACEMENT: 'CRM_DEAL_DETAIL_TAB', HANDLER: h }, admin)).body.error).toBe('ERROR_PLACEMENT_NOT_FOUND')
    expect((await rest(portal, 'placement.bind', { PLACEMENT: 'LEFT_MENU', HANDLER: h, USER_ID: 1 }, admin)).body.error).toBe('ERROR_PLACEMENT_USER_MODE')
    expect((await rest(portal, 'placement.bind', { PLACEMENT: 'PAGE_BACKGROUND_WORKER', HANDLER: h }, admin)).body.error).toBe('EMPTY_ERROR_HANDLER_URL')
    expect((await rest(portal, 'placement.bind', { PLACEMENT: 'REST_APP_URI', HANDLER: h }, admin)).body.result).toBe(true)
    expect((await rest(portal, 'placement.bind', { PLACEMENT: 'REST_APP_URI', HANDLER: `${h}2` }, admin)).body.error).toBe('ERROR_PLACEMENT_MAX_COUNT')
    expect((await rest(portal, 'placement.bind', { PLACEMENT: 'LEFT_MENU', HANDLER: h }, userToken))).toEqual({ status: 403, body: { error: 'ACCESS_DENIED', error_description: 'Access denied!' } })
    expect((await rest(portal, 'placement.get', {}, admin)).body.result).toEqual([
      { placement: 'USER_PROFILE_TOOLBAR', userId: 0, handler: h, options: [], title: 'Invite', description: '', langAll: { en: { TITLE: 'Invite' } } },
      { placement: 'REST_APP_URI', userId: 0, handler: h, options: [], title: '', description: '', langAll: {} },
    ])
    expect((await rest(portal, 'placement.unbind', { PLACEMENT: 'USER_PROFILE_TOOLBAR' }, admin)).body.result).toEqual({ count: 2 })
    expect(portal.placements().map((p) => p.placement)).toEqual(['REST_APP_URI'])
  })
})

describe('robots', () => {
  it('bizproc.robot.add validates, refuses duplicates; callRobot posts the handler payload; bizproc.event.send is single-use', async () => {
    const { portal, admin } = await freshInstall()
    await portal.finishInstall(APP.clientId)
    const props = { Email: { Name: 'E-mail', Type: 'string', Required: 'Y' }, Group: { Name: { en: 'Group' }, Type: 'int', Default: 5 } }
    const add = (p: Record<string, unknown>) => rest(portal, 'bizproc.robot.add', p, admin)
    expect((await add({ HANDLER: `${rx.url}/robot`, NAME: 'x' })).body).toEqual({ error: 'ERROR_ACTIVITY_VALIDATION_FAILURE', error_description: 'Empty activity code!' })
    expect((await add({ CODE: 'bad code', HANDLER: `${rx.url}/robot`, NAME: 'x' })).body.error_description).toBe('Wrong activity code!')
    expect((await add({ CODE: 'invite', HANDLER: 'http://elsewhere.example/robot', NAME: 'x' })).body.error).toBe('ERROR_WRONG_HANDLER_URL')
    expect((await add({ CODE: 'invite', HANDLER: `${rx.url}/robot` })).body.error_description).toBe('Empty activity NAME!')
    expect((await add({ CODE: 'invite', HANDLER: `${rx.url}/robot`, NAME: 'x', PROPERTIES: { '1bad': { Name: 'n' } } })).body.error_description).toBe('Wrong property key 1bad!')
    const ok = { CODE: 'invite_user', HANDLER: `${rx.url}/robot`, NAME: { en: 'Invite user' }, USE_SUBSCRIPTION: 'Y', PROPERTIES: props, RETURN_PROPERTIES: { InvitedUserId: { Name: 'Id', Type: 'int' } }, DOCUMENT_TYPE: ['crm', 'CCrmDocumentDeal', 'DEAL'] }
    expect((await add(ok)).body.result).toBe(true)
    expect((await add(ok)).body).toEqual({ error: 'ERROR_ACTIVITY_ALREADY_INSTALLED', error_description: 'Activity or Automation rule already installed!' })
    expect((await rest(portal, 'bizproc.robot.list', {}, admin)).body.result).toEqual(['invite_user'])
    const user = portal.addUser({ EMAIL: 'plain@example.com' })
    expect((await rest(portal, 'bizproc.robot.list', {}, portal.issueTokens(APP.clientId, user.ID).access_token)).body).toEqual({ error: 'ACCESS_DENIED', error_description: 'Access denied!' })

    const before = rx.received.length
    const delivery = await portal.callRobot('invite_user', { documentId: ['crm', 'CCrmDocumentDeal', 'DEAL_123'], properties: { Email: 'guest@example.com' } })
    expect(delivery.status).toBe(200)
    const body = rx.received.slice(before)[0]!.body
    expect(body).toMatchObject({
      code: 'invite_user',
      document_id: ['crm', 'CCrmDocumentDeal', 'DEAL_123'],
      document_type: ['crm', 'CCrmDocumentDeal', 'DEAL'],
      properties: { Email: 'guest@example.com', Group: '5' },
      use_subscription: 'Y',
      timeout_duration: '0',
    })
    expect(Object.keys(body)).toEqual(['workflow_id', 'code', 'document_id', 'document_type', 'event_token', 'properties', 'use_subscription', 'timeout_duration', 'ts', 'auth'])
    const auth = body.auth as Record<string, string>
    expect(auth).not.toHaveProperty('refresh_token')
    expect(Object.keys(auth)).toEqual(['access_token', 'expires', 'expires_in', 'scope', 'domain', 'server_endpoint', 'status', 'client_endpoint', 'member_id', 'user_id', 'application_token'])
    const send = { EVENT_TOKEN: body.event_token, RETURN_VALUES: { InvitedUserId: 42 }, LOG_MESSAGE: 'done' }
    expect((await rest(portal, 'bizproc.event.send', send, auth.access_token!)).body.result).toBe(true)
    expect(await rest(portal, 'bizproc.event.send', send, auth.access_token!)).toEqual({ status: 403, body: { error: 'ACCESS_DENIED', error_description: 'Access denied!' } })
    expect(portal.bizprocEvents()).toMatchObject([{ robotCode: 'invite_user', returnValues: { InvitedUserId: 42 }, logMessage: 'done' }])
    expect((await rest(portal, 'bizproc.robot.delete', { CODE: 'invite_user' }, admin)).body.result).toBe(true)
    expect((await rest(portal, 'bizproc.robot.delete', { CODE: 'invite_user' }, admin)).body.error).toBe('ERROR_ACTIVITY_NOT_FOUND')
  })
})

describe('notifications', () => {
  it('im.notify.system.add / personal.add validate and are recorded', async () => {
    const { portal, admin } = await freshInstall()
    expect((await rest(portal, 'im.notify.system.add', { MESSAGE: 'x' }, admin)).body).toEqual({ error: 'USER_ID_EMPTY', error_description: "User ID can't be empty" })
    expect((await rest(portal, 'im.notify.personal.add', { USER_ID: 1, MESSAGE: '   ' }, admin)).body.error).toBe('MESSAGE_EMPTY')
    const id = (await rest(portal, 'im.notify.system.add', { USER_ID: 1, MESSAGE: '  Invites sent: [b]3[/b]  ', TAG: 'inv' }, admin)).body.result
    expect(typeof id).toBe('number')
    await rest(portal, 'im.notify.system.add', { USER_ID: 1, MESSAGE: 'Invites sent: 4', TAG: 'inv' }, admin)
    await rest(portal, 'im.notify.personal.add', { USER_ID: 1, MESSAGE: 'hi' }, admin)
    expect(portal.notifications().map((n) => [n.kind, n.message, n.tag])).toEqual([
      ['system', 'Invites sent: 4', 'inv'],
      ['personal', 'hi', ''],
    ])
  })
})
