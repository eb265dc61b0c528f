/**
 * Managed join links over real HTTP on SQLite and PostgreSQL, against the emulated portal: an admin makes a
 * link; people join on its public page; the cap holds exactly under 50 concurrent joins; expired, paused and
 * revoked links refuse with a clear page; a disallowed domain is refused; the answer for an address the
 * portal knows and for a new one is the same; joins needing approval become requests; the QR code decodes
 * to the link; rate limits answer 429; and a flood of joins enters the engine at the portal's admission rate.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BACKENDS } from '../helpers/databases.js'
import { decodeQrPng } from '../helpers/qr.js'
import { installedAdmin, sessionApi, startTestStack, waitForJob, type Api } from '../helpers/api.js'
import { form, until, type Stack } from '../helpers/stack.js'

const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)

for (const backend of BACKENDS) {
  describe(`join links on ${backend.name}`, () => {
    let s: Stack | undefined
    afterEach(async () => {
      await s?.close()
      s = undefined
    })

    async function setUp(joinLimits: Parameters<typeof startTestStack>[1] extends infer O ? O extends { joinLimits?: infer L } ? L : never : never = {}) {
      s = await startTestStack(backend, { portal: { lang: 'en' }, joinLimits: { joinsPerIpPer10Min: 1000, viewsPerIpPerMinute: 1000, ...joinLimits } })
      const admin = await installedAdmin(s)
      const ownerUser = s.portal.addUser({ NAME: 'Olga', LAST_NAME: 'Owner', EMAIL: 'olga@example.com', UF_DEPARTMENT: [1] })
      const group = s.portal.addGroup({ NAME: 'Partners', OWNER_ID: ownerUser.ID, IS_EXTRANET: true })
      // The directory cache learns the group (the link's target is checked against it).
      await s.a.app.directorySync.sync(s.portal.memberId, { forceFull: true })
      return { stack: s, admin, ownerId: ownerUser.ID, group: group.ID }
    }

    const newLink = (api: Api, body: Record<string, unknown>) =>
      api.post('/api/join-links', { name: 'Partners 2026', target: { kind: 'group', id: 0 }, templateId: null, expiresOn: null, cap: null, allowedDomains: [], approval: false, ...body })

    /** The public page, as a browser behind the given address would post it (the app trusts loopback's X-Forwarded-For). */
    async function join(url: string, fields: Record<string, string>, ip = '203.0.113.7', lang = 'en') {
      const res = await fetch(url, {
        method: 'POST', body: form({ lang, ...fields }),
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip, 'accept-language': lang },
      })
      return { status: res.status, text: await res.text(), headers: res.headers }
    }
    const page = async (url: string, ip = '203.0.113.7') => {
      const res = await fetch(url, { headers: { 'x-forwarded-for': ip, 'accept-language': 'en' } })
      return { status: res.status, text: await res.text(), headers: res.headers }
    }
    const joinAll = async (stack: Stack) => {
      await stack.a.app.joinLinks.worker.drain()
      await stack.a.app.runner.drain()
    }

    it('50 concurrent joins against a cap of 10 issue exactly 10 invitations, recorded in the ledger', async () => {
      const { stack, admin, group } = await setUp()
      const made = await newLink(admin, { target: { kind: 'group', id: group }, cap: 10 })
      expect(made.status, made.text).toBe(201)
      expect(made.body).toMatchObject({ status: 'active', uses: 0, cap: 10, target: { kind: 'group', id: group, name: 'Partners' }, canManage: true })
      const url: string = made.body.url
      expect(url).toMatch(new RegExp(`^${stack.a.url}/join/[A-Za-z0-9_-]{32}$`))

      const opened = await page(url)
      expect(opened.status).toBe(200)
      expect(opened.text).toContain('Partners 2026')
      expect(opened.headers.get('content-security-policy')).toContain("default-src 'none'")
      expect(opened.headers.get('referrer-policy')).toBe('no-referrer')

      const answers = await Promise.all(Array.from({ length: 50 }, (_, k) => join(url, { email: `guest${k}@partner.example`, name: `Guest${k}`, last_name: 'Joiner' }, `198.51.100.${k + 1}`)))
      const statuses = answers.map((a) => a.status)
      expect(statuses.filter((x) => x === 200)).toHaveLength(10)
      expect(statuses.filter((x) => x === 410)).toHaveLength(40)
      expect(answers.find((a) => a.status === 410)!.text).toContain('This link is full')

      await joinAll(stack)
      const invited = stack.portal.users().filter((u) => /@partner\.example$/.test(String(u.EMAIL)))
      expect(invited).toHaveLength(10)
      const link = (await admin.get(`/api/join-links/${made.body.id}`)).body
      expect(link).toMatchObject({ status: 'full', uses: 10, stats: { views: 1, joins: 10, invited: 10, accepted: 0 } })
      const ledger = await admin.get('/api/invitations?limit=100')
      const fromLink = (ledger.body.rows as Array<{ source: string; email: string }>).filter((r) => r.source === 'join_link')
      expect(fromLink).toHaveLength(10)

      // The joins list says what became of each.
      const joins = await admin.get(`/api/join-links/${made.body.id}/joins?limit=50`)
      expect(joins.body.total).toBe(10)
      expect((joins.body.rows as Array<{ state: string; invitation: { state: string } | null }>).every((j) => j.state === 'sent' && j.invitation?.state === 'pending')).toBe(true)

      // The token is a credential: no log line holds it (requests are logged at debug level here).
      const token = url.slice(url.lastIndexOf('/') + 1)
      expect(stack.logs.some((l) => l.includes('/join/'))).toBe(true)
      expect(stack.logs.filter((l) => l.includes(token))).toEqual([])

      // An acceptance shows in the link's statistics (from the ledger).
      await stack.portal.acceptInvitation(invited[0]!.EMAIL as string)
      await until(async () => ((await admin.get(`/api/join-links/${made.body.id}`)).body.stats.accepted === 1 ? true : undefined), 'the acceptance in the link\'s statistics')
    })

    it('expired, paused and revoked links refuse with a clear page; a disallowed domain is refused', async () => {
      const { stack, admin, group } = await setUp()
      const made = await newLink(admin, { target: { kind: 'group', id: group }, allowedDomains: ['@Partner.example'], expiresOn: tomorrow() })
      expect(made.status, made.text).toBe(201)
      expect(made.body.allowedDomains).toEqual(['partner.example'])
      const url: string = made.body.url

      const wrongDomain = await join(url, { email: 'someone@elsewhere.example', name: 'Sam' })
      expect(wrongDomain.status).toBe(400)
      expect(wrongDomain.text).toContain('This link does not accept addresses at this domain.')
      const sub = await join(url, { email: 'ann@team.partner.example', name: 'Ann' })
      expect(sub.status).toBe(200)

      expect((await admin.post(`/api/join-links/${made.body.id}/pause`)).body.status).toBe('paused')
      for (const answer of [await page(url), await join(url, { email: 'bo@partner.example', name: 'Bo' })]) {
        expect(answer.status).toBe(403)
        expect(answer.text).toContain('This link is paused')
      }
      expect((await admin.post(`/api/join-links/${made.body.id}/resume`)).body.status).toBe('active')

      // A day and a half later the link has expired.
      await stack.a.app.db.db.updateTable('join_links').set({ expires_at: Date.now() - 1000 }).where('id', '=', made.body.id).execute()
      for (const answer of [await page(url), await join(url, { email: 'cy@partner.example', name: 'Cy' })]) {
        expect(answer.status).toBe(410)
        expect(answer.text).toContain('This link has expired')
      }
      expect((await admin.get('/api/join-links?status=expired')).body.rows.map((r: { id: string }) => r.id)).toEqual([made.body.id])

      expect((await admin.post(`/api/join-links/${made.body.id}/revoke`)).body.status).toBe('revoked')
      for (const answer of [await page(url), await join(url, { email: 'di@partner.example', name: 'Di' })]) {
        expect(answer.status).toBe(410)
        expect(answer.text).toContain('This link was switched off')
      }
      expect((await admin.post(`/api/join-links/${made.body.id}/resume`)).status).toBe(409)
      expect((await admin.patch(`/api/join-links/${made.body.id}`, { name: 'Again' })).status).toBe(409)

      // Unknown tokens and malformed ones: the same "does not exist" page.
      for (const bad of [`${stack.a.url}/join/${'A'.repeat(32)}`, `${stack.a.url}/join/short`]) {
        const answer = await page(bad)
        expect(answer.status).toBe(404)
        expect(answer.text).toContain('This link does not exist')
      }
      // Only Ann joined.
      expect((await admin.get(`/api/join-links/${made.body.id}`)).body.stats.joins).toBe(1)
      const audit = await stack.a.app.stores.audit.list(stack.portal.memberId, { limit: 50 })
      expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['join_link.created', 'join_link.paused', 'join_link.resumed', 'join_link.revoked']))
    })

    it('answers the same for an address the portal knows and for a new one', async () => {
      const { stack, admin, group } = await setUp()
      const made = await newLink(admin, { target: { kind: 'group', id: group } })
      const url: string = made.body.url
      const existing = await join(url, { email: 'olga@example.com', name: 'Olga', last_name: 'Owner' })
      const fresh = await join(url, { email: 'newbie@partner.example', name: 'Olga', last_name: 'Owner' })
      expect(existing.status).toBe(200)
      expect(fresh.status).toBe(existing.status)
      expect(fresh.text.replaceAll('newbie@partner.example', 'X')).toBe(existing.text.replaceAll('olga@example.com', 'X'))
      const headers = (h: Headers) => {
        const out: string[] = []
        h.forEach((v, k) => {
          if (!['date', 'content-length', 'etag'].includes(k)) out.push(`${k}: ${v}`)
        })
        return out
      }
      expect(headers(fresh.headers)).toEqual(headers(existing.headers))
      // A second submission of the same address: the same answer again, no second slot.
      const again = await join(url, { email: 'NEWBIE@partner.example', name: 'Olga', last_name: 'Owner' })
      expect(again.text.replaceAll('NEWBIE@partner.example', 'X')).toBe(existing.text.replaceAll('olga@example.com', 'X'))

      await joinAll(stack)
      expect(stack.portal.users().filter((u) => u.EMAIL === 'newbie@partner.example')).toHaveLength(1)
      const joins = (await admin.get(`/api/join-links/${made.body.id}/joins`)).body
      expect(joins.total).toBe(2)
      const byEmail = new Map((joins.rows as Array<{ email: string; state: string }>).map((j) => [j.email, j.state]))
      // Olga already works here: she is invited into the group (she confirms in Bitrix24), never added.
      expect(byEmail.get('newbie@partner.example')).toBe('sent')
      expect(['sent', 'existing']).toContain(byEmail.get('olga@example.com'))
      expect((await admin.get(`/api/join-links/${made.body.id}`)).body.uses).toBe(2)
    })

    it('joins needing approval become requests the link\'s owner decides; a decline frees the slot', async () => {
      const { stack, admin, group } = await setUp()
      const made = await newLink(admin, { target: { kind: 'group', id: group }, approval: true, cap: 5 })
      const url: string = made.body.url
      const asked = await join(url, { email: 'please@partner.example', name: 'Pia' })
      expect(asked.status).toBe(200)
      expect(asked.text).toContain('Your request was passed to the organiser')
      await join(url, { email: 'nope@partner.example', name: 'Nils' })
      await stack.a.app.joinLinks.worker.drain()
      const requests = (await admin.get('/api/requests?state=pending')).body.rows as Array<{ id: string; placement: string; joinLinkId: string; joinLinkName: string; people: Array<{ email: string }>; canDecide: boolean }>
      expect(requests).toHaveLength(2)
      expect(requests.every((r) => r.placement === 'join_link' && r.joinLinkId === made.body.id && r.joinLinkName === 'Partners 2026' && r.canDecide)).toBe(true)
      // One notice for the round, not one per person.
      expect(stack.portal.notifications().filter((n) => /ask to join through the link "Partners 2026"/.test(n.message))).toHaveLength(1)
      expect(stack.portal.users().some((u) => u.EMAIL === 'please@partner.example')).toBe(false)

      const pia = requests.find((r) => r.people[0]!.email === 'please@partner.example')!
      const nils = requests.find((r) => r.people[0]!.email === 'nope@partner.example')!
      expect((await admin.post(`/api/requests/${pia.id}/approve`, {})).status).toBe(200)
      expect((await admin.post(`/api/requests/${nils.id}/decline`, { reason: 'Not a partner' })).status).toBe(200)
      await joinAll(stack)
      expect(stack.portal.users().some((u) => u.EMAIL === 'please@partner.example')).toBe(true)
      expect(stack.portal.users().some((u) => u.EMAIL === 'nope@partner.example')).toBe(false)
      const link = (await admin.get(`/api/join-links/${made.body.id}`)).body
      expect(link).toMatchObject({ uses: 1, stats: { joins: 2, approved: 1, declined: 1, invited: 1, awaiting: 0 } })
    })

    it('warns the link\'s owner once as it nears its cap and its expiry', async () => {
      const { stack, admin, group } = await setUp()
      const made = await newLink(admin, { target: { kind: 'group', id: group }, cap: 5, expiresOn: tomorrow() })
      for (let k = 0; k < 4; k++) expect((await join(made.body.url, { email: `w${k}@partner.example`, name: 'Wen' }, `198.51.100.${k + 1}`)).status).toBe(200)
      const view = (await admin.get(`/api/join-links/${made.body.id}`)).body
      expect(view.warnings.sort()).toEqual(['near_cap', 'near_expiry'])
      await stack.a.app.joinLinks.worker.drain()
      await stack.a.app.joinLinks.worker.drain()
      const notices = () => stack.portal.notifications().filter((n) => n.userId === 1 && /Partners 2026/.test(n.message)).map((n) => n.message)
      expect(notices().filter((m) => /nearly full: 4 of 5 used/.test(m))).toHaveLength(1)
      expect(notices().filter((m) => /expires on/.test(m))).toHaveLength(1)
      // A higher cap lets the warning go out again when the link nears it.
      expect((await admin.patch(`/api/join-links/${made.body.id}`, { cap: 20 })).body.warnings).toEqual(['near_expiry'])
      await stack.a.app.joinLinks.worker.drain()
      expect(notices().filter((m) => /nearly full/.test(m))).toHaveLength(1)
    })

    it('the QR code decodes to the link (PNG) and is an SVG too; only the owner or an admin gets it', async () => {
      const { stack, admin, group, ownerId } = await setUp()
      const made = await newLink(admin, { target: { kind: 'group', id: group } })
      const png = await admin.get(`/api/join-links/${made.body.id}/qr.png`)
      expect(png.status).toBe(200)
      expect(png.headers.get('content-type')).toBe('image/png')
      expect(decodeQrPng(png.bytes)).toBe(made.body.url)
      const svg = await admin.get(`/api/join-links/${made.body.id}/qr.svg?download=1`)
      expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/)
      expect(svg.headers.get('content-disposition')).toMatch(/^attachment; filename="?join-link-qr.svg"?$/)
      expect(svg.text).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/)
      const owner = await sessionApi(stack, ownerId)
      expect((await owner.get(`/api/join-links/${made.body.id}/qr.png`)).status).toBe(404)
      expect((await owner.get('/api/join-links')).body).toMatchObject({ rows: [], total: 0, canCreate: false })
    })

    it('a manager creates links only where a rule with "join links" lets them, with a cap and an expiry', async () => {
      const { stack, admin, group, ownerId } = await setUp()
      const owner = await sessionApi(stack, ownerId)
      const denied = await newLink(owner, { target: { kind: 'group', id: group }, cap: 10, expiresOn: tomorrow() })
      expect(denied.status, denied.text).toBe(403)
      expect(denied.body.error.code).toBe('policy_denied')
      const policy = (await admin.get('/api/policy')).body.policy
      expect((await admin.put('/api/policy', { ...policy, rules: [{ ...policy.rules[0], joinLinks: true }] })).status).toBe(200)
      expect((await owner.get('/api/join-links')).body.canCreate).toBe(true)
      const open = await newLink(owner, { target: { kind: 'group', id: group } })
      expect(open.status).toBe(400)
      expect(open.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['cap', 'expiresOn'])
      const made = await newLink(owner, { target: { kind: 'group', id: group }, cap: 10, expiresOn: tomorrow() })
      expect(made.status, made.text).toBe(201)
      expect(made.body).toMatchObject({ createdBy: ownerId, canManage: true })
      expect((await admin.get('/api/join-links')).body.total).toBe(1)
      // Someone joins; the owner's link invites as the owner.
      expect((await join(made.body.url, { email: 'mgr@partner.example', name: 'Mia' })).status).toBe(200)
      await joinAll(stack)
      const ledger = await stack.a.app.stores.ledger.findByEmail(stack.portal.memberId, 'mgr@partner.example')
      expect(ledger[0]).toMatchObject({ invitedBy: ownerId, source: 'join_link', origin: { kind: 'join_link', linkId: made.body.id } })
    })

    it('rate limits answer 429, and a flood enters the engine at the portal\'s admission rate', async () => {
      const { stack, admin, group } = await setUp({ joinsPerIpPer10Min: 3, admitPerPortalPerMinute: 5 })
      const made = await newLink(admin, { target: { kind: 'group', id: group } })
      const url: string = made.body.url
      const same = []
      for (let k = 0; k < 4; k++) same.push(await join(url, { email: `ip${k}@partner.example`, name: 'Ip' }, '192.0.2.1'))
      expect(same.map((a) => a.status)).toEqual([200, 200, 200, 429])
      expect(Number(same[3]!.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(same[3]!.text).toContain('Too many attempts')

      await Promise.all(Array.from({ length: 20 }, (_, k) => join(url, { email: `flood${k}@partner.example`, name: 'Flo' }, `198.51.100.${k + 1}`)))
      await stack.a.app.joinLinks.worker.drain()
      await stack.a.app.joinLinks.worker.drain()
      const admitted = await stack.a.app.db.db.selectFrom('join_link_joins').select((eb) => eb.fn.countAll().as('n')).where('admitted_at', 'is not', null).executeTakeFirstOrThrow()
      expect(Number(admitted.n)).toBe(5)
      const jobs = (await admin.get('/api/jobs')).body
      expect(JSON.stringify(jobs)).toContain('Join link')
      await waitForJob(admin, (await stack.a.app.db.db.selectFrom('join_link_joins').select('job_id').where('job_id', 'is not', null).executeTakeFirstOrThrow()).job_id!, (j) => j.status === 'completed', 'the first join job')
    })
  })
}
