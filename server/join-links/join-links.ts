/**
 * Managed join links, as admins and permitted managers see them: create, edit, pause, resume, revoke, the
 * QR code, statistics and the people who joined. Admins manage every link; others only their own, and only
 * into targets an invite-policy rule with "may create join links" allows them.
 */
import QRCode from 'qrcode'
import type { Clock } from '../shared/clock.js'
import { AppError, InputError, NotFoundError, PolicyDeniedError } from '../shared/errors.js'
import type { PeopleNames } from '../invites/people-names.js'
import { joinLinkRule, mayCreateJoinLinks } from '../policy/invite-policy.js'
import type { PolicyService } from '../policy/policy-service.js'
import type { AuditLog } from '../storage/audit-log.js'
import type { DirectoryStore } from '../storage/directory-store.js'
import { statusOf, type JoinLink, type JoinLinkStats, type JoinLinkStatus, type JoinLinkStore, type JoinOutcome } from '../storage/join-link-store.js'
import type { TemplateStore } from '../storage/template-store.js'
import { endOfDay, hashLinkToken, MANAGER_MAX_CAP, MANAGER_MAX_DAYS, newLinkToken, type JoinLinkInput } from './join-link-rules.js'

const DAY_MS = 86_400_000
/** Warn the owner this long before the link expires, and once 80 % of its cap is used. */
export const EXPIRY_WARNING_MS = 3 * DAY_MS
export const nearCap = (l: Pick<JoinLink, 'cap' | 'uses'>) => l.cap !== null && l.uses * 5 >= l.cap * 4

export interface Viewer { userId: number; isAdmin: boolean }

/** Where an invitation through the link goes, resolved against the directory cache. */
export interface ResolvedTarget { kind: 'intranet' | 'extranet'; departmentId: number | null; groupId: number | null; name: string }

export function createJoinLinks(deps: {
  store: JoinLinkStore
  templates: TemplateStore
  directory: DirectoryStore
  policy: PolicyService
  names: PeopleNames
  audit: AuditLog
  appUrl: string
  clock: Clock
}) {
  const { store, clock } = deps
  const urlOf = (l: Pick<JoinLink, 'token'>) => `${deps.appUrl}/join/${l.token}`

  async function resolveTarget(memberId: string, t: JoinLink['target']): Promise<ResolvedTarget | null> {
    if (t.kind === 'department') {
      const d = (await deps.directory.departments(memberId)).find((x) => x.id === t.id)
      return d ? { kind: 'intranet', departmentId: d.id, groupId: null, name: d.name } : null
    }
    const g = (await deps.directory.groups(memberId)).find((x) => x.id === t.id)
    if (!g) return null
    const isCollab = g.type === 'collab'
    if (t.kind === 'collab' ? !isCollab : isCollab || !g.isExtranet) return null
    return { kind: 'extranet', departmentId: null, groupId: g.id, name: g.name }
  }

  /** The target and template must exist and fit each other; a non-admin's link must fit their policy. */
  async function validate(memberId: string, v: Viewer, l: { target: JoinLink['target']; templateId: string | null; expiresAt: number | null; cap: number | null; approval: boolean }): Promise<ResolvedTarget> {
    const target = await resolveTarget(memberId, l.target)
    const what = { department: 'department', group: 'extranet group', collab: 'collab' }[l.target.kind]
    if (!target || (target.groupId !== null && !(await deps.policy.canSeeGroup(memberId, v, target.groupId)))) {
      throw new InputError('unknown_target', `There is no ${what} with ID ${l.target.id}`, [{ path: 'target.id', message: `There is no ${what} with ID ${l.target.id}` }])
    }
    if (l.templateId) {
      const t = await deps.templates.get(memberId, l.templateId)
      if (!t || t.archived) throw new InputError('unknown_template', 'The chosen template does not exist', [{ path: 'templateId', message: 'The chosen template does not exist' }])
      if (t.kind !== target.kind) {
        const message = target.kind === 'intranet' ? 'A department link needs an employee template' : 'A group or collab link needs a guest template'
        throw new InputError('template_kind', message, [{ path: 'templateId', message }])
      }
    }
    if (v.isAdmin) return target
    const problems: Array<{ path: string; message: string }> = []
    if (l.cap === null || l.cap > MANAGER_MAX_CAP) problems.push({ path: 'cap', message: `Your links need a usage cap of at most ${MANAGER_MAX_CAP}` })
    if (l.expiresAt === null || l.expiresAt > clock.now() + MANAGER_MAX_DAYS * DAY_MS) problems.push({ path: 'expiresOn', message: `Your links need an expiry date within ${MANAGER_MAX_DAYS} days` })
    const ruled = joinLinkRule(await deps.policy.get(memberId), await deps.policy.context(memberId, { id: v.userId, isAdmin: false }, target.groupId), {
      kind: target.kind, departmentId: target.departmentId, groupId: target.groupId, templateId: l.templateId,
    })
    if ('reasons' in ruled) throw new PolicyDeniedError({ reasons: ruled.reasons })
    if (ruled.rule.approval === 'always' && !l.approval) problems.push({ path: 'approval', message: 'Your invitation rule approves every invitation: switch on "each join needs approval"' })
    if (problems.length) throw new InputError('bad_request', problems.map((p) => p.message).join('; '), problems)
    return target
  }

  function expiryOf(expiresOn: string | null): number | null {
    if (expiresOn === null) return null
    const at = endOfDay(expiresOn)
    const message = Number.isNaN(at) ? 'There is no such date' : at < clock.now() ? 'The expiry date has passed' : null
    if (message) throw new InputError('bad_request', message, [{ path: 'expiresOn', message }])
    return at
  }

  async function owned(memberId: string, v: Viewer, id: string): Promise<JoinLink> {
    const l = await store.get(memberId, id)
    if (!l || (!v.isAdmin && l.createdBy !== v.userId)) throw new NotFoundError('join_link_not_found', 'There is no such join link')
    return l
  }

  const emptyStats = (l: JoinLink): JoinLinkStats => ({ views: l.views, joins: 0, awaiting: 0, approved: 0, declined: 0, invited: 0, accepted: 0, failed: 0 })

  async function views(memberId: string, v: Viewer, links: JoinLink[]) {
    if (links.length === 0) return []
    const [stats, templates, departments, groups] = await Promise.all([
      store.stats(memberId, links.map((l) => l.id)), deps.templates.list(memberId, { includeArchived: true }), deps.directory.departments(memberId), deps.directory.groups(memberId),
    ])
    const now = clock.now()
    return Promise.all(links.map(async (l) => {
      const status: JoinLinkStatus = statusOf(l, now)
      const warnings: Array<'near_cap' | 'near_expiry'> = []
      if (status === 'active' && nearCap(l)) warnings.push('near_cap')
      if (status === 'active' && l.expiresAt !== null && l.expiresAt - now <= EXPIRY_WARNING_MS) warnings.push('near_expiry')
      const targetName = l.target.kind === 'department' ? departments.find((d) => d.id === l.target.id)?.name : groups.find((g) => g.id === l.target.id)?.name
      return {
        id: l.id, name: l.name, url: urlOf(l), target: { ...l.target, name: targetName ?? null },
        templateId: l.templateId, templateName: templates.find((t) => t.id === l.templateId)?.name ?? null,
        expiresAt: l.expiresAt, cap: l.cap, uses: l.uses, allowedDomains: l.allowedDomains, approval: l.approval, state: l.state, status, warnings,
        createdBy: l.createdBy, createdByName: await deps.names.user(memberId, l.createdBy), createdAt: l.createdAt, updatedAt: l.updatedAt,
        stats: stats.get(l.id) ?? emptyStats(l), canManage: v.isAdmin || l.createdBy === v.userId,
      }
    }))
  }

  const view = async (memberId: string, v: Viewer, l: JoinLink) => (await views(memberId, v, [l]))[0]!

  async function audit(memberId: string, v: Viewer, action: string, l: JoinLink, details: Record<string, unknown> = {}) {
    await deps.audit.record({
      memberId, at: clock.now(), actorUserId: v.userId, actorKind: 'user', action, subject: l.id,
      details: { name: l.name, target: l.target, cap: l.cap, expiresAt: l.expiresAt, approval: l.approval, ...details }, result: 'ok',
    })
  }

  return {
    urlOf,
    resolveTarget,

    async list(memberId: string, v: Viewer, q: { status?: JoinLinkStatus; q?: string; limit: number; offset: number }) {
      const page = await store.list(memberId, { ...q, now: clock.now(), ...(v.isAdmin ? {} : { createdBy: v.userId }) })
      const ownsAGroup = async () => (await deps.directory.groups(memberId)).some((g) => g.ownerId === v.userId)
      const canCreate = v.isAdmin || mayCreateJoinLinks(await deps.policy.get(memberId), await deps.policy.context(memberId, { id: v.userId, isAdmin: false }, null), await ownsAGroup())
      return { rows: await views(memberId, v, page.rows), total: page.total, canCreate }
    },

    async get(memberId: string, v: Viewer, id: string) {
      return view(memberId, v, await owned(memberId, v, id))
    },

    async create(memberId: string, v: Viewer, input: JoinLinkInput) {
      const expiresAt = expiryOf(input.expiresOn)
      await validate(memberId, v, { target: input.target, templateId: input.templateId, expiresAt, cap: input.cap, approval: input.approval })
      const token = newLinkToken()
      const l = await store.create({
        memberId, token, name: input.name, target: input.target, templateId: input.templateId, expiresAt, cap: input.cap,
        allowedDomains: input.allowedDomains, approval: input.approval, createdBy: v.userId, ownerAdmin: v.isAdmin,
      }, hashLinkToken(token), clock.now())
      await audit(memberId, v, 'join_link.created', l, { domains: l.allowedDomains })
      return view(memberId, v, l)
    },

    async update(memberId: string, v: Viewer, id: string, patch: Partial<JoinLinkInput>) {
      const l = await owned(memberId, v, id)
      if (l.state === 'revoked') throw new AppError('join_link_revoked', 'This link was revoked; create a new one', 409)
      const next = {
        target: patch.target ?? l.target,
        templateId: patch.templateId !== undefined ? patch.templateId : l.templateId,
        expiresAt: patch.expiresOn !== undefined ? expiryOf(patch.expiresOn) : l.expiresAt,
        cap: patch.cap !== undefined ? patch.cap : l.cap,
        approval: patch.approval ?? l.approval,
      }
      if (next.cap !== null && next.cap < l.uses) {
        const message = `${l.uses} people have joined already: the cap cannot be lower`
        throw new InputError('bad_request', message, [{ path: 'cap', message }])
      }
      await validate(memberId, v, next)
      const updated = await store.update(memberId, id, {
        ...(patch.name !== undefined ? { name: patch.name } : {}), ...next,
        ...(patch.allowedDomains !== undefined ? { allowedDomains: patch.allowedDomains } : {}),
        // An admin's edit takes the link under the admins' rules; a manager's keeps it under theirs.
        ownerAdmin: l.ownerAdmin || v.isAdmin,
      }, clock.now())
      if (!updated) throw new AppError('join_link_revoked', 'This link was revoked; create a new one', 409)
      await audit(memberId, v, 'join_link.updated', updated, { changed: Object.keys(patch) })
      return view(memberId, v, updated)
    },

    async setState(memberId: string, v: Viewer, id: string, action: 'pause' | 'resume' | 'revoke') {
      const l = await owned(memberId, v, id)
      const move = { pause: { from: ['active'], to: 'paused' }, resume: { from: ['paused'], to: 'active' }, revoke: { from: ['active', 'paused'], to: 'revoked' } }[action] as { from: JoinLink['state'][]; to: JoinLink['state'] }
      if (l.state === move.to) return view(memberId, v, l)
      if (l.state === 'revoked') throw new AppError('join_link_revoked', 'This link was revoked; create a new one', 409)
      if (action === 'resume' && !v.isAdmin) await validate(memberId, v, l)
      if (!(await store.setState(memberId, id, move.from, move.to, clock.now()))) throw new AppError('join_link_changed', 'The link changed meanwhile; reload it', 409)
      const after = (await store.get(memberId, id))!
      await audit(memberId, v, `join_link.${action === 'pause' ? 'paused' : action === 'resume' ? 'resumed' : 'revoked'}`, after)
      return view(memberId, v, after)
    },

    async joins(memberId: string, v: Viewer, id: string, page: { limit: number; offset: number }) {
      await owned(memberId, v, id)
      const { rows, total } = await store.joins(memberId, id, page)
      return { rows: rows.map(joinView), total }
    },

    /** The link's QR code: SVG text or a PNG. */
    async qr(memberId: string, v: Viewer, id: string, format: 'svg' | 'png'): Promise<string | Buffer> {
      const url = urlOf(await owned(memberId, v, id))
      // Level M: a printed code still reads with a scratch or a logo sticker; a 2-module margin is the minimum quiet zone readers need.
      return format === 'svg'
        ? QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
        : QRCode.toBuffer(url, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 720 })
    },
  }
}

function joinView(j: JoinOutcome) {
  const error = j.error ?? (j.item?.state === 'failed' || j.item?.state === 'skipped' ? j.item.errorMessage : null)
  return {
    id: j.id, email: j.email, name: j.name, lastName: j.lastName, state: j.state, invitation: j.invitation, error,
    requestId: j.requestId, jobId: j.jobId, createdAt: j.createdAt,
  }
}

export type JoinLinks = ReturnType<typeof createJoinLinks>
