/**
 * Who may invite whom. Invite Desk sends every invitation with the installing admin's token (user.add
 * needs an administrator), so the app, not Bitrix24, decides what a manager may do: admins set rules, and
 * every invite from a tab or the app is checked here. Pure: the caller hands in the inviter's context.
 */
import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { departmentWithin } from '../invites/dry-run.js'

const scope = <M extends [string, ...string[]], T extends z.ZodTypeAny>(modes: M, id: T) =>
  z.object({ mode: z.enum(modes), ids: z.array(id).max(1000) }).strict()

export const whoSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('everyone') }).strict(),
  z.object({ kind: z.literal('departments'), ids: z.array(z.number().int().positive()).min(1).max(1000) }).strict(),
  z.object({ kind: z.literal('users'), ids: z.array(z.number().int().positive()).min(1).max(1000) }).strict(),
  /** Owners and moderators of a group, for that group. */
  z.object({ kind: z.literal('group_managers') }).strict(),
])

export const policyRuleSchema = z.object({
  id: z.string().uuid(),
  who: whoSchema,
  kinds: z.array(z.enum(['intranet', 'extranet'])).min(1).max(2),
  templates: scope(['all', 'only'], z.string().uuid()),
  /** Employee targets: any, the inviter's own departments (with their sub-departments), or these. */
  departments: scope(['all', 'own', 'only'], z.number().int().positive()),
  /** Group targets: any, the groups the inviter owns or moderates, or these. */
  groups: scope(['all', 'managed', 'only'], z.number().int().positive()),
  /** Invitations per inviter per rolling 24 hours under this rule. */
  dailyQuota: z.number().int().min(0).max(10_000),
  /** never: sent at once within the quota; over_quota: beyond it an admin or the group owner approves; always: every invite is approved first. */
  approval: z.enum(['never', 'over_quota', 'always']),
  /** May create join links into what this rule allows (their links need a cap and an expiry). */
  joinLinks: z.boolean().default(false),
}).strict()

export const invitePolicySchema = z.object({
  rules: z.array(policyRuleSchema).max(50),
  /** What happens to an invite no rule allows: it becomes a request for approval, or it is refused. */
  outsidePolicy: z.enum(['request', 'deny']),
  /** Managers (department heads) see the invitations of their departments' people, not only their own. */
  departmentVisibility: z.boolean(),
  /** Inviters get a Bitrix24 notification when their invitee accepts, and a daily list of what is still pending. */
  notifyInviters: z.boolean(),
}).strict()

export type Who = z.infer<typeof whoSchema>
export type PolicyRule = z.infer<typeof policyRuleSchema>
export type InvitePolicy = z.infer<typeof invitePolicySchema>

export const DEFAULT_POLICY: InvitePolicy = {
  rules: [
    {
      // What the group tab has always allowed: a group's owner and moderators bring guests into that group.
      id: '00000000-0000-4000-8000-000000000001',
      who: { kind: 'group_managers' },
      kinds: ['extranet'],
      templates: { mode: 'all', ids: [] },
      departments: { mode: 'own', ids: [] },
      groups: { mode: 'managed', ids: [] },
      dailyQuota: 50,
      approval: 'over_quota',
      joinLinks: false,
    },
  ],
  outsidePolicy: 'request',
  departmentVisibility: false,
  notifyInviters: true,
}

export const newRuleId = (): string => randomUUID()

/** The inviter as the server knows them (verified frame token, directory cache, group rosters). */
export interface InviterContext {
  userId: number
  isAdmin: boolean
  /** Departments the inviter belongs to. */
  departments: number[]
  /** Groups the inviter owns or moderates. */
  managedGroups: Set<number>
  /** Department id → parent id, for "own departments include sub-departments". */
  parentOf: Map<number, number | null>
  /** Invitations this inviter sent in the last 24 hours. */
  sentLast24h: number
}

export interface InviteAsk {
  kind: 'intranet' | 'extranet'
  departmentId: number | null
  groupId: number | null
  templateId: string | null
  /** How many people this send invites. */
  count: number
}

export type PolicyDecision =
  | { decision: 'allow'; ruleId: string | null }
  | { decision: 'request'; ruleId: string | null; reasons: string[] }
  | { decision: 'deny'; reasons: string[] }


function applies(who: Who, ctx: InviterContext, ask: InviteAsk): boolean {
  switch (who.kind) {
    case 'everyone':
      return true
    case 'users':
      return who.ids.includes(ctx.userId)
    case 'departments':
      return ctx.departments.some((d) => departmentWithin(d, who.ids, ctx.parentOf))
    case 'group_managers':
      return ask.groupId !== null && ctx.managedGroups.has(ask.groupId)
  }
}

/** Why this rule does not cover the ask; empty when it does. */
function misfits(rule: PolicyRule, ctx: InviterContext, ask: InviteAsk): string[] {
  const out: string[] = []
  if (!rule.kinds.includes(ask.kind)) out.push(ask.kind === 'intranet' ? 'employee invitations are not allowed to you' : 'guest invitations are not allowed to you')
  if (ask.templateId && rule.templates.mode === 'only' && !rule.templates.ids.includes(ask.templateId)) out.push('this template is not allowed to you')
  if (ask.departmentId !== null) {
    const d = rule.departments
    const ok = d.mode === 'all' || (d.mode === 'own' ? ctx.departments.some((own) => departmentWithin(ask.departmentId!, [own], ctx.parentOf)) : departmentWithin(ask.departmentId, d.ids, ctx.parentOf))
    if (!ok) out.push('you may not invite into this department')
  }
  if (ask.groupId !== null) {
    const g = rule.groups
    const ok = g.mode === 'all' || (g.mode === 'managed' ? ctx.managedGroups.has(ask.groupId) : g.ids.includes(ask.groupId))
    if (!ok) out.push('you may not invite into this group')
  }
  return out
}

/**
 * Admins may do anything. Otherwise the first rule that applies to the inviter and covers the ask decides:
 * within its quota and without approval → allow; else a request. No rule covering it → the portal's
 * outside-policy choice, with the reasons of the rules that applied.
 */
export function decide(policy: InvitePolicy, ctx: InviterContext, ask: InviteAsk): PolicyDecision {
  if (ctx.isAdmin) return { decision: 'allow', ruleId: null }
  const reasons: string[] = []
  for (const rule of policy.rules) {
    if (!applies(rule.who, ctx, ask)) continue
    const m = misfits(rule, ctx, ask)
    if (m.length) {
      reasons.push(...m)
      continue
    }
    if (rule.approval === 'always') return { decision: 'request', ruleId: rule.id, reasons: ['every invitation needs approval'] }
    if (ctx.sentLast24h + ask.count > rule.dailyQuota) {
      const why = `your daily quota is ${rule.dailyQuota} invitations (${ctx.sentLast24h} sent in the last 24 hours)`
      if (rule.approval === 'over_quota') return { decision: 'request', ruleId: rule.id, reasons: [why] }
      reasons.push(why)
      continue
    }
    return { decision: 'allow', ruleId: rule.id }
  }
  if (reasons.length === 0) reasons.push('no invitation rule covers you')
  const unique = [...new Set(reasons)]
  return policy.outsidePolicy === 'request' ? { decision: 'request', ruleId: null, reasons: unique } : { decision: 'deny', reasons: unique }
}

/**
 * The rule that lets a non-admin create (or keep) a join link into this target, or why none does. The link's
 * cap stands in for the rule's daily quota; a rule whose every invitation needs approval makes the link's
 * joins need approval too (the caller enforces it).
 */
export function joinLinkRule(policy: InvitePolicy, ctx: InviterContext, ask: Omit<InviteAsk, 'count'>): { rule: PolicyRule } | { reasons: string[] } {
  const reasons: string[] = []
  for (const rule of policy.rules) {
    if (!rule.joinLinks || !applies(rule.who, ctx, { ...ask, count: 0 })) continue
    const m = misfits(rule, ctx, { ...ask, count: 0 })
    if (m.length) {
      reasons.push(...m)
      continue
    }
    return { rule }
  }
  return { reasons: reasons.length ? [...new Set(reasons)] : ['no invitation rule lets you create join links'] }
}

/**
 * Whether any rule could let this non-admin create a join link: a hint for the UI (creating checks the rule
 * for the actual target). A group-managers rule counts for someone who owns a group (the directory knows owners,
 * not moderators, whose links the server still allows).
 */
export function mayCreateJoinLinks(policy: InvitePolicy, ctx: InviterContext, ownsAGroup: boolean): boolean {
  return policy.rules.some((r) => r.joinLinks && (r.who.kind === 'group_managers' ? ownsAGroup : applies(r.who, ctx, { kind: 'extranet', departmentId: null, groupId: null, templateId: null, count: 0 })))
}
