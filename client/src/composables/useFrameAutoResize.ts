import { onBeforeUnmount, onMounted, watch, type Ref } from 'vue'
import { fitB24Window, useB24 } from './useB24'

const DEBOUNCE_MS = 120

/**
 * Keep the portal's iframe as tall as our content: `fitWindow()` once the frame is connected and
 * again (debounced) whenever `target` changes size (route changes, data arriving, toasts...).
 */
export function useFrameAutoResize(target: Ref<HTMLElement | null>): void {
  const { status } = useB24()
  let observer: ResizeObserver | null = null
  let timer: ReturnType<typeof setTimeout> | undefined

  const schedule = () => {
    if (status.value !== 'ready') return
    clearTimeout(timer)
    timer = setTimeout(() => void fitB24Window(), DEBOUNCE_MS)
  }

  onMounted(() => {
    if (typeof ResizeObserver !== 'undefined' && target.value) {
      observer = new ResizeObserver(schedule)
      observer.observe(target.value)
    }
    schedule()
  })

  watch(status, schedule)

  onBeforeUnmount(() => {
    observer?.disconnect()
    clearTimeout(timer)
  })
}
