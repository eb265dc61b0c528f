/**
 * The install → iframe → API → events → uninstall lifecycle over real HTTP against the emulated portal,
 * on SQLite and PostgreSQL, including every forged request the trust rules must refuse.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BACKENDS } from '../helpers/databases.js'
import {
  CLIENT_ID, CLIENT_SECRET, bootOf, installThroughPortal, openApp, postForm, startInstance, startStack, until, type Stack,
} from '../helpers/stack.js'

for (const backend of BACKENDS) {
  describe(`lifecycle on ${backend.name}`, () => {
    let s: Stack
    beforeEach(async () => {
      s = await startStack(backend)
    })
    afterEach(async () => {
      await s?.close()
    })

    const portalRow = () => s.a.app.stores.portals.get(s.portal.memberId)

    it('GET /healthz reports the database', async () => {
      const res = await fetch(`${s.a.url}/healthz`)
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ status: 'ok', db: 'ok' })
    })

    it('an instance stopped the moment it started leaves no query behind once its database is closed', async () => {
      // start() looks for work at once; stop() must await that look, or it fails later on a closed pool.
      const rejections: unknown[] = []
      const onRejection = (e: unknown) => void rejections.push(e)
      process.on('unhandledRejection', onRejection)
      try {
        for (let k = 0; k < 5; k++) {
          const database = await s.db.openPeer()
          const instance = await startInstance({ emu: s.emu, database, logs: s.logs })
          await instance.close()
          await database.close()
        }
        await new Promise((r) => setTimeout(r, 200))
      } finally {
        process.off('unhandledRejection', onRejection)
      }
      expect(rejections.map(String)).toEqual([])
    })

    it('installs: page verified through OAuth, events and placements bound, ONAPPINSTALL stores the application token', async () => {
      const { boot } = await installThroughPortal(s)
      expect(boot).toMatchObject({ mode: 'install', ok: true })
      expect(boot.registration.events).toEqual(['ONAPPINSTALL', 'ONAPPUNINSTALL', 'ONUSERADD'])
      expect(boot.registration.placements).toEqual(['LEFT_MENU', 'SONET_GROUP_DETAIL_TAB', 'CRM_CONTACT_DETAIL_TAB', 'CRM_COMPANY_DETAIL_TAB', 'USER_PROFILE_MENU'])
      expect(boot.registration.errors).toEqual([])

      const bound = s.portal.events().map((e: any) => `${e.event}→${e.handler}`).sort()
      expect(bound).toEqual(['ONAPPINSTALL', 'ONAPPUNINSTALL', 'ONUSERADD'].map((e) => `${e}→${s.a.url}/events`))
      expect(s.portal.placements().map((p: any) => p.placement)).toEqual(['LEFT_MENU', 'SONET_GROUP_DETAIL_TAB', 'CRM_CONTACT_DETAIL_TAB', 'CRM_COMPANY_DETAIL_TAB', 'USER_PROFILE_MENU'])

      const row = await until(async () => ((await portalRow())?.status === 'installed' ? await portalRow() : undefined), 'installed')
      expect(row.applicationToken).toBeTruthy()
      expect(row.appCode).toBe(CLIENT_ID)
      expect(row.domain).toBe(s.portal.domain)
      expect(row.capabilities['user.add']).toBe(true)
      expect(row.capabilities['intranet.invite.reinvite']).toBe(false)

      // Tokens are sealed at rest: nothing in the raw row equals a token.
      const raw = await s.db.db.selectFrom('portals').selectAll().where('member_id', '=', s.portal.memberId).executeTakeFirstOrThrow()
      const rawText = JSON.stringify(raw)
      expect(rawText).not.toContain(row.tokens!.accessToken)
      expect(rawText).not.toContain(row.tokens!.refreshToken)
      expect(rawText).not.toContain(row.applicationToken!)
    })

    it('re-running install changes nothing twice', async () => {
      await installThroughPortal(s)
      const binds = () => s.portal.callCount('event.bind') + s.portal.callCount('placement.bind')
      const before = binds()
      const f = s.portal.beginInstall(CLIENT_ID)
      const res = await postForm(`${s.a.url}/install?${new URLSearchParams(f.query)}`, f.body)
      expect(res.status).toBe(200)
      expect(binds()).toBe(before)
      expect(s.portal.events()).toHaveLength(3)
      expect(s.portal.placements()).toHaveLength(5)
    })

    it('opens the app in the iframe: AUTH_ID verified, session minted, API scoped to the portal, CSP names the portal', async () => {
      await installThroughPortal(s)
      const res = await openApp(s)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-security-policy')).toContain(`frame-ancestors ${s.portal.origin}`)
      const boot = res.boot!
      expect(boot).toMatchObject({ mode: 'app', placement: 'DEFAULT', user: { id: 1, isAdmin: true }, portal: { memberId: s.portal.memberId } })
      const me = await fetch(`${s.a.url}/api/me`, { headers: { authorization: `Bearer ${boot.session.token}` } })
      expect(me.status).toBe(200)
      expect(await me.json()).toMatchObject({ user: { id: 1, isAdmin: true }, portal: { domain: s.portal.domain, status: 'installed' } })

      const noSession = await fetch(`${s.a.url}/api/me`)
      expect(noSession.status).toBe(401)
      expect((await noSession.json()).error.code).toBe('session_invalid')
      const badSession = await fetch(`${s.a.url}/api/me`, { headers: { authorization: `Bearer ${'x'.repeat(43)}` } })
      expect((await badSession.json()).error.code).toBe('session_expired')
    })

    it('a non-admin gets a non-admin session and admin-only endpoints refuse', async () => {
      await installThroughPortal(s)
      const user = s.portal.addUser({ EMAIL: 'worker@example.com', NAME: 'Wo', LAST_NAME: 'Rker' })
      const res = await openApp(s, { userId: user.ID as number })
      expect(res.status).toBe(200)
      expect(res.boot!.user).toMatchObject({ id: Number(user.ID), isAdmin: false })
      const r = await fetch(`${s.a.url}/api/settings/reapply`, { method: 'POST', headers: { authorization: `Bearer ${res.boot!.session.token}` } })
      expect(r.status).toBe(403)
      expect((await r.json()).error.code).toBe('admin_only')
    })

    it('refuses forged iframe POSTs and installs', async () => {
      await installThroughPortal(s)
      const f = s.portal.appFrameFields(CLIENT_ID)
      const forged = await postForm(`${s.a.url}/app?${new URLSearchParams(f.query)}`, { ...f.body, AUTH_ID: 'forged-token-value' })
      expect(forged.status).toBe(401)
      expect(bootOf(forged.text)).toMatchObject({ mode: 'error', error: { code: 'auth_failed' } })
      expect(forged.text).not.toContain('forged-token-value')

      const unknown = await postForm(`${s.a.url}/app`, { ...f.body, member_id: 'nope' })
      expect(unknown.status).toBe(403)
      expect(unknown.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")

      // A genuine token of ANOTHER portal, claiming this member_id, is not accepted.
      const other = await s.emu.createPortal({})
      other.registerApp(CLIENT_ID, { handlerUrl: `${s.a.url}/app`, installUrl: `${s.a.url}/install` })
      const o = other.beginInstall(CLIENT_ID)
      const cross = await postForm(`${s.a.url}/app`, { ...o.body, member_id: s.portal.memberId })
      expect(cross.status).toBe(401)
      const crossInstall = await postForm(`${s.a.url}/install`, { ...o.body, member_id: s.portal.memberId })
      expect(crossInstall.status).toBe(403)
      expect(bootOf(crossInstall.text)).toMatchObject({ mode: 'install', ok: false, error: { code: 'member_mismatch' } })
      expect(await s.a.app.stores.portals.get(other.memberId)).toBeUndefined()

      const noAuth = await fetch(`${s.a.url}/app`)
      expect(noAuth.status).toBe(401)
      const sessions = await s.db.db.selectFrom('app_sessions').select('id').execute()
      expect(sessions).toHaveLength(0)
    })

    it('a posted DOMAIN or SERVER_ENDPOINT pointing elsewhere never receives the client secret or a token', async () => {
      const seen: string[] = []
      const trap = http.createServer((req, res) => {
        let body = ''
        req.on('data', (c) => (body += c))
        req.on('end', () => {
          seen.push(`${req.method} ${req.url} ${body}`)
          res.end('{}')
        })
      })
      await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r))
      const trapHost = `127.0.0.1:${(trap.address() as AddressInfo).port}`
      try {
        const f = s.portal.beginInstall(CLIENT_ID)
        const q = new URLSearchParams({ ...f.query, DOMAIN: trapHost })
        const res = await postForm(`${s.a.url}/install?${q}`, { ...f.body, DOMAIN: trapHost, SERVER_ENDPOINT: `http://${trapHost}/rest/` })
        expect(res.status).toBe(200)
        await s.portal.finishInstall(CLIENT_ID)
        const o = await openApp(s)
        expect(o.status).toBe(200)
        const f2 = s.portal.appFrameFields(CLIENT_ID)
        await postForm(`${s.a.url}/app?${new URLSearchParams({ ...f2.query, DOMAIN: trapHost })}`, { ...f2.body, DOMAIN: trapHost, SERVER_ENDPOINT: `http://${trapHost}/rest/` })
        expect(seen).toEqual([])
        expect(JSON.stringify(seen)).not.toContain(CLIENT_SECRET)
      } finally {
        trap.close()
      }
    })

    it('refuses forged ONAPPINSTALL, ONAPPUNINSTALL and robot calls and changes nothing', async () => {
      await installThroughPortal(s)
      const before = await portalRow()
      const auth = { member_id: s.portal.memberId, domain: s.portal.domain, client_endpoint: s.portal.clientEndpoint }

      const fakeInstall = await postForm(`${s.a.url}/events`, {
        event: 'ONAPPINSTALL', data: { VERSION: '1' },
        auth: { ...auth, access_token: 'stolen?', refresh_token: 'made-up', application_token: 'attacker-app-token' },
      })
      expect([401, 403]).toContain(fakeInstall.status)
      const fakeInstall2 = await postForm(`${s.a.url}/events`, { event: 'ONAPPINSTALL', auth: { ...auth, access_token: 'made-up', application_token: 'attacker-app-token' } })
      expect([401, 403]).toContain(fakeInstall2.status)

      const fakeUninstall = await postForm(`${s.a.url}/events`, { event: 'ONAPPUNINSTALL', data: { CLEAN: 1 }, auth: { ...auth, application_token: 'wrong' } })
      expect(fakeUninstall.status).toBe(401)
      const noToken = await postForm(`${s.a.url}/events`, { event: 'ONAPPUNINSTALL', data: { CLEAN: 1 }, auth })
      expect(noToken.status).toBe(401)

      const fakeRobot = await postForm(`${s.a.url}/robots/invite_employee`, { code: 'invite_employee', auth: { ...auth, application_token: 'wrong' }, properties: { EMAIL: 'x@y.z' } })
      expect(fakeRobot.status).toBe(401)

      await s.a.app.events.idle()
      const after = await portalRow()
      expect(after).toEqual(before)
      expect(await s.db.db.selectFrom('event_inbox').select('id').execute()).toHaveLength(0)
    })

    it('genuine events are persisted then processed; a genuine robot call is verified (no robots yet → 404)', async () => {
      await installThroughPortal(s)
      const user = s.portal.addUser({ EMAIL: 'new@example.com', invited: true })
      const [d] = await s.portal.acceptInvitation(user.ID as number)
      expect(d?.status).toBe(200)
      await s.a.app.events.idle()
      const rows = await s.db.db.selectFrom('event_inbox').select(['event', 'status']).execute()
      expect(rows).toEqual([{ event: 'ONUSERADD', status: 'done' }])

      // Robots arrive in a later issue; a call carrying the genuine application token passes verification.
      const appToken = (await portalRow())!.applicationToken
      const robot = await postForm(`${s.a.url}/robots/no_such_robot`, {
        code: 'no_such_robot', document_id: ['crm', 'CCrmDocumentDeal', 'DEAL_1'],
        auth: { member_id: s.portal.memberId, application_token: appToken },
      })
      expect(robot.status).toBe(404)
      expect(JSON.parse(robot.text).error.code).toBe('unknown_robot')
    })

    it('genuine ONAPPUNINSTALL without CLEAN drops tokens and sessions; with CLEAN deletes the portal', async () => {
      await installThroughPortal(s)
      const { boot } = await openApp(s)
      await s.portal.uninstallApp(CLIENT_ID, { clean: false })
      await until(async () => (await portalRow())?.status === 'uninstalled', 'uninstalled')
      const row = await portalRow()
      expect(row?.tokens).toBeNull()
      expect(row?.applicationToken).toBeNull()
      const me = await fetch(`${s.a.url}/api/me`, { headers: { authorization: `Bearer ${boot!.session.token}` } })
      expect(me.status).toBe(401)

      await installThroughPortal(s)
      await until(async () => (await portalRow())?.status === 'installed', 'reinstalled')
      await s.portal.uninstallApp(CLIENT_ID, { clean: true })
      await until(async () => ((await portalRow()) === undefined ? true : undefined), 'deleted')
    })

    it('a dead refresh token marks the portal "needs reinstall" and the iframe boot says so', async () => {
      await installThroughPortal(s)
      s.portal.revokeRefreshTokens()
      s.portal.expireAccessTokens()
      await expect(s.a.app.gateway.call(s.portal.memberId, 'user.current')).rejects.toMatchObject({ code: 'needs_reinstall' })
      expect((await portalRow())?.status).toBe('needs_reinstall')
      const res = await openApp(s)
      expect(res.boot!.portal.status).toBe('needs_reinstall')
    })
  })
}
