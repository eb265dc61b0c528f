import { createAuditLog, type AuditLog } from './audit-log.js'
import type { AppDatabase } from './database.js'
import { createEventInbox, type EventInbox } from './event-inbox.js'
import { createPortalStore, type PortalStore, type SecretBox } from './portal-store.js'
import { createSessionStore, type SessionStore } from './session-store.js'

export interface Stores {
  portals: PortalStore
  sessions: SessionStore
  inbox: EventInbox
  audit: AuditLog
}

export function createStores(db: AppDatabase, box: SecretBox, clock?: () => number): Stores {
  return {
    portals: createPortalStore(db, box, clock),
    sessions: createSessionStore(db),
    inbox: createEventInbox(db),
    audit: createAuditLog(db),
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
