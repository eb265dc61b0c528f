/**
 * The write side of the Extranet page over real HTTP on both backends: the onboarding kit (only the group's
 * owner, its moderators or an admin may set it), inviting a pasted list into a group, and the guest actions.
 * Bad input gets a clear error and changes nothing; repeating an action is harmless.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BACKENDS } from '../helpers/databases.js'
import { installedAdmin, sessionApi, startTestStack, waitForJob, type Api } from '../helpers/api.js'
import type { Stack } from '../helpers/stack.js'

const KIT = {
  inviteTemplateId: null, welcomeText: { ru: 'Добро пожаловать, {name}!', en: 'Welcome, {name}!' }, postToFeed: true, postToChat: false,
  starterTask: { title: 'Say hello', description: '', deadlineDays: 2 }, sponsorId: null, accessDays: 90, noticeDays: 7, offboarding: 'confirm',
}

for (const backend of BACKENDS) {
  describe(`extranet onboarding API on ${backend.name}`, () => {
    let s: Stack
    let admin: Api
    beforeEach(async () => {
      s = await startTestStack(backend)
      admin = await installedAdmin(s)
    })
    afterEach(async () => {
      await s?.close()
    })

    it('the kit: read by anyone who sees the group, set by its owner or an admin, validated', async () => {
      const owner = s.portal.addUser({ EMAIL: 'owner@example.test', NAME: 'Owner', UF_DEPARTMENT: [1] })
      const other = s.portal.addUser({ EMAIL: 'other@example.test', NAME: 'Other', UF_DEPARTMENT: [1] })
      const group = s.portal.addGroup({ NAME: 'Suppliers', OWNER_ID: owner.ID, IS_EXTRANET: true })
      const asOwner = await sessionApi(s, owner.ID)
      const asOther = await sessionApi(s, other.ID)
      const path = `/api/extranet/groups/${group.ID}/kit`

      expect((await asOwner.get(path)).body).toEqual({ kit: null, canEdit: true })
      expect((await asOther.get(path)).body).toEqual({ kit: null, canEdit: false })
      const refused = await asOther.call('PUT', path, { json: KIT })
      expect({ status: refused.status, code: refused.body.error.code }).toEqual({ status: 403, code: 'forbidden' })

      const bad = await asOwner.call('PUT', path, { json: { ...KIT, noticeDays: -1, offboarding: 'never' } })
      expect(bad.status).toBe(400)
      expect(bad.body.error.message).toMatch(/noticeDays/)
      const badTemplate = await asOwner.call('PUT', path, { json: { ...KIT, inviteTemplateId: crypto.randomUUID() } })
      expect(badTemplate.body.error.code).toBe('unknown_template')
      expect((await asOwner.get(path)).body.kit).toBeNull()

      const saved = await asOwner.call('PUT', path, { json: KIT })
      expect(saved.status).toBe(200)
      expect(saved.body.kit).toMatchObject({ ...KIT, groupId: group.ID, updatedBy: owner.ID })
      // Saving the same kit again is harmless; an admin may change it too.
      expect((await asOwner.call('PUT', path, { json: KIT })).body.kit).toMatchObject(KIT)
      expect((await admin.call('PUT', path, { json: { ...KIT, offboarding: 'auto' } })).body.kit.offboarding).toBe('auto')
      expect((await admin.get(`/api/extranet/groups/99999/kit`)).status).toBe(404)
      expect((await admin.get(`/api/extranet/groups/abc/kit`)).status).toBe(400)
    })

    it('invites a pasted list into the group, and the guests can be extended, handed over and ended', async () => {
      const group = s.portal.addGroup({ NAME: 'Partners', OWNER_ID: 1, IS_EXTRANET: true })
      await admin.call('PUT', `/api/extranet/groups/${group.ID}/kit`, { json: KIT })
      const bad = await admin.post(`/api/extranet/groups/${group.ID}/invite`, { people: '   ' })
      expect(bad.status).toBe(400)

      const dry = await admin.post(`/api/extranet/groups/${group.ID}/invite`, { people: 'Anna Guest <anna@example.test>, bob@example.test' })
      expect(dry.status).toBe(201)
      expect(dry.body.summary).toMatchObject({ total: 2, ready: 2, errors: 0 })
      expect(dry.body.rows.map((r: any) => r.groups)).toEqual([[{ id: group.ID, name: 'Partners' }], [{ id: group.ID, name: 'Partners' }]])
      const sent = await admin.post(`/api/imports/${dry.body.importId}/send`)
      await waitForJob(admin, sent.body.jobId, (j) => j.status === 'completed', 'job completed')

      const guests = (await admin.get(`/api/extranet/groups/${group.ID}/guests`)).body.guests
      expect(guests.map((g: any) => [g.email, g.state, g.sponsorId])).toEqual([['anna@example.test', 'pending', 1], ['bob@example.test', 'pending', 1]])
      const [anna, bob] = guests
      expect(anna.accessEndsAt - anna.createdAt).toBeGreaterThan(89 * 86_400_000)

      const until = Date.now() + 10 * 86_400_000
      expect((await admin.post(`/api/extranet/guests/${anna.id}/extend`, { accessEndsAt: until })).body).toEqual({ ok: true })
      expect((await admin.patch(`/api/extranet/guests/${bob.id}`, { sponsorId: 5 })).body).toEqual({ ok: true })
      const notWaiting = await admin.post(`/api/extranet/guests/${anna.id}/confirm-end`)
      expect({ status: notWaiting.status, code: notWaiting.body.error.code }).toEqual({ status: 409, code: 'not_awaiting_confirmation' })
      expect((await admin.post(`/api/extranet/guests/not-an-id/extend`, { accessEndsAt: null })).status).toBe(400)
      expect((await admin.post(`/api/extranet/guests/${crypto.randomUUID()}/extend`, { accessEndsAt: null })).status).toBe(404)
      expect((await admin.post(`/api/extranet/guests/${anna.id}/extend`, { accessEndsAt: 'soon' })).status).toBe(400)

      const after = (await admin.get(`/api/extranet/groups/${group.ID}/guests`)).body.guests
      expect(after.map((g: any) => [g.email, g.accessEndsAt, g.sponsorId])).toEqual([['anna@example.test', until, 1], ['bob@example.test', bob.accessEndsAt, 5]])
    })

    it('a group owner who is no admin invites from the group tab; the job and ledger say group_tab; others cannot send it', async () => {
      const owner = s.portal.addUser({ EMAIL: 'owner@example.test', NAME: 'Owner', UF_DEPARTMENT: [1] })
      const other = s.portal.addUser({ EMAIL: 'other@example.test', NAME: 'Other', UF_DEPARTMENT: [1] })
      const group = s.portal.addGroup({ NAME: 'Vendors', OWNER_ID: owner.ID, IS_EXTRANET: true, members: [other.ID] })
      const asOwner = await sessionApi(s, owner.ID)
      const asOther = await sessionApi(s, other.ID)
      expect((await asOther.post(`/api/extranet/groups/${group.ID}/invite`, { people: 'x@example.test' })).status).toBe(403)

      const dry = await asOwner.post(`/api/extranet/groups/${group.ID}/invite`, { people: 'vendor@example.test' })
      expect(dry.status).toBe(201)
      const rowPath = `/api/extranet/groups/${group.ID}/invite/${dry.body.importId}/rows/2`
      expect((await asOwner.patch(rowPath, { excluded: true })).body.row.status).toBe('excluded')
      expect((await asOther.patch(rowPath, { excluded: false })).status).toBe(403)
      expect((await asOwner.patch(rowPath, { excluded: 'no' })).status).toBe(400)
      expect((await asOwner.patch(rowPath, { excluded: false })).body.row.status).toBe('ready')
      // The admin-only wizard route stays admin-only; the tab has its own, bound to the group and the author.
      expect((await asOwner.post(`/api/imports/${dry.body.importId}/send`)).status).toBe(403)
      expect((await asOther.post(`/api/extranet/groups/${group.ID}/invite/${dry.body.importId}/send`)).status).toBe(403)
      const adminDry = await admin.post(`/api/extranet/groups/${group.ID}/invite`, { people: 'someone@example.test' })
      expect((await asOwner.post(`/api/extranet/groups/${group.ID}/invite/${adminDry.body.importId}/send`)).status).toBe(404)
      expect((await asOwner.post(`/api/extranet/groups/${group.ID}/invite/not-an-id/send`)).status).toBe(400)

      const sent = await asOwner.post(`/api/extranet/groups/${group.ID}/invite/${dry.body.importId}/send`)
      expect(sent.status).toBe(201)
      await waitForJob(admin, sent.body.jobId, (j) => j.status === 'completed', 'job completed')
      // Sending again answers the same job (a double click sends once).
      expect((await asOwner.post(`/api/extranet/groups/${group.ID}/invite/${dry.body.importId}/send`)).body.jobId).toBe(sent.body.jobId)
      const ledger = await s.a.app.stores.ledger.list(s.portal.memberId, { source: 'group_tab' }, { limit: 10, offset: 0 })
      expect(ledger.rows.map((r) => [r.email, r.invitedBy, r.target.groupIds])).toEqual([['vendor@example.test', owner.ID, [group.ID]]])
      expect(s.portal.invitations().map((i) => i.email)).toContain('vendor@example.test')
    })
  })
}
