/** Shared helpers for the emulator's own tests (and usable by other suites). */
import express from 'express'
import { B24OAuth, EnumAppStatus, ParamsFactory, type RestrictionParams } from '@bitrix24/b24jssdk'
import { listen } from './http-util.js'
import { startEmulator, type Emulator, type EmulatorAppOptions, type PortalHandle, type TokenSet } from './index.js'
import type { CreatePortalOptions } from './portal.js'
import type { Clock } from './clock.js'

export const APP: EmulatorAppOptions = {
  clientId: 'app.invitedesk.test',
  clientSecret: 'secret-1',
  code: 'vendor.invitedesk',
  version: 1,
  scopes: ['user', 'department', 'sonet_group', 'socialnetwork', 'placement', 'bizproc', 'im'],
}

/** sdk-facts §4 "Test profile": no client-side throttling, quick retries. */
export function fastRestriction(maxRetries = 1): Partial<RestrictionParams> {
  const d = ParamsFactory.getDefault()
  return {
    ...d,
    rateLimit: { burstLimit: 10_000, drainRate: 10_000, adaptiveEnabled: false },
    adaptiveConfig: { ...d.adaptiveConfig, enabled: false } as NonNullable<RestrictionParams['adaptiveConfig']>,
    maxRetries,
    retryDelay: 10,
  }
}

export async function emulator(apps: EmulatorAppOptions[] = [APP], clock?: Clock): Promise<Emulator> {
  return startEmulator({ apps, ...(clock ? { clock } : {}) })
}

/** A portal with APP registered and installed (installFinish done), as an admin would leave it. */
export async function installedPortal(
  emu: Emulator,
  opts: CreatePortalOptions = {},
  app: EmulatorAppOptions = APP,
  urls = { handlerUrl: 'http://localhost:9/app', installUrl: 'http://localhost:9/install' },
): Promise<PortalHandle> {
  const portal = await emu.createPortal(opts)
  portal.registerApp(app.clientId, urls)
  portal.beginInstall(app.clientId)
  await portal.finishInstall(app.clientId)
  return portal
}

export interface RawAnswer {
  status: number
  body: Record<string, unknown>
}

/** Plain HTTP call the way curl in the docs does it: JSON body with `auth`. */
export async function rest(portal: PortalHandle, method: string, params: Record<string, unknown>, auth: string): Promise<RawAnswer> {
  const res = await fetch(`${portal.clientEndpoint}${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...params, auth }),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

/** A server-side b24jssdk client for a token set, with the test restriction profile. */
export function sdkClient(tokens: TokenSet, app: EmulatorAppOptions = APP, maxRetries = 1): B24OAuth {
  const b24 = new B24OAuth(
    {
      applicationToken: 'unused',
      userId: tokens.user_id,
      memberId: tokens.member_id,
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      expires: tokens.expires,
      expiresIn: tokens.expires_in,
      scope: tokens.scope,
      domain: new URL(tokens.client_endpoint).host,
      clientEndpoint: tokens.client_endpoint,
      serverEndpoint: tokens.server_endpoint,
      status: EnumAppStatus.Free,
    },
    { clientId: app.clientId, clientSecret: app.clientSecret },
    { restrictionParams: fastRestriction(maxRetries) },
  )
  b24.offClientSideWarning()
  return b24
}

export interface Received {
  path: string
  contentType: string
  raw: string
  body: Record<string, unknown>
}

/** A tiny express receiver for events and robot calls, parsing bodies as an app would (qs, extended). */
export async function receiver(status = 200): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = []
  const raws = new WeakMap<object, string>()
  const app = express()
  app.use(
    express.urlencoded({
      extended: true,
      verify: (req, _res, buf) => {
        raws.set(req, buf.toString('utf8'))
      },
    }),
  )
  app.post('/{*path}', (req, res) => {
    received.push({ path: req.path, contentType: String(req.headers['content-type']), raw: raws.get(req) ?? '', body: req.body as Record<string, unknown> })
    res.status(status).send('ok')
  })
  const server = await listen(app)
  return { url: `http://localhost:${server.port}`, received, close: () => server.close() }
}
