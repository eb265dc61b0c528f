import type { InvitationOrigin } from '../storage/ledger-store.js'
import type { JobStore } from '../storage/job-store.js'
import type { JobItemPayload } from './job-runner.js'

/**
 * Which of `ids` a job carries, and at which seq, by the id each item's ledger origin names (`idOf`): how a
 * dispatcher that died between claiming rows and marking them finds out which of its claims made it into the job.
 */
export async function seqsByOrigin(
  jobs: Pick<JobStore, 'items'>, memberId: string, jobId: string, ids: Set<string>, idOf: (origin: InvitationOrigin) => string | undefined,
): Promise<Array<{ id: string; seq: number }>> {
  const out: Array<{ id: string; seq: number }> = []
  for (let after = 0; ;) {
    const items = await jobs.items(memberId, jobId, { limit: 1000, afterSeq: after })
    if (items.length === 0) return out
    for (const it of items) {
      const origin = (it.payload as unknown as JobItemPayload).ledger?.origin
      const id = origin ? idOf(origin) : undefined
      if (id !== undefined && ids.has(id)) out.push({ id, seq: it.seq })
    }
    after = items.at(-1)!.seq
  }
}
