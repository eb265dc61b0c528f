/**
 * The Extranet page's read side over real HTTP against the emulated portal: which groups are listed (extranet
 * ones, and intranet ones holding extranet people), their owners, members, pending invitations and counts,
 * what it costs in requests, and who may read what. Runs on SQLite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BACKENDS } from '../helpers/databases.js'
import { installedAdmin, sessionApi, startTestStack, type Api } from '../helpers/api.js'
import type { Stack } from '../helpers/stack.js'

/** Requests the app made to the portal since `from` (an index into portal.requests()). */
const requestsSince = (s: Stack, from: number) => s.portal.requests().slice(from)

for (const backend of BACKENDS) {
  describe(`extranet groups API on ${backend.name}`, () => {
    let s: Stack
    let admin: Api
    beforeEach(async () => {
      s = await startTestStack(backend)
      admin = await installedAdmin(s)
    })
    afterEach(async () => {
      await s?.close()
    })

    it('lists extranet groups and intranet groups with extranet people, with owners, members, invited and counts', async () => {
      const p = s.portal
      const emp = p.addUser({ EMAIL: 'emp@example.test', NAME: 'Emma', LAST_NAME: 'Stone', UF_DEPARTMENT: [1] })
      const mod = p.addUser({ EMAIL: 'mod@example.test', NAME: 'Max', UF_DEPARTMENT: [1] })
      const guest = p.addUser({ EMAIL: 'guest@example.test', NAME: 'Gina', LAST_NAME: 'Guest', UF_DEPARTMENT: [] })
      const pending = p.addUser({ EMAIL: 'pending@example.test', NAME: 'Paul', UF_DEPARTMENT: [], invited: true })
      expect([guest.USER_TYPE, pending.USER_TYPE, emp.USER_TYPE]).toEqual(['extranet', 'extranet', 'employee'])
      expect((await admin.post('/api/directory/sync')).status).toBe(200)
      // Joined the portal after the directory sync: the cache does not know them yet.
      const late = p.addUser({ EMAIL: 'late@example.test', NAME: 'Lou', UF_DEPARTMENT: [], invited: true })

      const suppliers = p.addGroup({ NAME: 'Suppliers', OWNER_ID: 1, IS_EXTRANET: true, members: [guest.ID, { id: mod.ID, role: 'E' }], invited: [pending.ID] })
      p.addGroup({ NAME: 'Staff', OWNER_ID: 1, members: [emp.ID, mod.ID] })
      const mixed = p.addGroup({ NAME: 'Mixed', OWNER_ID: emp.ID, members: [guest.ID] })
      const partners = p.addGroup({ NAME: 'Partners', OWNER_ID: emp.ID, IS_EXTRANET: true, invited: [late.ID] })
      p.addGroup({ NAME: 'Collab', OWNER_ID: 1, TYPE: 'collab', members: [guest.ID] })
      expect(p.groups().map((g) => [g.NAME, g.IS_EXTRANET])).toEqual([['Suppliers', true], ['Staff', false], ['Mixed', false], ['Partners', true], ['Collab', true]])

      const before = p.requests().length
      const res = await admin.get('/api/extranet/groups')
      expect(res.status).toBe(200)
      const admin1 = { id: 1, name: 'Admin', email: 'admin@example.com', userType: 'employee' }
      const emma = { id: emp.ID, name: 'Emma Stone', email: 'emp@example.test', userType: 'employee' }
      const gina = { id: guest.ID, name: 'Gina Guest', email: 'guest@example.test', userType: 'extranet' }
      const suppliersView = {
        id: suppliers.ID, name: 'Suppliers', type: 'group', active: true, visible: true, isExtranet: true,
        owner: admin1,
        members: [
          { ...admin1, role: 'owner' },
          { id: mod.ID, name: 'Max', email: 'mod@example.test', userType: 'employee', role: 'moderator' },
          { ...gina, role: 'member' },
        ],
        invited: [{ id: pending.ID, name: 'Paul', email: 'pending@example.test', userType: 'extranet' }],
        counts: { members: 3, moderators: 1, invited: 1, extranet: 2 },
        chatId: expect.any(Number), dialogId: expect.stringMatching(/^chat\d+$/),
      }
      expect(res.body).toEqual({
        groups: [
          suppliersView,
          {
            id: mixed.ID, name: 'Mixed', type: 'group', active: true, visible: true, isExtranet: false,
            owner: emma, members: [{ ...emma, role: 'owner' }, { ...gina, role: 'member' }], invited: [],
            counts: { members: 2, moderators: 0, invited: 0, extranet: 1 },
            chatId: expect.any(Number), dialogId: expect.stringMatching(/^chat\d+$/),
          },
          {
            id: partners.ID, name: 'Partners', type: 'group', active: true, visible: true, isExtranet: true,
            owner: emma, members: [{ ...emma, role: 'owner' }],
            invited: [{ id: late.ID, name: null, email: null, userType: null }],
            counts: { members: 1, moderators: 0, invited: 1, extranet: 0 },
            chatId: expect.any(Number), dialogId: expect.stringMatching(/^chat\d+$/),
          },
        ],
        hasExtranetGroups: true,
        directorySyncedAt: expect.any(Number),
      })
      // One page of groups, then every group read in one batch: no call per group.
      const spent = requestsSince(s, before)
      expect(spent.map((r) => [r.restMethod, r.batchOf?.length])).toEqual([['batch', 1], ['batch', 5]])
      expect(spent[1]!.batchOf).toEqual(Array(5).fill('socialnetwork.api.workgroup.get'))

      const one = await admin.get(`/api/extranet/groups/${suppliers.ID}`)
      expect(one.status).toBe(200)
      expect(one.body).toEqual({ group: suppliersView })
      expect((await admin.get(`/api/extranet/groups/${mixed.ID}`)).body.group).toMatchObject({ isExtranet: false, counts: { extranet: 1 } })
    })

    it('60 extranet groups cost a handful of batches, never a request per group', async () => {
      const p = s.portal
      const guest = p.addUser({ EMAIL: 'g@example.test', NAME: 'G', UF_DEPARTMENT: [] })
      const made = Array.from({ length: 60 }, (_, i) => p.addGroup({ NAME: `Ext ${i + 1}`, OWNER_ID: 1, IS_EXTRANET: true, invited: [guest.ID] }))
      p.addGroup({ NAME: 'Intranet', OWNER_ID: 1 })
      const before = p.requests().length
      const res = await admin.get('/api/extranet/groups')
      expect(res.status).toBe(200)
      expect(res.body.groups.map((g: any) => g.id)).toEqual(made.map((g) => g.ID))
      expect(res.body.groups.every((g: any) => g.counts.invited === 1 && g.invited[0].id === guest.ID)).toBe(true)
      const spent = requestsSince(s, before)
      // Page 1 (it tells the total), page 2, then 61 groups read 50 + 11.
      expect(spent.map((r) => r.restMethod)).toEqual(['batch', 'batch', 'batch', 'batch'])
      expect(spent.map((r) => r.batchOf!.length)).toEqual([1, 1, 50, 11])
      const commands = spent.flatMap((r) => r.batchOf!)
      expect(commands.filter((m) => m === 'sonet_group.get')).toHaveLength(2)
      expect(commands.filter((m) => m === 'socialnetwork.api.workgroup.get')).toHaveLength(61)
    })

    it('a portal without extranet groups answers an empty list and hasExtranetGroups false', async () => {
      const p = s.portal
      const emp = p.addUser({ EMAIL: 'emp@example.test', NAME: 'Emp', UF_DEPARTMENT: [1] })
      const guest = p.addUser({ EMAIL: 'guest@example.test', NAME: 'Guest', UF_DEPARTMENT: [] })
      p.addGroup({ NAME: 'Staff', OWNER_ID: 1, members: [emp.ID] })
      // Collab guests are collabs' business, not this page's.
      p.addGroup({ NAME: 'Collab', OWNER_ID: 1, TYPE: 'collab', members: [guest.ID] })
      await admin.post('/api/directory/sync')
      expect((await admin.get('/api/extranet/groups')).body).toEqual({ groups: [], hasExtranetGroups: false, directorySyncedAt: expect.any(Number) })

      // An intranet group with an extranet person is listed, yet the portal still has no extranet group.
      const mixed = p.addGroup({ NAME: 'Mixed', OWNER_ID: 1, invited: [guest.ID] })
      const res = (await admin.get('/api/extranet/groups')).body
      expect(res.hasExtranetGroups).toBe(false)
      expect(res.groups.map((g: any) => [g.id, g.isExtranet, g.counts.extranet])).toEqual([[mixed.ID, false, 1]])
    })

    it('a bad group id answers 400, an unknown or non-extranet one 404 group_not_found', async () => {
      const p = s.portal
      const staff = p.addGroup({ NAME: 'Staff', OWNER_ID: 1 })
      const collab = p.addGroup({ NAME: 'Collab', OWNER_ID: 1, TYPE: 'collab' })
      const ext = p.addGroup({ NAME: 'Ext', OWNER_ID: 1, IS_EXTRANET: true })
      for (const bad of ['abc', '0', '-1', '1e3', '1.5', '99999999999']) {
        const r = await admin.get(`/api/extranet/groups/${bad}`)
        expect([bad, r.status, r.body.error.code]).toEqual([bad, 400, 'bad_request'])
      }
      for (const id of [9999, staff.ID, collab.ID]) {
        const r = await admin.get(`/api/extranet/groups/${id}`)
        expect([id, r.status, r.body.error.code]).toEqual([id, 404, 'group_not_found'])
      }
      expect((await admin.get(`/api/extranet/groups/${ext.ID}`)).status).toBe(200)
    })

    it('a non-admin can read, and sees hidden groups only when they belong to them', async () => {
      const p = s.portal
      const olga = p.addUser({ EMAIL: 'olga@example.test', NAME: 'Olga', UF_DEPARTMENT: [1] })
      const open = p.addGroup({ NAME: 'Open', OWNER_ID: 1, IS_EXTRANET: true })
      const hers = p.addGroup({ NAME: 'Hers', OWNER_ID: 1, IS_EXTRANET: true, VISIBLE: 'N', members: [olga.ID] })
      const secret = p.addGroup({ NAME: 'Secret', OWNER_ID: 1, IS_EXTRANET: true, VISIBLE: 'N' })
      const user = await sessionApi(s, olga.ID)

      const res = await user.get('/api/extranet/groups')
      expect(res.status).toBe(200)
      expect(res.body.hasExtranetGroups).toBe(true)
      expect(res.body.groups.map((g: any) => g.name)).toEqual(['Open', 'Hers'])
      expect((await user.get(`/api/extranet/groups/${open.ID}`)).body.group.name).toBe('Open')
      expect((await user.get(`/api/extranet/groups/${hers.ID}`)).body.group.visible).toBe(false)
      expect((await user.get(`/api/extranet/groups/${secret.ID}`)).status).toBe(404)
      // The admin sees all three.
      expect((await admin.get('/api/extranet/groups')).body.groups.map((g: any) => g.name)).toEqual(['Open', 'Hers', 'Secret'])
    })
  })
}
