/**
 * One fake cloud portal: its directory (users, departments, groups), installed apps, bindings,
 * observation records and the behaviour the tests drive directly (install, uninstall, events,
 * invitations, robots). HTTP is wired in server.ts.
 */
import { randomBytes } from 'node:crypto'
import { isoDate, unixSec, type Clock } from './clock.js'
import { deliver } from './delivery.js'
import { LeakyBucket, OperatingBudget, defaultLimits, type LimitSettings } from './limits.js'
import { buildCompany, buildContact } from './methods/crm.js'
import type { MethodDef } from './methods/types.js'
import { onUserAddData } from './methods/user.js'
import { tokenAnswer } from './oauth.js'
import type {
  AppConfig,
  AppRegistration,
  BizprocEventRecord,
  ChatMessageRecord,
  CrmCompanyRecord,
  CrmContactRecord,
  DeliveryRecord,
  DepartmentRecord,
  EventBinding,
  FaultSpec,
  FeedPostRecord,
  GroupRecord,
  GroupRole,
  GroupType,
  InstallRecord,
  InvitationRecord,
  NotificationRecord,
  PlacementBinding,
  RequestRecord,
  RobotRecord,
  TaskRecord,
  UserRecord,
  UserType,
} from './state.js'
import { EXTRANET_SITE_ID, MAIN_SITE_ID } from './state.js'
import { ACCESS_TTL_SEC, newToken, type IssuedPair, type TokenStore } from './tokens.js'


export interface CreatePortalOptions {
  /** @default 32 random hex characters */
  memberId?: string
  /** @default 'standard' */
  plan?: 'standard' | 'enterprise'
  /** @default 'en' */
  lang?: 'ru' | 'en'
  /** Seeds admin user 1 "Admin" (department 1) and root department 1. @default true */
  seed?: boolean
  limits?: Partial<LimitSettings>
  /** Seconds of processing per call, by method name; feeds `time.processing`/`operating`. */
  methodTimes?: Record<string, number>
  /** Methods this portal does not have (method.get: isExisting false; calls: ERROR_METHOD_NOT_FOUND). */
  missingMethods?: string[]
  /** Undocumented methods this portal does have (intranet.invite.reinvite, …). */
  extraMethods?: string[]
  /** License seat limit for user.add (`user_count_exceeded`); counts active employees. @default unlimited */
  userLimit?: number
}

export interface AddUserInput {
  ID?: number
  EMAIL?: string
  NAME?: string
  LAST_NAME?: string
  UF_DEPARTMENT?: number[]
  USER_TYPE?: UserType
  ACTIVE?: boolean
  /** ISO date, unix ms, or null (never logged in). Default: now, or null when `invited`. */
  LAST_LOGIN?: string | number | null
  /** ISO date, unix ms, or null (no activity). Default: the same as LAST_LOGIN. */
  LAST_ACTIVITY_DATE?: string | number | null
  /** ISO date or unix ms. Default: now. */
  DATE_REGISTER?: string | number
  /** ISO date or unix ms of the last profile change (user.get TIMESTAMP_X). Default: now. */
  TIMESTAMP_X?: string | number
  ADMIN?: boolean
  /** A pending invitation (CONFIRM_CODE set, never logged in). */
  invited?: boolean
  [field: string]: unknown
}

export interface AddGroupInput {
  ID?: number
  NAME: string
  OWNER_ID: number
  IS_EXTRANET?: boolean
  /** @default 'group' */
  TYPE?: GroupType
  /**
   * Active members (role K), or `{ id, role, initiatedBy?, at? }` (role Z with initiatedBy 'U' is a request
   * to join; 'G', the default, an invitation). The owner is always member A.
   */
  members?: Array<number | { id: number; role: GroupRole; initiatedBy?: 'U' | 'G'; at?: number }>
  /** Users invited by the group and not yet accepted (role Z, initiated by G). */
  invited?: number[]
  DESCRIPTION?: string
  VISIBLE?: 'Y' | 'N'
  OPENED?: 'Y' | 'N'
  CLOSED?: 'Y' | 'N'
  INITIATE_PERMS?: 'A' | 'E' | 'K'
  KEYWORDS?: string
  /** Scrum master (for TYPE 'scrum'); sonet_group.user.delete cannot remove them. */
  SCRUM_MASTER_ID?: number
  /** ISO date or unix ms; also DATE_UPDATE and DATE_ACTIVITY. Default: now. */
  DATE_CREATE?: string | number
}

/** A multi-field value for the CRM directory helpers: an address / number, or `{ VALUE, VALUE_TYPE? }`. */
export type CrmMultiFieldInput = string | { VALUE: string; VALUE_TYPE?: string }

/**
 * crm.contact.add fields (api-reference/crm/contacts/crm-contact-add.md), written as an import: DATE_CREATE,
 * DATE_MODIFY (ISO or unix ms), CREATED_BY_ID and MODIFY_BY_ID are honoured. ASSIGNED_BY_ID and
 * CREATED_BY_ID default to user 1.
 */
export interface AddContactInput {
  ID?: number
  NAME?: string
  SECOND_NAME?: string
  LAST_NAME?: string
  POST?: string
  COMPANY_ID?: number
  COMPANY_IDS?: number[]
  PHONE?: CrmMultiFieldInput[]
  EMAIL?: CrmMultiFieldInput[]
  WEB?: CrmMultiFieldInput[]
  IM?: CrmMultiFieldInput[]
  LINK?: CrmMultiFieldInput[]
  ASSIGNED_BY_ID?: number
  CREATED_BY_ID?: number
  DATE_CREATE?: string | number
  DATE_MODIFY?: string | number
  [field: string]: unknown
}

/** crm.company.add fields (api-reference/crm/companies/crm-company-add.md), written as an import (see AddContactInput). */
export interface AddCompanyInput {
  ID?: number
  TITLE: string
  COMPANY_TYPE?: string
  PHONE?: CrmMultiFieldInput[]
  EMAIL?: CrmMultiFieldInput[]
  WEB?: CrmMultiFieldInput[]
  IM?: CrmMultiFieldInput[]
  LINK?: CrmMultiFieldInput[]
  ASSIGNED_BY_ID?: number
  CREATED_BY_ID?: number
  DATE_CREATE?: string | number
  DATE_MODIFY?: string | number
  [field: string]: unknown
}

/** A contact as stored: the crm.contact.get shape, every multi-field as an array (maybe empty), plus COMPANY_IDS and `custom`. */
export type PortalContact = CrmContactRecord
/** A company as stored: the crm.company.get shape, every multi-field as an array, plus `custom`. */
export type PortalCompany = CrmCompanyRecord

export interface PortalUser {
  ID: number
  ACTIVE: boolean
  ADMIN: boolean
  USER_TYPE: UserType
  EMAIL: string
  NAME: string
  LAST_NAME: string
  UF_DEPARTMENT: number[]
  /** ISO date or '' (never logged in). */
  LAST_LOGIN: string
  /** ISO date or '' (no activity recorded). */
  LAST_ACTIVITY_DATE: string
  DATE_REGISTER: string
  /** ISO date of the last profile change. */
  TIMESTAMP_X: string
  CONFIRM_CODE: string
  invited: boolean
  fields: Record<string, unknown>
}

export interface CollabGuestInput {
  email: string
  name?: string
  lastName?: string
  /** The collab member who invites; must be a user of the portal. @default the collab's owner */
  invitedBy?: number
}

export interface PortalGroup {
  ID: number
  NAME: string
  TYPE: GroupType
  OWNER_ID: number
  IS_EXTRANET: boolean
  SITE_IDS: string[]
  VISIBLE: 'Y' | 'N'
  members: Array<{ userId: number; role: GroupRole; initiatedBy: 'U' | 'G' }>
}

/** Fields the portal POSTs into the app frame (settings/oauth/simple-way.md, widgets/_includes/widget_data.md). */
export interface FrameFields {
  /** Target URL with the query part (DOMAIN, PROTOCOL, LANG, APP_SID) already appended. */
  url: string
  query: { DOMAIN: string; PROTOCOL: string; LANG: string; APP_SID: string }
  body: Record<string, string>
  appSid: string
  /** True when the portal opens the installer (app not installed yet). */
  install: boolean
}

/** The documented token answer (settings/oauth/auto-renewal.md). */
export interface TokenSet {
  access_token: string
  refresh_token: string
  expires: number
  expires_in: number
  scope: string
  domain: string
  server_endpoint: string
  client_endpoint: string
  member_id: string
  user_id: number
  status: string
}

export interface CallRobotOptions {
  /** @default ['crm','CCrmDocumentDeal','DEAL_1'] */
  documentId?: [string, string, string]
  /** @default the robot's DOCUMENT_TYPE, else derived from documentId */
  documentType?: [string, string, string]
  properties?: Record<string, unknown>
  workflowId?: string
  eventToken?: string
  /** User whose token is sent when the robot has no AUTH_USER_ID. @default the installing user */
  userId?: number
  /** @default 0 */
  timeoutDuration?: number
  /** Needed only when two apps registered the same CODE. */
  clientId?: string
}

export interface FrameSession {
  appSid: string
  clientId: string
  userId: number
  placement: string
  placementOptions: Record<string, unknown>
  lang: string
}

interface ActiveFault {
  spec: FaultSpec
  remaining: number
}

export interface EventBindingView {
  id: number
  clientId: string
  event: string
  handler: string
  authType: number
  offline: boolean
}

/**
 * What tests and the demo use of a portal (also reachable as HTTP hooks, hooks.ts).
 * The Portal class has more public members for the emulator's own modules; stick to these.
 */
export interface PortalHandle {
  readonly memberId: string
  /** `127.0.0.1:<port>`, the DOMAIN the portal reports. */
  readonly domain: string
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** `http://127.0.0.1:<port>/rest/` */
  readonly clientEndpoint: string
  readonly plan: 'standard' | 'enterprise'
  readonly lang: 'ru' | 'en'
  /** Live limit settings; changing a field takes effect at once. */
  readonly limits: LimitSettings

  addUser(input?: AddUserInput): PortalUser
  addDepartment(input: { ID?: number; NAME: string; PARENT?: number | null; SORT?: number; UF_HEAD?: number | null }): DepartmentRecord
  addGroup(input: AddGroupInput): PortalGroup
  users(): PortalUser[]
  user(id: number): PortalUser | undefined
  groups(): PortalGroup[]
  departments(): DepartmentRecord[]
  setUserLimit(limit: number | null): void
  /** A CRM contact, as crm.contact.add would make it (an invalid e-mail throws). */
  addContact(input?: AddContactInput): PortalContact
  /** A CRM company, as crm.company.add would make it (TITLE required; an invalid e-mail throws). */
  addCompany(input: AddCompanyInput): PortalCompany
  contacts(): PortalContact[]
  contact(id: number): PortalContact | undefined
  companies(): PortalCompany[]
  company(id: number): PortalCompany | undefined

  registerApp(clientId: string, urls: { handlerUrl: string; installUrl?: string }): void
  beginInstall(clientId: string, opts?: { userId?: number }): FrameFields
  finishInstall(clientId: string): Promise<DeliveryRecord[]>
  uninstallApp(clientId: string, opts: { clean: boolean }): Promise<DeliveryRecord[]>
  appFrameFields(clientId: string, opts?: { userId?: number; placement?: string; placementOptions?: Record<string, unknown>; lang?: string }): FrameFields
  appInfo(clientId: string): Record<string, unknown> | undefined
  frameUrl(clientId: string, opts?: { userId?: number; placement?: string; placementOptions?: Record<string, unknown>; lang?: 'ru' | 'en' }): string

  issueTokens(clientId: string, userId: number): TokenSet
  expireAccessTokens(): void
  revokeRefreshTokens(): void
  oauthStats(): { refreshes: number; byMember: Record<string, number> }

  injectFault(spec: FaultSpec): void
  clearFaults(): void

  requests(): RequestRecord[]
  callCount(method: string): number
  events(): EventBindingView[]
  placements(): PlacementBinding[]
  robots(): RobotRecord[]
  notifications(): NotificationRecord[]
  bizprocEvents(): BizprocEventRecord[]
  deliveries(): DeliveryRecord[]
  invitations(): InvitationRecord[]
  /** Posts made with log.blogpost.add, oldest first. */
  feedPosts(): FeedPostRecord[]
  /** Messages sent with im.message.add, oldest first; `dialogId` (`chat<N>`, `sg<groupId>` or a user id) narrows to one dialog. */
  chatMessages(dialogId?: string): ChatMessageRecord[]
  /** Tasks made with tasks.task.add, oldest first. */
  tasks(): TaskRecord[]

  fireEvent(name: string, data: unknown, opts?: { userId?: number | null; clientId?: string }): Promise<DeliveryRecord[]>
  acceptInvitation(userIdOrEmail: number | string, opts?: { deliverEvent?: boolean }): Promise<DeliveryRecord[]>
  /** A registered user accepts a group's invitation (sonet_group.user.invite): role Z becomes K. */
  acceptGroupInvitation(groupId: number, userId: number): PortalGroup
  /** The user logs in at `atMs` (default now): LAST_LOGIN moves there, LAST_ACTIVITY_DATE too unless already later; TIMESTAMP_X stays. */
  recordLogin(userId: number, atMs?: number): PortalUser
  /** The user does something on the portal: only LAST_ACTIVITY_DATE moves (activity is not a login). */
  recordActivity(userId: number, atMs?: number): PortalUser
  /**
   * What the portal's collab UI does when someone invites a new person into a collab: an extranet user
   * with a pending portal invitation (CONFIRM_CODE, never logged in) and a pending membership (Z, by the group).
   */
  inviteGuestToCollab(collabId: number, guest: CollabGuestInput): PortalUser
  /** The collab UI invites an existing user: a pending membership (Z, by the group). */
  addGuestToCollab(collabId: number, userId: number, opts?: { invitedBy?: number }): PortalGroup
  callRobot(code: string, opts?: CallRobotOptions): Promise<DeliveryRecord>
}

export interface PortalDeps {
  clock: Clock
  tokens: TokenStore
  apps: ReadonlyMap<string, AppConfig>
  methods: ReadonlyMap<string, MethodDef>
  oauthUrl(): string
}

/** Deterministic PRNG for probabilistic faults. */
function seededRandom(seed: string): () => number {
  let h = 2166136261
  for (const ch of seed) h = Math.imul(h ^ ch.charCodeAt(0), 16777619)
  let a = h >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const DEFAULT_PROCESSING_SEC = 0.05

/** A date given to a directory helper as unix ms or an ISO string; a bad one is a test bug, so it throws. */
function requiredMs(v: string | number, field: string): number {
  const ms = typeof v === 'number' ? v : Date.parse(v)
  if (!Number.isFinite(ms)) throw new Error(`${field}: not a date: ${String(v)}`)
  return ms
}

/** Like requiredMs, with null or '' for "never". */
function optionalMs(v: string | number | null, field: string): number | null {
  return v === null || v === '' ? null : requiredMs(v, field)
}

export class Portal implements PortalHandle {
  readonly memberId: string
  readonly plan: 'standard' | 'enterprise'
  readonly lang: 'ru' | 'en'
  /** Set once the portal listens: `127.0.0.1:<port>`. */
  domain = ''
  origin = ''
  clientEndpoint = ''

  readonly clock: Clock
  readonly tokens: TokenStore
  readonly limits: LimitSettings
  readonly bucket: LeakyBucket
  readonly operating: OperatingBudget
  userLimit: number | null

  readonly usersById = new Map<number, UserRecord>()
  readonly departmentsById = new Map<number, DepartmentRecord>()
  readonly groupsById = new Map<number, GroupRecord>()
  readonly registrations = new Map<string, AppRegistration>()
  readonly installs = new Map<string, InstallRecord>()
  eventBindings: EventBinding[] = []
  placementBindings: PlacementBinding[] = []
  robotRecords: RobotRecord[] = []
  /** expiresAt: the workflow stops waiting timeout_duration seconds after the call (null: it waits on). */
  readonly robotTokens = new Map<string, { clientId: string; robotCode: string; state: 'pending' | 'used'; expiresAt: number | null }>()
  readonly frameSessions = new Map<string, FrameSession>()
  readonly notificationRecords: NotificationRecord[] = []
  readonly bizprocEventRecords: BizprocEventRecord[] = []
  readonly deliveryRecords: DeliveryRecord[] = []
  readonly requestRecords: RequestRecord[] = []
  readonly invitationRecords: InvitationRecord[] = []
  readonly feedPostRecords: FeedPostRecord[] = []
  readonly chatMessageRecords: ChatMessageRecord[] = []
  readonly taskRecords: TaskRecord[] = []
  readonly crmContacts = new Map<number, CrmContactRecord>()
  readonly crmCompanies = new Map<number, CrmCompanyRecord>()
  /** Last ids handed out: contacts, companies and multi-field values (one sequence for all multi-fields). */
  readonly crmSeq = { contact: 0, company: 0, multi: 0 }
  /** bizproc.activity.log lines. */
  readonly bizprocLog: Array<{ eventToken: string; message: string; at: number }> = []
  /** Options kept after an uninstall without "clean" (settings/app-uninstallation.md). */
  private readonly retainedOptions = new Map<string, Record<string, unknown>>()

  /** Users the shell's selectUser dialog picks; null = active employees other than the caller. */
  selectUserIds: number[] | null = null

  private readonly counts = new Map<string, number>()
  private faults: ActiveFault[] = []
  private readonly random: () => number
  private readonly methodTimes: Record<string, number>
  private readonly missing: Set<string>
  private readonly extra: Set<string>
  private seq = { user: 0, department: 0, group: 0, event: 0, placement: 0, notification: 0, localApp: 0, chat: 1000, post: 0, message: 0, task: 0 }

  constructor(
    private readonly deps: PortalDeps,
    opts: CreatePortalOptions = {},
  ) {
    this.clock = deps.clock
    this.tokens = deps.tokens
    this.memberId = opts.memberId ?? randomBytes(16).toString('hex')
    this.plan = opts.plan ?? 'standard'
    this.lang = opts.lang ?? 'en'
    this.limits = { ...defaultLimits(this.plan), ...opts.limits }
    this.bucket = new LeakyBucket(this.clock, () => this.limits)
    this.operating = new OperatingBudget(this.clock, () => this.limits)
    this.methodTimes = Object.fromEntries(Object.entries(opts.methodTimes ?? {}).map(([k, v]) => [k.toLowerCase(), v]))
    this.missing = new Set((opts.missingMethods ?? []).map((m) => m.toLowerCase()))
    this.extra = new Set((opts.extraMethods ?? []).map((m) => m.toLowerCase()))
    this.userLimit = opts.userLimit ?? null
    this.random = seededRandom(this.memberId)
    if (opts.seed !== false) {
      this.addDepartment({ NAME: 'Company', PARENT: null, UF_HEAD: 1 })
      this.addUser({ NAME: 'Admin', LAST_NAME: '', EMAIL: 'admin@example.com', ADMIN: true, UF_DEPARTMENT: [1] })
    }
  }

  /** Called by the server once the port is known. */
  bind(port: number): void {
    this.domain = `127.0.0.1:${port}`
    this.origin = `http://${this.domain}`
    this.clientEndpoint = `${this.origin}/rest/`
  }

  get oauthUrl(): string {
    return this.deps.oauthUrl()
  }

  app(clientId: string): AppConfig | undefined {
    return this.deps.apps.get(clientId)
  }

  // ---------------------------------------------------------------- methods and limits

  methodDef(name: string): MethodDef | undefined {
    const def = this.deps.methods.get(name.toLowerCase())
    if (!def || this.missing.has(def.name)) return undefined
    if (def.optional && !this.extra.has(def.name)) return undefined
    return def
  }

  processingFor(def: MethodDef): number {
    return this.methodTimes[def.name] ?? def.processingSec ?? DEFAULT_PROCESSING_SEC
  }

  countCall(method: string): void {
    const m = method.toLowerCase()
    this.counts.set(m, (this.counts.get(m) ?? 0) + 1)
  }

  callCount(method: string): number {
    return this.counts.get(method.toLowerCase()) ?? 0
  }

  injectFault(spec: FaultSpec): void {
    const remaining = spec.times ?? (spec.probability !== undefined ? Number.POSITIVE_INFINITY : 1)
    this.faults.push({ spec: { ...spec, method: (spec.method ?? '*').toLowerCase() }, remaining })
  }

  clearFaults(): void {
    this.faults = []
  }

  /**
   * The fault that fires for this call, if any. `'*'` matches every HTTP call (including the outer
   * batch); a method name matches calls of that method, top-level or inside a batch; `'batch'` the outer batch.
   */
  takeFault(method: string, inBatch: boolean): FaultSpec | undefined {
    for (const f of this.faults) {
      if (f.remaining <= 0) continue
      const target = f.spec.method ?? '*'
      const matches = target === method || (target === '*' && !inBatch)
      if (!matches) continue
      if (f.spec.probability !== undefined && this.random() >= f.spec.probability) continue
      f.remaining -= 1
      return f.spec
    }
    return undefined
  }

  // ---------------------------------------------------------------- directory

  addUser(input: AddUserInput = {}): PortalUser {
    const { ID, UF_DEPARTMENT, USER_TYPE, ACTIVE, LAST_LOGIN, LAST_ACTIVITY_DATE, DATE_REGISTER, TIMESTAMP_X, ADMIN, invited, ...fields } = input
    const id = ID ?? this.seq.user + 1
    if (this.usersById.has(id)) throw new Error(`user ${id} already exists`)
    const now = this.clock.now()
    const lastLogin = LAST_LOGIN === undefined ? (invited ? null : now) : optionalMs(LAST_LOGIN, 'LAST_LOGIN')
    const lastActivity = LAST_ACTIVITY_DATE === undefined ? lastLogin : optionalMs(LAST_ACTIVITY_DATE, 'LAST_ACTIVITY_DATE')
    const registered = DATE_REGISTER === undefined ? now : requiredMs(DATE_REGISTER, 'DATE_REGISTER')
    const changed = TIMESTAMP_X === undefined ? now : requiredMs(TIMESTAMP_X, 'TIMESTAMP_X')
    this.seq.user = Math.max(this.seq.user, id)
    const type: UserType = USER_TYPE ?? (fields.EXTRANET === 'Y' || UF_DEPARTMENT?.length === 0 ? 'extranet' : 'employee')
    const user: UserRecord = {
      ID: id,
      fields: { NAME: '', LAST_NAME: '', EMAIL: '', ...fields },
      ACTIVE: ACTIVE ?? true,
      ADMIN: ADMIN ?? false,
      USER_TYPE: type,
      UF_DEPARTMENT: UF_DEPARTMENT ?? (type === 'employee' ? [1] : []),
      LAST_LOGIN: lastLogin,
      LAST_ACTIVITY_DATE: lastActivity,
      DATE_REGISTER: registered,
      TIMESTAMP_X: changed,
      CONFIRM_CODE: invited ? newToken(4) : '',
      IS_ONLINE: false,
    }
    this.usersById.set(id, user)
    return this.userView(user)
  }

  addDepartment(input: { ID?: number; NAME: string; PARENT?: number | null; SORT?: number; UF_HEAD?: number | null }): DepartmentRecord {
    const id = input.ID ?? this.seq.department + 1
    if (this.departmentsById.has(id)) throw new Error(`department ${id} already exists`)
    this.seq.department = Math.max(this.seq.department, id)
    const dep: DepartmentRecord = {
      ID: id,
      NAME: input.NAME,
      SORT: input.SORT ?? 500,
      PARENT: input.PARENT === undefined ? (id === 1 ? null : 1) : input.PARENT,
      UF_HEAD: input.UF_HEAD ?? null,
    }
    this.departmentsById.set(id, dep)
    return { ...dep }
  }

  addGroup(input: AddGroupInput): PortalGroup {
    const id = input.ID ?? this.seq.group + 1
    if (this.groupsById.has(id)) throw new Error(`group ${id} already exists`)
    this.seq.group = Math.max(this.seq.group, id)
    const now = this.clock.now()
    const created = input.DATE_CREATE === undefined ? now : requiredMs(input.DATE_CREATE, 'DATE_CREATE')
    const type = input.TYPE ?? 'group'
    // Collab guests are extranet users (rest-facts §3.4), so a collab lives on the extranet site too.
    const extranet = input.IS_EXTRANET ?? type === 'collab'
    const group: GroupRecord = {
      ID: id,
      NAME: input.NAME,
      DESCRIPTION: input.DESCRIPTION ?? null,
      OWNER_ID: input.OWNER_ID,
      TYPE: type,
      ACTIVE: 'Y',
      VISIBLE: input.VISIBLE ?? 'Y',
      OPENED: input.OPENED ?? 'N',
      CLOSED: input.CLOSED ?? 'N',
      INITIATE_PERMS: input.INITIATE_PERMS ?? (extranet ? 'E' : 'K'),
      KEYWORDS: input.KEYWORDS ?? null,
      SUBJECT_ID: 1,
      SITE_IDS: extranet ? [MAIN_SITE_ID, EXTRANET_SITE_ID] : [MAIN_SITE_ID],
      DATE_CREATE: created,
      DATE_UPDATE: created,
      DATE_ACTIVITY: created,
      CHAT_ID: ++this.seq.chat,
      SCRUM_MASTER_ID: input.SCRUM_MASTER_ID ?? null,
      members: new Map(),
    }
    group.members.set(input.OWNER_ID, { role: 'A', initiatedBy: 'G', at: created })
    for (const m of input.members ?? []) {
      const { id: uid, role, initiatedBy, at } = typeof m === 'number' ? { id: m, role: 'K' as GroupRole, initiatedBy: undefined, at: undefined } : m
      if (uid !== input.OWNER_ID) group.members.set(uid, { role, initiatedBy: initiatedBy ?? 'G', at: at ?? now })
    }
    for (const uid of input.invited ?? []) if (!group.members.has(uid)) group.members.set(uid, { role: 'Z', initiatedBy: 'G', at: now })
    this.groupsById.set(id, group)
    return this.groupView(group)
  }

  isExtranetGroup(g: GroupRecord): boolean {
    return g.SITE_IDS.includes(EXTRANET_SITE_ID)
  }

  /** api-reference/user/index.md: adding an extranet user with sonet_group.user.add makes the group external. */
  makeGroupExtranet(g: GroupRecord): void {
    if (!this.isExtranetGroup(g)) g.SITE_IDS = [...g.SITE_IDS, EXTRANET_SITE_ID]
  }

  userRecords(): UserRecord[] {
    return [...this.usersById.values()]
  }

  users(): PortalUser[] {
    return this.userRecords().map((u) => this.userView(u))
  }

  user(id: number): PortalUser | undefined {
    const u = this.usersById.get(id)
    return u ? this.userView(u) : undefined
  }

  groups(): PortalGroup[] {
    return [...this.groupsById.values()].map((g) => this.groupView(g))
  }

  departments(): DepartmentRecord[] {
    return [...this.departmentsById.values()].map((d) => ({ ...d }))
  }

  // ---------------------------------------------------------------- CRM

  /** Directory-helper input as crm.*.add fields: strings for multi-fields become `{ VALUE }`. */
  private crmFields(input: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(input)) {
      const key = k.toUpperCase()
      if (key === 'ID' || v === undefined) continue
      out[key] = ['PHONE', 'EMAIL', 'WEB', 'IM', 'LINK'].includes(key) && Array.isArray(v) ? v.map((x: unknown) => (typeof x === 'string' ? { VALUE: x } : x)) : v
    }
    for (const d of ['DATE_CREATE', 'DATE_MODIFY'] as const) if (out[d] !== undefined) out[d] = requiredMs(out[d] as string | number, d)
    return out
  }

  addContact(input: AddContactInput = {}): PortalContact {
    const fields = this.crmFields(input)
    const rec = buildContact(this, fields, { userId: Number(input.CREATED_BY_ID ?? 1), now: this.clock.now(), importMode: true, ...(input.ID !== undefined ? { id: input.ID } : {}) })
    return structuredClone(rec)
  }

  addCompany(input: AddCompanyInput): PortalCompany {
    const fields = this.crmFields(input)
    const rec = buildCompany(this, fields, { userId: Number(input.CREATED_BY_ID ?? 1), now: this.clock.now(), importMode: true, ...(input.ID !== undefined ? { id: input.ID } : {}) })
    return structuredClone(rec)
  }

  contacts(): PortalContact[] {
    return [...this.crmContacts.values()].map((c) => structuredClone(c))
  }

  contact(id: number): PortalContact | undefined {
    const c = this.crmContacts.get(id)
    return c ? structuredClone(c) : undefined
  }

  companies(): PortalCompany[] {
    return [...this.crmCompanies.values()].map((c) => structuredClone(c))
  }

  company(id: number): PortalCompany | undefined {
    const c = this.crmCompanies.get(id)
    return c ? structuredClone(c) : undefined
  }

  /** What the portal's user selector returns ("It only shows company employees", b24jssdk selectUsers). */
  pickUsersForDialog(currentUserId: number): number[] {
    if (this.selectUserIds) return this.selectUserIds.filter((id) => this.usersById.has(id))
    return this.userRecords()
      .filter((u) => u.ACTIVE && u.USER_TYPE === 'employee' && u.ID !== currentUserId)
      .map((u) => u.ID)
  }

  setUserLimit(limit: number | null): void {
    this.userLimit = limit
  }

  private userView(u: UserRecord): PortalUser {
    return {
      ID: u.ID,
      ACTIVE: u.ACTIVE,
      ADMIN: u.ADMIN,
      USER_TYPE: u.USER_TYPE,
      EMAIL: String(u.fields.EMAIL ?? ''),
      NAME: String(u.fields.NAME ?? ''),
      LAST_NAME: String(u.fields.LAST_NAME ?? ''),
      UF_DEPARTMENT: [...u.UF_DEPARTMENT],
      LAST_LOGIN: u.LAST_LOGIN === null ? '' : isoDate(u.LAST_LOGIN),
      LAST_ACTIVITY_DATE: u.LAST_ACTIVITY_DATE === null ? '' : isoDate(u.LAST_ACTIVITY_DATE),
      DATE_REGISTER: isoDate(u.DATE_REGISTER),
      TIMESTAMP_X: isoDate(u.TIMESTAMP_X),
      CONFIRM_CODE: u.CONFIRM_CODE,
      invited: u.CONFIRM_CODE !== '',
      fields: structuredClone(u.fields),
    }
  }

  private groupView(g: GroupRecord): PortalGroup {
    return {
      ID: g.ID,
      NAME: g.NAME,
      TYPE: g.TYPE,
      OWNER_ID: g.OWNER_ID,
      IS_EXTRANET: this.isExtranetGroup(g),
      SITE_IDS: [...g.SITE_IDS],
      VISIBLE: g.VISIBLE,
      members: [...g.members].map(([userId, m]) => ({ userId, role: m.role, initiatedBy: m.initiatedBy })),
    }
  }

  // ---------------------------------------------------------------- apps, install, tokens

  registerApp(clientId: string, urls: { handlerUrl: string; installUrl?: string }): void {
    if (!this.app(clientId)) throw new Error(`unknown app ${clientId}: pass it in startEmulator({ apps })`)
    this.registrations.set(clientId, { clientId, ...urls })
  }

  private requireRegistration(clientId: string): AppRegistration {
    const r = this.registrations.get(clientId)
    if (!r) throw new Error(`app ${clientId} is not registered in portal ${this.memberId}; call registerApp first`)
    return r
  }

  requireInstall(clientId: string): InstallRecord {
    const i = this.installs.get(clientId)
    if (!i) throw new Error(`app ${clientId} is not installed in portal ${this.memberId}; call beginInstall first`)
    return i
  }

  private requireApp(clientId: string): AppConfig {
    const a = this.app(clientId)
    if (!a) throw new Error(`unknown app ${clientId}`)
    return a
  }

  private requireUser(id: number): UserRecord {
    const u = this.usersById.get(id)
    if (!u) throw new Error(`no user ${id} in portal ${this.memberId}`)
    return u
  }

  /**
   * The administrator opens the app for the first time: the app is added but not installed
   * (app.info INSTALLED:false) until the installer calls installFinish
   * (settings/app-installation/installation-finish.md). Returns what the portal POSTs to the installer.
   */
  beginInstall(clientId: string, opts: { userId?: number } = {}): FrameFields {
    this.requireRegistration(clientId)
    const app = this.requireApp(clientId)
    const userId = opts.userId ?? 1
    const user = this.requireUser(userId)
    if (!user.ADMIN) throw new Error(`user ${userId} is not an administrator and cannot install apps`)
    const existing = this.installs.get(clientId)
    if (existing && existing.version === app.version) {
      // Reinstalling the same version keeps its application_token.
      existing.installed = false
      existing.installedBy = userId
    } else {
      this.installs.set(clientId, {
        clientId,
        localId: existing?.localId ?? ++this.seq.localApp,
        installed: false,
        applicationToken: existing?.applicationToken ?? newToken(16),
        installedBy: userId,
        version: app.version,
        appOptions: this.retainedOptions.get(clientId) ?? {},
        userOptions: new Map(),
        openedBy: new Set(),
      })
      this.retainedOptions.delete(clientId)
    }
    return this.appFrameFields(clientId, { userId })
  }

  /** What the frame's `setInstallFinish` triggers: INSTALLED true, then ONAPPINSTALL. */
  async finishInstall(clientId: string): Promise<DeliveryRecord[]> {
    const install = this.requireInstall(clientId)
    if (install.installed) return []
    install.installed = true
    const app = this.requireApp(clientId)
    return this.dispatchEvent(
      'ONAPPINSTALL',
      { VERSION: String(app.version), ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: this.lang },
      { clientId, userId: install.installedBy },
    )
  }

  /**
   * Uninstall: ONAPPUNINSTALL (api-reference/common/events/on-app-uninstall.md), then the app's tokens,
   * event handlers, widgets and robots go (settings/app-uninstallation.md, bizproc-robot-delete.md).
   */
  async uninstallApp(clientId: string, opts: { clean: boolean }): Promise<DeliveryRecord[]> {
    const install = this.requireInstall(clientId)
    const deliveries = install.installed
      ? await this.dispatchEvent('ONAPPUNINSTALL', { LANGUAGE_ID: this.lang, CLEAN: opts.clean ? 1 : 0 }, { clientId, userId: null })
      : []
    this.tokens.drop(this.memberId, clientId)
    this.eventBindings = this.eventBindings.filter((b) => b.clientId !== clientId)
    this.placementBindings = this.placementBindings.filter((b) => b.clientId !== clientId)
    this.robotRecords = this.robotRecords.filter((r) => r.clientId !== clientId)
    for (const [k, t] of this.robotTokens) if (t.clientId === clientId) this.robotTokens.delete(k)
    for (const [k, s] of this.frameSessions) if (s.clientId === clientId) this.frameSessions.delete(k)
    if (!opts.clean) this.retainedOptions.set(clientId, install.appOptions)
    this.installs.delete(clientId)
    return deliveries
  }

  issuePair(clientId: string, userId: number): IssuedPair {
    this.requireInstall(clientId)
    this.requireUser(userId)
    return this.tokens.issue(this.memberId, clientId, userId)
  }

  issueTokens(clientId: string, userId: number): TokenSet {
    const pair = this.issuePair(clientId, userId)
    return tokenAnswer(pair, this.requireApp(clientId), this.clientEndpoint, this.oauthUrl) as unknown as TokenSet
  }

  expireAccessTokens(): void {
    this.tokens.expireAccess(this.memberId)
  }

  revokeRefreshTokens(): void {
    this.tokens.revokeRefresh(this.memberId)
  }

  oauthStats(): { refreshes: number; byMember: Record<string, number> } {
    const n = this.tokens.stats().byMember[this.memberId] ?? 0
    return { refreshes: n, byMember: { [this.memberId]: n } }
  }

  /**
   * Fields the portal POSTs when it opens the app (or a widget): query DOMAIN, PROTOCOL, LANG, APP_SID;
   * body AUTH_ID, AUTH_EXPIRES, REFRESH_ID, SERVER_ENDPOINT, APPLICATION_TOKEN, APPLICATION_SCOPE,
   * member_id, status, PLACEMENT, PLACEMENT_OPTIONS (settings/oauth/simple-way.md, widget_data.md).
   */
  appFrameFields(
    clientId: string,
    opts: { userId?: number; placement?: string; placementOptions?: Record<string, unknown>; lang?: string } = {},
  ): FrameFields {
    const reg = this.requireRegistration(clientId)
    const install = this.requireInstall(clientId)
    const app = this.requireApp(clientId)
    const userId = opts.userId ?? 1
    const user = this.requireUser(userId)
    const placement = opts.placement ?? 'DEFAULT'
    let target: string
    if (!install.installed) {
      // installation-finish.md: until installFinish, regular users only see a notice.
      if (!user.ADMIN) throw new Error('The application is not fully installed yet. Please contact your Bitrix24 administrator to complete the installation.')
      target = reg.installUrl ?? reg.handlerUrl
    } else if (placement === 'DEFAULT') {
      target = reg.handlerUrl
    } else {
      const bound = this.placementBindings.find((b) => b.clientId === clientId && b.placement === placement && (b.userId === 0 || b.userId === userId))
      if (!bound) throw new Error(`app ${clientId} has no handler bound for placement ${placement}`)
      target = bound.handler
    }
    const pair = this.issuePair(clientId, userId)
    const appSid = newToken(16)
    const lang = opts.lang ?? this.lang
    this.frameSessions.set(appSid, { appSid, clientId, userId, placement, placementOptions: opts.placementOptions ?? {}, lang })
    const query = { DOMAIN: this.domain, PROTOCOL: '0', LANG: lang, APP_SID: appSid }
    const url = new URL(target)
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v)
    return {
      url: url.toString(),
      query,
      appSid,
      install: !install.installed,
      body: {
        AUTH_ID: pair.access.token,
        AUTH_EXPIRES: String(ACCESS_TTL_SEC),
        REFRESH_ID: pair.refresh.token,
        SERVER_ENDPOINT: `${this.oauthUrl}/rest/`,
        APPLICATION_TOKEN: install.applicationToken,
        APPLICATION_SCOPE: app.scopes.join(','),
        member_id: this.memberId,
        status: app.status,
        PLACEMENT: placement,
        PLACEMENT_OPTIONS: JSON.stringify(opts.placementOptions ?? {}),
      },
    }
  }

  /** URL of the portal page hosting the app (frame-shell.ts), for a browser. */
  frameUrl(clientId: string, opts: { userId?: number; placement?: string; placementOptions?: Record<string, unknown>; lang?: 'ru' | 'en' } = {}): string {
    const url = new URL(`/app/${encodeURIComponent(clientId)}`, this.origin)
    url.searchParams.set('user', String(opts.userId ?? 1))
    if (opts.placement) url.searchParams.set('placement', opts.placement)
    if (opts.placementOptions) url.searchParams.set('options', JSON.stringify(opts.placementOptions))
    if (opts.lang) url.searchParams.set('lang', opts.lang)
    return url.toString()
  }

  /** app.info's result (api-reference/common/system/app-info.md). */
  appInfo(clientId: string): Record<string, unknown> | undefined {
    const install = this.installs.get(clientId)
    const app = this.app(clientId)
    if (!install || !app) return undefined
    const licenseType = this.plan === 'enterprise' ? 'ent250' : 'std'
    return {
      ID: install.localId,
      CODE: app.code,
      VERSION: install.version,
      STATUS: app.status,
      INSTALLED: install.installed,
      PAYMENT_EXPIRED: 'N',
      DAYS: null,
      LANGUAGE_ID: this.lang,
      LICENSE: `${this.lang}_${licenseType}`,
      LICENSE_TYPE: licenseType,
      LICENSE_FAMILY: this.plan === 'enterprise' ? 'ent' : 'std',
    }
  }

  // ---------------------------------------------------------------- faults & observation

  recordRequest(r: RequestRecord): void {
    this.requestRecords.push(r)
  }

  requests(): RequestRecord[] {
    return this.requestRecords.map((r) => structuredClone(r))
  }

  events(): EventBindingView[] {
    return this.eventBindings.map(({ id, clientId, event, handler, authType, offline }) => ({ id, clientId, event, handler, authType, offline }))
  }

  placements(): PlacementBinding[] {
    return this.placementBindings.map((p) => structuredClone(p))
  }

  robots(): RobotRecord[] {
    return this.robotRecords.map((r) => structuredClone(r))
  }

  notifications(): NotificationRecord[] {
    return this.notificationRecords.map((n) => structuredClone(n))
  }

  bizprocEvents(): BizprocEventRecord[] {
    return this.bizprocEventRecords.map((e) => structuredClone(e))
  }

  deliveries(): DeliveryRecord[] {
    return this.deliveryRecords.map((d) => structuredClone(d))
  }

  invitations(): InvitationRecord[] {
    return this.invitationRecords.map((i) => structuredClone(i))
  }

  feedPosts(): FeedPostRecord[] {
    return this.feedPostRecords.map((p) => structuredClone(p))
  }

  chatMessages(dialogId?: string): ChatMessageRecord[] {
    const want = dialogId === undefined ? undefined : this.canonicalDialogId(dialogId)
    return this.chatMessageRecords.filter((m) => want === undefined || m.dialogId === want).map((m) => structuredClone(m))
  }

  tasks(): TaskRecord[] {
    return this.taskRecords.map((t) => structuredClone(t))
  }

  /** `sg<X>` is the chat of group X (im-message-add.md DIALOG_ID forms), kept as `chat<CHAT_ID>`. */
  canonicalDialogId(dialogId: string): string {
    const id = dialogId.trim().toLowerCase()
    const sg = /^sg(\d+)$/.exec(id)
    if (!sg) return id
    const g = this.groupsById.get(Number(sg[1]))
    return g ? `chat${g.CHAT_ID}` : id
  }

  nextPostId(): number {
    return ++this.seq.post
  }

  nextMessageId(): number {
    return ++this.seq.message
  }

  nextTaskId(): number {
    return ++this.seq.task
  }

  nextNotificationId(): number {
    return ++this.seq.notification
  }

  nextEventId(): number {
    return ++this.seq.event
  }

  nextPlacementId(): number {
    return ++this.seq.placement
  }

  // ---------------------------------------------------------------- outgoing calls

  /** `auth` of an app event (api-reference/events/index.md, _includes/auth-params-in-events.md). */
  private eventAuth(app: AppConfig, install: InstallRecord, userId: number | null, event: string): Record<string, unknown> {
    const common = {
      domain: this.domain,
      server_endpoint: `${this.oauthUrl}/rest/`,
      client_endpoint: this.clientEndpoint,
      member_id: this.memberId,
      application_token: install.applicationToken,
    }
    if (event === 'ONAPPUNINSTALL') {
      // on-app-uninstall.md: only domain, server_endpoint, client_endpoint, member_id, application_token.
      return common
    }
    const scope = app.scopes.join(',')
    if (userId === null || !this.usersById.has(userId)) {
      // index.md: "Tokens are also not passed to an application if the action was performed not by a user".
      return { scope, domain: common.domain, server_endpoint: common.server_endpoint, status: app.status, client_endpoint: common.client_endpoint, member_id: this.memberId, application_token: install.applicationToken }
    }
    const pair = this.tokens.issue(this.memberId, app.clientId, userId)
    if (event === 'ONAPPINSTALL') {
      // on-app-install.md shows exactly these keys (refresh_token only here and in ONAPPUPDATE/onOfflineEvent).
      return {
        domain: this.domain,
        // The page says "separated by spaces" for this event's scope.
        scope: app.scopes.join(' '),
        access_token: pair.access.token,
        refresh_token: pair.refresh.token,
        expires_in: ACCESS_TTL_SEC,
        server_endpoint: common.server_endpoint,
        status: app.status,
        client_endpoint: common.client_endpoint,
        member_id: this.memberId,
        application_token: install.applicationToken,
      }
    }
    return {
      access_token: pair.access.token,
      expires_in: ACCESS_TTL_SEC,
      scope,
      domain: this.domain,
      server_endpoint: common.server_endpoint,
      status: app.status,
      client_endpoint: common.client_endpoint,
      member_id: this.memberId,
      application_token: install.applicationToken,
    }
  }

  /**
   * Posts an event to every online handler bound for it. Only installed apps receive events
   * (installation-finish.md). No retries (events/index.md "No retries").
   * `userId`: whose action fired it (undefined = the installing user; null = not a user, no tokens).
   */
  async dispatchEvent(name: string, data: unknown, opts: { userId?: number | null; clientId?: string } = {}): Promise<DeliveryRecord[]> {
    const event = name.toUpperCase()
    const out: DeliveryRecord[] = []
    const bindings = this.eventBindings.filter((b) => b.event === event && !b.offline && (!opts.clientId || b.clientId === opts.clientId))
    for (const b of bindings) {
      const install = this.installs.get(b.clientId)
      const app = this.app(b.clientId)
      if (!install?.installed || !app) continue
      const userId = b.authType > 0 ? b.authType : opts.userId === undefined ? install.installedBy : opts.userId
      const payload = {
        event,
        event_handler_id: String(b.id),
        data,
        ts: String(unixSec(this.clock.now())),
        auth: this.eventAuth(app, install, userId, event),
      }
      out.push(await this.deliver('event', event, b.handler, b.clientId, payload))
    }
    return out
  }

  fireEvent(name: string, data: unknown, opts: { userId?: number | null; clientId?: string } = {}): Promise<DeliveryRecord[]> {
    return this.dispatchEvent(name, data, opts)
  }

  private async deliver(kind: 'event' | 'robot', name: string, url: string, clientId: string, payload: Record<string, unknown>): Promise<DeliveryRecord> {
    const record = await deliver({ kind, name, url, clientId, payload, at: this.clock.now() })
    this.deliveryRecords.push(record)
    return structuredClone(record)
  }

  /**
   * The invited user completes registration: LAST_LOGIN set, CONFIRM_CODE cleared, group invitations
   * accepted, then ONUSERADD ("The event occurs not after the invitation, but after the user logs into
   * Bitrix24 and completes the registration", api-reference/common/events/on-user-add.md).
   */
  async acceptInvitation(userIdOrEmail: number | string, opts?: { deliverEvent?: boolean }): Promise<DeliveryRecord[]> {
    const user =
      typeof userIdOrEmail === 'number'
        ? this.usersById.get(userIdOrEmail)
        : this.userRecords().find((u) => String(u.fields.EMAIL ?? '').toLowerCase() === userIdOrEmail.toLowerCase())
    if (!user) throw new Error(`no user ${userIdOrEmail}`)
    if (!user.CONFIRM_CODE) throw new Error(`user ${user.ID} has no pending invitation`)
    const now = this.clock.now()
    user.CONFIRM_CODE = ''
    user.LAST_LOGIN = now
    user.LAST_ACTIVITY_DATE = now
    user.IS_ONLINE = true
    user.TIMESTAMP_X = now
    for (const g of this.groupsById.values()) {
      const m = g.members.get(user.ID)
      if (m && m.role === 'Z' && m.initiatedBy === 'G') g.members.set(user.ID, { role: 'K', initiatedBy: 'G', at: now })
    }
    for (const inv of this.invitationRecords) if (inv.userId === user.ID && inv.acceptedAt === null) inv.acceptedAt = now
    // deliverEvent false: a delivery that never arrived (events are sent once and never repeated, events/index.md).
    if (opts?.deliverEvent === false) return []
    return this.dispatchEvent('ONUSERADD', onUserAddData(user), { userId: user.ID })
  }

  /**
   * The user accepts a group's invitation (sonet_group.user.invite, or user.add with SONET_GROUP_ID):
   * "invited to the group but have not yet accepted" (socialnetwork-api-workgroup-get.md) becomes a member.
   * A user still holding a portal invitation must first register (acceptInvitation does both).
   */
  acceptGroupInvitation(groupId: number, userId: number): PortalGroup {
    const g = this.groupsById.get(groupId)
    if (!g) throw new Error(`no group ${groupId}`)
    const user = this.requireUser(userId)
    if (user.CONFIRM_CODE) throw new Error(`user ${userId} has not accepted the portal invitation yet; use acceptInvitation`)
    if (!user.ACTIVE) throw new Error(`user ${userId} is deactivated`)
    const m = g.members.get(userId)
    if (!m || m.role !== 'Z' || m.initiatedBy !== 'G') throw new Error(`user ${userId} has no pending invitation to group ${groupId}`)
    g.members.set(userId, { role: 'K', initiatedBy: 'G', at: this.clock.now() })
    return this.groupView(g)
  }

  /**
   * A login: LAST_LOGIN and LAST_ACTIVITY_DATE move. TIMESTAMP_X stays, since a login is not a profile
   * change (SRC: CUser::Login writes `TIMESTAMP_X = TIMESTAMP_X`), so `>TIMESTAMP_X` does not see it.
   */
  recordLogin(userId: number, atMs: number = this.clock.now()): PortalUser {
    const user = this.requireUser(userId)
    if (user.CONFIRM_CODE) throw new Error(`user ${userId} has not accepted the portal invitation yet; use acceptInvitation`)
    if (!user.ACTIVE) throw new Error(`user ${userId} is deactivated and cannot log in`)
    user.LAST_LOGIN = atMs
    user.LAST_ACTIVITY_DATE = Math.max(user.LAST_ACTIVITY_DATE ?? atMs, atMs)
    return this.userView(user)
  }

  /** Activity only (SRC: CUser::SetLastActivityDate keeps TIMESTAMP_X); LAST_LOGIN stays. */
  recordActivity(userId: number, atMs: number = this.clock.now()): PortalUser {
    const user = this.requireUser(userId)
    if (!Number.isFinite(atMs)) throw new Error(`recordActivity: not a time: ${atMs}`)
    user.LAST_ACTIVITY_DATE = atMs
    return this.userView(user)
  }

  private requireCollab(collabId: number): GroupRecord {
    const g = this.groupsById.get(collabId)
    if (!g) throw new Error(`no group ${collabId}`)
    if (g.TYPE !== 'collab') throw new Error(`group ${collabId} is a ${g.TYPE}, not a collab`)
    return g
  }

  /**
   * The collab UI's "invite a new guest" (rest-facts §3.3: intranet.invite.inviteUsersToCollab, no REST page):
   * a new extranet user, no department, a pending portal invitation, and a pending membership in the collab.
   * Not recorded in invitations(), which lists what apps sent.
   */
  inviteGuestToCollab(collabId: number, guest: CollabGuestInput): PortalUser {
    const g = this.requireCollab(collabId)
    const email = String(guest.email ?? '').trim()
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new Error(`inviteGuestToCollab: bad e-mail ${JSON.stringify(guest.email)}`)
    const lower = email.toLowerCase()
    for (const u of this.usersById.values()) {
      if (String(u.fields.EMAIL ?? '').toLowerCase() === lower) throw new Error(`user ${u.ID} already has e-mail ${email}; use addGuestToCollab`)
    }
    const invitedBy = guest.invitedBy ?? g.OWNER_ID
    this.requireUser(invitedBy)
    const user = this.addUser({
      EMAIL: email,
      NAME: guest.name ?? '',
      LAST_NAME: guest.lastName ?? '',
      USER_TYPE: 'extranet',
      UF_DEPARTMENT: [],
      invited: true,
      LAST_LOGIN: null,
    })
    g.members.set(user.ID, { role: 'Z', initiatedBy: 'G', at: this.clock.now(), invitedBy })
    return user
  }

  /** The collab UI invites an existing user: role Z, initiated by the group. A pending invitation stays as it is. */
  addGuestToCollab(collabId: number, userId: number, opts: { invitedBy?: number } = {}): PortalGroup {
    const g = this.requireCollab(collabId)
    this.requireUser(userId)
    const invitedBy = opts.invitedBy ?? g.OWNER_ID
    this.requireUser(invitedBy)
    const m = g.members.get(userId)
    if (m && m.role !== 'Z') throw new Error(`user ${userId} is already a member of collab ${collabId}`)
    if (!m || m.initiatedBy === 'U') g.members.set(userId, { role: 'Z', initiatedBy: 'G', at: this.clock.now(), invitedBy })
    return this.groupView(g)
  }

  /** What a robot HANDLER receives (rest-facts §7.2: bizproc restactivity, app-template-automation-rules). */
  async callRobot(code: string, opts: CallRobotOptions = {}): Promise<DeliveryRecord> {
    const robot = this.robotRecords.find((r) => r.code === code && (!opts.clientId || r.clientId === opts.clientId))
    if (!robot) throw new Error(`no robot ${code} registered in portal ${this.memberId}`)
    const install = this.requireInstall(robot.clientId)
    if (!install.installed) throw new Error(`app ${robot.clientId} is not fully installed`)
    const app = this.requireApp(robot.clientId)
    const documentId = opts.documentId ?? ['crm', 'CCrmDocumentDeal', 'DEAL_1']
    const robotType = Array.isArray(robot.documentType) && robot.documentType.length === 3 ? (robot.documentType as [string, string, string]) : undefined
    const documentType = opts.documentType ?? robotType ?? [documentId[0], documentId[1], documentId[2].replace(/_\d+$/, '')]
    const workflowId = opts.workflowId ?? `${randomBytes(7).toString('hex')}.${Math.floor(this.random() * 1e8)}`
    const eventToken = opts.eventToken ?? `${workflowId}|A${Math.floor(this.random() * 1e5)}_${Math.floor(this.random() * 1e5)}|${newToken(16)}`
    const properties: Record<string, unknown> = {}
    for (const [key, def] of Object.entries(robot.properties)) {
      const d = (def as Record<string, unknown> | null)?.Default
      if (d !== undefined) properties[key] = d
    }
    Object.assign(properties, opts.properties ?? {})
    const userId = robot.authUserId ?? opts.userId ?? install.installedBy
    const pair = this.tokens.issue(this.memberId, app.clientId, userId)
    const useSubscription = robot.useSubscription === 'N' ? 'N' : 'Y'
    const timeoutSec = opts.timeoutDuration ?? 0
    if (useSubscription === 'Y') {
      this.robotTokens.set(eventToken, { clientId: app.clientId, robotCode: code, state: 'pending', expiresAt: timeoutSec > 0 ? this.clock.now() + timeoutSec * 1000 : null })
    }
    const payload = {
      workflow_id: workflowId,
      code,
      document_id: documentId,
      document_type: documentType,
      event_token: eventToken,
      properties,
      use_subscription: useSubscription,
      timeout_duration: String(timeoutSec),
      ts: String(unixSec(this.clock.now())),
      // No refresh_token: the robot call is sent with sendRefreshToken => false (rest-facts §7.2).
      auth: {
        access_token: pair.access.token,
        expires: String(unixSec(pair.access.expiresAt)),
        expires_in: String(ACCESS_TTL_SEC),
        scope: app.scopes.join(','),
        domain: this.domain,
        server_endpoint: `${this.oauthUrl}/rest/`,
        status: app.status,
        client_endpoint: this.clientEndpoint,
        member_id: this.memberId,
        user_id: String(userId),
        application_token: install.applicationToken,
      },
    }
    return this.deliver('robot', code, robot.handler, app.clientId, payload)
  }
}
