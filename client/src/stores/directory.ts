import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { getDirectory, syncDirectory } from '../api/directory'
import { toApiError, type ApiError } from '../api/http'
import type { Department, DirectoryResponse, WorkGroup } from '../api/types'
import type { LoadStatus } from './dashboard'
import { usePortalStore } from './portal'

/** Departments and workgroups of the portal (the app's cached copy), for the pickers. */
export const useDirectoryStore = defineStore('directory', () => {
  const status = ref<LoadStatus>('idle')
  const error = shallowRef<ApiError | null>(null)
  // Large portals have thousands of departments: keep them out of deep reactivity.
  const departments = shallowRef<Department[]>([])
  const groups = shallowRef<WorkGroup[]>([])
  const users = ref(0)
  const syncedAt = ref<number | null>(null)
  const syncing = ref(false)

  const departmentById = computed(() => new Map(departments.value.map(item => [item.id, item])))
  const groupById = computed(() => new Map(groups.value.map(item => [item.id, item])))
  const sortedDepartments = computed(() => [...departments.value].sort((a, b) => a.path.localeCompare(b.path)))
  const sortedGroups = computed(() => [...groups.value].sort((a, b) => a.name.localeCompare(b.name)))

  function apply(data: DirectoryResponse): void {
    departments.value = data.departments
    groups.value = data.groups
    users.value = data.users
    syncedAt.value = data.syncedAt
  }

  let inflight: Promise<void> | null = null

  function load(force = false): Promise<void> {
    if (!force && status.value === 'ready') return Promise.resolve()
    inflight ??= (async () => {
      status.value = 'loading'
      error.value = null
      try {
        const data = await getDirectory()
        // Never synced (a fresh install): the copy is empty, so fetch it from the portal now rather
        // than showing empty pickers. Only admins may sync; others see what there is.
        apply(data.syncedAt === null && usePortalStore().isAdmin ? await syncDirectory() : data)
        status.value = 'ready'
      } catch (cause) {
        usePortalStore().noteError(cause)
        error.value = toApiError(cause)
        status.value = 'error'
      }
    })().finally(() => {
      inflight = null
    })
    return inflight
  }

  /** POST /api/directory/sync; resolves to the error, or null on success. */
  async function sync(): Promise<ApiError | null> {
    if (syncing.value) return null
    syncing.value = true
    try {
      apply(await syncDirectory())
      status.value = 'ready'
      error.value = null
      return null
    } catch (cause) {
      usePortalStore().noteError(cause)
      return toApiError(cause)
    } finally {
      syncing.value = false
    }
  }

  return { status, error, departments, groups, users, syncedAt, syncing, departmentById, groupById, sortedDepartments, sortedGroups, load, sync }
})
