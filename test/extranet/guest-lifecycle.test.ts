/**
 * Guests in extranet groups, from the invitation to the end of their access, against the emulated portal on
 * SQLite and PostgreSQL: the stay opens with the kit's sponsor and end date, acceptance (ONUSERADD) runs the
 * welcome steps once, the sponsor is told before the end date, and the end removes and deactivates as the
 * policy says, never deactivating someone another group still holds or an employee. Re-running any step is
 * harmless.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createClock, type Clock } from '../emulator/index.js'
import { BACKENDS } from '../helpers/databases.js'
import { until, type Stack } from '../helpers/stack.js'
import { csv, installedAdmin, startTestStack, waitForJob, type Api } from '../helpers/api.js'
import type { OnboardingKitInput } from '../../server/storage/onboarding-kit-store.js'

const DAY = 86_400_000

for (const backend of BACKENDS) {
  describe(`guest lifecycle on ${backend.name}`, () => {
    let s: Stack | undefined
    let admin: Api
    let clock: Clock
    afterEach(async () => {
      await s?.close()
      s = undefined
    })

    async function setUp(kit: Partial<OnboardingKitInput>) {
      clock = createClock({ speed: 1 })
      s = await startTestStack(backend, { clock })
      admin = await installedAdmin(s)
      const group = s.portal.addGroup({ NAME: 'Suppliers', OWNER_ID: 1, IS_EXTRANET: true })
      await s.a.app.stores.onboardingKits.save({
        memberId: s.portal.memberId, groupId: group.ID, inviteTemplateId: null, welcomeText: { ru: 'Добро пожаловать, {name}, в {groups}!', en: 'Welcome, {name}, to {groups}!' },
        postToFeed: true, postToChat: true, starterTask: { title: 'Read the supplier handbook', description: 'Start here', deadlineDays: 3 },
        sponsorId: null, accessDays: 30, noticeDays: 7, offboarding: 'auto', updatedBy: 1, ...kit,
      })
      return group
    }

    async function invite(rows: string[][], groupName: string): Promise<void> {
      const up = await admin.upload(csv([['Email', 'Full name', 'Groups'], ...rows.map((r) => [...r, groupName])]), 'guests.csv')
      const dry = await admin.post(`/api/imports/${up.body.id}/dry-run`, {
        mapping: up.body.mapping, headerRow: true, templateId: null, defaults: { kind: 'extranet', departmentId: null, groupIds: [], lang: 'en' },
      })
      expect(dry.body.summary.errors).toBe(0)
      const sent = await admin.post(`/api/imports/${up.body.id}/send`)
      await waitForJob(admin, sent.body.jobId, (j) => j.status === 'completed', 'job completed')
    }

    const stays = (groupId: number) => s!.a.app.stores.guests.listByGroup(s!.portal.memberId, groupId)

    it('opens a stay per guest; acceptance runs the welcome steps once, however often it is seen', async () => {
      const group = await setUp({})
      await invite([['anna@example.test', 'Anna Guest']], 'Suppliers')
      const [stay] = await stays(group.ID)
      expect(stay).toMatchObject({ state: 'pending', sponsorId: 1, email: 'anna@example.test', name: 'Anna Guest' })
      expect(stay!.accessEndsAt! - stay!.createdAt).toBeGreaterThanOrEqual(30 * DAY - 60_000)
      expect(stay!.noticeAt).toBe(stay!.accessEndsAt! - 7 * DAY)

      const anna = s!.portal.users().find((u) => u.EMAIL === 'anna@example.test')!
      await s!.portal.acceptInvitation(anna.ID)
      // The step is claimed before the portal is called: wait for what the portal received.
      await until(async () => s!.portal.tasks().length > 0 || undefined, 'the guest welcomed', 10_000)
      // The same acceptance again (a repeated ONUSERADD, then the directory pass): nothing is posted twice.
      await s!.a.app.lifecycle.onUserAdded(s!.portal.memberId, { ID: anna.ID, EMAIL: anna.EMAIL })
      await s!.a.app.guestLifecycle.onAccepted(s!.portal.memberId, (await s!.a.app.stores.ledger.findByUserId(s!.portal.memberId, anna.ID))[0]!)
      expect(await s!.a.app.guestLifecycle.welcome(s!.portal.memberId, stay!.id)).toBeUndefined()

      const posts = s!.portal.feedPosts()
      expect(posts.map((p) => [p.dest, p.message])).toEqual([[[`SG${group.ID}`], 'Welcome, Anna Guest, to Suppliers!']])
      expect(s!.portal.chatMessages().map((m) => m.message)).toEqual(['Welcome, Anna Guest, to Suppliers!'])
      expect(s!.portal.tasks().map((t) => [t.title, t.responsibleId, t.groupId])).toEqual([['Read the supplier handbook', anna.ID, group.ID]])
      expect((await stays(group.ID))[0]).toMatchObject({ state: 'active', userId: anna.ID })
    })

    it('someone already in the portal is accepted when they join the group, not because they logged in before', async () => {
      const group = await setUp({})
      const p = s!.portal
      const employee = p.addUser({ EMAIL: 'emp@example.test', NAME: 'Emp', UF_DEPARTMENT: [1], LAST_LOGIN: '2026-01-01T10:00:00+00:00' })
      await invite([['emp@example.test', 'Emp']], 'Suppliers')
      const ledgerOf = async () => (await s!.a.app.stores.ledger.findByUserId(p.memberId, employee.ID))[0]!
      expect((await ledgerOf()).target).toMatchObject({ kind: 'extranet', groupIds: [group.ID], existingUser: true })

      // The directory pass sees a login, but that is not joining the group.
      await s!.a.app.lifecycle.acceptSeenInDirectory(p.memberId)
      expect((await ledgerOf()).state).toBe('pending')
      expect((await stays(group.ID))[0]).toMatchObject({ state: 'pending', userId: employee.ID })
      expect(p.feedPosts()).toEqual([])

      p.acceptGroupInvitation(group.ID, employee.ID)
      expect(await s!.a.app.lifecycle.acceptSeenInDirectory(p.memberId)).toBe(1)
      expect(await s!.a.app.lifecycle.acceptSeenInDirectory(p.memberId)).toBe(0)
      expect((await ledgerOf()).state).toBe('accepted')
      await until(async () => p.tasks().length > 0 || undefined, 'the member welcomed', 10_000)
      expect((await stays(group.ID))[0]).toMatchObject({ state: 'active' })
      expect(p.feedPosts()).toHaveLength(1)
    })

    it('tells the sponsor before the end, then removes and deactivates only whom nothing else holds', async () => {
      const group = await setUp({ offboarding: 'auto' })
      const p = s!.portal
      const employee = p.addUser({ EMAIL: 'emp@example.test', NAME: 'Emp', UF_DEPARTMENT: [1] })
      await invite([['solo@example.test', 'Solo Guest'], ['twice@example.test', 'Twice Guest'], ['emp@example.test', 'Emp']], 'Suppliers')
      const solo = p.users().find((u) => u.EMAIL === 'solo@example.test')!
      const twice = p.users().find((u) => u.EMAIL === 'twice@example.test')!
      await p.acceptInvitation(solo.ID)
      await p.acceptInvitation(twice.ID)
      // Another group holds "twice", one Invite Desk never heard of.
      p.addGroup({ NAME: 'Other', OWNER_ID: 1, IS_EXTRANET: true, members: [twice.ID] })
      await until(async () => ((await stays(group.ID)).filter((g) => g.state === 'active').length === 2) || undefined, 'two guests active', 10_000)

      clock.advance(24 * DAY)
      await s!.a.app.scheduler.runNow()
      // Answered notices to the sponsor (a refused attempt the SDK retried is not a second notice).
      const notices = () => p.requests().filter((r) => r.status === 200 && r.restMethod === 'im.notify.system.add' && String(r.params.TAG ?? '').startsWith('invite-desk-guest-'))
      expect(notices().map((n) => n.params.USER_ID)).toEqual([1, 1, 1])
      await s!.a.app.scheduler.runNow()
      expect(notices()).toHaveLength(3)

      clock.advance(7 * DAY)
      await s!.a.app.scheduler.runNow()
      const byEmail = Object.fromEntries((await stays(group.ID)).map((g) => [g.email, [g.state, g.removedAt !== null, g.deactivatedAt !== null]]))
      expect(byEmail).toEqual({
        'solo@example.test': ['ended', true, true],
        'twice@example.test': ['ended', true, false],
        'emp@example.test': ['ended', true, false],
      })
      const inGroup = p.groups().find((g) => g.ID === group.ID)!.members.map((m) => m.userId)
      expect(inGroup).not.toContain(solo.ID)
      expect(inGroup).not.toContain(twice.ID)
      expect(inGroup).not.toContain(employee.ID)
      const active = Object.fromEntries(p.users().map((u) => [u.EMAIL, u.ACTIVE]))
      expect([active['solo@example.test'], active['twice@example.test'], active['emp@example.test']]).toEqual([false, true, true])
      const ledger = await s!.a.app.stores.ledger.list(p.memberId, {}, { limit: 10, offset: 0 })
      expect(ledger.rows.map((r) => r.state)).toEqual(['revoked', 'revoked', 'revoked'])

      // Re-running the pass changes nothing and calls nothing.
      const calls = p.requests().length
      await s!.a.app.scheduler.runNow()
      expect(p.requests().length).toBe(calls)
    })

    it('with confirmation: the end waits for the sponsor, who confirms or extends', async () => {
      const group = await setUp({ offboarding: 'confirm', accessDays: 10, noticeDays: 2 })
      const p = s!.portal
      await invite([['one@example.test', 'One'], ['two@example.test', 'Two']], 'Suppliers')
      for (const u of p.users().filter((x) => x.EMAIL.endsWith('@example.test'))) await p.acceptInvitation(u.ID)
      clock.advance(11 * DAY)
      await s!.a.app.scheduler.runNow()
      const waiting = await stays(group.ID)
      expect(waiting.map((g) => g.state)).toEqual(['awaiting_confirmation', 'awaiting_confirmation'])
      expect(p.users().filter((u) => u.EMAIL.endsWith('@example.test')).map((u) => u.ACTIVE)).toEqual([true, true])

      const [one, two] = waiting
      // Two confirmations at once (two tabs; across instances the claim is the same row): one ends the stay, the portal is asked once.
      const removalsBefore = p.requests().filter((r) => r.restMethod === 'sonet_group.user.delete').length
      const both = await Promise.all([s!.a.app.guestLifecycle.confirmEnd(p.memberId, one!.id, 1), s!.a.app.guestLifecycle.confirmEnd(p.memberId, one!.id, 1)])
      expect(both.filter((r) => r !== undefined)).toEqual([{ removed: true, deactivated: true }])
      expect(p.requests().filter((r) => r.restMethod === 'sonet_group.user.delete').length - removalsBefore).toBe(1)
      expect(await s!.a.app.guestLifecycle.confirmEnd(p.memberId, one!.id, 1)).toBeUndefined()
      expect(await s!.a.app.guestLifecycle.extend(p.memberId, two!.id, clock.now() + 30 * DAY, 1)).toBe(true)
      await s!.a.app.scheduler.runNow()
      // Both stays opened in the same millisecond: their order is not the point, who ended and who stayed is.
      const byEmail = (rows: string[][]) => rows.sort((a, b) => a[0]!.localeCompare(b[0]!))
      expect(byEmail((await stays(group.ID)).map((g) => [g.email!, g.state]))).toEqual(byEmail([[one!.email!, 'ended'], [two!.email!, 'active']]))
      expect(await s!.a.app.guestLifecycle.confirmEnd(p.memberId, crypto.randomUUID(), 1)).toBeUndefined()
    })
  })
}
