import { existsSync } from 'node:fs'
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
import { systemClock, type Clock } from './shared/clock.js'
import { createDirectorySync, type DirectorySync } from './invites/directory-sync.js'
import { createInviteService } from './invites/invite-service.js'
import { createJobNotifications } from './invites/job-notifications.js'
import { createPeopleNames } from './invites/people-names.js'
import { createJobRunner, type EngineTiming, type JobRunner } from './engine/job-runner.js'
import { createJobControl } from './engine/job-control.js'
import { createGuestLifecycle, type GuestLifecycle } from './extranet/guest-lifecycle.js'
import { createInvitationLifecycle, type InvitationLifecycle } from './ledger/invitation-lifecycle.js'
import { createInvitationScheduler } from './ledger/invitation-scheduler.js'
import { templatesApi } from './http/api/templates-api.js'
import { invitesApi } from './http/api/invites-api.js'
import { jobsApi } from './http/api/jobs-api.js'
import { invitationsApi } from './http/api/invitations-api.js'
import { extranetApi } from './http/api/extranet-api.js'
import { createExtranetGroups } from './extranet/extranet-groups.js'
import type { PacingOptions } from './portals/pacer.js'
import { collabsApi } from './http/api/collabs-api.js'
import { createAccessReviews, type AccessReviews } from './collabs/access-reviews.js'
import { createCollabActionRunner } from './collabs/collab-actions.js'
import { createCollabDashboard, type CollabDashboard } from './collabs/collab-dashboard.js'
import { createCollabDigest, type CollabDigest } from './collabs/collab-digest.js'
import { createCollabScheduler, type CollabScheduler } from './collabs/collab-scheduler.js'
import { createCollabSettings } from './collabs/collab-settings.js'
import { createCollabSync, type CollabSync } from './collabs/collab-sync.js'
import { robotsApi } from './http/api/robots-api.js'
import { policyApi } from './http/api/policy-api.js'
import { createEmbeddedInvites } from './policy/embedded-invites.js'
import { createInviteRequests } from './policy/invite-requests.js'
import { createInviterNotices } from './policy/inviter-notices.js'
import { createPolicyService } from './policy/policy-service.js'
import { createRobotDispatch } from './robots/robot-dispatch.js'
import { createRobotIntake } from './robots/robot-intake.js'
import { createRobotOutcomes, type RobotOutcomes } from './robots/robot-outcomes.js'
import { createRobotReplies } from './robots/robot-replies.js'
import { createRobotSettings } from './robots/robot-settings.js'
import { createRobotWorker, type RobotWorker } from './robots/robot-worker.js'
import { createMetrics } from './observability/metrics.js'
import { joinLinksApi } from './http/api/join-links-api.js'
import { joinPageRoutes } from './http/join-page-routes.js'
import { createJoinDispatch } from './join-links/join-dispatch.js'
import { createJoinIntake, DEFAULT_JOIN_LIMITS, type JoinLimits } from './join-links/join-intake.js'
import { createJoinLinks, type JoinLinks } from './join-links/join-links.js'
import { createJoinWorker, joinDecisions, type JoinWorker } from './join-links/join-worker.js'
import type { JoinDecisions } from './policy/invite-requests.js'

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
  /** The job engine's lease, settle window and width; production uses DEFAULT_ENGINE_TIMING. */
  engine?: Partial<EngineTiming>
  /** The join pages' rate limits and the portals' join admission. Default: DEFAULT_JOIN_LIMITS. */
  joinLimits?: Partial<JoinLimits>
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
  runner: JobRunner
  lifecycle: InvitationLifecycle
  /** Guest stays in extranet groups: welcome, notices, ends. */
  guestLifecycle: GuestLifecycle
  scheduler: ReturnType<typeof createInvitationScheduler>
  directorySync: DirectorySync
  /** Collab guest tracking: sync, dashboard, reviews, digest and their schedule. */
  collabs: { sync: CollabSync; dashboard: CollabDashboard; reviews: AccessReviews; digest: CollabDigest; scheduler: CollabScheduler }
  /** Automation-rule robots: their runs' worker (dispatch, outcomes, replies) and outcomes. */
  robots: { worker: RobotWorker; outcomes: RobotOutcomes }
  /** Managed join links: the admin service and the worker that sends joins. */
  joinLinks: { service: JoinLinks; worker: JoinWorker }
  /** Starts background work (event inbox, job engine, reminder scheduler). */
  start(): void
  /** Stops background work, finishing what is in hand; the database stays open. */
  stop(): Promise<void>
  close(): Promise<void>
}

/** The folder holding our package.json: the same from the sources (server/) and from a compiled bundle. */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir
    if (path.dirname(dir) === dir) return path.resolve(from, '..')
  }
}

/** One factory wires every capability from explicit dependencies (shopify-app-express's shape). */
export async function buildApp(config: AppConfig, opts: BuildOptions = {}): Promise<InviteDesk> {
  const log = opts.log ?? createLogger({ level: config.logLevel })
  const db = opts.database ?? (await openDatabase({ url: config.databaseUrl, sqlitePath: config.sqlitePath }))
  const box = createSecretBox(config.secretKeys)
  const clock = opts.clock ?? systemClock
  const stores = createStores(db, box, () => clock.now())
  const oauth = createOAuthServer(config)
  const metrics = createMetrics({ db })
  const onRefresh = (memberId: string) => {
    metrics.refreshed(memberId)
    opts.onRefresh?.(memberId)
  }
  const refresher = createTokenRefresher({ portals: stores.portals, oauth, log, tokenNow: () => clock.now(), onRefresh })
  const gateway = createPortalGateway({
    config, portals: stores.portals, refresher, log, ...(opts.restriction ? { restriction: opts.restriction } : {}), onAnswer: metrics.restAnswer,
    ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.pacing ? { pacing: opts.pacing } : {}),
  })
  const verification = createPortalVerification({ config, oauth, gateway, portals: stores.portals })
  const sessions = createAppSessions({ store: stores.sessions, hash: createTokenHasher(config.secretKeys), ttlSec: config.sessionTtlSec })
  const install = createInstallService({
    appUrl: config.appUrl, portals: stores.portals, gateway, verification, sessions, audit: stores.audit, log,
  })
  const directorySync = createDirectorySync({ gateway, directory: stores.directory, now: () => clock.now() })
  const guestLifecycle = createGuestLifecycle({
    guests: stores.guests, kits: stores.onboardingKits, ledger: stores.ledger, directory: stores.directory, portals: stores.portals,
    tasks: stores.portalTasks, gateway, audit: stores.audit, clock, log,
  })
  const robotOutcomes = createRobotOutcomes({ runs: stores.robotRuns, ledger: stores.ledger, portals: stores.portals, gateway, clock, log })
  const policy = createPolicyService({ store: stores.invitePolicy, directory: stores.directory, ledger: stores.ledger, gateway, clock })
  const inviterNotices = createInviterNotices({ policy, store: stores.invitePolicy, ledger: stores.ledger, portals: stores.portals, gateway, clock, log })
  const lifecycle = createInvitationLifecycle({
    ledger: stores.ledger, directory: stores.directory, portals: stores.portals, gateway, audit: stores.audit, clock, log,
    onAccepted: async (memberId, inv) => {
      await robotOutcomes.accepted(memberId, { userId: inv.userId, email: inv.email, at: inv.acceptedAt ?? clock.now() })
      await inviterNotices.accepted(memberId, inv)
      return guestLifecycle.onAccepted(memberId, inv)
    },
  })
  const notifications = createJobNotifications({ gateway, portals: stores.portals })
  const runner = createJobRunner({
    jobs: stores.jobs, leases: stores.leases, ledger: stores.ledger, portals: stores.portals, gateway, clock, log,
    onJobFinished: (job) => notifications.jobFinished(job),
    onInvited: (inv) => guestLifecycle.onInvited(inv),
    onItemsSettled: (job) => {
      if (job.source === 'robot') robotWorker.kick()
    },
    ...(opts.engine ? { timing: opts.engine } : {}),
  })
  const names = createPeopleNames({ gateway, portals: stores.portals, log })
  const invites = createInviteService({
    imports: stores.imports, templates: stores.templates, directory: stores.directory, directorySync, jobs: stores.jobs,
    portals: stores.portals, runner, lifecycle, now: () => clock.now(),
  })
  const joinDecisionsRef: { current: JoinDecisions | null } = { current: null }
  const inviteRequests = createInviteRequests({ requests: stores.inviteRequests, invites, portals: stores.portals, gateway, names, audit: stores.audit, clock, log, joins: joinDecisionsRef })
  const embedded = createEmbeddedInvites({ invites, policy, requests: inviteRequests, portals: stores.portals, names, audit: stores.audit, clock })
  const scheduler = createInvitationScheduler({
    ledger: stores.ledger, lifecycle, clock, log, syncDirectory: (m) => invites.syncDirectory(m, false),
    guests: { membersWithDue: (now, limit) => stores.guests.membersWithDue(now, limit), runDue: (m) => guestLifecycle.runDue(m) },
    digest: (m) => inviterNotices.digest(m),
    tasks: stores.portalTasks, owner: runner.owner, directory: stores.directory,
  })
  const collabSettings = createCollabSettings({ collabs: stores.collabs, clock })
  const collabSync = createCollabSync({ gateway, collabs: stores.collabs, portals: stores.portals, ledger: stores.ledger, settings: collabSettings, clock, log })
  const collabDashboard = createCollabDashboard({
    collabs: stores.collabs, ledger: stores.ledger, directory: stores.directory, portals: stores.portals, names, settings: collabSettings, clock,
  })
  const collabActionRunner = createCollabActionRunner({ collabs: stores.collabs, portals: stores.portals, gateway, audit: stores.audit, clock })
  const accessReviews = createAccessReviews({
    reviews: stores.reviews, dashboard: collabDashboard, actions: collabActionRunner, settings: collabSettings, portals: stores.portals, gateway,
    audit: stores.audit, clock, log,
  })
  const collabDigest = createCollabDigest({
    dashboard: collabDashboard, collabs: stores.collabs, settings: collabSettings, portals: stores.portals, gateway, audit: stores.audit, clock, log,
  })
  const collabScheduler = createCollabScheduler({ sync: collabSync, digest: collabDigest, reviews: accessReviews, collabs: stores.collabs, clock, log })
  const robotSettings = createRobotSettings({ store: stores.robotSettings, clock })
  const robotDispatch = createRobotDispatch({
    runs: stores.robotRuns, settingsStore: stores.robotSettings, settings: robotSettings, jobs: stores.jobs, templates: stores.templates,
    directory: stores.directory, ledger: stores.ledger, portals: stores.portals, gateway, syncDirectory: (m) => invites.syncDirectory(m, false),
    kickRunner: () => runner.kick(), clock, log, owner: runner.owner,
  })
  const robotWorker = createRobotWorker({
    runs: stores.robotRuns, dispatch: robotDispatch, outcomes: robotOutcomes, replies: createRobotReplies({ runs: stores.robotRuns, gateway, clock, log }), clock, log,
  })
  const robotIntake = createRobotIntake({ runs: stores.robotRuns, hashToken: createTokenHasher(config.secretKeys), kick: () => robotWorker.kick(), clock })
  const joinLinks = createJoinLinks({
    store: stores.joinLinks, templates: stores.templates, directory: stores.directory, policy, names, audit: stores.audit, appUrl: config.appUrl, clock,
  })
  const joinLimits: JoinLimits = { ...DEFAULT_JOIN_LIMITS, ...opts.joinLimits }
  const joinDispatch = createJoinDispatch({
    store: stores.joinLinks, links: joinLinks, requests: inviteRequests, policy, jobs: stores.jobs, templates: stores.templates, directory: stores.directory,
    portals: stores.portals, names, syncDirectory: (m) => invites.syncDirectory(m, false), kickRunner: () => runner.kick(), limits: joinLimits, clock, log, owner: runner.owner,
  })
  const joinWorker = createJoinWorker({ store: stores.joinLinks, dispatch: joinDispatch, requests: inviteRequests, portals: stores.portals, counters: stores.rateCounters, clock, log })
  joinDecisionsRef.current = joinDecisions(stores.joinLinks, () => joinWorker.kick(), clock)
  const joinIntake = createJoinIntake({
    store: stores.joinLinks, portals: stores.portals, counters: stores.rateCounters, hashIp: createTokenHasher(config.secretKeys), limits: joinLimits,
    kick: () => joinWorker.kick(), clock, observe: metrics.joinSubmitted,
  })
  const control = createJobControl({ jobs: stores.jobs, audit: stores.audit, clock, kick: () => runner.kick() })
  const events = createEventProcessor({
    inbox: stores.inbox,
    portals: stores.portals,
    log,
    handlers: {
      ONAPPUNINSTALL: async (portal, item) => {
        const clean = String((item.payload.data as Record<string, unknown> | undefined)?.CLEAN ?? '0') === '1'
        await install.uninstall(portal, clean)
      },
      // The invited person completed registration (on-user-add.md): cache them, and close their invitation.
      ONUSERADD: async (portal, item) => {
        const data = (item.payload.data ?? {}) as Record<string, unknown>
        await directorySync.noteUserAdded(portal.memberId, data)
        await lifecycle.onUserAdded(portal.memberId, data)
        await collabSync.noteUserAdded(portal.memberId)
        // Wait robots for someone the ledger does not know (invited through the portal's own dialog).
        const userId = Number(data.ID)
        await robotOutcomes.accepted(portal.memberId, {
          userId: Number.isInteger(userId) && userId > 0 ? userId : null, email: typeof data.EMAIL === 'string' ? data.EMAIL : null, at: clock.now(),
        })
        robotWorker.kick()
      },
    },
  })
  const intake = createEventIntake({ verification, install, inbox: stores.inbox, kick: events.kick, observe: metrics.event })
  const http = createHttpApp({
    db, log,
    clientDist: opts.clientDist ?? path.join(packageRoot(import.meta.dirname), 'dist/client'),
    portals: stores.portals, audit: stores.audit, sessions, verification, install, intake,
    ledger: stores.ledger, jobs: stores.jobs, names, directory: stores.directory,
    robots: robotIntake,
    joinPages: joinPageRoutes({ intake: joinIntake }),
    trustProxy: config.trustProxy,
    metrics: config.metricsToken ? { token: config.metricsToken, contentType: metrics.contentType, render: metrics.render } : null,
    api: [
      templatesApi({ templates: stores.templates, names }),
      invitesApi({ invites, directory: stores.directory, names }),
      jobsApi({ jobs: stores.jobs, control }),
      invitationsApi({ ledger: stores.ledger, lifecycle, templates: stores.templates, portals: stores.portals, visibleInviters: (m, v) => policy.visibleInviters(m, v), clock }),
      extranetApi({
        groups: createExtranetGroups({ gateway, directory: stores.directory }), kits: stores.onboardingKits, guests: stores.guests,
        lifecycle: guestLifecycle, invites, templates: stores.templates, portals: stores.portals, embedded,
      }),
      collabsApi({
        dashboard: collabDashboard, sync: collabSync, kickSync: (m) => collabScheduler.kick(m), actions: collabActionRunner, reviews: accessReviews, reviewStore: stores.reviews,
        collabs: stores.collabs, settings: collabSettings, invites, embedded, portals: stores.portals, names, clock,
      }),
      policyApi({ policy, embedded, requests: inviteRequests, verification, gateway, audit: stores.audit, clock, joinLinksOf: (m, ids) => stores.joinLinks.linksOfJoins(m, ids) }),
      robotsApi({ runs: stores.robotRuns, settings: robotSettings, portals: stores.portals, audit: stores.audit, clock }),
      joinLinksApi({ links: joinLinks }),
    ],
  })
  const stop = async (): Promise<void> => {
    await Promise.all([events.stop(), runner.stop(), scheduler.stop(), collabScheduler.stop(), robotWorker.stop(), joinWorker.stop()])
  }
  return {
    http, db, log, gateway, oauth, install, events, stores, runner, lifecycle, guestLifecycle, scheduler, directorySync,
    collabs: { sync: collabSync, dashboard: collabDashboard, reviews: accessReviews, digest: collabDigest, scheduler: collabScheduler },
    robots: { worker: robotWorker, outcomes: robotOutcomes },
    joinLinks: { service: joinLinks, worker: joinWorker },
    start() {
      events.start()
      runner.start()
      scheduler.start()
      collabScheduler.start()
      robotWorker.start()
      joinWorker.start()
    },
    stop,
    async close() {
      await stop()
      await db.close()
    },
  }
}
