import type { PortalRecord } from '../storage/portal-store.js'

/**
 * The app's page in the portal, for links in notifications. Bitrix24 opens an installed app at
 * /marketplace/app/<code>/ (UNCONFIRMED in the REST docs: the path the portal's own menu uses); the app then
 * shows the viewer what waits for them (pending reviews), so the link needs no parameters.
 */
export function appPageUrl(portal: Pick<PortalRecord, 'clientEndpoint' | 'appCode'>): string {
  const origin = new URL(portal.clientEndpoint).origin
  return portal.appCode ? `${origin}/marketplace/app/${encodeURIComponent(portal.appCode)}/` : `${origin}/marketplace/`
}
