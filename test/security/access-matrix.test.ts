/**
 * The access matrix: every route of the JSON API, called by four actors over real HTTP, on SQLite and
 * PostgreSQL, against one emulator with two portals.
 *
 * Portal A holds a world with data of every kind, owned by its admin (user 1) or by M. M is the head and a
 * member of department D1. M owns the hidden extranet group G1 and the collab C1. E is a plain employee of
 * department D2 with no group roles. P is a plain member of D1 and of G1; P's requests make M the approver,
 * and the policy lets department heads see their departments' invitations, so M sees P's. Portal B has only
 * its own admin (and one pasted list of its own).
 *
 * Actors:
 * - other: B's admin, calling with A's ids.
 * - employee: E.
 * - manager: M.
 * - admin: A's admin.
 *
 * CASES below is the table. Each row has a route (the Express pattern), a path builder, a body and the
 * actors allowed. Every other actor must be refused (403 or 404 unless the row says otherwise), and the
 * answer must be only an error. Checks that run on every answer:
 * - no answer to any actor holds a secret that actor may not see. The world's `secrets` are ids, names and
 *   e-mails of A's rows, each with the actors who may see it. B may see none of them. Spreadsheets are
 *   read cell by cell.
 * - a refused call (any actor), and anything B does, leaves portal A exactly as it was: A's rows in every
 *   table that is not a cache, and the emulator's side of A (users, group rosters, invitations sent,
 *   notifications, robots, every write method's call count).
 * - list rows get their own checks: E sees only E's own rows, and M only M's (plus, in the ledger, those of
 *   D1's people, as the policy allows).
 * A guard walks the Express app's router stack. It fails when a route has no row in the table, and when a
 * row names a route that does not exist.
 */
import { randomUUID } from 'node:crypto'
import ExcelJS from 'exceljs'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_POLICY } from '../../server/policy/invite-policy.js'
import { DEFAULT_ROBOT_SETTINGS } from '../../server/robots/robot-settings.js'
import { DEFAULT_COLLAB_SETTINGS } from '../../server/collabs/collab-settings.js'
import { BACKENDS, type Backend } from '../helpers/databases.js'
import { apiFor, csv, finished, installedAdmin, sessionApi, startTestStack, uploadAndCheck, waitForJob, withPortal, type Api, type ApiAnswer } from '../helpers/api.js'
import { CLIENT_ID, form, until, type Stack } from '../helpers/stack.js'
import type { PortalHandle } from '../emulator/index.js'
import { routesOf } from '../helpers/express-routes.js'

type Actor = 'other' | 'employee' | 'manager' | 'admin'
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

const ACTORS: readonly Actor[] = ['other', 'employee', 'manager', 'admin']
const IN_A: readonly Actor[] = ['employee', 'manager', 'admin']
/** Admin-only routes that take no id of A: B's admin passes them on portal B (nothing of A's may show or change). */
const ADMINS: readonly Actor[] = ['other', 'admin']
const ADMIN: readonly Actor[] = ['admin']
const OK = [200, 201, 202]
const REFUSED = [403, 404]

const D1 = 10
const D2 = 20
const LIMITS = { burst: 100_000, drainPerSec: 10_000 }
const DEAL: [string, string, string] = ['crm', 'CCrmDocumentDeal', 'DEAL_77']
const KIT = {
  inviteTemplateId: null, welcomeText: { ru: 'Добро пожаловать, {name}!', en: 'Welcome, {name}!' }, postToFeed: false, postToChat: false,
  starterTask: null, sponsorId: null, accessDays: 90, noticeDays: 7, offboarding: 'confirm',
}
/** Portal REST methods that change something: a refused call must not have made any of them on portal A. */
const WRITE_METHODS = [
  'user.add', 'user.update', 'intranet.invite.reinvite', 'sonet_group.user.add', 'sonet_group.user.invite', 'sonet_group.user.delete',
  'socialnetwork.collab.Member.delete', 'im.notify.system.add', 'im.notify.personal.add', 'im.message.add', 'log.blogpost.add', 'tasks.task.add',
  'bizproc.robot.add', 'bizproc.robot.update', 'bizproc.robot.delete', 'bizproc.event.send', 'placement.bind', 'placement.unbind', 'event.bind', 'event.unbind',
]
/** A's rows that only a call may change (caches the background syncs refresh are left out: directory_*, collab*, sessions, leases, inbox, portals). */
const STATE_TABLES = [
  'audit_log', 'invite_templates', 'invite_jobs', 'invite_job_items', 'invitations', 'invitation_events', 'invite_imports', 'onboarding_kits',
  'extranet_guests', 'collab_settings', 'access_reviews', 'access_review_items', 'robot_runs', 'robot_settings', 'invite_policy', 'invite_requests',
  'join_links', 'join_link_joins',
] as const
/**
 * Routes outside /api: each proves its caller another way (a signed frame, the portal's application token), covered
 * by their own suites. The public join pages need no session at all: the link's token is the key (test/join-links).
 */
const NON_API_ROUTES = ['ALL /app', 'ALL /install', 'GET /healthz', 'GET /metrics', 'POST /events', 'POST /robots/:code', 'GET /join/:token', 'POST /join/:token']

/** Ids of portal A's world. */
interface Fx {
  memberA: string
  domainA: string
  manager: number
  employee: number
  member: number
  g1: number
  g2: number
  c1: number
  c2: number
  c1Active: number
  c1Victim: number
  c1Victim2: number
  c1Invited: number
  c2Active: number
  c2Deactivate: number
  c2Victim: number
  contact: number
  t1: string
  tDel: string
  jobA: string
  jobM: string
  jobE: string
  jobG2: string
  impSent: string
  impDry: string
  impReparse: string
  impG1M: string
  impG1MRow: number
  impG1M2: string
  impG1A: string
  impG1ARow: number
  impC1M: string
  impC1MRow: number
  impC1A: string
  impC1ARow: number
  /** B's own pasted list. */
  impB: string
  impEmbM: string
  impEmbE: string
  invA: string
  invM: string
  invE: string
  invP: string
  guestG1: string
  guestG2: string
  reqMa: string
  reqMd: string
  reqMc: string
  reqPa: string
  reqPd: string
  reqE: string
  review: string
  itemC1: string
  itemC2: string
  run: string
  /** The admin's join link into G2: every join waits for approval (Jonas's does). */
  linkA: string
  /** M's join link into G1, with a cap and an expiry (Jana joined and was invited). */
  linkM: string
  /** Links revoked by the revoke rows, so that the others stay usable whatever the order of the rows. */
  spareA: string
  spareM: string
  /** The invite request Jonas's join through the admin's link waits on. */
  reqJoin: string
}

interface Secret {
  label: string
  text: string
  /** Actors of portal A who may see it; B may see no secret. */
  visibleTo: readonly Actor[]
}

interface World {
  stack: Stack
  a: PortalHandle
  b: PortalHandle
  api: Record<Actor, Api>
  f: Fx
  secrets: Secret[]
  /** Portal A's policy as set up (the admin saves it again unchanged). */
  policyA: unknown
  /** Portal A's state as last read, until a call that may change it (a call that got through, from A). */
  known?: Record<string, unknown> | undefined
}

interface Case {
  method: Method
  /** The route as Express knows it (the guard matches on it). */
  route: string
  /** Which resource or variant, when a route has several rows. */
  what?: string
  path: (f: Fx, actor: Actor) => string
  body?: (f: Fx, actor: Actor, w: World) => unknown
  /** A call that is not a bearer JSON call (the session route). */
  call?: (w: World, actor: Actor) => Promise<ApiAnswer>
  /** Actors that get through; every other one is refused. */
  allowed: readonly Actor[]
  /** Statuses of getting through (default 200/201/202). A 409 or similar here means "past the access check, then refused on state". */
  ok?: number[]
  /** Statuses of a refusal (default 403/404). */
  refused?: number[]
  /** Content checks on an answer that got through: own rows only, and so on. */
  check?: (w: World, actor: Actor, res: ApiAnswer) => void | Promise<void>
}

const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id)
const json = (v: unknown) => JSON.stringify(v)

/** A frame's AUTH_ID for this user, as the portal would post it into the app. */
const frameAuth = (portal: PortalHandle, userId: number) => portal.appFrameFields(CLIENT_ID, { userId }).body.AUTH_ID!

// ---------------------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------------------

const CASES: Case[] = [
  // --- session and portal ---------------------------------------------------------------------------
  {
    method: 'POST', route: '/api/session', what: 'own frame token, portal A\'s member id', path: () => '/api/session', allowed: IN_A, refused: [401, 403, 404],
    call: (w, actor) => w.api[actor].post('/api/session', {
      authId: actor === 'other' ? frameAuth(w.b, 1) : frameAuth(w.a, userOf(w.f, actor)), memberId: w.f.memberA,
    }),
    check: async (w, actor, res) => {
      const me = await apiFor(w.api[actor].url, res.body.token).get('/api/me')
      expect(me.body.user.id).toBe(userOf(w.f, actor))
      expect(me.body.portal.memberId).toBe(w.f.memberA)
    },
  },
  {
    method: 'POST', route: '/api/session', what: 'own frame token, the other portal\'s member id', path: () => '/api/session', allowed: [], refused: [401, 403, 404],
    call: (w, actor) => w.api[actor].post('/api/session', {
      authId: actor === 'other' ? frameAuth(w.b, 1) : frameAuth(w.a, userOf(w.f, actor)), memberId: actor === 'other' ? w.f.memberA : w.b.memberId,
    }),
  },
  { method: 'GET', route: '/api/me', path: () => '/api/me', allowed: ACTORS },
  {
    method: 'GET', route: '/api/dashboard', path: () => '/api/dashboard', allowed: ACTORS,
    check: (w, actor, res) => {
      const jobs = ids(res.body.recentJobs)
      if (actor === 'employee') expect(jobs).toContain(w.f.jobE)
      if (actor === 'manager') expect(jobs).toContain(w.f.jobM)
    },
  },
  { method: 'GET', route: '/api/settings', path: () => '/api/settings', allowed: ACTORS },
  { method: 'POST', route: '/api/settings/reapply', path: () => '/api/settings/reapply', allowed: ADMINS },
  {
    method: 'GET', route: '/api/audit', path: () => '/api/audit?limit=200', allowed: ADMINS,
    check: (w, actor, res) => {
      if (actor === 'admin') expect(res.body.entries.length).toBeGreaterThan(0)
    },
  },

  { method: 'GET', route: '/api/audit/export.csv', path: () => '/api/audit/export.csv', allowed: ADMINS },
  { method: 'GET', route: '/api/audit/export.xlsx', path: () => '/api/audit/export.xlsx', allowed: ADMINS },

  // --- templates --------------------------------------------------------------------------------------
  {
    method: 'GET', route: '/api/templates', path: () => '/api/templates', allowed: ACTORS,
    check: (w, actor, res) => {
      if (actor !== 'other') expect(ids(res.body.templates)).toContain(w.f.t1)
    },
  },
  { method: 'POST', route: '/api/templates', path: () => '/api/templates', body: (_f, actor) => template(`Made by ${actor}`), allowed: ADMINS },
  {
    method: 'POST', route: '/api/templates/preview', path: () => '/api/templates/preview', allowed: ACTORS,
    body: () => ({ text: 'Hello {name}, {inviter} invites you to {portal}', lang: 'en' }),
  },
  { method: 'PATCH', route: '/api/templates/:id', path: (f) => `/api/templates/${f.t1}`, body: () => ({ reminderDays: [2, 5] }), allowed: ADMIN },
  { method: 'DELETE', route: '/api/templates/:id', path: (f) => `/api/templates/${f.tDel}`, allowed: ADMIN },

  // --- directory and the wizard (admin only) ----------------------------------------------------------
  { method: 'GET', route: '/api/directory', path: () => '/api/directory', allowed: ACTORS },
  { method: 'POST', route: '/api/directory/sync', path: () => '/api/directory/sync', allowed: ADMINS },
  { method: 'POST', route: '/api/imports', path: () => '/api/imports', body: (_f, actor) => ({ paste: `${actor}.paste@beta-free.example` }), allowed: ADMINS },
  { method: 'POST', route: '/api/imports/:id/reparse', path: (f) => `/api/imports/${f.impReparse}/reparse`, body: () => ({ delimiter: ';' }), allowed: ADMIN },
  {
    method: 'POST', route: '/api/imports/:id/dry-run', path: (f) => `/api/imports/${f.impDry}/dry-run`, allowed: ADMIN,
    body: () => ({ mapping: { 0: 'email', 1: 'name' }, headerRow: true, templateId: null, defaults: { kind: 'intranet', departmentId: 1, groupIds: [], lang: 'en' } }),
  },
  {
    // B's own list, checked with A's template: a template is looked up in the caller's portal only.
    method: 'POST', route: '/api/imports/:id/dry-run', what: 'B checks its own list with A\'s template', allowed: ADMIN, refused: [400, 403, 404],
    path: (f, actor) => `/api/imports/${actor === 'other' ? f.impB : f.impDry}/dry-run`,
    body: (f) => ({ mapping: { 0: 'email' }, headerRow: false, templateId: f.t1, defaults: { kind: 'intranet', departmentId: 1, groupIds: [], lang: 'en' } }),
  },
  { method: 'PATCH', route: '/api/imports/:id/rows/:row', path: (f) => `/api/imports/${f.impDry}/rows/2`, body: () => ({ position: 'Analyst' }), allowed: ADMIN },
  { method: 'GET', route: '/api/imports/:id/report.csv', path: (f) => `/api/imports/${f.impDry}/report.csv`, allowed: ADMIN },
  { method: 'POST', route: '/api/imports/:id/send', what: 'the admin\'s sent list (answers its job again)', path: (f) => `/api/imports/${f.impSent}/send`, allowed: ADMIN },
  { method: 'POST', route: '/api/imports/:id/send', what: 'M\'s own group-tab list', path: (f) => `/api/imports/${f.impG1M2}/send`, allowed: ADMIN },

  // --- jobs ---------------------------------------------------------------------------------------------
  {
    method: 'GET', route: '/api/jobs', path: () => '/api/jobs?limit=100', allowed: ACTORS,
    check: (w, actor, res) => {
      const got = ids(res.body.jobs)
      if (actor === 'employee') expect(got).toContain(w.f.jobE)
      if (actor === 'manager') expect(got).toContain(w.f.jobM)
      if (actor === 'admin') expect(got).toEqual(expect.arrayContaining([w.f.jobA, w.f.jobM, w.f.jobE, w.f.jobG2]))
      if (actor === 'other') expect(got).toEqual([])
    },
  },
  { method: 'GET', route: '/api/jobs/:id', what: 'the admin\'s job', path: (f) => `/api/jobs/${f.jobA}`, allowed: ADMIN },
  { method: 'GET', route: '/api/jobs/:id', what: 'M\'s job', path: (f) => `/api/jobs/${f.jobM}`, allowed: ['manager', 'admin'] },
  { method: 'GET', route: '/api/jobs/:id/items', what: 'the admin\'s job', path: (f) => `/api/jobs/${f.jobA}/items`, allowed: ADMIN },
  { method: 'GET', route: '/api/jobs/:id/items', what: 'E\'s job', path: (f) => `/api/jobs/${f.jobE}/items`, allowed: ['employee', 'admin'] },
  { method: 'GET', route: '/api/jobs/:id/results.csv', what: 'the admin\'s job', path: (f) => `/api/jobs/${f.jobA}/results.csv`, allowed: ADMIN },
  { method: 'GET', route: '/api/jobs/:id/results.xlsx', what: 'M\'s job', path: (f) => `/api/jobs/${f.jobM}/results.xlsx`, allowed: ['manager', 'admin'] },
  ...(['pause', 'resume', 'cancel', 'retry-failed'] as const).map((action): Case => ({
    // The job is completed: the admin gets past the access check to a 409 about the job's state.
    method: 'POST', route: '/api/jobs/:id/:action', what: `${action} the admin's job`, path: (f) => `/api/jobs/${f.jobA}/${action}`, allowed: ADMIN, ok: [200, 409],
  })),
  { method: 'POST', route: '/api/jobs/:id/:action', what: 'cancel M\'s own job (admin only)', path: (f) => `/api/jobs/${f.jobM}/cancel`, allowed: ADMIN, ok: [200, 409] },

  // --- the ledger ---------------------------------------------------------------------------------------
  {
    method: 'GET', route: '/api/invitations', path: () => '/api/invitations?limit=200', allowed: ACTORS,
    check: (w, actor, res) => {
      const rows = res.body.rows as Array<{ id: string; invitedBy: number }>
      if (actor === 'employee') {
        expect(ids(rows)).toContain(w.f.invE)
        expect(rows.every((r) => r.invitedBy === w.f.employee)).toBe(true)
      }
      if (actor === 'manager') {
        expect(ids(rows)).toEqual(expect.arrayContaining([w.f.invM, w.f.invP]))
        expect(rows.every((r) => r.invitedBy === w.f.manager || r.invitedBy === w.f.member)).toBe(true)
      }
      if (actor === 'admin') expect(ids(rows)).toEqual(expect.arrayContaining([w.f.invA, w.f.invM, w.f.invE]))
      if (actor === 'other') expect(rows).toEqual([])
    },
  },
  {
    method: 'GET', route: '/api/invitations/export.csv', path: () => '/api/invitations/export.csv', allowed: ACTORS,
    check: (_w, actor, res) => {
      if (actor === 'employee') expect(res.text).toContain('ella.e@alpha-inv.example')
    },
  },
  {
    method: 'GET', route: '/api/invitations/export.xlsx', path: () => '/api/invitations/export.xlsx', allowed: ACTORS,
    check: async (_w, actor, res) => {
      if (actor === 'manager') expect(await textOf(res)).toContain('gina.g1@alpha-inv.example')
    },
  },
  { method: 'GET', route: '/api/invitations/:id', what: 'the admin\'s invitation', path: (f) => `/api/invitations/${f.invA}`, allowed: ADMIN },
  { method: 'GET', route: '/api/invitations/:id', what: 'M\'s invitation', path: (f) => `/api/invitations/${f.invM}`, allowed: ['manager', 'admin'] },
  { method: 'GET', route: '/api/invitations/:id', what: 'P\'s invitation (M heads P\'s department)', path: (f) => `/api/invitations/${f.invP}`, allowed: ['manager', 'admin'] },
  { method: 'GET', route: '/api/invitations/:id', what: 'E\'s invitation', path: (f) => `/api/invitations/${f.invE}`, allowed: ['employee', 'admin'] },
  { method: 'POST', route: '/api/invitations/:id/remind', what: 'the admin\'s invitation', path: (f) => `/api/invitations/${f.invA}/remind`, allowed: ADMIN, ok: [200, 409] },
  { method: 'POST', route: '/api/invitations/:id/remind', what: 'M\'s own invitation (admin only)', path: (f) => `/api/invitations/${f.invM}/remind`, allowed: ADMIN, ok: [200, 409] },

  // --- extranet groups ----------------------------------------------------------------------------------
  {
    method: 'GET', route: '/api/extranet/groups', path: () => '/api/extranet/groups', allowed: ACTORS,
    check: (w, actor, res) => {
      const got = (res.body.groups as Array<{ id: number }>).map((g) => g.id)
      if (actor === 'employee') expect(got).toEqual([w.f.g2])
      if (actor === 'other') expect(got).toEqual([])
      if (actor === 'manager' || actor === 'admin') expect(got).toEqual(expect.arrayContaining([w.f.g1, w.f.g2]))
    },
  },
  { method: 'GET', route: '/api/extranet/groups/:groupId', what: 'hidden G1 (M owns)', path: (f) => `/api/extranet/groups/${f.g1}`, allowed: ['manager', 'admin'] },
  { method: 'GET', route: '/api/extranet/groups/:groupId', what: 'visible G2', path: (f) => `/api/extranet/groups/${f.g2}`, allowed: IN_A },
  {
    method: 'GET', route: '/api/extranet/groups/:groupId/kit', what: 'G1', path: (f) => `/api/extranet/groups/${f.g1}/kit`, allowed: ['manager', 'admin'],
    check: (_w, _actor, res) => expect(res.body.canEdit).toBe(true),
  },
  {
    method: 'GET', route: '/api/extranet/groups/:groupId/kit', what: 'G2', path: (f) => `/api/extranet/groups/${f.g2}/kit`, allowed: IN_A,
    check: (_w, actor, res) => expect(res.body.canEdit).toBe(actor === 'admin'),
  },
  { method: 'PUT', route: '/api/extranet/groups/:groupId/kit', what: 'G1', path: (f) => `/api/extranet/groups/${f.g1}/kit`, body: () => ({ ...KIT, noticeDays: 5 }), allowed: ['manager', 'admin'] },
  { method: 'PUT', route: '/api/extranet/groups/:groupId/kit', what: 'G2', path: (f) => `/api/extranet/groups/${f.g2}/kit`, body: () => ({ ...KIT, noticeDays: 6 }), allowed: ADMIN },
  { method: 'GET', route: '/api/extranet/groups/:groupId/guests', what: 'G1', path: (f) => `/api/extranet/groups/${f.g1}/guests`, allowed: ['manager', 'admin'] },
  { method: 'GET', route: '/api/extranet/groups/:groupId/guests', what: 'G2', path: (f) => `/api/extranet/groups/${f.g2}/guests`, allowed: IN_A },
  {
    method: 'POST', route: '/api/extranet/groups/:groupId/invite', what: 'G1', path: (f) => `/api/extranet/groups/${f.g1}/invite`, allowed: ['manager', 'admin'],
    body: (_f, actor) => ({ people: `${actor}.g1@beta-free.example` }),
  },
  {
    method: 'POST', route: '/api/extranet/groups/:groupId/invite', what: 'G2', path: (f) => `/api/extranet/groups/${f.g2}/invite`, allowed: ADMIN,
    body: (_f, actor) => ({ people: `${actor}.g2@beta-free.example` }),
  },
  {
    // The tab's list is bound to its author and group: the admin sends anyone's list through /api/imports/:id/send instead.
    method: 'PATCH', route: '/api/extranet/groups/:groupId/invite/:importId/rows/:row', what: 'M\'s list', allowed: ['manager'],
    path: (f) => `/api/extranet/groups/${f.g1}/invite/${f.impG1M}/rows/${f.impG1MRow}`, body: () => ({ excluded: false }),
  },
  {
    method: 'PATCH', route: '/api/extranet/groups/:groupId/invite/:importId/rows/:row', what: 'the admin\'s list', allowed: ADMIN,
    path: (f) => `/api/extranet/groups/${f.g1}/invite/${f.impG1A}/rows/${f.impG1ARow}`, body: () => ({ excluded: false }),
  },
  { method: 'POST', route: '/api/extranet/groups/:groupId/invite/:importId/send', what: 'M\'s list (over quota: a request)', path: (f) => `/api/extranet/groups/${f.g1}/invite/${f.impG1M}/send`, allowed: ['manager'] },
  { method: 'POST', route: '/api/extranet/groups/:groupId/invite/:importId/send', what: 'the admin\'s list', path: (f) => `/api/extranet/groups/${f.g1}/invite/${f.impG1A}/send`, allowed: ADMIN },
  {
    method: 'POST', route: '/api/extranet/guests/:guestId/extend', what: 'G1\'s guest', path: (f) => `/api/extranet/guests/${f.guestG1}/extend`, allowed: ['manager', 'admin'],
    body: () => ({ accessEndsAt: Date.now() + 30 * 86_400_000 }),
  },
  {
    method: 'POST', route: '/api/extranet/guests/:guestId/extend', what: 'G2\'s guest', path: (f) => `/api/extranet/guests/${f.guestG2}/extend`, allowed: ADMIN,
    body: () => ({ accessEndsAt: Date.now() + 40 * 86_400_000 }),
  },
  { method: 'POST', route: '/api/extranet/guests/:guestId/confirm-end', what: 'G1\'s guest', path: (f) => `/api/extranet/guests/${f.guestG1}/confirm-end`, allowed: ['manager', 'admin'], ok: [200, 409] },
  { method: 'POST', route: '/api/extranet/guests/:guestId/confirm-end', what: 'G2\'s guest', path: (f) => `/api/extranet/guests/${f.guestG2}/confirm-end`, allowed: ADMIN, ok: [200, 409] },
  { method: 'PATCH', route: '/api/extranet/guests/:guestId', what: 'G1\'s guest', path: (f) => `/api/extranet/guests/${f.guestG1}`, body: (f) => ({ sponsorId: f.manager }), allowed: ['manager', 'admin'] },
  { method: 'PATCH', route: '/api/extranet/guests/:guestId', what: 'G2\'s guest', path: (f) => `/api/extranet/guests/${f.guestG2}`, body: (f) => ({ sponsorId: f.manager }), allowed: ADMIN },

  // --- collabs ------------------------------------------------------------------------------------------
  {
    method: 'GET', route: '/api/collabs/summary', path: () => '/api/collabs/summary', allowed: ACTORS,
    check: (w, actor, res) => {
      const got = (res.body.collabs as Array<{ id: number }>).map((c) => c.id)
      if (actor === 'employee') expect({ collabs: got, guests: res.body.totals.guests }).toEqual({ collabs: [], guests: 0 })
      if (actor === 'manager') expect(got).toEqual([w.f.c1])
      if (actor === 'admin') expect(got).toEqual(expect.arrayContaining([w.f.c1, w.f.c2]))
    },
  },
  {
    method: 'GET', route: '/api/collabs/guests', path: () => '/api/collabs/guests?limit=200', allowed: ACTORS,
    check: (w, actor, res) => {
      const rows = res.body.rows as Array<{ collabId: number; userId: number }>
      if (actor === 'employee' || actor === 'other') expect(rows).toEqual([])
      if (actor === 'manager') {
        expect(rows.map((r) => r.userId)).toContain(w.f.c1Active)
        expect(rows.every((r) => r.collabId === w.f.c1)).toBe(true)
      }
      if (actor === 'admin') expect(rows.map((r) => r.userId)).toEqual(expect.arrayContaining([w.f.c1Active, w.f.c2Active]))
    },
  },
  { method: 'GET', route: '/api/collabs/guests/export', path: () => '/api/collabs/guests/export?format=xlsx', allowed: ACTORS },
  {
    method: 'GET', route: '/api/collabs/history', what: 'C2\'s history', path: (f) => `/api/collabs/history?collabId=${f.c2}`, allowed: ACTORS,
    check: (_w, actor, res) => {
      if (actor !== 'admin') expect(res.body.points).toEqual([])
    },
  },
  {
    method: 'GET', route: '/api/collabs/history', what: 'the portal\'s history', path: () => '/api/collabs/history', allowed: ACTORS,
    check: (_w, actor, res) => {
      if (actor === 'employee' || actor === 'manager') expect(res.body.points).toEqual([])
    },
  },
  { method: 'POST', route: '/api/collabs/sync', path: () => '/api/collabs/sync', body: () => ({ full: true }), allowed: ADMINS },
  { method: 'GET', route: '/api/collabs/actions', path: () => '/api/collabs/actions', allowed: ACTORS },
  {
    method: 'POST', route: '/api/collabs/:collabId/guests/:userId/remind', what: 'C1\'s invited guest', allowed: ['manager', 'admin'], ok: [200, 409],
    path: (f) => `/api/collabs/${f.c1}/guests/${f.c1Invited}/remind`,
  },
  // The pair is checked: C2's guest is no guest of C1, whoever asks.
  { method: 'POST', route: '/api/collabs/:collabId/guests/:userId/remind', what: 'C2\'s guest through C1', path: (f) => `/api/collabs/${f.c1}/guests/${f.c2Active}/remind`, allowed: [] },
  { method: 'POST', route: '/api/collabs/:collabId/guests/:userId/remind', what: 'C2\'s guest', path: (f) => `/api/collabs/${f.c2}/guests/${f.c2Active}/remind`, allowed: ADMIN, ok: [200, 409] },
  {
    method: 'POST', route: '/api/collabs/:collabId/guests/:userId/remove', what: 'C1\'s guests', allowed: ['manager', 'admin'],
    path: (f, actor) => `/api/collabs/${f.c1}/guests/${actor === 'admin' ? f.c1Victim2 : f.c1Victim}/remove`,
  },
  { method: 'POST', route: '/api/collabs/:collabId/guests/:userId/remove', what: 'C2\'s guest', path: (f) => `/api/collabs/${f.c2}/guests/${f.c2Victim}/remove`, allowed: ADMIN },
  {
    method: 'POST', route: '/api/collabs/:collabId/guests/:userId/deactivate', what: 'C1\'s guest (M), C2\'s guest (admin)', allowed: ADMIN,
    path: (f, actor) => (actor === 'manager' ? `/api/collabs/${f.c1}/guests/${f.c1Active}/deactivate` : `/api/collabs/${f.c2}/guests/${f.c2Deactivate}/deactivate`),
  },
  { method: 'POST', route: '/api/collabs/:collabId/invite', what: 'C1', path: (f) => `/api/collabs/${f.c1}/invite`, body: (_f, actor) => ({ people: `${actor}.c1@beta-free.example` }), allowed: ['manager', 'admin'] },
  { method: 'POST', route: '/api/collabs/:collabId/invite', what: 'C2', path: (f) => `/api/collabs/${f.c2}/invite`, body: (_f, actor) => ({ people: `${actor}.c2@beta-free.example` }), allowed: ADMIN },
  {
    method: 'PATCH', route: '/api/collabs/:collabId/invite/:importId/rows/:row', what: 'M\'s list', allowed: ['manager'],
    path: (f) => `/api/collabs/${f.c1}/invite/${f.impC1M}/rows/${f.impC1MRow}`, body: () => ({ excluded: false }),
  },
  {
    method: 'PATCH', route: '/api/collabs/:collabId/invite/:importId/rows/:row', what: 'the admin\'s list', allowed: ADMIN,
    path: (f) => `/api/collabs/${f.c1}/invite/${f.impC1A}/rows/${f.impC1ARow}`, body: () => ({ excluded: false }),
  },
  { method: 'POST', route: '/api/collabs/:collabId/invite/:importId/send', what: 'M\'s list', path: (f) => `/api/collabs/${f.c1}/invite/${f.impC1M}/send`, allowed: ['manager'] },
  { method: 'POST', route: '/api/collabs/:collabId/invite/:importId/send', what: 'the admin\'s list', path: (f) => `/api/collabs/${f.c1}/invite/${f.impC1A}/send`, allowed: ADMIN },
  {
    method: 'GET', route: '/api/collabs/reviews', path: () => '/api/collabs/reviews', allowed: ACTORS,
    check: (w, actor, res) => {
      const got = ids(res.body.reviews)
      if (actor === 'employee' || actor === 'other') expect(got).toEqual([])
      if (actor === 'manager' || actor === 'admin') expect(got).toContain(w.f.review)
    },
  },
  {
    method: 'GET', route: '/api/collabs/reviews/:reviewId', path: (f) => `/api/collabs/reviews/${f.review}`, allowed: ['manager', 'admin'],
    check: (w, actor, res) => {
      const items = res.body.items as Array<{ id: string; sponsor: { id: number } }>
      if (actor === 'manager') {
        expect(ids(items)).toContain(w.f.itemC1)
        expect(items.every((i) => i.sponsor.id === w.f.manager)).toBe(true)
      }
      if (actor === 'admin') expect(ids(items)).toEqual(expect.arrayContaining([w.f.itemC1, w.f.itemC2]))
    },
  },
  {
    method: 'POST', route: '/api/collabs/reviews/:reviewId/items/:itemId', what: 'an item M sponsors', path: (f) => `/api/collabs/reviews/${f.review}/items/${f.itemC1}`,
    body: () => ({ decision: 'keep' }), allowed: ['manager', 'admin'], ok: [200, 409],
  },
  {
    method: 'POST', route: '/api/collabs/reviews/:reviewId/items/:itemId', what: 'an item the admin sponsors', path: (f) => `/api/collabs/reviews/${f.review}/items/${f.itemC2}`,
    body: () => ({ decision: 'keep' }), allowed: ADMIN,
  },
  {
    method: 'GET', route: '/api/collabs/reviews-pending', path: () => '/api/collabs/reviews-pending', allowed: ACTORS,
    check: (w, actor, res) => {
      if (actor === 'employee') expect(res.body.pending).toEqual([])
      if (actor === 'manager') expect(res.body.pending.map((p: { reviewId: string }) => p.reviewId)).toEqual([w.f.review])
    },
  },
  { method: 'GET', route: '/api/collabs/settings', path: () => '/api/collabs/settings', allowed: ACTORS, check: (_w, actor, res) => expect(res.body.settings.activeDays).toBe(actor === 'other' ? 30 : 41) },
  { method: 'PUT', route: '/api/collabs/settings', path: () => '/api/collabs/settings', body: () => ({ ...DEFAULT_COLLAB_SETTINGS, activeDays: 41 }), allowed: ADMINS },
  // One review may be open at a time: the admin gets past the access check to review_open.
  { method: 'POST', route: '/api/collabs/reviews', path: () => '/api/collabs/reviews', body: (f) => ({ dueDays: 5, unanswered: 'keep', collabIds: [f.c1, f.c2] }), allowed: ADMINS, ok: [201, 409] },
  { method: 'POST', route: '/api/collabs/reviews/:reviewId/close', path: (f) => `/api/collabs/reviews/${f.review}/close`, allowed: ADMIN },

  // --- policy, embedded invites and requests -----------------------------------------------------------
  { method: 'GET', route: '/api/policy', path: () => '/api/policy', allowed: ADMINS, check: (_w, actor, res) => expect(res.body.policy.rules[0].dailyQuota).toBe(actor === 'other' ? 50 : 1) },
  { method: 'PUT', route: '/api/policy', path: () => '/api/policy', body: (_f, actor, w) => (actor === 'other' ? DEFAULT_POLICY : w.policyA), allowed: ADMINS },
  {
    method: 'POST', route: '/api/embedded/check', what: 'into the actor\'s own department', path: () => '/api/embedded/check', allowed: ACTORS,
    body: (_f, actor) => ({ kind: 'intranet', departmentId: actor === 'employee' ? D2 : actor === 'manager' ? D1 : 1, people: `${actor}.check@beta-free.example` }),
  },
  {
    // A group E may not see (hidden, not a member): its name must not come back in the checked rows.
    method: 'POST', route: '/api/embedded/check', what: 'into hidden G1', path: () => '/api/embedded/check', allowed: ACTORS, ok: [201, 404],
    body: (f, actor) => ({ kind: 'extranet', groupId: f.g1, people: `${actor}.hidden@beta-free.example` }),
  },
  {
    method: 'POST', route: '/api/embedded/check', what: 'with A\'s template', path: () => '/api/embedded/check', allowed: IN_A, refused: [400, 403, 404],
    body: (f, actor) => ({ kind: 'intranet', departmentId: actor === 'employee' ? D2 : 1, templateId: f.t1, people: `${actor}.tpl@beta-free.example` }),
  },
  { method: 'POST', route: '/api/embedded/:importId/send', what: 'M\'s checked list', path: (f) => `/api/embedded/${f.impEmbM}/send`, allowed: ['manager'] },
  { method: 'POST', route: '/api/embedded/:importId/send', what: 'E\'s checked list', path: (f) => `/api/embedded/${f.impEmbE}/send`, allowed: ['employee'] },
  {
    method: 'POST', route: '/api/embedded/crm-prefill', what: 'own frame token', path: () => '/api/embedded/crm-prefill', allowed: IN_A, refused: [401, 403, 404],
    body: (f, actor, w) => ({ entity: 'contact', id: f.contact, authId: actor === 'other' ? frameAuth(w.b, 1) : frameAuth(w.a, userOf(f, actor)) }),
  },
  {
    method: 'POST', route: '/api/embedded/crm-prefill', what: 'someone else\'s frame token', path: () => '/api/embedded/crm-prefill', allowed: [], refused: [401, 403, 404],
    body: (f, actor, w) => ({ entity: 'contact', id: f.contact, authId: frameAuth(w.a, actor === 'employee' ? f.manager : f.employee) }),
  },
  {
    method: 'GET', route: '/api/requests', path: () => '/api/requests?limit=200', allowed: ACTORS,
    check: (w, actor, res) => {
      const rows = res.body.rows as Array<{ id: string; requestedBy: number; approverId: number | null }>
      const me = userOf(w.f, actor)
      if (actor === 'employee') {
        expect(ids(rows)).toContain(w.f.reqE)
        expect(rows.every((r) => r.requestedBy === me || r.approverId === me)).toBe(true)
      }
      if (actor === 'manager') {
        expect(ids(rows)).toEqual(expect.arrayContaining([w.f.reqMa, w.f.reqPa]))
        expect(rows.every((r) => r.requestedBy === me || r.approverId === me)).toBe(true)
      }
      if (actor === 'admin') {
        expect(ids(rows)).toEqual(expect.arrayContaining([w.f.reqMa, w.f.reqPa, w.f.reqE, w.f.reqJoin]))
        expect(rows.find((r) => r.id === w.f.reqJoin)).toMatchObject({ placement: 'join_link', joinLinkId: w.f.linkA, joinLinkName: 'Alpha Lobby Joinlink' })
        expect(rows.find((r) => r.id === w.f.reqMa)).toMatchObject({ joinLinkId: null, joinLinkName: null })
      }
      if (actor === 'other') expect(rows).toEqual([])
    },
  },
  { method: 'GET', route: '/api/requests/:requestId', what: 'M\'s request', path: (f) => `/api/requests/${f.reqMa}`, allowed: ['manager', 'admin'] },
  { method: 'GET', route: '/api/requests/:requestId', what: 'E\'s request', path: (f) => `/api/requests/${f.reqE}`, allowed: ['employee', 'admin'] },
  { method: 'GET', route: '/api/requests/:requestId', what: 'P\'s request into G1 (M approves)', path: (f) => `/api/requests/${f.reqPa}`, allowed: ['manager', 'admin'] },
  {
    method: 'GET', route: '/api/requests/:requestId', what: 'a join through the admin\'s link', path: (f) => `/api/requests/${f.reqJoin}`, allowed: ADMIN,
    check: (w, _actor, res) => expect(JSON.stringify(res.body)).toContain(w.f.linkA),
  },
  { method: 'POST', route: '/api/requests/:requestId/approve', what: 'M\'s own request (admins decide)', path: (f) => `/api/requests/${f.reqMa}/approve`, body: () => ({}), allowed: ADMIN },
  {
    method: 'POST', route: '/api/requests/:requestId/approve', what: 'P\'s request (M approves)', path: (f) => `/api/requests/${f.reqPa}/approve`, body: () => ({}),
    allowed: ['manager', 'admin'], ok: [200, 409],
  },
  { method: 'POST', route: '/api/requests/:requestId/decline', what: 'M\'s own request', path: (f) => `/api/requests/${f.reqMd}/decline`, body: () => ({ reason: 'No' }), allowed: ADMIN },
  {
    method: 'POST', route: '/api/requests/:requestId/decline', what: 'P\'s request (M approves)', path: (f) => `/api/requests/${f.reqPd}/decline`, body: () => ({ reason: 'No' }),
    allowed: ['manager', 'admin'], ok: [200, 409],
  },
  // Only the person who asked may withdraw a request, an admin included.
  { method: 'POST', route: '/api/requests/:requestId/cancel', what: 'M\'s own request', path: (f) => `/api/requests/${f.reqMc}/cancel`, allowed: ['manager'] },
  { method: 'POST', route: '/api/requests/:requestId/cancel', what: 'E\'s own request', path: (f) => `/api/requests/${f.reqE}/cancel`, allowed: ['employee'] },

  // --- join links: admins manage every link, others their own (M may create them by a rule) ----------------
  {
    method: 'GET', route: '/api/join-links', path: () => '/api/join-links?limit=200', allowed: ACTORS,
    check: (w, actor, res) => {
      const rows = res.body.rows as Array<{ id: string; createdBy: number; canManage: boolean }>
      if (actor === 'admin') {
        expect(ids(rows)).toEqual(expect.arrayContaining([w.f.linkA, w.f.linkM, w.f.spareA, w.f.spareM]))
        expect(rows.every((r) => r.canManage)).toBe(true)
      }
      if (actor === 'manager') {
        expect(ids(rows)).toEqual(expect.arrayContaining([w.f.linkM, w.f.spareM]))
        expect(rows.every((r) => r.createdBy === w.f.manager && r.canManage)).toBe(true)
      }
      if (actor === 'employee' || actor === 'other') expect({ rows, total: res.body.total }).toEqual({ rows: [], total: 0 })
      // E has no rule with "may create join links"; M has one; admins may always.
      expect(res.body.canCreate).toBe(actor !== 'employee')
    },
  },
  {
    method: 'GET', route: '/api/join-links', what: 'searched and filtered', path: () => '/api/join-links?status=active&q=alpha&limit=200', allowed: ACTORS,
    check: (w, actor, res) => {
      const got = ids(res.body.rows)
      if (actor === 'admin') expect(got).toEqual(expect.arrayContaining([w.f.linkA, w.f.linkM]))
      if (actor === 'manager') expect(got).toEqual(expect.arrayContaining([w.f.linkM]))
      if (actor === 'manager') expect(got).not.toContain(w.f.linkA)
      if (actor === 'employee' || actor === 'other') expect(got).toEqual([])
    },
  },
  {
    // M into G1 (M's rule), the admin into G2, B's admin into B's own root department; E has no rule that allows it.
    method: 'POST', route: '/api/join-links', path: () => '/api/join-links', allowed: ['other', 'manager', 'admin'], ok: [201],
    body: (f, actor) => ({
      name: `Made by ${actor}`, templateId: null, allowedDomains: [], approval: false,
      target: actor === 'manager' ? { kind: 'group', id: f.g1 } : actor === 'admin' ? { kind: 'group', id: f.g2 } : actor === 'employee' ? { kind: 'department', id: D2 } : { kind: 'department', id: 1 },
      cap: 20, expiresOn: inDays(30),
    }),
    check: (w, actor, res) => expect(res.body).toMatchObject({ createdBy: userOf(w.f, actor), canManage: true, status: 'active', uses: 0 }),
  },
  {
    method: 'GET', route: '/api/join-links/:linkId', what: 'the admin\'s link', path: (f) => `/api/join-links/${f.linkA}`, allowed: ADMIN,
    check: (w, _actor, res) => expect(res.body).toMatchObject({ id: w.f.linkA, createdBy: 1, canManage: true, stats: { joins: 1, awaiting: 1 } }),
  },
  {
    method: 'GET', route: '/api/join-links/:linkId', what: 'M\'s link', path: (f) => `/api/join-links/${f.linkM}`, allowed: ['manager', 'admin'],
    check: (w, _actor, res) => expect(res.body).toMatchObject({ id: w.f.linkM, createdBy: w.f.manager, canManage: true, uses: 1, stats: { joins: 1, invited: 1 } }),
  },
  { method: 'PATCH', route: '/api/join-links/:linkId', what: 'the admin\'s link', path: (f) => `/api/join-links/${f.linkA}`, body: () => ({ cap: 500 }), allowed: ADMIN },
  { method: 'PATCH', route: '/api/join-links/:linkId', what: 'M\'s link', path: (f) => `/api/join-links/${f.linkM}`, body: () => ({ cap: 12 }), allowed: ['manager', 'admin'] },
  {
    method: 'GET', route: '/api/join-links/:linkId/joins', what: 'the admin\'s link', path: (f) => `/api/join-links/${f.linkA}/joins`, allowed: ADMIN,
    check: (_w, _actor, res) => expect(res.body.rows).toEqual([expect.objectContaining({ email: 'jonas@alpha-join-a.example', state: 'awaiting_approval', requestId: expect.any(String) })]),
  },
  {
    method: 'GET', route: '/api/join-links/:linkId/joins', what: 'M\'s link', path: (f) => `/api/join-links/${f.linkM}/joins`, allowed: ['manager', 'admin'],
    check: (_w, _actor, res) => expect(res.body.rows).toEqual([expect.objectContaining({ email: 'jana@alpha-join-m.example', state: 'sent', invitation: expect.objectContaining({ id: expect.any(String) }) })]),
  },
  ...(['svg', 'png'] as const).flatMap((format): Case[] => [
    {
      method: 'GET', route: `/api/join-links/:linkId/qr.${format}`, what: 'the admin\'s link', path: (f) => `/api/join-links/${f.linkA}/qr.${format}`, allowed: ADMIN,
      check: (_w, _actor, res) => expect(res.headers.get('content-type')).toMatch(format === 'svg' ? /^image\/svg\+xml/ : /^image\/png/),
    },
    {
      method: 'GET', route: `/api/join-links/:linkId/qr.${format}`, what: 'M\'s link', path: (f) => `/api/join-links/${f.linkM}/qr.${format}?download=1`, allowed: ['manager', 'admin'],
      check: (_w, _actor, res) => expect(res.headers.get('content-disposition')).toMatch(/^attachment/),
    },
  ]),
  // Pause, then resume: the second caller finds the link already so, and gets it back as it is.
  ...(['pause', 'resume'] as const).flatMap((action): Case[] => [
    { method: 'POST', route: `/api/join-links/:linkId/${action}`, what: 'the admin\'s link', path: (f) => `/api/join-links/${f.linkA}/${action}`, allowed: ADMIN },
    {
      method: 'POST', route: `/api/join-links/:linkId/${action}`, what: 'M\'s link', path: (f) => `/api/join-links/${f.linkM}/${action}`, allowed: ['manager', 'admin'],
      check: (_w, _actor, res) => expect(res.body.status).toBe(action === 'pause' ? 'paused' : 'active'),
    },
  ]),
  { method: 'POST', route: '/api/join-links/:linkId/revoke', what: 'the admin\'s spare link', path: (f) => `/api/join-links/${f.spareA}/revoke`, allowed: ADMIN },
  {
    method: 'POST', route: '/api/join-links/:linkId/revoke', what: 'M\'s spare link', path: (f) => `/api/join-links/${f.spareM}/revoke`, allowed: ['manager', 'admin'],
    check: (_w, _actor, res) => expect(res.body.status).toBe('revoked'),
  },

  // --- robots (admin only) -----------------------------------------------------------------------------
  { method: 'GET', route: '/api/robots', path: () => '/api/robots', allowed: ADMINS },
  {
    method: 'GET', route: '/api/robots/runs', path: () => '/api/robots/runs', allowed: ADMINS,
    check: (w, actor, res) => {
      if (actor === 'admin') expect(ids(res.body.rows)).toContain(w.f.run)
      if (actor === 'other') expect(res.body.rows).toEqual([])
    },
  },
  { method: 'GET', route: '/api/robots/runs/:runId', path: (f) => `/api/robots/runs/${f.run}`, allowed: ADMIN },
  { method: 'GET', route: '/api/robots/settings', path: () => '/api/robots/settings', allowed: ADMINS, check: (_w, actor, res) => expect(res.body.settings.dailyCap).toBe(actor === 'other' ? 200 : 137) },
  { method: 'PUT', route: '/api/robots/settings', path: () => '/api/robots/settings', body: () => ({ ...DEFAULT_ROBOT_SETTINGS, dailyCap: 137 }), allowed: ADMINS },
]

// ---------------------------------------------------------------------------------------------------------

/** 'YYYY-MM-DD' so many days from today (UTC). */
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10)

function userOf(f: Fx, actor: Actor): number {
  return actor === 'employee' ? f.employee : actor === 'manager' ? f.manager : 1
}

function template(name: string, text = '') {
  return {
    name, kind: 'intranet', texts: { ru: `Здравствуйте, {name}! ${text}`, en: `Hello, {name}! ${text}` }, defaultLang: 'en', departmentId: null, groupIds: [],
    reminderDays: [3], expireAfterDays: 30,
  }
}

/** The answer's text; a spreadsheet's cells (a zip would hide them from a text search). */
async function textOf(res: ApiAnswer): Promise<string> {
  if (!(res.headers.get('content-type') ?? '').includes('spreadsheetml') || res.status !== 200) return res.text
  const wb = new ExcelJS.Workbook()
  await wb.xlsx.load(res.bytes as unknown as ArrayBuffer)
  const cells: string[] = []
  wb.eachSheet((sheet) => sheet.eachRow((row) => row.eachCell((c) => cells.push(String(c.text)))))
  return cells.join('\n')
}
/** Portal A as only a call can change it: its rows in every table that is not a cache, and the emulator's side. */
async function stateOfA(w: World): Promise<Record<string, unknown>> {
  const db = w.stack.a.app.db.db
  const out: Record<string, unknown> = {}
  const tables = await Promise.all(STATE_TABLES.map((t) => sql<Record<string, unknown>>`select * from ${sql.table(t)} where member_id = ${w.f.memberA}`.execute(db)))
  STATE_TABLES.forEach((t, i) => {
    out[t] = tables[i]!.rows.map((r) => json(r)).sort()
  })
  const a = w.a
  out['emulator users'] = a.users().map((u) => `${u.ID} ${u.ACTIVE ? 'active' : 'inactive'} ${u.USER_TYPE} [${u.UF_DEPARTMENT.join(',')}] ${u.EMAIL}`)
  out['emulator groups'] = a.groups().map((g) => `${g.ID} owner ${g.OWNER_ID}: ${g.members.map((m) => `${m.userId}:${m.role}`).sort().join(',')}`)
  out['emulator records'] = [
    `invitations ${a.invitations().length}`, `notifications ${a.notifications().length}`, `robots ${a.robots().length}`, `placements ${a.placements().length}`,
    `bizproc events ${a.bizprocEvents().length}`, `feed posts ${a.feedPosts().length}`, `chat messages ${a.chatMessages().length}`, `tasks ${a.tasks().length}`,
    ...WRITE_METHODS.map((m) => `${m} ×${a.callCount(m)}`),
  ]
  return out
}

/** Lets the job engine and the robot worker finish what earlier calls started. */
async function settle(w: World): Promise<void> {
  await w.stack.a.app.runner.drain()
  await w.stack.a.app.robots.worker.drain()
  await w.stack.a.app.joinLinks.worker.drain()
  await w.stack.a.app.runner.drain()
}

function must(res: ApiAnswer, status: number | number[], what: string): any {
  const want = [status].flat()
  if (!want.includes(res.status)) throw new Error(`${what}: answered ${res.status}, expected ${want.join('/')}: ${res.text.slice(0, 400)}`)
  return res.body
}

const tokenOf = (url: string) => {
  const token = /\/join\/([A-Za-z0-9_-]{32})$/.exec(url)?.[1]
  if (!token) throw new Error(`not a join link URL: ${url}`)
  return token
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The secrets this answer shows that the actor may not see, each with the text around it. */
async function leaksIn(w: World, actor: Actor, res: ApiAnswer): Promise<string[]> {
  const text = await textOf(res)
  const out: string[] = []
  for (const s of w.secrets) {
    if (s.visibleTo.includes(actor)) continue
    const m = new RegExp(`${escapeRe(s.text)}(?![0-9A-Za-z])`).exec(text)
    if (m) out.push(`${s.label} (…${text.slice(Math.max(0, m.index - 60), m.index + s.text.length + 20)}…)`)
  }
  return out
}

async function runCase(w: World, c: Case): Promise<void> {
  const order = [...ACTORS.filter((a) => !c.allowed.includes(a)), ...ACTORS.filter((a) => c.allowed.includes(a))]
  const problems: string[] = []
  for (const actor of order) {
    const allowed = c.allowed.includes(actor)
    const path = c.path(w.f, actor)
    const watch = !allowed || actor === 'other'
    if (watch && !w.known) {
      await settle(w)
      w.known = await stateOfA(w)
    }
    const before = watch ? w.known : undefined
    if (!watch) w.known = undefined
    const res = c.call ? await c.call(w, actor) : await w.api[actor].call(c.method, path, c.body ? { json: c.body(w.f, actor, w) } : {})
    const label = `${actor} ${c.method} ${path}`
    const want = allowed ? (c.ok ?? OK) : (c.refused ?? REFUSED)
    if (!want.includes(res.status)) problems.push(`${label}: ${res.status}, expected ${allowed ? 'through' : 'refused'} (${want.join('/')}): ${res.text.slice(0, 200)}`)
    if (!allowed && res.body && Object.keys(res.body).join() !== 'error') problems.push(`${label}: a refusal carries more than an error: ${res.text.slice(0, 200)}`)
    const leaked = await leaksIn(w, actor, res)
    if (leaked.length) problems.push(`${label}: the answer shows ${leaked.join(', ')}`)
    if (before) {
      // No settling here: a handler does its work before it answers, so whatever a call changed is there now.
      const after = await stateOfA(w)
      for (const k of Object.keys(before)) {
        if (json(before[k]) !== json(after[k])) problems.push(`${label}: changed portal A (${k}): ${diff(before[k], after[k])}`)
      }
      w.known = after
    }
    if (allowed && want.includes(res.status) && res.status < 300 && c.check) {
      try {
        await c.check(w, actor, res)
      } catch (e) {
        problems.push(`${label}: ${e instanceof Error ? e.message.split('\n').slice(0, 6).join(' ') : String(e)}`)
      }
    }
  }
  expect(problems).toEqual([])
}

function diff(a: unknown, b: unknown): string {
  if (Array.isArray(a) && Array.isArray(b)) {
    const key = (x: unknown) => (typeof x === 'string' ? x : json(x))
    const sa = new Set(a.map(key))
    const sb = new Set(b.map(key))
    return `gone ${[...sa].filter((x) => !sb.has(x)).join(' | ').slice(0, 400) || '-'}; new ${[...sb].filter((x) => !sa.has(x)).join(' | ').slice(0, 400) || '-'}`
  }
  return `${json(a).slice(0, 200)} → ${json(b).slice(0, 200)}`
}

// ---------------------------------------------------------------------------------------------------------
// The world
// ---------------------------------------------------------------------------------------------------------

async function buildWorld(backend: Backend): Promise<World> {
  // Access is the subject here, not rate limits: both portals and the app's pacer allow far more than the plans do.
  const stack = await startTestStack(backend, {
    portal: { lang: 'en', limits: LIMITS, extraMethods: ['intranet.invite.reinvite', 'socialnetwork.collab.Member.delete'] },
    pacing: { limitsFor: () => LIMITS },
  })
  try {
    return await populate(stack)
  } catch (e) {
    await stack.close()
    throw e
  }
}

async function populate(stack: Stack): Promise<World> {
  const a = stack.portal
  // The minute passes (reminders, digests, periodic reviews) are background work with suites of their own; stopped
  // here so that only the call under test can change portal A between two snapshots.
  await stack.a.app.scheduler.stop()
  await stack.a.app.collabs.scheduler.stop()
  const admin = await installedAdmin(stack)

  // People: M heads D1 and is in it; E works in D2; P is a plain member of D1 and of G1.
  const manager = a.addUser({ NAME: 'Mira', LAST_NAME: 'Alphamanager', EMAIL: 'mira@alpha-staff.example', UF_DEPARTMENT: [D1] })
  a.addDepartment({ ID: D1, NAME: 'Alpha Sales', PARENT: 1, UF_HEAD: manager.ID })
  const employee = a.addUser({ NAME: 'Egor', LAST_NAME: 'Alphaemployee', EMAIL: 'egor@alpha-staff.example', UF_DEPARTMENT: [D2] })
  a.addDepartment({ ID: D2, NAME: 'Alpha Support', PARENT: 1 })
  const member = a.addUser({ NAME: 'Pavel', LAST_NAME: 'Alphamember', EMAIL: 'pavel@alpha-staff.example', UF_DEPARTMENT: [D1] })

  // Groups: hidden G1 (M's), visible G2 (the admin's); collabs C1 (M's) and C2 (the admin's) with guests.
  const g1 = a.addGroup({ NAME: 'Alpha Hidden Partners', OWNER_ID: manager.ID, IS_EXTRANET: true, VISIBLE: 'N', members: [member.ID] }).ID
  const g2 = a.addGroup({ NAME: 'Alpha Open Suppliers', OWNER_ID: 1, IS_EXTRANET: true, VISIBLE: 'Y' }).ID
  const guest = (email: string, name: string) => a.addUser({ EMAIL: email, NAME: name, LAST_NAME: 'Guest', USER_TYPE: 'extranet', UF_DEPARTMENT: [] }).ID
  const c1Active = guest('cora.active@alpha-c1.example', 'Cora')
  const c1Victim = guest('carl.victim@alpha-c1.example', 'Carl')
  const c1Victim2 = guest('cole.victim@alpha-c1.example', 'Cole')
  const c2Active = guest('dana.active@alpha-c2.example', 'Dana')
  const c2Deactivate = guest('dirk.deactivate@alpha-c2.example', 'Dirk')
  const c2Victim = guest('dora.victim@alpha-c2.example', 'Dora')
  const c1 = a.addGroup({ NAME: 'Alpha Collab One', OWNER_ID: manager.ID, TYPE: 'collab', members: [c1Active, c1Victim, c1Victim2] }).ID
  const c1Invited = a.inviteGuestToCollab(c1, { email: 'cleo.invited@alpha-c1.example', name: 'Cleo' }).ID
  const c2 = a.addGroup({ NAME: 'Alpha Collab Two', OWNER_ID: 1, TYPE: 'collab', members: [c2Active, c2Deactivate, c2Victim] }).ID
  const contact = Number(a.addContact({ NAME: 'Alpha', LAST_NAME: 'Crmcontact', EMAIL: ['crm.person@alpha-crm.example'] }).ID)

  const asManager = await sessionApi(stack, manager.ID)
  const asEmployee = await sessionApi(stack, employee.ID)
  const asMember = await sessionApi(stack, member.ID)

  // Templates, robot and collab settings.
  const t1 = must(await admin.post('/api/templates', template('Alpha Welcome', 'Alphatext of the welcome')), 201, 'template').template.id as string
  const tDel = must(await admin.post('/api/templates', template('Alpha Disposable')), 201, 'template').template.id as string
  must(await admin.put('/api/robots/settings', { ...DEFAULT_ROBOT_SETTINGS, dailyCap: 137 }), 200, 'robot settings')
  must(await admin.put('/api/collabs/settings', { ...DEFAULT_COLLAB_SETTINGS, activeDays: 41 }), 200, 'collab settings')

  // The admin's wizard: a sent list, a checked one, an uploaded one.
  const sentList = await uploadAndCheck(admin, csv([['E-mail', 'Name', 'Last name'], ['ada.one@alpha-inv.example', 'Ada', 'One'], ['ada.two@alpha-inv.example', 'Ada', 'Two']]), 'alpha-admin.csv', { templateId: t1 })
  const jobA = must(await admin.post(`/api/imports/${sentList.importId}/send`), 201, 'admin send').jobId as string
  const impDry = (await uploadAndCheck(admin, csv([['E-mail', 'Name'], ['dry.one@alpha-inv.example', 'Dry']]), 'alpha-dry.csv')).importId
  const impReparse = must(await admin.upload(csv([['E-mail', 'Name'], ['reparse.one@alpha-inv.example', 'Re']]), 'alpha-reparse.csv'), 201, 'upload').id as string

  // Onboarding kits; M invites into G1 from the group tab (within the quota), the admin into G2.
  must(await asManager.call('PUT', `/api/extranet/groups/${g1}/kit`, { json: KIT }), 200, 'M\'s kit')
  must(await admin.call('PUT', `/api/extranet/groups/${g2}/kit`, { json: KIT }), 200, 'admin\'s kit')
  const mTab = must(await asManager.post(`/api/extranet/groups/${g1}/invite`, { people: 'Gina Guest <gina.g1@alpha-inv.example>' }), 201, 'M\'s tab check')
  const jobM = must(await asManager.post(`/api/extranet/groups/${g1}/invite/${mTab.importId}/send`), 201, 'M\'s tab send').jobId as string
  const aTab = must(await admin.post(`/api/extranet/groups/${g2}/invite`, { people: 'Greta Guest <greta.g2@alpha-pub.example>' }), 201, 'admin\'s G2 check')
  const jobG2 = must(await admin.post(`/api/imports/${aTab.importId}/send`), 201, 'admin\'s G2 send').jobId as string

  // E may invite employees into D2 by a rule of their own.
  const base = must(await admin.get('/api/policy'), 200, 'policy').policy
  const eRule = {
    id: randomUUID(), who: { kind: 'users', ids: [employee.ID] }, kinds: ['intranet'], templates: { mode: 'all', ids: [] },
    departments: { mode: 'own', ids: [] }, groups: { mode: 'managed', ids: [] }, dailyQuota: 5, approval: 'never',
  }
  must(await admin.put('/api/policy', { ...base, rules: [...base.rules, eRule] }), 200, 'policy with E\'s rule')
  const eCheck = must(await asEmployee.post('/api/embedded/check', { kind: 'intranet', departmentId: D2, people: 'Ella <ella.e@alpha-inv.example>' }), 201, 'E\'s check')
  const eSent = must(await asEmployee.post(`/api/embedded/${eCheck.importId}/send`), 201, 'E\'s send')
  const jobE = eSent.jobId as string
  for (const id of [jobA, jobM, jobG2, jobE]) await waitForJob(admin, id, finished, `job ${id}`)
  await stack.a.app.runner.drain()

  // M's quota becomes 1 (used): M's next invites are requests the admins decide. P's (no rule) go to G1's owner, M.
  // Department heads see their departments' invitations: M sees P's (D1), never E's (D2) nor the admin's (the parent department).
  // M may create join links into the groups M manages (last: M's invitations still go by the group managers' rule).
  const mJoinRule = {
    id: randomUUID(), who: { kind: 'users', ids: [manager.ID] }, kinds: ['extranet'], templates: { mode: 'all', ids: [] },
    departments: { mode: 'own', ids: [] }, groups: { mode: 'managed', ids: [] }, dailyQuota: 50, approval: 'over_quota', joinLinks: true,
  }
  const policyA = { ...base, departmentVisibility: true, rules: [...base.rules.map((r: { who: { kind: string } }) => (r.who.kind === 'group_managers' ? { ...r, dailyQuota: 1 } : r)), eRule, mJoinRule] }
  must(await admin.put('/api/policy', policyA), 200, 'policy with M\'s quota')
  const request = async (api: Api, body: object, what: string) => {
    const checked = must(await api.post('/api/embedded/check', body), 201, `${what} check`)
    const sent = must(await api.post(`/api/embedded/${checked.importId}/send`), 202, `${what} send`)
    return sent.requestId as string
  }
  const reqMa = await request(asManager, { kind: 'extranet', groupId: g1, people: 'mila.a@alpha-req-m.example' }, 'M request a')
  const reqMd = await request(asManager, { kind: 'extranet', groupId: g1, people: 'mila.d@alpha-req-m.example' }, 'M request d')
  const reqMc = await request(asManager, { kind: 'extranet', groupId: g1, people: 'mila.c@alpha-req-m.example' }, 'M request c')
  const reqPa = await request(asMember, { kind: 'extranet', groupId: g1, people: 'pia.a@alpha-req-p.example' }, 'P request a')
  const reqPd = await request(asMember, { kind: 'extranet', groupId: g1, people: 'pia.d@alpha-req-p.example' }, 'P request d')
  const reqE = await request(asEmployee, { kind: 'extranet', groupId: g2, people: 'eva.r@alpha-req-e.example' }, 'E request')
  const reqP0 = await request(asMember, { kind: 'extranet', groupId: g1, people: 'pia.zero@alpha-req-p.example' }, 'P request 0')
  const jobP = must(await admin.post(`/api/requests/${reqP0}/approve`, {}), 200, 'approving P\'s request').request.jobId as string
  await waitForJob(admin, jobP, finished, 'P\'s approved send')
  const pa = await stack.a.app.stores.inviteRequests.get(a.memberId, reqPa)
  if (pa?.approverId !== manager.ID) throw new Error(`P's request should go to M, goes to ${pa?.approverId}`)

  // Checked lists waiting to be sent, for the send rows.
  const impEmbM = must(await asManager.post('/api/embedded/check', { kind: 'extranet', groupId: g1, people: 'milo.emb@alpha-req-m.example' }), 201, 'M\'s embedded check').importId as string
  const impEmbE = must(await asEmployee.post('/api/embedded/check', { kind: 'intranet', departmentId: D2, people: 'eli.two@alpha-inv-e.example' }), 201, 'E\'s embedded check').importId as string
  const g1m = must(await asManager.post(`/api/extranet/groups/${g1}/invite`, { people: 'gabe.g1@alpha-inv-m.example' }), 201, 'M\'s G1 list')
  const impG1M2 = must(await asManager.post(`/api/extranet/groups/${g1}/invite`, { people: 'gus.g1@alpha-inv-m.example' }), 201, 'M\'s second G1 list').importId as string
  const g1a = must(await admin.post(`/api/extranet/groups/${g1}/invite`, { people: 'gail.g1@alpha-inv-g1.example' }), 201, 'admin\'s G1 list')

  // Collabs: synced, M's and the admin's lists into C1, an access review over C1 and C2.
  must(await admin.post('/api/collabs/sync', { full: true }), 200, 'collab sync')
  const c1m = must(await asManager.post(`/api/collabs/${c1}/invite`, { people: 'cody.c1@alpha-inv-m.example' }), 201, 'M\'s C1 list')
  const c1a = must(await admin.post(`/api/collabs/${c1}/invite`, { people: 'cass.c1@alpha-inv-c1.example' }), 201, 'admin\'s C1 list')
  const review = must(await admin.post('/api/collabs/reviews', { dueDays: 7, unanswered: 'keep', collabIds: [c1, c2] }), 201, 'review').review.id as string
  const items = must(await admin.get(`/api/collabs/reviews/${review}`), 200, 'review items').items as Array<{ id: string; userId: number }>
  const itemC1 = items.find((i) => i.userId === c1Active)!.id
  const itemC2 = items.find((i) => i.userId === c2Active)!.id

  // A robot run.
  const call = await a.callRobot('invite_employee', { documentId: DEAL, properties: { EMAIL: 'rob.hire@alpha-robot.example', DEPARTMENT: '1' } })
  if (call.status !== 200) throw new Error(`robot call answered ${call.status}`)
  await until(() => a.bizprocEvents().find((e) => e.eventToken === String(call.payload.event_token)), 'the robot\'s reply', 15_000)
  await stack.a.app.robots.worker.drain()
  await stack.a.app.runner.drain()
  const run = must(await admin.get('/api/robots/runs'), 200, 'runs').rows[0].id as string

  // G1's and G2's guests so far (Jana below becomes another guest of G1).
  const guests = async (groupId: number) => (await stack.a.app.stores.guests.listByGroup(a.memberId, groupId))[0]!.id
  const guestG1 = await guests(g1)
  const guestG2 = await guests(g2)

  // Join links: the admin's into G2 (every join waits for approval), M's into G1 (M is no admin: a cap and an
  // expiry), one person joined through each on the public page; and a spare link each for the revoke rows.
  const linkBody = (name: string, target: { kind: string; id: number }, extra: object = {}) => ({
    name, target, templateId: null, expiresOn: null, cap: null, allowedDomains: [], approval: false, ...extra,
  })
  const linkA = must(await admin.post('/api/join-links', linkBody('Alpha Lobby Joinlink', { kind: 'group', id: g2 }, { approval: true })), 201, 'the admin\'s join link')
  const spareA = must(await admin.post('/api/join-links', linkBody('Alpha Spare Lobby Joinlink', { kind: 'group', id: g2 })), 201, 'the admin\'s spare join link')
  const mLink = linkBody('Alpha Partner Joinlink', { kind: 'group', id: g1 }, { cap: 10, expiresOn: inDays(30) })
  const linkM = must(await asManager.post('/api/join-links', mLink), 201, 'M\'s join link')
  const spareM = must(await asManager.post('/api/join-links', { ...mLink, name: 'Alpha Spare Partner Joinlink' }), 201, 'M\'s spare join link')
  const joinThrough = async (url: string, email: string, name: string) => {
    const res = await fetch(url, {
      method: 'POST', body: form({ email, name, last_name: 'Joiner', lang: 'en' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '203.0.113.50', 'accept-language': 'en' },
    })
    if (res.status !== 200) throw new Error(`joining ${url} as ${email} answered ${res.status}: ${(await res.text()).slice(0, 300)}`)
  }
  await joinThrough(linkA.url, 'jonas@alpha-join-a.example', 'Jonas')
  await joinThrough(linkM.url, 'jana@alpha-join-m.example', 'Jana')
  await stack.a.app.joinLinks.worker.drain()
  const [joinA] = (await stack.a.app.stores.joinLinks.joins(a.memberId, linkA.id, { limit: 10, offset: 0 })).rows
  const [joinM] = (await stack.a.app.stores.joinLinks.joins(a.memberId, linkM.id, { limit: 10, offset: 0 })).rows
  if (joinA?.state !== 'awaiting_approval' || !joinA.requestId) throw new Error(`Jonas's join should wait on a request: ${JSON.stringify(joinA)}`)
  if (joinM?.state !== 'sent' || !joinM.jobId) throw new Error(`Jana's join should be sent: ${JSON.stringify(joinM)}`)
  await waitForJob(admin, joinM.jobId, finished, 'Jana\'s join job')
  await stack.a.app.runner.drain()

  // Portal B and its admin (B's directory known, for B's own join link).
  const b = await stack.emu.createPortal({ lang: 'en', limits: LIMITS })
  b.registerApp(CLIENT_ID, { handlerUrl: `${stack.a.url}/app`, installUrl: `${stack.a.url}/install` })
  const other = await installedAdmin(withPortal(stack, b))
  await stack.a.app.directorySync.sync(b.memberId, { forceFull: true })
  const impB = must(await other.post('/api/imports', { paste: 'bea@beta-own.example' }), 201, 'B\'s list').id as string

  const ledger = async (email: string) => (await stack.a.app.stores.ledger.findByEmail(a.memberId, email))[0]!.id
  const portal = (await stack.a.app.stores.portals.get(a.memberId))!
  const f: Fx = {
    memberA: a.memberId, domainA: portal.domain, manager: manager.ID, employee: employee.ID, member: member.ID,
    g1, g2, c1, c2, c1Active, c1Victim, c1Victim2, c1Invited, c2Active, c2Deactivate, c2Victim, contact,
    t1, tDel, jobA, jobM, jobE, jobG2, impSent: sentList.importId, impDry, impReparse,
    impG1M: g1m.importId, impG1MRow: g1m.rows[0].rowNumber, impG1M2, impG1A: g1a.importId, impG1ARow: g1a.rows[0].rowNumber,
    impC1M: c1m.importId, impC1MRow: c1m.rows[0].rowNumber, impC1A: c1a.importId, impC1ARow: c1a.rows[0].rowNumber, impB,
    impEmbM, impEmbE,
    invA: await ledger('ada.one@alpha-inv.example'), invM: await ledger('gina.g1@alpha-inv.example'), invE: await ledger('ella.e@alpha-inv.example'), invP: await ledger('pia.zero@alpha-req-p.example'),
    guestG1, guestG2,
    reqMa, reqMd, reqMc, reqPa, reqPd, reqE, review, itemC1, itemC2, run,
    linkA: linkA.id, linkM: linkM.id, spareA: spareA.id, spareM: spareM.id, reqJoin: joinA.requestId,
  }

  const MA: Actor[] = ['manager', 'admin']
  const EA: Actor[] = ['employee', 'admin']
  const s = (label: string, text: string, visibleTo: readonly Actor[]): Secret => ({ label, text, visibleTo })
  const secrets: Secret[] = [
    // Anyone in portal A may see these; B none of them.
    s('A\'s member id', f.memberA, IN_A), s('A\'s domain', f.domainA, IN_A),
    s('template T1', t1, IN_A), s('template "Alpha Welcome"', 'Alpha Welcome', IN_A), s('T1\'s text', 'Alphatext', IN_A), s('template T-del', tDel, IN_A),
    s('department "Alpha Sales"', 'Alpha Sales', IN_A), s('M\'s name', 'Alphamanager', IN_A), s('E\'s name', 'Alphaemployee', IN_A),
    s('visible G2', 'Alpha Open Suppliers', IN_A), s('G2\'s guest', 'greta.g2@alpha-pub.example', IN_A), s('G2\'s guest id', f.guestG2, IN_A),
    s('collab C1 (visible group)', 'Alpha Collab One', IN_A), s('collab C2 (visible group)', 'Alpha Collab Two', IN_A),
    s('the CRM contact', 'crm.person@alpha-crm.example', IN_A),
    // M's (and what M manages or approves).
    s('hidden G1', 'Alpha Hidden Partners', MA), s('M\'s job', jobM, MA), s('M\'s invitation', f.invM, MA), s('M\'s invitee', 'gina.g1@alpha-inv.example', MA),
    s('G1\'s guest id', f.guestG1, MA), s('M\'s G1 list', f.impG1M, MA), s('M\'s second G1 list', impG1M2, MA), s('M\'s second G1 list person', 'gus.g1@alpha-inv-m.example', MA), s('M\'s G1 list person', 'gabe.g1@alpha-inv-m.example', MA),
    s('admin\'s G1 list person', 'gail.g1@alpha-inv-g1.example', MA),
    s('M\'s C1 list', f.impC1M, MA), s('M\'s C1 list person', 'cody.c1@alpha-inv-m.example', MA), s('admin\'s C1 list person', 'cass.c1@alpha-inv-c1.example', MA),
    s('C1\'s guest Cora', 'cora.active@alpha-c1.example', MA), s('C1\'s guest Carl', 'carl.victim@alpha-c1.example', MA), s('C1\'s guest Cole', 'cole.victim@alpha-c1.example', MA), s('C1\'s invited guest', 'cleo.invited@alpha-c1.example', MA),
    s('the access review', review, MA), s('C1\'s review item', itemC1, MA),
    s('M\'s requests (people)', 'alpha-req-m.example', MA), s('M\'s request a', reqMa, MA), s('M\'s request d', reqMd, MA), s('M\'s request c', reqMc, MA),
    s('M\'s embedded list', impEmbM, MA),
    s('P\'s requests (people)', 'alpha-req-p.example', MA), s('P\'s invitation', f.invP, MA), s('P\'s approved job', jobP, MA), s('P\'s request a', reqPa, MA), s('P\'s request d', reqPd, MA),
    // E's.
    s('E\'s job', jobE, EA), s('E\'s invitation', f.invE, EA), s('E\'s invitee', 'ella.e@alpha-inv.example', EA), s('E\'s request', reqE, EA),
    s('E\'s request (people)', 'alpha-req-e.example', EA), s('E\'s embedded list', impEmbE, EA), s('E\'s embedded list person', 'eli.two@alpha-inv-e.example', EA),
    // The admin's alone.
    s('the admin\'s job', jobA, ADMIN), s('the admin\'s G2 job', jobG2, ADMIN), s('the admin\'s invitation', f.invA, ADMIN),
    s('the admin\'s invitee', 'ada.one@alpha-inv.example', ADMIN), s('the admin\'s list', f.impSent, ADMIN), s('the admin\'s checked list', impDry, ADMIN),
    s('the admin\'s checked list person', 'dry.one@alpha-inv.example', ADMIN), s('the admin\'s uploaded list', impReparse, ADMIN),
    s('the admin\'s G1 list', f.impG1A, ADMIN), s('the admin\'s C1 list', f.impC1A, ADMIN),
    s('C2\'s guest Dana', 'dana.active@alpha-c2.example', ADMIN), s('C2\'s guest Dirk', 'dirk.deactivate@alpha-c2.example', ADMIN), s('C2\'s guest Dora', 'dora.victim@alpha-c2.example', ADMIN),
    s('C2\'s review item', itemC2, ADMIN), s('the robot run', run, ADMIN), s('the robot\'s invitee', 'rob.hire@alpha-robot.example', ADMIN),
    // Join links: each owner's, and the admins'. A link's URL holds its token: the token alone is the secret.
    s('M\'s join link', f.linkM, MA), s('M\'s join link name', 'Alpha Partner Joinlink', MA), s('M\'s join link token', tokenOf(linkM.url), MA),
    s('M\'s spare join link', f.spareM, MA), s('M\'s spare join link token', tokenOf(spareM.url), MA), s('M\'s joiner', 'jana@alpha-join-m.example', MA),
    s('the admin\'s join link', f.linkA, ADMIN), s('the admin\'s join link name', 'Alpha Lobby Joinlink', ADMIN), s('the admin\'s join link token', tokenOf(linkA.url), ADMIN),
    s('M\'s spare join link name', 'Alpha Spare Partner Joinlink', MA), s('the admin\'s spare join link name', 'Alpha Spare Lobby Joinlink', ADMIN),
    s('the admin\'s spare join link', f.spareA, ADMIN), s('the admin\'s spare join link token', tokenOf(spareA.url), ADMIN),
    s('the admin\'s joiner', 'jonas@alpha-join-a.example', ADMIN), s('the admin\'s join request', f.reqJoin, ADMIN),
  ]
  return {
    stack, a, b, f, secrets, policyA,
    api: { other, employee: asEmployee, manager: asManager, admin },
  }
}

// ---------------------------------------------------------------------------------------------------------

const label = (c: Case) => `${c.method} ${c.route}${c.what ? ` (${c.what})` : ''}`

for (const backend of BACKENDS) {
  describe.sequential(`access matrix on ${backend.name}`, () => {
    let w: (World) | undefined
    beforeAll(async () => {
      w = await buildWorld(backend)
    }, 60_000)
    afterAll(async () => {
      await w?.stack.close()
    })

    it('the table covers every route the app has, and names no route it lacks', () => {
      const routes = routesOf(w!.stack.a.app.http)
      const api = routes.filter((r) => / \/api(\/|$)/.test(r))
      const inTable = [...new Set(CASES.map((c) => `${c.method} ${c.route}`))].sort()
      expect({ missingFromTable: api.filter((r) => !inTable.includes(r)), notInApp: inTable.filter((r) => !api.includes(r)) }).toEqual({ missingFromTable: [], notInApp: [] })
      expect(routes.filter((r) => !api.includes(r))).toEqual([...NON_API_ROUTES].sort())
    })

    for (const c of CASES) {
      it(label(c), async () => {
        await runCase(w as World, c)
      })
    }
  })
}
