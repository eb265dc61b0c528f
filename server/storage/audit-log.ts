import { sql } from 'kysely'
import type { AppDatabase } from './database.js'
import { parseJsonObject, toJsonText } from './json-column.js'
import type { AuditLogTable } from './schema.js'

export type AuditActorKind = AuditLogTable['actor_kind']
export type AuditResult = AuditLogTable['result']

export interface AuditEntry {
  id: number
  memberId: string
  /** Epoch ms. */
  at: number
  actorUserId: number | null
  actorKind: AuditActorKind
  action: string
  subject: string | null
  details: Record<string, unknown>
  result: AuditResult
}

export interface AuditQuery {
  limit: number
  /** Cursor: the id of the last entry of the previous page. An id not in this portal's log yields an empty page. */
  beforeId?: number
  action?: string
  /** Actions starting with this (e.g. 'invite_request.'). */
  actionPrefix?: string
  actorUserId?: number
  /** at ≥ from (inclusive). */
  from?: number
  /** at < to (exclusive). */
  to?: number
  result?: AuditResult
}

export interface AuditLog {
  record(e: Omit<AuditEntry, 'id'>): Promise<void>
  /** Newest first: by `at`, ties by insertion order. */
  list(memberId: string, q: AuditQuery): Promise<AuditEntry[]>
}

export function createAuditLog(app: AppDatabase): AuditLog {
  const { db } = app

  return {
    async record(e) {
      await db
        .insertInto('audit_log')
        .values({
          member_id: e.memberId,
          at: e.at,
          actor_user_id: e.actorUserId,
          actor_kind: e.actorKind,
          action: e.action,
          subject: e.subject,
          details: toJsonText(e.details),
          result: e.result,
        })
        .execute()
    },

    async list(memberId, q) {
      if (q.limit <= 0) return []
      // Keyset paging on (at, id): stable while new entries arrive, and served by the (member_id, at) index.
      let cursor: { at: number; id: number } | undefined
      if (q.beforeId !== undefined) {
        cursor = await db
          .selectFrom('audit_log')
          .select(['at', 'id'])
          .where('id', '=', q.beforeId)
          .where('member_id', '=', memberId)
          .executeTakeFirst()
        if (cursor === undefined) return []
      }
      const rows = await db
        .selectFrom('audit_log')
        .selectAll()
        .where('member_id', '=', memberId)
        .$if(q.action !== undefined, (qb) => qb.where('action', '=', q.action!))
        // The prefix is literal (action codes contain _): escaped, with the escape character named for SQLite.
        .$if(q.actionPrefix !== undefined, (qb) => qb.where(sql`action`, 'like', sql`${`${q.actionPrefix!.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} escape '\\'`))
        .$if(q.actorUserId !== undefined, (qb) => qb.where('actor_user_id', '=', q.actorUserId!))
        .$if(q.from !== undefined, (qb) => qb.where('at', '>=', q.from!))
        .$if(q.to !== undefined, (qb) => qb.where('at', '<', q.to!))
        .$if(q.result !== undefined, (qb) => qb.where('result', '=', q.result!))
        .$if(cursor !== undefined, (qb) =>
          qb.where((eb) =>
            eb.or([
              eb('at', '<', cursor!.at),
              eb.and([eb('at', '=', cursor!.at), eb('id', '<', cursor!.id)]),
            ]),
          ),
        )
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(q.limit)
        .execute()
      return rows.map((row) => ({
        id: row.id,
        memberId: row.member_id,
        at: row.at,
        actorUserId: row.actor_user_id,
        actorKind: row.actor_kind,
        action: row.action,
        subject: row.subject,
        details: parseJsonObject<Record<string, unknown>>(row.details, {}),
        result: row.result,
      }))
    },
  }
}
