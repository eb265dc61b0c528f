import { Router } from 'express'
import { z } from 'zod'
import type { ExtranetGroups } from '../../extranet/extranet-groups.js'
import { parseInput } from './parse-input.js'
import { sessionOf } from './require-session.js'

/** A Bitrix24 group id as it comes in the path: digits only (no "1e3", no sign), within a 32-bit int. */
const groupParams = z.object({
  groupId: z.string().regex(/^\d{1,10}$/, 'must be a group id').transform(Number).pipe(z.number().int().positive().max(2_147_483_647)),
})

/**
 * The Extranet page, read side. Any signed-in user may read; a non-admin sees the groups the portal would show
 * them (visible ones and their own), not the hidden ones the installing admin's token can reach.
 */
export function extranetApi(deps: { groups: ExtranetGroups }): Router {
  const r = Router()

  r.get('/extranet/groups', async (_req, res) => {
    const s = sessionOf(res)
    res.json(await deps.groups.list(s.memberId, { userId: s.userId, isAdmin: s.isAdmin }))
  })

  r.get('/extranet/groups/:groupId', async (req, res) => {
    const s = sessionOf(res)
    const { groupId } = parseInput(groupParams, req.params)
    res.json({ group: await deps.groups.get(s.memberId, groupId, { userId: s.userId, isAdmin: s.isAdmin }) })
  })

  return r
}
