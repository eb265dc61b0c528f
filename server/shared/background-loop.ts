import { errorText } from './errors.js'
import type { Logger } from './logger.js'

/**
 * A background worker's loop: one pass at a time per instance, on a timer and on demand. A kick waits
 * `gatherMs` for more arrivals, so a burst becomes one pass; work that arrives during a pass gets a pass
 * of its own right after.
 */
export function createBackgroundLoop(opts: { name: string; pollMs: number; gatherMs: number; pass: () => Promise<void>; log: Logger }) {
  let timer: NodeJS.Timeout | undefined
  let soon: NodeJS.Timeout | undefined
  let stopped = true
  let ticking: Promise<void> | undefined
  let again = false

  function tick(): Promise<void> {
    if (ticking) {
      again = true
      return ticking
    }
    ticking = opts.pass()
      .catch((e: unknown) => {
        if (!stopped) opts.log.error({ err: errorText(e) }, `${opts.name} tick failed`)
      })
      .finally(() => {
        ticking = undefined
        if (again && !stopped) {
          again = false
          void tick()
        }
      })
    return ticking
  }

  return {
    /** Whether stop() was called (a pass checks it between portals). */
    get stopped(): boolean {
      return stopped
    },
    start(): void {
      stopped = false
      timer = setInterval(() => void tick(), opts.pollMs)
      timer.unref()
      void tick()
    },
    kick(): void {
      if (stopped || soon) return
      soon = setTimeout(() => {
        soon = undefined
        void tick()
      }, opts.gatherMs)
      soon.unref()
    },
    async stop(): Promise<void> {
      stopped = true
      if (timer) clearInterval(timer)
      if (soon) clearTimeout(soon)
      soon = undefined
      await ticking
    },
    /** Tests: run passes until nothing is left to do now. */
    async drain(): Promise<void> {
      await ticking
      await tick()
    },
  }
}

export type BackgroundLoop = ReturnType<typeof createBackgroundLoop>
