import type { AppDatabase } from './database.js'
import { parseJsonObject, toJsonText } from './json-column.js'

/** A portal's invite policy as stored (validated and defaulted by server/policy/policy-service.ts). */
export interface InvitePolicyStore {
  get(memberId: string): Promise<Record<string, unknown> | null>
  put(memberId: string, policy: Record<string, unknown>, by: number | null, now: number): Promise<void>
}

export function createInvitePolicyStore(app: AppDatabase): InvitePolicyStore {
  const { db } = app
  return {
    async get(memberId) {
      const row = await db.selectFrom('invite_policy').select('policy').where('member_id', '=', memberId).executeTakeFirst()
      return row ? parseJsonObject<Record<string, unknown>, null>(row.policy, null) : null
    },
    async put(memberId, policy, by, now) {
      await db
        .insertInto('invite_policy')
        .values({ member_id: memberId, policy: toJsonText(policy), updated_at: now, updated_by: by })
        .onConflict((oc) => oc.column('member_id').doUpdateSet({ policy: toJsonText(policy), updated_at: now, updated_by: by }))
        .execute()
    },
  }
}
