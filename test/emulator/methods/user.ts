/**
 * user.get, user.search, user.current, user.fields, user.add, user.update
 * (api-reference/user/*.md). Field visibility per scope version: api-reference/user/user-scope.md.
 */
import { isoDate } from '../clock.js'
import { RestError } from '../errors.js'
import { applyFilter, applyOrder, paginate, splitKey, type Fields } from '../listing.js'
import { int, intList, list, obj, str, upperKeys, yesNo, type Params } from '../params.js'
import type { Portal } from '../portal.js'
import { HIDDEN_USER_TYPES, type UserRecord } from '../state.js'
import type { MethodContext, MethodDef } from './types.js'

/** Scope-limited field lists (user-scope.md "Limited user scope versions"). */
const USER_BRIEF_FIELDS = new Set([
  'ID', 'XML_ID', 'ACTIVE', 'NAME', 'LAST_NAME', 'SECOND_NAME', 'TITLE', 'IS_ONLINE', 'TIME_ZONE', 'PERSONAL_PHOTO',
  'TIMESTAMP_X', 'DATE_REGISTER', 'PERSONAL_PROFESSION', 'PERSONAL_GENDER', 'PERSONAL_BIRTHDAY', 'PERSONAL_CITY',
  'PERSONAL_STATE', 'PERSONAL_COUNTRY', 'WORK_POSITION', 'WORK_CITY', 'WORK_STATE', 'WORK_COUNTRY', 'LAST_ACTIVITY_DATE',
  'UF_EMPLOYMENT_DATE', 'UF_TIMEMAN', 'UF_SKILLS', 'UF_INTERESTS', 'UF_DEPARTMENT', 'UF_PHONE_INNER', 'USER_TYPE',
])
const USER_BASIC_FIELDS = new Set([
  'ID', 'XML_ID', 'ACTIVE', 'NAME', 'LAST_NAME', 'SECOND_NAME', 'TITLE', 'EMAIL', 'PERSONAL_PHONE', 'WORK_PHONE',
  'WORK_POSITION', 'WORK_COMPANY', 'IS_ONLINE', 'TIME_ZONE', 'TIMESTAMP_X', 'DATE_REGISTER', 'LAST_ACTIVITY_DATE',
  'PERSONAL_PROFESSION', 'PERSONAL_GENDER', 'PERSONAL_BIRTHDAY', 'PERSONAL_PHOTO', 'PERSONAL_FAX', 'PERSONAL_MOBILE',
  'PERSONAL_PAGER', 'PERSONAL_STREET', 'PERSONAL_MAILBOX', 'PERSONAL_CITY', 'PERSONAL_STATE', 'PERSONAL_ZIP',
  'PERSONAL_COUNTRY', 'PERSONAL_NOTES', 'WORK_DEPARTMENT', 'WORK_WWW', 'WORK_FAX', 'WORK_PAGER', 'WORK_STREET',
  'WORK_MAILBOX', 'WORK_CITY', 'WORK_STATE', 'WORK_ZIP', 'WORK_COUNTRY', 'WORK_PROFILE', 'WORK_LOGO', 'WORK_NOTES',
  'UF_DEPARTMENT', 'UF_DISTRICT', 'UF_SKYPE', 'UF_SKYPE_LINK', 'UF_ZOOM', 'UF_TWITTER', 'UF_FACEBOOK', 'UF_LINKEDIN',
  'UF_XING', 'UF_WEB_SITES', 'UF_PHONE_INNER', 'UF_EMPLOYMENT_DATE', 'UF_TIMEMAN', 'UF_SKILLS', 'UF_INTERESTS', 'USER_TYPE',
])

/** The user.add parameter table (user-add.md), minus EMAIL which is handled apart. */
const WRITABLE_FIELDS = new Set([
  'NAME', 'LAST_NAME', 'SECOND_NAME', 'PERSONAL_GENDER', 'PERSONAL_PROFESSION', 'PERSONAL_WWW', 'PERSONAL_BIRTHDAY',
  'PERSONAL_PHOTO', 'PERSONAL_ICQ', 'PERSONAL_PHONE', 'PERSONAL_FAX', 'PERSONAL_MOBILE', 'PERSONAL_PAGER',
  'PERSONAL_STREET', 'PERSONAL_CITY', 'PERSONAL_STATE', 'PERSONAL_ZIP', 'PERSONAL_COUNTRY', 'PERSONAL_MAILBOX',
  'PERSONAL_NOTES', 'WORK_PHONE', 'WORK_COMPANY', 'WORK_POSITION', 'WORK_DEPARTMENT', 'WORK_WWW', 'WORK_FAX',
  'WORK_PAGER', 'WORK_STREET', 'WORK_MAILBOX', 'WORK_CITY', 'WORK_STATE', 'WORK_ZIP', 'WORK_COUNTRY', 'WORK_PROFILE',
  'WORK_LOGO', 'WORK_NOTES', 'UF_SKYPE_LINK', 'UF_ZOOM', 'UF_INTERESTS', 'UF_SKILLS', 'UF_WEB_SITES', 'UF_XING',
  'UF_LINKEDIN', 'UF_FACEBOOK', 'UF_TWITTER', 'UF_SKYPE', 'UF_DISTRICT', 'UF_PHONE_INNER', 'UF_EMPLOYMENT_DATE',
])

const isWritable = (key: string): boolean => WRITABLE_FIELDS.has(key) || key.startsWith('UF_USR_')

type ScopeLevel = 'full' | 'basic' | 'brief'

export function userScopeLevel(scopes: readonly string[]): ScopeLevel {
  if (scopes.includes('user')) return 'full'
  if (scopes.includes('user_basic')) return 'basic'
  return 'brief'
}

const pad = (n: number): string => String(n).padStart(2, '0')
/** `24.08.2023 13:19:39` (TIMESTAMP_X in batch.md's example). */
const siteDate = (ms: number): string => {
  const d = new Date(ms)
  return `${pad(d.getUTCDate())}.${pad(d.getUTCMonth() + 1)}.${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
}
/** `2024-08-29 10:30:11` (LAST_ACTIVITY_DATE in user-current.md). */
const sqlDate = (ms: number): string => isoDate(ms).slice(0, 19).replace('T', ' ')

/** A user as user.get returns it (user-get.md example), restricted to the app's scope version. */
export function formatUser(u: UserRecord, level: ScopeLevel, select?: string[], withType = true): Record<string, unknown> {
  const f = u.fields
  const s = (k: string): string => (f[k] === undefined || f[k] === null ? '' : typeof f[k] === 'string' ? (f[k] as string) : String(f[k]))
  const out: Record<string, unknown> = {
    ID: String(u.ID),
    XML_ID: s('XML_ID'),
    ACTIVE: u.ACTIVE,
    NAME: s('NAME'),
    LAST_NAME: s('LAST_NAME'),
    SECOND_NAME: s('SECOND_NAME'),
    TITLE: s('TITLE'),
    EMAIL: s('EMAIL'),
    LAST_LOGIN: u.LAST_LOGIN === null ? '' : isoDate(u.LAST_LOGIN),
    DATE_REGISTER: isoDate(u.DATE_REGISTER),
    TIME_ZONE: s('TIME_ZONE'),
    IS_ONLINE: u.IS_ONLINE ? 'Y' : 'N',
    TIMESTAMP_X: siteDate(u.TIMESTAMP_X),
    LAST_ACTIVITY_DATE: u.LAST_ACTIVITY_DATE === null ? '' : sqlDate(u.LAST_ACTIVITY_DATE),
    PERSONAL_GENDER: s('PERSONAL_GENDER'),
    PERSONAL_BIRTHDAY: s('PERSONAL_BIRTHDAY'),
    WORK_POSITION: s('WORK_POSITION'),
    UF_EMPLOYMENT_DATE: s('UF_EMPLOYMENT_DATE'),
  }
  for (const [k, v] of Object.entries(f)) {
    if (k in out || !(isWritable(k) || k === 'UF_TIMEMAN')) continue
    out[k] = Array.isArray(v) ? v : v === null || v === undefined ? '' : typeof v === 'object' ? v : String(v)
  }
  out.UF_DEPARTMENT = [...u.UF_DEPARTMENT]
  if (withType) out.USER_TYPE = u.USER_TYPE
  const allowed = level === 'full' ? undefined : level === 'basic' ? USER_BASIC_FIELDS : USER_BRIEF_FIELDS
  const wanted = select && select.length > 0 && !select.includes('*') ? new Set(select.map((x) => x.toUpperCase())) : undefined
  const wantsUf = select?.some((x) => x.toUpperCase() === 'UF_*') ?? false
  for (const key of Object.keys(out)) {
    if (allowed && !allowed.has(key) && !(key.startsWith('UF_USR_') && level === 'full')) delete out[key]
    else if (wanted && !wanted.has(key) && !(wantsUf && key.startsWith('UF_'))) delete out[key]
  }
  return out
}

/** ONUSERADD `data` (api-reference/common/events/on-user-add.md). */
export function onUserAddData(u: UserRecord): Record<string, unknown> {
  const f = u.fields
  const s = (k: string): string => (f[k] === undefined || f[k] === null ? '' : String(f[k]))
  const data: Record<string, unknown> = {
    ID: u.ID,
    ACTIVE: u.ACTIVE ? 'Y' : 'N',
    EMAIL: s('EMAIL'),
    NAME: s('NAME'),
    LAST_NAME: s('LAST_NAME'),
    PERSONAL_GENDER: s('PERSONAL_GENDER'),
    PERSONAL_BIRTHDAY: s('PERSONAL_BIRTHDAY'),
  }
  // "May be absent for Extranet users".
  if (u.USER_TYPE !== 'extranet' && u.UF_DEPARTMENT.length > 0) data.UF_DEPARTMENT = [...u.UF_DEPARTMENT]
  data.DATE_REGISTER = isoDate(u.DATE_REGISTER)
  data.WORK_POSITION = s('WORK_POSITION')
  data.UF_EMPLOYMENT_DATE = s('UF_EMPLOYMENT_DATE')
  return data
}

function userFieldTable(users: UserRecord[]): Fields<UserRecord> {
  const t: Fields<UserRecord> = {
    ID: { get: (u) => u.ID },
    ACTIVE: { get: (u) => u.ACTIVE },
    EMAIL: { get: (u) => str(u.fields.EMAIL) },
    LAST_LOGIN: { get: (u) => u.LAST_LOGIN, date: true },
    DATE_REGISTER: { get: (u) => u.DATE_REGISTER, date: true },
    TIMESTAMP_X: { get: (u) => u.TIMESTAMP_X, date: true },
    LAST_ACTIVITY_DATE: { get: (u) => u.LAST_ACTIVITY_DATE, date: true },
    IS_ONLINE: { get: (u) => (u.IS_ONLINE ? 'Y' : 'N') },
    USER_TYPE: { get: (u) => u.USER_TYPE },
    UF_DEPARTMENT: { get: (u) => u.UF_DEPARTMENT },
  }
  for (const u of users) {
    for (const k of Object.keys(u.fields)) {
      if (t[k]) continue
      t[k] = { get: (x) => { const v = x.fields[k]; return Array.isArray(v) ? (v as Array<string | number>) : v === undefined || v === null ? '' : typeof v === 'object' ? '' : String(v) } }
    }
  }
  for (const k of WRITABLE_FIELDS) if (!t[k]) t[k] = { get: (x) => str(x.fields[k]) }
  return t
}

/** Users the caller may list: extranet users only see people they share a group with (ADMIN_MODE lifts it for admins). */
function visibleUsers(ctx: MethodContext, adminMode: boolean): UserRecord[] {
  const all = ctx.portal.userRecords().filter((u) => !HIDDEN_USER_TYPES.has(u.USER_TYPE))
  if (ctx.user.USER_TYPE !== 'extranet' || (adminMode && ctx.isAdmin)) return all
  const mates = new Set<number>([ctx.user.ID])
  for (const g of ctx.portal.groupsById.values()) {
    const me = g.members.get(ctx.user.ID)
    if (!me || me.role === 'Z') continue
    for (const [uid, m] of g.members) if (m.role !== 'Z') mates.add(uid)
  }
  return all.filter((u) => mates.has(u.ID))
}

const RESERVED = new Set(['FILTER', 'SORT', 'ORDER', 'START', 'SELECT', 'ADMIN_MODE', 'IMAGE_RESIZE', 'AUTH'])

/**
 * user.get: "FILTER" object or, as the doc's own example does ({"UF_DEPARTMENT": 1, "SORT": "ID",
 * "ORDER": "asc"}), filter keys at the top level. Keys are case-insensitive. `order` may also be an
 * object ({ID: 'ASC'}), which is what b24jssdk's callList sends.
 */
function listUsers(ctx: MethodContext, searchMode: boolean): { result: unknown; total?: number; next?: number } {
  const p = upperKeys(ctx.params)
  let filter: Params
  if (p.FILTER !== undefined) filter = obj(p.FILTER)
  else filter = Object.fromEntries(Object.entries(p).filter(([k]) => !RESERVED.has(k.replace(/^[!<>=%@?]+/, ''))))
  const adminMode = yesNo(p.ADMIN_MODE) === true
  let users = visibleUsers(ctx, adminMode)
  const fields = userFieldTable(users)
  const deptName = (u: UserRecord): string[] => u.UF_DEPARTMENT.map((id) => ctx.portal.departmentsById.get(id)?.NAME ?? '')
  const words = (v: unknown): string[] => str(v).toLowerCase().split(/\s+/).filter(Boolean)
  const prefixMatch = (haystack: string[], needle: unknown): boolean =>
    words(needle).every((w) => haystack.some((h) => h.toLowerCase().split(/\s+/).some((part) => part.startsWith(w))))
  const findKey = Object.keys(filter).find((k) => k.toUpperCase() === 'FIND')
  if (searchMode && findKey !== undefined) {
    // user-search.md: FIND cannot be combined with other keys; it searches the listed fields.
    const needle = filter[findKey]
    users = users.filter((u) => prefixMatch([str(u.fields.NAME), str(u.fields.LAST_NAME), str(u.fields.SECOND_NAME), str(u.fields.WORK_POSITION), ...deptName(u)], needle))
  } else {
    users = applyFilter(users, filter, fields, (key, value, u) => {
      const { op, field } = splitKey(key)
      const name = field.toUpperCase()
      if (name === 'NAME_SEARCH') {
        const hay = [str(u.fields.NAME), str(u.fields.LAST_NAME), str(u.fields.SECOND_NAME), str(u.fields.EMAIL), str(u.fields.WORK_POSITION)]
        return words(value).every((w) => hay.some((h) => h.toLowerCase().includes(w)))
      }
      if (name === 'ACTIVE' && op === '') {
        // user-get.md: "ACTIVE — when set to true, excludes terminated users".
        const want = yesNo(value)
        return want === undefined ? true : u.ACTIVE === want
      }
      if (searchMode && op === '' && ['NAME', 'LAST_NAME', 'WORK_POSITION'].includes(name)) return prefixMatch([str(u.fields[name])], value)
      if (searchMode && name === 'UF_DEPARTMENT_NAME') return prefixMatch(deptName(u), value)
      return undefined
    })
  }
  const orderParam = p.ORDER
  const order: Params =
    orderParam !== undefined && typeof orderParam === 'object' && orderParam !== null
      ? obj(orderParam)
      : { [str(p.SORT) || 'ID']: str(orderParam) || 'ASC' }
  users = applyOrder(users, order, fields)
  const page = paginate(users, p.START)
  const level = userScopeLevel(ctx.app.scopes)
  const select = list(p.SELECT).map(str).filter(Boolean)
  const out: { result: unknown; total?: number; next?: number } = { result: page.items.map((u) => formatUser(u, level, select)) }
  if (page.total !== undefined) out.total = page.total
  if (page.next !== undefined) out.next = page.next
  return out
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#039;')

function emailTaken(portal: Portal, email: string, exceptId?: number): boolean {
  const e = email.toLowerCase()
  // No copy of the user list per call: a 50-command batch on a 20,000-user portal asks 50 times.
  for (const u of portal.usersById.values()) if (u.ID !== exceptId && str(u.fields.EMAIL).length === e.length && str(u.fields.EMAIL).toLowerCase() === e) return true
  return false
}

const argErr = (description: string): RestError => new RestError(400, 'ERROR_ARGUMENT', description, '')

/** user-add.md error table. */
function addUser(ctx: MethodContext): { result: number } {
  const p = upperKeys(ctx.params)
  // "This is only possible on behalf of a user with user invitation rights, typically an administrator."
  if (!ctx.isAdmin) throw new RestError(400, 'ERROR_CORE', 'access_denied')
  const email = str(p.EMAIL).trim()
  if (!email || !EMAIL_RE.test(email)) throw argErr('wrong_email')
  const extranet = yesNo(p.EXTRANET) === true
  const departments = intList(p.UF_DEPARTMENT)
  const groupIds = intList(p.SONET_GROUP_ID)
  if (extranet) {
    if (groupIds.length === 0) throw new RestError(400, 'ERROR_GROUPID', 'Group code not specified')
    if (groupIds.some((id) => !ctx.portal.groupsById.has(id))) throw new RestError(400, 'ERROR_NO_GROUP', 'Group is specified incorrectly')
  } else if (departments.length === 0) {
    throw argErr('no_extranet_field')
  }
  if (emailTaken(ctx.portal, email)) {
    // The message is localised (RU: "Пользователь с таким email уже существует").
    throw argErr(ctx.portal.lang === 'ru' ? 'Пользователь с таким email уже существует' : 'A user with this email already exists')
  }
  if (!extranet && ctx.portal.userLimit !== null) {
    const seats = ctx.portal.userRecords().filter((u) => u.ACTIVE && u.USER_TYPE === 'employee').length
    if (seats >= ctx.portal.userLimit) throw argErr('user_count_exceeded')
  }
  const fields: Record<string, unknown> = { EMAIL: email }
  for (const [k, v] of Object.entries(p)) if (isWritable(k) && k !== 'PERSONAL_PHOTO' && k !== 'WORK_LOGO') fields[k] = v
  const messageText = p.MESSAGE_TEXT === undefined ? null : str(p.MESSAGE_TEXT)
  const created = ctx.portal.addUser({
    ...fields,
    UF_DEPARTMENT: extranet ? [] : departments,
    USER_TYPE: extranet ? 'extranet' : 'employee',
    // SRC: $inviteFields['ACTIVE'] = ($inviteFields['ACTIVE'] ?? 'Y').
    ACTIVE: yesNo(p.ACTIVE) ?? true,
    invited: true,
    LAST_LOGIN: null,
  })
  const now = ctx.clock.now()
  if (extranet) {
    for (const gid of groupIds) {
      const g = ctx.portal.groupsById.get(gid)
      if (!g || g.members.has(created.ID)) continue
      // SRC: CSocNetUserToGroup::SendRequestToJoinGroup — the user waits in the group's invited list.
      g.members.set(created.ID, { role: 'Z', initiatedBy: 'G', at: now })
      ctx.portal.makeGroupExtranet(g)
    }
  }
  ctx.portal.invitationRecords.push({
    userId: created.ID,
    email,
    invitedBy: ctx.user.ID,
    clientId: ctx.app.clientId,
    extranet,
    groupIds: extranet ? groupIds : [],
    departmentIds: extranet ? [] : departments,
    messageText,
    messageTextEscaped: messageText === null ? null : escapeHtml(messageText),
    at: now,
    acceptedAt: null,
  })
  return { result: created.ID }
}

/** user-update.md. */
function updateUser(ctx: MethodContext): { result: true } {
  const p = upperKeys(ctx.params)
  const id = int(p.ID)
  const target = Number.isFinite(id) ? ctx.portal.usersById.get(id) : undefined
  const self = target?.ID === ctx.user.ID
  if (!target || (!ctx.isAdmin && !self)) throw new RestError(400, 'ERROR_CORE', 'access_denied')
  if (p.EMAIL !== undefined) {
    const email = str(p.EMAIL).trim()
    if (!EMAIL_RE.test(email)) throw new RestError(400, 'ERROR_CORE', 'wrong_email')
    if (emailTaken(ctx.portal, email, target.ID)) throw new RestError(400, 'ERROR_CORE', 'A user with this email already exists')
    target.fields.EMAIL = email
  }
  // SRC: a user editing their own profile cannot change ACTIVE or UF_DEPARTMENT; LAST_LOGIN,
  // DATE_REGISTER and IS_ONLINE are never written.
  if (ctx.isAdmin) {
    const active = yesNo(p.ACTIVE)
    if (active !== undefined) target.ACTIVE = active
    if (p.UF_DEPARTMENT !== undefined) target.UF_DEPARTMENT = intList(p.UF_DEPARTMENT)
  }
  for (const [k, v] of Object.entries(p)) if (isWritable(k)) target.fields[k] = v
  target.TIMESTAMP_X = ctx.clock.now()
  return { result: true }
}

const USER_FIELD_LABELS: Record<string, string> = {
  ID: 'ID', XML_ID: 'XML ID', ACTIVE: 'Active', NAME: 'First name', LAST_NAME: 'Last name', SECOND_NAME: 'Second name',
  EMAIL: 'E-mail', LAST_LOGIN: 'Last login', DATE_REGISTER: 'Registration date', IS_ONLINE: 'Online', TIME_ZONE: 'Time zone',
  PERSONAL_GENDER: 'Gender', PERSONAL_BIRTHDAY: 'Date of birth', PERSONAL_MOBILE: 'Mobile phone', WORK_POSITION: 'Position',
  WORK_COMPANY: 'Company', UF_DEPARTMENT: 'Departments', UF_PHONE_INNER: 'Extension number', USER_TYPE: 'User type',
}

const READ_SCOPES = ['user', 'user_basic', 'user_brief'] as const

export const userMethods: MethodDef[] = [
  { name: 'user.get', scopes: READ_SCOPES, handler: (ctx) => listUsers(ctx, false) },
  { name: 'user.search', scopes: READ_SCOPES, handler: (ctx) => listUsers(ctx, true) },
  {
    name: 'user.current',
    scopes: READ_SCOPES,
    handler: (ctx) => ({ result: formatUser(ctx.user, userScopeLevel(ctx.app.scopes), undefined, false) }),
  },
  { name: 'user.fields', scopes: READ_SCOPES, handler: () => ({ result: USER_FIELD_LABELS }) },
  // user-scope.md: "In these scopes [user_brief, user_basic] ... user.add and user.update are not available".
  { name: 'user.add', scopes: ['user'], processingSec: 0.5, handler: addUser },
  { name: 'user.update', scopes: ['user'], processingSec: 0.1, handler: updateUser },
]

