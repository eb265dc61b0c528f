import type { PortalGateway } from '../portals/portal-gateway.js'
import type { Job } from '../storage/job-store.js'
import type { PortalStore } from '../storage/portal-store.js'

const NOTIFY_METHOD = 'im.notify.system.add'

/** The Bitrix24 notification the inviter gets when a send ends (im.notify.system.add, chats/notifications). */
export function jobFinishedMessage(job: Job, lang: string): string {
  const t = job.totals
  return lang === 'ru'
    ? `Invite Desk: рассылка «${job.title}» завершена. Приглашено: ${t.invited}, пропущено: ${t.skipped}, ошибок: ${t.failed}.`
    : `Invite Desk: the send "${job.title}" has finished. Invited: ${t.invited}, skipped: ${t.skipped}, failed: ${t.failed}.`
}

export function createJobNotifications(deps: { gateway: PortalGateway; portals: PortalStore }) {
  return {
    async jobFinished(job: Job): Promise<void> {
      if (!job.createdBy) return
      const portal = await deps.portals.get(job.memberId)
      if (!portal || portal.capabilities[NOTIFY_METHOD] === false) return
      // The tag replaces an earlier notice about the same job instead of stacking a second one.
      await deps.gateway.call(job.memberId, NOTIFY_METHOD, { USER_ID: job.createdBy, MESSAGE: jobFinishedMessage(job, portal.lang), TAG: `invite-desk-job-${job.id}` })
    },
  }
}
