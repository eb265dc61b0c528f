import { ref, shallowRef } from 'vue'
import { toApiError, type ApiError, type DownloadedFile } from '../api/http'

/** How long the object URL stays valid after the click (the browser reads it asynchronously). */
const REVOKE_AFTER_MS = 60_000

/** Save a fetched file through a temporary object URL and an `a[download]` click. */
export function saveBlob({ blob, fileName }: DownloadedFile): void {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = fileName
  link.rel = 'noopener'
  link.style.display = 'none'
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS)
}

/**
 * Downloads that need the bearer token (exports, reports). `busy` holds the key of the download in
 * flight, so each button can show its own spinner; `error` the last failure.
 */
export function useDownload() {
  const busy = ref<string | null>(null)
  const error = shallowRef<ApiError | null>(null)

  /** Resolves to true when the file was handed to the browser. */
  async function download(key: string, fetchFile: () => Promise<DownloadedFile>): Promise<boolean> {
    if (busy.value) return false
    busy.value = key
    error.value = null
    try {
      saveBlob(await fetchFile())
      return true
    } catch (cause) {
      error.value = toApiError(cause)
      return false
    } finally {
      busy.value = null
    }
  }

  return { busy, error, download }
}
