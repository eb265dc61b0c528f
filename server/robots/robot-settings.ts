import { z } from 'zod'
import { ROBOT_CODES, type RobotCode } from '../../install/manifest.js'
import type { Clock } from '../shared/clock.js'
import type { RobotSettingsStore } from '../storage/robot-settings-store.js'

const scope = <T extends z.ZodTypeAny>(id: T) => z.object({ mode: z.enum(['all', 'only']), ids: z.array(id).max(1000) }).strict()

/** What admins allow robots to do; every field has a default, so a portal never set up still works. */
export const robotSettingsSchema = z.object({
  enabled: z.object(Object.fromEntries(ROBOT_CODES.map((c) => [c, z.boolean()])) as Record<RobotCode, z.ZodBoolean>).strict(),
  /** Invitations by robots per rolling 24 hours for the whole portal. */
  dailyCap: z.number().int().min(0).max(10_000),
  templates: scope(z.string().uuid()),
  departments: scope(z.number().int().positive()),
  groups: scope(z.number().int().positive()),
}).strict()

export type RobotSettings = z.infer<typeof robotSettingsSchema>

export const DEFAULT_ROBOT_SETTINGS: RobotSettings = {
  enabled: Object.fromEntries(ROBOT_CODES.map((c) => [c, true])) as Record<RobotCode, boolean>,
  dailyCap: 200,
  templates: { mode: 'all', ids: [] },
  departments: { mode: 'all', ids: [] },
  groups: { mode: 'all', ids: [] },
}

export function createRobotSettings(deps: { store: RobotSettingsStore; clock: Clock }) {
  return {
    /** Stored settings over the defaults; a stored value that no longer validates falls back to the default. */
    async get(memberId: string): Promise<RobotSettings> {
      const stored = await deps.store.get(memberId)
      if (!stored) return DEFAULT_ROBOT_SETTINGS
      const merged = { ...DEFAULT_ROBOT_SETTINGS, ...stored, enabled: { ...DEFAULT_ROBOT_SETTINGS.enabled, ...(stored.enabled as object | undefined) } }
      const parsed = robotSettingsSchema.safeParse(merged)
      return parsed.success ? parsed.data : DEFAULT_ROBOT_SETTINGS
    },
    async save(memberId: string, settings: RobotSettings, by: number): Promise<RobotSettings> {
      await deps.store.put(memberId, settings, by, deps.clock.now())
      return settings
    },
  }
}

export type RobotSettingsService = ReturnType<typeof createRobotSettings>
