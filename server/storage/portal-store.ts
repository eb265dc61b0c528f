import type { Selectable, Updateable } from 'kysely'
import type { AppDatabase } from './database.js'
import { parseJsonObject, toJsonText } from './json-column.js'
import type { PortalsTable } from './schema.js'

/** Implemented elsewhere (AES-GCM). The store seals on write and opens on read, so nothing else sees ciphertext and no plaintext token reaches the database. */
export interface SecretBox {
  seal(plain: string): string
  open(sealed: string): string
}

export type PortalStatus = 'installing' | 'installed' | 'needs_reinstall' | 'uninstalled'

export interface PortalTokens {
  accessToken: string
  refreshToken: string
  /** Unix seconds. */
  expiresAt: number
  scope: string
}

export interface PortalRegistration {
  events: string[]
  placements: string[]
  robots: string[]
  appliedAt: number
  errors: string[]
}

export interface PortalRecord {
  memberId: string
  domain: string
  clientEndpoint: string
  appCode: string | null
  status: PortalStatus
  lang: string
  licenseFamily: string | null
  applicationToken: string | null
  tokens: PortalTokens | null
  tokenVersion: number
  installedByUserId: number | null
  capabilities: Record<string, boolean>
  registration: PortalRegistration | null
  createdAt: number
  updatedAt: number
}

export interface SaveInstallInput {
  memberId: string
  domain: string
  clientEndpoint: string
  appCode: string | null
  lang: string
  licenseFamily: string | null
  tokens: PortalTokens
  installedByUserId: number | null
}

export interface PortalPatch {
  capabilities?: Record<string, boolean>
  registration?: PortalRegistration
  lang?: string
  licenseFamily?: string | null
}

export interface PortalStore {
  /** Upsert from a VERIFIED install: status 'installing', application token reset to null, tokens replaced, token_version + 1, lock cleared. */
  saveInstall(input: SaveInstallInput): Promise<PortalRecord>
  get(memberId: string): Promise<PortalRecord | undefined>
  /** Throws PortalNotFoundError for an unknown portal. */
  setApplicationToken(memberId: string, token: string): Promise<void>
  /** Throws PortalNotFoundError for an unknown portal. */
  setStatus(memberId: string, status: PortalStatus): Promise<void>
  /** Only the stored application token (opened), for verifying a callback: the hot path of event intake. */
  applicationToken(memberId: string): Promise<string | null>
  /** Throws PortalNotFoundError for an unknown portal. */
  update(memberId: string, patch: PortalPatch): Promise<void>
  /** Cross-instance single-flight refresh: succeeds only if token_version still equals expectedVersion and no unexpired lock is held by someone else. */
  tryLockRefresh(memberId: string, owner: string, expectedVersion: number, nowMs: number, ttlMs: number): Promise<boolean>
  /** Writes the new tokens, bumps token_version, clears the lock — only if `owner` still holds it; returns the fresh record or undefined if the lock was lost. */
  completeRefresh(memberId: string, owner: string, tokens: PortalTokens): Promise<PortalRecord | undefined>
  releaseRefreshLock(memberId: string, owner: string): Promise<void>
  /** Uninstall without CLEAN: drop every token and the application token, status 'uninstalled', keep the data. No-op for an unknown portal. */
  markUninstalled(memberId: string): Promise<void>
  /** Uninstall with CLEAN: delete the portal and everything that belongs to it (sessions, inbox, audit, templates, jobs and items, lease, invitations and their history, directory cache). No-op for an unknown portal. */
  delete(memberId: string): Promise<void>
}

export class PortalNotFoundError extends Error {
  constructor(readonly memberId: string) {
    super(`portal ${memberId} is not stored`)
    this.name = 'PortalNotFoundError'
  }
}

type PortalRow = Selectable<PortalsTable>

export function createPortalStore(app: AppDatabase, box: SecretBox, clock: () => number = Date.now): PortalStore {
  const { db } = app

  const sealTokens = (tokens: PortalTokens) => ({
    access_token: box.seal(tokens.accessToken),
    refresh_token: box.seal(tokens.refreshToken),
    token_expires_at: tokens.expiresAt,
    scope: tokens.scope,
  })

  const toRecord = (row: PortalRow): PortalRecord => ({
    memberId: row.member_id,
    domain: row.domain,
    clientEndpoint: row.client_endpoint,
    appCode: row.app_code,
    status: row.status,
    lang: row.lang,
    licenseFamily: row.license_family,
    applicationToken: row.application_token === null ? null : box.open(row.application_token),
    tokens:
      row.access_token === null || row.refresh_token === null
        ? null
        : {
            accessToken: box.open(row.access_token),
            refreshToken: box.open(row.refresh_token),
            expiresAt: row.token_expires_at ?? 0,
            scope: row.scope ?? '',
          },
    tokenVersion: row.token_version,
    installedByUserId: row.installed_by_user_id,
    capabilities: parseJsonObject<Record<string, boolean>>(row.capabilities, {}),
    registration: parseJsonObject<PortalRegistration, null>(row.registration, null),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  })

  /** Updates an existing portal or throws: a write to an unknown portal is a caller bug worth surfacing. */
  const updateExisting = async (memberId: string, set: Updateable<PortalsTable>) => {
    const result = await db
      .updateTable('portals')
      .set({ ...set, updated_at: clock() })
      .where('member_id', '=', memberId)
      .executeTakeFirst()
    if (result.numUpdatedRows === 0n) throw new PortalNotFoundError(memberId)
  }

  return {
    async saveInstall(input) {
      const now = clock()
      const fields = {
        domain: input.domain,
        client_endpoint: input.clientEndpoint,
        app_code: input.appCode,
        status: 'installing' as const,
        lang: input.lang,
        license_family: input.licenseFamily,
        application_token: null,
        ...sealTokens(input.tokens),
        refresh_lock_owner: null,
        refresh_lock_until: null,
        installed_by_user_id: input.installedByUserId,
        updated_at: now,
      }
      const row = await db
        .insertInto('portals')
        .values({ member_id: input.memberId, ...fields, token_version: 1, capabilities: '{}', created_at: now })
        // created_at, capabilities and registration survive a reinstall; the install flow rewrites them.
        .onConflict((oc) =>
          oc.column('member_id').doUpdateSet((eb) => ({
            ...fields,
            token_version: eb('portals.token_version', '+', 1),
          })),
        )
        .returningAll()
        .executeTakeFirstOrThrow()
      return toRecord(row)
    },

    async get(memberId) {
      const row = await db.selectFrom('portals').selectAll().where('member_id', '=', memberId).executeTakeFirst()
      return row && toRecord(row)
    },

    async applicationToken(memberId) {
      const row = await db.selectFrom('portals').select('application_token').where('member_id', '=', memberId).executeTakeFirst()
      return row?.application_token ? box.open(row.application_token) : null
    },

    async setApplicationToken(memberId, token) {
      await updateExisting(memberId, { application_token: box.seal(token) })
    },

    async setStatus(memberId, status) {
      await updateExisting(memberId, { status })
    },

    async update(memberId, patch) {
      const set: Updateable<PortalsTable> = {}
      if (patch.capabilities !== undefined) set.capabilities = toJsonText(patch.capabilities)
      if (patch.registration !== undefined) set.registration = toJsonText(patch.registration)
      if (patch.lang !== undefined) set.lang = patch.lang
      if (patch.licenseFamily !== undefined) set.license_family = patch.licenseFamily
      await updateExisting(memberId, set)
    },

    async tryLockRefresh(memberId, owner, expectedVersion, nowMs, ttlMs) {
      // One conditional UPDATE: PostgreSQL re-checks the WHERE against the committed row after a
      // concurrent writer, SQLite serialises writers, so exactly one contender matches.
      const result = await db
        .updateTable('portals')
        .set({ refresh_lock_owner: owner, refresh_lock_until: nowMs + ttlMs })
        .where('member_id', '=', memberId)
        .where('token_version', '=', expectedVersion)
        .where((eb) =>
          eb.or([
            eb('refresh_lock_owner', 'is', null),
            eb('refresh_lock_owner', '=', owner),
            eb('refresh_lock_until', 'is', null),
            eb('refresh_lock_until', '<=', nowMs),
          ]),
        )
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    },

    async completeRefresh(memberId, owner, tokens) {
      // Ownership, not lock expiry, decides: Bitrix24 has already rotated the refresh token, so an
      // expired-but-untaken lock must still accept the only valid tokens.
      const row = await db
        .updateTable('portals')
        .set((eb) => ({
          ...sealTokens(tokens),
          token_version: eb('token_version', '+', 1),
          refresh_lock_owner: null,
          refresh_lock_until: null,
          updated_at: clock(),
        }))
        .where('member_id', '=', memberId)
        .where('refresh_lock_owner', '=', owner)
        .returningAll()
        .executeTakeFirst()
      return row && toRecord(row)
    },

    async releaseRefreshLock(memberId, owner) {
      await db
        .updateTable('portals')
        .set({ refresh_lock_owner: null, refresh_lock_until: null })
        .where('member_id', '=', memberId)
        .where('refresh_lock_owner', '=', owner)
        .execute()
    },

    async markUninstalled(memberId) {
      // token_version moves too, so a refresh that was in flight can no longer lock or complete.
      await db
        .updateTable('portals')
        .set((eb) => ({
          status: 'uninstalled',
          application_token: null,
          access_token: null,
          refresh_token: null,
          token_expires_at: null,
          scope: null,
          token_version: eb('token_version', '+', 1),
          refresh_lock_owner: null,
          refresh_lock_until: null,
          updated_at: clock(),
        }))
        .where('member_id', '=', memberId)
        .execute()
    },

    async delete(memberId) {
      // Sessions go by ON DELETE CASCADE; the inbox and the audit log carry no foreign key (they
      // may hold rows for unknown portals), so they are cleared here in the same transaction.
      // So are the invite tables (0002_invites), children before parents; the children are found
      // through their parents so the deletes seek on the primary-key indexes.
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('event_inbox').where('member_id', '=', memberId).execute()
        await trx.deleteFrom('audit_log').where('member_id', '=', memberId).execute()
        await trx
          .deleteFrom('invitation_events')
          .where('invitation_id', 'in', (eb) => eb.selectFrom('invitations').select('invitations.id').where('invitations.member_id', '=', memberId))
          .execute()
        await trx.deleteFrom('invitations').where('member_id', '=', memberId).execute()
        await trx
          .deleteFrom('invite_job_items')
          .where('job_id', 'in', (eb) => eb.selectFrom('invite_jobs').select('invite_jobs.id').where('invite_jobs.member_id', '=', memberId))
          .execute()
        await trx.deleteFrom('invite_jobs').where('member_id', '=', memberId).execute()
        await trx.deleteFrom('portal_leases').where('member_id', '=', memberId).execute()
        await trx.deleteFrom('invite_templates').where('member_id', '=', memberId).execute()
        await trx.deleteFrom('directory_users').where('member_id', '=', memberId).execute()
        await trx.deleteFrom('directory_departments').where('member_id', '=', memberId).execute()
        await trx.deleteFrom('directory_groups').where('member_id', '=', memberId).execute()
        await trx.deleteFrom('directory_sync').where('member_id', '=', memberId).execute()
        await trx.deleteFrom('invite_imports').where('member_id', '=', memberId).execute()
        await trx.deleteFrom('onboarding_kits').where('member_id', '=', memberId).execute()
        await trx.deleteFrom('extranet_guests').where('member_id', '=', memberId).execute()
        for (const table of ['collabs', 'collab_memberships', 'collab_people', 'collab_sync', 'collab_history', 'collab_settings', 'access_review_items', 'access_reviews', 'robot_runs', 'robot_settings', 'invite_policy', 'invite_requests'] as const) {
          await trx.deleteFrom(table).where('member_id', '=', memberId).execute()
        }
        await trx.deleteFrom('portals').where('member_id', '=', memberId).execute()
      })
    },
  }
}
