import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { getDashboard } from '../api/dashboard'
import { toApiError, type ApiError } from '../api/http'
import type { AppliedRegistration, InviteCounts, Job } from '../api/types'
import { usePortalStore } from './portal'

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error'

const ZERO_COUNTS: Readonly<InviteCounts> = Object.freeze({ invited: 0, pending: 0, accepted: 0, failed: 0 })

export const useDashboardStore = defineStore('dashboard', () => {
  const status = ref<LoadStatus>('idle')
  const error = shallowRef<ApiError | null>(null)
  const counts = ref<InviteCounts>({ ...ZERO_COUNTS })
  const registration = ref<AppliedRegistration | null>(null)
  const recentJobs = ref<Job[]>([])
  const loadedAt = ref<number | null>(null)

  const isLoading = computed(() => status.value === 'loading')
  const totalInvited = computed(() => counts.value.invited)
  const hasInvites = computed(() => Object.values(counts.value).some(value => value > 0))

  let inflight: Promise<void> | null = null

  function load(): Promise<void> {
    inflight ??= doLoad().finally(() => {
      inflight = null
    })
    return inflight
  }

  async function doLoad(): Promise<void> {
    const portal = usePortalStore()
    status.value = 'loading'
    error.value = null
    try {
      const data = await getDashboard()
      counts.value = { ...ZERO_COUNTS, ...data.counts }
      registration.value = data.registration
      recentJobs.value = data.recentJobs ?? []
      portal.setStatus(data.portal.status)
      loadedAt.value = Date.now()
      status.value = 'ready'
    } catch (cause) {
      portal.noteError(cause)
      error.value = toApiError(cause)
      status.value = 'error'
    }
  }

  return { status, error, counts, registration, recentJobs, loadedAt, isLoading, totalInvited, hasInvites, load }
})
