/**
 * Managers inviting from where they work, through the API over real HTTP, on SQLite and PostgreSQL: a group's
 * owner (not an admin) invites into their group within the policy (sent), past their quota (a request the
 * admin is notified of, approves in their own session, and the invitees are invited as the owner's), an
 * invite outside every rule (a request, or refused when the policy says so), a decline with its reason, a
 * withdrawn request, and the inviter told when their invitee accepts. Identity is the session's (opened on
 * the frame's verified token); every step is in the audit log.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BACKENDS } from '../helpers/databases.js'
import { installedAdmin, sessionApi, startTestStack, waitForJob, type Api } from '../helpers/api.js'
import { until, type Stack } from '../helpers/stack.js'

for (const backend of BACKENDS) {
  describe(`embedded invites and approvals on ${backend.name}`, () => {
    let s: Stack | undefined
    afterEach(async () => {
      await s?.close()
      s = undefined
    })

    async function setUp() {
      s = await startTestStack(backend, { portal: { lang: 'en' } })
      const admin = await installedAdmin(s)
      const headUser = s.portal.addUser({ NAME: 'Hanna', LAST_NAME: 'Head', EMAIL: 'hanna@example.com', UF_DEPARTMENT: [1] })
      const sales = s.portal.addDepartment({ NAME: 'Sales', PARENT: 1, UF_HEAD: headUser.ID })
      const ownerUser = s.portal.addUser({ NAME: 'Olga', LAST_NAME: 'Owner', EMAIL: 'olga@example.com', UF_DEPARTMENT: [sales.ID] })
      const otherUser = s.portal.addUser({ NAME: 'Ivan', LAST_NAME: 'Other', EMAIL: 'ivan@example.com', UF_DEPARTMENT: [1] })
      const group = s.portal.addGroup({ NAME: 'Partners', OWNER_ID: ownerUser.ID, IS_EXTRANET: true })
      // The directory cache learns the new people and groups (the app syncs before each check anyway).
      const owner = await sessionApi(s, ownerUser.ID)
      const other = await sessionApi(s, otherUser.ID)
      return { stack: s, admin, owner, other, ownerId: ownerUser.ID, otherId: otherUser.ID, headId: headUser.ID, group: group.ID, sales: sales.ID }
    }

    const check = (api: Api, groupId: number, people: string) => api.post('/api/embedded/check', { kind: 'extranet', groupId, people })
    const notified = (stack: Stack, userId: number, re: RegExp) => stack.portal.notifications().filter((n) => n.userId === userId && re.test(n.message))

    it('a group owner invites within the policy; past the quota it becomes a request the admin approves', async () => {
      const { stack, admin, owner, ownerId, group } = await setUp()
      const first = await check(owner, group, 'Guest One <one@partner.example>')
      expect(first.status, first.text).toBe(201)
      expect(first.body.decision).toEqual({ decision: 'allow', ruleId: '00000000-0000-4000-8000-000000000001' })
      const sent = await owner.post(`/api/embedded/${first.body.importId}/send`)
      expect(sent.status, sent.text).toBe(201)
      expect(sent.body.status).toBe('sent')
      await waitForJob(owner, sent.body.jobId, (j) => j.status === 'completed', 'the owner\'s send')
      expect(stack.portal.users().some((u) => u.EMAIL === 'one@partner.example')).toBe(true)

      // The admin narrows the rule to one invitation a day.
      const policy = (await admin.get('/api/policy')).body.policy
      expect((await owner.get('/api/policy')).status).toBe(403)
      const saved = await admin.put('/api/policy', { ...policy, rules: [{ ...policy.rules[0], dailyQuota: 1 }] })
      expect(saved.status, saved.text).toBe(200)

      const second = await check(owner, group, 'Guest Two <two@partner.example>\nGuest Three <three@partner.example>')
      expect(second.body.decision).toMatchObject({ decision: 'request', reasons: [expect.stringMatching(/daily quota is 1 invitations \(1 sent/)] })
      const asked = await owner.post(`/api/embedded/${second.body.importId}/send`)
      expect(asked.status, asked.text).toBe(202)
      expect(asked.body).toMatchObject({ status: 'requested', requestId: expect.any(String) })
      expect(stack.portal.users().some((u) => u.EMAIL === 'two@partner.example')).toBe(false)
      // The group's owner asked, so the admins decide; the installing admin is notified.
      expect(notified(stack, 1, /asks to invite 2 people/)).toHaveLength(1)

      const mine = await owner.get('/api/requests')
      expect(mine.body.rows).toHaveLength(1)
      expect(mine.body.rows[0]).toMatchObject({ state: 'pending', canDecide: false, canCancel: true, people: [{ email: 'two@partner.example' }, { email: 'three@partner.example' }] })
      expect((await owner.post(`/api/requests/${asked.body.requestId}/approve`, {})).status).toBe(403)

      const approved = await admin.post(`/api/requests/${asked.body.requestId}/approve`, { reason: 'Project kick-off' })
      expect(approved.status, approved.text).toBe(200)
      expect(approved.body.request).toMatchObject({ state: 'approved', decidedBy: 1, jobId: expect.any(String) })
      await waitForJob(owner, approved.body.request.jobId, (j) => j.status === 'completed', 'the approved send')
      const two = stack.portal.users().find((u) => u.EMAIL === 'two@partner.example')!
      expect(two).toBeDefined()
      expect(notified(stack, ownerId, /approved and the invitations were sent/)).toHaveLength(1)
      // The requester's notice has its own tag: the approver's notification is not replaced by it.
      expect(notified(stack, 1, /asks to invite 2 people/)).toHaveLength(1)
      // Invited as the owner's own: the ledger says who asked.
      const ledger = await stack.a.app.stores.ledger.findByEmail(stack.portal.memberId, 'two@partner.example')
      expect(ledger[0]).toMatchObject({ invitedBy: ownerId, source: 'group_tab', target: { groupIds: [group] } })
      expect((await admin.post(`/api/requests/${asked.body.requestId}/approve`, {})).status).toBe(409)

      // A day later the owner gets the daily list of what still waits (three is still pending), once a day.
      const digest = stack.a.app.scheduler
      await stack.a.app.db.db.updateTable('invitations').set({ sent_at: Date.now() - 2 * 86_400_000 }).where('member_id', '=', stack.portal.memberId).execute()
      await digest.runNow()
      const pending = notified(stack, ownerId, /still pending/)
      expect(pending).toHaveLength(1)
      // Two and Three were created by one job in the same millisecond: their order is the ledger's tie-break (ids).
      expect(pending[0]!.message).toMatch(/3 of your invitations are still pending: Guest One, (Guest Two, Guest Three|Guest Three, Guest Two)\./)
      await digest.runNow()
      expect(notified(stack, ownerId, /still pending/)).toHaveLength(1)

      // The invitee accepts: the owner hears of it.
      await stack.portal.acceptInvitation('two@partner.example')
      await until(() => notified(stack, ownerId, /accepted your invitation/).length > 0 || undefined, 'the acceptance notice')

      const audit = await stack.a.app.stores.audit.list(stack.portal.memberId, { limit: 50 })
      expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['policy.saved', 'invite.embedded', 'invite_request.created', 'invite_request.approved']))
      // The admins' audit log: filtered to the request family and to one actor, and exported.
      const requestsOnly = (await admin.get('/api/audit?action=invite_request.')).body.entries as Array<{ action: string; details: { placement?: string } }>
      expect(requestsOnly.map((e) => e.action).sort()).toEqual(['invite_request.approved', 'invite_request.created'])
      const byOwner = (await admin.get(`/api/audit?actor=${ownerId}`)).body.entries as Array<{ action: string; actorUserId: number }>
      expect(byOwner.length).toBeGreaterThan(0)
      expect(byOwner.every((e) => e.actorUserId === ownerId)).toBe(true)
      const csv = await admin.get('/api/audit/export.csv?action=invite.embedded')
      expect(csv.status).toBe(200)
      expect(csv.text.split('\n')[0]).toContain('Placement')
      expect(csv.text).toContain('invite.embedded')
      expect(csv.text).not.toContain('invite_request.created')
      expect((await owner.get('/api/audit')).status).toBe(403)
      expect((await owner.get('/api/audit/export.csv')).status).toBe(403)
    })

    it('someone no rule covers asks, the admin declines with a reason; a request can be withdrawn; "deny" refuses', async () => {
      const { stack, admin, other, otherId, group } = await setUp()
      // Ivan manages no group: the default policy lets only group managers invite, so this is a request.
      const c = await check(other, group, 'stranger@partner.example')
      expect(c.body.decision).toMatchObject({ decision: 'request', ruleId: null, reasons: ['no invitation rule covers you'] })
      const asked = await other.post(`/api/embedded/${c.body.importId}/send`)
      expect(asked.status).toBe(202)
      // The group's owner decides for their group, besides the admins; Ivan cannot decide his own.
      const req = (await other.get(`/api/requests/${asked.body.requestId}`)).body.request
      expect(req).toMatchObject({ approverId: expect.any(Number), canDecide: false })
      expect((await other.post(`/api/requests/${asked.body.requestId}/decline`, { reason: '' })).status).toBe(400)
      const declined = await admin.post(`/api/requests/${asked.body.requestId}/decline`, { reason: 'Use the partner portal' })
      expect(declined.body.request).toMatchObject({ state: 'declined', decisionReason: 'Use the partner portal' })
      expect(notified(stack, otherId, /declined\. Reason: Use the partner portal/)).toHaveLength(1)
      expect(stack.portal.users().some((u) => u.EMAIL === 'stranger@partner.example')).toBe(false)

      const again = await check(other, group, 'later@partner.example')
      const asked2 = await other.post(`/api/embedded/${again.body.importId}/send`)
      const withdrawn = await other.post(`/api/requests/${asked2.body.requestId}/cancel`)
      expect(withdrawn.body.request.state).toBe('cancelled')
      expect((await admin.post(`/api/requests/${asked2.body.requestId}/approve`, {})).status).toBe(409)

      const policy = (await admin.get('/api/policy')).body.policy
      await admin.put('/api/policy', { ...policy, outsidePolicy: 'deny' })
      const denied = await check(other, group, 'nobody@partner.example')
      expect(denied.body.decision).toMatchObject({ decision: 'deny' })
      const refused = await other.post(`/api/embedded/${denied.body.importId}/send`)
      expect(refused.status).toBe(403)
      expect(refused.body.error).toMatchObject({ code: 'policy_denied', details: { reasons: ['no invitation rule covers you'] } })
      // Another user's checked list cannot be sent by someone else.
      const foreign = await admin.post(`/api/embedded/${denied.body.importId}/send`)
      expect(foreign.status).toBe(404)
    })

    it('a rule for a department lets its people invite employees into their own department only; its head may see them', async () => {
      const { stack, admin, owner, other, headId, sales } = await setUp()
      const policy = (await admin.get('/api/policy')).body.policy
      await admin.put('/api/policy', {
        ...policy,
        outsidePolicy: 'deny',
        rules: [...policy.rules, {
          id: '11111111-1111-4111-8111-111111111111', who: { kind: 'departments', ids: [sales] }, kinds: ['intranet'],
          templates: { mode: 'all', ids: [] }, departments: { mode: 'own', ids: [] }, groups: { mode: 'managed', ids: [] }, dailyQuota: 10, approval: 'never',
        }],
      })
      const own = await owner.post('/api/embedded/check', { kind: 'intranet', departmentId: sales, people: 'new.colleague@example.com' })
      expect(own.status, own.text).toBe(201)
      expect(own.body.decision).toEqual({ decision: 'allow', ruleId: '11111111-1111-4111-8111-111111111111' })
      const elsewhere = await owner.post('/api/embedded/check', { kind: 'intranet', departmentId: 1, people: 'new.colleague@example.com' })
      expect(elsewhere.body.decision).toMatchObject({ decision: 'deny', reasons: ['you may not invite into this department'] })
      expect((await owner.post('/api/embedded/check', { kind: 'intranet', departmentId: null, people: 'x@example.com' })).body.error.code).toBe('missing_department')

      const sent = await owner.post(`/api/embedded/${own.body.importId}/send`)
      expect(sent.status, sent.text).toBe(201)
      await waitForJob(owner, sent.body.jobId, (j) => j.status === 'completed', 'the colleague invite')
      const head = await sessionApi(stack, headId)
      const emails = async (api: Api) => ((await api.get('/api/invitations')).body.rows as Array<{ email: string }>).map((r) => r.email)
      // By default everyone sees only their own invitations.
      expect(await emails(head)).toEqual([])
      expect(await emails(owner)).toEqual(['new.colleague@example.com'])
      const policy2 = (await admin.get('/api/policy')).body.policy
      await admin.put('/api/policy', { ...policy2, departmentVisibility: true })
      // The head of Sales sees the invitations of Sales' people; someone outside Sales still sees none of them.
      expect(await emails(head)).toEqual(['new.colleague@example.com'])
      expect(await emails(other)).toEqual([])
      const id = (await owner.get('/api/invitations')).body.rows[0].id as string
      expect((await head.get(`/api/invitations/${id}`)).status).toBe(200)
      expect((await other.get(`/api/invitations/${id}`)).status).toBe(404)
    })
  })
}
