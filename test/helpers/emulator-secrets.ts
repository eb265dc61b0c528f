/**
 * Secrets the emulated portal holds that no REST answer shows, read for the security sweep's "never in a log or
 * an answer" checks. The emulator keeps them private (its TokenStore and install records): read only.
 */
import type { PortalHandle } from '../emulator/index.js'
import { CLIENT_ID } from './stack.js'

/** Every token the emulator has issued and still knows (the store is shared by all its portals). */
export function issuedTokens(portal: PortalHandle): string[] {
  const store = (portal as unknown as { tokens: { access: Map<string, unknown>; refresh: Map<string, unknown> } }).tokens
  return [...store.access.keys(), ...store.refresh.keys()]
}

/** The application token the portal sends with its callbacks. */
export function appTokenOf(p: PortalHandle): string {
  const t = (p as unknown as { installs: Map<string, { applicationToken: string }> }).installs.get(CLIENT_ID)?.applicationToken
  if (!t) throw new Error(`portal ${p.memberId} has no install of the app`)
  return t
}
