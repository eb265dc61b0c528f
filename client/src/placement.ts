/**
 * Where the portal opened the app (PLACEMENT and PLACEMENT_OPTIONS of the frame POST). Inside a
 * workgroup's tab (SONET_GROUP_DETAIL_TAB, options `{ GROUP_ID: '10', URI: '/workgroups/group/10/' }`)
 * the app is that group's Extranet page, without the main navigation.
 */
export const GROUP_TAB_PLACEMENT = 'SONET_GROUP_DETAIL_TAB'

/** The group whose tab hosts the app, or null anywhere else (or with options that name no group). */
export function groupTabId(placement: string, options: Readonly<Record<string, unknown>>): number | null {
  if (placement !== GROUP_TAB_PLACEMENT) return null
  const raw = options.GROUP_ID
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : ''
  if (!/^\d{1,10}$/.test(text)) return null
  const id = Number(text)
  return id > 0 && id <= 2_147_483_647 ? id : null
}

/** The first view for a placement: the group's page in its tab, the dashboard everywhere else. */
export function initialPathFor(placement: string, options: Readonly<Record<string, unknown>>): string {
  const groupId = groupTabId(placement, options)
  return groupId === null ? '/' : `/extranet/${groupId}`
}
