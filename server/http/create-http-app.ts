import express, { type Express, type Router } from 'express'
import path from 'node:path'
import type { AppDatabase } from '../storage/database.js'
import type { Logger } from '../shared/logger.js'
import { NotFoundError, TrustError } from '../shared/errors.js'
import { safeEqual } from '../trust/safe-equal.js'
import type { EventIntake } from '../events/event-intake.js'
import type { InstallService } from '../install/install-service.js'
import type { AuditLog } from '../storage/audit-log.js'
import type { PortalStore } from '../storage/portal-store.js'
import type { AppSessions } from '../trust/app-sessions.js'
import type { PortalVerification } from '../trust/portal-verification.js'
import { errorHandler, loggedPath } from './error-handler.js'
import { iframeRoutes } from './iframe-routes.js'
import { portalCallbackRoutes, type RobotReceiver } from './portal-callback-routes.js'
import { portalApi, sessionApi } from './api/portal-api.js'
import { requireSession } from './api/require-session.js'
import type { JobStore } from '../storage/job-store.js'
import type { LedgerStore } from '../storage/ledger-store.js'
import type { DirectoryStore } from '../storage/directory-store.js'
import type { PeopleNames } from '../invites/people-names.js'
import { createPageRenderer } from './render-page.js'

export interface HttpDeps {
  db: AppDatabase
  log: Logger
  clientDist: string
  portals: PortalStore
  audit: AuditLog
  sessions: AppSessions
  verification: PortalVerification
  install: InstallService
  intake: EventIntake
  robots: RobotReceiver
  /** Capability routers under /api, each behind a verified app session. */
  api: Router[]
  ledger: LedgerStore
  jobs: JobStore
  names: PeopleNames
  directory: DirectoryStore
  /** The public join pages. */
  joinPages: Router
  trustProxy: string | number
  /** GET /metrics (Prometheus text), behind `metricsToken`; absent when no token is configured. */
  metrics: { token: string; contentType: string; render(): Promise<string> } | null
}

/** Transport only: parse, verify (through Trust), hand over, answer. No listen() here: tests mount it. */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('trust proxy', deps.trustProxy)
  app.set('query parser', 'extended')

  // Path only, never the query string: a GET /app can carry AUTH_ID in its query. Only when it is logged at all:
  // the listener is a cost on every request (events arrive by the thousand a second).
  if (deps.log.isLevelEnabled('debug')) {
    app.use((req, res, next) => {
      const started = performance.now()
      // Read now: a router mounted under a prefix (/api) has cut it off req.path by the time the answer is sent.
      const path = loggedPath(req.path)
      res.on('finish', () => {
        deps.log.debug({ method: req.method, path, status: res.statusCode, ms: Math.round(performance.now() - started) }, 'request')
      })
      next()
    })
  }

  const form = express.urlencoded({ extended: true, limit: '256kb', parameterLimit: 2000 })
  const json = express.json({ limit: '1mb' })

  // The portal's callbacks first: the busiest routes, and they need none of the ones below. Each form parser reads
  // only its own routes' bodies: one for every path read the public join page's (8 KB there) up to 256 KB first.
  app.use(['/events', '/robots'], form)
  app.use(portalCallbackRoutes({ intake: deps.intake, verification: deps.verification, robots: deps.robots }))

  app.get('/healthz', async (_req, res) => {
    try {
      await deps.db.ping()
      res.json({ status: 'ok', db: 'ok' })
    } catch {
      res.status(503).json({ status: 'degraded', db: 'unreachable' })
    }
  })

  app.get('/metrics', async (req, res) => {
    const m = deps.metrics
    if (!m) throw new NotFoundError('not_found', 'Metrics are not enabled (METRICS_TOKEN)')
    const header = req.headers.authorization ?? ''
    if (!safeEqual(header.startsWith('Bearer ') ? header.slice(7) : '', m.token)) {
      res.setHeader('WWW-Authenticate', 'Bearer')
      throw new TrustError('bad_metrics_token', 'A valid metrics bearer token is required')
    }
    res.setHeader('Cache-Control', 'no-store')
    res.type(m.contentType).send(await m.render())
  })

  app.use(
    '/assets',
    express.static(path.join(deps.clientDist, 'assets'), { immutable: true, maxAge: '1y', index: false, fallthrough: false }),
  )

  const render = createPageRenderer(deps.clientDist)
  app.use(['/app', '/install'], form)
  app.use(iframeRoutes({ ...deps, render }))
  app.use(deps.joinPages)
  // The session is checked before a body is read: a caller without one never makes the server parse up to 1 MB.
  app.use('/api', sessionApi(deps), requireSession(deps.sessions), json, portalApi(deps), ...deps.api)
  app.use('/api', (req) => {
    throw new NotFoundError('not_found', `No API route ${req.method} ${req.path}`)
  })

  app.use(errorHandler(deps.log))
  return app
}
