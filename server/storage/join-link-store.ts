import { randomUUID } from 'node:crypto'
import { sql, type Selectable } from 'kysely'
import type { AppDatabase } from './database.js'
import { toJsonText } from './json-column.js'
import type { SecretBox } from './portal-store.js'
import type { JoinLinkJoinsTable, JoinLinksTable } from './schema.js'

export type JoinTargetKind = JoinLinksTable['target_kind']
export type JoinLinkState = JoinLinksTable['state']
/** What the public page does now: the state, or 'expired' / 'full' for an active link past its date or at its cap. */
export type JoinLinkStatus = JoinLinkState | 'expired' | 'full'
export type JoinState = JoinLinkJoinsTable['state']

export interface JoinLink {
  id: string
  memberId: string
  /** The secret part of the public URL. */
  token: string
  name: string
  target: { kind: JoinTargetKind; id: number }
  templateId: string | null
  expiresAt: number | null
  cap: number | null
  uses: number
  allowedDomains: string[]
  approval: boolean
  state: JoinLinkState
  views: number
  createdBy: number
  ownerAdmin: boolean
  capWarnedAt: number | null
  expiryWarnedAt: number | null
  createdAt: number
  updatedAt: number
}

export type NewJoinLink = Pick<JoinLink, 'memberId' | 'token' | 'name' | 'target' | 'templateId' | 'expiresAt' | 'cap' | 'allowedDomains' | 'approval' | 'createdBy' | 'ownerAdmin'>
export type JoinLinkPatch = Partial<Pick<JoinLink, 'name' | 'target' | 'templateId' | 'expiresAt' | 'cap' | 'allowedDomains' | 'approval' | 'ownerAdmin'>>

export interface Join {
  id: string
  linkId: string
  memberId: string
  email: string
  name: string
  lastName: string | null
  lang: 'ru' | 'en'
  state: JoinState
  requestId: string | null
  approvedBy: number | null
  jobId: string | null
  jobSeq: number | null
  admittedAt: number | null
  error: string | null
  createdAt: number
  updatedAt: number
}

/** A join with what became of it: its job item and its ledger entry. */
export interface JoinOutcome extends Join {
  item: { state: 'queued' | 'sending' | 'invited' | 'skipped' | 'failed'; errorMessage: string | null } | null
  invitation: { id: string; state: 'sent' | 'pending' | 'accepted' | 'expired' | 'revoked' | 'failed' } | null
}

export interface JoinLinkStats { views: number; joins: number; awaiting: number; approved: number; declined: number; invited: number; accepted: number; failed: number }

export type JoinAttempt =
  | { kind: 'joined'; join: Join }
  /** This address joined through this link before: nothing new is taken or stored. */
  | { kind: 'duplicate'; join: Join }
  | { kind: 'refused'; reason: 'missing' | 'paused' | 'revoked' | 'expired' | 'full' }

export interface JoinPerson { email: string; name: string; lastName: string | null; lang: 'ru' | 'en' }

export interface JoinLinkStore {
  create(link: NewJoinLink, tokenHash: string, now: number): Promise<JoinLink>
  get(memberId: string, id: string): Promise<JoinLink | undefined>
  byTokenHash(tokenHash: string): Promise<JoinLink | undefined>
  /** Newest first; `createdBy` limits to one owner's links; `status` is evaluated at `now`; `q` searches names. */
  list(memberId: string, q: { createdBy?: number; status?: JoinLinkStatus; q?: string; now: number; limit: number; offset: number }): Promise<{ rows: JoinLink[]; total: number }>
  /** Not for a revoked link (undefined then). A new cap or expiry lets its warning go out again. */
  update(memberId: string, id: string, patch: JoinLinkPatch, now: number): Promise<JoinLink | undefined>
  /** Compare-and-set of the state; false when it was not in `from`. */
  setState(memberId: string, id: string, from: JoinLinkState[], to: JoinLinkState, now: number): Promise<boolean>
  countView(id: string): Promise<void>
  /**
   * Takes one of the link's slots and records the join, atomically: the slot is taken only while the link is
   * active, unexpired and under its cap (one UPDATE … WHERE uses < cap, exact under concurrent joins), and
   * given back if the address joined meanwhile.
   */
  join(linkId: string, person: JoinPerson & { awaitingApproval: boolean }, now: number): Promise<JoinAttempt>
  stats(memberId: string, linkIds: string[]): Promise<Map<string, JoinLinkStats>>
  joins(memberId: string, linkId: string, page: { limit: number; offset: number }): Promise<{ rows: JoinOutcome[]; total: number }>
  getJoin(memberId: string, id: string): Promise<Join | undefined>
  /** The links these joins came through (for invite requests about joins). */
  linksOfJoins(memberId: string, joinIds: string[]): Promise<Map<string, { id: string; name: string }>>

  // --- the join worker -----------------------------------------------------------------------------
  /** Links with work: queued joins, joins awaiting approval without a request, dispatches gone stale. */
  linksWithWork(staleBefore: number, limit: number): Promise<Array<{ memberId: string; linkId: string }>>
  claimDispatch(linkId: string, owner: string, now: number, ttlMs: number): Promise<boolean>
  releaseDispatch(linkId: string, owner: string): Promise<void>
  /** Queued joins of the link → 'dispatching' under `jobId` (the job is created after, with this id). */
  claimQueued(linkId: string, jobId: string, now: number, limit: number): Promise<Join[]>
  staleDispatching(linkId: string, before: number): Promise<Join[]>
  /** Dispatching joins whose job was created: 'sent' with their item's seq. */
  markSent(jobId: string, seqs: Array<{ id: string; seq: number }>, now: number): Promise<void>
  /** Dispatching joins whose job does not exist: back to 'queued'. */
  release(ids: string[], now: number): Promise<void>
  /** Compare-and-set of a join's state with what goes with it. */
  settle(id: string, from: JoinState[], to: JoinState, fields: { error?: string | null; requestId?: string | null; approvedBy?: number | null }, now: number): Promise<boolean>
  /** A declined join gives its slot back (never below zero). */
  releaseSlot(linkId: string, now: number): Promise<void>
  awaitingWithoutRequest(linkId: string, limit: number): Promise<Join[]>
  /** Queued joins nobody approved → awaiting approval (the link's owner may no longer invite there); answers how many. */
  holdUnapproved(linkId: string, now: number): Promise<number>
  /** Queued joins of a revoked link: they are not sent (answers how many). */
  failQueued(linkId: string, error: string, now: number): Promise<number>
  /** Joins of the portal taken into jobs since `since` (its admission window). */
  admittedSince(memberId: string, since: number): Promise<number>
  /** Active links nearing their cap (≥ 80 %) or expiry (within `expiryWithinMs`) whose warning has not gone out. */
  dueWarnings(now: number, expiryWithinMs: number, limit: number): Promise<Array<{ link: JoinLink; kind: 'cap' | 'expiry' }>>
  /** Once per link and kind, across instances. */
  claimWarning(id: string, kind: 'cap' | 'expiry', now: number): Promise<boolean>
}

type LinkRow = Selectable<JoinLinksTable>
type JoinRow = Selectable<JoinLinkJoinsTable>

const num = (v: unknown): number => Number(v ?? 0)
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))

function strings(text: string): string[] {
  try {
    const v: unknown = JSON.parse(text)
    return Array.isArray(v) ? v.map(String) : []
  } catch {
    return []
  }
}

function toJoin(r: JoinRow): Join {
  return {
    id: r.id, linkId: r.link_id, memberId: r.member_id, email: r.email, name: r.name, lastName: r.last_name, lang: r.lang, state: r.state,
    requestId: r.request_id, approvedBy: numOrNull(r.approved_by), jobId: r.job_id, jobSeq: numOrNull(r.job_seq), admittedAt: numOrNull(r.admitted_at),
    error: r.error, createdAt: num(r.created_at), updatedAt: num(r.updated_at),
  }
}

/** Why a link takes no join now (for a link that took none). */
export function refusalOf(link: { state: JoinLinkState; expiresAt: number | null; cap: number | null; uses: number } | undefined, now: number): Extract<JoinAttempt, { kind: 'refused' }>['reason'] {
  if (!link) return 'missing'
  if (link.state !== 'active') return link.state
  if (link.expiresAt !== null && link.expiresAt <= now) return 'expired'
  return 'full'
}

export function statusOf(link: Pick<JoinLink, 'state' | 'expiresAt' | 'cap' | 'uses'>, now: number): JoinLinkStatus {
  if (link.state !== 'active') return link.state
  if (link.expiresAt !== null && link.expiresAt <= now) return 'expired'
  if (link.cap !== null && link.uses >= link.cap) return 'full'
  return 'active'
}

class JoinedMeanwhile extends Error {}

/**
 * Link names containing `term`, ignoring case in every script. SQLite's lower() folds ASCII only (a Cyrillic
 * name would never match), so there each cased letter becomes a GLOB set of its two cases; on PostgreSQL,
 * lower() folds Unicode. Wildcards in the term are literal on both.
 */
function nameContains(dialect: AppDatabase['dialect'], term: string) {
  const lower = term.toLowerCase()
  if (dialect === 'postgres') return sql<boolean>`lower(name) like ${`%${lower.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} escape '\\'`
  const glob = [...lower].map((c) => {
    const upper = c.toUpperCase()
    if (upper !== c && [...upper].length === 1) return `[${c}${upper}]`
    return /[*?[]/.test(c) ? `[${c}]` : c
  })
  return sql<boolean>`name glob ${`*${glob.join('')}*`}`
}

export function createJoinLinkStore(app: AppDatabase, box: SecretBox): JoinLinkStore {
  const { db } = app

  const toLink = (r: LinkRow): JoinLink => ({
    id: r.id, memberId: r.member_id, token: box.open(r.token), name: r.name, target: { kind: r.target_kind, id: num(r.target_id) },
    templateId: r.template_id, expiresAt: numOrNull(r.expires_at), cap: numOrNull(r.cap), uses: num(r.uses), allowedDomains: strings(r.allowed_domains),
    approval: r.approval === 1, state: r.state, views: num(r.views), createdBy: num(r.created_by), ownerAdmin: r.owner_admin === 1,
    capWarnedAt: numOrNull(r.cap_warned_at), expiryWarnedAt: numOrNull(r.expiry_warned_at), createdAt: num(r.created_at), updatedAt: num(r.updated_at),
  })

  const getLink = async (memberId: string, id: string) => {
    const row = await db.selectFrom('join_links').selectAll().where('member_id', '=', memberId).where('id', '=', id).executeTakeFirst()
    return row ? toLink(row) : undefined
  }

  return {
    async create(l, tokenHash, now) {
      const row = await db
        .insertInto('join_links')
        .values({
          id: randomUUID(), member_id: l.memberId, token_hash: tokenHash, token: box.seal(l.token), name: l.name, target_kind: l.target.kind, target_id: l.target.id,
          template_id: l.templateId, expires_at: l.expiresAt, cap: l.cap, uses: 0, allowed_domains: toJsonText(l.allowedDomains), approval: l.approval ? 1 : 0,
          state: 'active', views: 0, created_by: l.createdBy, owner_admin: l.ownerAdmin ? 1 : 0, cap_warned_at: null, expiry_warned_at: null,
          dispatch_owner: null, dispatch_until: null, created_at: now, updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
      return toLink(row)
    },

    get: getLink,

    async byTokenHash(tokenHash) {
      const row = await db.selectFrom('join_links').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst()
      return row ? toLink(row) : undefined
    },

    async list(memberId, q) {
      let base = db.selectFrom('join_links').where('member_id', '=', memberId)
      if (q.createdBy !== undefined) base = base.where('created_by', '=', q.createdBy)
      if (q.q?.trim()) base = base.where(nameContains(app.dialect, q.q.trim()))
      const now = q.now
      const unexpired = sql<boolean>`(expires_at is null or expires_at > ${now})`
      const underCap = sql<boolean>`(cap is null or uses < cap)`
      switch (q.status) {
        case 'revoked':
        case 'paused':
          base = base.where('state', '=', q.status)
          break
        case 'expired':
          base = base.where('state', '=', 'active').where('expires_at', '<=', now)
          break
        case 'full':
          base = base.where('state', '=', 'active').where(unexpired).where(sql<boolean>`(cap is not null and uses >= cap)`)
          break
        case 'active':
          base = base.where('state', '=', 'active').where(unexpired).where(underCap)
          break
      }
      const [rows, total] = await Promise.all([
        base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit).offset(q.offset).execute(),
        base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
      ])
      return { rows: rows.map(toLink), total: num(total.n) }
    },

    async update(memberId, id, p, now) {
      const set: Partial<Record<keyof JoinLinksTable, unknown>> = { updated_at: now }
      if (p.name !== undefined) set.name = p.name
      if (p.target !== undefined) {
        set.target_kind = p.target.kind
        set.target_id = p.target.id
      }
      if (p.templateId !== undefined) set.template_id = p.templateId
      if (p.expiresAt !== undefined) {
        set.expires_at = p.expiresAt
        set.expiry_warned_at = null
      }
      if (p.cap !== undefined) {
        set.cap = p.cap
        set.cap_warned_at = null
      }
      if (p.allowedDomains !== undefined) set.allowed_domains = toJsonText(p.allowedDomains)
      if (p.approval !== undefined) set.approval = p.approval ? 1 : 0
      if (p.ownerAdmin !== undefined) set.owner_admin = p.ownerAdmin ? 1 : 0
      const row = await db
        .updateTable('join_links')
        .set(set as never)
        .where('member_id', '=', memberId)
        .where('id', '=', id)
        .where('state', '!=', 'revoked')
        .returningAll()
        .executeTakeFirst()
      return row ? toLink(row) : undefined
    },

    async setState(memberId, id, from, to, now) {
      const r = await db.updateTable('join_links').set({ state: to, updated_at: now }).where('member_id', '=', memberId).where('id', '=', id).where('state', 'in', from).executeTakeFirst()
      return num(r.numUpdatedRows) > 0
    },

    async countView(id) {
      await db.updateTable('join_links').set((eb) => ({ views: eb('views', '+', 1) })).where('id', '=', id).execute()
    },

    async join(linkId, p, now) {
      const emailLc = p.email.toLowerCase()
      const prior = async () => {
        const row = await db.selectFrom('join_link_joins').selectAll().where('link_id', '=', linkId).where('email_lc', '=', emailLc).executeTakeFirst()
        return row ? toJoin(row) : undefined
      }
      const before = await prior()
      if (before) return { kind: 'duplicate', join: before }
      try {
        return await db.transaction().execute(async (trx): Promise<JoinAttempt> => {
          const taken = await trx
            .updateTable('join_links')
            .set((eb) => ({ uses: eb('uses', '+', 1), updated_at: now }))
            .where('id', '=', linkId)
            .where('state', '=', 'active')
            .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
            .where((eb) => eb.or([eb('cap', 'is', null), eb('uses', '<', eb.ref('cap'))]))
            .returning(['member_id'])
            .executeTakeFirst()
          if (!taken) {
            // The same address that joined meanwhile (e.g. took the last slot) is that join, not a refusal.
            const meanwhile = await trx.selectFrom('join_link_joins').selectAll().where('link_id', '=', linkId).where('email_lc', '=', emailLc).executeTakeFirst()
            if (meanwhile) return { kind: 'duplicate', join: toJoin(meanwhile) }
            const l = await trx.selectFrom('join_links').select(['state', 'expires_at', 'cap', 'uses']).where('id', '=', linkId).executeTakeFirst()
            return { kind: 'refused', reason: refusalOf(l && { state: l.state, expiresAt: numOrNull(l.expires_at), cap: numOrNull(l.cap), uses: num(l.uses) }, now) }
          }
          const row: JoinRow = {
            id: randomUUID(), link_id: linkId, member_id: taken.member_id, email: p.email, email_lc: emailLc, name: p.name, last_name: p.lastName, lang: p.lang,
            state: p.awaitingApproval ? 'awaiting_approval' : 'queued', request_id: null, approved_by: null, job_id: null, job_seq: null, admitted_at: null, error: null,
            created_at: now, updated_at: now,
          }
          // The same address submitted at the same moment: the other one's insert wins, and this slot goes back.
          const inserted = await trx.insertInto('join_link_joins').values(row).onConflict((oc) => oc.columns(['link_id', 'email_lc']).doNothing()).returning('id').executeTakeFirst()
          if (!inserted) throw new JoinedMeanwhile()
          return { kind: 'joined', join: toJoin(row) }
        })
      } catch (e) {
        if (!(e instanceof JoinedMeanwhile)) throw e
        const other = await prior()
        if (!other) throw e
        return { kind: 'duplicate', join: other }
      }
    },

    async stats(memberId, linkIds) {
      const out = new Map<string, JoinLinkStats>()
      if (linkIds.length === 0) return out
      const [views, rows] = await Promise.all([
        db.selectFrom('join_links').select(['id', 'views']).where('member_id', '=', memberId).where('id', 'in', linkIds).execute(),
        db
          .selectFrom('join_link_joins as j')
          .leftJoin('invitations as inv', (jn) => jn.onRef('inv.member_id', '=', 'j.member_id').onRef('inv.job_id', '=', 'j.job_id').onRef('inv.job_seq', '=', 'j.job_seq'))
          .leftJoin('invite_job_items as it', (jn) => jn.onRef('it.job_id', '=', 'j.job_id').onRef('it.seq', '=', 'j.job_seq'))
          .where('j.member_id', '=', memberId)
          .where('j.link_id', 'in', linkIds)
          .groupBy('j.link_id')
          .select([
            'j.link_id as linkId',
            sql<number>`count(*)`.as('joins'),
            sql<number>`sum(case when j.state = 'awaiting_approval' then 1 else 0 end)`.as('awaiting'),
            sql<number>`sum(case when j.approved_by is not null then 1 else 0 end)`.as('approved'),
            sql<number>`sum(case when j.state = 'declined' then 1 else 0 end)`.as('declined'),
            sql<number>`sum(case when inv.id is not null and inv.state <> 'failed' then 1 else 0 end)`.as('invited'),
            sql<number>`sum(case when inv.state = 'accepted' then 1 else 0 end)`.as('accepted'),
            sql<number>`sum(case when j.state = 'failed' or it.state = 'failed' then 1 else 0 end)`.as('failed'),
          ])
          .execute(),
      ])
      for (const v of views) out.set(v.id, { views: num(v.views), joins: 0, awaiting: 0, approved: 0, declined: 0, invited: 0, accepted: 0, failed: 0 })
      for (const r of rows) {
        const s = out.get(r.linkId)
        if (!s) continue
        Object.assign(s, { joins: num(r.joins), awaiting: num(r.awaiting), approved: num(r.approved), declined: num(r.declined), invited: num(r.invited), accepted: num(r.accepted), failed: num(r.failed) })
      }
      return out
    },

    async joins(memberId, linkId, page) {
      const base = db.selectFrom('join_link_joins as j').where('j.member_id', '=', memberId).where('j.link_id', '=', linkId)
      const [rows, total] = await Promise.all([
        base
          .leftJoin('invitations as inv', (jn) => jn.onRef('inv.member_id', '=', 'j.member_id').onRef('inv.job_id', '=', 'j.job_id').onRef('inv.job_seq', '=', 'j.job_seq'))
          .leftJoin('invite_job_items as it', (jn) => jn.onRef('it.job_id', '=', 'j.job_id').onRef('it.seq', '=', 'j.job_seq'))
          .selectAll('j')
          .select(['it.state as item_state', 'it.error_message as item_error', 'inv.id as inv_id', 'inv.state as inv_state'])
          .orderBy('j.created_at', 'desc')
          .orderBy('j.id', 'desc')
          .limit(page.limit)
          .offset(page.offset)
          .execute(),
        base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
      ])
      return {
        rows: rows.map((r) => ({
          ...toJoin(r),
          item: r.item_state ? { state: r.item_state, errorMessage: r.item_error ?? null } : null,
          invitation: r.inv_id && r.inv_state ? { id: r.inv_id, state: r.inv_state } : null,
        })),
        total: num(total.n),
      }
    },

    async getJoin(memberId, id) {
      const row = await db.selectFrom('join_link_joins').selectAll().where('member_id', '=', memberId).where('id', '=', id).executeTakeFirst()
      return row ? toJoin(row) : undefined
    },

    async linksOfJoins(memberId, joinIds) {
      const out = new Map<string, { id: string; name: string }>()
      if (joinIds.length === 0) return out
      const rows = await db
        .selectFrom('join_link_joins as j')
        .innerJoin('join_links as l', 'l.id', 'j.link_id')
        .select(['j.id as joinId', 'l.id as linkId', 'l.name as name'])
        .where('j.member_id', '=', memberId)
        .where('j.id', 'in', joinIds)
        .execute()
      for (const r of rows) out.set(r.joinId, { id: r.linkId, name: r.name })
      return out
    },

    async linksWithWork(staleBefore, limit) {
      const rows = await db
        .selectFrom('join_link_joins')
        .select(['member_id', 'link_id'])
        .where((eb) => eb.or([
          eb('state', '=', 'queued'),
          eb.and([eb('state', '=', 'awaiting_approval'), eb('request_id', 'is', null)]),
          eb.and([eb('state', '=', 'dispatching'), eb('admitted_at', '<', staleBefore)]),
        ]))
        .groupBy(['member_id', 'link_id'])
        .limit(limit)
        .execute()
      return rows.map((r) => ({ memberId: r.member_id, linkId: r.link_id }))
    },

    async claimDispatch(linkId, owner, now, ttlMs) {
      const r = await db
        .updateTable('join_links')
        .set({ dispatch_owner: owner, dispatch_until: now + ttlMs })
        .where('id', '=', linkId)
        .where((eb) => eb.or([eb('dispatch_owner', 'is', null), eb('dispatch_owner', '=', owner), eb('dispatch_until', '<', now)]))
        .executeTakeFirst()
      return num(r.numUpdatedRows) > 0
    },

    async releaseDispatch(linkId, owner) {
      await db.updateTable('join_links').set({ dispatch_owner: null, dispatch_until: null }).where('id', '=', linkId).where('dispatch_owner', '=', owner).execute()
    },

    async claimQueued(linkId, jobId, now, limit) {
      // The dispatcher holds the link's claim: no other instance picks these rows meanwhile.
      const ids = await db.selectFrom('join_link_joins').select('id').where('link_id', '=', linkId).where('state', '=', 'queued').orderBy('created_at').orderBy('id').limit(limit).execute()
      if (ids.length === 0) return []
      const rows = await db
        .updateTable('join_link_joins')
        .set({ state: 'dispatching', job_id: jobId, job_seq: null, admitted_at: now, updated_at: now })
        .where('id', 'in', ids.map((r) => r.id))
        .where('state', '=', 'queued')
        .returningAll()
        .execute()
      return rows.map(toJoin).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
    },

    async staleDispatching(linkId, before) {
      const rows = await db.selectFrom('join_link_joins').selectAll().where('link_id', '=', linkId).where('state', '=', 'dispatching').where('admitted_at', '<', before).execute()
      return rows.map(toJoin)
    },

    async markSent(jobId, seqs, now) {
      for (const s of seqs) {
        await db.updateTable('join_link_joins').set({ state: 'sent', job_seq: s.seq, updated_at: now }).where('id', '=', s.id).where('job_id', '=', jobId).where('state', '=', 'dispatching').execute()
      }
    },

    async release(ids, now) {
      if (ids.length === 0) return
      await db.updateTable('join_link_joins').set({ state: 'queued', job_id: null, job_seq: null, admitted_at: null, updated_at: now }).where('id', 'in', ids).where('state', '=', 'dispatching').execute()
    },

    async settle(id, from, to, fields, now) {
      const set: Partial<Record<keyof JoinLinkJoinsTable, unknown>> = { state: to, updated_at: now }
      if (fields.error !== undefined) set.error = fields.error === null ? null : fields.error.slice(0, 2000)
      if (fields.requestId !== undefined) set.request_id = fields.requestId
      if (fields.approvedBy !== undefined) set.approved_by = fields.approvedBy
      const r = await db.updateTable('join_link_joins').set(set as never).where('id', '=', id).where('state', 'in', from).executeTakeFirst()
      return num(r.numUpdatedRows) > 0
    },

    async releaseSlot(linkId, now) {
      await db.updateTable('join_links').set((eb) => ({ uses: eb('uses', '-', 1), updated_at: now })).where('id', '=', linkId).where('uses', '>', 0).execute()
    },

    async awaitingWithoutRequest(linkId, limit) {
      const rows = await db.selectFrom('join_link_joins').selectAll().where('link_id', '=', linkId).where('state', '=', 'awaiting_approval').where('request_id', 'is', null).orderBy('created_at').limit(limit).execute()
      return rows.map(toJoin)
    },

    async holdUnapproved(linkId, now) {
      const r = await db.updateTable('join_link_joins').set({ state: 'awaiting_approval', updated_at: now }).where('link_id', '=', linkId).where('state', '=', 'queued').where('approved_by', 'is', null).executeTakeFirst()
      return num(r.numUpdatedRows)
    },

    async failQueued(linkId, error, now) {
      const r = await db.updateTable('join_link_joins').set({ state: 'failed', error, updated_at: now }).where('link_id', '=', linkId).where('state', '=', 'queued').executeTakeFirst()
      return num(r.numUpdatedRows)
    },

    async admittedSince(memberId, since) {
      const r = await db.selectFrom('join_link_joins').select((eb) => eb.fn.countAll().as('n')).where('member_id', '=', memberId).where('admitted_at', '>=', since).executeTakeFirstOrThrow()
      return num(r.n)
    },

    async dueWarnings(now, expiryWithinMs, limit) {
      const rows = await db
        .selectFrom('join_links')
        .selectAll()
        .where('state', '=', 'active')
        .where((eb) => eb.or([
          // An expired link is not "nearly full": it takes no joins at all.
          eb.and([eb('cap_warned_at', 'is', null), eb('cap', 'is not', null), sql<boolean>`uses * 5 >= cap * 4`, eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)])]),
          eb.and([eb('expiry_warned_at', 'is', null), eb('expires_at', '>', now), eb('expires_at', '<=', now + expiryWithinMs)]),
        ]))
        .orderBy('updated_at')
        .limit(limit)
        .execute()
      const out: Array<{ link: JoinLink; kind: 'cap' | 'expiry' }> = []
      for (const row of rows) {
        const link = toLink(row)
        const unexpired = link.expiresAt === null || link.expiresAt > now
        if (link.capWarnedAt === null && link.cap !== null && link.uses * 5 >= link.cap * 4 && unexpired) out.push({ link, kind: 'cap' })
        if (link.expiryWarnedAt === null && link.expiresAt !== null && link.expiresAt > now && link.expiresAt <= now + expiryWithinMs) out.push({ link, kind: 'expiry' })
      }
      return out
    },

    async claimWarning(id, kind, now) {
      const column = kind === 'cap' ? 'cap_warned_at' : 'expiry_warned_at'
      const r = await db.updateTable('join_links').set({ [column]: now }).where('id', '=', id).where(column, 'is', null).executeTakeFirst()
      return num(r.numUpdatedRows) > 0
    },
  }
}
