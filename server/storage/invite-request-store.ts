import { randomUUID } from 'node:crypto'
import type { Selectable } from 'kysely'
import type { AppDatabase } from './database.js'
import { toJsonText } from './json-column.js'
import type { InviteRequestsTable } from './schema.js'

export type InviteRequestState = InviteRequestsTable['state']

export interface RequestedPerson {
  email: string
  name: string | null
  lastName: string | null
}

/** An invite the policy did not allow at once: it waits for an admin (or the group's owner) to decide. */
export interface InviteRequest {
  id: string
  memberId: string
  requestedBy: number
  placement: string
  kind: 'intranet' | 'extranet'
  departmentId: number | null
  groupId: number | null
  templateId: string | null
  people: RequestedPerson[]
  reasons: string[]
  /** Decides besides the admins (the group's owner); null: admins only. */
  approverId: number | null
  state: InviteRequestState
  decidedBy: number | null
  decidedAt: number | null
  decisionReason: string | null
  jobId: string | null
  /** The join through a join link this request decides (placement 'join_link'); null otherwise. */
  joinId: string | null
  createdAt: number
  updatedAt: number
}

export type NewInviteRequest = Omit<InviteRequest, 'id' | 'state' | 'decidedBy' | 'decidedAt' | 'decisionReason' | 'jobId' | 'joinId' | 'createdAt' | 'updatedAt'> & { joinId?: string | null }

export interface InviteRequestStore {
  create(r: NewInviteRequest, now: number): Promise<InviteRequest>
  get(memberId: string, id: string): Promise<InviteRequest | undefined>
  /** The request filed for a join through a join link, if any. */
  byJoin(memberId: string, joinId: string): Promise<InviteRequest | undefined>
  /**
   * Newest first. `visibleTo`: only requests this user made or may decide (approverId); omitted: all (admins).
   * total counts every match.
   */
  list(memberId: string, q: { states?: InviteRequestState[]; visibleTo?: number; limit: number; offset: number }): Promise<{ rows: InviteRequest[]; total: number }>
  /** Compare-and-set from 'pending' (approved, declined, cancelled): false when someone decided it first. */
  decide(memberId: string, id: string, to: 'approved' | 'declined' | 'cancelled', by: number, reason: string | null, now: number): Promise<boolean>
  /** After approval: the job that carries it, or 'failed' with why (approved → failed). */
  setJob(memberId: string, id: string, jobId: string, now: number): Promise<void>
  markFailed(memberId: string, id: string, reason: string, now: number): Promise<void>
  /** Pending requests of the portal, for the approvers' badge. */
  countPending(memberId: string, visibleTo?: number): Promise<number>
}

type Row = Selectable<InviteRequestsTable>
const strings = (text: string): string[] => {
  try {
    const v: unknown = JSON.parse(text)
    return Array.isArray(v) ? v.map(String) : []
  } catch {
    return []
  }
}

function toRequest(row: Row): InviteRequest {
  let people: RequestedPerson[] = []
  try {
    const v: unknown = JSON.parse(row.people)
    if (Array.isArray(v)) people = v as RequestedPerson[]
  } catch {
    people = []
  }
  return {
    id: row.id, memberId: row.member_id, requestedBy: Number(row.requested_by), placement: row.placement, kind: row.kind,
    departmentId: row.department_id === null ? null : Number(row.department_id), groupId: row.group_id === null ? null : Number(row.group_id),
    templateId: row.template_id, people, reasons: strings(row.reasons), approverId: row.approver_id === null ? null : Number(row.approver_id),
    state: row.state, decidedBy: row.decided_by === null ? null : Number(row.decided_by), decidedAt: row.decided_at === null ? null : Number(row.decided_at),
    decisionReason: row.decision_reason, jobId: row.job_id, joinId: row.join_id ?? null, createdAt: Number(row.created_at), updatedAt: Number(row.updated_at),
  }
}

export function createInviteRequestStore(app: AppDatabase): InviteRequestStore {
  const { db } = app
  const visible = (memberId: string, visibleTo?: number) => {
    let q = db.selectFrom('invite_requests').where('member_id', '=', memberId)
    if (visibleTo !== undefined) q = q.where((eb) => eb.or([eb('requested_by', '=', visibleTo), eb('approver_id', '=', visibleTo)]))
    return q
  }
  return {
    async create(r, now) {
      const row = await db
        .insertInto('invite_requests')
        .values({
          id: randomUUID(), member_id: r.memberId, requested_by: r.requestedBy, placement: r.placement, kind: r.kind,
          department_id: r.departmentId, group_id: r.groupId, template_id: r.templateId, people: toJsonText(r.people), reasons: toJsonText(r.reasons),
          approver_id: r.approverId, state: 'pending', decided_by: null, decided_at: null, decision_reason: null, job_id: null, join_id: r.joinId ?? null, created_at: now, updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
      return toRequest(row)
    },
    async get(memberId, id) {
      const row = await db.selectFrom('invite_requests').selectAll().where('member_id', '=', memberId).where('id', '=', id).executeTakeFirst()
      return row ? toRequest(row) : undefined
    },
    async byJoin(memberId, joinId) {
      const row = await db.selectFrom('invite_requests').selectAll().where('member_id', '=', memberId).where('join_id', '=', joinId).executeTakeFirst()
      return row ? toRequest(row) : undefined
    },
    async list(memberId, q) {
      let base = visible(memberId, q.visibleTo)
      if (q.states) base = q.states.length ? base.where('state', 'in', q.states) : base.where('state', '=', 'pending').where('state', '!=', 'pending')
      const [rows, total] = await Promise.all([
        base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit).offset(q.offset).execute(),
        base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
      ])
      return { rows: rows.map(toRequest), total: Number(total.n) }
    },
    async decide(memberId, id, to, by, reason, now) {
      const r = await db
        .updateTable('invite_requests')
        .set({ state: to, decided_by: by, decided_at: now, decision_reason: reason, updated_at: now })
        .where('member_id', '=', memberId)
        .where('id', '=', id)
        .where('state', '=', 'pending')
        .executeTakeFirst()
      return Number(r.numUpdatedRows) > 0
    },
    async setJob(memberId, id, jobId, now) {
      await db.updateTable('invite_requests').set({ job_id: jobId, updated_at: now }).where('member_id', '=', memberId).where('id', '=', id).execute()
    },
    async markFailed(memberId, id, reason, now) {
      await db
        .updateTable('invite_requests')
        .set({ state: 'failed', decision_reason: reason.slice(0, 2000), updated_at: now })
        .where('member_id', '=', memberId)
        .where('id', '=', id)
        .where('state', '=', 'approved')
        .execute()
    },
    async countPending(memberId, visibleTo) {
      const r = await visible(memberId, visibleTo).where('state', '=', 'pending').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
      return Number(r.n)
    },
  }
}
