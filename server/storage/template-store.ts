import { randomUUID } from 'node:crypto'
import type { Selectable, Updateable } from 'kysely'
import { isUniqueViolation, parseIntArray } from './batch.js'
import type { AppDatabase } from './database.js'
import { parseJsonObject, toJsonText } from './json-column.js'
import type { InviteTemplatesTable } from './schema.js'

export interface InviteTemplate {
  /** UUID. */
  id: string
  memberId: string
  name: string
  kind: 'intranet' | 'extranet'
  texts: { ru: string; en: string }
  defaultLang: 'ru' | 'en'
  departmentId: number | null
  groupIds: number[]
  /** Days after sending, e.g. [3, 7]. */
  reminderDays: number[]
  expireAfterDays: number | null
  createdBy: number
  createdAt: number
  updatedAt: number
  archived: boolean
}

export type NewInviteTemplate = Omit<InviteTemplate, 'id' | 'createdAt' | 'updatedAt' | 'archived'>
export type InviteTemplatePatch = Partial<
  Pick<InviteTemplate, 'name' | 'kind' | 'texts' | 'defaultLang' | 'departmentId' | 'groupIds' | 'reminderDays' | 'expireAfterDays'>
>

export interface TemplateStore {
  /** Ordered by name (ru/en collation, digits numerically; then id); archived templates only with includeArchived. */
  list(memberId: string, opts?: { includeArchived?: boolean }): Promise<InviteTemplate[]>
  /** undefined for an unknown id or another portal's id; archived templates are returned (with archived: true). */
  get(memberId: string, id: string): Promise<InviteTemplate | undefined>
  /** Names are unique per portal among non-archived templates (exact, case-sensitive match): throws TemplateNameTakenError. */
  create(t: NewInviteTemplate): Promise<InviteTemplate>
  /** undefined for an unknown/foreign id; throws TemplateNameTakenError on a rename onto a live name. Archived templates can be edited. */
  update(memberId: string, id: string, patch: InviteTemplatePatch): Promise<InviteTemplate | undefined>
  /** True when this call archived it; false for an unknown/foreign id or one already archived. Frees the name. */
  archive(memberId: string, id: string): Promise<boolean>
}

export class TemplateNameTakenError extends Error {
  constructor(
    readonly memberId: string,
    readonly templateName: string,
  ) {
    super(`a template named "${templateName}" already exists`)
    this.name = 'TemplateNameTakenError'
  }
}

const NAME_INDEX = {
  name: 'invite_templates_member_id_name_live',
  sqliteColumns: 'invite_templates.member_id, invite_templates.name',
}

const byName = new Intl.Collator(['ru', 'en'], { numeric: true })

export function createTemplateStore(app: AppDatabase, clock: () => number = Date.now): TemplateStore {
  const { db } = app

  const toTemplate = (row: Selectable<InviteTemplatesTable>): InviteTemplate => {
    const texts = parseJsonObject<Partial<InviteTemplate['texts']>>(row.texts, {})
    return {
      id: row.id,
      memberId: row.member_id,
      name: row.name,
      kind: row.kind,
      texts: { ru: typeof texts.ru === 'string' ? texts.ru : '', en: typeof texts.en === 'string' ? texts.en : '' },
      defaultLang: row.default_lang,
      departmentId: row.department_id,
      groupIds: parseIntArray(row.group_ids),
      reminderDays: parseIntArray(row.reminder_days),
      expireAfterDays: row.expire_after_days,
      createdBy: row.created_by,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      archived: row.archived === 1,
    }
  }

  const nameTaken = <T>(memberId: string, name: string) => (error: unknown): T => {
    if (isUniqueViolation(error, NAME_INDEX)) throw new TemplateNameTakenError(memberId, name)
    throw error
  }

  return {
    async list(memberId, opts = {}) {
      const rows = await db
        .selectFrom('invite_templates')
        .selectAll()
        .where('member_id', '=', memberId)
        .$if(!opts.includeArchived, (qb) => qb.where('archived', '=', 0))
        .execute()
      // Sorted here, not by ORDER BY: SQLite compares bytes while PostgreSQL uses the database
      // collation, and the order must be the same on both (and sensible for Cyrillic names).
      return rows.map(toTemplate).sort((a, b) => byName.compare(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    },

    async get(memberId, id) {
      const row = await db
        .selectFrom('invite_templates')
        .selectAll()
        .where('member_id', '=', memberId)
        .where('id', '=', id)
        .executeTakeFirst()
      return row && toTemplate(row)
    },

    async create(t) {
      const now = clock()
      // The partial unique index decides, so two concurrent creates of one name cannot both pass.
      const row = await db
        .insertInto('invite_templates')
        .values({
          id: randomUUID(),
          member_id: t.memberId,
          name: t.name,
          kind: t.kind,
          texts: toJsonText({ ru: t.texts.ru, en: t.texts.en }),
          default_lang: t.defaultLang,
          department_id: t.departmentId,
          group_ids: toJsonText(t.groupIds),
          reminder_days: toJsonText(t.reminderDays),
          expire_after_days: t.expireAfterDays,
          created_by: t.createdBy,
          created_at: now,
          updated_at: now,
          archived: 0,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
        .catch(nameTaken<never>(t.memberId, t.name))
      return toTemplate(row)
    },

    async update(memberId, id, patch) {
      const set: Updateable<InviteTemplatesTable> = { updated_at: clock() }
      if (patch.name !== undefined) set.name = patch.name
      if (patch.kind !== undefined) set.kind = patch.kind
      if (patch.texts !== undefined) set.texts = toJsonText({ ru: patch.texts.ru, en: patch.texts.en })
      if (patch.defaultLang !== undefined) set.default_lang = patch.defaultLang
      if (patch.departmentId !== undefined) set.department_id = patch.departmentId
      if (patch.groupIds !== undefined) set.group_ids = toJsonText(patch.groupIds)
      if (patch.reminderDays !== undefined) set.reminder_days = toJsonText(patch.reminderDays)
      if (patch.expireAfterDays !== undefined) set.expire_after_days = patch.expireAfterDays
      const row = await db
        .updateTable('invite_templates')
        .set(set)
        .where('member_id', '=', memberId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst()
        .catch(nameTaken<never>(memberId, patch.name ?? ''))
      return row && toTemplate(row)
    },

    async archive(memberId, id) {
      const result = await db
        .updateTable('invite_templates')
        .set({ archived: 1, updated_at: clock() })
        .where('member_id', '=', memberId)
        .where('id', '=', id)
        .where('archived', '=', 0)
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    },
  }
}
