/**
 * The contract between the server and the UI: the boot document injected into index.html and the
 * JSON API under /api. The server is written against exactly these shapes; change both together.
 */

/** UI languages with complete catalogs. */
export type Lang = 'ru' | 'en'

export type PortalStatus = 'installing' | 'installed' | 'needs_reinstall'

/** `{ code, message }`: machine code (snake_case) plus a server-side, human-readable message. */
export interface ErrorInfo {
  code: string
  message: string
}

/** A short-lived app session minted by the server; kept in memory only. */
export interface SessionInfo {
  token: string
  /** Epoch milliseconds. */
  expiresAt: number
}

export interface UserInfo {
  id: number
  name: string
  isAdmin: boolean
}

export interface BootPortal {
  memberId: string
  domain: string
  status: PortalStatus
}

/** What the server bound in the portal (event.bind, placement.bind, bizproc.robot.add). */
export interface Registration {
  events: string[]
  placements: string[]
  robots: string[]
  /** Human-readable failures, one per item that could not be registered. */
  errors: string[]
}

export interface AppliedRegistration extends Registration {
  /** Epoch milliseconds. */
  appliedAt: number
}

// ---------------------------------------------------------------------------------------------
// Boot document: <script id="invite-desk-boot" type="application/json"> in <head>
// ---------------------------------------------------------------------------------------------

export interface AppBoot {
  mode: 'app'
  lang: Lang
  session: SessionInfo
  placement: string
  placementOptions: Record<string, unknown>
  user: UserInfo
  portal: BootPortal
}

export interface InstallOkBoot {
  mode: 'install'
  lang: Lang
  ok: true
  registration: Registration
}

export interface InstallFailedBoot {
  mode: 'install'
  lang: Lang
  ok: false
  error: ErrorInfo
}

export type InstallBoot = InstallOkBoot | InstallFailedBoot

export interface ErrorBoot {
  mode: 'error'
  lang: Lang
  error: ErrorInfo
}

export type Boot = AppBoot | InstallBoot | ErrorBoot

// ---------------------------------------------------------------------------------------------
// JSON API (Authorization: Bearer <session.token>; errors are ApiErrorBody with an HTTP status)
// ---------------------------------------------------------------------------------------------

export interface ApiErrorBody {
  error: ErrorInfo
}

/** POST /api/session (no bearer): exchanges a fresh frame AUTH_ID for a new app session. */
export interface CreateSessionRequest {
  authId: string
  memberId: string
}
export type CreateSessionResponse = SessionInfo

export interface PortalInfo extends BootPortal {
  lang: Lang
  licenseFamily: string | null
}

/** GET /api/me */
export interface MeResponse {
  user: UserInfo
  portal: PortalInfo
}

export interface InviteCounts {
  invited: number
  pending: number
  accepted: number
  failed: number
}

/** GET /api/dashboard */
export interface DashboardResponse {
  portal: { status: PortalStatus }
  counts: InviteCounts
  registration: AppliedRegistration | null
}

/** GET /api/settings */
export interface SettingsResponse {
  /** REST method → whether the app may call it on this portal (scope and licence). */
  capabilities: Record<string, boolean>
  registration: AppliedRegistration | null
  /** Only `status` is relied upon; the rest mirrors GET /api/me when present. */
  portal: Partial<PortalInfo> & { status: PortalStatus }
}

/** POST /api/settings/reapply (admins only) */
export interface ReapplyRegistrationResponse {
  registration: AppliedRegistration
}

export interface AuditEntry {
  id: number
  /** Epoch milliseconds (an ISO string is tolerated). */
  at: number | string
  actorUserId: number | null
  /** e.g. 'user', 'system', 'event', 'robot'. */
  actorKind: string
  action: string
  subject: string | null
  /** e.g. 'ok', 'error'. */
  result: string
  details: unknown
}

/** GET /api/audit?limit=&beforeId= (admins only), newest first. */
export interface AuditListResponse {
  entries: AuditEntry[]
}
