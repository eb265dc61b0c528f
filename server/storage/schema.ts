import type { ColumnType, Generated } from 'kysely'

// Column types are deliberately portable between SQLite and PostgreSQL: text, integers for
// epoch timestamps and booleans, JSON kept as text and parsed by the owning store.

/** Epoch milliseconds stored as BIGINT (parsed to number on PostgreSQL by the pool's type override). */
export type EpochMs = number
/** JSON document stored as text; only the owning store parses or serialises it. */
export type JsonText = string

export interface PortalsTable {
  member_id: string
  domain: string
  client_endpoint: string
  app_code: string | null
  status: 'installing' | 'installed' | 'needs_reinstall' | 'uninstalled'
  lang: string
  license_family: string | null
  /** Sealed by the store's SecretBox; never plaintext. */
  application_token: string | null
  /** Sealed. */
  access_token: string | null
  /** Sealed. */
  refresh_token: string | null
  /** Unix seconds, as Bitrix24 reports it. */
  token_expires_at: number | null
  scope: string | null
  token_version: ColumnType<number, number | undefined, number>
  refresh_lock_owner: string | null
  refresh_lock_until: EpochMs | null
  installed_by_user_id: number | null
  capabilities: JsonText
  registration: JsonText | null
  created_at: EpochMs
  updated_at: EpochMs
}

export interface AppSessionsTable {
  /** Hash of the bearer token, computed by the caller. */
  id: string
  member_id: string
  user_id: number
  /** 0 or 1: better-sqlite3 cannot bind booleans. */
  is_admin: number
  lang: string
  placement: string
  placement_options: JsonText
  created_at: EpochMs
  expires_at: EpochMs
}

export interface EventInboxTable {
  id: Generated<number>
  member_id: string
  event: string
  payload: JsonText
  received_at: EpochMs
  status: 'pending' | 'processing' | 'done' | 'failed'
  attempts: number
  lease_owner: string | null
  lease_until: EpochMs | null
  next_attempt_at: EpochMs
  last_error: string | null
}

export interface AuditLogTable {
  id: Generated<number>
  member_id: string
  at: EpochMs
  actor_user_id: number | null
  actor_kind: 'user' | 'system' | 'portal' | 'robot'
  action: string
  subject: string | null
  details: JsonText
  result: 'ok' | 'refused' | 'failed'
}

// ---- 0002_invites: templates, bulk-invite jobs, portal leases, the invitation ledger, the directory cache.
// None of these tables has a foreign key to portals (as with the inbox and the audit log):
// PortalStore.delete clears them explicitly, children first.

export interface InviteTemplatesTable {
  /** UUID. */
  id: string
  member_id: string
  name: string
  kind: 'intranet' | 'extranet'
  /** { ru, en } */
  texts: JsonText
  default_lang: 'ru' | 'en'
  department_id: number | null
  /** number[] */
  group_ids: JsonText
  /** number[]: days after sending. */
  reminder_days: JsonText
  expire_after_days: number | null
  created_by: number
  created_at: EpochMs
  updated_at: EpochMs
  /** 0 or 1. Names are unique per portal among non-archived templates (partial unique index). */
  archived: number
}

export interface InviteJobsTable {
  /** UUID. */
  id: string
  member_id: string
  kind: 'bulk_invite'
  source: 'wizard' | 'group_tab' | 'robot' | 'join_link'
  created_by: number | null
  template_id: string | null
  title: string
  status: 'queued' | 'running' | 'paused' | 'cancelled' | 'completed'
  options: JsonText
  created_at: EpochMs
  started_at: EpochMs | null
  finished_at: EpochMs | null
  updated_at: EpochMs
}

export interface InviteJobItemsTable {
  /** Part of the primary key (job_id, seq); references invite_jobs.id ON DELETE CASCADE. */
  job_id: string
  seq: number
  member_id: string
  state: 'queued' | 'sending' | 'invited' | 'skipped' | 'failed'
  email: string | null
  phone: string | null
  payload: JsonText
  attempts: ColumnType<number, number | undefined, number>
  next_attempt_at: EpochMs | null
  error_code: string | null
  error_message: string | null
  user_id: number | null
  sending_since: EpochMs | null
  updated_at: EpochMs
}

export interface PortalLeasesTable {
  member_id: string
  owner: string
  lease_until: EpochMs
  acquired_at: EpochMs
}

export interface InvitationsTable {
  /** UUID. */
  id: string
  member_id: string
  email: string | null
  /** Trimmed, lower-cased email for look-ups; the email column keeps what the caller gave. */
  email_lc: string | null
  phone: string | null
  user_id: number | null
  name: string | null
  last_name: string | null
  invited_by: number | null
  source: 'wizard' | 'group_tab' | 'robot' | 'join_link'
  template_id: string | null
  job_id: string | null
  job_seq: number | null
  target_kind: 'intranet' | 'extranet'
  target_department_id: number | null
  /** number[] */
  target_group_ids: JsonText
  state: 'sent' | 'pending' | 'accepted' | 'expired' | 'revoked' | 'failed'
  sent_at: EpochMs | null
  accepted_at: EpochMs | null
  reminders_sent: ColumnType<number, number | undefined, number>
  last_reminder_at: EpochMs | null
  /** number[]: the reminder schedule (days after sending) snapshotted at record time. */
  reminder_days: JsonText
  /** Next scheduled reminder, derived from reminder_days; null when the schedule is exhausted. */
  next_reminder_at: EpochMs | null
  /** 1: someone already in the portal, brought into a group (acceptance = joining it). */
  existing_user: Generated<number>
  /** JSON: where the invitation came from beyond its source (a robot's document and workflow); null for most. */
  origin: ColumnType<string | null, string | null | undefined, string | null>
  expires_at: EpochMs | null
  /** Lower-cased "name lastName\nemail", matched with LIKE so search is case-insensitive for Cyrillic on both backends. */
  search_text: string
  created_at: EpochMs
  updated_at: EpochMs
}

export interface InvitationEventsTable {
  id: Generated<number>
  /** References invitations.id ON DELETE CASCADE. */
  invitation_id: string
  member_id: string
  at: EpochMs
  from_state: InvitationsTable['state'] | null
  to_state: InvitationsTable['state']
  actor_user_id: number | null
  detail: JsonText
}

export interface DirectoryUsersTable {
  member_id: string
  user_id: number
  /** Lower-cased. */
  email: string | null
  phone: string | null
  name: string | null
  last_name: string | null
  /** 0 or 1. */
  active: number
  user_type: string
  last_login: EpochMs | null
  /** 0 or 1. */
  invited: number
  /** number[] */
  departments: JsonText
  synced_at: EpochMs
}

export interface DirectoryDepartmentsTable {
  member_id: string
  id: number
  name: string
  parent_id: number | null
  /** UF_HEAD: the department's manager. */
  head_id: ColumnType<number | null, number | null | undefined, number | null>
}

export interface DirectoryGroupsTable {
  member_id: string
  id: number
  name: string
  /** 0 or 1. */
  is_extranet: number
  type: string | null
  owner_id: number | null
  /** 0 or 1. */
  active: number
  /** 0 or 1 (VISIBLE): a hidden group's name is shown only to its members and admins. */
  visible: ColumnType<number, number | undefined, number>
}

export interface DirectorySyncTable {
  member_id: string
  users_synced_at: EpochMs | null
  full_sync_at: EpochMs | null
  structure_synced_at: EpochMs | null
}

export interface InviteImportsTable {
  id: string
  member_id: string
  created_by: number
  source: 'csv' | 'xlsx' | 'paste'
  file_name: string | null
  original: string | null
  detected: JsonText
  rows: JsonText
  header_row: number
  mapping: JsonText
  problems: JsonText
  settings: JsonText | null
  excluded: JsonText
  edits: JsonText
  job_id: string | null
  created_at: EpochMs
  expires_at: EpochMs
}

// ---- 0004_extranet: extranet-group onboarding.

export interface OnboardingKitsTable {
  /** Primary key (member_id, group_id). */
  member_id: string
  group_id: number
  invite_template_id: string | null
  /** { ru, en } */
  welcome_text: JsonText
  /** 0 or 1. */
  post_to_feed: number
  /** 0 or 1. */
  post_to_chat: number
  /** { title, description, deadlineDays } or null. */
  starter_task: JsonText | null
  /** null: the inviter sponsors. */
  sponsor_id: number | null
  /** Default access length for new guests; null: no end date. */
  access_days: number | null
  notice_days: ColumnType<number, number | undefined, number>
  offboarding: 'confirm' | 'auto'
  updated_by: number
  updated_at: EpochMs
}

export interface ExtranetGuestsTable {
  /** UUID. */
  id: string
  member_id: string
  group_id: number
  /** invitations.id in the ledger (no foreign key: the ledger row may be purged independently). */
  invitation_id: string | null
  user_id: number | null
  email: string | null
  /** Trimmed, lower-cased email: part of the unique key (member_id, group_id, email_lc). */
  email_lc: string | null
  name: string | null
  sponsor_id: number
  access_ends_at: EpochMs | null
  notice_at: EpochMs | null
  state: 'pending' | 'active' | 'awaiting_confirmation' | 'ended'
  welcomed_at: EpochMs | null
  notice_sent_at: EpochMs | null
  end_requested_at: EpochMs | null
  removed_at: EpochMs | null
  deactivated_at: EpochMs | null
  created_at: EpochMs
  updated_at: EpochMs
}

/** A collab (workgroup TYPE 'collab') as last read by the collab sync. */
export interface CollabsTable {
  member_id: string
  collab_id: number
  name: string
  owner_id: number | null
  active: number
  /** NUMBER_OF_MEMBERS, DATE_UPDATE and DATE_ACTIVITY as the list gave them: what tells a change cheaply. */
  members_count: number
  date_update: string | null
  date_activity: string | null
  synced_at: EpochMs
}

/** A person's relation to a collab: a member (owner, moderator, member) or invited and not yet accepted. */
export interface CollabMembershipsTable {
  member_id: string
  collab_id: number
  user_id: number
  role: 'owner' | 'moderator' | 'member' | 'invited'
  /** When the sync first saw the relation (or the invitation, for pending ones). */
  first_seen_at: EpochMs
  /** When the sync first saw them as a member; null while invited. */
  joined_at: EpochMs | null
}

/** Profiles of extranet users (collab guests) from user.get. */
export interface CollabPeopleTable {
  member_id: string
  user_id: number
  email: string | null
  name: string | null
  last_name: string | null
  active: number
  user_type: string
  last_login: EpochMs | null
  last_activity: EpochMs | null
  date_register: EpochMs | null
  synced_at: EpochMs
}

export interface CollabSyncTable {
  member_id: string
  full_at: EpochMs | null
  incremental_at: EpochMs | null
  /** Highest user ID seen: new people are read after it. */
  user_cursor: number
  /** Portal time (ms) of the last pass's start: changed profiles are read after it. */
  changed_since: EpochMs | null
  last_mode: 'full' | 'incremental' | null
  last_requests: number | null
  last_error: string | null
  /** An ONUSERADD arrived since the last pass. */
  dirty: number
  /** A pass holds the portal until then (one pass per portal across instances). */
  running_until: EpochMs | null
  running_owner: string | null
}

/** Counts per day and collab (collab_id 0 = every collab) for trends. */
export interface CollabHistoryTable {
  member_id: string
  day: string
  collab_id: number
  guests: number
  invited: number
  active: number
  inactive: number
  deactivated: number
}

export interface CollabSettingsTable {
  member_id: string
  /** CollabSettings as JSON. */
  settings: JsonText
  /** 'YYYY-MM-DD' of the last digest sent (one per portal per day). */
  digest_day: string | null
  updated_at: EpochMs
}

export interface AccessReviewsTable {
  id: string
  member_id: string
  status: 'open' | 'closed'
  /** null: started by the schedule. */
  started_by: number | null
  started_at: EpochMs
  due_at: EpochMs
  closed_at: EpochMs | null
  unanswered: 'keep' | 'end'
  /** number[] or null for every collab. */
  collab_ids: JsonText | null
}

export interface AccessReviewItemsTable {
  id: string
  review_id: string
  member_id: string
  collab_id: number
  user_id: number
  /** The guest's state when the review started. */
  state: string
  sponsor_id: number | null
  sponsor_source: 'ledger' | 'owner'
  decision: 'keep' | 'end' | null
  decided_by: number | null
  decided_at: EpochMs | null
  reason: string | null
  outcome: 'kept' | 'ended' | 'failed' | null
  outcome_error: string | null
}

export interface RobotRunsTable {
  /** UUID. */
  id: string
  member_id: string
  robot_code: string
  workflow_id: string
  /** HMAC of the event token: the idempotency key with workflow_id (the token itself is a credential). */
  event_token_hash: string
  /** The event token, encrypted (bizproc.event.send needs it back). */
  event_token: string
  /** document_id[2], e.g. DEAL_123. */
  document: string
  /** JSON string[]: document_id and document_type as received. */
  document_id: JsonText
  document_type: JsonText
  /** JSON: properties as received. */
  properties: JsonText
  use_subscription: number
  auth_user_id: number | null
  /** Lower-cased e-mail the run is about (invite and wait robots). */
  email: string | null
  user_id: number | null
  state: 'received' | 'dispatching' | 'queued' | 'waiting' | 'done'
  outcome: string | null
  error_text: string | null
  /** JSON: RETURN_VALUES. */
  return_values: string | null
  job_id: string | null
  job_seq: number | null
  /** When the run took a place under the daily cap (a job item). */
  admitted_at: EpochMs | null
  wait_until: EpochMs | null
  /** ts + timeout_duration: the portal stops waiting for a reply then. */
  portal_timeout_at: EpochMs | null
  reply_state: 'none' | 'pending' | 'sending' | 'sent' | 'failed' | 'expired'
  reply_attempts: ColumnType<number, number | undefined, number>
  reply_next_at: EpochMs | null
  reply_claimed_at: EpochMs | null
  reply_error: string | null
  created_at: EpochMs
  updated_at: EpochMs
  decided_at: EpochMs | null
  replied_at: EpochMs | null
}

export interface RobotSettingsTable {
  member_id: string
  settings: JsonText
  dispatch_owner: string | null
  dispatch_until: EpochMs | null
  updated_at: EpochMs
  updated_by: number | null
}

export interface InvitePolicyTable {
  member_id: string
  policy: JsonText
  updated_at: EpochMs
  updated_by: number | null
  /** YYYY-MM-DD (UTC) of the last inviters' digest. */
  digest_day: ColumnType<string | null, string | null | undefined, string | null>
}

export interface InviteRequestsTable {
  /** UUID. */
  id: string
  member_id: string
  requested_by: number
  /** Where the manager asked from (PLACEMENT), e.g. SONET_GROUP_DETAIL_TAB. */
  placement: string
  kind: 'intranet' | 'extranet'
  department_id: number | null
  group_id: number | null
  template_id: string | null
  /** JSON: [{ email, name, lastName }] */
  people: JsonText
  /** JSON string[]: why the policy asked for approval. */
  reasons: JsonText
  /** Who decides besides the portal's admins: the group's owner; null for admins only. */
  approver_id: number | null
  state: 'pending' | 'approved' | 'declined' | 'cancelled' | 'failed'
  decided_by: number | null
  decided_at: EpochMs | null
  decision_reason: string | null
  job_id: string | null
  /** The join (join_link_joins.id) this request is about; null for requests from a tab. */
  join_id: ColumnType<string | null, string | null | undefined, string | null>
  created_at: EpochMs
  updated_at: EpochMs
}

/** A managed join link: a public page (/join/<token>) that invites whoever joins into one target. */
export interface JoinLinksTable {
  /** UUID. */
  id: string
  member_id: string
  /** sha256 of the link's token (the token has 192 random bits: a keyed hash adds nothing, and survives key rotation). */
  token_hash: string
  /** The token itself, sealed (the admin sees the link again). */
  token: string
  name: string
  target_kind: 'department' | 'group' | 'collab'
  target_id: number
  template_id: string | null
  expires_at: EpochMs | null
  cap: number | null
  /** Slots taken: joins not declined. Incremented only while uses < cap (exact under concurrency). */
  uses: ColumnType<number, number | undefined, number>
  /** JSON string[]: lower-case domains; [] = any. */
  allowed_domains: JsonText
  approval: number
  state: 'active' | 'paused' | 'revoked'
  views: ColumnType<number, number | undefined, number>
  created_by: number
  /** 1 when an admin owns it (no policy re-check at dispatch). */
  owner_admin: number
  cap_warned_at: EpochMs | null
  expiry_warned_at: EpochMs | null
  dispatch_owner: string | null
  dispatch_until: EpochMs | null
  created_at: EpochMs
  updated_at: EpochMs
}

/** One person who joined through a link: a persisted state machine until their invitation is a job item. */
export interface JoinLinkJoinsTable {
  /** UUID. */
  id: string
  link_id: string
  member_id: string
  email: string
  email_lc: string
  name: string
  last_name: string | null
  /** The page's language: the template's text in it. */
  lang: 'ru' | 'en'
  state: 'queued' | 'dispatching' | 'awaiting_approval' | 'declined' | 'sent' | 'existing' | 'failed'
  request_id: string | null
  /** Who approved it (a join link needing approval); null otherwise. */
  approved_by: number | null
  job_id: string | null
  job_seq: number | null
  /** When a dispatcher took it into a job: the portal's join admission window counts these. */
  admitted_at: EpochMs | null
  error: string | null
  created_at: EpochMs
  updated_at: EpochMs
}

/** Per-portal background tasks held by one instance at a time (a lease that lapses if its holder dies). */
export interface PortalTasksTable {
  member_id: string
  task: string
  owner: string
  until: EpochMs
}

/** Fixed-window counters for rate limits shared by every instance (keys hold no raw IP). */
export interface RateCountersTable {
  key: string
  window_start: EpochMs
  count: number
}

export interface Schema {
  portals: PortalsTable
  app_sessions: AppSessionsTable
  event_inbox: EventInboxTable
  audit_log: AuditLogTable
  invite_templates: InviteTemplatesTable
  invite_jobs: InviteJobsTable
  invite_job_items: InviteJobItemsTable
  portal_leases: PortalLeasesTable
  invitations: InvitationsTable
  invitation_events: InvitationEventsTable
  directory_users: DirectoryUsersTable
  directory_departments: DirectoryDepartmentsTable
  directory_groups: DirectoryGroupsTable
  directory_sync: DirectorySyncTable
  invite_imports: InviteImportsTable
  onboarding_kits: OnboardingKitsTable
  extranet_guests: ExtranetGuestsTable
  collabs: CollabsTable
  collab_memberships: CollabMembershipsTable
  collab_people: CollabPeopleTable
  collab_sync: CollabSyncTable
  collab_history: CollabHistoryTable
  collab_settings: CollabSettingsTable
  access_reviews: AccessReviewsTable
  access_review_items: AccessReviewItemsTable
  robot_runs: RobotRunsTable
  robot_settings: RobotSettingsTable
  invite_policy: InvitePolicyTable
  invite_requests: InviteRequestsTable
  join_links: JoinLinksTable
  join_link_joins: JoinLinkJoinsTable
  rate_counters: RateCountersTable
  portal_tasks: PortalTasksTable
}
