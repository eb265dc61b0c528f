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

export interface Schema {
  portals: PortalsTable
  app_sessions: AppSessionsTable
  event_inbox: EventInboxTable
  audit_log: AuditLogTable
}
