import { describe } from 'vitest'
import { BACKENDS } from '../helpers/databases.js'
import { auditLogBattery } from './audit-log.battery.js'
import { databaseBattery } from './database.battery.js'
import { eventInboxBattery } from './event-inbox.battery.js'
import { portalStoreBattery } from './portal-store.battery.js'
import { sessionStoreBattery } from './session-store.battery.js'

// The same batteries against every backend: a store passes only if it behaves identically on both.
for (const backend of BACKENDS) {
  describe(backend.name, () => {
    databaseBattery(backend.open)
    portalStoreBattery(backend.open)
    sessionStoreBattery(backend.open)
    eventInboxBattery(backend.open)
    auditLogBattery(backend.open)
  })
}
