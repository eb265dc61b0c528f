/**
 * `npm start`: the zero-setup path for a newcomer. Creates a local .env on first run (a fresh APP_SECRET,
 * SQLite, placeholders for the portal credentials), builds the UI if needed, then starts the server.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { ensureUiBuilt } from './ensure-ui-built.js'

const root = path.resolve(import.meta.dirname, '..')
process.chdir(root)

if (!existsSync('.env')) {
  writeFileSync(
    '.env',
    [
      '# Created by `npm start` on first run. Replace the B24_* values with your local app\'s (see README).',
      'PORT=3000',
      'APP_URL=http://localhost:3000',
      'B24_CLIENT_ID=local.invitedesk.placeholder',
      'B24_CLIENT_SECRET=change-me',
      `APP_SECRET=${randomBytes(36).toString('base64url')}`,
      'DATABASE_URL=',
      '',
    ].join('\n'),
    { mode: 0o600 },
  )
  console.log('Created .env with a new APP_SECRET and SQLite storage; put your portal app credentials into it.')
}

ensureUiBuilt()

await import('../server/main.js')
