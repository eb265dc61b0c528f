/** The HTTP server of one portal: REST, the app shell page and the test hooks, all on one origin. */
import express from 'express'
import { renderShell, shellFrame } from './frame-shell.js'
import { hooksRouter } from './hooks.js'
import { int, str } from './params.js'
import type { Portal } from './portal.js'
import { handleRest, internalError } from './rest-router.js'

export function createPortalApp(portal: Portal): express.Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)

  app.use((req, res, next) => {
    const path = req.path.replace(/\/{2,}/g, '/')
    if (path !== '/rest' && !path.startsWith('/rest/')) return next()
    const started = portal.clock.now()
    handleRest(portal, req, res).catch((e: unknown) => {
      // A bug in the emulator still answers with a documented system error.
      console.error('[emulator] REST handler failed', e)
      internalError(res, started)
    })
  })

  app.use('/__emulator', hooksRouter(portal))

  app.get('/app/:clientId', (req, res) => {
    const clientId = String(req.params.clientId)
    const q = req.query
    const userId = q.user === undefined ? 1 : int(q.user)
    const placement = str(q.placement) || 'DEFAULT'
    let placementOptions: Record<string, unknown> = {}
    if (typeof q.options === 'string' && q.options) {
      try {
        placementOptions = JSON.parse(q.options) as Record<string, unknown>
      } catch {
        res.status(400).type('text/plain').send('options must be JSON')
        return
      }
    }
    const lang = str(q.lang) || portal.lang
    const code = portal.app(clientId)?.code ?? clientId
    const install = portal.installs.get(clientId)
    const user = portal.usersById.get(userId)
    if (!portal.registrations.has(clientId) || !user) {
      res.status(404).type('text/plain').send(`app ${clientId} or user ${userId} is unknown to this portal`)
      return
    }
    if (!install) {
      // First opening by an administrator adds the app and starts the installer.
      if (!user.ADMIN) {
        res.status(403).type('text/plain').send('The application is not installed.')
        return
      }
      portal.beginInstall(clientId, { userId })
    } else if (!install.installed && !user.ADMIN) {
      // settings/app-installation/installation-finish.md.
      res.type('text/html').send(renderShell({ portal, appCode: code, notice: 'The application is not fully installed yet. Please contact your Bitrix24 administrator to complete the installation.' }))
      return
    }
    try {
      const frame = shellFrame(portal, clientId, { userId, placement, placementOptions, lang })
      res.type('text/html').send(renderShell({ portal, appCode: code, frame }))
    } catch (e) {
      res.status(400).type('text/plain').send(e instanceof Error ? e.message : String(e))
    }
  })

  app.use((_req, res) => {
    res.status(404).type('text/plain').send('Not found')
  })
  return app
}
