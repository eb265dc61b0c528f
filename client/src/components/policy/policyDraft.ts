import {
  POLICY_QUOTA_MAX,
  POLICY_RULES_MAX,
  type FieldProblem,
  type InviteKind,
  type InvitePolicy,
  type PolicyApproval,
  type PolicyDepartmentMode,
  type PolicyGroupMode,
  type PolicyRule,
  type PolicyWho,
  type PolicyWhoKind,
} from '../../api/types'

/**
 * The invite policy as the Settings form edits it (numbers as typed, every "who" list kept while another
 * kind is chosen), its checks, and the server's 400 details mapped onto the form's fields. No Vue and no
 * texts here: the form component turns problem codes into words.
 */

export interface RuleDraft {
  id: string
  whoKind: PolicyWhoKind
  whoDepartmentIds: number[]
  /** User IDs as typed: "12, 15 27". */
  whoUserIds: string
  kinds: InviteKind[]
  templatesMode: 'all' | 'only'
  templateIds: string[]
  departmentsMode: PolicyDepartmentMode
  departmentIds: number[]
  groupsMode: PolicyGroupMode
  groupIds: number[]
  /** As typed. */
  dailyQuota: string
  approval: PolicyApproval
  /** May create join links (for what the rule allows). */
  joinLinks: boolean
}

export interface PolicyDraft {
  rules: RuleDraft[]
  outsidePolicy: InvitePolicy['outsidePolicy']
  departmentVisibility: boolean
  notifyInviters: boolean
}

/** A rule's parts that carry their own error message. `rule` is the rule as a whole (e.g. a bad id). */
export type RuleField = 'rule' | 'who' | 'kinds' | 'templates' | 'departments' | 'groups' | 'dailyQuota' | 'approval' | 'joinLinks'
export const RULE_FIELDS: readonly RuleField[] = ['rule', 'who', 'kinds', 'templates', 'departments', 'groups', 'dailyQuota', 'approval', 'joinLinks']

/** The policy's own fields; `rules` is the list as a whole (e.g. too many rules). */
export type PolicyField = 'rules' | 'outsidePolicy' | 'departmentVisibility' | 'notifyInviters'
export const POLICY_FIELDS: readonly PolicyField[] = ['rules', 'outsidePolicy', 'departmentVisibility', 'notifyInviters']

/** What the form finds wrong before saving (the component words them). */
export type ProblemCode = 'whoDepartments' | 'whoUsers' | 'whoUsersInvalid' | 'kinds' | 'chooseOne' | 'quota' | 'tooManyRules'

/** The key of a rule's field in an error map (by the rule's id: it survives moving the rule). */
export function ruleKey(ruleId: string, field: RuleField): string {
  return `rule:${ruleId}:${field}`
}

/** A v4 uuid: crypto.randomUUID(), or the same from getRandomValues where the page is no secure context. */
export function newRuleId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  bytes[6] = (bytes[6]! & 0x0f) | 0x40
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = [...bytes].map(byte => byte.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** A new rule: everyone may invite guests into the groups they manage, 20 a day, over that with approval; no join links. */
export function newRuleDraft(id: string = newRuleId()): RuleDraft {
  return {
    id,
    whoKind: 'everyone',
    whoDepartmentIds: [],
    whoUserIds: '',
    kinds: ['extranet'],
    templatesMode: 'all',
    templateIds: [],
    departmentsMode: 'own',
    departmentIds: [],
    groupsMode: 'managed',
    groupIds: [],
    dailyQuota: '20',
    approval: 'over_quota',
    joinLinks: false,
  }
}

export function ruleToDraft(rule: PolicyRule): RuleDraft {
  return {
    id: rule.id,
    whoKind: rule.who.kind,
    whoDepartmentIds: rule.who.kind === 'departments' ? [...rule.who.ids] : [],
    whoUserIds: rule.who.kind === 'users' ? rule.who.ids.join(', ') : '',
    kinds: [...rule.kinds],
    templatesMode: rule.templates.mode,
    templateIds: [...rule.templates.ids],
    departmentsMode: rule.departments.mode,
    departmentIds: [...rule.departments.ids],
    groupsMode: rule.groups.mode,
    groupIds: [...rule.groups.ids],
    dailyQuota: String(rule.dailyQuota),
    approval: rule.approval,
    // A policy saved before join links existed has no flag: it never allowed them.
    joinLinks: rule.joinLinks ?? false,
  }
}

export function toDraft(policy: InvitePolicy): PolicyDraft {
  return {
    rules: policy.rules.map(ruleToDraft),
    outsidePolicy: policy.outsidePolicy,
    departmentVisibility: policy.departmentVisibility,
    notifyInviters: policy.notifyInviters,
  }
}

/** "12, 15 27" → [12, 15, 27] (duplicates once); null when a part is not a positive whole number. */
export function parseUserIds(text: string): number[] | null {
  const parts = text.split(/[\s,;]+/).filter(Boolean)
  const ids: number[] = []
  for (const part of parts) {
    if (!/^\d{1,10}$/.test(part)) return null
    const id = Number(part)
    if (id <= 0 || id > 2_147_483_647) return null
    if (!ids.includes(id)) ids.push(id)
  }
  return ids
}

/** A whole number 0..10000, else undefined. */
export function parseQuota(text: string): number | undefined {
  const value = text.trim()
  if (!/^\d{1,5}$/.test(value)) return undefined
  const n = Number(value)
  return n <= POLICY_QUOTA_MAX ? n : undefined
}

/** Problems of the draft: rule fields by {@link ruleKey}, the policy's own by their name. Empty when it can be saved. */
export function validatePolicy(draft: PolicyDraft): Record<string, ProblemCode> {
  const problems: Record<string, ProblemCode> = {}
  if (draft.rules.length > POLICY_RULES_MAX) problems.rules = 'tooManyRules'
  for (const rule of draft.rules) {
    const key = (field: RuleField) => ruleKey(rule.id, field)
    if (rule.whoKind === 'departments' && rule.whoDepartmentIds.length === 0) problems[key('who')] = 'whoDepartments'
    if (rule.whoKind === 'users') {
      const ids = parseUserIds(rule.whoUserIds)
      if (ids === null) problems[key('who')] = 'whoUsersInvalid'
      else if (ids.length === 0) problems[key('who')] = 'whoUsers'
    }
    if (rule.kinds.length === 0) problems[key('kinds')] = 'kinds'
    if (rule.templatesMode === 'only' && rule.templateIds.length === 0) problems[key('templates')] = 'chooseOne'
    if (rule.departmentsMode === 'only' && rule.departmentIds.length === 0) problems[key('departments')] = 'chooseOne'
    if (rule.groupsMode === 'only' && rule.groupIds.length === 0) problems[key('groups')] = 'chooseOne'
    if (parseQuota(rule.dailyQuota) === undefined) problems[key('dailyQuota')] = 'quota'
  }
  return problems
}

function whoOf(rule: RuleDraft): PolicyWho {
  switch (rule.whoKind) {
    case 'everyone':
      return { kind: 'everyone' }
    case 'group_managers':
      return { kind: 'group_managers' }
    case 'departments':
      return { kind: 'departments', ids: [...rule.whoDepartmentIds] }
    case 'users':
      return { kind: 'users', ids: parseUserIds(rule.whoUserIds) ?? [] }
  }
}

/** The rule to save: lists only where a mode needs them, kinds in a fixed order. */
export function ruleFromDraft(rule: RuleDraft): PolicyRule {
  return {
    id: rule.id,
    who: whoOf(rule),
    kinds: (['intranet', 'extranet'] as const).filter(kind => rule.kinds.includes(kind)),
    templates: { mode: rule.templatesMode, ids: rule.templatesMode === 'only' ? [...rule.templateIds] : [] },
    departments: { mode: rule.departmentsMode, ids: rule.departmentsMode === 'only' ? [...rule.departmentIds] : [] },
    groups: { mode: rule.groupsMode, ids: rule.groupsMode === 'only' ? [...rule.groupIds] : [] },
    dailyQuota: parseQuota(rule.dailyQuota) ?? 0,
    approval: rule.approval,
    joinLinks: rule.joinLinks,
  }
}

export function fromDraft(draft: PolicyDraft): InvitePolicy {
  return {
    rules: draft.rules.map(ruleFromDraft),
    outsidePolicy: draft.outsidePolicy,
    departmentVisibility: draft.departmentVisibility,
    notifyInviters: draft.notifyInviters,
  }
}

/** The list with the rule at `index` moved by `delta` (−1 up, +1 down); the same list when it cannot move. */
export function moveRule<T>(rules: readonly T[], index: number, delta: number): T[] {
  const to = index + delta
  if (index < 0 || index >= rules.length || to < 0 || to >= rules.length) return [...rules]
  const next = [...rules]
  const [moved] = next.splice(index, 1)
  next.splice(to, 0, moved as T)
  return next
}

/**
 * Where a server path points in the form: `rules.0.dailyQuota` → rule 0's quota (by that rule's id in
 * what was sent), `rules.1.who.ids.0` → rule 1's "who", `outsidePolicy` → that field, `rules` → the list.
 * Null for a path the form has no place for.
 */
export function problemKeyOf(path: unknown, sent: InvitePolicy): string | null {
  if (typeof path !== 'string' && !Array.isArray(path)) return null
  const parts = (Array.isArray(path) ? path.map(String) : path.split(/[.[\]]+/)).filter(part => part !== '')
  const [head, index, field] = parts
  if (head === undefined) return null
  if (head !== 'rules') return (POLICY_FIELDS as readonly string[]).includes(head) ? head : null
  if (index === undefined || !/^\d+$/.test(index)) return 'rules'
  const rule = sent.rules[Number(index)]
  if (!rule) return 'rules'
  const known = field !== undefined && (RULE_FIELDS as readonly string[]).includes(field) && field !== 'rule'
  return ruleKey(rule.id, known ? (field as RuleField) : 'rule')
}

/** The server's 400 details as messages by form key (the first message per field). */
export function serverProblems(details: unknown, sent: InvitePolicy): Record<string, string> {
  const out: Record<string, string> = {}
  if (!Array.isArray(details)) return out
  for (const item of details as Array<Partial<FieldProblem> | null>) {
    if (!item) continue
    const key = problemKeyOf(item.path, sent)
    if (key && !(key in out)) out[key] = typeof item.message === 'string' && item.message ? item.message : ''
  }
  return out
}
