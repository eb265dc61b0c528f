import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { isApiError } from '../api/http'
import { getMe } from '../api/me'
import type { AppBoot, PortalInfo, PortalStatus, UserInfo } from '../api/types'

/** Who is looking at which portal, seeded from the boot document and refreshed from /api/me. */
export const usePortalStore = defineStore('portal', () => {
  const user = ref<UserInfo | null>(null)
  const portal = ref<(Partial<PortalInfo> & { memberId: string; domain: string; status: PortalStatus }) | null>(null)
  const placement = ref('DEFAULT')
  const placementOptions = shallowRef<Readonly<Record<string, unknown>>>({})

  const isAdmin = computed(() => user.value?.isAdmin ?? false)
  const status = computed<PortalStatus | null>(() => portal.value?.status ?? null)
  const needsReinstall = computed(() => status.value === 'needs_reinstall')
  const memberId = computed(() => portal.value?.memberId ?? '')
  const domain = computed(() => portal.value?.domain ?? '')

  function hydrate(boot: AppBoot): void {
    user.value = { ...boot.user }
    portal.value = { ...boot.portal }
    placement.value = boot.placement
    placementOptions.value = Object.freeze({ ...boot.placementOptions })
  }

  /** Any API answer that carries the portal status updates it (e.g. access lost mid-session). */
  function setStatus(next: PortalStatus): void {
    if (portal.value) portal.value = { ...portal.value, status: next }
  }

  /** An API error that says the portal lost its tokens flips the shell into the reinstall state. */
  function noteError(error: unknown): void {
    if (isApiError(error) && error.code === 'needs_reinstall') setStatus('needs_reinstall')
  }

  async function refresh(): Promise<void> {
    const me = await getMe()
    // Merged, not replaced: an answer without a field (the name) must not blank what the boot document said.
    user.value = { ...user.value, ...me.user }
    portal.value = { ...portal.value, ...me.portal }
  }

  return { user, portal, placement, placementOptions, isAdmin, status, needsReinstall, memberId, domain, hydrate, setStatus, noteError, refresh }
})
