import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import {
  confirmGuestEnd,
  extendGuest,
  getExtranetGroup,
  getOnboardingKit,
  inviteToGroup,
  listExtranetGroups,
  listGuests,
  saveOnboardingKit,
  sendGroupInvite,
  setGroupInviteRowExcluded,
  setGuestSponsor,
} from '../api/extranet'
import { toApiError, type ApiError } from '../api/http'
import type {
  ConfirmEndResponse,
  EmbeddedSendResponse,
  ExtranetGroupView,
  ExtranetPerson,
  GroupInviteResponse,
  GuestView,
  OnboardingKit,
  OnboardingKitInput,
  RowPatchResponse,
} from '../api/types'
import type { LoadStatus } from './dashboard'
import { usePortalStore } from './portal'

/**
 * The Extranet section: the list of groups, and one open group with its onboarding kit and guests.
 * Each part loads and fails on its own, so a missing kit never hides the guests.
 */
export const useExtranetStore = defineStore('extranet', () => {
  const portal = usePortalStore()

  function fail(cause: unknown): ApiError {
    portal.noteError(cause)
    return toApiError(cause)
  }

  // --- The list -----------------------------------------------------------------------------------

  const listStatus = ref<LoadStatus>('idle')
  const listError = shallowRef<ApiError | null>(null)
  const groups = shallowRef<ExtranetGroupView[]>([])
  const hasExtranetGroups = ref(true)
  const directorySyncedAt = ref<number | null>(null)

  const sortedGroups = computed(() => [...groups.value].sort((a, b) => Number(b.active) - Number(a.active) || a.name.localeCompare(b.name)))

  let listInflight: Promise<void> | null = null

  /** Load once; `force` reloads (single-flight either way). */
  function loadGroups(force = false): Promise<void> {
    if (!force && listStatus.value === 'ready') return Promise.resolve()
    listInflight ??= (async () => {
      listStatus.value = 'loading'
      listError.value = null
      try {
        const data = await listExtranetGroups()
        groups.value = data.groups
        hasExtranetGroups.value = data.hasExtranetGroups
        directorySyncedAt.value = data.directorySyncedAt
        listStatus.value = 'ready'
      } catch (cause) {
        listError.value = fail(cause)
        listStatus.value = 'error'
      }
    })().finally(() => {
      listInflight = null
    })
    return listInflight
  }

  // --- One group ----------------------------------------------------------------------------------

  const groupId = ref<number | null>(null)
  const group = shallowRef<ExtranetGroupView | null>(null)
  const groupStatus = ref<LoadStatus>('idle')
  const groupError = shallowRef<ApiError | null>(null)

  const kit = shallowRef<OnboardingKit | null>(null)
  const canEdit = ref(false)
  const kitStatus = ref<LoadStatus>('idle')
  const kitError = shallowRef<ApiError | null>(null)

  const guests = shallowRef<GuestView[]>([])
  const guestsStatus = ref<LoadStatus>('idle')
  const guestsError = shallowRef<ApiError | null>(null)

  /** Everyone the group knows (owner, members, invited), for naming sponsors. */
  const peopleById = computed(() => {
    const map = new Map<number, ExtranetPerson>()
    const g = group.value
    if (!g) return map
    for (const person of [g.owner, ...g.members, ...g.invited]) if (!map.has(person.id)) map.set(person.id, person)
    return map
  })

  // A response for a group the user has since left is dropped (the view may switch groups quickly).
  const isCurrent = (id: number) => groupId.value === id

  async function loadGroup(id = groupId.value): Promise<void> {
    if (id === null) return
    groupStatus.value = 'loading'
    groupError.value = null
    try {
      const data = await getExtranetGroup(id)
      if (!isCurrent(id)) return
      group.value = data.group
      groupStatus.value = 'ready'
    } catch (cause) {
      if (!isCurrent(id)) return
      groupError.value = fail(cause)
      groupStatus.value = 'error'
    }
  }

  async function loadKit(id = groupId.value): Promise<void> {
    if (id === null) return
    kitStatus.value = 'loading'
    kitError.value = null
    try {
      const data = await getOnboardingKit(id)
      if (!isCurrent(id)) return
      kit.value = data.kit
      canEdit.value = data.canEdit
      kitStatus.value = 'ready'
    } catch (cause) {
      if (!isCurrent(id)) return
      kitError.value = fail(cause)
      kitStatus.value = 'error'
    }
  }

  async function loadGuests(id = groupId.value): Promise<void> {
    if (id === null) return
    // A refresh keeps the table on screen; only the first load shows the skeleton.
    if (guestsStatus.value !== 'ready') guestsStatus.value = 'loading'
    guestsError.value = null
    try {
      const data = await listGuests(id)
      if (!isCurrent(id)) return
      guests.value = data.guests
      guestsStatus.value = 'ready'
    } catch (cause) {
      if (!isCurrent(id)) return
      guestsError.value = fail(cause)
      guestsStatus.value = 'error'
    }
  }

  /** Open a group: its details, kit and guests in parallel. Re-opening the same group refreshes it. */
  function openGroup(id: number): Promise<void> {
    if (groupId.value !== id) {
      groupId.value = id
      group.value = null
      kit.value = null
      canEdit.value = false
      guests.value = []
      groupStatus.value = kitStatus.value = guestsStatus.value = 'idle'
    }
    return Promise.all([loadGroup(id), loadKit(id), loadGuests(id)]).then(() => undefined)
  }

  /** After invitations went out or a guest changed: the guests and the group's member lists. */
  function refreshPeople(): Promise<void> {
    return Promise.all([loadGuests(), loadGroup()]).then(() => undefined)
  }

  function requireGroup(): number {
    if (groupId.value === null) throw toApiError(new Error('No group is open'))
    return groupId.value
  }

  /** PUT the kit; throws ApiError (400 bad_request with details, 403). */
  async function saveKit(input: OnboardingKitInput): Promise<OnboardingKit> {
    const id = requireGroup()
    try {
      const { kit: saved } = await saveOnboardingKit(id, input)
      if (isCurrent(id)) kit.value = saved
      return saved
    } catch (cause) {
      throw fail(cause)
    }
  }

  /** Run a guest action, then reload the guests (the server answers only `ok`). Throws ApiError. */
  async function guestAction<T>(run: () => Promise<T>): Promise<T> {
    try {
      const result = await run()
      await loadGuests()
      return result
    } catch (cause) {
      throw fail(cause)
    }
  }

  function extend(guestId: string, accessEndsAt: number | null): Promise<unknown> {
    return guestAction(() => extendGuest(guestId, accessEndsAt))
  }

  function confirmEnd(guestId: string): Promise<ConfirmEndResponse['result']> {
    return guestAction(async () => (await confirmGuestEnd(guestId)).result)
  }

  function handOver(guestId: string, sponsorId: number): Promise<unknown> {
    return guestAction(() => setGuestSponsor(guestId, sponsorId))
  }

  // --- Inviting into the group --------------------------------------------------------------------

  /** The dry run of a pasted list into the open group. Throws ApiError. */
  async function checkInvite(people: string): Promise<GroupInviteResponse> {
    const id = requireGroup()
    try {
      return await inviteToGroup(id, people)
    } catch (cause) {
      throw fail(cause)
    }
  }

  /** Leave one checked row out (or take it back). Throws ApiError. */
  async function excludeRow(importId: string, rowNumber: number, excluded: boolean): Promise<RowPatchResponse> {
    try {
      return await setGroupInviteRowExcluded(requireGroup(), importId, rowNumber, excluded)
    } catch (cause) {
      throw fail(cause)
    }
  }

  /** Queue the checked list: a job to follow, or a request for approval (the invite policy decides). Throws ApiError. */
  async function sendInvite(importId: string): Promise<EmbeddedSendResponse> {
    try {
      // The tab's own send: a group owner who is no portal admin may send their group's list.
      return await sendGroupInvite(requireGroup(), importId)
    } catch (cause) {
      throw fail(cause)
    }
  }

  return {
    listStatus, listError, groups, sortedGroups, hasExtranetGroups, directorySyncedAt, loadGroups,
    groupId, group, groupStatus, groupError, kit, canEdit, kitStatus, kitError, guests, guestsStatus, guestsError, peopleById,
    openGroup, loadGroup, loadKit, loadGuests, refreshPeople, saveKit, extend, confirmEnd, handOver,
    checkInvite, excludeRow, sendInvite,
  }
})
