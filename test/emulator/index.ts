/**
 * A fake Bitrix24 cloud: many portals, each on its own 127.0.0.1 port, plus one OAuth server.
 * Behaviour comes from the official REST docs (bitrix24/b24restdocs); see README.md for the map.
 *
 *   const emu = await startEmulator({ apps: [{ clientId, clientSecret, code, scopes: ['user', 'placement'] }] })
 *   const portal = await emu.createPortal()
 *   portal.registerApp(clientId, { handlerUrl, installUrl })
 *   const fields = portal.beginInstall(clientId)   // what the installer page receives
 *   await portal.finishInstall(clientId)           // setInstallFinish → ONAPPINSTALL
 */
import { createClock, type Clock } from './clock.js'
import { listen, type Listening } from './http-util.js'
import { methodTable } from './methods/index.js'
import { createOAuthApp } from './oauth.js'
import { Portal, type CreatePortalOptions, type PortalHandle } from './portal.js'
import { createPortalApp } from './server.js'
import type { AppConfig, AppStatus } from './state.js'
import { TokenStore } from './tokens.js'

export { createClock } from './clock.js'
export type { Clock, ClockOptions } from './clock.js'
export type { LimitSettings } from './limits.js'
export type {
  AddCompanyInput,
  AddContactInput,
  AddGroupInput,
  AddUserInput,
  CallRobotOptions,
  CollabGuestInput,
  CreatePortalOptions,
  CrmMultiFieldInput,
  EventBindingView,
  FrameFields,
  PortalCompany,
  PortalContact,
  PortalHandle,
  PortalGroup,
  PortalUser,
  TokenSet,
} from './portal.js'
export type {
  AppStatus,
  BizprocEventRecord,
  ChatMessageRecord,
  CrmCompanyRecord,
  CrmContactRecord,
  CrmMultiFieldType,
  CrmMultiFieldValue,
  DeliveryRecord,
  DepartmentRecord,
  FaultKind,
  FaultSpec,
  FeedPostRecord,
  GroupRole,
  GroupType,
  InvitationRecord,
  NotificationRecord,
  PlacementBinding,
  RequestRecord,
  RobotRecord,
  TaskRecord,
  UserType,
} from './state.js'
export { parseForm, stringifyForm } from './form-encoding.js'
export { collabTruth, seedCollabs } from './seed-collabs.js'
export type { CollabCounts, CollabTruth, GuestState, SeedCollabsOptions, SeedCollabsResult } from './seed-collabs.js'

export interface EmulatorAppOptions {
  clientId: string
  clientSecret: string
  /** app.info CODE. */
  code: string
  /** @default 1 */
  version?: number
  scopes: string[]
  /** Application status (tokens, events, app.info STATUS). @default 'F' */
  status?: AppStatus
}

export interface EmulatorOptions {
  /** @default real time; `createClock({ speed: 50 })` runs 50x faster */
  clock?: Clock
  apps: EmulatorAppOptions[]
}

export interface Emulator {
  /** `http://127.0.0.1:<port>` of the OAuth server; token answers carry `server_endpoint = oauthUrl + '/rest/'`. */
  oauthUrl: string
  clock: Clock
  createPortal(opts?: CreatePortalOptions): Promise<PortalHandle>
  portal(memberId: string): PortalHandle
  portals(): PortalHandle[]
  oauthStats(): { refreshes: number; byMember: Record<string, number> }
  close(): Promise<void>
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const clock = options.clock ?? createClock()
  const tokens = new TokenStore(clock)
  const apps = new Map<string, AppConfig>()
  for (const a of options.apps) {
    if (apps.has(a.clientId)) throw new Error(`duplicate app ${a.clientId}`)
    apps.set(a.clientId, { clientId: a.clientId, clientSecret: a.clientSecret, code: a.code, version: a.version ?? 1, scopes: [...a.scopes], status: a.status ?? 'F' })
  }
  const methods = methodTable()
  const portals = new Map<string, { portal: Portal; server: Listening }>()
  let oauthUrl = ''

  const oauthServer = await listen(
    createOAuthApp({
      tokens,
      oauthUrl: () => oauthUrl,
      app: (id) => apps.get(id),
      now: () => clock.now(),
      clientEndpoint: (memberId, clientId) => {
        const p = portals.get(memberId)?.portal
        return p?.installs.has(clientId) ? p.clientEndpoint : undefined
      },
      appInfo: (memberId, clientId) => portals.get(memberId)?.portal.appInfo(clientId),
    }),
  )
  oauthUrl = `http://127.0.0.1:${oauthServer.port}`

  return {
    oauthUrl,
    clock,
    async createPortal(opts = {}) {
      if (opts.memberId && portals.has(opts.memberId)) throw new Error(`portal ${opts.memberId} already exists`)
      const portal = new Portal({ clock, tokens, apps, methods, oauthUrl: () => oauthUrl }, opts)
      const server = await listen(createPortalApp(portal))
      portal.bind(server.port)
      portals.set(portal.memberId, { portal, server })
      return portal
    },
    portal(memberId) {
      const p = portals.get(memberId)
      if (!p) throw new Error(`no portal ${memberId}`)
      return p.portal
    },
    portals: () => [...portals.values()].map((p) => p.portal),
    oauthStats: () => tokens.stats(),
    async close() {
      await Promise.all([...portals.values()].map((p) => p.server.close()))
      portals.clear()
      await oauthServer.close()
    },
  }
}
