import type { PortalGateway } from '../portals/portal-gateway.js'
import type { Clock } from '../shared/clock.js'
import { AppError, errorText, NotFoundError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import { ReviewOpenError, type AccessReview, type AccessReviewItem, type AccessReviewStore, type ReviewDecision } from '../storage/access-review-store.js'
import type { AuditLog } from '../storage/audit-log.js'
import type { PortalStore } from '../storage/portal-store.js'
import type { CollabActionRunner } from './collab-actions.js'
import type { CollabDashboard, Viewer } from './collab-dashboard.js'
import type { CollabSettingsService } from './collab-settings.js'
import { appPageUrl } from './app-link.js'

const DAY_MS = 24 * 60 * 60_000
const NOTIFY = 'im.notify.system.add'

export interface StartReview {
  startedBy: number | null
  dueDays: number
  unanswered: ReviewDecision
  collabIds: number[] | null
}

/**
 * Access reviews: a campaign in which each sponsor keeps or ends each of their guests. Sponsors are told by a
 * Bitrix24 notification; an "end" removes the guest from the collab at once; when the review closes (by hand
 * or at its due date) unanswered guests are kept or ended as the review says. Every step is in the audit log,
 * and each item's outcome is a compare-and-set, so two instances closing the same review act once.
 */
export function createAccessReviews(deps: {
  reviews: AccessReviewStore
  dashboard: CollabDashboard
  actions: CollabActionRunner
  settings: CollabSettingsService
  portals: PortalStore
  gateway: PortalGateway
  audit: AuditLog
  clock: Clock
  log: Logger
}) {
  const { reviews, clock } = deps

  const audit = (memberId: string, actor: number | null, action: string, subject: string, details: Record<string, unknown>, ok = true) =>
    deps.audit.record({ memberId, at: clock.now(), actorUserId: actor, actorKind: actor === null ? 'system' : 'user', action, subject, details, result: ok ? 'ok' : 'failed' })

  async function notifySponsors(memberId: string, review: AccessReview, items: AccessReviewItem[] | Array<{ sponsorId: number | null }>): Promise<number> {
    const portal = await deps.portals.get(memberId)
    if (!portal || portal.capabilities[NOTIFY] === false) return 0
    const perSponsor = new Map<number, number>()
    for (const i of items) if (i.sponsorId !== null) perSponsor.set(i.sponsorId, (perSponsor.get(i.sponsorId) ?? 0) + 1)
    const link = appPageUrl(portal)
    const due = new Date(review.dueAt).toISOString().slice(0, 10)
    let sent = 0
    for (const [userId, n] of perSponsor) {
      const message = portal.lang === 'en'
        ? `Access review: please confirm or end access for ${n} collab guest(s) you are responsible for, by ${due}. [URL=${link}]Open Invite Desk → Collabs → Access reviews[/URL]`
        : `Проверка доступа: подтвердите или закройте доступ гостям коллаб (${n}), за которых вы отвечаете, до ${due}. [URL=${link}]Открыть Invite Desk → Коллабы → Проверка доступа[/URL]`
      try {
        await deps.gateway.call(memberId, NOTIFY, { USER_ID: userId, MESSAGE: message, TAG: `invite-desk-review-${review.id}-${userId}` })
        sent++
      } catch (e) {
        deps.log.warn({ memberId, err: errorText(e) }, 'access review notice failed')
      }
    }
    return sent
  }

  /** Ends a guest's access in the collab: the outcome is claimed first, so only one caller removes. */
  async function end(memberId: string, item: AccessReviewItem, actor: number | null): Promise<void> {
    if (!(await reviews.claimOutcome(memberId, item.id, 'ended', null))) return
    try {
      const { via } = await deps.actions.remove(memberId, item.collabId, item.userId, null)
      await audit(memberId, actor, 'collab.review.end', `review:${item.reviewId}`, { collabId: item.collabId, userId: item.userId, via })
    } catch (e) {
      // Already gone from the collab counts as ended; anything else stays visible as failed.
      if (e instanceof AppError && e.code === 'guest_not_found') return
      await reviews.setOutcome(memberId, item.id, 'failed', errorText(e))
      await audit(memberId, actor, 'collab.review.end', `review:${item.reviewId}`, { collabId: item.collabId, userId: item.userId, error: errorText(e) }, false)
    }
  }

  async function close(memberId: string, review: AccessReview, actor: number | null): Promise<AccessReview> {
    if (!(await reviews.close(memberId, review.id, clock.now()))) throw new AppError('review_closed', 'This review is already closed', 409)
    const items = await reviews.items(memberId, review.id)
    let kept = 0
    let ended = 0
    for (const item of items) {
      if (item.outcome !== null) continue
      const decision = item.decision ?? review.unanswered
      if (decision === 'end') {
        await end(memberId, item, actor)
        ended++
      } else if (await reviews.claimOutcome(memberId, item.id, 'kept', null)) kept++
    }
    await audit(memberId, actor, 'collab.review.close', `review:${review.id}`, { kept, ended, unanswered: review.unanswered })
    return (await reviews.get(memberId, review.id))!
  }

  const reviewOpen = () => new AppError('review_open', 'An access review is already open: close it first', 409)

  async function start(memberId: string, input: StartReview): Promise<AccessReview> {
    if (await reviews.hasOpen(memberId)) throw reviewOpen()
    const { rows } = await deps.dashboard.guestsOf(memberId, input.collabIds)
    const candidates = rows.filter((r) => r.state !== 'deactivated')
    if (candidates.length === 0) throw new AppError('nothing_to_review', 'There are no guests to review', 409)
    const now = clock.now()
    const review = await reviews.create(
      { memberId, startedBy: input.startedBy, startedAt: now, dueAt: now + input.dueDays * DAY_MS, unanswered: input.unanswered, collabIds: input.collabIds },
      candidates.map((r) => ({ collabId: r.m.collabId, userId: r.m.userId, state: r.state, sponsorId: r.sponsor.id, sponsorSource: r.sponsor.source })),
    ).catch((e: unknown) => {
      throw e instanceof ReviewOpenError ? reviewOpen() : e
    })
    const notified = await notifySponsors(memberId, review, candidates.map((r) => ({ sponsorId: r.sponsor.id })))
    await audit(memberId, input.startedBy, 'collab.review.start', `review:${review.id}`, { items: candidates.length, notified, dueDays: input.dueDays, unanswered: input.unanswered, collabIds: input.collabIds })
    return review
  }

  return {
    start,

    async decide(memberId: string, reviewId: string, itemId: string, viewer: Viewer, decision: ReviewDecision, reason: string | null): Promise<AccessReviewItem> {
      const item = await reviews.item(memberId, reviewId, itemId)
      if (!item) throw new NotFoundError('review_item_not_found', 'No such review item')
      if (!viewer.isAdmin && item.sponsorId !== viewer.userId) throw new AppError('forbidden', 'Only the guest\'s sponsor or an administrator may decide', 403)
      if (!(await reviews.decide(memberId, reviewId, itemId, decision, viewer.userId, clock.now(), reason))) {
        throw new AppError('review_item_final', 'This review is closed or the guest\'s access was already settled', 409)
      }
      await audit(memberId, viewer.userId, 'collab.review.decide', `review:${reviewId}`, { collabId: item.collabId, userId: item.userId, decision, reason })
      if (decision === 'end') await end(memberId, { ...item, decision }, viewer.userId)
      return (await reviews.item(memberId, reviewId, itemId))!
    },

    async close(memberId: string, reviewId: string, actor: number | null): Promise<AccessReview> {
      const review = await reviews.get(memberId, reviewId)
      if (!review) throw new NotFoundError('review_not_found', 'No such review')
      return close(memberId, review, actor)
    },

    /** Closes reviews past due; starts the next periodic review where the settings ask for one. */
    async runDue(memberIds: string[]): Promise<void> {
      for (const review of await reviews.due(clock.now(), 50)) {
        await close(review.memberId, review, null).catch((e: unknown) => {
          if (!(e instanceof AppError && e.code === 'review_closed')) deps.log.warn({ memberId: review.memberId, err: errorText(e) }, 'closing a due review failed')
        })
      }
      for (const memberId of memberIds) {
        const { review: policy } = await deps.settings.get(memberId)
        if (policy.everyDays === null) continue
        const last = await reviews.latest(memberId)
        if (last && (last.status === 'open' || last.startedAt + policy.everyDays * DAY_MS > clock.now())) continue
        await start(memberId, { startedBy: null, dueDays: policy.dueDays, unanswered: policy.unanswered, collabIds: null }).catch((e: unknown) => {
          if (!(e instanceof AppError && (e.code === 'review_open' || e.code === 'nothing_to_review'))) deps.log.warn({ memberId, err: errorText(e) }, 'starting a periodic review failed')
        })
      }
    },
  }
}

export type AccessReviews = ReturnType<typeof createAccessReviews>
