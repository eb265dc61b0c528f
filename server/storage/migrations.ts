import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely'

export type Dialect = 'sqlite' | 'postgres'

// Migrations live in code (not on disk) so the bundled server and the tests run the exact same
// steps without caring about the working directory. Names sort lexically: keep the numeric prefix.
// Every statement uses IF NOT EXISTS because Kysely cannot wrap SQLite DDL in a transaction, so a
// migration interrupted half-way must be safe to run again.
export function migrationProvider(dialect: Dialect): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001_foundation': foundation(dialect),
  }
  return { getMigrations: async () => migrations }
}

function foundation(dialect: Dialect): Migration {
  // The only real dialect split in the schema: an auto-increment key.
  const autoId = (db: Kysely<any>, table: string) =>
    dialect === 'postgres'
      ? db.schema
          .createTable(table)
          .ifNotExists()
          .addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
      : db.schema
          .createTable(table)
          .ifNotExists()
          // AUTOINCREMENT so ids are never reused after deletes: audit paging relies on it.
          .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())

  return {
    async up(db) {
      await db.schema
        .createTable('portals')
        .ifNotExists()
        .addColumn('member_id', 'text', (c) => c.primaryKey())
        .addColumn('domain', 'text', (c) => c.notNull())
        .addColumn('client_endpoint', 'text', (c) => c.notNull())
        .addColumn('app_code', 'text')
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('installing', 'installed', 'needs_reinstall', 'uninstalled')`),
        )
        .addColumn('lang', 'text', (c) => c.notNull())
        .addColumn('license_family', 'text')
        .addColumn('application_token', 'text')
        .addColumn('access_token', 'text')
        .addColumn('refresh_token', 'text')
        .addColumn('token_expires_at', 'bigint')
        .addColumn('scope', 'text')
        .addColumn('token_version', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('refresh_lock_owner', 'text')
        .addColumn('refresh_lock_until', 'bigint')
        .addColumn('installed_by_user_id', 'bigint')
        .addColumn('capabilities', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('registration', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('app_sessions')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('member_id', 'text', (c) =>
          c.notNull().references('portals.member_id').onDelete('cascade'),
        )
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('is_admin', 'integer', (c) => c.notNull().check(sql`is_admin in (0, 1)`))
        .addColumn('lang', 'text', (c) => c.notNull())
        .addColumn('placement', 'text', (c) => c.notNull())
        .addColumn('placement_options', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('app_sessions_member_id').ifNotExists().on('app_sessions').column('member_id').execute()
      await db.schema.createIndex('app_sessions_expires_at').ifNotExists().on('app_sessions').column('expires_at').execute()

      // No foreign key to portals on the inbox and the audit log: events and refused installs can
      // concern a portal that is not (or no longer) stored. PortalStore.delete removes them explicitly.
      await autoId(db, 'event_inbox')
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('pending', 'processing', 'done', 'failed')`),
        )
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'bigint')
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .execute()
      await db.schema
        .createIndex('event_inbox_status_next_attempt_at')
        .ifNotExists()
        .on('event_inbox')
        .columns(['status', 'next_attempt_at'])
        .execute()
      await db.schema.createIndex('event_inbox_member_id').ifNotExists().on('event_inbox').column('member_id').execute()

      await autoId(db, 'audit_log')
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor_user_id', 'bigint')
        .addColumn('actor_kind', 'text', (c) =>
          c.notNull().check(sql`actor_kind in ('user', 'system', 'portal', 'robot')`),
        )
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('subject', 'text')
        .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('result', 'text', (c) => c.notNull().check(sql`result in ('ok', 'refused', 'failed')`))
        .execute()
      await db.schema
        .createIndex('audit_log_member_id_at')
        .ifNotExists()
        .on('audit_log')
        .columns(['member_id', 'at'])
        .execute()
    },
  }
}
