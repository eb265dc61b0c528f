import { markRaw, readonly, ref } from 'vue'
import type { AuthData } from '@bitrix24/b24jssdk'

/**
 * The Bitrix24 frame connection (`initializeB24Frame()` from @bitrix24/b24jssdk).
 *
 * NOTE: the frame object uses #private fields; inside reactive()/ref()/Pinia state every access
 * throws "Cannot read private member". It therefore lives in a module variable (also markRaw'd),
 * and only its connection *status* is reactive.
 *
 * The SDK (~70 kB gzip) is loaded with a dynamic import, and nothing waits for it before the first
 * render: outside a portal (or with a slow parent) the page renders anyway and we log a warning.
 */

/** The slice of B24Frame this app uses; a fake can be injected in tests with {@link setB24Frame}. */
export interface B24FrameLike {
  readonly isInstallMode: boolean
  auth: {
    getAuthData(): false | AuthData
    refreshAuth(): Promise<AuthData>
  }
  parent: {
    fitWindow(): Promise<unknown>
    reloadWindow(): Promise<unknown>
    /** Optional in fakes: scroll the portal page (0 = top, where the app frame starts). */
    scrollParentWindow?(scroll: number): Promise<unknown>
  }
  /** Optional in fakes: portal sliders. */
  slider?: {
    /** An absolute URL on the portal for the given path. */
    getUrl(path?: string): URL
    /** Open a portal page (e.g. /company/personal/user/5/) in a slider over the app. */
    openPath(url: URL, width?: number): Promise<unknown>
  }
  installFinish(): Promise<unknown>
}

export type B24Status = 'idle' | 'connecting' | 'ready' | 'unavailable'

/** How long callers that need the frame (session renewal, install) wait by default. */
export const B24_WAIT_MS = 10_000
/** After this long without an answer from the parent we warn (the connection may still succeed). */
const SLOW_INIT_WARN_MS = 5_000

let frame: B24FrameLike | null = null
let initPromise: Promise<B24FrameLike | null> | null = null
const status = ref<B24Status>('idle')

function isInsideFrame(): boolean {
  try {
    return window.self !== window.top
  } catch {
    // Cross-origin access to window.top throws: that also means we are framed.
    return true
  }
}

/** Start connecting to the portal (idempotent). Resolves to null when there is no usable frame. */
export function initB24(): Promise<B24FrameLike | null> {
  if (initPromise) return initPromise
  if (frame) return (initPromise = Promise.resolve(frame))

  if (!isInsideFrame()) {
    status.value = 'unavailable'
    console.warn('[invite-desk] Not running inside a Bitrix24 frame; portal features are disabled.')
    return (initPromise = Promise.resolve(null))
  }

  status.value = 'connecting'
  const slowTimer = setTimeout(() => {
    console.warn(`[invite-desk] The Bitrix24 frame has not answered after ${SLOW_INIT_WARN_MS} ms; still waiting.`)
  }, SLOW_INIT_WARN_MS)

  initPromise = import('@bitrix24/b24jssdk')
    .then(({ initializeB24Frame }) => initializeB24Frame())
    .then(connected => {
      frame = markRaw(connected)
      status.value = 'ready'
      return frame
    })
    .catch((error: unknown) => {
      status.value = 'unavailable'
      console.warn('[invite-desk] Could not initialise the Bitrix24 frame; continuing without it.', error)
      // Allow a later retry (initializeB24Frame also forgets a failed attempt).
      initPromise = null
      return null
    })
    .finally(() => clearTimeout(slowTimer))
  return initPromise
}

/** The connected frame, or null if not (yet) connected. Never put the result in reactive state. */
export function getB24(): B24FrameLike | null {
  return frame
}

/** Wait for the frame at most `timeoutMs`; null on failure or timeout (init keeps going). */
export async function waitForB24(timeoutMs: number = B24_WAIT_MS): Promise<B24FrameLike | null> {
  if (frame) return frame
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<null>(resolve => {
    timer = setTimeout(() => resolve(null), timeoutMs)
  })
  try {
    return await Promise.race([initB24(), timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Ask the portal to fit the iframe to our content height; a no-op without a frame. */
export async function fitB24Window(): Promise<void> {
  if (!frame) return
  try {
    await frame.parent.fitWindow()
  } catch (error) {
    console.warn('[invite-desk] fitWindow failed', error)
  }
}

/**
 * Bring the top of the app into view. The portal sizes our iframe to its content, so the page
 * scrolls in the portal's window, not ours: after replacing a long view (a new wizard step, the
 * template editor) the user could be looking at the middle of it. No-op outside the portal.
 */
export async function scrollAppToTop(): Promise<void> {
  if (!frame?.parent.scrollParentWindow) {
    window.scrollTo({ top: 0 })
    return
  }
  try {
    await frame.parent.scrollParentWindow(0)
  } catch (error) {
    console.warn('[invite-desk] scrollParentWindow failed', error)
  }
}

/**
 * Open a portal page in a Bitrix24 slider (e.g. a user's profile with its own "Invite again").
 * Returns false when that is not possible (no frame, unsupported path) so the caller can fall
 * back to a plain link in a new tab.
 */
export function openPortalPath(pathOrUrl: string): boolean {
  const slider = frame?.slider
  if (!slider) return false
  let url: URL
  try {
    url = /^https?:\/\//i.test(pathOrUrl) ? new URL(pathOrUrl) : slider.getUrl(pathOrUrl)
  } catch (error) {
    console.warn('[invite-desk] Not a portal URL', pathOrUrl, error)
    return false
  }
  // The promise settles when the slider is closed, so it is not awaited; if the portal refuses
  // the path, open it in a new tab instead.
  slider.openPath(url).catch((error: unknown) => {
    console.warn('[invite-desk] slider.openPath failed; opening a new tab', error)
    window.open(url.href, '_blank', 'noopener')
  })
  return true
}

/** Reload the app through the portal (a fresh POST with fresh auth); plain reload outside it. */
export async function reloadApp(): Promise<void> {
  if (frame) {
    try {
      await frame.parent.reloadWindow()
      return
    } catch (error) {
      console.warn('[invite-desk] reloadWindow failed; reloading the document', error)
    }
  }
  window.location.reload()
}

/** Test seam: inject a fake frame (or null to reset). */
export function setB24Frame(fake: B24FrameLike | null): void {
  frame = fake ? markRaw(fake) : null
  initPromise = fake ? Promise.resolve(frame) : null
  status.value = fake ? 'ready' : 'idle'
}

export function useB24() {
  return {
    status: readonly(status),
    init: initB24,
    get: getB24,
    wait: waitForB24,
    fitWindow: fitB24Window,
  }
}
