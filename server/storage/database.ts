import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely'
import pg from 'pg'
import { migrationProvider, type Dialect } from './migrations.js'
import type { Schema } from './schema.js'

export interface AppDatabase {
  db: Kysely<Schema>
  dialect: Dialect
  ping(): Promise<void>
  close(): Promise<void>
}

export interface OpenDatabaseOptions {
  /** PostgreSQL connection URL; '' or undefined selects the embedded SQLite store. */
  url?: string
  /** SQLite file; ':memory:' allowed. */
  sqlitePath?: string
  /** Isolate every table in this PostgreSQL schema (created if missing). Used by tests. */
  pgSchema?: string
  poolMax?: number
}

export const DEFAULT_SQLITE_PATH = './data/invite-desk.sqlite'
const BUSY_TIMEOUT_MS = 5_000
const PG_INT8_OID = 20
// Restricted so the name can go into the startup `options` string and DDL without quoting.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

export async function openDatabase(opts: OpenDatabaseOptions = {}): Promise<AppDatabase> {
  const opened = opts.url ? await openPostgres(opts.url, opts) : openSqlite(opts.sqlitePath ?? DEFAULT_SQLITE_PATH)
  try {
    await migrate(opened)
  } catch (error) {
    await opened.close()
    throw error
  }
  return opened
}

function openSqlite(path: string): AppDatabase {
  const inMemory = path === ':memory:' || path === ''
  if (!inMemory) mkdirSync(dirname(path), { recursive: true })
  const database = new SqliteDatabase(path)
  // WAL lets readers proceed during a write; busy_timeout makes a second process wait instead of
  // failing with SQLITE_BUSY; foreign keys are off by default in SQLite and the cascades need them.
  if (!inMemory) database.pragma('journal_mode = WAL')
  database.pragma('synchronous = NORMAL')
  database.pragma('foreign_keys = ON')
  database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) })
  return wrap(db, 'sqlite')
}

const STATEMENT_CACHE_SIZE = 200
/** Longer SQL (multi-row inserts of a sync or a job) is rare per text and large compiled: not kept. */
const STATEMENT_CACHE_MAX_SQL = 2_000

/**
 * better-sqlite3 compiles SQL on every prepare(), and Kysely prepares each query anew: on hot paths (an event
 * intake of thousands a second) compiling costs more than running. Short statements are kept by SQL text
 * (least recently used dropped past the cap); one still being iterated is never handed out twice.
 */
function withStatementCache(database: SqliteDatabase.Database) {
  const cache = new Map<string, SqliteDatabase.Statement>()
  return {
    close: () => database.close(),
    prepare(sql: string): SqliteDatabase.Statement {
      if (sql.length > STATEMENT_CACHE_MAX_SQL) return database.prepare(sql)
      const hit = cache.get(sql)
      if (hit && !hit.busy) {
        cache.delete(sql)
        cache.set(sql, hit)
        return hit
      }
      const statement = database.prepare(sql)
      if (!hit) {
        cache.set(sql, statement)
        if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!)
      }
      return statement
    },
  }
}

async function openPostgres(url: string, opts: OpenDatabaseOptions): Promise<AppDatabase> {
  const schema = opts.pgSchema
  if (schema !== undefined) {
    if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${schema}`)
    // Created on a throwaway connection so every pooled connection starts with the schema present.
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      await client.query(`create schema if not exists ${schema}`)
    } finally {
      await client.end()
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolMax ?? 10,
    // Per-pool override: BIGINT columns hold epoch ms and ids, which fit a JS number. pg's global
    // registry is left alone so other pg users in the process keep its string default.
    types: {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === PG_INT8_OID && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format),
    },
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  })
  // An idle connection dropped by the server is discarded by the pool; without a listener the
  // 'error' event would crash the process. The next query (or ping) surfaces a real outage.
  pool.on('error', () => {})
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) })
  return wrap(db, 'postgres')
}

function parseInt8(value: string): number {
  const n = Number(value)
  if (!Number.isSafeInteger(n)) throw new RangeError(`BIGINT ${value} does not fit a JS number`)
  return n
}

function wrap(db: Kysely<Schema>, dialect: Dialect): AppDatabase {
  let closed: Promise<void> | undefined
  return {
    db,
    dialect,
    async ping() {
      await sql`select 1`.execute(db)
    },
    // Idempotent: tests and shutdown hooks may both close.
    close: () => (closed ??= db.destroy()),
  }
}

/** invalid_schema_name, undefined_table, undefined_column: what a schema dropped mid-introspection looks like. */
const INTROSPECTION_RACE = new Set(['3F000', '42P01', '42703'])

async function migrate(app: AppDatabase): Promise<void> {
  const migrator = new Migrator({
    db: app.db,
    provider: migrationProvider(app.dialect),
    // Kysely's PostgreSQL introspection sees every schema; without pinning the bookkeeping table
    // to ours, a kysely_migration table in another schema would be taken for this one.
    ...(app.dialect === 'postgres' ? { migrationTableSchema: await currentSchema(app.db) } : {}),
  })
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest()
    if (error === undefined) return
    // Kysely's setup introspects every schema by name; one dropped meanwhile by another process (another
    // instance's cleanup, a parallel test) answers 3F000, 42P01 or 42703. Nothing of ours was touched: try again.
    if (attempt < 4 && INTROSPECTION_RACE.has(String((error as { code?: string } | null)?.code))) continue
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'setup'
    throw new Error(`database migration ${failed} failed`, { cause: error })
  }
}

async function currentSchema(db: Kysely<Schema>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db)
  const schema = rows[0]?.schema
  if (!schema) throw new Error('PostgreSQL search_path names no existing schema')
  return schema
}
