import { Router, type Request, type Response } from 'express'
import { AppError, errorText } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { InstallService } from '../install/install-service.js'
import type { PortalStore } from '../storage/portal-store.js'
import type { AppSessions } from '../trust/app-sessions.js'
import type { PortalVerification } from '../trust/portal-verification.js'
import { originOf, setFramedPageHeaders } from '../trust/security-headers.js'
import { uiLang, type Boot } from './render-page.js'

const MAX_PLACEMENT_OPTIONS_CHARS = 8_000

/**
 * The pages the portal opens in its iframe by form POST (GET works too): the install wizard and the app
 * itself for the main page and every placement. Both answer with the built UI plus a boot JSON.
 */
export function iframeRoutes(deps: {
  install: InstallService
  verification: PortalVerification
  sessions: AppSessions
  portals: PortalStore
  render: (boot: Boot) => Promise<string>
  log: Logger
}): Router {
  const r = Router()

  async function knownOrigin(memberId: unknown): Promise<string | null> {
    if (typeof memberId !== 'string' || !memberId) return null
    const p = await deps.portals.get(memberId)
    return p ? originOf(p.clientEndpoint) : null
  }

  function asAppError(e: unknown): AppError {
    if (e instanceof AppError) {
      if (e.status < 500) deps.log.warn({ code: e.code }, 'iframe request refused')
      else deps.log.error({ code: e.code, msg: e.message }, 'iframe request failed')
      return e
    }
    deps.log.error({ err: errorText(e) }, 'iframe request failed')
    return new AppError('internal_error', 'Something went wrong on our side; it has been logged', 500)
  }

  async function sendPage(res: Response, status: number, origin: string | null, boot: Boot): Promise<void> {
    setFramedPageHeaders(res, origin)
    res.status(status).type('html').send(await deps.render(boot))
  }

  r.all('/install', async (req: Request, res: Response) => {
    const body = fields(req)
    const lang = uiLang(req.query.LANG ?? body.LANG)
    try {
      const { verified, registration } = await deps.install.installFromPage({ memberId: body.member_id, refreshToken: body.REFRESH_ID })
      await sendPage(res, 200, originOf(verified.clientEndpoint), {
        mode: 'install', lang, ok: true,
        registration: { events: registration.events, placements: registration.placements, robots: registration.robots, errors: registration.errors },
      })
    } catch (e) {
      const err = asAppError(e)
      await sendPage(res, err.status, await knownOrigin(body.member_id), { mode: 'install', lang, ok: false, error: { code: err.code, message: err.message } })
    }
  })

  r.all('/app', async (req: Request, res: Response) => {
    const body = fields(req)
    const lang = uiLang(req.query.LANG ?? body.LANG)
    try {
      const v = await deps.verification.verifyFrame({ memberId: body.member_id, authId: body.AUTH_ID })
      const placement = typeof body.PLACEMENT === 'string' && /^[A-Z0-9_]{1,64}$/.test(body.PLACEMENT) ? body.PLACEMENT : 'DEFAULT'
      const placementOptions = parseOptions(body.PLACEMENT_OPTIONS)
      const session = await deps.sessions.mint({ memberId: v.portal.memberId, userId: v.userId, isAdmin: v.isAdmin, lang, placement, placementOptions })
      const status = v.portal.status === 'uninstalled' ? 'installing' : v.portal.status
      await sendPage(res, 200, originOf(v.portal.clientEndpoint), {
        mode: 'app', lang, session, placement, placementOptions,
        user: { id: v.userId, name: v.name, isAdmin: v.isAdmin },
        portal: { memberId: v.portal.memberId, domain: v.portal.domain, status },
      })
    } catch (e) {
      const err = asAppError(e)
      await sendPage(res, err.status, await knownOrigin(body.member_id), { mode: 'error', lang, error: { code: err.code, message: err.message } })
    }
  })

  return r
}

/** The portal POSTs a form; a GET carries the same names in the query. Body wins. */
function fields(req: Request): Record<string, unknown> {
  const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {}
  return { ...(req.query as Record<string, unknown>), ...body }
}

function parseOptions(raw: unknown): Record<string, unknown> {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) return raw as Record<string, unknown>
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_PLACEMENT_OPTIONS_CHARS) return {}
  try {
    const v: unknown = JSON.parse(raw)
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}
