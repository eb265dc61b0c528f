import { closest, distance } from 'fastest-levenshtein'
import type { DirectoryUser } from '../storage/directory-store.js'
import type { NormalizedRow, RowIssue } from './import/index.js'
import { splitDepartmentPath } from './import/field-values.js'

export interface DepartmentInfo { id: number; name: string; parentId: number | null }
export interface GroupInfo { id: number; name: string; isExtranet: boolean; active: boolean }
export type ExistingState = 'active' | 'invited' | 'dismissed' | 'extranet'

/** Import issues plus what only the dry run can know (unknown department, already in the portal, …). */
export interface DryRunIssue extends Omit<RowIssue, 'code' | 'severity'> {
  code: RowIssue['code'] | 'unknown_department' | 'ambiguous_department' | 'missing_department' | 'unknown_group' | 'ambiguous_group' | 'missing_group' | 'phone_invite_unavailable' | 'already_exists' | 'existing_added_to_group' | 'existing_invited_to_group' | 'one_group_for_existing'
  /** 'info': how the row will be sent; it does not make the row a warning. */
  severity: RowIssue['severity'] | 'info'
  suggestions?: string[]
}

/**
 * Someone already in the portal and a guest target: they are brought into the group instead of created.
 * Active people are invited (sonet_group.user.invite: they confirm, as the portal's own UI does); people
 * invited to the portal who have not accepted yet are added (sonet_group.user.add), so the group is there
 * the moment they accept, without a second confirmation.
 */
export interface GroupAction {
  method: 'sonet_group.user.invite' | 'sonet_group.user.add'
  groupId: number
}

export interface DryRunRow {
  rowNumber: number
  status: 'ready' | 'warning' | 'error' | 'excluded'
  email: string | null
  phone: string | null
  name: string | null
  lastName: string | null
  position: string | null
  department: { id: number; path: string } | null
  groups: Array<{ id: number; name: string }>
  lang: 'ru' | 'en'
  issues: DryRunIssue[]
  existing: { userId: number; state: ExistingState } | null
  groupAction: GroupAction | null
}

export interface DryRunSummary {
  total: number
  ready: number
  warnings: number
  errors: number
  excluded: number
  existing: Record<ExistingState, number>
}

export interface DryRunContext {
  kind: 'intranet' | 'extranet'
  defaultDepartmentId: number | null
  defaultGroupIds: number[]
  defaultLang: 'ru' | 'en'
  departments: DepartmentInfo[]
  groups: GroupInfo[]
  existingByEmail: Map<string, DirectoryUser>
  existingByPhone: Map<string, DirectoryUser>
  phoneInvite: boolean
}

/** The department is one of `allowed` or lies under one of them (walking up `parentOf`, cycle-safe). */
export function departmentWithin(id: number, allowed: readonly number[], parentOf: ReadonlyMap<number, number | null>): boolean {
  const seen = new Set<number>()
  for (let d: number | null | undefined = id; d != null && !seen.has(d); d = parentOf.get(d)) {
    if (allowed.includes(d)) return true
    seen.add(d)
  }
  return false
}

/** Departments by id with their full path ("Company / Sales / Moscow"), built once per dry run. */
export function departmentIndex(departments: DepartmentInfo[]) {
  const byId = new Map(departments.map((d) => [d.id, d]))
  const pathOf = (id: number): string[] => {
    const out: string[] = []
    const seen = new Set<number>()
    for (let d = byId.get(id); d && !seen.has(d.id); d = d.parentId ? byId.get(d.parentId) : undefined) {
      seen.add(d.id)
      out.unshift(d.name)
    }
    return out
  }
  const key = (s: string) => s.trim().toLocaleLowerCase('ru')
  // Each path also as the parts a file's cell is split into: a department named "R&D / Lab" is two parts,
  // and a cell may only start at the first part of a name ("Lab" alone is not that department).
  const paths = departments.map((d) => {
    const path = pathOf(d.id)
    const parts: string[] = []
    const starts = new Set<number>()
    for (const name of path) {
      starts.add(parts.length)
      const split = splitDepartmentPath(name)
      parts.push(...(split.length ? split : [name]).map(key))
    }
    return { id: d.id, path, parts, starts }
  })
  return {
    byId,
    pathText: (id: number) => pathOf(id).join(' / '),
    /** A path matches a department whose own path ends with it ("Sales / Moscow" finds "Company / Sales / Moscow"). */
    resolvePath(path: string[]): { ids: number[]; suggestions: string[] } {
      const want = path.map(key)
      const ids = paths
        .filter((p) => {
          const from = p.parts.length - want.length
          return from >= 0 && p.starts.has(from) && want.every((w, i) => p.parts[from + i] === w)
        })
        .map((p) => p.id)
      if (ids.length) return { ids, suggestions: [] }
      return { ids, suggestions: nearest(path.at(-1) ?? '', departments.map((d) => d.name)).map((n) => paths.find((p) => p.path.at(-1) === n)!.path.join(' / ')) }
    },
  }
}

/** Up to three names close to what was typed (edit distance ≤ a third of its length), closest first. */
export function nearest(typed: string, names: string[]): string[] {
  const t = typed.trim().toLocaleLowerCase('ru')
  if (!t || names.length === 0) return []
  const limit = Math.max(2, Math.ceil(t.length / 3))
  const scored = [...new Set(names)]
    .map((n) => ({ n, d: distance(t, n.toLocaleLowerCase('ru')) }))
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d)
  if (scored.length === 0) {
    const c = closest(t, names.map((n) => n.toLocaleLowerCase('ru')))
    return c && distance(t, c) <= limit ? [names.find((n) => n.toLocaleLowerCase('ru') === c)!] : []
  }
  return scored.slice(0, 3).map((x) => x.n)
}

export function existingState(u: DirectoryUser): ExistingState {
  if (!u.active) return 'dismissed'
  if (u.invited) return 'invited'
  if (u.userType === 'extranet') return 'extranet'
  return 'active'
}

/**
 * The dry run: every problem a send would hit, found before anything is sent. Pure — the caller supplies
 * the directory snapshot — so it costs no REST calls per row.
 */
export function checkRows(rows: NormalizedRow[], ctx: DryRunContext, excluded: ReadonlySet<number>): DryRunRow[] {
  return rows.map(rowChecker(ctx, excluded))
}

/** One row's check, with the per-run indexes (departments, groups) built once. */
export function rowChecker(ctx: DryRunContext, excluded: ReadonlySet<number>): (r: NormalizedRow) => DryRunRow {
  const deps = departmentIndex(ctx.departments)
  const groupsById = new Map(ctx.groups.map((g) => [g.id, g]))
  const groupsByName = new Map<string, GroupInfo[]>()
  for (const g of ctx.groups) {
    const k = g.name.trim().toLocaleLowerCase('ru')
    groupsByName.set(k, [...(groupsByName.get(k) ?? []), g])
  }

  return (r) => {
    const issues: DryRunIssue[] = r.issues.map((i) => ({ ...i }))
    const err = (field: string, code: DryRunIssue['code'], message: string, suggestions?: string[]) =>
      issues.push({ field, code, message, severity: 'error', ...(suggestions?.length ? { suggestions } : {}) })

    let department: DryRunRow['department'] = null
    if (r.department?.kind === 'id') {
      if (deps.byId.has(r.department.id)) department = { id: r.department.id, path: deps.pathText(r.department.id) }
      else err('department', 'unknown_department', `No department with ID ${r.department.id}`)
    } else if (r.department?.kind === 'path') {
      const found = deps.resolvePath(r.department.path)
      if (found.ids.length === 1) department = { id: found.ids[0]!, path: deps.pathText(found.ids[0]!) }
      else if (found.ids.length > 1) err('department', 'ambiguous_department', `"${r.department.path.join(' / ')}" matches ${found.ids.length} departments; give the full path`, found.ids.map((id) => deps.pathText(id)))
      else err('department', 'unknown_department', `No department "${r.department.path.join(' / ')}"`, found.suggestions)
    } else if (ctx.defaultDepartmentId !== null && deps.byId.has(ctx.defaultDepartmentId)) {
      department = { id: ctx.defaultDepartmentId, path: deps.pathText(ctx.defaultDepartmentId) }
    }

    const groups: DryRunRow['groups'] = []
    const refs = r.groups.length ? r.groups : ctx.defaultGroupIds.map((id) => ({ kind: 'id' as const, id }))
    for (const g of refs) {
      if (g.kind === 'id') {
        const found = groupsById.get(g.id)
        if (found) groups.push({ id: found.id, name: found.name })
        else err('groups', 'unknown_group', `No group with ID ${g.id}`)
      } else {
        const found = groupsByName.get(g.name.trim().toLocaleLowerCase('ru')) ?? []
        if (found.length === 1) groups.push({ id: found[0]!.id, name: found[0]!.name })
        else if (found.length > 1) err('groups', 'ambiguous_group', `${found.length} groups are called "${g.name}"; use the group ID`, found.map((x) => `${x.name} (ID ${x.id})`))
        else err('groups', 'unknown_group', `No group "${g.name}"`, nearest(g.name, ctx.groups.map((x) => x.name)))
      }
    }

    if (ctx.kind === 'intranet' && !department && !issues.some((i) => i.field === 'department')) {
      err('department', 'missing_department', 'An employee invitation needs a department: map a column or choose a default')
    }
    if (ctx.kind === 'extranet' && groups.length === 0 && !issues.some((i) => i.field === 'groups')) {
      err('groups', 'missing_group', 'A guest (extranet) invitation needs at least one group')
    }
    if (!r.email && r.phone && !ctx.phoneInvite) {
      err('phone', 'phone_invite_unavailable', 'This portal does not offer invitations by phone through REST; add an e-mail')
    }

    const row: DryRunRow = {
      rowNumber: r.rowNumber, status: 'ready', email: r.email, phone: r.phone, name: r.name, lastName: r.lastName, position: r.position,
      department, groups, lang: r.language ?? ctx.defaultLang, issues, existing: null, groupAction: null,
    }
    const existing = existingOf(r.email, r.phone, ctx.existingByEmail, ctx.existingByPhone)
    if (existing) applyExisting(row, existing, ctx.kind)
    row.status = excluded.has(r.rowNumber) ? 'excluded' : statusOf(issues)
    return row
  }
}

function existingOf(email: string | null, phone: string | null, byEmail: Map<string, DirectoryUser>, byPhone: Map<string, DirectoryUser>): DryRunRow['existing'] {
  const match = (email ? byEmail.get(email.toLowerCase()) : undefined) ?? (phone ? byPhone.get(phone) : undefined)
  return match ? { userId: match.id, state: existingState(match) } : null
}

function statusOf(issues: DryRunIssue[]): DryRunRow['status'] {
  if (issues.some((i) => i.severity === 'error')) return 'error'
  return issues.some((i) => i.severity === 'warning') ? 'warning' : 'ready'
}

/** What happens to a row naming someone already in the portal: skipped, or brought into the guest group. */
function applyExisting(row: DryRunRow, existing: NonNullable<DryRunRow['existing']>, kind: DryRunContext['kind']): void {
  row.existing = existing
  const field = row.email !== null ? 'email' : 'phone'
  const what = { active: 'is already an active user', invited: 'was already invited and has not accepted yet', dismissed: 'is a dismissed user', extranet: 'is already an extranet user' }[existing.state]
  if (kind === 'intranet' || existing.state === 'dismissed') {
    row.issues.push({ field, code: 'already_exists', message: `This person ${what} (ID ${existing.userId}); the row will be skipped`, severity: 'warning' })
    return
  }
  if (row.groups.length !== 1) {
    // One group call per row keeps each row one state machine; several groups need several rows.
    if (row.groups.length > 1) row.issues.push({ field: 'groups', code: 'one_group_for_existing', message: `This person ${what} (ID ${existing.userId}) and can be brought into one group per row: keep one group, or split the row`, severity: 'error' })
    return
  }
  const group = row.groups[0]!
  if (existing.state === 'invited') {
    row.groupAction = { method: 'sonet_group.user.add', groupId: group.id }
    row.issues.push({ field, code: 'existing_added_to_group', message: `This person ${what} (ID ${existing.userId}): added to "${group.name}" directly (sonet_group.user.add), so the group is there when they accept`, severity: 'info' })
  } else {
    row.groupAction = { method: 'sonet_group.user.invite', groupId: group.id }
    row.issues.push({ field, code: 'existing_invited_to_group', message: `This person ${what} (ID ${existing.userId}): invited to "${group.name}" (sonet_group.user.invite); they confirm in Bitrix24`, severity: 'info' })
  }
}

/**
 * The directory part of the check, for rows checked with empty `existingByEmail`/`existingByPhone`: the same
 * row checkRows would give with the matches (the warning comes last, a ready row becomes a warning).
 * Lets a caller check rows as it reads them and look the directory up once for all of them afterwards.
 */
export function markExisting(row: DryRunRow, byEmail: Map<string, DirectoryUser>, byPhone: Map<string, DirectoryUser>, kind: DryRunContext['kind']): void {
  const existing = existingOf(row.email, row.phone, byEmail, byPhone)
  if (!existing) return
  applyExisting(row, existing, kind)
  if (row.status !== 'excluded') row.status = statusOf(row.issues)
}

export function summarize(rows: DryRunRow[]): DryRunSummary {
  const s: DryRunSummary = { total: rows.length, ready: 0, warnings: 0, errors: 0, excluded: 0, existing: { active: 0, invited: 0, dismissed: 0, extranet: 0 } }
  for (const r of rows) {
    if (r.status === 'ready') s.ready++
    else if (r.status === 'warning') s.warnings++
    else if (r.status === 'error') s.errors++
    else s.excluded++
    if (r.existing && r.status !== 'excluded') s.existing[r.existing.state]++
  }
  return s
}
