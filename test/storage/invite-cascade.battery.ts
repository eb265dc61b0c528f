import { describe, expect, it } from 'vitest'
import { createStores } from '../../server/storage/index.js'
import type { Schema } from '../../server/storage/schema.js'
import { testBox, useDatabase, type OpenTestDatabase } from './battery-support.js'

const T0 = 1_700_000_000_000

// Every per-portal table 0002_invites and 0004_extranet add. Each carries member_id, child tables included.
const PER_PORTAL: Array<keyof Schema> = [
  'invite_templates',
  'invite_jobs',
  'invite_job_items',
  'portal_leases',
  'invitations',
  'invitation_events',
  'directory_users',
  'directory_departments',
  'directory_groups',
  'directory_sync',
  'onboarding_kits',
  'extranet_guests',
]

export function inviteCascadeBattery(open: OpenTestDatabase): void {
  describe('PortalStore.delete and the invite tables', () => {
    const current = useDatabase(open)

    const rowsOf = async (table: keyof Schema, memberId: string) => {
      const { db } = current()
      const row = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .where('member_id' as never, '=', memberId as never)
        .executeTakeFirstOrThrow()
      return Number(row.n)
    }

    const populate = async (memberId: string) => {
      const stores = createStores(current(), testBox, () => T0)
      await stores.portals.saveInstall({
        memberId, domain: `${memberId}.test`, clientEndpoint: `https://${memberId}.test/rest/`, appCode: null, lang: 'en',
        licenseFamily: null, tokens: { accessToken: 'a', refreshToken: 'r', expiresAt: 1, scope: '' }, installedByUserId: 1,
      })
      const template = await stores.templates.create({
        memberId, name: 'T', kind: 'intranet', texts: { ru: '', en: '' }, defaultLang: 'ru', departmentId: null, groupIds: [], reminderDays: [3], expireAfterDays: null, createdBy: 1,
      })
      const job = await stores.jobs.create(
        { memberId, kind: 'bulk_invite', source: 'wizard', createdBy: 1, templateId: template.id, title: 'J', options: {} },
        Array.from({ length: 25 }, (_, i) => ({ email: `p${i}@example.test`, phone: null, payload: {} })),
      )
      await stores.jobs.setStatus(memberId, job.id, ['queued'], 'running')
      await stores.leases.acquire(memberId, 'worker', T0, 30_000)
      const inv = await stores.ledger.record(
        {
          memberId, email: 'p0@example.test', phone: null, userId: 10, name: null, lastName: null, invitedBy: 1, source: 'wizard', templateId: template.id,
          jobId: job.id, jobSeq: 1, target: { kind: 'intranet', departmentId: null, groupIds: [] }, state: 'pending', sentAt: T0, acceptedAt: null, expiresAt: null,
        },
        1,
      )
      await stores.ledger.transition(memberId, inv.id, ['pending'], 'accepted', T0 + 1, 10)
      await stores.directory.upsertUsers(memberId, [
        { id: 1, email: 'a@example.test', phone: null, name: null, lastName: null, active: true, userType: 'employee', lastLogin: null, invited: true, departments: [], syncedAt: T0 },
      ])
      await stores.directory.replaceDepartments(memberId, [{ id: 1, name: 'D', parentId: null }])
      await stores.directory.replaceGroups(memberId, [{ id: 1, name: 'G', isExtranet: false, type: null, ownerId: null, active: true }])
      await stores.directory.setSyncState(memberId, { fullSyncAt: T0 })
      await stores.onboardingKits.save({
        memberId, groupId: 1, inviteTemplateId: null, welcomeText: { ru: '', en: '' }, postToFeed: true, postToChat: false, starterTask: null,
        sponsorId: null, accessDays: null, noticeDays: 7, offboarding: 'confirm', updatedBy: 1,
      })
      await stores.guests.upsertInvited({ memberId, groupId: 1, email: 'g@example.test', userId: null, name: null, sponsorId: 1, accessEndsAt: null, noticeAt: null, invitationId: inv.id })
      return stores
    }

    it('delete (CLEAN uninstall) removes every invite row of the portal and nothing of others', async () => {
      await populate('m1')
      const stores = await populate('m2')
      const count = async (memberId: string) => {
        const counts: Record<string, number> = {}
        for (const table of PER_PORTAL) counts[table] = await rowsOf(table, memberId)
        return counts
      }
      const before = await count('m2')
      expect(await count('m1')).toEqual(before)
      expect(Object.values(before).every((n) => n > 0)).toBe(true)

      await stores.portals.delete('m1')

      expect(await count('m1')).toEqual(Object.fromEntries(PER_PORTAL.map((t) => [t, 0])))
      expect(await count('m2')).toEqual(before)
      expect(await stores.leases.candidates(T0 + 60_000, 10)).toEqual(['m2'])
    })

    it('delete of a portal that only has invite data (no portal row) still clears it', async () => {
      const stores = await populate('m1')
      await current().db.deleteFrom('portals').execute()
      await stores.portals.delete('m1')
      for (const table of PER_PORTAL) expect({ table, left: await rowsOf(table, 'm1') }).toEqual({ table, left: 0 })
    })
  })
}
