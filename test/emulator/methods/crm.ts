/**
 * CRM contacts and companies (scope `crm`):
 * - crm.contact.get / list / add: api-reference/crm/contacts/crm-contact-{get,list,add}.md
 * - crm.company.get / list / add: api-reference/crm/companies/crm-company-{get,list,add}.md
 * - multi-fields (`PHONE`, `EMAIL`, `WEB`, `IM`, `LINK`): api-reference/crm/data-types.md#crm_multifield
 * - which fields exist in get/list answers and which are written: api-reference/crm/main-entities-fields.md
 *
 * Records are kept in the shape of the get examples (strings, ISO dates, null for unset values) and
 * answered in that key order; empty multi-fields are left out ("explicitly returned by this method only
 * if the values of this field are not equal to null"). Errors are HTTP 400 with an empty `error` code, as
 * the pages' error sections show, except `ERROR_CORE` for an invalid e-mail. There is no CRM permission
 * model: every user may read and add (the "Access denied" rows are not produced).
 */
import { isoDate } from '../clock.js'
import { RestError } from '../errors.js'
import { applyFilter, applyOrder, paginate, parseFilterDate, splitKey, type FieldValue, type Fields } from '../listing.js'
import { int, list, obj, param, str, upperKeys, yesNo, type Params } from '../params.js'
import type { Portal } from '../portal.js'
import type { CrmCompanyRecord, CrmContactRecord, CrmMultiFieldType, CrmMultiFieldValue, CrmMultiFields } from '../state.js'
import type { MethodContext, MethodDef } from './types.js'

/**
 * Field kinds: how a value is written, filtered and sorted.
 * `status` is `crm_status`/`crm_currency`, `ref` a `crm_company`/`crm_lead` id: the pages say LIKE does not
 * work on `crm_status`, `crm_contact`, `crm_company` fields.
 */
type Kind = 'int' | 'ref' | 'user' | 'text' | 'status' | 'yn' | 'date' | 'datetime' | 'double' | 'file'

interface FieldDef {
  name: string
  kind: Kind
  /** true: written by add; 'import': only with params.IMPORT = Y (crm-contact-add.md "Import"); false: read-only. */
  write: boolean | 'import'
}

/** Where PARENT_ID_* and UF_* values sit in the get answer (after UTM_TERM, after LAST_ACTIVITY_BY / LAST_COMMUNICATION_TIME). */
const PARENT_SLOT = '@PARENT'
const UF_SLOT = '@UF'
type Slot = FieldDef | typeof PARENT_SLOT | typeof UF_SLOT

export const MULTI_FIELD_TYPES: readonly CrmMultiFieldType[] = ['PHONE', 'EMAIL', 'WEB', 'IM', 'LINK']

const f = (name: string, kind: Kind, write: boolean | 'import' = true): FieldDef => ({ name, kind, write })
const texts = (...names: string[]): FieldDef[] => names.map((n) => f(n, 'text'))

const ADDRESS = ['ADDRESS', 'ADDRESS_2', 'ADDRESS_CITY', 'ADDRESS_POSTAL_CODE', 'ADDRESS_REGION', 'ADDRESS_PROVINCE', 'ADDRESS_COUNTRY']
const UTM = ['UTM_SOURCE', 'UTM_MEDIUM', 'UTM_CAMPAIGN', 'UTM_CONTENT', 'UTM_TERM']
const ORIGIN = ['ORIGINATOR_ID', 'ORIGIN_ID', 'ORIGIN_VERSION']

/** crm-contact-get.md example, in its key order. */
const CONTACT_SLOTS: Slot[] = [
  f('ID', 'int', false),
  ...texts('POST', 'COMMENTS'),
  f('HONORIFIC', 'status'),
  ...texts('NAME', 'SECOND_NAME', 'LAST_NAME'),
  f('PHOTO', 'file'),
  f('LEAD_ID', 'ref', false),
  f('TYPE_ID', 'status'),
  f('SOURCE_ID', 'status'),
  f('SOURCE_DESCRIPTION', 'text'),
  f('COMPANY_ID', 'ref'),
  f('BIRTHDATE', 'date'),
  f('EXPORT', 'yn'),
  f('HAS_PHONE', 'yn', false),
  f('HAS_EMAIL', 'yn', false),
  f('HAS_IMOL', 'yn', false),
  f('DATE_CREATE', 'datetime', 'import'),
  f('DATE_MODIFY', 'datetime', 'import'),
  f('ASSIGNED_BY_ID', 'user'),
  f('CREATED_BY_ID', 'user', 'import'),
  f('MODIFY_BY_ID', 'user', 'import'),
  f('OPENED', 'yn'),
  ...texts(...ORIGIN),
  f('FACE_ID', 'int', false),
  f('LAST_ACTIVITY_TIME', 'datetime', false),
  ...texts(...ADDRESS),
  f('ADDRESS_LOC_ADDR_ID', 'int'),
  ...texts(...UTM),
  PARENT_SLOT,
  f('LAST_ACTIVITY_BY', 'user', false),
  UF_SLOT,
]

/** crm-company-get.md example, in its key order. */
const COMPANY_SLOTS: Slot[] = [
  f('ID', 'int', false),
  f('COMPANY_TYPE', 'status'),
  f('TITLE', 'text'),
  f('LOGO', 'file'),
  f('LEAD_ID', 'ref', false),
  f('HAS_PHONE', 'yn', false),
  f('HAS_EMAIL', 'yn', false),
  f('HAS_IMOL', 'yn', false),
  f('ASSIGNED_BY_ID', 'user'),
  f('CREATED_BY_ID', 'user', 'import'),
  f('MODIFY_BY_ID', 'user', 'import'),
  f('BANKING_DETAILS', 'text'),
  f('INDUSTRY', 'status'),
  f('REVENUE', 'double'),
  f('CURRENCY_ID', 'status'),
  f('EMPLOYEES', 'status'),
  f('COMMENTS', 'text'),
  f('DATE_CREATE', 'datetime', 'import'),
  f('DATE_MODIFY', 'datetime', 'import'),
  f('OPENED', 'yn'),
  f('IS_MY_COMPANY', 'yn'),
  ...texts(...ORIGIN),
  ...texts(...ADDRESS, 'ADDRESS_COUNTRY_CODE'),
  f('ADDRESS_LOC_ADDR_ID', 'int'),
  f('ADDRESS_LEGAL', 'text'),
  ...texts(...ADDRESS.map((a) => `REG_${a}`), 'REG_ADDRESS_COUNTRY_CODE'),
  f('REG_ADDRESS_LOC_ADDR_ID', 'int'),
  ...texts(...UTM),
  PARENT_SLOT,
  f('LAST_ACTIVITY_BY', 'user', false),
  f('LAST_ACTIVITY_TIME', 'datetime', false),
  f('LAST_COMMUNICATION_TIME', 'datetime', false),
  UF_SLOT,
]

type CrmRecord = CrmContactRecord | CrmCompanyRecord

interface EntitySpec {
  /** `contact` | `company`, for messages. */
  entity: 'contact' | 'company'
  slots: Slot[]
  defs: FieldDef[]
  /**
   * Values of unset fields. The add pages say `crm_status` fields default to "the first available" entry of
   * their directory; the codes are those a new portal lists first (UNCONFIRMED: the docs do not list the
   * directories). OPENED and EXPORT default to `Y` (crm-contact-add.md, crm-company-add.md).
   */
  defaults: Record<string, string | null>
  records(portal: Portal): Map<number, CrmRecord>
}

const defsOf = (slots: Slot[]): FieldDef[] => slots.filter((s): s is FieldDef => typeof s !== 'string')

const CONTACT: EntitySpec = {
  entity: 'contact',
  slots: CONTACT_SLOTS,
  defs: defsOf(CONTACT_SLOTS),
  // HONORIFIC stays null: its directory is not documented, and the get example's null fields show how
  // an unset value looks (UNCONFIRMED).
  defaults: { TYPE_ID: 'CLIENT', SOURCE_ID: 'CALL', EXPORT: 'Y', OPENED: 'Y' },
  records: (portal) => portal.crmContacts,
}

const COMPANY: EntitySpec = {
  entity: 'company',
  slots: COMPANY_SLOTS,
  defs: defsOf(COMPANY_SLOTS),
  defaults: { COMPANY_TYPE: 'CUSTOMER', INDUSTRY: 'IT', EMPLOYEES: 'EMPLOYEES_1', OPENED: 'Y', IS_MY_COMPANY: 'N' },
  records: (portal) => portal.crmCompanies,
}

const asMap = (r: CrmRecord): Record<string, unknown> => r as unknown as Record<string, unknown>

const isCustom = (key: string): boolean => key.startsWith('UF_') || key.startsWith('PARENT_ID_')

// ---------------------------------------------------------------- writing

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/**
 * VALUE_TYPE when none is given (UNCONFIRMED: data-types.md lists the values, not a default).
 */
const DEFAULT_VALUE_TYPE: Record<CrmMultiFieldType, string> = { PHONE: 'WORK', EMAIL: 'WORK', WEB: 'WORK', IM: 'OTHER', LINK: 'OTHER' }

/** Labels for the contact e-mail error; only "Work e-mail" is in crm-contact-add.md, the rest UNCONFIRMED. */
const EMAIL_LABELS: Record<string, string> = { WORK: 'Work e-mail', HOME: 'Personal e-mail', MAILING: 'Newsletter e-mail', OTHER: 'Other e-mail' }

/** `[{VALUE, VALUE_TYPE}]` (or the `{n0: {...}}` form-encoded variant); rows without a VALUE are skipped. */
function readMulti(raw: unknown, type: CrmMultiFieldType): Array<{ VALUE: string; VALUE_TYPE: string }> {
  const out: Array<{ VALUE: string; VALUE_TYPE: string }> = []
  for (const row of list(raw)) {
    const o = upperKeys(obj(row))
    const value = str(o.VALUE).trim()
    if (!value) continue
    out.push({ VALUE: value, VALUE_TYPE: str(o.VALUE_TYPE).trim().toUpperCase() || DEFAULT_VALUE_TYPE[type] })
  }
  return out
}

/** `date` (BIRTHDATE): the add example's site format `11.11.2001`, or ISO `2001-11-11…`; '' when unreadable (UNCONFIRMED). */
function writeDate(v: unknown): string {
  const s = str(v).trim()
  const site = /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(s)
  const iso = /^(\d{4})-(\d{2})-(\d{2})/.exec(s)
  const [y, m, d] = site ? [site[3], site[2], site[1]] : iso ? [iso[1], iso[2], iso[3]] : []
  if (!y || !m || !d) return ''
  const ms = Date.UTC(Number(y), Number(m) - 1, Number(d))
  return Number.isNaN(ms) || new Date(ms).getUTCDate() !== Number(d) ? '' : isoDate(ms)
}

function writeValue(def: FieldDef, v: unknown): string | null {
  switch (def.kind) {
    case 'int':
    case 'ref':
    case 'user': {
      const n = int(v)
      return Number.isFinite(n) && n > 0 ? String(n) : null
    }
    case 'yn': {
      const b = yesNo(v)
      return b === undefined ? null : b ? 'Y' : 'N'
    }
    case 'double': {
      const n = typeof v === 'number' ? v : Number(str(v).trim() || Number.NaN)
      return Number.isFinite(n) ? String(n) : null
    }
    case 'date':
      return writeDate(v)
    case 'datetime': {
      const ms = parseFilterDate(v)
      return Number.isFinite(ms) ? isoDate(ms) : null
    }
    case 'file':
      // Files are not stored (UNCONFIRMED shape of a stored PHOTO/LOGO); the field reads null.
      return null
    case 'text':
    case 'status':
      return v === null ? null : typeof v === 'object' ? null : str(v)
  }
}

export interface BuildOptions {
  /** The acting user: default responsible, creator and modifier. */
  userId: number
  now: number
  /** params.IMPORT = Y: DATE_CREATE, DATE_MODIFY, CREATED_BY_ID, MODIFY_BY_ID are taken from the fields. */
  importMode: boolean
  /** A fixed ID (directory helpers); otherwise the next one. */
  id?: number
}

function nextMultiId(portal: Portal): string {
  portal.crmSeq.multi += 1
  return String(portal.crmSeq.multi)
}

/**
 * Checks and builds a record from add `fields` (keys upper-case). "An incorrect field in fields will be
 * ignored" (crm-contact-add.md): read-only and unknown keys are dropped; UF_* and PARENT_ID_* are kept, as
 * the emulated portal is taken to have whatever custom fields a caller writes (UNCONFIRMED).
 */
function buildRecord(spec: EntitySpec, portal: Portal, fields: Params, opts: BuildOptions): CrmRecord {
  const multi = Object.fromEntries(MULTI_FIELD_TYPES.map((t) => [t, readMulti(fields[t], t)])) as Record<CrmMultiFieldType, Array<{ VALUE: string; VALUE_TYPE: string }>>
  for (const e of multi.EMAIL) {
    if (EMAIL_RE.test(e.VALUE)) continue
    // crm-contact-add.md / crm-company-add.md error tables (ERROR_CORE); each page words it its own way.
    throw new RestError(
      400,
      'ERROR_CORE',
      spec.entity === 'contact'
        ? `The field "${EMAIL_LABELS[e.VALUE_TYPE] ?? 'E-mail'}" contains an invalid address`
        : 'The "E-mail" field contains an invalid address',
    )
  }
  if (spec.entity === 'company' && !str(fields.TITLE).trim()) {
    // main-entities-fields.md and crm-company-fields.md: TITLE is required. The message is UNCONFIRMED.
    throw new RestError(400, 'ERROR_CORE', 'Field "Company Name" is required.')
  }
  const records = spec.records(portal)
  const seqKey = spec.entity
  const id = opts.id ?? portal.crmSeq[seqKey] + 1
  if (records.has(id)) throw new Error(`${spec.entity} ${id} already exists`)
  portal.crmSeq[seqKey] = Math.max(portal.crmSeq[seqKey], id)

  const rec: Record<string, unknown> = {}
  const created = isoDate(opts.now)
  const caller = String(opts.userId)
  for (const def of spec.defs) {
    const given = def.write === true || (def.write === 'import' && opts.importMode) ? fields[def.name] : undefined
    let value: string | null = given === undefined ? null : writeValue(def, given)
    if (value === null) {
      if (def.kind === 'date') value = ''
      else if (def.name === 'DATE_CREATE' || def.name === 'DATE_MODIFY') value = created
      else if (def.kind === 'user') value = caller
      else value = spec.defaults[def.name] ?? null
    }
    rec[def.name] = value
  }
  rec.ID = String(id)
  // Both get examples: the last activity is the creation, by the creator.
  rec.LAST_ACTIVITY_TIME = rec.DATE_CREATE
  rec.LAST_ACTIVITY_BY = rec.CREATED_BY_ID

  const multiOut: CrmMultiFields = { PHONE: [], EMAIL: [], WEB: [], IM: [], LINK: [] }
  // IDs are handed out in PHONE, EMAIL, … order, as in crm-contact-get.md (PHONE 156-157, EMAIL 158-159).
  for (const t of MULTI_FIELD_TYPES) {
    multiOut[t] = multi[t].map((m): CrmMultiFieldValue => ({ ID: nextMultiId(portal), VALUE_TYPE: m.VALUE_TYPE, VALUE: m.VALUE, TYPE_ID: t }))
  }
  Object.assign(rec, multiOut)
  rec.HAS_PHONE = multiOut.PHONE.length > 0 ? 'Y' : 'N'
  rec.HAS_EMAIL = multiOut.EMAIL.length > 0 ? 'Y' : 'N'
  // "Is an open line provided": an IM value of type IMOL or OPENLINE (UNCONFIRMED).
  rec.HAS_IMOL = multiOut.IM.some((m) => m.VALUE_TYPE === 'IMOL' || m.VALUE_TYPE === 'OPENLINE') ? 'Y' : 'N'

  const custom: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(fields)) {
    if (!isCustom(k) || v === undefined) continue
    custom[k] = typeof v === 'number' || typeof v === 'boolean' ? String(v) : v
  }
  rec.custom = custom

  if (spec.entity === 'contact') {
    // COMPANY_ID is the main company, COMPANY_IDS all linked ones (crm-contact-add.md); each fills the other
    // when only one is given, the main company first (UNCONFIRMED).
    const ids = [...new Set(list(fields.COMPANY_IDS).map(int).filter((n) => Number.isFinite(n) && n > 0))].map(String)
    const main = rec.COMPANY_ID as string | null
    if (main === null && ids.length > 0) rec.COMPANY_ID = ids[0]
    else if (main !== null && !ids.includes(main)) ids.unshift(main)
    rec.COMPANY_IDS = ids
  }
  const record = rec as unknown as CrmRecord
  records.set(id, record)
  return record
}

export function buildContact(portal: Portal, fields: Params, opts: BuildOptions): CrmContactRecord {
  return buildRecord(CONTACT, portal, fields, opts) as CrmContactRecord
}

export function buildCompany(portal: Portal, fields: Params, opts: BuildOptions): CrmCompanyRecord {
  return buildRecord(COMPANY, portal, fields, opts) as CrmCompanyRecord
}

// ---------------------------------------------------------------- reading

function customKeys(rec: CrmRecord, prefix: 'UF_' | 'PARENT_ID_'): string[] {
  return Object.keys(rec.custom).filter((k) => k.startsWith(prefix))
}

/** The get answer: every field in the example's order, then the multi-fields that have values. */
function formatRecord(spec: EntitySpec, rec: CrmRecord): Record<string, unknown> {
  const src = asMap(rec)
  const out: Record<string, unknown> = {}
  for (const slot of spec.slots) {
    if (slot === PARENT_SLOT) for (const k of customKeys(rec, 'PARENT_ID_')) out[k] = rec.custom[k]
    else if (slot === UF_SLOT) for (const k of customKeys(rec, 'UF_')) out[k] = rec.custom[k]
    else out[slot.name] = src[slot.name]
  }
  for (const t of MULTI_FIELD_TYPES) if (rec[t].length > 0) out[t] = rec[t].map((m) => ({ ...m }))
  return out
}

/**
 * A list row for `select` (crm-contact-list.md): `*` is every field but custom and multiple ones, `UF_*`
 * every custom field; multi-fields only by name. Default `['*', 'UF_*']`. As both list examples show,
 * named fields come in the order asked, ID is always there (after them when not asked), and multi-fields
 * come last.
 */
function formatSelected(spec: EntitySpec, rec: CrmRecord, select: string[]): Record<string, unknown> {
  const src = asMap(rec)
  const out: Record<string, unknown> = {}
  const multi: CrmMultiFieldType[] = []
  const known = new Set(spec.defs.map((d) => d.name))
  for (const name of select) {
    if (name === '*') {
      for (const slot of spec.slots) {
        if (slot === PARENT_SLOT) for (const k of customKeys(rec, 'PARENT_ID_')) out[k] = rec.custom[k]
        else if (slot !== UF_SLOT) out[slot.name] = src[slot.name]
      }
    } else if (name === 'UF_*') {
      for (const k of customKeys(rec, 'UF_')) out[k] = rec.custom[k]
    } else if ((MULTI_FIELD_TYPES as readonly string[]).includes(name)) {
      if (!multi.includes(name as CrmMultiFieldType)) multi.push(name as CrmMultiFieldType)
    } else if (known.has(name)) {
      out[name] = src[name]
    } else if (isCustom(name) && name in rec.custom) {
      out[name] = rec.custom[name]
    }
  }
  if (!('ID' in out)) out.ID = rec.ID
  for (const t of multi) if (rec[t].length > 0) out[t] = rec[t].map((m) => ({ ...m }))
  return out
}

/** The filter/order table: ids and money as numbers, dates as unix ms, multi-fields as their values. */
function fieldTable(spec: EntitySpec, records: CrmRecord[]): { table: Fields<CrmRecord>; kinds: Map<string, Kind | 'multi'> } {
  const table: Fields<CrmRecord> = {}
  const kinds = new Map<string, Kind | 'multi'>()
  const num = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v))
  for (const def of spec.defs) {
    kinds.set(def.name, def.kind)
    const key = def.name
    switch (def.kind) {
      case 'int':
      case 'ref':
      case 'user':
      case 'double':
        table[key] = { get: (r) => num(asMap(r)[key]) }
        break
      case 'date':
      case 'datetime':
        table[key] = { get: (r) => { const v = asMap(r)[key]; return typeof v === 'string' && v ? Date.parse(v) : null }, date: true }
        break
      default:
        table[key] = { get: (r) => asMap(r)[key] as FieldValue }
    }
  }
  for (const t of MULTI_FIELD_TYPES) {
    kinds.set(t, 'multi')
    table[t] = { get: (r) => r[t].map((m) => m.VALUE) }
  }
  for (const r of records) {
    for (const k of Object.keys(r.custom)) {
      if (table[k]) continue
      kinds.set(k, 'text')
      table[k] = { get: (x) => { const v = x.custom[k]; return Array.isArray(v) ? (v as Array<string | number>) : v === undefined || v === null || typeof v === 'object' ? null : String(v) } }
    }
  }
  return { table, kinds }
}

const LIKE_OPS = new Set(['%', '=%', '%='])
const NOT_LIKE_OPS = new Set(['!%', '!=%', '!%='])

/**
 * crm-contact-list.md filter rules on top of the shared prefixes: `=` "exact match (used by default)", so a
 * bare key never turns a `%` in the value into a pattern; multi-fields "only work on exact matches"; LIKE
 * "does not work" on `crm_status` / `crm_company` fields, read here as an exact match (UNCONFIRMED).
 */
function filterRecords(spec: EntitySpec, records: CrmRecord[], filter: Params): CrmRecord[] {
  const { table, kinds } = fieldTable(spec, records)
  return applyFilter(records, filter, table, (key, value, item) => {
    const { op, field } = splitKey(key)
    const name = field.toUpperCase()
    const kind = kinds.get(name)
    if (!kind) return undefined
    const exactOnly = kind === 'multi' || kind === 'status' || kind === 'ref'
    let rewritten: string | undefined
    if (op === '') rewritten = '='
    else if (exactOnly && LIKE_OPS.has(op)) rewritten = '='
    else if (exactOnly && NOT_LIKE_OPS.has(op)) rewritten = '!='
    if (rewritten === undefined) return undefined
    return applyFilter([item], { [`${rewritten}${name}`]: value }, table).length === 1
  })
}

const crmError = (description: string): RestError => new RestError(400, '', description)

/** A PHP array: an object or a list. `undefined` (absent) is fine too. */
const isPhpArray = (v: unknown): boolean => v !== null && typeof v === 'object'

function getHandler(spec: EntitySpec) {
  return (ctx: MethodContext): { result: unknown } => {
    // crm-contact-get.md: "The id parameter was not provided or the provided value is not a positive integer".
    // crm-company-get.md lists only "Not found"; the same check is applied (UNCONFIRMED for companies).
    const id = int(param(ctx.params, 'id'))
    if (!Number.isFinite(id) || id <= 0) throw crmError('ID is not defined or invalid.')
    const rec = spec.records(ctx.portal).get(id)
    if (!rec) throw crmError('Not found')
    return { result: formatRecord(spec, rec) }
  }
}

function listHandler(spec: EntitySpec) {
  return (ctx: MethodContext): { result: unknown; total?: number; next?: number } => {
    const orderParam = param(ctx.params, 'order')
    const filterParam = param(ctx.params, 'filter')
    // Error tables of crm-contact-list.md / crm-company-list.md; the trailing period as in the pages' example bodies.
    if (orderParam !== undefined && !isPhpArray(orderParam)) throw crmError("Parameter 'order' must be array.")
    if (filterParam !== undefined && !isPhpArray(filterParam)) throw crmError("Parameter 'filter' must be array.")
    const all = [...spec.records(ctx.portal).values()]
    const filtered = filterRecords(spec, all, obj(filterParam))
    // No order: by ID ascending (UNCONFIRMED: the pages give no default).
    const ordered = applyOrder(filtered, obj(orderParam), fieldTable(spec, filtered).table)
    const page = paginate(ordered, param(ctx.params, 'start'))
    const rawSelect = list(param(ctx.params, 'select')).map((s) => str(s).trim().toUpperCase()).filter(Boolean)
    const select = rawSelect.length > 0 ? rawSelect : ['*', 'UF_*']
    const out: { result: unknown; total?: number; next?: number } = { result: page.items.map((r) => formatSelected(spec, r, select)) }
    if (page.total !== undefined) out.total = page.total
    if (page.next !== undefined) out.next = page.next
    return out
  }
}

function addHandler(spec: EntitySpec) {
  return (ctx: MethodContext): { result: number } => {
    const fieldsParam = param(ctx.params, 'fields')
    const paramsParam = param(ctx.params, 'params')
    // crm-contact-add.md: "The parameter fields is not an object"; a missing one is not an object either.
    if (!isPhpArray(fieldsParam)) throw crmError("Parameter 'fields' must be array.")
    if (paramsParam !== undefined && !isPhpArray(paramsParam)) throw crmError("Parameter 'params' must be array.")
    // IMPORT: "To pass the value No, you must either not pass the parameter at all or pass the value 0, ''".
    const importMode = yesNo(upperKeys(obj(paramsParam)).IMPORT) === true
    const rec = buildRecord(spec, ctx.portal, upperKeys(obj(fieldsParam)), { userId: ctx.user.ID, now: ctx.clock.now(), importMode })
    // "result: integer — the identifier of the created contact" (46 in the example, a number).
    return { result: Number(rec.ID) }
  }
}

export const crmMethods: MethodDef[] = [
  { name: 'crm.contact.get', scopes: ['crm'], handler: getHandler(CONTACT) },
  { name: 'crm.contact.list', scopes: ['crm'], handler: listHandler(CONTACT) },
  { name: 'crm.contact.add', scopes: ['crm'], handler: addHandler(CONTACT) },
  { name: 'crm.company.get', scopes: ['crm'], handler: getHandler(COMPANY) },
  { name: 'crm.company.list', scopes: ['crm'], handler: listHandler(COMPANY) },
  { name: 'crm.company.add', scopes: ['crm'], handler: addHandler(COMPANY) },
]
