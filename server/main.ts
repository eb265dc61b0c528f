import { once } from 'node:events'
import { ConfigError, loadConfig } from './config/config.js'
import { buildApp } from './app.js'

/** Process entry: config → app → listen; SIGTERM/SIGINT stop taking work, finish, exit. */
async function main(): Promise<void> {
  let config
  try {
    config = loadConfig()
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message)
      process.exit(2)
    }
    throw e
  }
  const app = await buildApp(config)
  const server = app.http.listen(config.port)
  await once(server, 'listening')
  app.start()
  app.log.info({ port: config.port, appUrl: config.appUrl, db: app.db.dialect }, 'Invite Desk is listening')

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    app.log.info({ signal }, 'shutting down')
    server.close()
    await app.close()
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
}

void main()
