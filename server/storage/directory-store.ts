import type { Insertable, Selectable } from 'kysely'
import { chunked, IN_LIST_CHUNK, parseIntArray, rowsPerInsert } from './batch.js'
import type { AppDatabase } from './database.js'
import { toJsonText } from './json-column.js'
import type { DirectoryGroupsTable, DirectoryUsersTable } from './schema.js'

/** A portal user as last seen by the directory sync (ONUSERADD and incremental passes keep it fresh). */
export interface DirectoryUser {
  id: number
  /** Lower-cased (the store lower-cases and trims on write). */
  email: string | null
  /** As normalised by the caller (the sync stores "+digits"); matched exactly. */
  phone: string | null
  name: string | null
  lastName: string | null
  active: boolean
  userType: 'employee' | 'extranet' | 'email' | string
  lastLogin: number | null
  /** Active and never logged in. */
  invited: boolean
  departments: number[]
  syncedAt: number
}

export interface DirectoryDepartment {
  id: number
  name: string
  parentId: number | null
  /** UF_HEAD; absent or null when the department has no head. */
  headId?: number | null
}

export interface DirectoryGroup {
  id: number
  name: string
  isExtranet: boolean
  type: string | null
  ownerId: number | null
  active: boolean
  /** VISIBLE; absent means visible. */
  visible?: boolean
}

export interface DirectorySyncState {
  usersSyncedAt: number | null
  fullSyncAt: number | null
  structureSyncedAt: number | null
}

export interface DirectoryStore {
  /** Batch upsert by (portal, user id), in one transaction; within a batch the last entry for an id wins. */
  upsertUsers(memberId: string, users: DirectoryUser[]): Promise<void>
  /**
   * Keyed by the trimmed, lower-cased email (whatever case was asked). Emails with no user are absent.
   * When several users share an address, an active one wins over an inactive one, then the highest id.
   */
  usersByEmails(memberId: string, emails: string[]): Promise<Map<string, DirectoryUser>>
  /** Keyed by the phone as asked (trimmed), matched exactly; same tie-break as usersByEmails. */
  usersByPhones(memberId: string, phones: string[]): Promise<Map<string, DirectoryUser>>
  /** Keyed by user id; ids with no cached user are absent. */
  usersByIds(memberId: string, ids: number[]): Promise<Map<number, DirectoryUser>>
  /** Ids of cached users who belong to any of these departments (directly). */
  userIdsInDepartments(memberId: string, departmentIds: number[]): Promise<number[]>
  userCount(memberId: string): Promise<number>
  /** 0 when no user is cached. */
  maxUserId(memberId: string): Promise<number>
  /** Replaces the portal's whole department list in one transaction. */
  replaceDepartments(memberId: string, deps: DirectoryDepartment[]): Promise<void>
  /** By id. */
  departments(memberId: string): Promise<DirectoryDepartment[]>
  /** Replaces the portal's whole group list in one transaction. */
  replaceGroups(memberId: string, groups: DirectoryGroup[]): Promise<void>
  /** By id. */
  groups(memberId: string): Promise<DirectoryGroup[]>
  /** All null for a portal never synced. */
  getSyncState(memberId: string): Promise<DirectorySyncState>
  /** Sets only the fields given; the others keep their value. */
  setSyncState(memberId: string, patch: Partial<{ usersSyncedAt: number; fullSyncAt: number; structureSyncedAt: number }>): Promise<void>
}

const USER_COLUMNS = 12
const DEPARTMENT_COLUMNS = 5
const GROUP_COLUMNS = 8

const normalizeEmail = (email: string | null): string | null => {
  const key = email?.trim().toLowerCase()
  return key ? key : null
}

/** Active beats inactive, then the newer (higher) id. */
const better = (a: DirectoryUser, b: DirectoryUser | undefined): boolean =>
  b === undefined || (a.active !== b.active ? a.active : a.id > b.id)

export function createDirectoryStore(app: AppDatabase): DirectoryStore {
  const { db, dialect } = app

  const toUser = (row: Selectable<DirectoryUsersTable>): DirectoryUser => ({
    id: row.user_id,
    email: row.email,
    phone: row.phone,
    name: row.name,
    lastName: row.last_name,
    active: row.active === 1,
    userType: row.user_type,
    lastLogin: row.last_login,
    invited: row.invited === 1,
    departments: parseIntArray(row.departments),
    syncedAt: row.synced_at,
  })

  const toGroup = (row: Selectable<DirectoryGroupsTable>): DirectoryGroup => ({
    id: row.id,
    name: row.name,
    isExtranet: row.is_extranet === 1,
    type: row.type,
    ownerId: row.owner_id,
    active: row.active === 1,
    visible: Number(row.visible) !== 0,
  })

  /** Looks `keys` up in `column`, chunking the IN list; returns the best user per key. */
  const lookUp = async (memberId: string, column: 'email' | 'phone', keys: string[]) => {
    const found = new Map<string, DirectoryUser>()
    for (const chunk of chunked([...new Set(keys)], IN_LIST_CHUNK)) {
      const rows = await db
        .selectFrom('directory_users')
        .selectAll()
        .where('member_id', '=', memberId)
        .where(column, 'in', chunk)
        .execute()
      for (const row of rows) {
        const user = toUser(row)
        const key = row[column]!
        if (better(user, found.get(key))) found.set(key, user)
      }
    }
    return found
  }

  return {
    async upsertUsers(memberId, users) {
      if (users.length === 0) return
      // One row per id: PostgreSQL refuses an upsert that touches the same row twice.
      const byId = new Map(users.map((u) => [u.id, u]))
      const rows: Insertable<DirectoryUsersTable>[] = [...byId.values()].map((u) => ({
        member_id: memberId,
        user_id: u.id,
        email: normalizeEmail(u.email),
        phone: u.phone?.trim() || null,
        name: u.name,
        last_name: u.lastName,
        active: u.active ? 1 : 0,
        user_type: u.userType,
        last_login: u.lastLogin,
        invited: u.invited ? 1 : 0,
        departments: toJsonText(u.departments),
        synced_at: u.syncedAt,
      }))
      await db.transaction().execute(async (trx) => {
        for (const chunk of chunked(rows, rowsPerInsert(dialect, USER_COLUMNS))) {
          await trx
            .insertInto('directory_users')
            .values(chunk)
            .onConflict((oc) =>
              oc.columns(['member_id', 'user_id']).doUpdateSet((eb) => ({
                email: eb.ref('excluded.email'),
                phone: eb.ref('excluded.phone'),
                name: eb.ref('excluded.name'),
                last_name: eb.ref('excluded.last_name'),
                active: eb.ref('excluded.active'),
                user_type: eb.ref('excluded.user_type'),
                last_login: eb.ref('excluded.last_login'),
                invited: eb.ref('excluded.invited'),
                departments: eb.ref('excluded.departments'),
                synced_at: eb.ref('excluded.synced_at'),
              })),
            )
            .execute()
        }
      })
    },

    async usersByEmails(memberId, emails) {
      const keys = emails.map(normalizeEmail).filter((e): e is string => e !== null)
      return lookUp(memberId, 'email', keys)
    },

    async usersByPhones(memberId, phones) {
      return lookUp(memberId, 'phone', phones.map((p) => p.trim()).filter((p) => p !== ''))
    },

    async usersByIds(memberId, ids) {
      const found = new Map<number, DirectoryUser>()
      const keys = [...new Set(ids)].filter((id) => Number.isInteger(id) && id > 0)
      for (const chunk of chunked(keys, IN_LIST_CHUNK)) {
        const rows = await db.selectFrom('directory_users').selectAll().where('member_id', '=', memberId).where('user_id', 'in', chunk).execute()
        for (const row of rows) found.set(row.user_id, toUser(row))
      }
      return found
    },

    async userCount(memberId) {
      const row = await db
        .selectFrom('directory_users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('member_id', '=', memberId)
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },

    async maxUserId(memberId) {
      const row = await db
        .selectFrom('directory_users')
        .select((eb) => eb.fn.max('user_id').as('max'))
        .where('member_id', '=', memberId)
        .executeTakeFirst()
      return Number(row?.max ?? 0)
    },

    async replaceDepartments(memberId, deps) {
      const rows = [...new Map(deps.map((d) => [d.id, d])).values()].map((d) => ({
        member_id: memberId,
        id: d.id,
        name: d.name,
        parent_id: d.parentId,
        head_id: d.headId ?? null,
      }))
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('directory_departments').where('member_id', '=', memberId).execute()
        for (const chunk of chunked(rows, rowsPerInsert(dialect, DEPARTMENT_COLUMNS))) {
          await trx.insertInto('directory_departments').values(chunk).execute()
        }
      })
    },

    async userIdsInDepartments(memberId, departmentIds) {
      const ids = [...new Set(departmentIds.filter((d) => Number.isInteger(d) && d > 0))]
      if (ids.length === 0) return []
      // departments is JSON text such as [1,5]: an id is matched as a whole list element.
      const rows = await db
        .selectFrom('directory_users')
        .select('user_id')
        .where('member_id', '=', memberId)
        .where((eb) => eb.or(ids.flatMap((d) => [`[${d}]`, `[${d},%`, `%,${d}]`, `%,${d},%`].map((p) => eb('departments', 'like', p)))))
        .orderBy('user_id')
        .execute()
      return rows.map((r) => Number(r.user_id))
    },

    async departments(memberId) {
      const rows = await db
        .selectFrom('directory_departments')
        .select(['id', 'name', 'parent_id', 'head_id'])
        .where('member_id', '=', memberId)
        .orderBy('id')
        .execute()
      return rows.map((r) => ({ id: r.id, name: r.name, parentId: r.parent_id, headId: r.head_id === null ? null : Number(r.head_id) }))
    },

    async replaceGroups(memberId, groups) {
      const rows = [...new Map(groups.map((g) => [g.id, g])).values()].map((g) => ({
        member_id: memberId,
        id: g.id,
        name: g.name,
        is_extranet: g.isExtranet ? 1 : 0,
        type: g.type,
        owner_id: g.ownerId,
        active: g.active ? 1 : 0,
        visible: g.visible === false ? 0 : 1,
      }))
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('directory_groups').where('member_id', '=', memberId).execute()
        for (const chunk of chunked(rows, rowsPerInsert(dialect, GROUP_COLUMNS))) {
          await trx.insertInto('directory_groups').values(chunk).execute()
        }
      })
    },

    async groups(memberId) {
      const rows = await db.selectFrom('directory_groups').selectAll().where('member_id', '=', memberId).orderBy('id').execute()
      return rows.map(toGroup)
    },

    async getSyncState(memberId) {
      const row = await db.selectFrom('directory_sync').selectAll().where('member_id', '=', memberId).executeTakeFirst()
      return {
        usersSyncedAt: row?.users_synced_at ?? null,
        fullSyncAt: row?.full_sync_at ?? null,
        structureSyncedAt: row?.structure_synced_at ?? null,
      }
    },

    async setSyncState(memberId, patch) {
      const set = {
        ...(patch.usersSyncedAt !== undefined ? { users_synced_at: patch.usersSyncedAt } : {}),
        ...(patch.fullSyncAt !== undefined ? { full_sync_at: patch.fullSyncAt } : {}),
        ...(patch.structureSyncedAt !== undefined ? { structure_synced_at: patch.structureSyncedAt } : {}),
      }
      if (Object.keys(set).length === 0) return
      await db
        .insertInto('directory_sync')
        .values({ member_id: memberId, ...set })
        .onConflict((oc) => oc.column('member_id').doUpdateSet(set))
        .execute()
    },
  }
}
