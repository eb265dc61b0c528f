/**
 * findUsersByEmail against the emulated portal: which of these addresses have an account now?
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BACKENDS } from '../helpers/databases.js'
import { installThroughPortal, startStack, type Stack } from '../helpers/stack.js'
import { findUsersByEmail } from '../../server/engine/reconcile.js'

const sqlite = BACKENDS.find((b) => b.name === 'sqlite')!

describe('findUsersByEmail', () => {
  let s: Stack
  afterEach(async () => {
    await s?.close()
  })

  async function seeded(): Promise<{ known: string[]; unknown: string[]; ids: Map<string, number> }> {
    s = await startStack(sqlite)
    await installThroughPortal(s)
    const ids = new Map<string, number>()
    const known: string[] = []
    for (let i = 0; i < 100; i++) {
      // Stored with capitals, asked for in lower case (and the other way round below).
      const email = i % 3 === 0 ? `Person.${i}@Example.com` : `person.${i}@example.com`
      const u = s.portal.addUser({
        EMAIL: email,
        NAME: `P${i}`,
        ...(i % 10 === 0 ? { invited: true } : {}),
        ...(i % 25 === 1 ? { ACTIVE: false } : {}),
        // Extranet users are only visible to others through ADMIN_MODE.
        ...(i % 7 === 0 ? { USER_TYPE: 'extranet' as const, UF_DEPARTMENT: [] } : {}),
      })
      ids.set(email.toLowerCase(), u.ID)
      known.push(i % 2 === 0 ? email.toLowerCase() : email.toUpperCase())
    }
    // A near miss: `_` is a LIKE wildcard; person_0 must not match person.0 or personX0.
    s.portal.addUser({ EMAIL: 'personX1@example.com' })
    const unknown = [...Array.from({ length: 19 }, (_, i) => `nobody.${i}@example.com`), 'person_1@example.com']
    return { known, unknown, ids }
  }

  it('120 addresses (100 known, 20 unknown): one batch of @EMAIL filters, exact matches only', async () => {
    const { known, unknown, ids } = await seeded()
    const since = s.portal.requests().length
    const found = await findUsersByEmail(s.a.app.gateway, s.portal.memberId, [...known, ...unknown])
    expect(found.size).toBe(100)
    for (const [email, id] of ids) expect(found.get(email)?.id).toBe(id)
    for (const e of unknown) expect(found.has(e)).toBe(false)
    expect(found.get('person.10@example.com')).toEqual({ id: ids.get('person.10@example.com'), active: true, lastLogin: null })
    expect(found.get('person.1@example.com')!.active).toBe(false)
    expect(found.get('person.2@example.com')!.lastLogin).toMatch(/^\d{4}-\d{2}-\d{2}T/)

    const batches = s.portal.requests().slice(since).filter((r) => r.restMethod === 'batch')
    expect(batches).toHaveLength(1)
    expect(batches[0]!.batchOf).toEqual(Array(5).fill('user.get')) // 120 / 25 per command
    console.log(`[reconcile] 120 e-mails: ${batches.length} batch, ${batches[0]!.batchOf!.length} user.get commands, found ${found.size}`)
  })

  it('one command per address (FILTER =EMAIL): 120 addresses take 3 batches (50 + 50 + 20)', async () => {
    const { known, unknown, ids } = await seeded()
    const since = s.portal.requests().length
    const found = await findUsersByEmail(s.a.app.gateway, s.portal.memberId, [...known, ...unknown], { emailsPerCommand: 1 })
    expect(found.size).toBe(100)
    for (const [email, id] of ids) expect(found.get(email)?.id).toBe(id)
    const batches = s.portal.requests().slice(since).filter((r) => r.restMethod === 'batch')
    expect(batches.map((b) => b.batchOf!.length)).toEqual([50, 50, 20])
    const cmd = (batches[0]!.params as { cmd: Record<string, string> }).cmd
    expect(decodeURIComponent(Object.values(cmd)[0]!)).toMatch(/^user\.get\?FILTER\[=EMAIL\]=.+&ADMIN_MODE=True$/)
  })

  it('follows result_total when one address has more than a page of accounts', async () => {
    s = await startStack(sqlite)
    await installThroughPortal(s)
    for (let i = 0; i < 60; i++) s.portal.addUser({ EMAIL: 'shared@example.com', ACTIVE: i === 42 })
    const newest = s.portal.addUser({ EMAIL: 'shared@example.com', ACTIVE: false })
    const found = await findUsersByEmail(s.a.app.gateway, s.portal.memberId, ['shared@example.com', 'other@example.com'])
    // The active account wins over the newest inactive one (which is only on page 2).
    expect(found.get('shared@example.com')!.active).toBe(true)
    expect(found.get('shared@example.com')!.id).not.toBe(newest.ID)
    expect(s.portal.callCount('user.get')).toBeGreaterThanOrEqual(2)
  })

  it('a failed lookup throws instead of reporting the users absent', async () => {
    s = await startStack(sqlite)
    await installThroughPortal(s)
    s.portal.addUser({ EMAIL: 'here@example.com' })
    s.portal.injectFault({ method: 'user.get', kind: 'INTERNAL_SERVER_ERROR', times: 1 })
    await expect(findUsersByEmail(s.a.app.gateway, s.portal.memberId, ['here@example.com'])).rejects.toThrow(/could not look users up/)
    const ok = await findUsersByEmail(s.a.app.gateway, s.portal.memberId, ['here@example.com', '', '  '])
    expect(ok.size).toBe(1)
  })
})
