import { MANIFEST, type Manifest } from '../../install/manifest.js'
import { TrustError, errorText } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { PortalGateway } from '../portals/portal-gateway.js'
import type { AuditLog } from '../storage/audit-log.js'
import type { PortalRecord, PortalRegistration, PortalStore } from '../storage/portal-store.js'
import type { AppSessions } from '../trust/app-sessions.js'
import type { PortalVerification, VerifiedInstall } from '../trust/portal-verification.js'
import { safeEqual } from '../trust/safe-equal.js'
import { applyManifest } from './apply-manifest.js'
import { probeCapabilities } from './probe-capabilities.js'

/** The install / upgrade / uninstall lifecycle of the app in one portal. */
export function createInstallService(deps: {
  appUrl: string
  portals: PortalStore
  gateway: PortalGateway
  verification: PortalVerification
  sessions: AppSessions
  audit: AuditLog
  log: Logger
  manifest?: Manifest
  now?: () => number
}) {
  const { portals, gateway, verification, audit, log } = deps
  const manifest = deps.manifest ?? MANIFEST
  const now = deps.now ?? Date.now

  async function store(v: VerifiedInstall): Promise<void> {
    await portals.saveInstall({
      memberId: v.memberId,
      domain: v.domain,
      clientEndpoint: v.clientEndpoint,
      appCode: v.appCode,
      lang: v.lang,
      licenseFamily: v.licenseFamily,
      tokens: v.tokens,
      installedByUserId: v.userId,
    })
    gateway.forget(v.memberId)
  }

  /** Registers the manifest and probes capabilities; failures are recorded, not thrown, so install can finish. */
  async function register(memberId: string): Promise<PortalRegistration> {
    let registration: PortalRegistration
    try {
      registration = await applyManifest(gateway, memberId, manifest, deps.appUrl, now)
    } catch (e) {
      log.error({ memberId, err: errMessage(e) }, 'registering the manifest failed')
      registration = { events: [], placements: [], robots: [], appliedAt: now(), errors: [errMessage(e)] }
    }
    let capabilities: Record<string, boolean> | undefined
    try {
      capabilities = await probeCapabilities(gateway, memberId)
    } catch (e) {
      log.warn({ memberId, err: errMessage(e) }, 'capability probe failed')
    }
    await portals.update(memberId, capabilities ? { registration, capabilities } : { registration })
    return registration
  }

  return {
    /** The install page the portal opens in its iframe (POST /install). */
    async installFromPage(fields: { memberId: unknown; refreshToken: unknown }) {
      const v = await verification.verifyInstall(fields)
      if (!v.isAdmin) throw new TrustError('not_admin', 'Only a portal administrator can install Invite Desk', 403)
      await store(v)
      const registration = await register(v.memberId)
      await audit.record({
        memberId: v.memberId, at: now(), actorUserId: v.userId, actorKind: 'user', action: 'app.install',
        subject: null, details: { registration }, result: registration.errors.length ? 'failed' : 'ok',
      })
      return { verified: v, registration }
    },

    /**
     * ONAPPINSTALL: the first event carrying application_token. It is accepted only when its tokens are
     * proven: a refresh token through the configured OAuth server, or an access token that our stored
     * endpoint for that member_id accepts for our app.
     */
    async installFromEvent(auth: Record<string, unknown>) {
      const applicationToken = auth.application_token
      if (typeof applicationToken !== 'string' || applicationToken.length < 8) {
        throw new TrustError('auth_missing', 'ONAPPINSTALL without application_token', 401)
      }
      let memberId: string
      let fresh = false
      if (typeof auth.refresh_token === 'string' && auth.refresh_token) {
        const v = await verification.verifyInstall({ memberId: auth.member_id, refreshToken: auth.refresh_token })
        const existing = await portals.get(v.memberId)
        await store(v)
        fresh = !existing?.registration
        memberId = v.memberId
      } else {
        const existing = typeof auth.member_id === 'string' ? await portals.get(auth.member_id) : undefined
        if (!existing || typeof auth.access_token !== 'string' || !auth.access_token) {
          throw new TrustError('auth_failed', 'ONAPPINSTALL could not be verified', 401)
        }
        let app: { CODE?: string }
        try {
          app = await gateway.callAs<{ CODE?: string }>(existing, auth.access_token, 'app.info')
        } catch {
          throw new TrustError('auth_failed', 'ONAPPINSTALL could not be verified', 401)
        }
        if (!existing.appCode || !safeEqual(app.CODE ?? '', existing.appCode)) {
          throw new TrustError('app_mismatch', 'ONAPPINSTALL token belongs to another application', 403)
        }
        memberId = existing.memberId
      }
      await portals.setApplicationToken(memberId, applicationToken)
      await portals.setStatus(memberId, 'installed')
      if (fresh) await register(memberId)
      await audit.record({
        memberId, at: now(), actorUserId: null, actorKind: 'portal', action: 'app.installed', subject: null, details: {}, result: 'ok',
      })
      log.info({ memberId }, 'app installed')
    },

    /** ONAPPUNINSTALL, already verified by application_token. CLEAN=1 deletes everything. */
    async uninstall(portal: PortalRecord, clean: boolean) {
      await deps.sessions.revokePortal(portal.memberId)
      gateway.forget(portal.memberId)
      if (clean) {
        await portals.delete(portal.memberId)
      } else {
        await portals.markUninstalled(portal.memberId)
        await audit.record({
          memberId: portal.memberId, at: now(), actorUserId: null, actorKind: 'portal', action: 'app.uninstalled',
          subject: null, details: { clean }, result: 'ok',
        })
      }
      log.info({ memberId: portal.memberId, clean }, 'app uninstalled')
    },

    /** Settings → "Re-register": the same reconciliation as install. */
    reapply: register,
  }
}

export type InstallService = ReturnType<typeof createInstallService>

function errMessage(e: unknown): string {
  return errorText(e)
}
