import type { Selectable } from 'kysely'
import type { AppDatabase } from './database.js'
import { parseJsonObject, toJsonText } from './json-column.js'
import type { AppSessionsTable } from './schema.js'

export interface AppSessionRecord {
  /** Hash of the bearer token, computed by the caller; the token itself is never stored. */
  id: string
  memberId: string
  userId: number
  isAdmin: boolean
  lang: string
  placement: string
  placementOptions: Record<string, unknown>
  createdAt: number
  expiresAt: number
}

export interface SessionStore {
  /** Stores the session; an existing session with the same id is replaced. */
  create(s: AppSessionRecord): Promise<void>
  /** undefined when unknown or expired (expiresAt <= nowMs). */
  get(id: string, nowMs: number): Promise<AppSessionRecord | undefined>
  delete(id: string): Promise<void>
  /** Returns how many sessions were deleted. */
  deleteForPortal(memberId: string): Promise<number>
  /** Deletes sessions with expiresAt <= nowMs; returns how many. */
  purgeExpired(nowMs: number): Promise<number>
}

export function createSessionStore(app: AppDatabase): SessionStore {
  const { db } = app

  const toRecord = (row: Selectable<AppSessionsTable>): AppSessionRecord => ({
    id: row.id,
    memberId: row.member_id,
    userId: row.user_id,
    isAdmin: row.is_admin === 1,
    lang: row.lang,
    placement: row.placement,
    placementOptions: parseJsonObject<Record<string, unknown>>(row.placement_options, {}),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  })

  return {
    async create(s) {
      const row = {
        member_id: s.memberId,
        user_id: s.userId,
        is_admin: s.isAdmin ? 1 : 0,
        lang: s.lang,
        placement: s.placement,
        placement_options: toJsonText(s.placementOptions),
        created_at: s.createdAt,
        expires_at: s.expiresAt,
      }
      // Upsert: the same bearer token hashes to the same id, and a retried create must not fail.
      await db
        .insertInto('app_sessions')
        .values({ id: s.id, ...row })
        .onConflict((oc) => oc.column('id').doUpdateSet(row))
        .execute()
    },

    async get(id, nowMs) {
      const row = await db
        .selectFrom('app_sessions')
        .selectAll()
        .where('id', '=', id)
        .where('expires_at', '>', nowMs)
        .executeTakeFirst()
      return row && toRecord(row)
    },

    async delete(id) {
      await db.deleteFrom('app_sessions').where('id', '=', id).execute()
    },

    async deleteForPortal(memberId) {
      const result = await db.deleteFrom('app_sessions').where('member_id', '=', memberId).executeTakeFirst()
      return Number(result.numDeletedRows)
    },

    async purgeExpired(nowMs) {
      const result = await db.deleteFrom('app_sessions').where('expires_at', '<=', nowMs).executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
