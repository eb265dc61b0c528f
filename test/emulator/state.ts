/**
 * In-memory records of one fake portal. Plain data; behaviour lives in the portal and method modules.
 */

export type AppStatus = 'F' | 'D' | 'T' | 'P' | 'L'
export type UserType = 'employee' | 'extranet' | 'email' | 'bot'
/** sonet roles: A owner, E moderator, K member, Z awaiting (invited or requested). */
export type GroupRole = 'A' | 'E' | 'K' | 'Z'
export type GroupType = 'group' | 'project' | 'scrum' | 'collab'

/** One marketplace app as the emulator knows it (the "version card"). */
export interface AppConfig {
  clientId: string
  clientSecret: string
  code: string
  version: number
  scopes: string[]
  /** Application status reported in tokens, events and app.info. @default 'F' */
  status: AppStatus
}

export interface UserRecord {
  ID: number
  /** user.add-like fields as given (NAME, LAST_NAME, EMAIL, WORK_POSITION, PERSONAL_*, UF_* …). */
  fields: Record<string, unknown>
  ACTIVE: boolean
  ADMIN: boolean
  USER_TYPE: UserType
  UF_DEPARTMENT: number[]
  /** unix ms, or null = never logged in. */
  LAST_LOGIN: number | null
  /**
   * unix ms, or null = no activity recorded. Moves with any activity on the portal, logins included;
   * `recordActivity` moves only this one (activity is not a login).
   */
  LAST_ACTIVITY_DATE: number | null
  DATE_REGISTER: number
  TIMESTAMP_X: number
  /** Non-empty while an invitation is pending (rest-facts §1.4). Not returned by user.get. */
  CONFIRM_CODE: string
  IS_ONLINE: boolean
}

export interface DepartmentRecord {
  ID: number
  NAME: string
  SORT: number
  PARENT: number | null
  UF_HEAD: number | null
}

export interface Membership {
  role: GroupRole
  /** U: the user asked to join; G: the group invited the user. */
  initiatedBy: 'U' | 'G'
  at: number
  message?: string
  /** Who sent the invitation, when known (the portal's collab UI). Not returned by REST. */
  invitedBy?: number
}

export interface GroupRecord {
  ID: number
  NAME: string
  DESCRIPTION: string | null
  OWNER_ID: number
  TYPE: GroupType
  ACTIVE: 'Y' | 'N'
  VISIBLE: 'Y' | 'N'
  OPENED: 'Y' | 'N'
  CLOSED: 'Y' | 'N'
  INITIATE_PERMS: 'A' | 'E' | 'K'
  KEYWORDS: string | null
  SUBJECT_ID: number
  /** Sites the group is bound to; an extranet group is also bound to the extranet site. */
  SITE_IDS: string[]
  DATE_CREATE: number
  DATE_UPDATE: number
  DATE_ACTIVITY: number
  CHAT_ID: number
  /** Scrum master of a scrum project; sonet_group.user.delete cannot remove them (sonet-group-user-delete.md). */
  SCRUM_MASTER_ID: number | null
  members: Map<number, Membership>
}

export interface AppRegistration {
  clientId: string
  /** "Application URL": main page, and placements unless bound elsewhere. */
  handlerUrl: string
  /** "Application installer URL"; falls back to handlerUrl. */
  installUrl?: string
}

export interface InstallRecord {
  clientId: string
  /** Local id of the app in this portal (app.info ID). */
  localId: number
  installed: boolean
  applicationToken: string
  installedBy: number
  version: number
  appOptions: Record<string, unknown>
  userOptions: Map<number, Record<string, unknown>>
  /** Users who already opened the app (FIRST_RUN is true only the first time). */
  openedBy: Set<number>
}

export interface EventBinding {
  id: number
  clientId: string
  /** Upper-case, as event.get shows. */
  event: string
  handler: string
  /** 0 = the user whose action fired the event. */
  authType: number
  offline: boolean
  options: unknown
}

export interface PlacementBinding {
  id: number
  clientId: string
  placement: string
  handler: string
  title: string
  description: string
  groupName: string
  langAll: Record<string, unknown>
  options: unknown
  userId: number
}

export interface RobotRecord {
  clientId: string
  code: string
  handler: string
  authUserId: number | null
  useSubscription: '' | 'Y' | 'N'
  name: unknown
  description: unknown
  properties: Record<string, unknown>
  returnProperties: Record<string, unknown>
  documentType: unknown
  filter: unknown
  usePlacement: 'Y' | 'N'
  placementHandler: string
}

export interface NotificationRecord {
  id: number
  kind: 'system' | 'personal'
  clientId: string
  /** Recipient. */
  userId: number
  /** Sender for personal notifications (the token's user); 0 for system ones. */
  fromUserId: number
  message: string
  messageOut: string
  tag: string
  subTag: string
  attach: unknown
  at: number
}

/** A News Feed post made with log.blogpost.add (api-reference/log/log-blogpost-add.md). */
export interface FeedPostRecord {
  id: number
  clientId: string
  /** The post's author: USER_ID when an administrator passed it, else the caller. */
  authorId: number
  /** The token's user who made the call. */
  postedBy: number
  title: string
  message: string
  /** Recipients as kept (`SG<X>`, `U<X>`, `UA`, `DR<X>`); entries naming nothing are dropped. */
  dest: string[]
  important: boolean
  tags: string
  at: number
}

/** A message sent with im.message.add (api-reference/chats/messages/im-message-add.md). */
export interface ChatMessageRecord {
  id: number
  clientId: string
  /** `chat<N>` for a chat (an `sg<X>` address is stored as its group's chat), or the recipient's user id for a personal chat. */
  dialogId: string
  /** The chat, or null for a personal chat. */
  chatId: number | null
  /** The recipient of a personal chat, or null. */
  toUserId: number | null
  /** The token's user. */
  authorId: number
  message: string
  system: boolean
  attach: unknown
  keyboard: unknown
  menu: unknown
  urlPreview: boolean
  replyId: number | null
  at: number
}

/** A task made with tasks.task.add (api-reference/tasks/tasks-task-add.md). */
export interface TaskRecord {
  id: number
  clientId: string
  title: string
  description: string
  responsibleId: number
  createdBy: number
  /** 0 when the task is not in a group (the doc's `groupId: "0"`). */
  groupId: number
  /** unix ms, or null. */
  deadline: number | null
  /** `2` waiting for execution (fields.md). */
  status: string
  at: number
}

export interface BizprocEventRecord {
  eventToken: string
  clientId: string
  robotCode: string
  returnValues: unknown
  logMessage: string
  at: number
}

export interface InvitationRecord {
  userId: number
  email: string
  invitedBy: number
  clientId: string
  extranet: boolean
  groupIds: number[]
  departmentIds: number[]
  /** MESSAGE_TEXT as sent. */
  messageText: string | null
  /** What the invitation e-mail would carry: the server HTML-escapes it (rest-facts §1.1, SRC). */
  messageTextEscaped: string | null
  at: number
  acceptedAt: number | null
}

export interface DeliveryRecord {
  at: number
  kind: 'event' | 'robot'
  /** Event name or robot code. */
  name: string
  url: string
  clientId: string
  /** The payload as an object (what the receiver gets after qs-style parsing). */
  payload: Record<string, unknown>
  /** The exact form-urlencoded body sent. */
  body: string
  /** HTTP status of the handler's answer; 0 when the request failed. */
  status: number
  error?: string
}

export interface RequestRecord {
  at: number
  httpMethod: string
  restMethod: string
  /** Parameters with `auth` removed. */
  params: Record<string, unknown>
  userId: number | null
  clientId: string | null
  status: number
  error?: string
  /** For `batch`: the methods of its commands, in order. */
  batchOf?: string[]
  /** When the portal answered (or cut the connection): with `at`, how long the request ran here. */
  doneAt?: number
}

export type FaultKind =
  | 'QUERY_LIMIT_EXCEEDED'
  | 'OPERATION_TIME_LIMIT'
  | 'INTERNAL_SERVER_ERROR'
  | 'expired_token'
  | 'network_drop'
  | 'slow'

export interface FaultSpec {
  /** Method name (lower case), `'*'` for any, `'batch'` for the outer batch call. @default '*' */
  method?: string
  /** How many matching calls fail. @default 1, or unlimited when `probability` is set */
  times?: number
  /** Chance (0..1) that a matching call fails; deterministic per portal (seeded). @default 1 */
  probability?: number
  kind: FaultKind
  /** For `slow`: real milliseconds to wait before answering. @default 1000 */
  delayMs?: number
  /**
   * For `network_drop`: the call runs first and the connection is cut instead of answering, so its effects
   * stay and only the answer is lost (a batch runs all its commands). @default false: cut before it runs
   */
  afterRun?: boolean
}

/** Users excluded from user.get ("bots, e-mail users, Open Channels users, and Replica users"). */
export const HIDDEN_USER_TYPES: ReadonlySet<UserType> = new Set<UserType>(['bot', 'email'])

/** Site of intranet groups. */
export const MAIN_SITE_ID = 's1'
/** Extranet site id: commonly `co` on cloud portals — UNCONFIRMED (rest-facts §2.3). */
export const EXTRANET_SITE_ID = 'co'

/** `crm_multifield` TYPE_ID (api-reference/crm/data-types.md#crm_multifield). */
export type CrmMultiFieldType = 'PHONE' | 'EMAIL' | 'WEB' | 'IM' | 'LINK'

/** One `crm_multifield` value as crm.contact.get shows it: every member a string. */
export interface CrmMultiFieldValue {
  ID: string
  VALUE_TYPE: string
  VALUE: string
  TYPE_ID: CrmMultiFieldType
}

/** The multi-fields of a contact or company; empty arrays are left out of REST answers (crm-contact-get.md note). */
export interface CrmMultiFields {
  PHONE: CrmMultiFieldValue[]
  EMAIL: CrmMultiFieldValue[]
  WEB: CrmMultiFieldValue[]
  IM: CrmMultiFieldValue[]
  LINK: CrmMultiFieldValue[]
}

type Yn = 'Y' | 'N'

/**
 * A CRM contact in the shape of crm.contact.get's example (api-reference/crm/contacts/crm-contact-get.md):
 * ids and numbers as strings, dates as ISO 8601, unset values null. COMPANY_IDS is kept for
 * crm.contact.add (main-entities-fields.md: it "does not exist" in get/list answers), `custom` holds
 * UF_* and PARENT_ID_* values.
 */
export interface CrmContactRecord extends CrmMultiFields {
  ID: string
  POST: string | null
  COMMENTS: string | null
  HONORIFIC: string | null
  NAME: string | null
  SECOND_NAME: string | null
  LAST_NAME: string | null
  PHOTO: null
  LEAD_ID: string | null
  TYPE_ID: string | null
  SOURCE_ID: string | null
  SOURCE_DESCRIPTION: string | null
  COMPANY_ID: string | null
  /** `2001-11-11T00:00:00+00:00`, or '' when not set. */
  BIRTHDATE: string
  EXPORT: Yn
  HAS_PHONE: Yn
  HAS_EMAIL: Yn
  HAS_IMOL: Yn
  DATE_CREATE: string
  DATE_MODIFY: string
  ASSIGNED_BY_ID: string
  CREATED_BY_ID: string
  MODIFY_BY_ID: string
  OPENED: Yn
  ORIGINATOR_ID: string | null
  ORIGIN_ID: string | null
  ORIGIN_VERSION: string | null
  FACE_ID: string | null
  LAST_ACTIVITY_TIME: string
  ADDRESS: string | null
  ADDRESS_2: string | null
  ADDRESS_CITY: string | null
  ADDRESS_POSTAL_CODE: string | null
  ADDRESS_REGION: string | null
  ADDRESS_PROVINCE: string | null
  ADDRESS_COUNTRY: string | null
  ADDRESS_LOC_ADDR_ID: string | null
  UTM_SOURCE: string | null
  UTM_MEDIUM: string | null
  UTM_CAMPAIGN: string | null
  UTM_CONTENT: string | null
  UTM_TERM: string | null
  LAST_ACTIVITY_BY: string
  COMPANY_IDS: string[]
  custom: Record<string, unknown>
}

/** A CRM company in the shape of crm.company.get's example (api-reference/crm/companies/crm-company-get.md). */
export interface CrmCompanyRecord extends CrmMultiFields {
  ID: string
  COMPANY_TYPE: string | null
  TITLE: string
  LOGO: null
  LEAD_ID: string | null
  HAS_PHONE: Yn
  HAS_EMAIL: Yn
  HAS_IMOL: Yn
  ASSIGNED_BY_ID: string
  CREATED_BY_ID: string
  MODIFY_BY_ID: string
  BANKING_DETAILS: string | null
  INDUSTRY: string | null
  REVENUE: string | null
  CURRENCY_ID: string | null
  EMPLOYEES: string | null
  COMMENTS: string | null
  DATE_CREATE: string
  DATE_MODIFY: string
  OPENED: Yn
  IS_MY_COMPANY: Yn
  ORIGINATOR_ID: string | null
  ORIGIN_ID: string | null
  ORIGIN_VERSION: string | null
  ADDRESS: string | null
  ADDRESS_2: string | null
  ADDRESS_CITY: string | null
  ADDRESS_POSTAL_CODE: string | null
  ADDRESS_REGION: string | null
  ADDRESS_PROVINCE: string | null
  ADDRESS_COUNTRY: string | null
  ADDRESS_COUNTRY_CODE: string | null
  ADDRESS_LOC_ADDR_ID: string | null
  ADDRESS_LEGAL: string | null
  REG_ADDRESS: string | null
  REG_ADDRESS_2: string | null
  REG_ADDRESS_CITY: string | null
  REG_ADDRESS_POSTAL_CODE: string | null
  REG_ADDRESS_REGION: string | null
  REG_ADDRESS_PROVINCE: string | null
  REG_ADDRESS_COUNTRY: string | null
  REG_ADDRESS_COUNTRY_CODE: string | null
  REG_ADDRESS_LOC_ADDR_ID: string | null
  UTM_SOURCE: string | null
  UTM_MEDIUM: string | null
  UTM_CAMPAIGN: string | null
  UTM_CONTENT: string | null
  UTM_TERM: string | null
  LAST_ACTIVITY_BY: string
  LAST_ACTIVITY_TIME: string
  LAST_COMMUNICATION_TIME: string | null
  custom: Record<string, unknown>
}
