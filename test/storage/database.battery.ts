import { sql } from 'kysely'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { useDatabase, type OpenTestDatabase } from './battery-support.js'

export function databaseBattery(open: OpenTestDatabase): void {
  describe('openDatabase', () => {
    const current = useDatabase(open)

    it('pings', async () => {
      await expect(current().ping()).resolves.toBeUndefined()
    })

    it('creates every table and records the migration once, even when opened again', async () => {
      const peer = await current().openPeer()
      const tables = (await peer.db.introspection.getTables()).map((t) => t.name)
      expect(tables).toEqual(
        expect.arrayContaining([
          'portals', 'app_sessions', 'event_inbox', 'audit_log',
          'invite_templates', 'invite_jobs', 'invite_job_items', 'portal_leases', 'invitations', 'invitation_events',
          'directory_users', 'directory_departments', 'directory_groups', 'directory_sync',
          'onboarding_kits', 'extranet_guests', 'collabs', 'collab_memberships', 'collab_people', 'collab_sync', 'collab_history',
          'collab_settings', 'access_reviews', 'access_review_items', 'robot_runs', 'robot_settings', 'invite_policy', 'invite_requests', 'join_links', 'join_link_joins', 'rate_counters', 'portal_tasks',
        ]),
      )
      const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(peer.db)
      expect(rows.map((r) => r.name)).toEqual(['0001_foundation', '0002_invites', '0003_imports', '0004_extranet', '0005_invitation_existing_user', '0006_collabs', '0007_robots', '0008_invite_policy', '0009_department_heads', '0010_join_links', '0011_portal_tasks'])
    })

    it('reads BIGINT columns and counts as JS numbers', async () => {
      const { db } = current()
      const at = 1_700_000_000_123
      await db
        .insertInto('audit_log')
        .values({ member_id: 'm1', at, actor_user_id: 3, actor_kind: 'system', action: 'x', subject: null, details: '{}', result: 'ok' })
        .execute()
      const row = await db.selectFrom('audit_log').select(['id', 'at', 'actor_user_id']).executeTakeFirstOrThrow()
      expect(row).toEqual({ id: expect.any(Number), at, actor_user_id: 3 })
      const count = await db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
      expect(count.n).toBe(1)
    })

    it('leaves pg’s global BIGINT parser alone', () => {
      expect(pg.types.getTypeParser(20)('5')).toBe('5')
    })

    it('enforces foreign keys and sets the SQLite pragmas', async () => {
      const app = current()
      await expect(
        app.db
          .insertInto('app_sessions')
          .values({ id: 's', member_id: 'ghost', user_id: 1, is_admin: 0, lang: 'en', placement: 'DEFAULT', placement_options: '{}', created_at: 1, expires_at: 2 })
          .execute(),
      ).rejects.toThrow()
      if (app.dialect !== 'sqlite') return
      const pragma = async (name: string) => (await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(app.db)).rows[0]
      expect(await pragma('journal_mode')).toEqual({ journal_mode: 'wal' })
      expect(await pragma('foreign_keys')).toEqual({ foreign_keys: 1 })
      expect(await pragma('busy_timeout')).toEqual({ timeout: 5_000 })
    })
  })
}
