import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { openDatabase, type AppDatabase } from '../../server/storage/database.js'

export interface TestDatabase extends AppDatabase {
  /** Another handle on the same data (its own connection or pool), standing in for a second app instance. Closed by dispose. */
  openPeer(): Promise<AppDatabase>
  /** Closes every handle and removes the data (temp file or schema). */
  dispose(): Promise<void>
}

export interface Backend {
  name: 'sqlite' | 'postgres'
  open(): Promise<TestDatabase>
}

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test'

async function openSqlite(): Promise<TestDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'invite-desk-storage-'))
  const sqlitePath = join(dir, 'invite-desk.sqlite')
  const main = await openDatabase({ sqlitePath })
  const peers: AppDatabase[] = []
  return {
    ...main,
    async openPeer() {
      const peer = await openDatabase({ sqlitePath })
      peers.push(peer)
      return peer
    },
    async dispose() {
      for (const handle of [...peers, main]) await handle.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

async function openPostgres(url = TEST_DATABASE_URL): Promise<TestDatabase> {
  await assertPostgresReachable(url)
  const pgSchema = `t_${randomBytes(6).toString('hex')}`
  const main = await openDatabase({ url, pgSchema, poolMax: 8 })
  const peers: AppDatabase[] = []
  return {
    ...main,
    async openPeer() {
      const peer = await openDatabase({ url, pgSchema, poolMax: 8 })
      peers.push(peer)
      return peer
    },
    async dispose() {
      for (const handle of [...peers, main]) await handle.close()
      await withClient(url, (client) => client.query(`drop schema if exists ${pgSchema} cascade`))
    },
  }
}

// PostgreSQL is part of the contract, never optional: an unreachable server fails the suite
// quickly with a message that says so, instead of hanging until the test timeout or skipping.
async function assertPostgresReachable(url: string): Promise<void> {
  try {
    await withClient(url, (client) => client.query('select 1'))
  } catch (error) {
    throw new Error(
      `PostgreSQL backend unreachable at ${url} (set TEST_DATABASE_URL); the storage contract requires it`,
      { cause: error },
    )
  }
}

async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
  await client.connect()
  try {
    return await run(client)
  } finally {
    await client.end()
  }
}

export const BACKENDS: Backend[] = [
  { name: 'sqlite', open: openSqlite },
  { name: 'postgres', open: () => openPostgres() },
]

/** The PostgreSQL backend on another server (a test's own cluster, test/helpers/private-postgres.ts). */
export function postgresAt(url: string): Backend {
  return { name: 'postgres', open: () => openPostgres(url) }
}
