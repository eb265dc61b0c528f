import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../../server/storage/database.js'
import { TEST_DATABASE_URL } from '../helpers/databases.js'

// Backend-specific behaviour of openDatabase that the shared batteries cannot express.
describe('openDatabase options', () => {
  const cleanup: Array<() => Promise<unknown>> = []
  afterEach(async () => {
    for (const run of cleanup.splice(0).reverse()) await run()
  })

  it('creates the SQLite file’s missing directories', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'invite-desk-open-'))
    cleanup.push(() => rm(dir, { recursive: true, force: true }))
    const sqlitePath = join(dir, 'nested', 'deeper', 'app.sqlite')
    const app = await openDatabase({ sqlitePath })
    cleanup.push(() => app.close())
    expect(app.dialect).toBe('sqlite')
    expect(existsSync(sqlitePath)).toBe(true)
  })

  it('opens an in-memory SQLite database with the schema in place', async () => {
    const app = await openDatabase({ sqlitePath: ':memory:' })
    cleanup.push(() => app.close())
    await expect(app.db.selectFrom('portals').selectAll().execute()).resolves.toEqual([])
  })

  it('an empty url means SQLite', async () => {
    const app = await openDatabase({ url: '', sqlitePath: ':memory:' })
    cleanup.push(() => app.close())
    expect(app.dialect).toBe('sqlite')
  })

  it('close is idempotent', async () => {
    const app = await openDatabase({ sqlitePath: ':memory:' })
    await app.close()
    await expect(app.close()).resolves.toBeUndefined()
  })

  it('refuses a PostgreSQL schema name it would have to quote', async () => {
    await expect(openDatabase({ url: TEST_DATABASE_URL, pgSchema: 'bad"; drop' })).rejects.toThrow(/invalid PostgreSQL schema/)
  })
})
