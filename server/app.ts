import path from 'node:path'
import type { Express } from 'express'
import type { AppConfig } from './config/config.js'
import { createLogger, type Logger } from './shared/logger.js'
import { openDatabase, type AppDatabase } from './storage/database.js'
import { createStores } from './storage/index.js'
import { createSecretBox, createTokenHasher } from './trust/secret-box.js'
import { createAppSessions } from './trust/app-sessions.js'
import { createPortalVerification } from './trust/portal-verification.js'
import { createOAuthServer, type OAuthServer } from './portals/oauth-server.js'
import { createTokenRefresher } from './portals/token-refresher.js'
import { createPortalGateway, type PortalGateway } from './portals/portal-gateway.js'
import { createInstallService, type InstallService } from './install/install-service.js'
import { createEventIntake } from './events/event-intake.js'
import { createEventProcessor, type EventProcessor } from './events/event-processor.js'
import { createHttpApp } from './http/create-http-app.js'
import type { RestrictionParams } from '@bitrix24/b24jssdk'
import type { Clock } from './shared/clock.js'
import type { PacingOptions } from './portals/pacer.js'

export interface BuildOptions {
  log?: Logger
  /** Defaults to dist/client next to the repository root. */
  clientDist?: string
  /** Tests use a faster SDK profile; production follows the plan's documented limits. */
  restriction?: (licenseFamily: string | null) => RestrictionParams
  /** Observability hook for tests and metrics. */
  onRefresh?: (memberId: string) => void
  /** An already open database (tests isolate each run in its own PostgreSQL schema). */
  database?: AppDatabase
  /** Time for pacing (benches pass the emulator's sped-up clock). Default: system time. */
  clock?: Clock
  /** Pacer settings (operating budget and window, margins). Default: the documented limits. */
  pacing?: PacingOptions
}

export interface InviteDesk {
  http: Express
  db: AppDatabase
  log: Logger
  gateway: PortalGateway
  oauth: OAuthServer
  install: InstallService
  events: EventProcessor
  stores: ReturnType<typeof createStores>
  /** Starts background work (event inbox). */
  start(): void
  close(): Promise<void>
}

/** One factory wires every capability from explicit dependencies (shopify-app-express's shape). */
export async function buildApp(config: AppConfig, opts: BuildOptions = {}): Promise<InviteDesk> {
  const log = opts.log ?? createLogger({ level: config.logLevel })
  const db = opts.database ?? (await openDatabase({ url: config.databaseUrl, sqlitePath: config.sqlitePath }))
  const box = createSecretBox(config.secretKeys)
  const stores = createStores(db, box)
  const oauth = createOAuthServer(config)
  const refresher = createTokenRefresher({ portals: stores.portals, oauth, log, ...(opts.onRefresh ? { onRefresh: opts.onRefresh } : {}) })
  const gateway = createPortalGateway({
    config, portals: stores.portals, refresher, log, ...(opts.restriction ? { restriction: opts.restriction } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.pacing ? { pacing: opts.pacing } : {}),
  })
  const verification = createPortalVerification({ config, oauth, gateway, portals: stores.portals })
  const sessions = createAppSessions({ store: stores.sessions, hash: createTokenHasher(config.secretKeys), ttlSec: config.sessionTtlSec })
  const install = createInstallService({
    appUrl: config.appUrl, portals: stores.portals, gateway, verification, sessions, audit: stores.audit, log,
  })
  const events = createEventProcessor({
    inbox: stores.inbox,
    portals: stores.portals,
    log,
    handlers: {
      ONAPPUNINSTALL: async (portal, item) => {
        const clean = String((item.payload.data as Record<string, unknown> | undefined)?.CLEAN ?? '0') === '1'
        await install.uninstall(portal, clean)
      },
    },
  })
  const intake = createEventIntake({ verification, install, inbox: stores.inbox, kick: events.kick })
  const http = createHttpApp({
    db, log,
    clientDist: opts.clientDist ?? path.resolve(import.meta.dirname, '../dist/client'),
    portals: stores.portals, audit: stores.audit, sessions, verification, install, intake,
    robots: {},
  })
  return {
    http, db, log, gateway, oauth, install, events, stores,
    start: () => events.start(),
    async close() {
      await events.stop()
      await db.close()
    },
  }
}
