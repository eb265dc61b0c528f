import type { Selectable } from 'kysely'
import type { AppDatabase } from './database.js'
import { parseJsonObject, toJsonText } from './json-column.js'
import type { OnboardingKitsTable } from './schema.js'

/** What a new guest of one extranet group gets: welcome, starter task, sponsor and access length. */
export interface OnboardingKit {
  memberId: string
  groupId: number
  inviteTemplateId: string | null
  welcomeText: { ru: string; en: string }
  postToFeed: boolean
  postToChat: boolean
  starterTask: { title: string; description: string; deadlineDays: number | null } | null
  /** null: the inviter sponsors the guest. */
  sponsorId: number | null
  /** Default access length in days for new guests (> 0); null: no end date. */
  accessDays: number | null
  /** Days before the end date the sponsor is told (≥ 0); DEFAULT_NOTICE_DAYS unless chosen. */
  noticeDays: number
  /** 'confirm': the sponsor confirms each end; 'auto': access ends on the date. */
  offboarding: 'confirm' | 'auto'
  updatedBy: number
  updatedAt: number
}

export type OnboardingKitInput = Omit<OnboardingKit, 'updatedAt'>

export const DEFAULT_NOTICE_DAYS = 7

export interface OnboardingKitStore {
  /** undefined when the group has no kit (or it is another portal's). */
  get(memberId: string, groupId: number): Promise<OnboardingKit | undefined>
  /** Creates or replaces the group's kit as a whole; updatedAt = now. Values outside the schema (accessDays ≤ 0, noticeDays < 0, an unknown offboarding) are rejected by the database. */
  save(kit: OnboardingKitInput): Promise<OnboardingKit>
  /** The portal's kits by groupId. */
  list(memberId: string): Promise<OnboardingKit[]>
}

export function createOnboardingKitStore(app: AppDatabase, clock: () => number = Date.now): OnboardingKitStore {
  const { db } = app

  const toKit = (row: Selectable<OnboardingKitsTable>): OnboardingKit => {
    const texts = parseJsonObject<Partial<OnboardingKit['welcomeText']>>(row.welcome_text, {})
    const task = parseJsonObject<Partial<NonNullable<OnboardingKit['starterTask']>>, null>(row.starter_task, null)
    return {
      memberId: row.member_id,
      groupId: row.group_id,
      inviteTemplateId: row.invite_template_id,
      welcomeText: { ru: typeof texts.ru === 'string' ? texts.ru : '', en: typeof texts.en === 'string' ? texts.en : '' },
      postToFeed: row.post_to_feed === 1,
      postToChat: row.post_to_chat === 1,
      starterTask:
        task === null
          ? null
          : {
              title: typeof task.title === 'string' ? task.title : '',
              description: typeof task.description === 'string' ? task.description : '',
              deadlineDays: Number.isInteger(task.deadlineDays) ? task.deadlineDays! : null,
            },
      sponsorId: row.sponsor_id,
      accessDays: row.access_days,
      noticeDays: row.notice_days,
      offboarding: row.offboarding,
      updatedBy: row.updated_by,
      updatedAt: row.updated_at,
    }
  }

  return {
    async get(memberId, groupId) {
      const row = await db
        .selectFrom('onboarding_kits')
        .selectAll()
        .where('member_id', '=', memberId)
        .where('group_id', '=', groupId)
        .executeTakeFirst()
      return row && toKit(row)
    },

    async save(kit) {
      // Only the known fields are written, so a caller's extra properties never land in the JSON.
      const values = {
        invite_template_id: kit.inviteTemplateId,
        welcome_text: toJsonText({ ru: kit.welcomeText.ru, en: kit.welcomeText.en }),
        post_to_feed: kit.postToFeed ? 1 : 0,
        post_to_chat: kit.postToChat ? 1 : 0,
        starter_task:
          kit.starterTask === null
            ? null
            : toJsonText({ title: kit.starterTask.title, description: kit.starterTask.description, deadlineDays: kit.starterTask.deadlineDays }),
        sponsor_id: kit.sponsorId,
        access_days: kit.accessDays,
        notice_days: kit.noticeDays,
        offboarding: kit.offboarding,
        updated_by: kit.updatedBy,
        updated_at: clock(),
      }
      // One upsert on the primary key: two concurrent saves both succeed, the later write wins whole.
      const row = await db
        .insertInto('onboarding_kits')
        .values({ member_id: kit.memberId, group_id: kit.groupId, ...values })
        .onConflict((oc) => oc.columns(['member_id', 'group_id']).doUpdateSet(values))
        .returningAll()
        .executeTakeFirstOrThrow()
      return toKit(row)
    },

    async list(memberId) {
      const rows = await db.selectFrom('onboarding_kits').selectAll().where('member_id', '=', memberId).orderBy('group_id').execute()
      return rows.map(toKit)
    },
  }
}
