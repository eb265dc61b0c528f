/**
 * Runs one method call (top-level or a batch command) against a portal: existence, scope, faults,
 * the operating budget, the handler, and the `time` block.
 */
import { timeBlock, type MethodOutput, type TimeBlock } from './envelope.js'
import { RestError, SystemErrors } from './errors.js'
import { scopeGranted } from './methods/app.js'
import type { Params } from './params.js'
import type { Portal } from './portal.js'
import type { AppConfig, FaultSpec, InstallRecord, UserRecord } from './state.js'

/** Thrown to make the server destroy the socket (`network_drop` fault). */
export class DropConnection extends Error {}

export interface Caller {
  app: AppConfig
  install: InstallRecord
  user: UserRecord
}

export type CallResult = { ok: true; output: MethodOutput; time: TimeBlock } | { ok: false; error: RestError }

/** Applies a fault: returns the error to answer with, waits for `slow`, throws for `network_drop`. */
export async function applyFault(fault: FaultSpec | undefined): Promise<RestError | undefined> {
  if (!fault) return undefined
  switch (fault.kind) {
    case 'QUERY_LIMIT_EXCEEDED':
      return SystemErrors.queryLimit()
    case 'OPERATION_TIME_LIMIT':
      return SystemErrors.operationTimeLimit()
    case 'INTERNAL_SERVER_ERROR':
      return SystemErrors.internal()
    case 'expired_token':
      return SystemErrors.expiredToken()
    case 'network_drop':
      throw new DropConnection('network_drop fault')
    case 'slow':
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 1000))
      return undefined
  }
}

const operatingKey = (clientId: string, method: string): string => `${clientId}\u0000${method}`

export async function runMethod(
  portal: Portal,
  caller: Caller,
  method: string,
  params: Params,
  opts: { inBatch: boolean; checkFaults: boolean },
): Promise<CallResult> {
  const name = method.toLowerCase()
  const start = portal.clock.now()
  portal.countCall(name)
  if (opts.inBatch && name === 'batch') return { ok: false, error: SystemErrors.batchNotAllowed() }
  const def = portal.methodDef(name)
  if (!def) return { ok: false, error: SystemErrors.methodNotFound() }
  if (!scopeGranted(caller.app.scopes, def.scopes)) return { ok: false, error: SystemErrors.insufficientScope() }
  let dropAfter = false
  if (opts.checkFaults) {
    const fault = portal.takeFault(name, opts.inBatch)
    dropAfter = fault?.kind === 'network_drop' && fault.afterRun === true
    const faultError = dropAfter ? undefined : await applyFault(fault)
    if (faultError) return { ok: false, error: faultError }
  }
  const key = operatingKey(caller.app.clientId, name)
  if (portal.operating.blocked(key)) return { ok: false, error: SystemErrors.operationTimeLimit() }
  let output: MethodOutput
  try {
    output = await def.handler({
      portal,
      clock: portal.clock,
      app: caller.app,
      install: caller.install,
      user: caller.user,
      isAdmin: caller.user.ADMIN,
      params,
      inBatch: opts.inBatch,
    })
  } catch (e) {
    if (dropAfter) throw new DropConnection('network_drop fault after the call ran')
    if (e instanceof RestError) return { ok: false, error: e }
    throw e
  }
  const processing = portal.processingFor(def)
  const operating = portal.operating.record(key, processing)
  if (dropAfter) throw new DropConnection('network_drop fault after the call ran')
  return { ok: true, output, time: timeBlock(start, processing, operating) }
}
