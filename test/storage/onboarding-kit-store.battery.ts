import { describe, expect, it } from 'vitest'
import { createOnboardingKitStore, DEFAULT_NOTICE_DAYS, type OnboardingKitInput } from '../../server/storage/onboarding-kit-store.js'
import { manualClock, useDatabase, type OpenTestDatabase } from './battery-support.js'

const T0 = 1_700_000_000_000

const kit = (overrides: Partial<OnboardingKitInput> = {}): OnboardingKitInput => ({
  memberId: 'm1',
  groupId: 12,
  inviteTemplateId: 'tpl-1',
  welcomeText: { ru: 'Добро пожаловать в проект', en: 'Welcome to the project' },
  postToFeed: true,
  postToChat: false,
  starterTask: { title: 'Прочитать регламент', description: 'См. вложение', deadlineDays: 3 },
  sponsorId: 7,
  accessDays: 90,
  noticeDays: 10,
  offboarding: 'confirm',
  updatedBy: 1,
  ...overrides,
})

export function onboardingKitStoreBattery(open: OpenTestDatabase): void {
  describe('OnboardingKitStore', () => {
    const current = useDatabase(open)
    const setup = () => {
      const clock = manualClock(T0)
      return { clock, kits: createOnboardingKitStore(current(), clock.now) }
    }

    it('round-trips a kit and stamps updatedAt from the clock', async () => {
      const { kits } = setup()
      expect(await kits.get('m1', 12)).toBeUndefined()
      const saved = await kits.save(kit())
      expect(saved).toEqual({ ...kit(), updatedAt: T0 })
      expect(await kits.get('m1', 12)).toEqual(saved)
    })

    it('keeps nulls: no template, no starter task, the inviter as sponsor, no end date', async () => {
      const { kits } = setup()
      const bare = kit({ inviteTemplateId: null, starterTask: null, sponsorId: null, accessDays: null, offboarding: 'auto', postToFeed: false })
      await kits.save(bare)
      expect(await kits.get('m1', 12)).toEqual({ ...bare, updatedAt: T0 })
      const noDeadline = kit({ starterTask: { title: 't', description: '', deadlineDays: null } })
      await kits.save(noDeadline)
      expect((await kits.get('m1', 12))?.starterTask).toEqual({ title: 't', description: '', deadlineDays: null })
    })

    it('save replaces the whole kit of the group and bumps updatedAt; one row per group', async () => {
      const { clock, kits } = setup()
      await kits.save(kit())
      clock.advance(5_000)
      const replaced = kit({ welcomeText: { ru: 'Привет', en: 'Hi' }, starterTask: null, sponsorId: null, noticeDays: 0, updatedBy: 2 })
      expect(await kits.save(replaced)).toEqual({ ...replaced, updatedAt: T0 + 5_000 })
      expect(await kits.list('m1')).toEqual([{ ...replaced, updatedAt: T0 + 5_000 }])
    })

    it('writes only the known fields into the JSON columns', async () => {
      const { kits } = setup()
      const extra = kit({
        welcomeText: { ru: 'a', en: 'b', de: 'c' } as never,
        starterTask: { title: 't', description: 'd', deadlineDays: 1, secret: 'x' } as never,
      })
      const saved = await kits.save(extra)
      expect(saved.welcomeText).toEqual({ ru: 'a', en: 'b' })
      expect(saved.starterTask).toEqual({ title: 't', description: 'd', deadlineDays: 1 })
    })

    it('is scoped by portal: same group id in another portal is another kit', async () => {
      const { kits } = setup()
      await kits.save(kit())
      await kits.save(kit({ memberId: 'm2', welcomeText: { ru: 'чужой', en: 'theirs' } }))
      expect((await kits.get('m1', 12))?.welcomeText.en).toBe('Welcome to the project')
      expect((await kits.get('m2', 12))?.welcomeText.en).toBe('theirs')
      expect(await kits.get('m3', 12)).toBeUndefined()
      expect((await kits.list('m1')).map((k) => k.memberId)).toEqual(['m1'])
      expect(await kits.list('m3')).toEqual([])
    })

    it('lists the portal’s kits by group id', async () => {
      const { kits } = setup()
      for (const groupId of [30, 4, 12]) await kits.save(kit({ groupId }))
      expect((await kits.list('m1')).map((k) => k.groupId)).toEqual([4, 12, 30])
    })

    it('rejects values outside the schema', async () => {
      const { kits } = setup()
      await expect(kits.save(kit({ offboarding: 'never' as never }))).rejects.toThrow()
      await expect(kits.save(kit({ accessDays: 0 }))).rejects.toThrow()
      await expect(kits.save(kit({ noticeDays: -1 }))).rejects.toThrow()
      expect(await kits.list('m1')).toEqual([])
    })

    it('notice days default to DEFAULT_NOTICE_DAYS (7) in the table; corrupt JSON reads as empty texts', async () => {
      const { kits } = setup()
      expect(DEFAULT_NOTICE_DAYS).toBe(7)
      await current()
        .db.insertInto('onboarding_kits')
        .values({
          member_id: 'm1', group_id: 5, invite_template_id: null, welcome_text: 'not json', post_to_feed: 0, post_to_chat: 1,
          starter_task: '[1,2]', sponsor_id: null, access_days: null, offboarding: 'auto', updated_by: 3, updated_at: T0,
        })
        .execute()
      expect(await kits.get('m1', 5)).toMatchObject({ noticeDays: 7, welcomeText: { ru: '', en: '' }, starterTask: null, postToChat: true })
    })

    it('concurrent saves of one group from two app instances leave one whole kit', async () => {
      const { kits } = setup()
      const peer = createOnboardingKitStore(await current().openPeer(), () => T0)
      const variants = Array.from({ length: 6 }, (_, i) => kit({ noticeDays: i, updatedBy: i, welcomeText: { ru: `ru${i}`, en: `en${i}` } }))
      await Promise.all(variants.map((v, i) => (i % 2 ? peer : kits).save(v)))
      const rows = await kits.list('m1')
      expect(rows).toHaveLength(1)
      const i = rows[0]!.updatedBy
      expect(rows[0]).toMatchObject({ noticeDays: i, welcomeText: { ru: `ru${i}`, en: `en${i}` } })
    })
  })
}
