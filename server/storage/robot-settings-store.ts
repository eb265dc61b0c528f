import type { AppDatabase } from './database.js'
import { parseJsonObject, toJsonText } from './json-column.js'

/** A portal's robot policy as stored (validated and defaulted by server/robots/robot-settings.ts), and who dispatches its runs. */
export interface RobotSettingsStore {
  /** The stored settings object, or null before the first save. */
  get(memberId: string): Promise<Record<string, unknown> | null>
  put(memberId: string, settings: Record<string, unknown>, by: number | null, now: number): Promise<void>
  /**
   * One dispatcher per portal across instances: true when `owner` holds the claim until now + ttlMs (taken
   * when free or lapsed, renewed when already its own).
   */
  claimDispatch(memberId: string, owner: string, now: number, ttlMs: number): Promise<boolean>
  releaseDispatch(memberId: string, owner: string): Promise<void>
}

export function createRobotSettingsStore(app: AppDatabase): RobotSettingsStore {
  const { db } = app
  const ensure = (memberId: string, now: number) =>
    db.insertInto('robot_settings').values({ member_id: memberId, settings: '{}', updated_at: now, updated_by: null }).onConflict((oc) => oc.column('member_id').doNothing()).execute()

  return {
    async get(memberId) {
      const row = await db.selectFrom('robot_settings').select(['settings', 'updated_by']).where('member_id', '=', memberId).executeTakeFirst()
      if (!row) return null
      const s = parseJsonObject<Record<string, unknown>>(row.settings, {})
      // A row made only to hold the dispatch claim carries no settings yet.
      return Object.keys(s).length ? s : null
    },
    async put(memberId, settings, by, now) {
      await db
        .insertInto('robot_settings')
        .values({ member_id: memberId, settings: toJsonText(settings), updated_at: now, updated_by: by })
        .onConflict((oc) => oc.column('member_id').doUpdateSet({ settings: toJsonText(settings), updated_at: now, updated_by: by }))
        .execute()
    },
    async claimDispatch(memberId, owner, now, ttlMs) {
      await ensure(memberId, now)
      const r = await db
        .updateTable('robot_settings')
        .set({ dispatch_owner: owner, dispatch_until: now + ttlMs })
        .where('member_id', '=', memberId)
        .where((eb) => eb.or([eb('dispatch_owner', 'is', null), eb('dispatch_owner', '=', owner), eb('dispatch_until', '<', now)]))
        .executeTakeFirst()
      return Number(r.numUpdatedRows) > 0
    },
    async releaseDispatch(memberId, owner) {
      await db.updateTable('robot_settings').set({ dispatch_owner: null, dispatch_until: null }).where('member_id', '=', memberId).where('dispatch_owner', '=', owner).execute()
    },
  }
}
