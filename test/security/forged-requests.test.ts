/**
 * Forged inbound calls, on SQLite and PostgreSQL, against one emulator with two installed portals (A, B).
 *
 * The routes come from the app itself: every event, robot and placement the manifest declares, sent to the
 * handler URL the portal bound at install (the emulator's side), and a guard that walks the Express router so
 * that a new route the portal can call fails here until it is swept. For each:
 * - events and robots (proof: the stored application_token): no token, an empty one, one of the same length,
 *   one differing only in its last character, an array instead of a string, B's genuine token under A's
 *   member_id, A's token under B's member_id and under an unknown one, and no auth block at all;
 * - ONAPPINSTALL (proof: an access or refresh token the OAuth server or the stored endpoint accepts): made-up
 *   tokens, B's genuine tokens under A's member_id, A's under B's or an unknown one, a last character changed;
 * - the install page and the app frame of every placement (proof: REFRESH_ID, AUTH_ID): the same families.
 * Every forged call also names an attacker's server as DOMAIN / SERVER_ENDPOINT / client_endpoint; that
 * server counts requests and must see none, ever. Each forgery must be refused (401/403 as the app answers),
 * change nothing (portal rows, inbox, robot runs, audit, sessions, emulator users and calls), set no cookie
 * and echo no token. The same call with the genuine proof is then accepted, so every case can fail.
 */
import http from 'node:http'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MANIFEST } from '../../install/manifest.js'
import { BACKENDS, type Backend } from '../helpers/databases.js'
import { installedAdmin, startTestStack, withPortal } from '../helpers/api.js'
import { APP_SECRET, CLIENT_ID, CLIENT_SECRET, METRICS_TOKEN, bootOf, form, installThroughPortal, until, type Stack } from '../helpers/stack.js'
import type { PortalHandle } from '../emulator/index.js'
import { routesOf } from '../helpers/express-routes.js'
import { appTokenOf, issuedTokens } from '../helpers/emulator-secrets.js'

/** Routes outside /api the portal calls (each swept below), and the others (public or operator routes, swept elsewhere). */
const PORTAL_CALLED = ['ALL /app', 'ALL /install', 'POST /events', 'POST /robots/:code']
const NOT_PORTAL_CALLED = ['GET /healthz', 'GET /metrics', 'GET /join/:token', 'POST /join/:token']
const LIMITS = { burst: 100_000, drainPerSec: 10_000 }
/** Tables a forged call must not touch. */
const TABLES = ['event_inbox', 'robot_runs', 'audit_log', 'app_sessions', 'invite_jobs', 'invitations', 'portals'] as const

interface Answer { status: number; text: string; headers: Headers }

interface World {
  stack: Stack
  a: PortalHandle
  b: PortalHandle
  /** The attacker's server: every request it receives, as "METHOD url". */
  trapSeen: string[]
  trapHost: string
  trapClose(): Promise<void>
  groupId: number
  /** A plain (non-admin) user of A. */
  employee: number
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex')
/** The same string with its last character replaced (so the same length, one character off). */
const lastCharOff = (s: string) => s.slice(0, -1) + (s.endsWith('0') ? '1' : '0')
/** A random token of the same length and alphabet as `s`. */
const sameLength = (s: string) => hex(Math.ceil(s.length / 2)).slice(0, s.length)

async function post(url: string, body: Record<string, unknown>, query: Record<string, string> = {}): Promise<Answer> {
  const q = new URLSearchParams(query).toString()
  const res = await fetch(q ? `${url}?${q}` : url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(body) })
  return { status: res.status, text: await res.text(), headers: res.headers }
}

/** Everything a forged call could change. */
async function stateOf(w: World): Promise<Record<string, unknown>> {
  const db = w.stack.a.app.db.db
  const counts: Record<string, number> = {}
  for (const t of TABLES) counts[t] = Number((await sql<{ n: number | string }>`select count(*) as n from ${sql.table(t)}`.execute(db)).rows[0]!.n)
  const portals = await Promise.all([w.a, w.b].map((p) => w.stack.a.app.stores.portals.get(p.memberId)))
  const emu = (p: PortalHandle) => ({
    users: p.users().map((u) => `${u.ID} ${u.EMAIL}`),
    writes: ['user.add', 'sonet_group.user.add', 'sonet_group.user.invite', 'bizproc.event.send', 'im.notify.system.add', 'event.bind', 'placement.bind', 'bizproc.robot.add'].map((m) => `${m} ×${p.callCount(m)}`),
  })
  return { counts, portals, a: emu(w.a), b: emu(w.b) }
}

function headerLines(h: Headers): string[] {
  const out: string[] = []
  h.forEach((v, k) => out.push(`${k}: ${v}`))
  return out
}

/** The token values a call carries (not its ids or endpoints, which an answer may name). */
function tokensIn(fields: Record<string, unknown> | undefined): string[] {
  const keys = ['application_token', 'access_token', 'refresh_token', 'AUTH_ID', 'REFRESH_ID', 'APPLICATION_TOKEN']
  return Object.entries(fields ?? {}).filter(([k]) => keys.includes(k)).flatMap(([, v]) => [v].flat()).filter((v): v is string => typeof v === 'string')
}

/** Checks shared by every forged answer; returns the problems found. */
async function refusalProblems(w: World, label: string, res: Answer, statuses: number[], sent: string[]): Promise<string[]> {
  const problems: string[] = []
  if (!statuses.includes(res.status)) problems.push(`${label}: answered ${res.status}, expected ${statuses.join('/')}: ${res.text.slice(0, 200)}`)
  if (res.headers.get('set-cookie') !== null) problems.push(`${label}: set a cookie`)
  problems.push(...(await leaks(w, label, res, sent)))
  return problems
}

/** Tokens and secrets an answer shows: every token the emulator issued, both portals' application tokens, the values sent. */
async function leaks(w: World, label: string, res: Answer, sent: string[]): Promise<string[]> {
  const secrets = [
    ...issuedTokens(w.a), appTokenOf(w.a), appTokenOf(w.b), CLIENT_SECRET, APP_SECRET, METRICS_TOKEN, ...sent,
  ].filter((s) => s.length >= 8)
  const text = `${res.text}\n${headerLines(res.headers).join('\n')}`
  return secrets.filter((s) => text.includes(s)).map((s) => `${label}: the answer shows a token (${s.slice(0, 6)}…)`)
}

async function buildWorld(backend: Backend): Promise<World> {
  // Trust is the subject, not rate limits: a refused frame costs the portal a REST call, and a limited one would
  // fail the genuine control for the wrong reason.
  const stack = await startTestStack(backend, { portal: { lang: 'en', limits: LIMITS }, pacing: { limitsFor: () => LIMITS } })
  const trapSeen: string[] = []
  const trap = http.createServer((req, res) => {
    trapSeen.push(`${req.method} ${req.url}`)
    req.resume()
    res.end('{}')
  })
  try {
    await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r))
    // Background passes could change the counted rows between two snapshots; they have suites of their own.
    await stack.a.app.scheduler.stop()
    await stack.a.app.collabs.scheduler.stop()
    await installedAdmin(stack)
    const b = await stack.emu.createPortal({ lang: 'en', limits: LIMITS })
    b.registerApp(CLIENT_ID, { handlerUrl: `${stack.a.url}/app`, installUrl: `${stack.a.url}/install` })
    await installedAdmin(withPortal(stack, b))
    const a = stack.portal
    const employee = a.addUser({ NAME: 'Emma', LAST_NAME: 'Plain', EMAIL: 'emma@forged-a.example', UF_DEPARTMENT: [1] }).ID
    const groupId = a.addGroup({ NAME: 'Forged Partners', OWNER_ID: 1, IS_EXTRANET: true }).ID
    await stack.a.app.directorySync.sync(a.memberId, { forceFull: true })
    return {
      stack, a, b, trapSeen, groupId, employee,
      trapHost: `127.0.0.1:${(trap.address() as AddressInfo).port}`,
      trapClose: () => new Promise<void>((r) => trap.close(() => r())),
    }
  } catch (e) {
    trap.close()
    await stack.close()
    throw e
  }
}

/** Lets the app finish what earlier calls started, so a snapshot holds still. */
async function settle(w: World): Promise<void> {
  await w.stack.a.app.events.idle()
  await w.stack.a.app.robots.worker.drain()
  await w.stack.a.app.runner.drain()
}

/** The bound handler for a manifest path, as the portal calls it. */
function boundUrl(w: World, kind: 'event' | 'robot', name: string): string {
  const url = kind === 'event'
    ? w.a.events().find((e) => e.event === name && e.handler.startsWith(w.stack.a.url))?.handler
    : w.a.robots().find((r) => r.code === name)?.handler
  if (!url) throw new Error(`portal A has no ${kind} handler bound for ${name}`)
  return url
}

/** What an attacker changes in an application-token-proven callback's auth block. */
function appTokenForgeries(w: World, tokenA: string, tokenB: string): Array<{ what: string; auth: Record<string, unknown> | undefined }> {
  const trap = { domain: w.trapHost, client_endpoint: `http://${w.trapHost}/rest/`, server_endpoint: `http://${w.trapHost}/rest/` }
  const withA = { ...trap, member_id: w.a.memberId }
  return [
    { what: 'no application_token', auth: { ...withA } },
    { what: 'an empty application_token', auth: { ...withA, application_token: '' } },
    { what: 'a wrong token of the same length', auth: { ...withA, application_token: sameLength(tokenA) } },
    { what: 'the token with its last character changed', auth: { ...withA, application_token: lastCharOff(tokenA) } },
    { what: 'the token as an array', auth: { ...withA, application_token: [tokenA] } },
    { what: 'B\'s genuine token under A\'s member_id', auth: { ...withA, application_token: tokenB } },
    { what: 'A\'s token under B\'s member_id', auth: { ...trap, member_id: w.b.memberId, application_token: tokenA } },
    { what: 'A\'s token under an unknown member_id', auth: { ...trap, member_id: hex(16), application_token: tokenA } },
    { what: 'A\'s token without a member_id', auth: { ...trap, application_token: tokenA } },
    { what: 'no auth block at all', auth: undefined },
  ]
}

/** Properties a genuine call of each robot carries (a robot the sweep does not know gets none: the forgeries hold all the same). */
function robotProperties(w: World, code: string, email: string): Record<string, unknown> {
  const known: Record<string, Record<string, unknown>> = {
    invite_employee: { EMAIL: email, NAME: 'Forged', LAST_NAME: 'Caller', DEPARTMENT: '1' },
    invite_guest: { EMAIL: email, NAME: 'Forged', GROUP_ID: String(w.groupId) },
    add_to_group: { USER: `user_${w.employee}`, GROUP_ID: String(w.groupId) },
    wait_acceptance: { EMAIL: email, WAIT_DAYS: '1' },
  }
  return known[code] ?? {}
}

const EVENT_DATA: Record<string, Record<string, unknown>> = {
  ONAPPINSTALL: { VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'en' },
  // CLEAN=1: a forgery that got through would delete the portal's data.
  ONAPPUNINSTALL: { LANGUAGE_ID: 'en', CLEAN: '1' },
  ONUSERADD: { FIELDS: { ID: '1' } },
}

for (const backend of BACKENDS) {
  describe.sequential(`forged inbound calls on ${backend.name}`, () => {
    let w: World | undefined
    beforeAll(async () => {
      w = await buildWorld(backend)
    }, 60_000)
    afterAll(async () => {
      await w?.trapClose()
      await w?.stack.close()
    })

    it('sweeps every route the portal can call: the manifest\'s events, robots and placements, bound where the app says', () => {
      const { stack, a } = w!
      const routes = routesOf(stack.a.app.http).filter((r) => !/ \/api(\/|$)/.test(r))
      expect(routes).toEqual([...PORTAL_CALLED, ...NOT_PORTAL_CALLED].sort())
      const url = stack.a.url
      expect(a.events().filter((e) => e.handler.startsWith(url)).map((e) => `${e.event} ${e.handler}`).sort())
        .toEqual(MANIFEST.events.map((e) => `${e.event} ${url}${e.path}`).sort())
      expect(a.robots().map((r) => `${r.code} ${r.handler}`).sort()).toEqual(MANIFEST.robots.map((r) => `${r.code} ${url}${r.path}`).sort())
      expect(a.placements().map((p) => `${p.placement} ${p.handler}`).sort()).toEqual(MANIFEST.placements.map((p) => `${p.placement} ${url}${p.path}`).sort())
      // Each handler path is one of the swept routes.
      const swept = (path: string) => PORTAL_CALLED.some((r) => new RegExp(`^${r.split(' ')[1]!.replace(/:[a-z]+/g, '[^/]+')}$`).test(path))
      for (const path of [...MANIFEST.events, ...MANIFEST.robots, ...MANIFEST.placements].map((x) => x.path)) expect(swept(path), path).toBe(true)
    })

    for (const { event } of MANIFEST.events) {
      it(`event ${event}: every forged delivery is refused and changes nothing; the genuine one is accepted`, async () => {
        const world = w!
        const { stack, a, b } = world
        await settle(world)
        const url = boundUrl(world, 'event', event)
        const [tokenA, tokenB] = [appTokenOf(a), appTokenOf(b)]
        const body = (auth: Record<string, unknown> | undefined) => ({
          event, event_handler_id: '1', data: EVENT_DATA[event] ?? {}, ts: String(Math.floor(Date.now() / 1000)), ...(auth ? { auth } : {}),
        })
        const before = await stateOf(world)
        const problems: string[] = []

        if (event === 'ONAPPINSTALL') {
          // Its proof is an OAuth token; the application_token it carries is what a forgery would plant.
          const planted = `attacker-app-token-${hex(8)}`
          const trap = { domain: world.trapHost, client_endpoint: `http://${world.trapHost}/rest/`, server_endpoint: `http://${world.trapHost}/rest/` }
          const ta = a.issueTokens(CLIENT_ID, 1)
          const tb = b.issueTokens(CLIENT_ID, 1)
          const cases: Array<{ what: string; auth: Record<string, unknown>; statuses: number[] }> = [
            { what: 'no application_token, A\'s genuine tokens', auth: { ...trap, member_id: a.memberId, access_token: ta.access_token, refresh_token: ta.refresh_token }, statuses: [401] },
            { what: 'made-up tokens of the genuine length', auth: { ...trap, member_id: a.memberId, access_token: sameLength(ta.access_token), refresh_token: sameLength(ta.refresh_token), application_token: planted }, statuses: [401] },
            { what: 'A\'s refresh token with its last character changed', auth: { ...trap, member_id: a.memberId, refresh_token: lastCharOff(a.issueTokens(CLIENT_ID, 1).refresh_token), application_token: planted }, statuses: [401] },
            { what: 'A\'s access token with its last character changed', auth: { ...trap, member_id: a.memberId, access_token: lastCharOff(ta.access_token), application_token: planted }, statuses: [401] },
            { what: 'B\'s genuine tokens under A\'s member_id', auth: { ...trap, member_id: a.memberId, access_token: tb.access_token, refresh_token: tb.refresh_token, application_token: planted }, statuses: [403] },
            { what: 'B\'s genuine access token under A\'s member_id', auth: { ...trap, member_id: a.memberId, access_token: b.issueTokens(CLIENT_ID, 1).access_token, application_token: planted }, statuses: [401] },
            { what: 'A\'s genuine tokens under B\'s member_id', auth: { ...trap, member_id: b.memberId, ...pick(a.issueTokens(CLIENT_ID, 1)), application_token: planted }, statuses: [403] },
            { what: 'A\'s genuine access token under B\'s member_id', auth: { ...trap, member_id: b.memberId, access_token: a.issueTokens(CLIENT_ID, 1).access_token, application_token: planted }, statuses: [401] },
            { what: 'A\'s genuine tokens under an unknown member_id', auth: { ...trap, member_id: hex(16), ...pick(a.issueTokens(CLIENT_ID, 1)), application_token: planted }, statuses: [403] },
            { what: 'A\'s genuine access token under an unknown member_id', auth: { ...trap, member_id: hex(16), access_token: a.issueTokens(CLIENT_ID, 1).access_token, application_token: planted }, statuses: [401] },
            { what: 'no auth block at all', auth: {}, statuses: [401] },
          ]
          for (const c of cases) {
            const res = await post(url, body(Object.keys(c.auth).length ? c.auth : undefined))
            problems.push(...(await refusalProblems(world, `${event} with ${c.what}`, res, c.statuses, [planted, ...tokensIn(c.auth)])))
          }
          await settle(world)
          expect(problems).toEqual([])
          expect(await stateOf(world)).toEqual(before)

          // The genuine one: A's fresh tokens under A's member_id (the application token A really has, so A keeps working).
          const audits = (await stack.a.app.stores.audit.list(a.memberId, { limit: 200, action: 'app.installed' })).length
          const genuineAuth = { ...trap, member_id: a.memberId, ...pick(a.issueTokens(CLIENT_ID, 1)), application_token: tokenA }
          const genuine = await post(url, body(genuineAuth))
          expect(genuine.status, genuine.text).toBe(200)
          expect(await leaks(world, `${event} genuine`, genuine, tokensIn(genuineAuth))).toEqual([])
          expect((await stack.a.app.stores.audit.list(a.memberId, { limit: 200, action: 'app.installed' })).length).toBe(audits + 1)
        } else {
          const forgeries = appTokenForgeries(world, tokenA, tokenB)
          for (const f of forgeries) {
            const res = await post(url, body(f.auth))
            problems.push(...(await refusalProblems(world, `${event} with ${f.what}`, res, [401], tokensIn(f.auth))))
          }
          await settle(world)
          expect(problems).toEqual([])
          expect(await stateOf(world)).toEqual(before)

          // The same delivery with A's token and member_id (the attacker's endpoints still in it) is stored.
          const inbox = (before.counts as Record<string, number>).event_inbox!
          const genuine = await post(url, body({ ...forgeries[0]!.auth, application_token: tokenA }))
          expect(genuine.status, genuine.text).toBe(200)
          expect(JSON.parse(genuine.text)).toMatchObject({ accepted: true, id: expect.any(Number) })
          expect(await leaks(world, `${event} genuine`, genuine, [tokenA])).toEqual([])
          await settle(world)
          if (event !== 'ONAPPUNINSTALL') {
            expect(((await stateOf(world)).counts as Record<string, number>).event_inbox).toBe(inbox + 1)
          } else {
            // That one really uninstalled (CLEAN=1 deletes A's row): A installs again for the cases after it.
            await until(async () => ((await stack.a.app.stores.portals.get(a.memberId)) === undefined ? true : undefined), 'A deleted')
            await installThroughPortal(stack)
            await until(async () => (await stack.a.app.stores.portals.get(a.memberId))?.status === 'installed', 'A installed again')
            expect((await stack.a.app.stores.portals.get(a.memberId))?.applicationToken).toBe(tokenA)
          }
        }
        expect(world.trapSeen).toEqual([])
      })
    }

    for (const { code } of MANIFEST.robots) {
      it(`robot ${code}: every forged call is refused before anything is stored; the same call with A's token is accepted`, async () => {
        const world = w!
        const { stack, a, b } = world
        await settle(world)
        const url = boundUrl(world, 'robot', code)
        const [tokenA, tokenB] = [appTokenOf(a), appTokenOf(b)]
        const email = `forged-${code.replace(/_/g, '-')}@forged-robot.example`
        const workflowId = `${hex(7)}.${Date.now()}`
        const call = (auth: Record<string, unknown> | undefined) => ({
          workflow_id: workflowId, code, document_id: ['crm', 'CCrmDocumentDeal', 'DEAL_9'], document_type: ['crm', 'CCrmDocumentDeal', 'DEAL'],
          event_token: `${workflowId}|A1_2|${hex(16)}`, properties: robotProperties(world, code, email), use_subscription: 'Y', timeout_duration: '0',
          ts: String(Math.floor(Date.now() / 1000)), ...(auth ? { auth } : {}),
        })
        const before = await stateOf(world)
        const problems: string[] = []
        const forgeries = appTokenForgeries(world, tokenA, tokenB)
        for (const f of forgeries) {
          const res = await post(url, call(f.auth))
          problems.push(...(await refusalProblems(world, `${code} with ${f.what}`, res, [401], tokensIn(f.auth))))
        }
        await settle(world)
        expect(problems).toEqual([])
        expect(await stateOf(world)).toEqual(before)
        expect(a.users().some((u) => u.EMAIL === email)).toBe(false)

        // Genuine: A's token and member_id. The attacker's endpoints stay in the auth block: the app must still
        // answer through the endpoint it stored, never through one a call names.
        const genuine = await post(url, call({ ...forgeries[0]!.auth, application_token: tokenA, user_id: '1' }))
        expect(genuine.status, genuine.text).toBe(200)
        expect(JSON.parse(genuine.text)).toEqual({ accepted: true, duplicate: false })
        await settle(world)
        expect(((await stateOf(world)).counts as Record<string, number>).robot_runs).toBe((before.counts as Record<string, number>).robot_runs! + 1)
        expect(world.trapSeen).toEqual([])
        expect(await leaks(world, `${code} genuine`, genuine, [tokenA])).toEqual([])
      })
    }

    it('a robot code the app does not have: a forged call learns nothing (401 before the code is looked at), a genuine one 404', async () => {
      const world = w!
      const url = `${world.stack.a.url}/robots/delete_everyone`
      const body = (token: string) => ({ code: 'delete_everyone', event_token: `x|A1_1|${hex(16)}`, properties: {}, auth: { member_id: world.a.memberId, application_token: token } })
      const forged = await post(url, body(sameLength(appTokenOf(world.a))))
      expect({ status: forged.status, code: JSON.parse(forged.text).error.code }).toEqual({ status: 401, code: 'bad_application_token' })
      const genuine = await post(url, body(appTokenOf(world.a)))
      expect({ status: genuine.status, code: JSON.parse(genuine.text).error.code }).toEqual({ status: 404, code: 'unknown_robot' })
    })

    it('the install page: a forged, foreign or altered REFRESH_ID installs nothing and reaches no posted DOMAIN', async () => {
      const world = w!
      const { stack, a, b } = world
      await settle(world)
      const installUrl = `${stack.a.url}/install`
      const trapFields = { DOMAIN: world.trapHost, SERVER_ENDPOINT: `http://${world.trapHost}/rest/` }
      const fieldsA = () => a.appFrameFields(CLIENT_ID, { userId: 1 })
      const before = await stateOf(world)
      const cases: Array<{ what: string; body: Record<string, string>; query: Record<string, string>; statuses: number[] }> = []
      const add = (what: string, f: { query: Record<string, string>; body: Record<string, string> }, patch: Record<string, string | undefined>, statuses: number[]) => {
        const bodyFields: Record<string, string> = { ...f.body, ...trapFields }
        for (const [k, v] of Object.entries(patch)) {
          if (v === undefined) delete bodyFields[k]
          else bodyFields[k] = v
        }
        cases.push({ what, body: bodyFields, query: { ...f.query, DOMAIN: world.trapHost }, statuses })
      }
      const fa = fieldsA()
      add('no REFRESH_ID', fa, { REFRESH_ID: undefined }, [401])
      add('a made-up REFRESH_ID of the same length', fieldsA(), { REFRESH_ID: sameLength(fa.body.REFRESH_ID!) }, [401])
      add('A\'s REFRESH_ID with its last character changed', fieldsA(), { REFRESH_ID: lastCharOff(fieldsA().body.REFRESH_ID!) }, [401])
      add('B\'s genuine REFRESH_ID under A\'s member_id', fieldsA(), { REFRESH_ID: b.appFrameFields(CLIENT_ID, { userId: 1 }).body.REFRESH_ID! }, [403])
      add('A\'s genuine REFRESH_ID under B\'s member_id', fieldsA(), { member_id: b.memberId }, [403])
      add('A\'s genuine REFRESH_ID under an unknown member_id', fieldsA(), { member_id: hex(16) }, [403])
      add('a genuine REFRESH_ID of A\'s non-admin user', a.appFrameFields(CLIENT_ID, { userId: world.employee }), {}, [403])
      const problems: string[] = []
      for (const c of cases) {
        const res = await post(installUrl, c.body, c.query)
        problems.push(...(await refusalProblems(world, `install with ${c.what}`, res, c.statuses, tokensIn(c.body))))
        if (res.status !== 200 && bootOf(res.text).ok !== false) problems.push(`install with ${c.what}: the page does not say it failed`)
      }
      await settle(world)
      expect(problems).toEqual([])
      expect(await stateOf(world)).toEqual(before)

      const f = fieldsA()
      const genuine = await post(installUrl, { ...f.body, ...trapFields }, { ...f.query, DOMAIN: world.trapHost })
      expect(genuine.status, genuine.text.slice(0, 300)).toBe(200)
      expect(bootOf(genuine.text)).toMatchObject({ mode: 'install', ok: true })
      expect(await leaks(world, 'genuine install', genuine, tokensIn(f.body))).toEqual([])
      expect(world.trapSeen).toEqual([])
      // The install page leaves the portal "installing" until ONAPPINSTALL: the portal finishes it as it would.
      await installThroughPortal(stack)
      await until(async () => (await stack.a.app.stores.portals.get(a.memberId))?.status === 'installed', 'A installed again')
    })

    const entries = [{ placement: 'DEFAULT', path: '/app' }, ...MANIFEST.placements]
    for (const { placement, path } of entries) {
      it(`the app frame (${placement}): a forged, foreign or altered AUTH_ID opens no session and reaches no posted DOMAIN`, async () => {
        const world = w!
        const { stack, a, b } = world
        await settle(world)
        const url = placement === 'DEFAULT' ? `${stack.a.url}${path}` : a.placements().find((p) => p.placement === placement)?.handler
        expect(url, `${placement} is bound`).toBeDefined()
        const open = (p: PortalHandle, userId = 1) => p.appFrameFields(CLIENT_ID, { userId, ...(placement === 'DEFAULT' ? {} : { placement, placementOptions: { ID: '1' } }) })
        const trapFields = { DOMAIN: world.trapHost, SERVER_ENDPOINT: `http://${world.trapHost}/rest/` }
        const variant = (f: ReturnType<typeof open>, patch: Record<string, unknown>) => {
          const body: Record<string, unknown> = { ...f.body, ...trapFields }
          for (const [k, v] of Object.entries(patch)) {
            if (v === undefined) delete body[k]
            else body[k] = v
          }
          return { body, query: { ...f.query, DOMAIN: world.trapHost } }
        }
        const authA = open(a).body.AUTH_ID!
        const cases: Array<{ what: string; call: { body: Record<string, unknown>; query: Record<string, string> }; statuses: number[] }> = [
          { what: 'no AUTH_ID', call: variant(open(a), { AUTH_ID: undefined }), statuses: [401] },
          { what: 'a made-up AUTH_ID of the same length', call: variant(open(a), { AUTH_ID: sameLength(authA) }), statuses: [401] },
          { what: 'A\'s AUTH_ID with its last character changed', call: variant(open(a), { AUTH_ID: lastCharOff(open(a).body.AUTH_ID!) }), statuses: [401] },
          { what: 'the AUTH_ID as an array', call: variant(open(a), { AUTH_ID: [open(a).body.AUTH_ID!] }), statuses: [401] },
          { what: 'B\'s genuine AUTH_ID under A\'s member_id', call: variant(open(a), { AUTH_ID: open(b).body.AUTH_ID! }), statuses: [401] },
          { what: 'A\'s genuine AUTH_ID under B\'s member_id', call: variant(open(a), { member_id: b.memberId }), statuses: [401] },
          { what: 'A\'s genuine AUTH_ID under an unknown member_id', call: variant(open(a), { member_id: hex(16) }), statuses: [403] },
        ]
        const before = await stateOf(world)
        const problems: string[] = []
        for (const c of cases) {
          const res = await post(url!, c.call.body, c.call.query)
          const label = `${placement} frame with ${c.what}`
          problems.push(...(await refusalProblems(world, label, res, c.statuses, tokensIn(c.call.body))))
          if (bootOf(res.text).mode !== 'error') problems.push(`${label}: the page is not an error page`)
        }
        await settle(world)
        expect(problems).toEqual([])
        expect(await stateOf(world)).toEqual(before)

        const genuine = open(a)
        const res = await post(url!, variant(genuine, {}).body, variant(genuine, {}).query)
        expect(res.status, res.text.slice(0, 300)).toBe(200)
        expect(bootOf(res.text)).toMatchObject({ mode: 'app', placement, portal: { memberId: a.memberId }, session: { token: expect.any(String) } })
        expect(res.headers.get('set-cookie')).toBeNull()
        expect(await leaks(world, `${placement} genuine frame`, res, tokensIn(genuine.body))).toEqual([])
        expect(((await stateOf(world)).counts as Record<string, number>).app_sessions).toBe((before.counts as Record<string, number>).app_sessions! + 1)
        expect(world.trapSeen).toEqual([])
      })
    }

    it('the attacker\'s server received nothing in the whole sweep', () => {
      expect(w!.trapSeen).toEqual([])
    })
  })
}

/** The access and refresh token of a token answer. */
function pick(t: { access_token: string; refresh_token: string }): { access_token: string; refresh_token: string } {
  return { access_token: t.access_token, refresh_token: t.refresh_token }
}
