import { sql } from 'kysely'
import type { PortalLimits } from '../../server/portals/pacer.js'
import { TEST_DATABASE_URL } from './databases.js'
import { APP_SECRET, CLIENT_ID, CLIENT_SECRET, type Stack } from './stack.js'
import type { WorkerSpec } from './worker-process.js'

/** A worker process's spec for this stack: its configuration, and where its database lives so the process opens the same data. */
export async function workerSpecFor(stack: Stack, limits?: PortalLimits): Promise<WorkerSpec> {
  let database: WorkerSpec['database']
  if (stack.db.dialect === 'sqlite') {
    const { rows } = await sql<{ name: string; file: string }>`pragma database_list`.execute(stack.db.db)
    database = { sqlitePath: rows.find((r) => r.name === 'main')!.file }
  } else {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(stack.db.db)
    database = { url: TEST_DATABASE_URL, pgSchema: rows[0]!.schema }
  }
  return {
    env: { APP_URL: stack.a.url, B24_CLIENT_ID: CLIENT_ID, B24_CLIENT_SECRET: CLIENT_SECRET, B24_OAUTH_URL: stack.emu.oauthUrl, APP_SECRET, APP_ALLOW_HTTP_PORTALS: '1' },
    database,
    ...(limits ? { limits } : {}),
  }
}
