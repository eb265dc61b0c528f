import type { AppDatabase } from './database.js'
import { parseJsonObject, toJsonText } from './json-column.js'

/** A portal's invite policy as stored (validated and defaulted by server/policy/policy-service.ts). */
export interface InvitePolicyStore {
  get(memberId: string): Promise<Record<string, unknown> | null>
  put(memberId: string, policy: Record<string, unknown>, by: number | null, now: number): Promise<void>
  /** True for the one caller that takes the portal's inviters' digest for this day (YYYY-MM-DD). */
  claimDigest(memberId: string, day: string, now: number): Promise<boolean>
}

export function createInvitePolicyStore(app: AppDatabase): InvitePolicyStore {
  const { db } = app
  return {
    async get(memberId) {
      const row = await db.selectFrom('invite_policy').select('policy').where('member_id', '=', memberId).executeTakeFirst()
      const policy = row ? parseJsonObject<Record<string, unknown>, null>(row.policy, null) : null
      // A row made only to hold the digest's day carries no policy.
      return policy && Object.keys(policy).length ? policy : null
    },
    async put(memberId, policy, by, now) {
      await db
        .insertInto('invite_policy')
        .values({ member_id: memberId, policy: toJsonText(policy), updated_at: now, updated_by: by })
        .onConflict((oc) => oc.column('member_id').doUpdateSet({ policy: toJsonText(policy), updated_at: now, updated_by: by }))
        .execute()
    },
    async claimDigest(memberId, day, now) {
      await db.insertInto('invite_policy').values({ member_id: memberId, policy: '{}', updated_at: now, updated_by: null }).onConflict((oc) => oc.column('member_id').doNothing()).execute()
      const r = await db
        .updateTable('invite_policy')
        .set({ digest_day: day })
        .where('member_id', '=', memberId)
        .where((eb) => eb.or([eb('digest_day', 'is', null), eb('digest_day', '<', day)]))
        .executeTakeFirst()
      return Number(r.numUpdatedRows) > 0
    },
  }
}
