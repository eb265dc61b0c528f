/**
 * The public side of a join link: a view of the page and a submission. Only the database is touched here
 * (never the portal's REST), so a flood of joins costs the portal nothing until the join worker admits
 * them at its own pace. The answer to a submission never depends on whether the address exists in the portal.
 */
import type { Clock } from '../shared/clock.js'
import { refusalOf, type JoinLink, type JoinLinkStore } from '../storage/join-link-store.js'
import type { PortalStore } from '../storage/portal-store.js'
import type { RateCounters } from '../storage/rate-counters.js'
import { checkSubmission, hashLinkToken, LINK_TOKEN, type Submission } from './join-link-rules.js'

const MINUTE = 60_000

/** Rate limits of the public page. Counted in the database, so they hold across instances. */
export interface JoinLimits {
  /** Page views one address may make per minute (above it the page answers 429). */
  viewsPerIpPerMinute: number
  /** Submissions from one address per 10 minutes, over every link (a venue's shared Wi-Fi is one address). */
  joinsPerIpPer10Min: number
  /** Submissions to one link per minute, from anywhere. */
  joinsPerLinkPerMinute: number
  /** Join invitations one portal's links may put into the engine per minute (the rest wait their turn). */
  admitPerPortalPerMinute: number
  /** The same while the portal has other invite work running: that work keeps nearly all of the portal's budget. */
  admitPerPortalPerMinuteWhileBusy: number
}

export const DEFAULT_JOIN_LIMITS: JoinLimits = {
  viewsPerIpPerMinute: 60, joinsPerIpPer10Min: 20, joinsPerLinkPerMinute: 120, admitPerPortalPerMinute: 50, admitPerPortalPerMinuteWhileBusy: 5,
}

export type Refusal = 'missing' | 'paused' | 'revoked' | 'expired' | 'full' | 'unavailable'

export interface PageLink { name: string; portalDomain: string; kind: 'intranet' | 'extranet'; approval: boolean; allowedDomains: string[]; expiresAt: number | null }

export type Opened =
  | { kind: 'form'; link: PageLink }
  | { kind: 'refused'; reason: Refusal; expiresAt?: number | null }
  | { kind: 'limited'; retryAfterSec: number }

export type Submitted =
  | { kind: 'done'; link: PageLink; email: string }
  | { kind: 'invalid'; link: PageLink; problems: Extract<Submission, { ok: false }>['problems'] }
  | { kind: 'refused'; reason: Refusal; expiresAt?: number | null }
  | { kind: 'limited'; retryAfterSec: number }

export function createJoinIntake(deps: {
  store: JoinLinkStore
  portals: PortalStore
  counters: RateCounters
  /** Keyed hash of an IP address: counters never hold the address itself. */
  hashIp: (ip: string) => string
  limits: JoinLimits
  /** Wakes the join worker. */
  kick: () => void
  clock: Clock
  /** Each submission's outcome (metrics). */
  observe?: (outcome: Submitted['kind']) => void
}) {
  const { store, counters, limits, clock } = deps

  async function over(key: string, windowMs: number, limit: number): Promise<number | null> {
    const now = clock.now()
    const n = await counters.hit(key, windowMs, now)
    return n > limit ? Math.max(1, Math.ceil((windowMs - (now % windowMs)) / 1000)) : null
  }

  /** The link behind a token, if it takes joins now (with the portal it belongs to), or why not. */
  async function find(token: string): Promise<{ link: JoinLink; page: PageLink } | { refused: Refusal; expiresAt?: number | null }> {
    if (!LINK_TOKEN.test(token)) return { refused: 'missing' }
    const link = await store.byTokenHash(hashLinkToken(token))
    if (!link) return { refused: 'missing' }
    const portal = await deps.portals.get(link.memberId)
    if (!portal || portal.status !== 'installed') return { refused: 'unavailable' }
    const now = clock.now()
    const full = link.cap !== null && link.uses >= link.cap
    if (link.state !== 'active' || (link.expiresAt !== null && link.expiresAt <= now) || full) return { refused: refusalOf(link, now), expiresAt: link.expiresAt }
    return {
      link,
      page: {
        name: link.name, portalDomain: portal.domain, kind: link.target.kind === 'department' ? 'intranet' : 'extranet', approval: link.approval,
        allowedDomains: link.allowedDomains, expiresAt: link.expiresAt,
      },
    }
  }

  return {
    async open(token: string, ip: string): Promise<Opened> {
      const found = await find(token)
      if ('refused' in found) return { kind: 'refused', reason: found.refused, expiresAt: found.expiresAt ?? null }
      const limited = await over(`view-ip:${deps.hashIp(ip)}`, MINUTE, limits.viewsPerIpPerMinute)
      if (limited !== null) return { kind: 'limited', retryAfterSec: limited }
      await store.countView(found.link.id)
      return { kind: 'form', link: found.page }
    },

    async submit(token: string, ip: string, form: Record<string, unknown>, lang: 'ru' | 'en'): Promise<Submitted> {
      const out = await submit(token, ip, form, lang)
      deps.observe?.(out.kind)
      return out
    },
  }

  async function submit(token: string, ip: string, form: Record<string, unknown>, lang: 'ru' | 'en'): Promise<Submitted> {
    // The address's limit comes first: trying tokens or addresses costs the same as joining.
    const byIp = await over(`join-ip:${deps.hashIp(ip)}`, 10 * MINUTE, limits.joinsPerIpPer10Min)
    if (byIp !== null) return { kind: 'limited', retryAfterSec: byIp }
    const found = await find(token)
    if ('refused' in found) return { kind: 'refused', reason: found.refused, expiresAt: found.expiresAt ?? null }
    const byLink = await over(`join-link:${found.link.id}`, MINUTE, limits.joinsPerLinkPerMinute)
    if (byLink !== null) return { kind: 'limited', retryAfterSec: byLink }
    const checked = checkSubmission(form, found.link.allowedDomains)
    if (!checked.ok) return { kind: 'invalid', link: found.page, problems: checked.problems }
    // A filled-in hidden field is a bot: it gets the page a person gets, and nothing is stored.
    if (typeof form.website === 'string' && form.website.trim() !== '') return { kind: 'done', link: found.page, email: checked.email }
    const attempt = await store.join(found.link.id, { email: checked.email, name: checked.name, lastName: checked.lastName, lang, awaitingApproval: found.link.approval }, clock.now())
    if (attempt.kind === 'refused') return { kind: 'refused', reason: attempt.reason, expiresAt: found.link.expiresAt }
    if (attempt.kind === 'joined') deps.kick()
    // A second submission of the same address gets the same answer: nothing says what became of the first.
    return { kind: 'done', link: found.page, email: checked.email }
  }
}

export type JoinIntake = ReturnType<typeof createJoinIntake>
