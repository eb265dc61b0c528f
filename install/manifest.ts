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
  ],
  robots: [],
}
