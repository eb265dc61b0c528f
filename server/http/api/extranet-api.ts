import { Router } from 'express'
import type { EmbeddedInvites } from '../../policy/embedded-invites.js'
import { z } from 'zod'
import type { ExtranetGroups, ExtranetGroupView } from '../../extranet/extranet-groups.js'
import type { GuestLifecycle } from '../../extranet/guest-lifecycle.js'
import type { InviteService } from '../../invites/invite-service.js'
import { AppError, NotFoundError } from '../../shared/errors.js'
import type { Guest, GuestStore } from '../../storage/guest-store.js'
import type { OnboardingKitStore } from '../../storage/onboarding-kit-store.js'
import type { PortalStore } from '../../storage/portal-store.js'
import type { AppSessionRecord } from '../../storage/session-store.js'
import type { TemplateStore } from '../../storage/template-store.js'
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
const guestParams = z.object({ guestId: z.string().uuid('must be a guest id') })
const importParams = z.object({ importId: z.string().uuid('must be an import id') })
const rowParams = z.object({ row: z.string().regex(/^\d{1,7}$/, 'must be a row number').transform(Number).pipe(z.number().int().min(1)) })
const excludeBody = z.object({ excluded: z.boolean() }).strict()

const text = (max: number) => z.string().max(max)
const kitBody = z.object({
  inviteTemplateId: z.string().uuid().nullable(),
  welcomeText: z.object({ ru: text(4000), en: text(4000) }),
  postToFeed: z.boolean(),
  postToChat: z.boolean(),
  starterTask: z.object({ title: text(255).trim().min(1, 'the task needs a title'), description: text(4000), deadlineDays: z.number().int().min(1).max(365).nullable() }).nullable(),
  sponsorId: z.number().int().positive().nullable(),
  accessDays: z.number().int().min(1).max(3650).nullable(),
  noticeDays: z.number().int().min(0).max(365),
  offboarding: z.enum(['confirm', 'auto']),
}).strict()
const inviteBody = z.object({ people: z.string().trim().min(1, 'paste at least one e-mail').max(200_000) }).strict()
const extendBody = z.object({ accessEndsAt: z.number().int().positive().nullable() }).strict()
const sponsorBody = z.object({ sponsorId: z.number().int().positive() }).strict()

const guestView = (g: Guest) => ({
  id: g.id, email: g.email, name: g.name, userId: g.userId, state: g.state, sponsorId: g.sponsorId, accessEndsAt: g.accessEndsAt,
  welcomedAt: g.welcomedAt, removedAt: g.removedAt, deactivatedAt: g.deactivatedAt, createdAt: g.createdAt,
})

export function extranetApi(deps: {
  groups: ExtranetGroups
  kits: OnboardingKitStore
  guests: GuestStore
  lifecycle: GuestLifecycle
  invites: InviteService
  templates: TemplateStore
  portals: PortalStore
  embedded: EmbeddedInvites
}): Router {
  const r = Router()

  /** Admins, and the group's owner and moderators, onboard its guests ("set once by the group owner"). */
  const manages = (s: AppSessionRecord, g: ExtranetGroupView) =>
    s.isAdmin || g.members.some((m) => m.id === s.userId && (m.role === 'owner' || m.role === 'moderator'))

  async function managedGroup(s: AppSessionRecord, groupId: number): Promise<ExtranetGroupView> {
    const g = await deps.groups.get(s.memberId, groupId, { userId: s.userId, isAdmin: s.isAdmin })
    if (!manages(s, g)) throw new AppError('forbidden', 'Only the group owner, its moderators or a portal administrator may do this', 403)
    return g
  }

  async function managedGuest(s: AppSessionRecord, guestId: string): Promise<Guest> {
    const g = await deps.guests.get(s.memberId, guestId)
    if (!g) throw new NotFoundError('guest_not_found', 'No such guest')
    await managedGroup(s, g.groupId)
    return g
  }

  r.get('/extranet/groups', async (_req, res) => {
    const s = sessionOf(res)
    res.json(await deps.groups.list(s.memberId, { userId: s.userId, isAdmin: s.isAdmin }))
  })

  r.get('/extranet/groups/:groupId', async (req, res) => {
    const s = sessionOf(res)
    const { groupId } = parseInput(groupParams, req.params)
    res.json({ group: await deps.groups.get(s.memberId, groupId, { userId: s.userId, isAdmin: s.isAdmin }) })
  })

  r.get('/extranet/groups/:groupId/kit', async (req, res) => {
    const s = sessionOf(res)
    const { groupId } = parseInput(groupParams, req.params)
    const g = await deps.groups.get(s.memberId, groupId, { userId: s.userId, isAdmin: s.isAdmin })
    const kit = (await deps.kits.get(s.memberId, groupId)) ?? null
    res.json({ kit, canEdit: manages(s, g) })
  })

  r.put('/extranet/groups/:groupId/kit', async (req, res) => {
    const s = sessionOf(res)
    const { groupId } = parseInput(groupParams, req.params)
    const body = parseInput(kitBody, req.body)
    await managedGroup(s, groupId)
    if (body.inviteTemplateId) {
      const t = await deps.templates.get(s.memberId, body.inviteTemplateId)
      if (!t || t.archived) throw new AppError('unknown_template', 'The chosen template does not exist', 400)
    }
    const kit = await deps.kits.save({ ...body, memberId: s.memberId, groupId, updatedBy: s.userId })
    res.json({ kit })
  })

  r.get('/extranet/groups/:groupId/guests', async (req, res) => {
    const s = sessionOf(res)
    const { groupId } = parseInput(groupParams, req.params)
    await deps.groups.get(s.memberId, groupId, { userId: s.userId, isAdmin: s.isAdmin })
    res.json({ guests: (await deps.guests.listByGroup(s.memberId, groupId)).map(guestView) })
  })

  /** A pasted list into this group: the dry run of it and the policy's decision, ready to send below. */
  r.post('/extranet/groups/:groupId/invite', async (req, res) => {
    const s = sessionOf(res)
    const { groupId } = parseInput(groupParams, req.params)
    const { people } = parseInput(inviteBody, req.body)
    await managedGroup(s, groupId)
    const kit = await deps.kits.get(s.memberId, groupId)
    // The dry run, and what the invite policy will say about sending it (the banner above the send button).
    res.status(201).json(await deps.embedded.check(s.memberId, { userId: s.userId, isAdmin: s.isAdmin }, people, {
      kind: 'extranet', departmentId: null, groupId, templateId: kit?.inviteTemplateId ?? null,
    }))
  })

  /** The group manager's send of what POST …/invite checked: sent, or a request when the policy asks for approval. */
  r.post('/extranet/groups/:groupId/invite/:importId/send', async (req, res) => {
    const s = sessionOf(res)
    const { groupId } = parseInput(groupParams, { groupId: req.params.groupId })
    const { importId } = parseInput(importParams, { importId: req.params.importId })
    await managedGroup(s, groupId)
    await deps.invites.assertGroupImport(s.memberId, importId, s.userId, groupId)
    // The invite policy decides (quota, approval), as for every embedded tab.
    const out = await deps.embedded.send(s.memberId, { userId: s.userId, isAdmin: s.isAdmin }, importId, s.placement)
    res.status(out.status === 'sent' ? 201 : 202).json(out)
  })

  /** Exclude or include a row of the group's checked list (the tab's own, like PATCH /api/imports/:id/rows/:row). */
  r.patch('/extranet/groups/:groupId/invite/:importId/rows/:row', async (req, res) => {
    const s = sessionOf(res)
    const { groupId } = parseInput(groupParams, { groupId: req.params.groupId })
    const { importId } = parseInput(importParams, { importId: req.params.importId })
    const { row } = parseInput(rowParams, { row: req.params.row })
    const { excluded } = parseInput(excludeBody, req.body)
    await managedGroup(s, groupId)
    await deps.invites.assertGroupImport(s.memberId, importId, s.userId, groupId)
    res.json(await deps.invites.editRow(s.memberId, importId, row, { excluded }))
  })

  r.post('/extranet/guests/:guestId/extend', async (req, res) => {
    const s = sessionOf(res)
    const { guestId } = parseInput(guestParams, req.params)
    const { accessEndsAt } = parseInput(extendBody, req.body)
    await managedGuest(s, guestId)
    if (!(await deps.lifecycle.extend(s.memberId, guestId, accessEndsAt, s.userId))) throw new AppError('guest_ended', 'This guest has already left the group', 409)
    res.json({ ok: true })
  })

  r.post('/extranet/guests/:guestId/confirm-end', async (req, res) => {
    const s = sessionOf(res)
    const { guestId } = parseInput(guestParams, req.params)
    await managedGuest(s, guestId)
    const result = await deps.lifecycle.confirmEnd(s.memberId, guestId, s.userId)
    if (!result) throw new AppError('not_awaiting_confirmation', 'This guest is not waiting for a confirmation', 409)
    res.json({ result })
  })

  r.patch('/extranet/guests/:guestId', async (req, res) => {
    const s = sessionOf(res)
    const { guestId } = parseInput(guestParams, req.params)
    const { sponsorId } = parseInput(sponsorBody, req.body)
    const g = await managedGuest(s, guestId)
    if (g.state === 'ended') throw new AppError('guest_ended', 'This guest has already left the group', 409)
    await deps.guests.setSponsor(s.memberId, guestId, sponsorId)
    res.json({ ok: true })
  })

  return r
}
