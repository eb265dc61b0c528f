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
  // Idle keep-alive connections outlive a reverse proxy's (nginx and most balancers keep theirs ~60 s): if
  // the app closed first, a request the proxy or a client had just started on that connection would meet
  // a closed socket (a 502 at the proxy, EPIPE mid-upload at a client).
  server.keepAliveTimeout = 65_000
  server.headersTimeout = 66_000
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
