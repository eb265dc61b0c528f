/**
 * Workgroups: sonet_group.get, sonet_group.user.get|add|invite|delete (api-reference/sonet-group/…),
 * socialnetwork.api.workgroup.list|get (socialnetwork-api-workgroup-list.md, -get.md) and the
 * undocumented socialnetwork.collab.Member.add|delete (only with `extraMethods`).
 * Scope codes: permissions.md lists "sonet_group, socialnetwork" as one scope; pages print `sonet`.
 */
import { isoDate } from '../clock.js'
import { RestError } from '../errors.js'
import { applyFilter, applyOrder, paginate, type Fields } from '../listing.js'
import { int, intList, list, obj, param, str, upperKeys, yesNo, type Params } from '../params.js'
import { EXTRANET_SITE_ID, MAIN_SITE_ID, type GroupRecord } from '../state.js'
import type { MethodContext, MethodDef } from './types.js'

const SONET_SCOPES = ['sonet_group', 'socialnetwork', 'sonet'] as const

const activeMember = (g: GroupRecord, uid: number): boolean => {
  const m = g.members.get(uid)
  return m !== undefined && m.role !== 'Z'
}

/** Groups the caller may see: visible ones and their own; extranet users only their own. */
function canSee(ctx: MethodContext, g: GroupRecord, adminBypass: boolean): boolean {
  if (adminBypass && ctx.isAdmin) return true
  const related = g.members.has(ctx.user.ID)
  if (ctx.user.USER_TYPE === 'extranet') return related
  return g.VISIBLE === 'Y' || related
}

const memberCount = (g: GroupRecord): number => [...g.members.values()].filter((m) => m.role !== 'Z').length
const moderatorCount = (g: GroupRecord): number => [...g.members.values()].filter((m) => m.role === 'E').length
const isProject = (g: GroupRecord): boolean => g.TYPE === 'project' || g.TYPE === 'scrum'

const GROUP_FIELDS: Fields<GroupRecord> = {
  ID: { get: (g) => g.ID },
  NAME: { get: (g) => g.NAME },
  OWNER_ID: { get: (g) => g.OWNER_ID },
  ACTIVE: { get: (g) => g.ACTIVE },
  VISIBLE: { get: (g) => g.VISIBLE },
  OPENED: { get: (g) => g.OPENED },
  CLOSED: { get: (g) => g.CLOSED },
  PROJECT: { get: (g) => (isProject(g) ? 'Y' : 'N') },
  SUBJECT_ID: { get: (g) => g.SUBJECT_ID },
  SITE_ID: { get: (g) => g.SITE_IDS },
  DATE_CREATE: { get: (g) => g.DATE_CREATE, date: true },
  DATE_UPDATE: { get: (g) => g.DATE_UPDATE, date: true },
  DATE_ACTIVITY: { get: (g) => g.DATE_ACTIVITY, date: true },
  NUMBER_OF_MEMBERS: { get: (g) => memberCount(g) },
  INITIATE_PERMS: { get: (g) => g.INITIATE_PERMS },
  TYPE: { get: (g) => g.TYPE },
  KEYWORDS: { get: (g) => g.KEYWORDS ?? '' },
  DESCRIPTION: { get: (g) => g.DESCRIPTION ?? '' },
}

/** sonet_group.get item (sonet-group-get.md example). */
function formatSonetGroup(ctx: MethodContext, g: GroupRecord): Record<string, unknown> {
  return {
    ID: String(g.ID),
    SITE_ID: MAIN_SITE_ID,
    NAME: g.NAME,
    DESCRIPTION: g.DESCRIPTION,
    DATE_CREATE: isoDate(g.DATE_CREATE),
    DATE_UPDATE: isoDate(g.DATE_UPDATE),
    ACTIVE: g.ACTIVE,
    VISIBLE: g.VISIBLE,
    OPENED: g.OPENED,
    CLOSED: g.CLOSED,
    SUBJECT_ID: String(g.SUBJECT_ID),
    OWNER_ID: String(g.OWNER_ID),
    KEYWORDS: g.KEYWORDS,
    NUMBER_OF_MEMBERS: String(memberCount(g)),
    DATE_ACTIVITY: isoDate(g.DATE_ACTIVITY),
    SUBJECT_NAME: 'Workgroups',
    PROJECT: isProject(g) ? 'Y' : 'N',
    IS_EXTRANET: ctx.portal.isExtranetGroup(g) ? 'Y' : 'N',
  }
}

const listOut = (items: unknown, page: { total?: number; next?: number }): { result: unknown; total?: number; next?: number } => ({
  result: items,
  ...(page.total !== undefined ? { total: page.total } : {}),
  ...(page.next !== undefined ? { next: page.next } : {}),
})

function sonetGroupGet(ctx: MethodContext): ReturnType<typeof listOut> {
  const p = upperKeys(ctx.params)
  const filter: Params = { ...obj(p.FILTER) }
  const groupId = int(p.GROUP_ID)
  if (Number.isFinite(groupId)) filter.ID = groupId
  let groups = [...ctx.portal.groupsById.values()].filter((g) => canSee(ctx, g, str(p.IS_ADMIN).toUpperCase() === 'Y'))
  groups = applyFilter(groups, filter, GROUP_FIELDS, (key, value, g) => {
    if (key.replace(/^[!=]+/, '').toUpperCase() !== 'IS_EXTRANET') return undefined
    const want = yesNo(value)
    const is = ctx.portal.isExtranetGroup(g)
    const eq = want === undefined ? true : is === want
    return key.startsWith('!') ? !eq : eq
  })
  const order = p.ORDER !== undefined ? obj(p.ORDER) : { ID: 'DESC' }
  groups = applyOrder(groups, order, GROUP_FIELDS)
  const page = paginate(groups, p.START)
  return listOut(page.items.map((g) => formatSonetGroup(ctx, g)), page)
}

/** sonet_group.user.* errors come with an empty `error` and HTTP 400 (sonet-group-user-add.md). */
const sonetError = (description: string): RestError => new RestError(400, '', description)

function sonetGroupUserGet(ctx: MethodContext): { result: unknown } {
  const id = int(param(ctx.params, 'ID'))
  if (!Number.isFinite(id) || id <= 0) throw sonetError('Wrong socialnetwork group ID')
  const g = ctx.portal.groupsById.get(id)
  // "Group or project not found or is private".
  if (!g || !canSee(ctx, g, true)) throw sonetError('Socialnetwork group not found')
  return {
    result: [...g.members]
      .filter(([, m]) => m.role !== 'Z')
      .map(([uid, m]) => ({ USER_ID: String(uid), ROLE: m.role })),
  }
}

function sonetGroupUserAdd(ctx: MethodContext): { result: unknown } {
  const groupId = int(param(ctx.params, 'GROUP_ID'))
  if (!Number.isFinite(groupId) || groupId <= 0) throw sonetError('Wrong group ID')
  // "Who can execute the method: administrator".
  if (!ctx.isAdmin) throw sonetError('No permissions to add users')
  const userIds = intList(param(ctx.params, 'USER_ID')).filter((n) => n > 0)
  if (userIds.length === 0) throw sonetError('Wrong user IDs')
  const g = ctx.portal.groupsById.get(groupId)
  if (!g) throw sonetError('Socialnetwork group not found')
  const added: string[] = []
  const now = ctx.clock.now()
  for (const uid of userIds) {
    const u = ctx.portal.usersById.get(uid)
    // "If the intranet module is enabled, the method adds only employees and extranet users."
    if (!u || (u.USER_TYPE !== 'employee' && u.USER_TYPE !== 'extranet') || activeMember(g, uid)) continue
    g.members.set(uid, { role: 'K', initiatedBy: 'G', at: now })
    // api-reference/user/index.md: an extranet user added this way turns the group external.
    if (u.USER_TYPE === 'extranet') ctx.portal.makeGroupExtranet(g)
    added.push(String(uid))
  }
  return { result: added }
}

/**
 * sonet_group.user.delete (api-reference/sonet-group/members/sonet-group-user-delete.md). "Who can execute
 * the method: administrator"; "You cannot remove the owner of the group or project and the scrum master".
 * Every relation of the user goes, a pending invitation (role Z) included; the answer lists the removed IDs.
 */
function sonetGroupUserDelete(ctx: MethodContext): { result: unknown } {
  const groupId = int(param(ctx.params, 'GROUP_ID'))
  if (!Number.isFinite(groupId) || groupId <= 0) throw sonetError('Wrong group ID')
  // The page's own error text for missing rights (shared with sonet_group.user.update).
  if (!ctx.isAdmin) throw sonetError('No permissions to update users role')
  const userIds = intList(param(ctx.params, 'USER_ID')).filter((n) => n > 0)
  if (userIds.length === 0) throw sonetError('Wrong user IDs')
  const g = ctx.portal.groupsById.get(groupId)
  if (!g) throw sonetError('Socialnetwork group not found')
  const removed: string[] = []
  for (const uid of userIds) {
    if (uid === g.OWNER_ID || uid === g.SCRUM_MASTER_ID || !g.members.has(uid)) continue
    g.members.delete(uid)
    removed.push(String(uid))
  }
  return { result: removed }
}

/** INITIATE_PERMS: A owner only, E owner and moderators, K every member. */
function canInvite(ctx: MethodContext, g: GroupRecord): boolean {
  if (ctx.isAdmin) return true
  const m = g.members.get(ctx.user.ID)
  if (!m || m.role === 'Z') return false
  if (g.INITIATE_PERMS === 'A') return m.role === 'A'
  if (g.INITIATE_PERMS === 'E') return m.role === 'A' || m.role === 'E'
  return true
}

function sonetGroupUserInvite(ctx: MethodContext): { result: unknown } {
  const groupId = int(param(ctx.params, 'GROUP_ID'))
  if (!Number.isFinite(groupId) || groupId <= 0) throw sonetError('Wrong group ID')
  const userIds = intList(param(ctx.params, 'USER_ID')).filter((n) => n > 0)
  if (userIds.length === 0) throw sonetError('Wrong user IDs')
  const g = ctx.portal.groupsById.get(groupId)
  if (!g || !canSee(ctx, g, true)) throw sonetError('Socialnetwork group not found')
  // "An empty array means that none of the provided users could be invited. For example, the user is
  // already a member of the group or the current user does not have permission to invite."
  if (!canInvite(ctx, g)) return { result: [] }
  const message = str(param(ctx.params, 'MESSAGE'))
  const invited: string[] = []
  for (const uid of userIds) {
    if (!ctx.portal.usersById.has(uid) || g.members.has(uid)) continue
    g.members.set(uid, { role: 'Z', initiatedBy: 'G', at: ctx.clock.now(), ...(message ? { message } : {}) })
    invited.push(String(uid))
  }
  return { result: invited }
}

const camel = (s: string): string => s.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())

function workgroupSelectValue(g: GroupRecord, field: string): unknown {
  switch (field) {
    case 'ID': return String(g.ID)
    case 'ACTIVE': return g.ACTIVE
    case 'SUBJECT_ID': return String(g.SUBJECT_ID)
    case 'NAME': return g.NAME
    case 'DESCRIPTION': return g.DESCRIPTION ?? ''
    case 'KEYWORDS': return g.KEYWORDS ?? ''
    case 'CLOSED': return g.CLOSED
    case 'VISIBLE': return g.VISIBLE
    case 'OPENED': return g.OPENED
    case 'PROJECT': return isProject(g) ? 'Y' : 'N'
    case 'LANDING': return 'N'
    case 'DATE_CREATE': return isoDate(g.DATE_CREATE)
    case 'DATE_UPDATE': return isoDate(g.DATE_UPDATE)
    case 'DATE_ACTIVITY': return isoDate(g.DATE_ACTIVITY)
    case 'IMAGE_ID': return '0'
    case 'AVATAR_TYPE': return null
    case 'OWNER_ID': return String(g.OWNER_ID)
    case 'NUMBER_OF_MEMBERS': return String(memberCount(g))
    case 'NUMBER_OF_MODERATORS': return String(moderatorCount(g))
    case 'INITIATE_PERMS': return g.INITIATE_PERMS
    case 'PROJECT_DATE_START':
    case 'PROJECT_DATE_FINISH': return null
    case 'SCRUM_MASTER_ID': return String(g.SCRUM_MASTER_ID ?? 0)
    case 'SCRUM_OWNER_ID':
    case 'SCRUM_SPRINT_DURATION': return '0'
    case 'SCRUM_TASK_RESPONSIBLE': return ''
    case 'TYPE': return g.TYPE
    case 'AVATAR': return ''
    case 'SITE_ID': return MAIN_SITE_ID
    default: return undefined
  }
}

function workgroupList(ctx: MethodContext): ReturnType<typeof listOut> {
  const p = ctx.params
  const params = obj(param(p, 'params'))
  const adminBypass = str(param(params, 'IS_ADMIN')).toUpperCase() === 'Y'
  let groups = [...ctx.portal.groupsById.values()].filter((g) => canSee(ctx, g, adminBypass))
  // "The method also always adds a filter by site: for extranet users, the extranet site is used;
  // for others — the site from params[siteId] or the current account site".
  const site = ctx.user.USER_TYPE === 'extranet' ? EXTRANET_SITE_ID : str(param(params, 'siteId')) || MAIN_SITE_ID
  groups = groups.filter((g) => g.SITE_IDS.includes(site))
  groups = applyFilter(groups, obj(param(p, 'filter')), GROUP_FIELDS)
  const order = obj(param(p, 'order'))
  groups = applyOrder(groups, Object.keys(order).length > 0 ? order : { ID: 'ASC' }, GROUP_FIELDS)
  const page = paginate(groups, param(p, 'start'))
  let select = list(param(p, 'select')).map((s) => str(s).toUpperCase()).filter(Boolean)
  // "If the parameter is not passed or is empty, only ID is selected."
  if (select.length === 0) select = ['ID']
  if (!select.includes('ID')) select.unshift('ID')
  const mobile = str(param(params, 'mode')) === 'mobile'
  const withDialog = str(param(params, 'shouldSelectDialogId')).toUpperCase() === 'Y'
  const items = page.items.map((g) => {
    const row: Record<string, unknown> = {}
    for (const f of select) {
      const v = workgroupSelectValue(g, f)
      if (v !== undefined) row[camel(f)] = v
    }
    if (mobile) {
      const m = g.members.get(ctx.user.ID)
      row.additionalData = { role: m?.role ?? '', initiatedByType: m?.initiatedBy ?? '' }
    }
    if (withDialog) row.dialogId = `chat${g.CHAT_ID}`
    return row
  })
  return listOut({ workgroups: items }, page)
}

const pad = (n: number): string => String(n).padStart(2, '0')

/** socialnetwork-api-workgroup-get.md: `DD.MM.YYYY hh:mm:ss` (its en example: `04/17/2025 19:37:55`). */
function siteDateTime(ms: number, lang: string): string {
  const d = new Date(ms)
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  return lang === 'ru'
    ? `${pad(d.getUTCDate())}.${pad(d.getUTCMonth() + 1)}.${d.getUTCFullYear()} ${time}`
    : `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${d.getUTCFullYear()} ${time}`
}

function workgroupGet(ctx: MethodContext): { result: unknown } {
  const params = obj(param(ctx.params, 'params'))
  const groupId = int(param(params, 'groupId'))
  if (!Number.isFinite(groupId) || groupId <= 0) throw new RestError(400, 'SONET_CONTROLLER_WORKGROUP_EMPTY', 'No value for the workgroup ID was provided.')
  const g = ctx.portal.groupsById.get(groupId)
  // "An administrator can retrieve information about any group on the account".
  if (!g || !canSee(ctx, g, true)) throw new RestError(400, 'SONET_CONTROLLER_WORKGROUP_NOT_FOUND', 'Workgroup not found.')
  const lang = ctx.portal.lang
  const byRole = (roles: string[]): number[] => [...g.members].filter(([, m]) => roles.includes(m.role)).map(([id]) => id)
  const invitedIds = [...g.members].filter(([, m]) => m.role === 'Z' && m.initiatedBy === 'G').map(([id]) => id)
  const awaitingIds = [...g.members].filter(([, m]) => m.role === 'Z' && m.initiatedBy === 'U').map(([id]) => id)
  const userName = (id: number): string => {
    const u = ctx.portal.usersById.get(id)
    return u ? `${str(u.fields.NAME)} ${str(u.fields.LAST_NAME)}`.trim() || str(u.fields.EMAIL) : ''
  }
  const result: Record<string, unknown> = {
    ID: g.ID,
    ACTIVE: g.ACTIVE,
    SITE_ID: MAIN_SITE_ID,
    SUBJECT_ID: g.SUBJECT_ID,
    NAME: g.NAME,
    DESCRIPTION: g.DESCRIPTION ?? '',
    KEYWORDS: g.KEYWORDS ?? '',
    CLOSED: g.CLOSED,
    VISIBLE: g.VISIBLE,
    OPENED: g.OPENED,
    DATE_CREATE: siteDateTime(g.DATE_CREATE, lang),
    DATE_UPDATE: siteDateTime(g.DATE_UPDATE, lang),
    DATE_ACTIVITY: siteDateTime(g.DATE_ACTIVITY, lang),
    IMAGE_ID: 0,
    AVATAR_TYPE: 'folder',
    OWNER_ID: g.OWNER_ID,
    INITIATE_PERMS: g.INITIATE_PERMS,
    NUMBER_OF_MEMBERS: memberCount(g),
    NUMBER_OF_MODERATORS: moderatorCount(g),
    PROJECT: isProject(g) ? 'Y' : 'N',
    PROJECT_DATE_START: null,
    PROJECT_DATE_FINISH: null,
    SEARCH_INDEX: `${g.NAME} ${g.DESCRIPTION ?? ''}`.trim(),
    LANDING: 'N',
    SCRUM_OWNER_ID: 0,
    SCRUM_SPRINT_DURATION: 0,
    SCRUM_TASK_RESPONSIBLE: '',
    TYPE: g.TYPE,
    MEMBERS: byRole(['A', 'E', 'K']),
    CHAT_ID: g.CHAT_ID,
    DIALOG_ID: `chat${g.CHAT_ID}`,
    ORDINARY_MEMBERS: byRole(['K']),
    INVITED_MEMBERS: invitedIds,
    MODERATOR_MEMBERS: byRole(['E']),
    SITE_IDS: [...g.SITE_IDS],
  }
  const select = new Set(list(param(params, 'select')).map((s) => str(s).toUpperCase()))
  if (select.has('TAGS')) result.TAGS = (g.KEYWORDS ?? '').split(',').map((t) => t.trim()).filter(Boolean).sort()
  if (select.has('DEPARTMENTS')) result.DEPARTMENTS = []
  if (select.has('GROUP_MEMBERS_LIST')) {
    result.GROUP_MEMBERS_LIST = [...g.members].map(([id, m]) => ({
      id,
      invited: m.role === 'Z' && m.initiatedBy === 'G',
      isAwaiting: m.role === 'Z' && m.initiatedBy === 'U',
      isMember: m.role !== 'Z',
    }))
  }
  if (select.has('LIST_OF_MEMBERS_AWAITING_INVITE')) result.LIST_OF_MEMBERS_AWAITING_INVITE = awaitingIds.map((id) => ({ id, name: userName(id), photo: '' }))
  if (select.has('LIST_OF_MEMBERS')) {
    result.LIST_OF_MEMBERS = [...g.members]
      .filter(([, m]) => m.role !== 'Z')
      .map(([id, m]) => {
        const u = ctx.portal.usersById.get(id)
        return { id, isOwner: m.role === 'A', isModerator: m.role === 'E', isScrumMaster: id === g.SCRUM_MASTER_ID, isAutoMember: false, name: str(u?.fields.NAME), lastName: str(u?.fields.LAST_NAME), position: str(u?.fields.WORK_POSITION), photo: '' }
      })
  }
  if (select.has('COUNTERS')) result.COUNTERS = { workgroup_requests_out: invitedIds.length, workgroup_requests_in: awaitingIds.length }
  if (select.has('USER_DATA')) {
    const m = g.members.get(ctx.user.ID)
    result.USER_DATA = { ROLE: m?.role ?? false, INITIATED_BY_TYPE: m?.initiatedBy ?? false, IS_SUBSCRIBED: m !== undefined && m.role !== 'Z' }
  }
  if (select.has('OWNER_DATA')) result.OWNER_DATA = { ID: g.OWNER_ID, PHOTO: '', FORMATTED_NAME: userName(g.OWNER_ID) }
  if (select.has('SUBJECT_DATA')) result.SUBJECT_DATA = { ID: g.SUBJECT_ID, NAME: 'Workgroups' }
  if (select.has('PRIVACY_TYPE')) result.PRIVACY_CODE = g.OPENED === 'Y' ? 'open' : g.VISIBLE === 'Y' ? 'closed' : 'secret'
  if (select.has('PIN')) result.IS_PIN = false
  if (str(param(params, 'mode')) === 'mobile') {
    const m = g.members.get(ctx.user.ID)
    result.ADDITIONAL_DATA = { ROLE: m?.role ?? '', INITIATED_BY_TYPE: m?.initiatedBy ?? '' }
  }
  return { result }
}

/**
 * UNCONFIRMED (rest-facts §3.3, SRC only): `socialnetwork.collab.Member.add` with `groupId` and
 * `members` as access codes (`["U12"]`). The emulator adds existing users as members and answers `true`.
 */
function collabMemberAdd(ctx: MethodContext): { result: unknown } {
  const groupId = int(param(ctx.params, 'groupId'))
  const g = Number.isFinite(groupId) ? ctx.portal.groupsById.get(groupId) : undefined
  if (!g || g.TYPE !== 'collab') throw new RestError(400, 'SOCIALNETWORK_COLLAB_NOT_FOUND', 'Collab not found')
  if (!canInvite(ctx, g)) throw new RestError(403, 'ACCESS_DENIED', 'Access denied')
  for (const code of list(param(ctx.params, 'members')).map(str)) {
    const id = /^U(\d+)$/.exec(code)?.[1]
    const uid = id ? Number(id) : Number.NaN
    if (!ctx.portal.usersById.has(uid) || activeMember(g, uid)) continue
    g.members.set(uid, { role: 'K', initiatedBy: 'G', at: ctx.clock.now() })
  }
  return { result: true }
}

/**
 * UNCONFIRMED (rest-facts §3.3, SRC only): `socialnetwork.collab.Member.delete`, the counterpart of Member.add,
 * same params and errors. Owner and moderators (and admins) may remove; every relation of the user goes,
 * a pending invitation included; the owner is never removed. Answers `true`.
 */
function collabMemberDelete(ctx: MethodContext): { result: unknown } {
  const groupId = int(param(ctx.params, 'groupId'))
  const g = Number.isFinite(groupId) ? ctx.portal.groupsById.get(groupId) : undefined
  if (!g || g.TYPE !== 'collab') throw new RestError(400, 'SOCIALNETWORK_COLLAB_NOT_FOUND', 'Collab not found')
  const mine = g.members.get(ctx.user.ID)
  if (!ctx.isAdmin && mine?.role !== 'A' && mine?.role !== 'E') throw new RestError(403, 'ACCESS_DENIED', 'Access denied')
  for (const code of list(param(ctx.params, 'members')).map(str)) {
    const id = /^U(\d+)$/.exec(code)?.[1]
    const uid = id ? Number(id) : Number.NaN
    if (uid === g.OWNER_ID) continue
    g.members.delete(uid)
  }
  return { result: true }
}

export const sonetMethods: MethodDef[] = [
  { name: 'sonet_group.get', scopes: SONET_SCOPES, handler: sonetGroupGet },
  { name: 'sonet_group.user.get', scopes: SONET_SCOPES, handler: sonetGroupUserGet },
  { name: 'sonet_group.user.add', scopes: SONET_SCOPES, handler: sonetGroupUserAdd },
  { name: 'sonet_group.user.invite', scopes: SONET_SCOPES, handler: sonetGroupUserInvite },
  { name: 'sonet_group.user.delete', scopes: SONET_SCOPES, handler: sonetGroupUserDelete },
  { name: 'socialnetwork.api.workgroup.list', scopes: SONET_SCOPES, handler: workgroupList },
  { name: 'socialnetwork.api.workgroup.get', scopes: SONET_SCOPES, handler: workgroupGet },
  { name: 'socialnetwork.collab.member.add', scopes: SONET_SCOPES, optional: true, handler: collabMemberAdd },
  { name: 'socialnetwork.collab.member.delete', scopes: SONET_SCOPES, optional: true, handler: collabMemberDelete },
]
