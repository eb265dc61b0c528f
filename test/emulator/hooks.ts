/**
 * HTTP test hooks under `/__emulator/...` on every portal port (JSON in, JSON out), mirroring the
 * PortalHandle API for the browser demo and for out-of-process tests, plus the frame-shell endpoints.
 * Not part of Bitrix24.
 */
import express from 'express'
import type { Request, Response } from 'express'
import { shellFrame } from './frame-shell.js'
import { int, intList, obj, str } from './params.js'
import type { Portal } from './portal.js'
import type { FaultSpec } from './state.js'
import { collabTruth, seedCollabs, type SeedCollabsOptions } from './seed-collabs.js'
import { ACCESS_TTL_SEC } from './tokens.js'

type Handler = (req: Request, body: Record<string, unknown>) => unknown

export function hooksRouter(portal: Portal): express.Router {
  const router = express.Router()
  router.use(express.json({ limit: '5mb' }))

  const wrap = (fn: Handler) => async (req: Request, res: Response): Promise<void> => {
    try {
      const out = await fn(req, obj(req.body))
      res.status(200).json(out === undefined ? { ok: true } : out)
    } catch (e) {
      res.status(400).json({ error: e instanceof Error ? e.message : String(e) })
    }
  }
  const get = (path: string, fn: Handler): void => void router.get(path, wrap(fn))
  const post = (path: string, fn: Handler): void => void router.post(path, wrap(fn))
  const clientId = (req: Request): string => String(req.params.clientId)

  get('/state', () => ({
    memberId: portal.memberId,
    domain: portal.domain,
    origin: portal.origin,
    clientEndpoint: portal.clientEndpoint,
    oauthUrl: portal.oauthUrl,
    plan: portal.plan,
    lang: portal.lang,
    apps: [...portal.installs.values()].map((i) => ({ clientId: i.clientId, installed: i.installed, version: i.version })),
    registrations: [...portal.registrations.values()],
  }))
  get('/users', () => portal.users())
  get('/groups', () => portal.groups())
  get('/departments', () => portal.departments())
  get('/requests', () => portal.requests())
  get('/events', () => portal.events())
  get('/placements', () => portal.placements())
  get('/robots', () => portal.robots())
  get('/notifications', () => portal.notifications())
  get('/bizproc-events', () => portal.bizprocEvents())
  get('/deliveries', () => portal.deliveries())
  get('/invitations', () => portal.invitations())
  get('/feed-posts', () => portal.feedPosts())
  get('/chat-messages', (req) => portal.chatMessages(typeof req.query.dialogId === 'string' ? req.query.dialogId : undefined))
  get('/tasks', () => portal.tasks())
  get('/contacts', () => portal.contacts())
  get('/companies', () => portal.companies())
  get('/oauth-stats', () => portal.oauthStats())
  get('/call-count/:method', (req) => ({ method: req.params.method, count: portal.callCount(String(req.params.method)) }))

  post('/users', (_req, b) => portal.addUser(b))
  post('/departments', (_req, b) => portal.addDepartment({ NAME: str(b.NAME), PARENT: b.PARENT === undefined ? undefined : b.PARENT === null ? null : int(b.PARENT) }))
  post('/groups', (_req, b) => portal.addGroup({ ...(b as object), NAME: str(b.NAME), OWNER_ID: int(b.OWNER_ID) }))
  post('/contacts', (_req, b) => portal.addContact(b))
  post('/companies', (_req, b) => portal.addCompany({ ...b, TITLE: str(b.TITLE) }))
  post('/user-limit', (_req, b) => portal.setUserLimit(b.limit === null || b.limit === undefined ? null : int(b.limit)))

  post('/apps/:clientId/register', (req, b) => portal.registerApp(clientId(req), { handlerUrl: str(b.handlerUrl), ...(b.installUrl ? { installUrl: str(b.installUrl) } : {}) }))
  post('/apps/:clientId/begin-install', (req, b) => portal.beginInstall(clientId(req), { userId: b.userId === undefined ? 1 : int(b.userId) }))
  post('/apps/:clientId/finish-install', (req) => portal.finishInstall(clientId(req)))
  post('/apps/:clientId/uninstall', (req, b) => portal.uninstallApp(clientId(req), { clean: b.clean === true }))
  post('/apps/:clientId/frame-fields', (req, b) =>
    portal.appFrameFields(clientId(req), { userId: b.userId === undefined ? 1 : int(b.userId), placement: str(b.placement) || 'DEFAULT', placementOptions: obj(b.placementOptions) }),
  )
  post('/apps/:clientId/tokens', (req, b) => portal.issueTokens(clientId(req), b.userId === undefined ? 1 : int(b.userId)))
  post('/expire-tokens', () => portal.expireAccessTokens())
  post('/revoke-refresh-tokens', () => portal.revokeRefreshTokens())
  post('/faults', (_req, b) => portal.injectFault(b as unknown as FaultSpec))
  post('/faults/clear', () => portal.clearFaults())
  router.delete('/faults', wrap(() => portal.clearFaults()))
  post('/fire-event', (_req, b) =>
    portal.fireEvent(str(b.name), b.data ?? {}, { ...(b.userId !== undefined ? { userId: b.userId === null ? null : int(b.userId) } : {}), ...(b.clientId ? { clientId: str(b.clientId) } : {}) }),
  )
  post('/accept-invitation', (_req, b) => portal.acceptInvitation(typeof b.user === 'number' ? b.user : str(b.user)))
  post('/accept-group-invitation', (_req, b) => portal.acceptGroupInvitation(int(b.groupId), int(b.userId)))
  post('/call-robot', (_req, b) => {
    const { code, ...opts } = b
    return portal.callRobot(str(code), opts)
  })
  post('/record-login', (_req, b) => portal.recordLogin(int(b.userId), b.at === undefined ? undefined : int(b.at)))
  post('/record-activity', (_req, b) => portal.recordActivity(int(b.userId), b.at === undefined ? undefined : int(b.at)))
  post('/invite-guest-to-collab', (_req, b) =>
    portal.inviteGuestToCollab(int(b.collabId), {
      email: str(b.email),
      ...(b.name !== undefined ? { name: str(b.name) } : {}),
      ...(b.lastName !== undefined ? { lastName: str(b.lastName) } : {}),
      ...(b.invitedBy !== undefined ? { invitedBy: int(b.invitedBy) } : {}),
    }),
  )
  post('/add-guest-to-collab', (_req, b) => portal.addGuestToCollab(int(b.collabId), int(b.userId), b.invitedBy === undefined ? {} : { invitedBy: int(b.invitedBy) }))
  post('/seed-collabs', (_req, b) => {
    const r = seedCollabs(portal, b as unknown as SeedCollabsOptions)
    return { ...r, kinds: Object.fromEntries(r.kinds) }
  })
  get('/collab-truth', (req) => {
    const q = req.query
    const t = collabTruth(portal, {
      ...(typeof q.activeDays === 'string' ? { activeDays: Number(q.activeDays) } : {}),
      ...(typeof q.now === 'string' ? { now: Number(q.now) } : {}),
    })
    return { ...t, byCollab: Object.fromEntries(t.byCollab) }
  })
  post('/select-user-answer', (_req, b) => {
    portal.selectUserIds = b.ids === null || b.ids === undefined ? null : intList(b.ids)
  })

  // ---- endpoints the frame shell calls (same origin as the shell page)
  const session = (req: Request) => {
    const s = portal.frameSessions.get(String(req.params.appSid))
    if (!s) throw new Error('unknown APP_SID')
    return s
  }
  post('/frame/:appSid/refresh', (req) => {
    const s = session(req)
    const pair = portal.issuePair(s.clientId, s.userId)
    return { AUTH_ID: pair.access.token, AUTH_EXPIRES: String(ACCESS_TTL_SEC), REFRESH_ID: pair.refresh.token, MEMBER_ID: portal.memberId }
  })
  post('/frame/:appSid/install-finish', async (req) => {
    const s = session(req)
    const user = portal.usersById.get(s.userId)
    if (!user?.ADMIN) throw new Error('only an administrator can finish the installation')
    await portal.finishInstall(s.clientId)
    return shellFrame(portal, s.clientId, { userId: s.userId, lang: s.lang })
  })
  post('/frame/:appSid/reload', (req) => {
    const s = session(req)
    return shellFrame(portal, s.clientId, { userId: s.userId, placement: s.placement, placementOptions: s.placementOptions, lang: s.lang })
  })
  post('/frame/:appSid/option', (req, b) => {
    const s = session(req)
    const install = portal.requireInstall(s.clientId)
    const name = str(b.name)
    if (!name) return { stored: false }
    if (b.kind === 'app') {
      // applayout: setAppOption is honoured for administrators only.
      if (!portal.usersById.get(s.userId)?.ADMIN) return { stored: false }
      install.appOptions[name] = b.value
    } else {
      const opts = install.userOptions.get(s.userId) ?? {}
      opts[name] = b.value
      install.userOptions.set(s.userId, opts)
    }
    return { stored: true }
  })
  post('/frame/:appSid/select-user', (req, b) => {
    const s = session(req)
    const picked = portal.pickUsersForDialog(s.userId)
    const toSelected = (id: number) => {
      const u = portal.usersById.get(id)
      return {
        id: String(id),
        name: `${str(u?.fields.NAME)} ${str(u?.fields.LAST_NAME)}`.trim(),
        photo: '',
        position: str(u?.fields.WORK_POSITION),
        url: `/company/personal/user/${id}/`,
        sub: false,
        sup: false,
      }
    }
    return { result: b.mult ? picked.map(toSelected) : picked[0] === undefined ? null : toSelected(picked[0]) }
  })

  router.use((_req, res) => {
    res.status(404).json({ error: 'unknown emulator hook' })
  })
  return router
}
