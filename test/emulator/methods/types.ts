/** The contract between the REST router and the method modules. */
import type { Clock } from '../clock.js'
import type { MethodOutput } from '../envelope.js'
import type { Params } from '../params.js'
import type { Portal } from '../portal.js'
import type { AppConfig, InstallRecord, UserRecord } from '../state.js'

export interface MethodContext {
  portal: Portal
  clock: Clock
  app: AppConfig
  install: InstallRecord
  /** The token's user. */
  user: UserRecord
  isAdmin: boolean
  params: Params
  /** True when running as a `batch` command. */
  inBatch: boolean
}

export interface MethodDef {
  /** Lower-case method name. */
  name: string
  /**
   * Scopes that grant the method (any one is enough); `'basic'` methods need none
   * (api-reference/scopes/permissions.md, each method's "Scope:" line).
   */
  scopes: readonly string[] | 'basic'
  /**
   * Undocumented methods that exist only when a portal lists them in `extraMethods`
   * (rest-facts flags them UNCONFIRMED: intranet.invite.*, socialnetwork.collab.*).
   */
  optional?: boolean
  /** Default processing seconds reported in `time` and charged to the operating budget. */
  processingSec?: number
  handler(ctx: MethodContext): MethodOutput | Promise<MethodOutput>
}

export const ok = (result: unknown): MethodOutput => ({ result })
