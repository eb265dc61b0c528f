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

/**
 * Views a link from outside the app may open (e.g. a Bitrix24 notification about an access review):
 * only these, so a crafted link cannot pick any route.
 */
const DEEP_LINK = /^\/collabs(?:\/reviews\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$/

/**
 * The view a deep link asks for, or null: the frame URL's hash (`#/collabs/reviews/12`), else the
 * placement option `route` (`{ route: '/collabs/reviews/12' }`, e.g. from `BX24.openApplication`).
 */
export function deepLinkPath(options: Readonly<Record<string, unknown>>, hash = ''): string | null {
  const candidates = [hash.replace(/^#/, ''), typeof options.route === 'string' ? options.route : '']
  for (const raw of candidates) {
    let path: string
    try {
      path = decodeURIComponent(raw.trim())
    } catch {
      continue
    }
    if (DEEP_LINK.test(path)) return path
  }
  return null
}

/** The first view: the group's page in its tab, a deep link's view, else the dashboard. */
export function initialPathFor(placement: string, options: Readonly<Record<string, unknown>>, hash = ''): string {
  const groupId = groupTabId(placement, options)
  if (groupId !== null) return `/extranet/${groupId}`
  return deepLinkPath(options, hash) ?? '/'
}
