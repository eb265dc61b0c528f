import express, { Router, type Request, type Response } from 'express'
import type { JoinIntake } from '../join-links/join-intake.js'
import { JOIN_PAGE_CSP, pageLang, renderOpened, renderSubmitted, type RenderedPage } from '../join-links/join-page.js'

/**
 * The public join pages (/join/<token>): outside the iframe and without a session. Transport only: the
 * intake decides, the page module renders.
 */
export function joinPageRoutes(deps: { intake: JoinIntake }): Router {
  const r = Router()
  // A form of three short fields: anything larger is not a person joining.
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 })

  function send(res: Response, page: RenderedPage): void {
    res.status(page.status)
    res.setHeader('Content-Security-Policy', JOIN_PAGE_CSP)
    res.setHeader('X-Content-Type-Options', 'nosniff')
    // The URL carries the link's token: no page it leads to may learn it.
    res.setHeader('Referrer-Policy', 'no-referrer')
    res.setHeader('Cache-Control', 'no-store')
    res.setHeader('X-Robots-Tag', 'noindex, nofollow')
    if (page.retryAfterSec !== undefined) res.setHeader('Retry-After', String(page.retryAfterSec))
    res.type('html').send(page.html)
  }

  const pathOf = (req: Request) => `/join/${String(req.params.token)}`

  r.get('/join/:token', async (req, res) => {
    const lang = pageLang(req.headers['accept-language'], req.query.lang)
    send(res, renderOpened(await deps.intake.open(String(req.params.token), req.ip ?? ''), lang, pathOf(req)))
  })

  r.post('/join/:token', form, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const lang = pageLang(req.headers['accept-language'], body.lang)
    const out = await deps.intake.submit(String(req.params.token), req.ip ?? '', body, lang)
    send(res, renderSubmitted(out, lang, pathOf(req), body))
  })

  return r
}
