/**
 * Inviting into an extranet group through the bulk wizard, over real HTTP against the emulated portal: new
 * people and people already in the portal in one job, each sent with the right method, as the dry run
 * explained it. Runs on SQLite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BACKENDS } from '../helpers/databases.js'
import { csv, installedAdmin, startTestStack, waitForJob, type Api } from '../helpers/api.js'
import type { Stack } from '../helpers/stack.js'

for (const backend of BACKENDS) {
  describe(`extranet group invites on ${backend.name}`, () => {
    let s: Stack
    let admin: Api
    beforeEach(async () => {
      s = await startTestStack(backend)
      admin = await installedAdmin(s)
    })
    afterEach(async () => {
      await s?.close()
    })

    it('new and existing people in one job: user.add, sonet_group.user.invite or sonet_group.user.add per person, as the dry run says', async () => {
      const p = s.portal
      const club = p.addGroup({ NAME: 'Suppliers', OWNER_ID: 1 })
      const other = p.addGroup({ NAME: 'Logistics', OWNER_ID: 1 })
      const employee = p.addUser({ EMAIL: 'emp@example.test', NAME: 'Emp', UF_DEPARTMENT: [1] })
      const pending = p.addUser({ EMAIL: 'pending@example.test', NAME: 'Pending', invited: true })
      p.addUser({ EMAIL: 'gone@example.test', NAME: 'Gone', UF_DEPARTMENT: [1], ACTIVE: false })
      p.addUser({ EMAIL: 'two@example.test', NAME: 'Two', UF_DEPARTMENT: [1] })
      // The directory cache learns about them on the dry run's sync.
      const file = csv([
        ['Email', 'Full name', 'Groups'],
        ['new.guest@example.test', 'New Guest', 'Suppliers'],
        ['emp@example.test', 'Emp', 'Suppliers'],
        ['pending@example.test', 'Pending', 'Suppliers'],
        ['gone@example.test', 'Gone', 'Suppliers'],
        ['two@example.test', 'Two', `Suppliers;${other.ID}`],
      ])
      const up = await admin.upload(file, 'guests.csv')
      expect(up.status).toBe(201)
      const dry = await admin.post(`/api/imports/${up.body.id}/dry-run`, {
        mapping: up.body.mapping, headerRow: true, templateId: null, defaults: { kind: 'extranet', departmentId: null, groupIds: [], lang: 'en' },
      })
      expect(dry.status).toBe(200)
      expect(dry.body.rows.map((r: any) => [r.email, r.status, r.groupAction, r.issues.map((i: any) => `${i.severity}:${i.code}`)])).toEqual([
        ['new.guest@example.test', 'ready', null, []],
        ['emp@example.test', 'ready', { method: 'sonet_group.user.invite', groupId: club.ID }, ['info:existing_invited_to_group']],
        ['pending@example.test', 'ready', { method: 'sonet_group.user.add', groupId: club.ID }, ['info:existing_added_to_group']],
        ['gone@example.test', 'warning', null, ['warning:already_exists']],
        ['two@example.test', 'error', null, ['error:one_group_for_existing']],
      ])
      // The row with two groups must be fixed (or excluded) before anything is sent.
      expect((await admin.post(`/api/imports/${up.body.id}/send`)).body.error.code).toBe('has_errors')
      expect((await admin.patch(`/api/imports/${up.body.id}/rows/6`, { groups: 'Logistics' })).body.row).toMatchObject({
        status: 'ready', groupAction: { method: 'sonet_group.user.invite', groupId: other.ID },
      })

      const sent = await admin.post(`/api/imports/${up.body.id}/send`)
      expect(sent.status).toBe(201)
      await waitForJob(admin, sent.body.jobId, (j) => j.status === 'completed', 'job completed')
      const items = (await admin.get(`/api/jobs/${sent.body.jobId}/items?limit=10`)).body.items
      expect(items.map((i: any) => [i.email, i.state, i.errorCode])).toEqual([
        ['new.guest@example.test', 'invited', null],
        ['emp@example.test', 'invited', null],
        ['pending@example.test', 'invited', null],
        ['gone@example.test', 'skipped', 'already_exists'],
        ['two@example.test', 'invited', null],
      ])
      expect([p.callCount('user.add'), p.callCount('sonet_group.user.invite'), p.callCount('sonet_group.user.add')]).toEqual([1, 2, 1])
      const roles = (groupId: number) => Object.fromEntries(p.groups().find((g) => g.ID === groupId)!.members.map((m) => [m.userId, m.role]))
      const newGuest = p.users().find((u) => u.EMAIL === 'new.guest@example.test')!
      expect(roles(club.ID)).toMatchObject({ [newGuest.ID]: 'Z', [employee.ID]: 'Z', [pending.ID]: 'K' })
      const ledger = await s.a.app.stores.ledger.list(p.memberId, {}, { limit: 10, offset: 0 })
      expect(ledger.rows.map((r) => [r.email, r.state, r.target.kind, r.target.groupIds]).sort()).toEqual([
        ['emp@example.test', 'pending', 'extranet', [club.ID]],
        ['new.guest@example.test', 'pending', 'extranet', [club.ID]],
        ['pending@example.test', 'pending', 'extranet', [club.ID]],
        ['two@example.test', 'pending', 'extranet', [other.ID]],
      ])
    })
  })
}
