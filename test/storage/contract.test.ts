import { describe } from 'vitest'
import { BACKENDS } from '../helpers/databases.js'
import { accessReviewStoreBattery } from './access-review-store.battery.js'
import { auditLogBattery } from './audit-log.battery.js'
import { collabStoreBattery } from './collab-store.battery.js'
import { databaseBattery } from './database.battery.js'
import { directoryStoreBattery } from './directory-store.battery.js'
import { eventInboxBattery } from './event-inbox.battery.js'
import { guestStoreBattery } from './guest-store.battery.js'
import { inviteCascadeBattery } from './invite-cascade.battery.js'
import { jobStoreBattery } from './job-store.battery.js'
import { joinLinkStoreBattery } from './join-link-store.battery.js'
import { ledgerStoreBattery } from './ledger-store.battery.js'
import { onboardingKitStoreBattery } from './onboarding-kit-store.battery.js'
import { portalLeaseBattery } from './portal-lease.battery.js'
import { portalStoreBattery } from './portal-store.battery.js'
import { rateCountersBattery } from './rate-counters.battery.js'
import { portalTasksBattery } from './portal-tasks.battery.js'
import { robotRunStoreBattery } from './robot-run-store.battery.js'
import { robotSettingsStoreBattery } from './robot-settings-store.battery.js'
import { sessionStoreBattery } from './session-store.battery.js'
import { templateStoreBattery } from './template-store.battery.js'

// The same batteries against every backend: a store passes only if it behaves identically on both.
for (const backend of BACKENDS) {
  describe(backend.name, () => {
    databaseBattery(backend.open)
    portalStoreBattery(backend.open)
    sessionStoreBattery(backend.open)
    eventInboxBattery(backend.open)
    auditLogBattery(backend.open)
    templateStoreBattery(backend.open)
    jobStoreBattery(backend.open, backend.name)
    portalLeaseBattery(backend.open)
    ledgerStoreBattery(backend.open)
    directoryStoreBattery(backend.open, backend.name)
    inviteCascadeBattery(backend.open)
    onboardingKitStoreBattery(backend.open)
    guestStoreBattery(backend.open)
    collabStoreBattery(backend.open)
    accessReviewStoreBattery(backend.open)
    robotRunStoreBattery(backend.open)
    robotSettingsStoreBattery(backend.open)
    joinLinkStoreBattery(backend.open)
    rateCountersBattery(backend.open)
    portalTasksBattery(backend.open)
  })
}
