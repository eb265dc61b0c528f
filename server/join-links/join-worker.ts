/**
 * The join links' background loop: dispatch the links with work (joins to send, approvals to file, stale
 * dispatches to recover), warn owners of links nearing their cap or expiry (once each, across instances),
 * and drop old rate-limit windows. Every step is safe on several instances at once.
 */
import type { InviteRequests, JoinDecisions } from '../policy/invite-requests.js'
import type { Clock } from '../shared/clock.js'
import { createBackgroundLoop } from '../shared/background-loop.js'
import { errorText } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { JoinLinkStore } from '../storage/join-link-store.js'
import type { PortalStore } from '../storage/portal-store.js'
import type { RateCounters } from '../storage/rate-counters.js'
import { JOIN_STALE_MS, type JoinDispatch } from './join-dispatch.js'
import { EXPIRY_WARNING_MS } from './join-links.js'

const POLL_MS = 2_000
const GATHER_MS = 250
const LINKS_PER_PASS = 64
const HOUSEKEEPING_MS = 60_000
/** Rate windows are at most 10 minutes long; an hour-old one is surely over. */
const COUNTER_KEEP_MS = 60 * 60_000

/** What an approver's decision does to a join: approved → back in its link's queue; declined → its slot is freed. */
export function joinDecisions(store: JoinLinkStore, kick: () => void, clock: Clock): JoinDecisions {
  return {
    async approved(memberId, r, by) {
      if (r.joinId && (await store.settle(r.joinId, ['awaiting_approval'], 'queued', { approvedBy: by }, clock.now()))) kick()
    },
    async declined(memberId, r) {
      const join = r.joinId ? await store.getJoin(memberId, r.joinId) : undefined
      if (join && (await store.settle(join.id, ['awaiting_approval'], 'declined', {}, clock.now()))) await store.releaseSlot(join.linkId, clock.now())
    },
  }
}

export function createJoinWorker(deps: {
  store: JoinLinkStore
  dispatch: JoinDispatch
  requests: Pick<InviteRequests, 'notify'>
  portals: PortalStore
  counters: RateCounters
  clock: Clock
  log: Logger
}) {
  const { store, clock, log } = deps
  let lastHousekeeping = 0
  const loop = createBackgroundLoop({ name: 'join link', pollMs: POLL_MS, gatherMs: GATHER_MS, log, pass })

  async function warn(): Promise<void> {
    for (const { link, kind } of await store.dueWarnings(clock.now(), EXPIRY_WARNING_MS, 100)) {
      if (!(await store.claimWarning(link.id, kind, clock.now()))) continue
      const portal = await deps.portals.get(link.memberId)
      if (!portal || portal.status !== 'installed') continue
      const date = (lang: 'ru' | 'en') => new Intl.DateTimeFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', { day: 'numeric', month: 'long', timeZone: 'UTC' }).format(link.expiresAt ?? 0)
      const text = kind === 'cap'
        ? {
            ru: `Invite Desk: ссылка «${link.name}» почти исчерпана: использовано ${link.uses} из ${link.cap}. Увеличьте лимит или создайте новую ссылку.`,
            en: `Invite Desk: the join link "${link.name}" is nearly full: ${link.uses} of ${link.cap} used. Raise its cap or make a new link.`,
          }
        : {
            ru: `Invite Desk: срок ссылки «${link.name}» истекает ${date('ru')}. Продлите её, если она ещё нужна.`,
            en: `Invite Desk: the join link "${link.name}" expires on ${date('en')}. Extend it if it is still needed.`,
          }
      // The owner is told once; the link's page shows the same warning meanwhile.
      await deps.requests.notify(link.memberId, link.createdBy, text, `invite-desk-join-${link.id}-${kind}`)
      log.info({ memberId: link.memberId, linkId: link.id, kind }, 'join link warning sent')
    }
  }

  async function pass(): Promise<void> {
    for (const { memberId, linkId } of await store.linksWithWork(clock.now() - JOIN_STALE_MS, LINKS_PER_PASS)) {
      if (loop.stopped) return
      await deps.dispatch.dispatch(memberId, linkId).catch((e: unknown) => log.error({ memberId, linkId, err: errorText(e) }, 'join dispatch failed'))
    }
    if (clock.now() - lastHousekeeping < HOUSEKEEPING_MS) return
    lastHousekeeping = clock.now()
    await warn()
    await deps.counters.prune(clock.now() - COUNTER_KEEP_MS)
  }

  return {
    start: loop.start,
    /** A join arrived or was approved: a pass soon, gathering what else arrives meanwhile. */
    kick: loop.kick,
    stop: loop.stop,
    /** Tests: one full pass now, warnings and housekeeping included. */
    async drain(): Promise<void> {
      lastHousekeeping = 0
      await loop.drain()
    },
  }
}

export type JoinWorker = ReturnType<typeof createJoinWorker>
