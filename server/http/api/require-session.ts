import type { RequestHandler, Response } from 'express'
import { TrustError } from '../../shared/errors.js'
import type { AppSessionRecord } from '../../storage/session-store.js'
import type { AppSessions } from '../../trust/app-sessions.js'

/** Every /api route below this runs with a verified session; its portal scopes every read and write. */
export function requireSession(sessions: AppSessions): RequestHandler {
  return async (req, res, next) => {
    res.locals.session = await sessions.authenticate(req.headers.authorization)
    next()
  }
}

export function sessionOf(res: Response): AppSessionRecord {
  return res.locals.session as AppSessionRecord
}

export function requireAdmin(res: Response): AppSessionRecord {
  const s = sessionOf(res)
  if (!s.isAdmin) throw new TrustError('admin_only', 'Only a portal administrator can do this', 403)
  return s
}
