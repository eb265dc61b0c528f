import { describe, expect, it } from 'vitest'
import { createTemplateStore, TemplateNameTakenError, type NewInviteTemplate } from '../../server/storage/template-store.js'
import { manualClock, useDatabase, type OpenTestDatabase } from './battery-support.js'

const draft = (overrides: Partial<NewInviteTemplate> = {}): NewInviteTemplate => ({
  memberId: 'm1',
  name: 'Sales onboarding',
  kind: 'intranet',
  texts: { ru: 'Добро пожаловать, {name}!', en: 'Welcome, {name}!' },
  defaultLang: 'ru',
  departmentId: 12,
  groupIds: [3, 8],
  reminderDays: [3, 7],
  expireAfterDays: 30,
  createdBy: 1,
  ...overrides,
})

export function templateStoreBattery(open: OpenTestDatabase): void {
  describe('TemplateStore', () => {
    const current = useDatabase(open)
    const setup = () => {
      const clock = manualClock()
      return { clock, templates: createTemplateStore(current(), clock.now) }
    }

    it('create returns and stores the full template', async () => {
      const { clock, templates } = setup()
      const created = await templates.create(draft())
      expect(created).toEqual({
        ...draft(),
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        createdAt: clock.now(),
        updatedAt: clock.now(),
        archived: false,
      })
      expect(await templates.get('m1', created.id)).toEqual(created)
    })

    it('keeps nullable fields and empty lists', async () => {
      const { templates } = setup()
      const t = await templates.create(draft({ kind: 'extranet', departmentId: null, groupIds: [], reminderDays: [], expireAfterDays: null }))
      expect(await templates.get('m1', t.id)).toMatchObject({ kind: 'extranet', departmentId: null, groupIds: [], reminderDays: [], expireAfterDays: null })
    })

    it('lists by name (Cyrillic and numbers sorted naturally, same on both backends) and hides archived ones', async () => {
      const { templates } = setup()
      for (const name of ['Шаблон 10', 'beta', 'Шаблон 2', 'Alpha', 'Гости']) await templates.create(draft({ name }))
      const old = await templates.create(draft({ name: 'Archived one' }))
      await templates.archive('m1', old.id)
      expect((await templates.list('m1')).map((t) => t.name)).toEqual(['Гости', 'Шаблон 2', 'Шаблон 10', 'Alpha', 'beta'])
      const all = await templates.list('m1', { includeArchived: true })
      expect(all.map((t) => [t.name, t.archived])).toContainEqual(['Archived one', true])
      expect(all).toHaveLength(6)
    })

    it('refuses a second live template with the same name in the portal, not in another portal', async () => {
      const { templates } = setup()
      await templates.create(draft())
      const error = await templates.create(draft({ kind: 'extranet' })).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(TemplateNameTakenError)
      expect(error).toMatchObject({ memberId: 'm1', templateName: 'Sales onboarding' })
      expect(await templates.list('m1')).toHaveLength(1)
      await expect(templates.create(draft({ memberId: 'm2' }))).resolves.toMatchObject({ memberId: 'm2' })
      // Names compare exactly: a different case is another name.
      await expect(templates.create(draft({ name: 'sales onboarding' }))).resolves.toMatchObject({ name: 'sales onboarding' })
    })

    it('of two concurrent creates with one name (two app instances), exactly one succeeds', async () => {
      const { templates } = setup()
      const peer = createTemplateStore(await current().openPeer())
      const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => (i % 2 ? peer : templates).create(draft())))
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(TemplateNameTakenError)
    })

    it('archiving frees the name; archive reports whether it archived', async () => {
      const { templates } = setup()
      const first = await templates.create(draft())
      expect(await templates.archive('m1', first.id)).toBe(true)
      expect(await templates.archive('m1', first.id)).toBe(false)
      expect(await templates.get('m1', first.id)).toMatchObject({ archived: true })
      const second = await templates.create(draft())
      expect(second.id).not.toBe(first.id)
    })

    it('update changes only the given fields and bumps updatedAt', async () => {
      const { clock, templates } = setup()
      const t = await templates.create(draft())
      clock.advance(1_000)
      const updated = await templates.update('m1', t.id, { name: 'Renamed', texts: { ru: 'Привет', en: 'Hi' }, departmentId: null, reminderDays: [1] })
      expect(updated).toEqual({ ...t, name: 'Renamed', texts: { ru: 'Привет', en: 'Hi' }, departmentId: null, reminderDays: [1], updatedAt: clock.now() })
      expect(await templates.get('m1', t.id)).toEqual(updated)
      expect(await templates.update('m1', t.id, {})).toMatchObject({ name: 'Renamed', groupIds: [3, 8] })
    })

    it('a rename onto another live template’s name throws and changes nothing', async () => {
      const { templates } = setup()
      await templates.create(draft({ name: 'Taken' }))
      const t = await templates.create(draft({ name: 'Free' }))
      await expect(templates.update('m1', t.id, { name: 'Taken' })).rejects.toBeInstanceOf(TemplateNameTakenError)
      expect((await templates.get('m1', t.id))?.name).toBe('Free')
    })

    it('portal A never sees, edits or archives portal B’s templates', async () => {
      const { templates } = setup()
      const theirs = await templates.create(draft({ memberId: 'm2' }))
      expect(await templates.get('m1', theirs.id)).toBeUndefined()
      expect(await templates.list('m1', { includeArchived: true })).toEqual([])
      expect(await templates.update('m1', theirs.id, { name: 'hijacked' })).toBeUndefined()
      expect(await templates.archive('m1', theirs.id)).toBe(false)
      expect(await templates.get('m2', theirs.id)).toEqual(theirs)
      expect(await templates.get('m1', 'not-a-template')).toBeUndefined()
    })

    it('rejects a kind or language outside the schema', async () => {
      const { templates } = setup()
      await expect(templates.create(draft({ kind: 'guest' as never }))).rejects.toThrow()
      await expect(templates.create(draft({ name: 'x', defaultLang: 'de' as never }))).rejects.toThrow()
      expect(await templates.list('m1', { includeArchived: true })).toEqual([])
    })
  })
}
