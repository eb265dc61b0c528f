import { createImportStore } from './import-store.js'
import type { ImportStore } from './import-store.js'
import { createAccessReviewStore, type AccessReviewStore } from './access-review-store.js'
import { createAuditLog, type AuditLog } from './audit-log.js'
import { createCollabStore, type CollabStore } from './collab-store.js'
import type { AppDatabase } from './database.js'
import { createDirectoryStore, type DirectoryStore } from './directory-store.js'
import { createEventInbox, type EventInbox } from './event-inbox.js'
import { createGuestStore, type GuestStore } from './guest-store.js'
import { createJobStore, type JobStore } from './job-store.js'
import { createLedgerStore, type LedgerStore } from './ledger-store.js'
import { createOnboardingKitStore, type OnboardingKitStore } from './onboarding-kit-store.js'
import { createPortalLeases, type PortalLeases } from './portal-lease.js'
import { createPortalStore, type PortalStore, type SecretBox } from './portal-store.js'
import { createInvitePolicyStore, type InvitePolicyStore } from './invite-policy-store.js'
import { createInviteRequestStore, type InviteRequestStore } from './invite-request-store.js'
import { createJoinLinkStore, type JoinLinkStore } from './join-link-store.js'
import { createRateCounters, type RateCounters } from './rate-counters.js'
import { createPortalTasks, type PortalTasks } from './portal-tasks.js'
import { createRobotRunStore, type RobotRunStore } from './robot-run-store.js'
import { createRobotSettingsStore, type RobotSettingsStore } from './robot-settings-store.js'
import { createSessionStore, type SessionStore } from './session-store.js'
import { createTemplateStore, type TemplateStore } from './template-store.js'

export interface Stores {
  portals: PortalStore
  sessions: SessionStore
  inbox: EventInbox
  audit: AuditLog
  templates: TemplateStore
  jobs: JobStore
  leases: PortalLeases
  ledger: LedgerStore
  directory: DirectoryStore
  imports: ImportStore
  onboardingKits: OnboardingKitStore
  guests: GuestStore
  collabs: CollabStore
  reviews: AccessReviewStore
  robotRuns: RobotRunStore
  robotSettings: RobotSettingsStore
  invitePolicy: InvitePolicyStore
  inviteRequests: InviteRequestStore
  joinLinks: JoinLinkStore
  rateCounters: RateCounters
  portalTasks: PortalTasks
}

export function createStores(db: AppDatabase, box: SecretBox, clock?: () => number): Stores {
  return {
    portals: createPortalStore(db, box, clock),
    sessions: createSessionStore(db),
    inbox: createEventInbox(db),
    audit: createAuditLog(db),
    templates: createTemplateStore(db, clock),
    jobs: createJobStore(db, clock),
    leases: createPortalLeases(db),
    ledger: createLedgerStore(db, clock),
    directory: createDirectoryStore(db),
    imports: createImportStore(db),
    onboardingKits: createOnboardingKitStore(db, clock),
    guests: createGuestStore(db, clock),
    collabs: createCollabStore(db, clock),
    reviews: createAccessReviewStore(db),
    robotRuns: createRobotRunStore(db, box),
    robotSettings: createRobotSettingsStore(db),
    invitePolicy: createInvitePolicyStore(db),
    inviteRequests: createInviteRequestStore(db),
    joinLinks: createJoinLinkStore(db, box),
    rateCounters: createRateCounters(db),
    portalTasks: createPortalTasks(db),
  }
}

export { openDatabase, DEFAULT_SQLITE_PATH, type AppDatabase, type OpenDatabaseOptions } from './database.js'
export type { Dialect } from './migrations.js'
export type { Schema } from './schema.js'
export {
  createPortalStore,
  PortalNotFoundError,
  type PortalPatch,
  type PortalRecord,
  type PortalRegistration,
  type PortalStatus,
  type PortalStore,
  type PortalTokens,
  type SaveInstallInput,
  type SecretBox,
} from './portal-store.js'
export { createSessionStore, type AppSessionRecord, type SessionStore } from './session-store.js'
export { createEventInbox, type EventInbox, type InboxItem, type InboxStatus } from './event-inbox.js'
export {
  createAuditLog,
  type AuditActorKind,
  type AuditEntry,
  type AuditLog,
  type AuditQuery,
  type AuditResult,
} from './audit-log.js'
export {
  createTemplateStore,
  TemplateNameTakenError,
  type InviteTemplate,
  type InviteTemplatePatch,
  type NewInviteTemplate,
  type TemplateStore,
} from './template-store.js'
export {
  createJobStore,
  type ItemOutcome,
  type ItemState,
  type Job,
  type JobItem,
  type JobSource,
  type JobStatus,
  type JobStore,
  type JobTotals,
  type NewJob,
  type NewJobItem,
} from './job-store.js'
export { createPortalLeases, type PortalLeases } from './portal-lease.js'
export {
  createLedgerStore,
  OUTSTANDING_STATES,
  type Invitation,
  type InvitationEvent,
  type InvitationSource,
  type InvitationState,
  type LedgerFilter,
  type LedgerStore,
  type NewInvitation,
  type RecordOptions,
} from './ledger-store.js'
export {
  createDirectoryStore,
  type DirectoryDepartment,
  type DirectoryGroup,
  type DirectoryStore,
  type DirectorySyncState,
  type DirectoryUser,
} from './directory-store.js'
export {
  createOnboardingKitStore,
  DEFAULT_NOTICE_DAYS,
  type OnboardingKit,
  type OnboardingKitInput,
  type OnboardingKitStore,
} from './onboarding-kit-store.js'
export { createGuestStore, type Guest, type GuestState, type GuestStore, type InvitedGuest } from './guest-store.js'
export {
  createCollabStore,
  type Collab,
  type CollabCounts,
  type CollabHistoryPoint,
  type CollabMembership,
  type CollabPerson,
  type CollabRole,
  type CollabStore,
  type CollabSyncState,
} from './collab-store.js'
export {
  createAccessReviewStore,
  type AccessReview,
  type AccessReviewItem,
  type AccessReviewStore,
  type NewReviewItem,
  type ReviewCounts,
  type ReviewDecision,
  type ReviewOutcome,
} from './access-review-store.js'
