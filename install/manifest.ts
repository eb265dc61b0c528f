/**
 * What Invite Desk registers in a portal. Declared once here; every install and upgrade reconciles the
 * portal against it (bind what is missing, unbind what is no longer declared), so re-running install
 * changes nothing twice. Bitrix24 drops an app's handlers on update ("they must be set from scratch in the
 * installer of each version", api-reference/events/event-bind.md), which is why this runs every time.
 */

export type Localized = { ru: string; en: string }

export interface EventDeclaration {
  event: string
  /** Path under APP_URL. */
  path: string
}

export interface PlacementDeclaration {
  placement: string
  path: string
  title: Localized
  description: Localized
}

export interface RobotDeclaration {
  code: string
  path: string
  name: Localized
  description: Localized
  useSubscription: boolean
  properties: Record<string, unknown>
  returnProperties: Record<string, unknown>
}

export interface Manifest {
  /** Scopes to grant in the portal's app form (they cannot be requested through REST). */
  scopes: string[]
  events: EventDeclaration[]
  placements: PlacementDeclaration[]
  robots: RobotDeclaration[]
}

/** bizproc.robot.add PROPERTY objects (bizproc-robot-add.md#property): Name, Description, Type, Required, Default. */
const prop = (ru: string, en: string, type: string, extra: Record<string, unknown> = {}) => ({ Name: { ru, en }, Type: type, Required: 'N', Multiple: 'N', ...extra })
const required = { Required: 'Y' }

const INVITE_RESULT = {
  USER_ID: prop('ID пользователя', 'User ID', 'int'),
  STATUS: prop('Статус (invited, already_exists, failed)', 'Status (invited, already_exists, failed)', 'string'),
  ERROR_TEXT: prop('Текст ошибки', 'Error text', 'string'),
}

/** The robot codes; each is also its handler's path (/robots/<code>). */
export const ROBOT_CODES = ['invite_employee', 'invite_guest', 'add_to_group', 'wait_acceptance'] as const
export type RobotCode = (typeof ROBOT_CODES)[number]

const ROBOTS: RobotDeclaration[] = [
  {
    code: 'invite_employee',
    path: '/robots/invite_employee',
    name: { ru: 'Invite Desk: пригласить сотрудника', en: 'Invite Desk: invite an employee' },
    description: {
      ru: 'Приглашает человека в портал сотрудником выбранного подразделения, с текстом шаблона Invite Desk. Возвращает ID пользователя и статус.',
      en: 'Invites a person to the portal as an employee of a department, with an Invite Desk template\'s text. Returns the user ID and a status.',
    },
    useSubscription: true,
    properties: {
      EMAIL: prop('E-mail', 'E-mail', 'string', required),
      NAME: prop('Имя', 'First name', 'string'),
      LAST_NAME: prop('Фамилия', 'Last name', 'string'),
      POSITION: prop('Должность', 'Position', 'string'),
      DEPARTMENT: prop('Подразделение (ID или название)', 'Department (ID or name)', 'string', required),
      TEMPLATE: prop('Шаблон Invite Desk (название или ID)', 'Invite Desk template (name or ID)', 'string'),
    },
    returnProperties: INVITE_RESULT,
  },
  {
    code: 'invite_guest',
    path: '/robots/invite_guest',
    name: { ru: 'Invite Desk: пригласить гостя в группу или коллабу', en: 'Invite Desk: invite a guest into a group or collab' },
    description: {
      ru: 'Приглашает внешнего человека в экстранет-группу или коллабу; доступ заканчивается в указанную дату. Возвращает ID пользователя и статус.',
      en: 'Invites an outside person into an extranet group or collab; access ends on the given date. Returns the user ID and a status.',
    },
    useSubscription: true,
    properties: {
      EMAIL: prop('E-mail', 'E-mail', 'string', required),
      NAME: prop('Имя', 'First name', 'string'),
      LAST_NAME: prop('Фамилия', 'Last name', 'string'),
      GROUP_ID: prop('ID группы или коллабы', 'Group or collab ID', 'int', required),
      TEMPLATE: prop('Шаблон Invite Desk (название или ID)', 'Invite Desk template (name or ID)', 'string'),
      ACCESS_END_DATE: prop('Доступ до', 'Access ends on', 'date'),
    },
    returnProperties: INVITE_RESULT,
  },
  {
    code: 'add_to_group',
    path: '/robots/add_to_group',
    name: { ru: 'Invite Desk: добавить пользователя в группу', en: 'Invite Desk: add a user to a group' },
    description: {
      ru: 'Добавляет пользователя портала в рабочую группу. Возвращает статус (added, already_member, failed).',
      en: 'Adds a portal user to a workgroup. Returns a status (added, already_member, failed).',
    },
    useSubscription: true,
    properties: {
      USER: prop('Пользователь', 'User', 'user', required),
      GROUP_ID: prop('ID группы', 'Group ID', 'int', required),
    },
    returnProperties: {
      STATUS: prop('Статус (added, already_member, failed)', 'Status (added, already_member, failed)', 'string'),
      ERROR_TEXT: prop('Текст ошибки', 'Error text', 'string'),
    },
  },
  {
    code: 'wait_acceptance',
    path: '/robots/wait_acceptance',
    name: { ru: 'Invite Desk: дождаться принятия приглашения', en: 'Invite Desk: wait for the invitation to be accepted' },
    description: {
      ru: 'Ждёт, пока приглашённый человек примет приглашение, или пока не пройдёт заданное число дней. Возвращает ACCEPTED (Y/N) и дату.',
      en: 'Waits until the invited person accepts, or until the given number of days passes. Returns ACCEPTED (Y/N) and the date.',
    },
    useSubscription: true,
    properties: {
      EMAIL: prop('E-mail приглашённого', 'Invitee\'s e-mail', 'string'),
      USER_ID: prop('ID пользователя (если нет e-mail)', 'User ID (when there is no e-mail)', 'int'),
      WAIT_DAYS: prop('Ждать дней', 'Days to wait', 'int', { Default: 14 }),
    },
    returnProperties: {
      ACCEPTED: prop('Принято (Y/N)', 'Accepted (Y/N)', 'string'),
      ACCEPTED_DATE: prop('Дата принятия', 'Accepted on', 'datetime'),
      USER_ID: prop('ID пользователя', 'User ID', 'int'),
      ERROR_TEXT: prop('Текст ошибки', 'Error text', 'string'),
    },
  },
]

export const MANIFEST: Manifest = {
  scopes: ['user', 'department', 'sonet_group', 'socialnetwork', 'im', 'bizproc', 'placement', 'crm', 'intranet', 'log', 'task'],
  events: [
    { event: 'ONAPPINSTALL', path: '/events' },
    { event: 'ONAPPUNINSTALL', path: '/events' },
    // "Invitation accepted": fires when the invited person completes registration (on-user-add.md).
    { event: 'ONUSERADD', path: '/events' },
  ],
  placements: [
    {
      placement: 'LEFT_MENU',
      path: '/app',
      title: { ru: 'Invite Desk', en: 'Invite Desk' },
      description: { ru: 'Приглашения сотрудников и гостей', en: 'Invitations for employees and guests' },
    },
    {
      // A tab inside each workgroup (placements/sonet-group-detail-tab): the owner onboards guests where they work.
      placement: 'SONET_GROUP_DETAIL_TAB',
      path: '/app',
      title: { ru: 'Гости', en: 'Guests' },
      description: { ru: 'Приглашение и сопровождение гостей группы', en: 'Invite and look after the group\'s guests' },
    },
    {
      // A tab in CRM contact and company cards: invite this contact as a guest (e-mail and name from the card).
      placement: 'CRM_CONTACT_DETAIL_TAB',
      path: '/app',
      title: { ru: 'Пригласить', en: 'Invite' },
      description: { ru: 'Пригласить контакт гостем в группу', en: 'Invite the contact as a guest into a group' },
    },
    {
      placement: 'CRM_COMPANY_DETAIL_TAB',
      path: '/app',
      title: { ru: 'Пригласить', en: 'Invite' },
      description: { ru: 'Пригласить представителя компании гостем в группу', en: 'Invite someone from the company as a guest into a group' },
    },
    {
      // The current user's profile menu (placements USER_PROFILE_MENU: options name the current user).
      placement: 'USER_PROFILE_MENU',
      path: '/app',
      title: { ru: 'Пригласить коллегу', en: 'Invite a colleague' },
      description: { ru: 'Пригласить коллегу в ваше подразделение', en: 'Invite a colleague into your department' },
    },
  ],
  robots: ROBOTS,
}
