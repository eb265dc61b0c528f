/**
 * The contract between the server and the UI: the boot document injected into index.html and the
 * JSON API under /api. The server is written against exactly these shapes; change both together.
 */

/** UI languages with complete catalogs. */
export type Lang = 'ru' | 'en'

export type PortalStatus = 'installing' | 'installed' | 'needs_reinstall'

/** `{ code, message }`: machine code (snake_case) plus a server-side, human-readable message. */
export interface ErrorInfo {
  code: string
  message: string
}

/** A short-lived app session minted by the server; kept in memory only. */
export interface SessionInfo {
  token: string
  /** Epoch milliseconds. */
  expiresAt: number
}

export interface UserInfo {
  id: number
  name: string
  isAdmin: boolean
  /** The user's departments (GET /api/me; absent in the boot document). */
  departments?: number[]
}

export interface BootPortal {
  memberId: string
  domain: string
  status: PortalStatus
}

/** What the server bound in the portal (event.bind, placement.bind, bizproc.robot.add). */
export interface Registration {
  events: string[]
  placements: string[]
  robots: string[]
  /** Human-readable failures, one per item that could not be registered. */
  errors: string[]
}

export interface AppliedRegistration extends Registration {
  /** Epoch milliseconds. */
  appliedAt: number
}

// ---------------------------------------------------------------------------------------------
// Boot document: <script id="invite-desk-boot" type="application/json"> in <head>
// ---------------------------------------------------------------------------------------------

export interface AppBoot {
  mode: 'app'
  lang: Lang
  session: SessionInfo
  placement: string
  placementOptions: Record<string, unknown>
  user: UserInfo
  portal: BootPortal
}

export interface InstallOkBoot {
  mode: 'install'
  lang: Lang
  ok: true
  registration: Registration
}

export interface InstallFailedBoot {
  mode: 'install'
  lang: Lang
  ok: false
  error: ErrorInfo
}

export type InstallBoot = InstallOkBoot | InstallFailedBoot

export interface ErrorBoot {
  mode: 'error'
  lang: Lang
  error: ErrorInfo
}

export type Boot = AppBoot | InstallBoot | ErrorBoot

// ---------------------------------------------------------------------------------------------
// JSON API (Authorization: Bearer <session.token>; errors are ApiErrorBody with an HTTP status)
// ---------------------------------------------------------------------------------------------

export interface ApiErrorBody {
  error: ErrorInfo & { details?: unknown }
}

/** POST /api/session (no bearer): exchanges a fresh frame AUTH_ID for a new app session. */
export interface CreateSessionRequest {
  authId: string
  memberId: string
}
export type CreateSessionResponse = SessionInfo

export interface PortalInfo extends BootPortal {
  lang: Lang
  licenseFamily: string | null
}

/** GET /api/me */
export interface MeResponse {
  user: UserInfo
  portal: PortalInfo
}

export interface InviteCounts {
  invited: number
  pending: number
  accepted: number
  failed: number
}

/** GET /api/dashboard */
export interface DashboardResponse {
  portal: { status: PortalStatus }
  counts: InviteCounts
  registration: AppliedRegistration | null
  /** Newest first; absent from servers that predate bulk invites. */
  recentJobs?: Job[]
}

/** GET /api/settings */
export interface SettingsResponse {
  /** REST method → whether the app may call it on this portal (scope and licence). */
  capabilities: Record<string, boolean>
  registration: AppliedRegistration | null
  /** Only `status` is relied upon; the rest mirrors GET /api/me when present. */
  portal: Partial<PortalInfo> & { status: PortalStatus }
}

/** POST /api/settings/reapply (admins only) */
export interface ReapplyRegistrationResponse {
  registration: AppliedRegistration
}

export interface AuditEntry {
  id: number
  /** Epoch milliseconds (an ISO string is tolerated). */
  at: number | string
  actorUserId: number | null
  /** e.g. 'user', 'system', 'event', 'robot'. */
  actorKind: string
  action: string
  subject: string | null
  /** e.g. 'ok', 'error'. */
  result: string
  details: unknown
}

/** GET /api/audit?limit=&beforeId= (admins only), newest first. */
export interface AuditListResponse {
  entries: AuditEntry[]
}

// ---------------------------------------------------------------------------------------------
// Templates: GET/POST /api/templates, PATCH/DELETE /api/templates/:id, POST /api/templates/preview
// ---------------------------------------------------------------------------------------------

/** Invite into the intranet (employees) or the extranet (partners, clients). */
export type InviteKind = 'intranet' | 'extranet'

export interface TemplateTexts {
  ru: string
  en: string
}

export interface Template {
  id: string
  name: string
  kind: InviteKind
  texts: TemplateTexts
  defaultLang: Lang
  departmentId: number | null
  groupIds: number[]
  /** Days after sending on which a reminder goes out, e.g. [3, 7]. */
  reminderDays: number[]
  expireAfterDays: number | null
  /** Epoch milliseconds (an ISO string is tolerated). */
  updatedAt: number | string
}

/** POST /api/templates body; PATCH takes any subset. */
export type TemplateInput = Omit<Template, 'id' | 'updatedAt'>

export interface TemplateListResponse {
  templates: Template[]
}
export interface TemplateResponse {
  template: Template
}

/** Variables a template text may contain, as `{name}`. */
export const TEMPLATE_VARIABLES = ['name', 'lastName', 'department', 'position', 'inviter', 'portal', 'groups'] as const
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number]

export interface TemplatePreviewRequest {
  text: string
  lang: Lang
  sample?: { name?: string; lastName?: string; department?: string; position?: string; groups?: string }
}
export interface TemplatePreviewResponse {
  text: string
}

/** 400 bad_request `error.details`: one entry per invalid field. */
export interface FieldProblem {
  /** e.g. "texts.ru" or "reminderDays.1". */
  path: string
  message: string
}

// ---------------------------------------------------------------------------------------------
// Directory (pickers): GET /api/directory, POST /api/directory/sync
// ---------------------------------------------------------------------------------------------

export interface Department {
  id: number
  name: string
  parentId: number | null
  /** "Company / Sales / Moscow" */
  path: string
}

export interface WorkGroup {
  id: number
  name: string
  isExtranet: boolean
}

export interface DirectoryResponse {
  departments: Department[]
  groups: WorkGroup[]
  /** Number of portal users known to the app. */
  users: number
  /** Epoch milliseconds of the last sync, null before the first one. */
  syncedAt: number | null
}

// ---------------------------------------------------------------------------------------------
// Imports and the dry run: POST /api/imports, /imports/:id/reparse, /dry-run, /rows/:n, /send
// ---------------------------------------------------------------------------------------------

export type StandardFieldKey =
  | 'email'
  | 'phone'
  | 'name'
  | 'lastName'
  | 'secondName'
  | 'fullName'
  | 'position'
  | 'department'
  | 'groups'
  | 'language'
  | 'template'

/** What a file column maps to; `uf:UF_…` is a Bitrix24 custom user field. */
export type FieldKey = StandardFieldKey | `uf:${string}`

export const STANDARD_FIELD_KEYS: readonly StandardFieldKey[] = [
  'email', 'phone', 'name', 'lastName', 'secondName', 'fullName', 'position', 'department', 'groups', 'language', 'template',
]

export type CsvEncoding = 'utf-8' | 'windows-1251'
export type CsvDelimiter = ',' | ';' | '\t'
export type ImportSource = 'csv' | 'xlsx' | 'paste'

export interface ImportDetected {
  encoding?: CsvEncoding
  delimiter?: CsvDelimiter
  sheet?: string
  sheets?: string[]
}

export interface ImportProblem {
  /** 1-based data row number (0 when the problem is about the whole file). */
  row: number
  code: string
  message: string
}

/** Column index (as a string key) → field, null = not imported. */
export type ColumnMapping = Record<string, FieldKey | null>

export interface Import {
  id: string
  source: ImportSource
  fileName: string | null
  detected: ImportDetected
  /** Whether the first row holds column names (detected; the user may override it). */
  headerRow: boolean
  headers: string[]
  /** The first 20 data rows. */
  sample: string[][]
  rowCount: number
  /** Auto-detected mapping. */
  mapping: ColumnMapping
  problems: ImportProblem[]
}

/** Upload rejection codes (400/413/415). */
export const UPLOAD_ERROR_CODES = [
  'empty', 'too_large', 'binary', 'not_spreadsheet', 'xls_legacy', 'corrupt_file', 'unterminated_quote', 'no_rows', 'too_many_rows',
] as const
export type UploadErrorCode = (typeof UPLOAD_ERROR_CODES)[number]

/** Max upload size accepted by POST /api/imports. */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024

export interface CreatePasteImportRequest {
  paste: string
}

export interface ReparseRequest {
  encoding?: CsvEncoding
  delimiter?: CsvDelimiter
  sheet?: string
}

export interface InviteDefaults {
  kind: InviteKind
  departmentId: number | null
  groupIds: number[]
  lang: Lang
}

export interface DryRunRequest {
  mapping: ColumnMapping
  headerRow: boolean
  templateId: string | null
  defaults: InviteDefaults
}

export type DryRunStatus = 'ready' | 'warning' | 'error' | 'excluded'
export type ExistingUserState = 'active' | 'invited' | 'dismissed' | 'extranet'

export interface DryRunIssue {
  field: string
  code: string
  message: string
  /** 'info': how the row will be sent (e.g. someone already in the portal joins the group); not a problem. */
  severity: 'error' | 'warning' | 'info'
  /** The cell as it was in the file, when the check rejected it (an invalid e-mail is not echoed in `email`). */
  value?: string
  /** Values the user can pick instead (e.g. a department path, a fixed e-mail domain). */
  suggestions?: string[]
}

export interface DryRunRow {
  rowNumber: number
  status: DryRunStatus
  email: string | null
  phone: string | null
  name: string | null
  lastName: string | null
  position: string | null
  department: { id: number; path: string } | null
  groups: Array<{ id: number; name: string }>
  lang: Lang
  issues: DryRunIssue[]
  existing: { userId: number; state: ExistingUserState } | null
  /** Someone already in the portal brought into the guest group instead of created. */
  groupAction: { method: 'sonet_group.user.invite' | 'sonet_group.user.add'; groupId: number } | null
}

export interface DryRunSummary {
  total: number
  ready: number
  warnings: number
  errors: number
  excluded: number
  existing: Record<ExistingUserState, number>
}

export interface DryRun {
  summary: DryRunSummary
  rows: DryRunRow[]
  /** Whether the portal documents a custom invitation text (`unknown`: sent, may be ignored). */
  messageText: { supported: 'yes' | 'no' | 'unknown' }
  /** Whether phone-only rows can be invited on this portal. */
  phoneInvite: boolean
}

/** PATCH /api/imports/:id/rows/:rowNumber (department and groups as typed text). */
export interface RowPatch {
  email?: string
  phone?: string
  name?: string
  lastName?: string
  position?: string
  department?: string
  groups?: string
  excluded?: boolean
}

export interface RowPatchResponse {
  row: DryRunRow
  summary: DryRunSummary
}

export interface SendImportResponse {
  jobId: string
}

// ---------------------------------------------------------------------------------------------
// Jobs (the send): GET /api/jobs, /api/jobs/:id, /items; POST pause|resume|cancel|retry-failed
// ---------------------------------------------------------------------------------------------

export type JobStatus = 'queued' | 'running' | 'paused' | 'cancelled' | 'completed'
export type JobItemState = 'queued' | 'sending' | 'invited' | 'skipped' | 'failed'

export interface JobTotals {
  total: number
  queued: number
  sending: number
  invited: number
  skipped: number
  failed: number
}

export interface Job {
  id: string
  title: string
  status: JobStatus
  /** Epoch milliseconds (ISO strings tolerated). */
  createdAt: number | string
  startedAt: number | string | null
  finishedAt: number | string | null
  totals: JobTotals
}

export interface JobResponse {
  job: Job
  /** Invitations per minute over the recent window; null before there is data. */
  ratePerMin: number | null
  etaSec: number | null
}

export interface JobListResponse {
  jobs: Job[]
}

export interface JobActionResponse {
  job: Job
}

export type JobAction = 'pause' | 'resume' | 'cancel' | 'retry-failed'

export interface JobItem {
  /** Monotonic per job; keyset cursor for `afterSeq`. */
  seq: number
  state: JobItemState
  email: string | null
  phone: string | null
  userId: number | null
  errorCode: string | null
  errorMessage: string | null
}

export interface JobItemsResponse {
  items: JobItem[]
}

// ---------------------------------------------------------------------------------------------
// The invitation ledger: GET /api/invitations, /api/invitations/:id, POST …/:id/remind
// ---------------------------------------------------------------------------------------------

export type InvitationState = 'sent' | 'pending' | 'accepted' | 'expired' | 'revoked' | 'failed'

export interface Invitation {
  id: string
  email: string | null
  phone: string | null
  name: string | null
  lastName: string | null
  userId: number | null
  /** Portal user id of the inviter. */
  invitedBy: number | null
  /** wizard, group_tab, robot or join_link. */
  source: string
  templateId: string | null
  jobId: string | null
  state: InvitationState
  sentAt: number | string | null
  acceptedAt: number | string | null
  remindersSent: number
  /** The person's page in the portal (its own "Invite again" is there); null without a portal user. */
  portalUrl?: string | null
}

export interface InvitationFilters {
  state?: InvitationState | ''
  templateId?: string
  invitedBy?: number | null
  source?: string
  olderThanDays?: number | null
  q?: string
}

export interface InvitationListResponse {
  rows: Invitation[]
  total: number
  /** 'api': reminders are resent through the portal's REST; 'portal': only from the person's page in Bitrix24. */
  resend?: 'api' | 'portal'
}

export interface InvitationHistoryEntry {
  at: number | string
  from: InvitationState | null
  to: InvitationState
  actorUserId: number | null
  detail: string | null
}

export interface InvitationDetailsResponse {
  invitation: Invitation
  history: InvitationHistoryEntry[]
}

export interface RemindResponse {
  resent: boolean
  /** Why nothing was sent, e.g. 'reinvite_unsupported' or 'already_accepted'. */
  reason?: string
  /** The portal page with its own "Invite again" action. */
  portalUrl?: string
}

// ---------------------------------------------------------------------------------------------
// Extranet groups and their guests: /api/extranet/groups…, /api/extranet/guests/:id…
// ---------------------------------------------------------------------------------------------

/** Someone as the server's directory cache knows them; name, email and userType are null when it does not. */
export interface ExtranetPerson {
  id: number
  name: string | null
  email: string | null
  /** 'employee' | 'extranet' | 'email', null when unknown. */
  userType: string | null
}

export type GroupRole = 'owner' | 'moderator' | 'member'

export interface ExtranetGroupMember extends ExtranetPerson {
  role: GroupRole
}

export interface ExtranetGroupView {
  id: number
  name: string
  type: 'group' | 'project' | 'scrum'
  /** false for an archived group. */
  active: boolean
  visible: boolean
  /** Marked extranet in the portal; false = an intranet group listed because it holds extranet people. */
  isExtranet: boolean
  owner: ExtranetPerson
  /** Owner first, then moderators, then members. */
  members: ExtranetGroupMember[]
  /** Invited by the group, not accepted yet. */
  invited: ExtranetPerson[]
  counts: { members: number; moderators: number; invited: number; extranet: number }
  chatId: number | null
  dialogId: string | null
}

/** GET /api/extranet/groups */
export interface ExtranetGroupListResponse {
  groups: ExtranetGroupView[]
  /** false: the portal has no group marked extranet (cloud portals can no longer create them). */
  hasExtranetGroups: boolean
  /** Epoch milliseconds of the directory sync that names people; null = never. */
  directorySyncedAt: number | null
}

/** GET /api/extranet/groups/:groupId (404 group_not_found) */
export interface ExtranetGroupResponse {
  group: ExtranetGroupView
}

export interface StarterTask {
  title: string
  description: string
  deadlineDays: number | null
}

export type OffboardingPolicy = 'confirm' | 'auto'

/** PUT /api/extranet/groups/:groupId/kit body. */
export interface OnboardingKitInput {
  inviteTemplateId: string | null
  /** May use {name} (the guest) and {groups} (the group's name). */
  welcomeText: { ru: string; en: string }
  postToFeed: boolean
  postToChat: boolean
  starterTask: StarterTask | null
  /** null: whoever invites is the sponsor. */
  sponsorId: number | null
  /** null: no end date. */
  accessDays: number | null
  /** Days before the end date the sponsor is told. */
  noticeDays: number
  offboarding: OffboardingPolicy
}

export interface OnboardingKit extends OnboardingKitInput {
  groupId: number
  updatedBy: number
  /** Epoch milliseconds (an ISO string is tolerated). */
  updatedAt: number | string
}

/** GET /api/extranet/groups/:groupId/kit */
export interface OnboardingKitResponse {
  kit: OnboardingKit | null
  /** The group's owner or a moderator, or a portal administrator. */
  canEdit: boolean
}

export type GuestState = 'pending' | 'active' | 'awaiting_confirmation' | 'ended'

export interface GuestView {
  id: string
  email: string | null
  name: string | null
  userId: number | null
  state: GuestState
  sponsorId: number
  /** Epoch milliseconds; null = no end date. */
  accessEndsAt: number | null
  welcomedAt: number | null
  removedAt: number | null
  deactivatedAt: number | null
  createdAt: number
}

/** GET /api/extranet/groups/:groupId/guests */
export interface GuestListResponse {
  guests: GuestView[]
}

/** POST /api/extranet/groups/:groupId/invite: the dry run of a pasted list into this group. */
export interface GroupInviteRequest {
  people: string
}
export interface GroupInviteResponse {
  importId: string
  summary: DryRunSummary
  rows: DryRunRow[]
  /** What the invite policy will say about sending the ready rows (the group tab and collab checks give it). */
  decision?: PolicyDecision
}

/** POST /api/extranet/guests/:guestId/confirm-end */
export interface ConfirmEndResponse {
  result: { removed: boolean; deactivated: boolean; keptBecause?: string }
}

// ---------------------------------------------------------------------------------------------
// Collab guests: /api/collabs/summary, /guests, /history, /sync, /actions, /:collabId/…, /reviews, /settings
// ---------------------------------------------------------------------------------------------

/**
 * A guest's state in one collab: invited (not accepted), active or inactive (accepted, with or without
 * activity in the last `activeDays` days), deactivated (the portal account is off).
 */
export type CollabGuestState = 'invited' | 'active' | 'inactive' | 'deactivated'
/** The list filter also takes 'accepted' (active + inactive). */
export type CollabGuestFilterState = CollabGuestState | 'accepted'

export const COLLAB_GUEST_STATES: readonly CollabGuestState[] = ['invited', 'active', 'inactive', 'deactivated']

/** Guests counted once per (collab, guest) pair. */
export interface CollabCounts {
  guests: number
  invited: number
  accepted: number
  active: number
  inactive: number
  deactivated: number
}

export interface CollabSyncStatus {
  /** false: the portal cannot be read for collabs (scope, plan); `reason` says why. */
  available: boolean
  reason: string | null
  /** Epoch milliseconds of the last full / incremental sync, null = never. */
  fullAt: number | null
  incrementalAt: number | null
  lastMode: 'full' | 'incremental' | null
  /** REST requests the last sync made. */
  lastRequests: number | null
  running: boolean
  error: string | null
}

export interface CollabSummaryRow extends CollabCounts {
  id: number
  name: string
  ownerId: number
  ownerName: string | null
  /** The collab's page in the portal. */
  url: string
}

/** GET /api/collabs/summary?activeDays= */
export interface CollabSummaryResponse {
  activeDays: number
  sync: CollabSyncStatus
  totals: CollabCounts
  /** Distinct guest users. */
  people: number
  funnel: { invited: number; accepted: number; active: number }
  collabs: CollabSummaryRow[]
}

/** Who answers for a guest: the inviter from the ledger (Invite Desk sent it), else the collab's owner. */
export interface CollabSponsor {
  id: number | null
  name: string | null
  source: 'ledger' | 'owner'
}

export interface CollabGuestRow {
  collabId: number
  collabName: string
  userId: number
  name: string
  email: string | null
  state: CollabGuestState
  sponsor: CollabSponsor
  invitedAt: number | null
  daysSinceInvitation: number | null
  lastActivityAt: number | null
  daysSinceActivity: number | null
  profileUrl: string
  /** The viewer owns or moderates the collab (or is an admin): remind and remove are theirs to use. */
  canManage: boolean
}

export type CollabGuestSort = 'name' | 'collab' | 'state' | 'invitedAt' | 'lastActivityAt' | 'sponsor'
export type SortDir = 'asc' | 'desc'

export interface CollabGuestFilters {
  collabId: number | null
  state: CollabGuestFilterState | ''
  sponsorId: number | null
  q: string
}

/** GET /api/collabs/guests */
export interface CollabGuestListResponse {
  total: number
  rows: CollabGuestRow[]
}

export interface CollabHistoryPoint {
  /** 'YYYY-MM-DD' */
  day: string
  invited: number
  accepted: number
  active: number
  inactive: number
  deactivated: number
}

/** GET /api/collabs/history?collabId=&days= (oldest first, one point per synced day) */
export interface CollabHistoryResponse {
  points: CollabHistoryPoint[]
}

export interface CollabSyncReport {
  mode: 'full' | 'incremental'
  requests: number
  collabs: number
  guests: number
  changedCollabs: number
  durationMs: number
}

/** POST /api/collabs/sync (admins) */
export interface CollabSyncResponse {
  report: CollabSyncReport
}

export type CollabActionKey = 'invite' | 'remind' | 'remove' | 'deactivate'
export const COLLAB_ACTION_KEYS: readonly CollabActionKey[] = ['invite', 'remind', 'remove', 'deactivate']

export interface CollabAction {
  available: boolean
  /** The REST method used, when available. */
  via: string | null
  /** What happens instead (English, not localised: the UI has its own texts per action). */
  fallback: string | null
}

/** GET /api/collabs/actions */
export interface CollabActionsResponse {
  actions: Record<CollabActionKey, CollabAction>
}

/** A guest action that acts on the portal. */
export type CollabGuestActionKey = Exclude<CollabActionKey, 'invite'>

/** POST /api/collabs/:collabId/guests/:userId/remind|remove|deactivate (409 not_available: details.collabUrl) */
export interface CollabGuestActionResponse {
  ok: true
  via: string | null
}

export type ReviewUnanswered = 'keep' | 'end'
export type ReviewDecision = 'keep' | 'end'

export interface CollabReview {
  /** UUID. */
  id: string
  status: 'open' | 'closed'
  /** null: started by the schedule. */
  startedBy: number | null
  startedAt: number
  dueAt: number
  closedAt: number | null
  /** What closing does to guests nobody decided about. */
  unanswered: ReviewUnanswered
  /** null: every collab. */
  collabIds: number[] | null
  counts: { total: number; kept: number; ended: number; pending: number }
  /** Items the viewer may decide. */
  mine: { total: number; pending: number }
}

export interface CollabReviewItem {
  /** UUID. */
  id: string
  collabId: number
  collabName: string
  userId: number
  name: string
  email: string | null
  state: CollabGuestState
  sponsor: CollabSponsor
  decision: ReviewDecision | null
  decidedBy: number | null
  decidedAt: number | null
  reason: string | null
  outcome: 'kept' | 'ended' | 'failed' | null
  outcomeError: string | null
  canDecide: boolean
}

/** GET /api/collabs/reviews */
export interface CollabReviewListResponse {
  reviews: CollabReview[]
}

/** POST /api/collabs/reviews (admins) */
export interface StartCollabReviewRequest {
  dueDays: number
  unanswered: ReviewUnanswered
  collabIds?: number[]
}

export interface CollabReviewResponse {
  review: CollabReview
}

/** GET /api/collabs/reviews/:id (admins: every item; others: the guests they sponsor) */
export interface CollabReviewDetailResponse {
  review: CollabReview
  items: CollabReviewItem[]
}

export interface CollabSettings {
  /** A guest is active with activity within this many days (7..365). */
  activeDays: number
  /** The daily digest to sponsors and owners. */
  digest: { enabled: boolean; pendingDays: number; inactiveDays: number }
  /** Periodic access reviews; everyDays null = off. */
  review: { everyDays: number | null; dueDays: number; unanswered: ReviewUnanswered }
}

/** GET/PUT /api/collabs/settings */
export interface CollabSettingsResponse {
  settings: CollabSettings
}

// ---------------------------------------------------------------------------------------------
// Automation robots (admins): GET /api/robots, /api/robots/runs, /api/robots/runs/:id, GET/PUT /api/robots/settings
// ---------------------------------------------------------------------------------------------

export type RobotCode = 'invite_employee' | 'invite_guest' | 'add_to_group' | 'wait_acceptance'
export const ROBOT_CODES: readonly RobotCode[] = ['invite_employee', 'invite_guest', 'add_to_group', 'wait_acceptance']

export interface RobotPropertyInfo {
  /** e.g. 'EMAIL'. */
  key: string
  name: { ru: string; en: string }
  /** The bizproc property type: 'string' | 'int' | 'date' | 'datetime' | 'user' | 'select' | 'text' … */
  type: string
  required: boolean
}

export interface RobotInfo {
  code: RobotCode
  name: { ru: string; en: string }
  description: { ru: string; en: string }
  /** In the portal's last registration (bizproc.robot.add/update succeeded). */
  registered: boolean
  /** The policy switch (Settings). A disabled robot still answers the workflow: STATUS=failed with the reason. */
  enabled: boolean
  properties: RobotPropertyInfo[]
  returnProperties: RobotPropertyInfo[]
  /**
   * Runs received in the last 24 hours. succeeded = invited | already_exists | added | already_member | accepted;
   * waiting = not decided yet (received | queued | waiting); notAccepted = wait_acceptance timeouts.
   */
  last24h: { total: number; succeeded: number; failed: number; waiting: number; notAccepted: number }
}

/** GET /api/robots */
export interface RobotsResponse {
  robots: RobotInfo[]
  /** The portal's last registration (as in GET /api/settings), null before the first. */
  registration: AppliedRegistration | null
  /** Invitations by robots (invite_employee, invite_guest, add_to_group) in the rolling last 24 h vs the cap. */
  cap: { limit: number; usedLast24h: number }
}

export type RobotRunState = 'received' | 'queued' | 'waiting' | 'done'
export type RobotRunOutcome = 'invited' | 'already_exists' | 'added' | 'already_member' | 'accepted' | 'not_accepted' | 'failed'
export const ROBOT_RUN_OUTCOMES: readonly RobotRunOutcome[] = ['invited', 'already_exists', 'added', 'already_member', 'accepted', 'not_accepted', 'failed']
/** The runs filter also takes 'pending' (not decided yet). */
export type RobotRunFilterOutcome = RobotRunOutcome | 'pending'
/** none: the robot was called without use_subscription (nothing to send back). */
export type RobotReplyState = 'none' | 'pending' | 'sending' | 'sent' | 'failed' | 'expired'

export interface RobotRun {
  /** UUID. */
  id: string
  robotCode: RobotCode
  /** document_id[2], e.g. 'DEAL_123'. */
  document: string
  /** e.g. ['crm', 'CCrmDocumentDeal', 'DEAL']. */
  documentType: string[]
  workflowId: string
  /** As the automation rule passed them. */
  properties: Record<string, unknown>
  email: string | null
  state: RobotRunState
  /** null until decided. */
  outcome: RobotRunOutcome | null
  userId: number | null
  /** A readable reason for failed (also what ERROR_TEXT carried). */
  errorText: string | null
  /** What bizproc.event.send carries. */
  returnValues: Record<string, string | number> | null
  reply: RobotReplyState
  replyError: string | null
  replyAttempts: number
  /** The job that carried the invitation. */
  jobId: string | null
  /** wait_acceptance: when it times out (epoch ms). */
  waitUntil: number | null
  /** Epoch milliseconds. */
  createdAt: number
  decidedAt: number | null
  repliedAt: number | null
}

export interface RobotRunFilters {
  robot: RobotCode | ''
  outcome: RobotRunFilterOutcome | ''
  q: string
}

/** GET /api/robots/runs?robot=&outcome=&q=&offset=&limit= (newest first; q matches e-mail, document or workflow id) */
export interface RobotRunsResponse {
  rows: RobotRun[]
  total: number
}

/** GET /api/robots/runs/:runId (404 robot_run_not_found) */
export interface RobotRunResponse {
  run: RobotRun
}

export type RobotScopeMode = 'all' | 'only'

export interface RobotSettings {
  enabled: Record<RobotCode, boolean>
  /** Invitations by robots per rolling 24 hours for the portal, 0..10000 (0 = robots invite nobody). */
  dailyCap: number
  /** Templates robots may name in TEMPLATE: all, or only these ids. */
  templates: { mode: RobotScopeMode; ids: string[] }
  /** Departments employees may be invited into (a listed department includes its sub-departments). */
  departments: { mode: RobotScopeMode; ids: number[] }
  /** Groups and collabs guests may be invited or users added into. */
  groups: { mode: RobotScopeMode; ids: number[] }
}

/** GET/PUT /api/robots/settings (PUT: 400 bad_request with details on bad input) */
export interface RobotSettingsResponse {
  settings: RobotSettings
}

// ---------------------------------------------------------------------------------------------
// Invite policy (admins): GET/PUT /api/policy
// Embedded invites (a CRM card's tab, the profile menu): POST /api/embedded/check, /:importId/send,
//   /crm-prefill
// Invite requests: GET /api/requests, /api/requests/:id; POST …/approve|decline|cancel
// ---------------------------------------------------------------------------------------------

/** Whom a policy rule applies to. */
export type PolicyWho =
  | { kind: 'everyone' }
  /** Members of these departments (sub-departments included). */
  | { kind: 'departments'; ids: number[] }
  | { kind: 'users'; ids: number[] }
  /** Owners/moderators of a group, for that group. */
  | { kind: 'group_managers' }

export type PolicyWhoKind = PolicyWho['kind']
export const POLICY_WHO_KINDS: readonly PolicyWhoKind[] = ['everyone', 'departments', 'users', 'group_managers']

export type PolicyApproval = 'never' | 'over_quota' | 'always'
export const POLICY_APPROVALS: readonly PolicyApproval[] = ['never', 'over_quota', 'always']

export type PolicyDepartmentMode = 'all' | 'own' | 'only'
export type PolicyGroupMode = 'all' | 'managed' | 'only'

/** Invitations per inviter per rolling 24 hours, at most. */
export const POLICY_QUOTA_MAX = 10_000
/** Rules in one policy, at most. */
export const POLICY_RULES_MAX = 50

export interface PolicyRule {
  /** uuid (new rules get crypto.randomUUID()). */
  id: string
  who: PolicyWho
  /** Employees and/or guests (at least one). */
  kinds: InviteKind[]
  templates: { mode: 'all' | 'only'; ids: string[] }
  /** Employee targets; `own` = the inviter's departments. */
  departments: { mode: PolicyDepartmentMode; ids: number[] }
  /** Group targets; `managed` = groups the inviter owns/moderates. */
  groups: { mode: PolicyGroupMode; ids: number[] }
  /** 0..10000 invitations per inviter per rolling 24 h. */
  dailyQuota: number
  approval: PolicyApproval
  /** May create join links for the targets and templates this rule allows (default false). */
  joinLinks: boolean
}

export interface InvitePolicy {
  /** The first rule that applies and covers the invite decides. */
  rules: PolicyRule[]
  /** No rule covers it: ask for approval, or refuse. */
  outsidePolicy: 'request' | 'deny'
  /** Managers see invitations of their departments' people. */
  departmentVisibility: boolean
  /** Notify inviters when their invitee accepts. */
  notifyInviters: boolean
}

/** GET/PUT /api/policy (PUT: 400 bad_request with `[{ path, message }]`, e.g. `rules.0.dailyQuota`). */
export interface InvitePolicyResponse {
  policy: InvitePolicy
}

/** What the policy says about sending a checked list. `reasons` are English sentences from the server. */
export type PolicyDecision =
  | { decision: 'allow'; ruleId: string | null }
  | { decision: 'request'; ruleId: string | null; reasons: string[] }
  | { decision: 'deny'; reasons: string[] }

/** POST /api/embedded/check (400 missing_group / missing_department). */
export interface EmbeddedCheckRequest {
  kind: InviteKind
  departmentId: number | null
  groupId: number | null
  templateId: string | null
  people: string
}
export interface EmbeddedCheckResponse extends GroupInviteResponse {
  decision: PolicyDecision
}

/**
 * POST /api/embedded/:importId/send and the group tab's POST …/invite/:importId/send:
 * 201 sent (follow the job) or 202 requested (an approver was notified); 403 policy_denied.
 */
export type EmbeddedSendResponse =
  | { status: 'sent'; jobId: string }
  | { status: 'requested'; requestId: string; reasons: string[] }

export type CrmEntity = 'contact' | 'company'

/** POST /api/embedded/crm-prefill (404 crm_unavailable when the viewer may not read it). */
export interface CrmPrefillRequest {
  entity: CrmEntity
  id: number
  /** The frame's current AUTH_ID. */
  authId: string
}
export interface CrmPrefillResponse {
  email: string | null
  /** A contact's first name, or a company's title. */
  name: string | null
  lastName: string | null
}

export type InviteRequestState = 'pending' | 'approved' | 'declined' | 'cancelled' | 'failed'
export const INVITE_REQUEST_STATES: readonly InviteRequestState[] = ['pending', 'approved', 'declined', 'cancelled', 'failed']

export interface InviteRequestPerson {
  email: string
  name: string | null
  lastName: string | null
}

export interface InviteRequest {
  id: string
  requestedBy: number
  /** e.g. 'SONET_GROUP_DETAIL_TAB', 'CRM_CONTACT_DETAIL_TAB', 'USER_PROFILE_MENU', 'DEFAULT'. */
  placement: string
  kind: InviteKind
  departmentId: number | null
  groupId: number | null
  templateId: string | null
  people: InviteRequestPerson[]
  reasons: string[]
  /** The group's owner; null = admins decide. */
  approverId: number | null
  state: InviteRequestState
  decidedBy: number | null
  decidedAt: number | null
  /** Decline reason, or why sending failed after approval. */
  decisionReason: string | null
  /** The send after approval. */
  jobId: string | null
  createdAt: number
  updatedAt: number
  /** The viewer may approve/decline. */
  canDecide: boolean
  /** The viewer asked and it is pending. */
  canCancel: boolean
  /** The join link a person joined through (`placement` 'join_link'); null for other requests. */
  joinLinkId: string | null
  joinLinkName: string | null
}

/** GET /api/requests?state=&offset=&limit= (admins: all; others: theirs and those they decide). */
export interface InviteRequestListResponse {
  rows: InviteRequest[]
  total: number
}

/** GET /api/requests/:id (404 request_not_found); POST …/approve|decline|cancel (403 forbidden, 409 request_decided). */
export interface InviteRequestResponse {
  request: InviteRequest
}

// ---------------------------------------------------------------------------------------------
// Join links: GET/POST /api/join-links, GET/PATCH /api/join-links/:id, POST …/pause|resume|revoke,
//   GET …/joins, GET …/qr.svg|qr.png (times are epoch ms)
// ---------------------------------------------------------------------------------------------

export type JoinTargetKind = 'department' | 'group' | 'collab'
export const JOIN_TARGET_KINDS: readonly JoinTargetKind[] = ['department', 'group', 'collab']

export interface JoinTarget {
  kind: JoinTargetKind
  id: number
  /** From the directory cache; null when unknown. */
  name: string | null
}

export type JoinLinkState = 'active' | 'paused' | 'revoked'
/** What the public page does now: the state, or 'expired' / 'full' for an active link past its date / at its cap. */
export type JoinLinkStatus = 'active' | 'paused' | 'revoked' | 'expired' | 'full'
export const JOIN_LINK_STATUSES: readonly JoinLinkStatus[] = ['active', 'paused', 'expired', 'full', 'revoked']
/** near_cap: at least 80 % of the cap used; near_expiry: expires within 3 days. */
export type JoinLinkWarning = 'near_cap' | 'near_expiry'

export interface JoinLinkStats {
  /** Public page views. */
  views: number
  /** People who submitted the form and were accepted by the link (distinct e-mails). */
  joins: number
  awaiting: number
  approved: number
  declined: number
  /** Invitations in the ledger for this link (not failed). */
  invited: number
  /** Of those, accepted. */
  accepted: number
  /** Joins whose invitation failed. */
  failed: number
}

export interface JoinLinkView {
  id: string
  /** Shown on the public page as its title. */
  name: string
  /** The full public URL (it holds the secret token). */
  url: string
  target: JoinTarget
  templateId: string | null
  templateName: string | null
  /** End of the chosen day (23:59:59.999 UTC); null = never. */
  expiresAt: number | null
  /** null = no cap. */
  cap: number | null
  /** Places taken (joins not declined). */
  uses: number
  /** Lower-case domains; [] = any. */
  allowedDomains: string[]
  /** Every join waits for approval. */
  approval: boolean
  state: JoinLinkState
  status: JoinLinkStatus
  warnings: JoinLinkWarning[]
  createdBy: number
  createdByName: string
  createdAt: number
  updatedAt: number
  stats: JoinLinkStats
  /** The viewer may edit, pause and revoke it (admins: every link; others: their own). */
  canManage: boolean
}

export type JoinState = 'queued' | 'dispatching' | 'awaiting_approval' | 'declined' | 'sent' | 'existing' | 'failed'

export interface JoinView {
  id: string
  email: string
  name: string
  lastName: string | null
  state: JoinState
  /** The ledger's invitation once sent. */
  invitation: { id: string; state: InvitationState } | null
  /** Why it failed (the engine's text). */
  error: string | null
  /** The invite request while/after approval. */
  requestId: string | null
  jobId: string | null
  createdAt: number
}

/** POST /api/join-links body; PATCH takes any subset. */
export interface JoinLinkInput {
  /** 1..120 characters, trimmed. */
  name: string
  target: { kind: JoinTargetKind; id: number }
  /** department → an employee (intranet) template; group/collab → a guest (extranet) template. */
  templateId: string | null
  /** 'YYYY-MM-DD' (works through the end of that day, UTC), today or later; null = never. */
  expiresOn: string | null
  /** 1..10000; null = no cap. */
  cap: number | null
  /** Domains like 'example.com' (no '@'), at most 50; [] = any. */
  allowedDomains: string[]
  approval: boolean
}

export const JOIN_LINK_NAME_MAX = 120
export const JOIN_LINK_CAP_MAX = 10_000
export const JOIN_LINK_DOMAINS_MAX = 50
/** A non-administrator's link needs a cap of at most this and an expiry at most JOIN_LINK_MANAGER_DAYS ahead. */
export const JOIN_LINK_MANAGER_CAP_MAX = 1_000
export const JOIN_LINK_MANAGER_DAYS = 90

export interface JoinLinkFilters {
  status: JoinLinkStatus | ''
  q: string
}

/** GET /api/join-links?status=&q=&limit=&offset= (admins: every link; others: their own). */
export interface JoinLinkListResponse {
  rows: JoinLinkView[]
  total: number
  /** The viewer may create links (an administrator, or a policy rule with joinLinks). */
  canCreate: boolean
}

/** GET /api/join-links/:id/joins?limit=&offset=, newest first. */
export interface JoinListResponse {
  rows: JoinView[]
  total: number
}

export type JoinLinkAction = 'pause' | 'resume' | 'revoke'
export type JoinLinkQrFormat = 'svg' | 'png'
