import { errorText } from '../shared/errors.js'
import { randomUUID } from 'node:crypto'
import type { Logger } from '../shared/logger.js'
import type { EventInbox, InboxItem } from '../storage/event-inbox.js'
import type { PortalRecord, PortalStore } from '../storage/portal-store.js'

export type EventHandler = (portal: PortalRecord, item: InboxItem) => Promise<void>

const LEASE_MS = 60_000
const POLL_MS = 1_000
const MAX_ATTEMPTS = 8

/**
 * Works the event inbox: claims items under a lease (so several instances never process one twice), runs
 * the handler registered for the event, retries failures with exponential backoff, gives up after
 * MAX_ATTEMPTS and leaves the item visible as failed.
 */
export function createEventProcessor(deps: {
  inbox: EventInbox
  portals: PortalStore
  handlers: Record<string, EventHandler>
  log: Logger
  now?: () => number
}) {
  const now = deps.now ?? Date.now
  const owner = `events-${randomUUID()}`
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let again = false
  let stopped = false

  async function handle(item: InboxItem): Promise<void> {
    const handler = deps.handlers[item.event]
    try {
      const portal = await deps.portals.get(item.memberId)
      if (handler && portal) await handler(portal, item)
      await deps.inbox.complete(item.id, owner)
    } catch (e) {
      const attempts = item.attempts + 1
      const retryAt = attempts >= MAX_ATTEMPTS ? null : now() + Math.min(300_000, 1_000 * 2 ** attempts)
      deps.log.warn({ event: item.event, memberId: item.memberId, attempts, err: errorText(e) }, 'event handler failed')
      await deps.inbox.fail(item.id, owner, errorText(e), retryAt).catch(() => undefined)
    }
  }

  async function drain(): Promise<void> {
    do {
      again = false
      for (;;) {
        const items = await deps.inbox.claim(owner, now(), LEASE_MS, 20)
        if (items.length === 0) break
        await Promise.all(items.map(handle))
      }
    } while (again && !stopped)
  }

  function kick(): void {
    if (stopped) return
    if (running) {
      again = true
      return
    }
    running = drain()
      .catch((e) => deps.log.error({ err: errorText(e) }, 'event inbox drain failed'))
      .finally(() => {
        running = undefined
      })
  }

  return {
    kick,
    start(): void {
      stopped = false
      timer = setInterval(kick, POLL_MS)
      timer.unref()
      kick()
    },
    /** Waits for work in progress; what is left stays in the inbox for the next instance. */
    async stop(): Promise<void> {
      stopped = true
      if (timer) clearInterval(timer)
      await running
    },
    /** Tests: resolve once the inbox has nothing claimable left. */
    async idle(): Promise<void> {
      kick()
      while (running) await running
    },
  }
}

export type EventProcessor = ReturnType<typeof createEventProcessor>
