import { Router } from 'express'
import { z } from 'zod'
import { joinLinkInputSchema, joinLinkPatchSchema } from '../../join-links/join-link-rules.js'
import type { JoinLinks } from '../../join-links/join-links.js'
import { parseInput } from './parse-input.js'
import { sessionOf } from './require-session.js'

const listQuery = z.object({
  status: z.enum(['active', 'paused', 'revoked', 'expired', 'full']).optional(),
  q: z.string().max(200).optional(),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(200).default(50),
}).strict()
const pageQuery = z.object({
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(200).default(50),
}).strict()
const linkParams = z.object({ linkId: z.string().uuid('must be a join link id') })
const qrQuery = z.object({ download: z.enum(['0', '1']).optional() }).strict()

/** Join links: admins manage every link, others their own (and create within the invite policy). */
export function joinLinksApi(deps: { links: JoinLinks }): Router {
  const r = Router()
  const viewer = (res: Parameters<typeof sessionOf>[0]) => {
    const s = sessionOf(res)
    return { s, v: { userId: s.userId, isAdmin: s.isAdmin } }
  }

  r.get('/join-links', async (req, res) => {
    const { s, v } = viewer(res)
    const q = parseInput(listQuery, req.query)
    res.json(await deps.links.list(s.memberId, v, q))
  })

  r.post('/join-links', async (req, res) => {
    const { s, v } = viewer(res)
    res.status(201).json(await deps.links.create(s.memberId, v, parseInput(joinLinkInputSchema, req.body)))
  })

  r.get('/join-links/:linkId', async (req, res) => {
    const { s, v } = viewer(res)
    res.json(await deps.links.get(s.memberId, v, parseInput(linkParams, req.params).linkId))
  })

  r.patch('/join-links/:linkId', async (req, res) => {
    const { s, v } = viewer(res)
    const { linkId } = parseInput(linkParams, req.params)
    res.json(await deps.links.update(s.memberId, v, linkId, parseInput(joinLinkPatchSchema, req.body)))
  })

  for (const action of ['pause', 'resume', 'revoke'] as const) {
    r.post(`/join-links/:linkId/${action}`, async (req, res) => {
      const { s, v } = viewer(res)
      res.json(await deps.links.setState(s.memberId, v, parseInput(linkParams, req.params).linkId, action))
    })
  }

  r.get('/join-links/:linkId/joins', async (req, res) => {
    const { s, v } = viewer(res)
    const { linkId } = parseInput(linkParams, req.params)
    res.json(await deps.links.joins(s.memberId, v, linkId, parseInput(pageQuery, req.query)))
  })

  for (const format of ['svg', 'png'] as const) {
    r.get(`/join-links/:linkId/qr.${format}`, async (req, res) => {
      const { s, v } = viewer(res)
      const { linkId } = parseInput(linkParams, req.params)
      const { download } = parseInput(qrQuery, req.query)
      const image = await deps.links.qr(s.memberId, v, linkId, format)
      res.setHeader('Cache-Control', 'no-store')
      if (download === '1') res.attachment(`join-link-qr.${format}`)
      res.type(format === 'svg' ? 'image/svg+xml' : 'image/png').send(image)
    })
  }

  return r
}
