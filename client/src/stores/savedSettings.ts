import { ref, shallowRef } from 'vue'
import type { ApiError } from '../api/http'
import type { LoadStatus } from './dashboard'

/**
 * A section's settings read and saved through its API (GET → { settings }, PUT → { settings }): the one
 * shape the Collabs and Automation stores share. `fail` turns a thrown value into the store's ApiError;
 * `afterSave` gets the previous and the saved settings (a store reloads what depends on them).
 */
export function savedSettings<T>(api: {
  load: () => Promise<{ settings: T }>
  save: (next: T) => Promise<{ settings: T }>
  fail: (cause: unknown) => ApiError
  afterSave?: (saved: T, previous: T | null) => void
}) {
  const settings = shallowRef<T | null>(null)
  const settingsStatus = ref<LoadStatus>('idle')
  const settingsError = shallowRef<ApiError | null>(null)

  async function loadSettings(): Promise<void> {
    settingsStatus.value = 'loading'
    settingsError.value = null
    try {
      settings.value = (await api.load()).settings
      settingsStatus.value = 'ready'
    } catch (cause) {
      settingsError.value = api.fail(cause)
      settingsStatus.value = 'error'
    }
  }

  /** PUT the settings (admins). Throws ApiError. */
  async function saveSettings(next: T): Promise<T> {
    let saved: T
    try {
      saved = (await api.save(next)).settings
    } catch (cause) {
      throw api.fail(cause)
    }
    const previous = settings.value
    settings.value = saved
    settingsStatus.value = 'ready'
    api.afterSave?.(saved, previous)
    return saved
  }

  return { settings, settingsStatus, settingsError, loadSettings, saveSettings }
}
