import { z } from 'zod'
import type { Clock } from '../shared/clock.js'
import type { CollabStore } from '../storage/collab-store.js'

/** What an admin sets for collab tracking; every field has a default, so a portal never set up still works. */
export const collabSettingsSchema = z.object({
  /** Activity within this many days makes a guest "active". */
  activeDays: z.number().int().min(7).max(365),
  digest: z.object({
    enabled: z.boolean(),
    /** Invitations not accepted after this many days are listed. */
    pendingDays: z.number().int().min(1).max(90),
    /** Guests with no activity for this many days are listed. */
    inactiveDays: z.number().int().min(7).max(365),
  }).strict(),
  review: z.object({
    /** A review starts by itself this many days after the last one; null: only by hand. */
    everyDays: z.number().int().min(30).max(365).nullable(),
    dueDays: z.number().int().min(1).max(90),
    /** What happens to guests nobody answered for when the review closes. */
    unanswered: z.enum(['keep', 'end']),
  }).strict(),
}).strict()

export type CollabSettings = z.infer<typeof collabSettingsSchema>

export const DEFAULT_COLLAB_SETTINGS: CollabSettings = {
  activeDays: 30,
  digest: { enabled: true, pendingDays: 7, inactiveDays: 30 },
  review: { everyDays: null, dueDays: 14, unanswered: 'keep' },
}

export function createCollabSettings(deps: { collabs: CollabStore; clock: Clock }) {
  return {
    /** Stored settings over the defaults; a stored value that no longer validates falls back to the default. */
    async get(memberId: string): Promise<CollabSettings> {
      const stored = await deps.collabs.getSettings(memberId)
      if (!stored) return DEFAULT_COLLAB_SETTINGS
      const merged = {
        ...DEFAULT_COLLAB_SETTINGS,
        ...stored,
        digest: { ...DEFAULT_COLLAB_SETTINGS.digest, ...(stored.digest as object | undefined) },
        review: { ...DEFAULT_COLLAB_SETTINGS.review, ...(stored.review as object | undefined) },
      }
      const parsed = collabSettingsSchema.safeParse(merged)
      return parsed.success ? parsed.data : DEFAULT_COLLAB_SETTINGS
    },
    async save(memberId: string, settings: CollabSettings): Promise<CollabSettings> {
      await deps.collabs.saveSettings(memberId, settings, deps.clock.now())
      return settings
    },
  }
}

export type CollabSettingsService = ReturnType<typeof createCollabSettings>
