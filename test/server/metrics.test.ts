/**
 * GET /metrics (Prometheus text format) over real HTTP, on SQLite and PostgreSQL: refused without the
 * configured bearer token; after a bulk job, a refused limit, an expired token, a forged event, a real one
 * and a join, it reports the jobs and items by state (read from the database), REST requests and limit hits
 * per portal, the refresh, the events by outcome and the join submissions; no secret is in it.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BACKENDS } from '../helpers/databases.js'
import { csv, installedAdmin, people, sendList, startTestStack, waitForJob } from '../helpers/api.js'
import { APP_SECRET, CLIENT_SECRET, METRICS_TOKEN, postForm, type Stack } from '../helpers/stack.js'

/** `name{labels} value` lines of a Prometheus text answer, keyed by name and labels as written. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    out.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return out
}

for (const backend of BACKENDS) {
  describe(`metrics on ${backend.name}`, () => {
    let s: Stack | undefined
    afterEach(async () => {
      await s?.close()
      s = undefined
    })

    const scrape = async (stack: Stack, token: string | null) => {
      const res = await fetch(`${stack.a.url}/metrics`, token === null ? {} : { headers: { authorization: `Bearer ${token}` } })
      return { status: res.status, text: await res.text(), type: res.headers.get('content-type') }
    }

    it('is refused without the token, then counts jobs, REST requests, limit hits, refreshes, events and joins', async () => {
      s = await startTestStack(backend, { portal: { lang: 'en' } })
      const stack = s
      const admin = await installedAdmin(stack)
      expect((await scrape(stack, null)).status).toBe(401)
      expect((await scrape(stack, 'wrong-token-of-the-right-length-000')).status).toBe(401)

      // A bulk job of 60, the portal refusing one request for its rate limit on the way.
      stack.portal.injectFault({ method: 'batch', kind: 'QUERY_LIMIT_EXCEEDED', times: 1 })
      const jobId = await sendList(admin, csv(people(60, 'metric')), 'metrics.csv')
      await waitForJob(admin, jobId, (j) => j.status === 'completed', 'the bulk job')
      // An expired access token: one 401 expired_token, one refresh.
      stack.portal.expireAccessTokens()
      expect((await admin.post('/api/directory/sync', {})).status).toBeLessThan(300)
      // A forged event and a real one.
      const forged = await postForm(`${stack.a.url}/events`, { event: 'ONUSERADD', data: { ID: '5' }, auth: { member_id: stack.portal.memberId, application_token: 'forged' } })
      expect(forged.status).toBe(401)
      await stack.portal.fireEvent('ONUSERADD', { ID: '1' })
      // One person joins through a join link into department 1.
      const link = await admin.post('/api/join-links', { name: 'Staff', target: { kind: 'department', id: 1 }, templateId: null, expiresOn: null, cap: null, allowedDomains: [], approval: false })
      expect(link.status, link.text).toBe(201)
      expect((await postForm(link.body.url, { email: 'joiner@example.test', name: 'Jo' })).status).toBe(200)

      const m = await scrape(stack, METRICS_TOKEN)
      expect(m.status).toBe(200)
      expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/)
      const v = samples(m.text)
      const portal = `portal="${stack.portal.memberId}"`
      expect(v.get('invite_desk_jobs{status="completed"}')).toBe(1)
      expect(v.get(`invite_desk_rest_requests_total{${portal}}`)).toBeGreaterThanOrEqual(3)
      expect(v.get(`invite_desk_rest_limit_hits_total{${portal},code="QUERY_LIMIT_EXCEEDED"}`)).toBe(1)
      // Every request in flight when the token expired got its 401; they shared one refresh.
      expect(v.get(`invite_desk_rest_limit_hits_total{${portal},code="expired_token"}`)).toBeGreaterThanOrEqual(1)
      expect(v.get(`invite_desk_token_refreshes_total{${portal}}`)).toBe(1)
      expect(v.get('invite_desk_events_received_total{event="ONUSERADD",outcome="refused"}')).toBe(1)
      expect(v.get('invite_desk_events_received_total{event="ONUSERADD",outcome="accepted"}')).toBe(1)
      expect(v.get('invite_desk_join_submissions_total{outcome="done"}')).toBe(1)
      expect(v.get('invite_desk_process_resident_memory_bytes')).toBeGreaterThan(0)
      // Nothing secret: tokens, the client secret, the app secret, the metrics token itself.
      const row = (await stack.a.app.stores.portals.get(stack.portal.memberId))!
      for (const secret of [CLIENT_SECRET, APP_SECRET, METRICS_TOKEN, row.tokens!.accessToken, row.tokens!.refreshToken, row.applicationToken!]) expect(m.text).not.toContain(secret)

      // Items of unfinished jobs, by state: a job created and not started yet holds 5 queued rows.
      await stack.a.app.stores.jobs.create(
        { memberId: stack.portal.memberId, kind: 'bulk_invite', source: 'wizard', createdBy: 1, templateId: null, title: 'Later', options: {} },
        Array.from({ length: 5 }, (_, k) => ({ email: `later${k}@example.com`, phone: null, payload: {} })),
      )
      const after = samples((await scrape(stack, METRICS_TOKEN)).text)
      expect(after.get('invite_desk_job_items{state="queued"}')).toBe(5)
      expect(after.get('invite_desk_jobs{status="queued"}')).toBe(1)
    })
  })
}
