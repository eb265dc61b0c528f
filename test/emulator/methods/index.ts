/** The method table of the fake portal: every method the emulator answers, by lower-case name. */
import { appMethods } from './app.js'
import { bizprocMethods } from './bizproc.js'
import { crmMethods } from './crm.js'
import { departmentMethods } from './department.js'
import { eventMethods } from './events.js'
import { imMethods } from './im.js'
import { intranetMethods } from './intranet.js'
import { logMethods } from './log.js'
import { placementMethods } from './placement.js'
import { sonetMethods } from './sonet.js'
import { taskMethods } from './tasks.js'
import type { MethodDef } from './types.js'
import { userMethods } from './user.js'

export function methodTable(): Map<string, MethodDef> {
  const all = [
    ...appMethods,
    ...userMethods,
    ...departmentMethods,
    ...sonetMethods,
    ...eventMethods,
    ...placementMethods,
    ...bizprocMethods,
    ...imMethods,
    ...intranetMethods,
    ...logMethods,
    ...taskMethods,
    ...crmMethods,
    // batch is dispatched by the router; listed so method.get knows it (settings/how-to-call-rest-api/batch.md, scope basic).
    { name: 'batch', scopes: 'basic', processingSec: 0, handler: () => ({ result: null }) } satisfies MethodDef,
  ]
  return new Map(all.map((m) => [m.name, m]))
}
