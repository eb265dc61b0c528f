/**
 * What operators watch, in Prometheus's text format (GET /metrics behind a bearer token). Counters are this
 * instance's (Prometheus sums instances); gauges of shared state (jobs, items, the event inbox) are read from
 * the database at scrape time, so every instance reports the same totals. One registry per app: tests run
 * several instances in one process.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import { sql } from 'kysely'
import type { AppDatabase } from '../storage/database.js'

/** The portal's refusals worth counting apart from other errors. */
const LIMIT_CODES = new Set(['QUERY_LIMIT_EXCEEDED', 'OPERATION_TIME_LIMIT', 'expired_token'])

export function createMetrics(deps: { db: AppDatabase }) {
  const registry = new Registry()
  const registers = [registry]
  collectDefaultMetrics({ register: registry, prefix: 'invite_desk_' })

  const restRequests = new Counter({ name: 'invite_desk_rest_requests_total', help: 'HTTP requests sent to a portal\'s REST (each attempt, batches as one).', labelNames: ['portal'], registers })
  const limitHits = new Counter({
    name: 'invite_desk_rest_limit_hits_total', help: 'Answers refusing a request for a limit (503 QUERY_LIMIT_EXCEEDED, 429 OPERATION_TIME_LIMIT) or an expired token (401 expired_token).',
    labelNames: ['portal', 'code'], registers,
  })
  const refreshes = new Counter({ name: 'invite_desk_token_refreshes_total', help: 'OAuth token refreshes this instance made.', labelNames: ['portal'], registers })
  const events = new Counter({ name: 'invite_desk_events_received_total', help: 'Portal events received at /events, by event and outcome (accepted, refused).', labelNames: ['event', 'outcome'], registers })
  const joins = new Counter({ name: 'invite_desk_join_submissions_total', help: 'Join link page submissions, by outcome (done, invalid, refused, limited).', labelNames: ['outcome'], registers })

  const grouped = async (query: ReturnType<typeof sql<{ key: string; n: number | string }>>) =>
    (await query.execute(deps.db.db)).rows.map((r) => [r.key, Number(r.n)] as const)
  new Gauge({
    name: 'invite_desk_jobs', help: 'Invite jobs by status, over every portal.', labelNames: ['status'], registers,
    async collect() {
      this.reset()
      for (const [status, n] of await grouped(sql`select status as key, count(*) as n from invite_jobs group by status`)) this.set({ status }, n)
    },
  })
  new Gauge({
    name: 'invite_desk_job_items', help: 'Items of unfinished jobs (queued, running, paused) by state.', labelNames: ['state'], registers,
    async collect() {
      this.reset()
      const rows = await grouped(sql`select i.state as key, count(*) as n from invite_job_items i join invite_jobs j on j.id = i.job_id
        where j.status in ('queued', 'running', 'paused') group by i.state`)
      for (const [state, n] of rows) this.set({ state }, n)
    },
  })
  new Gauge({
    name: 'invite_desk_event_inbox', help: 'Portal events not yet processed, by status.', labelNames: ['status'], registers,
    async collect() {
      this.reset()
      for (const [status, n] of await grouped(sql`select status as key, count(*) as n from event_inbox where status <> 'done' group by status`)) this.set({ status }, n)
    },
  })

  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    /** One answer (or failure) from a portal's REST. */
    restAnswer(memberId: string, status: number | undefined, code: string | undefined): void {
      restRequests.inc({ portal: memberId })
      const limit = code && LIMIT_CODES.has(code) ? code : status === 503 ? 'QUERY_LIMIT_EXCEEDED' : status === 429 ? 'OPERATION_TIME_LIMIT' : null
      if (limit) limitHits.inc({ portal: memberId, code: limit })
    },
    refreshed(memberId: string): void {
      refreshes.inc({ portal: memberId })
    },
    event(event: string, outcome: 'accepted' | 'refused'): void {
      // Only names of the shape Bitrix24 uses become labels: a forged request must not mint series.
      events.inc({ event: /^ON[A-Z_]{1,60}$/.test(event) ? event : 'OTHER', outcome })
    },
    joinSubmitted(outcome: 'done' | 'invalid' | 'refused' | 'limited'): void {
      joins.inc({ outcome })
    },
  }
}

export type Metrics = ReturnType<typeof createMetrics>
