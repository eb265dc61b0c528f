import { readonly, ref } from 'vue'

/**
 * One polite live region for async results ("Registration updated", "Could not load..."),
 * rendered once by <LiveAnnouncer>. Re-announcing the same text is forced by clearing first.
 */
const message = ref('')
let timer: ReturnType<typeof setTimeout> | undefined

export function announce(text: string): void {
  message.value = ''
  clearTimeout(timer)
  // A new text node after a tick, so screen readers announce repeats too.
  timer = setTimeout(() => {
    message.value = text
  }, 50)
}

export function useAnnouncer() {
  return { message: readonly(message), announce }
}
