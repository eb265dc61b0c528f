/**
 * People already in the portal are brought into an extranet group by the same engine that creates new ones:
 * sonet_group.user.invite (they confirm) or sonet_group.user.add, in the same batch as user.add rows. An empty
 * answer ("none of the provided users could be invited") is settled by reading the group; rows a crash left
 * in flight are sent again (the portal never invites a member twice) and end up invited exactly once.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createClock, type Clock } from '../emulator/index.js'
import { BACKENDS } from '../helpers/databases.js'
import { installThroughPortal, startStack, until, type Stack } from '../helpers/stack.js'
import { installedAdmin, startTestStack } from '../helpers/api.js'
import { GROUP_ADD_METHOD, GROUP_INVITE_METHOD, sendInviteChunk, type InvitePayload } from '../../server/engine/send-invites.js'
import { IN_FLIGHT_SETTLE_MS } from '../../server/engine/job-runner.js'

const sqlite = BACKENDS.find((b) => b.name === 'sqlite')!
const rolesIn = (s: Stack, groupId: number): Record<number, string> =>
  Object.fromEntries(s.portal.groups().find((g) => g.ID === groupId)!.members.map((m) => [m.userId, m.role]))
const CAPS = { messageText: true, phoneInvite: false }

const newGuest = (email: string, groupId: number): InvitePayload => ({ email, phone: null, fields: { EXTRANET: 'Y', SONET_GROUP_ID: [groupId], NAME: 'Guest' }, messageText: null })
const existing = (email: string, groupId: number, userId: number, method: typeof GROUP_INVITE_METHOD | typeof GROUP_ADD_METHOD = GROUP_INVITE_METHOD): InvitePayload => ({
  email, phone: null, fields: {}, messageText: 'Join us', groupInvite: { groupId, userId, method },
})

describe('sendInviteChunk: group rows', () => {
  let s: Stack
  afterEach(async () => {
    await s?.close()
  })

  it('new and existing people in one batch, each with the right method, classified from the answers and the group', async () => {
    s = await startStack(sqlite)
    await installThroughPortal(s)
    const p = s.portal
    const group = p.addGroup({ NAME: 'Suppliers', OWNER_ID: 1 })
    const employee = p.addUser({ EMAIL: 'emp@example.test', NAME: 'Emp', UF_DEPARTMENT: [1] })
    const pendingGuest = p.addUser({ EMAIL: 'pending@example.test', NAME: 'Pending', invited: true })
    const member = p.addUser({ EMAIL: 'member@example.test', NAME: 'Member', UF_DEPARTMENT: [1] })
    await sendInviteChunk(s.a.app.gateway, p.memberId, [existing('member@example.test', group.ID, member.ID, GROUP_ADD_METHOD)], CAPS)
    const since = p.requests().length

    const out = await sendInviteChunk(s.a.app.gateway, p.memberId, [
      newGuest('new@example.test', group.ID),
      existing('emp@example.test', group.ID, employee.ID),
      existing('pending@example.test', group.ID, pendingGuest.ID, GROUP_ADD_METHOD),
      // Already a member: the portal answers [], the group says so; after a lost answer this is our own invitation.
      existing('member@example.test', group.ID, member.ID),
      existing('emp@example.test', 9999, employee.ID),
    ], CAPS)

    expect(out[0]).toMatchObject({ kind: 'invited' })
    expect(out[1]).toEqual({ kind: 'invited', userId: employee.ID })
    expect(out[2]).toEqual({ kind: 'invited', userId: pendingGuest.ID })
    expect(out[3]).toEqual({ kind: 'invited', userId: member.ID })
    expect(out[4]).toMatchObject({ kind: 'failed', code: 'group_not_found' })
    const commands = p.requests().slice(since).flatMap((r) => r.batchOf ?? [])
    expect(commands.sort()).toEqual([
      GROUP_ADD_METHOD, GROUP_INVITE_METHOD, GROUP_INVITE_METHOD, GROUP_INVITE_METHOD, 'socialnetwork.api.workgroup.get', 'user.add',
    ].sort())
    const roles = rolesIn(s, group.ID)
    expect(roles[employee.ID]).toBe('Z')
    expect(roles[pendingGuest.ID]).toBe('K')
    expect(roles[member.ID]).toBe('K')
  })

  it('a person the portal does not bring into the group fails with a reason, not a silent success', async () => {
    s = await startStack(sqlite)
    await installThroughPortal(s)
    const group = s.portal.addGroup({ NAME: 'Closed', OWNER_ID: 1 })
    // Deleted from the portal since the dry run: the portal answers [] and the group does not hold them.
    const [o] = await sendInviteChunk(s.a.app.gateway, s.portal.memberId, [existing('gone@example.test', group.ID, 987_654)], CAPS)
    expect(o).toMatchObject({ kind: 'failed', code: 'group_invite_refused' })
    expect(rolesIn(s, group.ID)[987_654]).toBeUndefined()
  })
})

for (const backend of BACKENDS) {
  describe(`group rows left in flight on ${backend.name}`, () => {
    let s: Stack | undefined
    let clock: Clock
    afterEach(async () => {
      await s?.close()
      s = undefined
    })

    it('are sent again after the settle window and invited exactly once', async () => {
      clock = createClock({ speed: 1 })
      s = await startTestStack(backend, { clock })
      await installedAdmin(s)
      const p = s.portal
      const { jobs } = s.a.app.stores
      const group = p.addGroup({ NAME: 'Partners', OWNER_ID: 1 })
      const a = p.addUser({ EMAIL: 'a@example.test', NAME: 'A', UF_DEPARTMENT: [1] })
      const b = p.addUser({ EMAIL: 'b@example.test', NAME: 'B', UF_DEPARTMENT: [1] })
      const job = await jobs.create(
        { memberId: p.memberId, kind: 'bulk_invite', source: 'wizard', createdBy: 1, templateId: null, title: 'group', options: {} },
        [existing('a@example.test', group.ID, a.ID), existing('b@example.test', group.ID, b.ID)].map((payload) => ({
          email: payload.email, phone: null, payload: payload as unknown as Record<string, unknown>,
        })),
      )
      // The crash: both rows on the wire, and the portal ran the first one only.
      expect(await jobs.markSending(job.id, [1, 2], clock.now())).toEqual([1, 2])
      await sendInviteChunk(s.a.app.gateway, p.memberId, [existing('a@example.test', group.ID, a.ID)], CAPS)
      expect(await jobs.setStatus(p.memberId, job.id, ['queued'], 'running')).toBe(true)

      clock.advance(IN_FLIGHT_SETTLE_MS + 1_000)
      s.a.app.runner.kick()
      await until(async () => (await jobs.get(p.memberId, job.id))?.status === 'completed' || undefined, 'job completed', 15_000)
      const items = await jobs.items(p.memberId, job.id, { limit: 10 })
      expect(items.map((i) => [i.seq, i.state, i.userId])).toEqual([[1, 'invited', a.ID], [2, 'invited', b.ID]])
      const roles = rolesIn(s, group.ID)
      expect([roles[a.ID], roles[b.ID]]).toEqual(['Z', 'Z'])
      expect(p.callCount(GROUP_INVITE_METHOD)).toBe(3)
      const ledger = await s.a.app.stores.ledger.list(p.memberId, {}, { limit: 10, offset: 0 })
      expect(ledger.rows.map((r) => [r.email, r.userId]).sort()).toEqual([['a@example.test', a.ID], ['b@example.test', b.ID]])
      expect(p.callCount('user.add')).toBe(0)
    })
  })
}
