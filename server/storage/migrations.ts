import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely'

export type Dialect = 'sqlite' | 'postgres'

// Migrations live in code (not on disk) so the bundled server and the tests run the exact same
// steps without caring about the working directory. Names sort lexically: keep the numeric prefix.
// Every statement uses IF NOT EXISTS because Kysely cannot wrap SQLite DDL in a transaction, so a
// migration interrupted half-way must be safe to run again.
export function migrationProvider(dialect: Dialect): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001_foundation': foundation(dialect),
    '0002_invites': invites(dialect),
    '0003_imports': imports(),
    '0004_extranet': extranet(),
    '0005_invitation_existing_user': invitationExistingUser(dialect),
    '0006_collabs': collabs(),
    '0007_robots': robots(dialect),
    '0008_invite_policy': invitePolicy(),
    '0009_department_heads': departmentHeads(dialect),
    '0010_join_links': joinLinks(dialect),
    '0011_portal_tasks': portalTasks(),
  }
  return { getMigrations: async () => migrations }
}

// The only real dialect split in the schema: an auto-increment key.
function autoId(dialect: Dialect, db: Kysely<any>, table: string) {
  return dialect === 'postgres'
    ? db.schema
        .createTable(table)
        .ifNotExists()
        .addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
    : db.schema
        .createTable(table)
        .ifNotExists()
        // AUTOINCREMENT so ids are never reused after deletes: audit paging relies on it.
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
}

function foundation(dialect: Dialect): Migration {
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
      await autoId(dialect, db, 'event_inbox')
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

      await autoId(dialect, db, 'audit_log')
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

// Templated bulk invites and the invitation ledger. No foreign key to portals (PortalStore.delete
// clears every table explicitly); the two parent/child pairs inside the feature cascade.
function invites(dialect: Dialect): Migration {
  const index = (db: Kysely<any>, name: string, table: string, columns: string[]) =>
    db.schema.createIndex(name).ifNotExists().on(table).columns(columns).execute()

  return {
    async up(db) {
      await db.schema
        .createTable('invite_templates')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('intranet', 'extranet')`))
        .addColumn('texts', 'text', (c) => c.notNull())
        .addColumn('default_lang', 'text', (c) => c.notNull().check(sql`default_lang in ('ru', 'en')`))
        .addColumn('department_id', 'bigint')
        .addColumn('group_ids', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('reminder_days', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('expire_after_days', 'integer')
        .addColumn('created_by', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0).check(sql`archived in (0, 1)`))
        .execute()
      // Partial unique index: an archived template frees its name. TemplateStore maps a violation to
      // TemplateNameTakenError by this index name.
      await db.schema
        .createIndex('invite_templates_member_id_name_live')
        .ifNotExists()
        .unique()
        .on('invite_templates')
        .columns(['member_id', 'name'])
        .where(sql.ref('archived'), '=', 0)
        .execute()

      await db.schema
        .createTable('invite_jobs')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('bulk_invite')`))
        .addColumn('source', 'text', (c) =>
          c.notNull().check(sql`source in ('wizard', 'group_tab', 'robot', 'join_link')`),
        )
        .addColumn('created_by', 'bigint')
        .addColumn('template_id', 'text')
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('queued', 'running', 'paused', 'cancelled', 'completed')`),
        )
        .addColumn('options', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
      await index(db, 'invite_jobs_member_id_created_at', 'invite_jobs', ['member_id', 'created_at'])
      // Serves the worker's "which portals have running jobs" scan and JobStore.runnable.
      await index(db, 'invite_jobs_status_member_id', 'invite_jobs', ['status', 'member_id'])

      await db.schema
        .createTable('invite_job_items')
        .ifNotExists()
        .addColumn('job_id', 'text', (c) => c.notNull().references('invite_jobs.id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) =>
          c.notNull().check(sql`state in ('queued', 'sending', 'invited', 'skipped', 'failed')`),
        )
        .addColumn('email', 'text')
        .addColumn('phone', 'text')
        .addColumn('payload', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint')
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .addColumn('user_id', 'bigint')
        .addColumn('sending_since', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('invite_job_items_pkey', ['job_id', 'seq'])
        .execute()
      // Totals (GROUP BY state), due (state = 'queued' by seq), inFlight and requeue all seek on it.
      await index(db, 'invite_job_items_job_id_state_seq', 'invite_job_items', ['job_id', 'state', 'seq'])

      await db.schema
        .createTable('portal_leases')
        .ifNotExists()
        .addColumn('member_id', 'text', (c) => c.primaryKey())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('lease_until', 'bigint', (c) => c.notNull())
        .addColumn('acquired_at', 'bigint', (c) => c.notNull())
        .execute()

      await db.schema
        .createTable('invitations')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('email', 'text')
        .addColumn('email_lc', 'text')
        .addColumn('phone', 'text')
        .addColumn('user_id', 'bigint')
        .addColumn('name', 'text')
        .addColumn('last_name', 'text')
        .addColumn('invited_by', 'bigint')
        .addColumn('source', 'text', (c) =>
          c.notNull().check(sql`source in ('wizard', 'group_tab', 'robot', 'join_link')`),
        )
        .addColumn('template_id', 'text')
        .addColumn('job_id', 'text')
        .addColumn('job_seq', 'integer')
        .addColumn('target_kind', 'text', (c) => c.notNull().check(sql`target_kind in ('intranet', 'extranet')`))
        .addColumn('target_department_id', 'bigint')
        .addColumn('target_group_ids', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('state', 'text', (c) =>
          c.notNull().check(sql`state in ('sent', 'pending', 'accepted', 'expired', 'revoked', 'failed')`),
        )
        .addColumn('sent_at', 'bigint')
        .addColumn('accepted_at', 'bigint')
        .addColumn('reminders_sent', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_reminder_at', 'bigint')
        .addColumn('reminder_days', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('next_reminder_at', 'bigint')
        .addColumn('expires_at', 'bigint')
        .addColumn('search_text', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
      // Idempotency of LedgerStore.record per job row. NULLs are distinct on both backends, so rows
      // recorded outside a job never collide.
      await db.schema
        .createIndex('invitations_member_id_job_id_job_seq')
        .ifNotExists()
        .unique()
        .on('invitations')
        .columns(['member_id', 'job_id', 'job_seq'])
        .execute()
      await index(db, 'invitations_member_id_created_at', 'invitations', ['member_id', 'created_at'])
      await index(db, 'invitations_member_id_state', 'invitations', ['member_id', 'state'])
      await index(db, 'invitations_member_id_user_id', 'invitations', ['member_id', 'user_id'])
      await index(db, 'invitations_member_id_email_lc', 'invitations', ['member_id', 'email_lc'])

      await autoId(dialect, db, 'invitation_events')
        .addColumn('invitation_id', 'text', (c) => c.notNull().references('invitations.id').onDelete('cascade'))
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('from_state', 'text')
        .addColumn('to_state', 'text', (c) => c.notNull())
        .addColumn('actor_user_id', 'bigint')
        .addColumn('detail', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute()
      await index(db, 'invitation_events_invitation_id_at', 'invitation_events', ['invitation_id', 'at'])

      await db.schema
        .createTable('directory_users')
        .ifNotExists()
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('email', 'text')
        .addColumn('phone', 'text')
        .addColumn('name', 'text')
        .addColumn('last_name', 'text')
        .addColumn('active', 'integer', (c) => c.notNull().check(sql`active in (0, 1)`))
        .addColumn('user_type', 'text', (c) => c.notNull())
        .addColumn('last_login', 'bigint')
        .addColumn('invited', 'integer', (c) => c.notNull().check(sql`invited in (0, 1)`))
        .addColumn('departments', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('synced_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('directory_users_pkey', ['member_id', 'user_id'])
        .execute()
      await index(db, 'directory_users_member_id_email', 'directory_users', ['member_id', 'email'])
      await index(db, 'directory_users_member_id_phone', 'directory_users', ['member_id', 'phone'])

      await db.schema
        .createTable('directory_departments')
        .ifNotExists()
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('id', 'bigint', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('parent_id', 'bigint')
        .addPrimaryKeyConstraint('directory_departments_pkey', ['member_id', 'id'])
        .execute()

      await db.schema
        .createTable('directory_groups')
        .ifNotExists()
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('id', 'bigint', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('is_extranet', 'integer', (c) => c.notNull().check(sql`is_extranet in (0, 1)`))
        .addColumn('type', 'text')
        .addColumn('owner_id', 'bigint')
        .addColumn('active', 'integer', (c) => c.notNull().check(sql`active in (0, 1)`))
        .addPrimaryKeyConstraint('directory_groups_pkey', ['member_id', 'id'])
        .execute()

      await db.schema
        .createTable('directory_sync')
        .ifNotExists()
        .addColumn('member_id', 'text', (c) => c.primaryKey())
        .addColumn('users_synced_at', 'bigint')
        .addColumn('full_sync_at', 'bigint')
        .addColumn('structure_synced_at', 'bigint')
        .execute()
    },
  }
}

/** Uploads between parsing and sending, so any instance can serve the wizard's next step. */
function imports(): Migration {
  return {
    async up(db) {
      await db.schema
        .createTable('invite_imports')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('created_by', 'bigint', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('file_name', 'text')
        .addColumn('original', 'text')
        .addColumn('detected', 'text', (c) => c.notNull())
        .addColumn('rows', 'text', (c) => c.notNull())
        .addColumn('header_row', 'integer', (c) => c.notNull())
        .addColumn('mapping', 'text', (c) => c.notNull())
        .addColumn('problems', 'text', (c) => c.notNull())
        .addColumn('settings', 'text')
        .addColumn('excluded', 'text', (c) => c.notNull())
        .addColumn('edits', 'text', (c) => c.notNull())
        .addColumn('job_id', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('invite_imports_member').ifNotExists().on('invite_imports').columns(['member_id', 'expires_at']).execute()
    },
  }
}

// Extranet-group onboarding: one kit per group and one row per guest stay. No foreign key to portals
// (as with the other per-portal tables).
function extranet(): Migration {
  const index = (db: Kysely<any>, name: string, table: string, columns: string[]) =>
    db.schema.createIndex(name).ifNotExists().on(table).columns(columns).execute()

  return {
    async up(db) {
      await db.schema
        .createTable('onboarding_kits')
        .ifNotExists()
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('group_id', 'bigint', (c) => c.notNull())
        .addColumn('invite_template_id', 'text')
        .addColumn('welcome_text', 'text', (c) => c.notNull())
        .addColumn('post_to_feed', 'integer', (c) => c.notNull().check(sql`post_to_feed in (0, 1)`))
        .addColumn('post_to_chat', 'integer', (c) => c.notNull().check(sql`post_to_chat in (0, 1)`))
        .addColumn('starter_task', 'text')
        .addColumn('sponsor_id', 'bigint')
        .addColumn('access_days', 'integer', (c) => c.check(sql`access_days > 0`))
        .addColumn('notice_days', 'integer', (c) => c.notNull().defaultTo(7).check(sql`notice_days >= 0`))
        .addColumn('offboarding', 'text', (c) => c.notNull().check(sql`offboarding in ('confirm', 'auto')`))
        .addColumn('updated_by', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('onboarding_kits_pkey', ['member_id', 'group_id'])
        .execute()

      await db.schema
        .createTable('extranet_guests')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('group_id', 'bigint', (c) => c.notNull())
        .addColumn('invitation_id', 'text')
        .addColumn('user_id', 'bigint')
        .addColumn('email', 'text')
        .addColumn('email_lc', 'text')
        .addColumn('name', 'text')
        .addColumn('sponsor_id', 'bigint', (c) => c.notNull())
        .addColumn('access_ends_at', 'bigint')
        .addColumn('notice_at', 'bigint')
        .addColumn('state', 'text', (c) =>
          c.notNull().check(sql`state in ('pending', 'active', 'awaiting_confirmation', 'ended')`),
        )
        .addColumn('welcomed_at', 'bigint')
        .addColumn('notice_sent_at', 'bigint')
        .addColumn('end_requested_at', 'bigint')
        .addColumn('removed_at', 'bigint')
        .addColumn('deactivated_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
      // One stay per guest per group, by address and by user. On email_lc (folded by the store, as in
      // invitations) rather than lower(email): SQLite's lower() folds ASCII only. Partial so rows
      // without the key never collide; GuestStore maps violations by these names.
      await db.schema
        .createIndex('extranet_guests_member_id_group_id_email_lc')
        .ifNotExists()
        .unique()
        .on('extranet_guests')
        .columns(['member_id', 'group_id', 'email_lc'])
        .where(sql.ref('email_lc'), 'is not', null)
        .execute()
      await db.schema
        .createIndex('extranet_guests_member_id_group_id_user_id')
        .ifNotExists()
        .unique()
        .on('extranet_guests')
        .columns(['member_id', 'group_id', 'user_id'])
        .where(sql.ref('user_id'), 'is not', null)
        .execute()
      await index(db, 'extranet_guests_member_id_group_id_created_at', 'extranet_guests', ['member_id', 'group_id', 'created_at'])
      // listByUser, otherStays and markAccepted look across groups.
      await index(db, 'extranet_guests_member_id_user_id', 'extranet_guests', ['member_id', 'user_id'])
      await index(db, 'extranet_guests_member_id_email_lc', 'extranet_guests', ['member_id', 'email_lc'])
      // Due scans: time first so membersWithDue (every portal) and the per-portal due lists both seek
      // on the range; due rows are few because the scheduler works them off.
      await index(db, 'extranet_guests_notice_at_member_id', 'extranet_guests', ['notice_at', 'member_id'])
      await index(db, 'extranet_guests_access_ends_at_member_id', 'extranet_guests', ['access_ends_at', 'member_id'])
    },
  }
}

// An invitation for someone already in the portal (brought into a group, sonet_group.user.invite/add): their
// acceptance is joining the group, not a first login, so the directory pass must not read one as the other.
function invitationExistingUser(dialect: Dialect): Migration {
  return {
    async up(db) {
      if (dialect === 'postgres') {
        await sql`ALTER TABLE invitations ADD COLUMN IF NOT EXISTS existing_user integer NOT NULL DEFAULT 0`.execute(db)
        return
      }
      // SQLite has no ADD COLUMN IF NOT EXISTS: look first, so an interrupted run can be repeated.
      const cols = await sql<{ name: string }>`PRAGMA table_info(invitations)`.execute(db)
      if (!cols.rows.some((c) => c.name === 'existing_user')) await sql`ALTER TABLE invitations ADD COLUMN existing_user integer NOT NULL DEFAULT 0`.execute(db)
    },
  }
}

// Collab guest tracking: what the sync read (collabs, memberships, guest profiles), its cursor, daily
// counts for trends, the portal's collab settings, and access reviews with one item per guest and collab.
function collabs(): Migration {
  const index = (db: Kysely<any>, name: string, table: string, columns: string[]) =>
    db.schema.createIndex(name).ifNotExists().on(table).columns(columns).execute()
  return {
    async up(db) {
      await db.schema
        .createTable('collabs')
        .ifNotExists()
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('collab_id', 'bigint', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('owner_id', 'bigint')
        .addColumn('active', 'integer', (c) => c.notNull().check(sql`active in (0, 1)`))
        .addColumn('members_count', 'integer', (c) => c.notNull())
        .addColumn('date_update', 'text')
        .addColumn('date_activity', 'text')
        .addColumn('synced_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('collabs_pkey', ['member_id', 'collab_id'])
        .execute()
      await db.schema
        .createTable('collab_memberships')
        .ifNotExists()
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('collab_id', 'bigint', (c) => c.notNull())
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('owner', 'moderator', 'member', 'invited')`))
        .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('joined_at', 'bigint')
        .addPrimaryKeyConstraint('collab_memberships_pkey', ['member_id', 'collab_id', 'user_id'])
        .execute()
      await index(db, 'collab_memberships_member_id_user_id', 'collab_memberships', ['member_id', 'user_id'])
      await db.schema
        .createTable('collab_people')
        .ifNotExists()
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('email', 'text')
        .addColumn('name', 'text')
        .addColumn('last_name', 'text')
        .addColumn('active', 'integer', (c) => c.notNull().check(sql`active in (0, 1)`))
        .addColumn('user_type', 'text', (c) => c.notNull())
        .addColumn('last_login', 'bigint')
        .addColumn('last_activity', 'bigint')
        .addColumn('date_register', 'bigint')
        .addColumn('synced_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('collab_people_pkey', ['member_id', 'user_id'])
        .execute()
      await db.schema
        .createTable('collab_sync')
        .ifNotExists()
        .addColumn('member_id', 'text', (c) => c.primaryKey())
        .addColumn('full_at', 'bigint')
        .addColumn('incremental_at', 'bigint')
        .addColumn('user_cursor', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('changed_since', 'bigint')
        .addColumn('last_mode', 'text')
        .addColumn('last_requests', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('dirty', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('running_until', 'bigint')
        .addColumn('running_owner', 'text')
        .execute()
      await db.schema
        .createTable('collab_history')
        .ifNotExists()
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('collab_id', 'bigint', (c) => c.notNull())
        .addColumn('guests', 'integer', (c) => c.notNull())
        .addColumn('invited', 'integer', (c) => c.notNull())
        .addColumn('active', 'integer', (c) => c.notNull())
        .addColumn('inactive', 'integer', (c) => c.notNull())
        .addColumn('deactivated', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('collab_history_pkey', ['member_id', 'collab_id', 'day'])
        .execute()
      await db.schema
        .createTable('collab_settings')
        .ifNotExists()
        .addColumn('member_id', 'text', (c) => c.primaryKey())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('digest_day', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('access_reviews')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'closed')`))
        .addColumn('started_by', 'bigint')
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('due_at', 'bigint', (c) => c.notNull())
        .addColumn('closed_at', 'bigint')
        .addColumn('unanswered', 'text', (c) => c.notNull().check(sql`unanswered in ('keep', 'end')`))
        .addColumn('collab_ids', 'text')
        .execute()
      await index(db, 'access_reviews_member_id_started_at', 'access_reviews', ['member_id', 'started_at'])
      await index(db, 'access_reviews_status_due_at', 'access_reviews', ['status', 'due_at'])
      // At most one open review per portal, also when two instances start the periodic one at once.
      await db.schema.createIndex('access_reviews_one_open').ifNotExists().unique().on('access_reviews').column('member_id')
        .where(sql.ref('status'), '=', 'open').execute()
      await db.schema
        .createTable('access_review_items')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('review_id', 'text', (c) => c.notNull().references('access_reviews.id').onDelete('cascade'))
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('collab_id', 'bigint', (c) => c.notNull())
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('sponsor_id', 'bigint')
        .addColumn('sponsor_source', 'text', (c) => c.notNull().check(sql`sponsor_source in ('ledger', 'owner')`))
        .addColumn('decision', 'text', (c) => c.check(sql`decision in ('keep', 'end')`))
        .addColumn('decided_by', 'bigint')
        .addColumn('decided_at', 'bigint')
        .addColumn('reason', 'text')
        .addColumn('outcome', 'text', (c) => c.check(sql`outcome in ('kept', 'ended', 'failed')`))
        .addColumn('outcome_error', 'text')
        .execute()
      await index(db, 'access_review_items_review_id', 'access_review_items', ['review_id'])
      await index(db, 'access_review_items_member_id_sponsor_id', 'access_review_items', ['member_id', 'sponsor_id'])
    },
  }
}

// Automation-rule robots: each call is a run (idempotent per workflow and event token) with its outcome
// and the reply owed to the workflow; per-portal robot policy; and where a ledger entry came from.
function robots(dialect: Dialect): Migration {
  const index = (db: Kysely<any>, name: string, table: string, columns: string[]) =>
    db.schema.createIndex(name).ifNotExists().on(table).columns(columns).execute()
  return {
    async up(db) {
      if (dialect === 'postgres') {
        await sql`ALTER TABLE invitations ADD COLUMN IF NOT EXISTS origin text`.execute(db)
      } else {
        const cols = await sql<{ name: string }>`PRAGMA table_info(invitations)`.execute(db)
        if (!cols.rows.some((c) => c.name === 'origin')) await sql`ALTER TABLE invitations ADD COLUMN origin text`.execute(db)
      }
      await db.schema
        .createTable('robot_runs')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('robot_code', 'text', (c) => c.notNull())
        .addColumn('workflow_id', 'text', (c) => c.notNull())
        .addColumn('event_token_hash', 'text', (c) => c.notNull())
        .addColumn('event_token', 'text', (c) => c.notNull())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('document_id', 'text', (c) => c.notNull())
        .addColumn('document_type', 'text', (c) => c.notNull())
        .addColumn('properties', 'text', (c) => c.notNull())
        .addColumn('use_subscription', 'integer', (c) => c.notNull().check(sql`use_subscription in (0, 1)`))
        .addColumn('auth_user_id', 'bigint')
        .addColumn('email', 'text')
        .addColumn('user_id', 'bigint')
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('received', 'dispatching', 'queued', 'waiting', 'done')`))
        .addColumn('outcome', 'text')
        .addColumn('error_text', 'text')
        .addColumn('return_values', 'text')
        .addColumn('job_id', 'text')
        .addColumn('job_seq', 'integer')
        .addColumn('admitted_at', 'bigint')
        .addColumn('wait_until', 'bigint')
        .addColumn('portal_timeout_at', 'bigint')
        .addColumn('reply_state', 'text', (c) => c.notNull().check(sql`reply_state in ('none', 'pending', 'sending', 'sent', 'failed', 'expired')`))
        .addColumn('reply_attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('reply_next_at', 'bigint')
        .addColumn('reply_claimed_at', 'bigint')
        .addColumn('reply_error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('decided_at', 'bigint')
        .addColumn('replied_at', 'bigint')
        .execute()
      // A repeated delivery of the same call finds its run instead of making a second one.
      await db.schema.createIndex('robot_runs_delivery').ifNotExists().unique().on('robot_runs').columns(['member_id', 'workflow_id', 'event_token_hash']).execute()
      await index(db, 'robot_runs_member_id_created_at', 'robot_runs', ['member_id', 'created_at'])
      await index(db, 'robot_runs_state_member_id', 'robot_runs', ['state', 'member_id'])
      await index(db, 'robot_runs_reply_state_next_at', 'robot_runs', ['reply_state', 'reply_next_at'])
      await index(db, 'robot_runs_member_id_admitted_at', 'robot_runs', ['member_id', 'admitted_at'])
      await index(db, 'robot_runs_job_id_job_seq', 'robot_runs', ['job_id', 'job_seq'])
      await db.schema
        .createTable('robot_settings')
        .ifNotExists()
        .addColumn('member_id', 'text', (c) => c.primaryKey())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('dispatch_owner', 'text')
        .addColumn('dispatch_until', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_by', 'bigint')
        .execute()
    },
  }
}

// Who may invite whom (the portal's policy) and the invites that wait for an approver.
function invitePolicy(): Migration {
  const index = (db: Kysely<any>, name: string, table: string, columns: string[]) =>
    db.schema.createIndex(name).ifNotExists().on(table).columns(columns).execute()
  return {
    async up(db) {
      await db.schema
        .createTable('invite_policy')
        .ifNotExists()
        .addColumn('member_id', 'text', (c) => c.primaryKey())
        .addColumn('policy', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_by', 'bigint')
        .execute()
      await db.schema
        .createTable('invite_requests')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('requested_by', 'bigint', (c) => c.notNull())
        .addColumn('placement', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('intranet', 'extranet')`))
        .addColumn('department_id', 'bigint')
        .addColumn('group_id', 'bigint')
        .addColumn('template_id', 'text')
        .addColumn('people', 'text', (c) => c.notNull())
        .addColumn('reasons', 'text', (c) => c.notNull())
        .addColumn('approver_id', 'bigint')
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending', 'approved', 'declined', 'cancelled', 'failed')`))
        .addColumn('decided_by', 'bigint')
        .addColumn('decided_at', 'bigint')
        .addColumn('decision_reason', 'text')
        .addColumn('job_id', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
      await index(db, 'invite_requests_member_id_state_created_at', 'invite_requests', ['member_id', 'state', 'created_at'])
      await index(db, 'invite_requests_member_id_requested_by', 'invite_requests', ['member_id', 'requested_by'])
      await index(db, 'invite_requests_member_id_approver_id', 'invite_requests', ['member_id', 'approver_id'])
    },
  }
}

// Department heads (UF_HEAD): managers may see their departments' invitations when the policy allows; the
// day the inviters' digest last went out for a portal (once a day across instances); and whether a group is
// visible (a hidden group's name is not shown to people outside it).
function departmentHeads(dialect: Dialect): Migration {
  const addColumn = async (db: Kysely<any>, table: string, column: string, type: 'bigint' | 'text' | 'integer NOT NULL DEFAULT 1') => {
    if (dialect === 'postgres') {
      await sql.raw(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${column} ${type}`).execute(db)
      return
    }
    const cols = await sql<{ name: string }>`SELECT name FROM pragma_table_info(${table})`.execute(db)
    if (!cols.rows.some((c) => c.name === column)) await sql.raw(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`).execute(db)
  }
  return {
    async up(db) {
      await addColumn(db, 'directory_departments', 'head_id', 'bigint')
      await addColumn(db, 'invite_policy', 'digest_day', 'text')
      await addColumn(db, 'directory_groups', 'visible', 'integer NOT NULL DEFAULT 1')
    },
  }
}

// Managed join links (public pages the app hosts), the people who joined through them, which invite request
// a join waits on, and rate-limit counters every instance shares.
function joinLinks(dialect: Dialect): Migration {
  const index = (db: Kysely<any>, name: string, table: string, columns: string[]) =>
    db.schema.createIndex(name).ifNotExists().on(table).columns(columns).execute()
  return {
    async up(db) {
      if (dialect === 'postgres') await sql`ALTER TABLE invite_requests ADD COLUMN IF NOT EXISTS join_id text`.execute(db)
      else {
        const cols = await sql<{ name: string }>`SELECT name FROM pragma_table_info('invite_requests')`.execute(db)
        if (!cols.rows.some((c) => c.name === 'join_id')) await sql`ALTER TABLE invite_requests ADD COLUMN join_id text`.execute(db)
      }
      await index(db, 'invite_requests_member_id_join_id', 'invite_requests', ['member_id', 'join_id'])
      await db.schema
        .createTable('join_links')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('token', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('target_kind', 'text', (c) => c.notNull().check(sql`target_kind in ('department', 'group', 'collab')`))
        .addColumn('target_id', 'bigint', (c) => c.notNull())
        .addColumn('template_id', 'text')
        .addColumn('expires_at', 'bigint')
        .addColumn('cap', 'integer', (c) => c.check(sql`cap is null or cap > 0`))
        .addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0).check(sql`uses >= 0`))
        .addColumn('allowed_domains', 'text', (c) => c.notNull())
        .addColumn('approval', 'integer', (c) => c.notNull().check(sql`approval in (0, 1)`))
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('active', 'paused', 'revoked')`))
        .addColumn('views', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_by', 'bigint', (c) => c.notNull())
        .addColumn('owner_admin', 'integer', (c) => c.notNull().check(sql`owner_admin in (0, 1)`))
        .addColumn('cap_warned_at', 'bigint')
        .addColumn('expiry_warned_at', 'bigint')
        .addColumn('dispatch_owner', 'text')
        .addColumn('dispatch_until', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
      await index(db, 'join_links_member_id_created_at', 'join_links', ['member_id', 'created_at'])
      await index(db, 'join_links_member_id_created_by', 'join_links', ['member_id', 'created_by'])
      await db.schema
        .createTable('join_link_joins')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('link_id', 'text', (c) => c.notNull().references('join_links.id').onDelete('cascade'))
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('email_lc', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('last_name', 'text')
        .addColumn('lang', 'text', (c) => c.notNull().check(sql`lang in ('ru', 'en')`))
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('queued', 'dispatching', 'awaiting_approval', 'declined', 'sent', 'existing', 'failed')`))
        .addColumn('request_id', 'text')
        .addColumn('approved_by', 'bigint')
        .addColumn('job_id', 'text')
        .addColumn('job_seq', 'integer')
        .addColumn('admitted_at', 'bigint')
        .addColumn('error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
      // One join per address and link: a second submission finds the first (and takes no second slot).
      await db.schema.createIndex('join_link_joins_link_email').ifNotExists().unique().on('join_link_joins').columns(['link_id', 'email_lc']).execute()
      await index(db, 'join_link_joins_link_id_created_at', 'join_link_joins', ['link_id', 'created_at'])
      await index(db, 'join_link_joins_state_link_id', 'join_link_joins', ['state', 'link_id'])
      await index(db, 'join_link_joins_member_id_created_at', 'join_link_joins', ['member_id', 'created_at'])
      await index(db, 'join_link_joins_member_id_admitted_at', 'join_link_joins', ['member_id', 'admitted_at'])
      await db.schema
        .createTable('rate_counters')
        .ifNotExists()
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('rate_counters_pk', ['key', 'window_start'])
        .execute()
      await index(db, 'rate_counters_window_start', 'rate_counters', ['window_start'])
    },
  }
}

// Scheduled per-portal passes (reminders and expiries, guest stays, the directory sync) held by one instance at
// a time, so several instances do each portal's scheduled work once.
function portalTasks(): Migration {
  return {
    async up(db) {
      await db.schema
        .createTable('portal_tasks')
        .ifNotExists()
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('task', 'text', (c) => c.notNull())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('until', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('portal_tasks_pk', ['member_id', 'task'])
        .execute()
    },
  }
}
