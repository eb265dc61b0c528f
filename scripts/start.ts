/**
 * `npm start`: the zero-setup path for a newcomer. Creates a local .env on first run (a fresh APP_SECRET,
 * SQLite, placeholders for the portal credentials), builds the UI if needed and the server bundle, then runs it
 * in its own Node process.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { buildServer } from './build-server.js'
import { ensureUiBuilt } from './ensure-ui-built.js'
import { SERVER_NODE_FLAGS } from './server-node-flags.js'

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

// The server runs as compiled JS in its own Node process, with the heap settings it is measured with.
const server = spawn(process.execPath, [...SERVER_NODE_FLAGS, '--enable-source-maps', buildServer(root)], { stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => server.kill(signal))
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
