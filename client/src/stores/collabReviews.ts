import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { closeCollabReview, decideCollabReviewItem, getCollabReview, listCollabReviews, startCollabReview } from '../api/collabs'
import { toApiError, type ApiError } from '../api/http'
import type { CollabReview, CollabReviewItem, ReviewDecision, StartCollabReviewRequest } from '../api/types'
import type { LoadStatus } from './dashboard'
import { usePortalStore } from './portal'

/**
 * Access reviews of collab guests: the list (with what waits for the viewer), and one open review
 * with the items the viewer may see and decide.
 */
export const useCollabReviewsStore = defineStore('collabReviews', () => {
  const portal = usePortalStore()

  function fail(cause: unknown): ApiError {
    portal.noteError(cause)
    return toApiError(cause)
  }

  // --- The list -----------------------------------------------------------------------------------

  const reviews = shallowRef<CollabReview[]>([])
  const listStatus = ref<LoadStatus>('idle')
  const listError = shallowRef<ApiError | null>(null)

  /** Open reviews first, newest first. */
  const sorted = computed(() => [...reviews.value].sort((a, b) => Number(a.status === 'closed') - Number(b.status === 'closed') || b.startedAt - a.startedAt))

  /** Guests waiting for the viewer's decision, over every open review. */
  const myPending = computed(() => reviews.value.filter(review => review.status === 'open').reduce((sum, review) => sum + review.mine.pending, 0))
  /** The open review to send the viewer to: the one due first among those with their pending items. */
  const myNextReview = computed(() =>
    reviews.value.filter(review => review.status === 'open' && review.mine.pending > 0).sort((a, b) => a.dueAt - b.dueAt)[0] ?? null,
  )

  let listInflight: Promise<void> | null = null

  /** Load the list (single-flight). */
  function loadReviews(): Promise<void> {
    listInflight ??= (async () => {
      if (listStatus.value !== 'ready') listStatus.value = 'loading'
      listError.value = null
      try {
        reviews.value = (await listCollabReviews()).reviews
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

  function putReview(next: CollabReview): void {
    const known = reviews.value.some(review => review.id === next.id)
    reviews.value = known ? reviews.value.map(review => (review.id === next.id ? next : review)) : [next, ...reviews.value]
    if (review.value?.id === next.id) review.value = next
  }

  /** POST a new review (admins). Throws ApiError. */
  async function start(input: StartCollabReviewRequest): Promise<CollabReview> {
    try {
      const created = (await startCollabReview(input)).review
      putReview(created)
      return created
    } catch (cause) {
      throw fail(cause)
    }
  }

  // --- One review ---------------------------------------------------------------------------------

  const reviewId = ref<string | null>(null)
  const review = shallowRef<CollabReview | null>(null)
  const items = shallowRef<CollabReviewItem[]>([])
  const reviewStatus = ref<LoadStatus>('idle')
  const reviewError = shallowRef<ApiError | null>(null)

  const isCurrent = (id: string) => reviewId.value === id

  async function loadReview(id = reviewId.value): Promise<void> {
    if (id === null) return
    if (reviewStatus.value !== 'ready') reviewStatus.value = 'loading'
    reviewError.value = null
    try {
      const data = await getCollabReview(id)
      if (!isCurrent(id)) return
      review.value = data.review
      items.value = data.items
      putReview(data.review)
      reviewStatus.value = 'ready'
    } catch (cause) {
      if (!isCurrent(id)) return
      reviewError.value = fail(cause)
      reviewStatus.value = 'error'
    }
  }

  /** Open a review; opening the same one again refreshes it. */
  function openReview(id: string): Promise<void> {
    if (reviewId.value !== id) {
      reviewId.value = id
      review.value = null
      items.value = []
      reviewStatus.value = 'idle'
    }
    return loadReview(id)
  }

  /** Keep or end one guest. The item comes back decided; the review's counts are read again. Throws ApiError. */
  async function decide(itemId: string, decision: ReviewDecision, reason?: string): Promise<CollabReviewItem> {
    const id = reviewId.value
    if (id === null) throw toApiError(new Error('No review is open'))
    let item: CollabReviewItem
    try {
      item = (await decideCollabReviewItem(id, itemId, decision, reason)).item
    } catch (cause) {
      throw fail(cause)
    }
    if (isCurrent(id)) items.value = items.value.map(existing => (existing.id === item.id ? item : existing))
    // The counts (decided/total, mine) live on the review: one read keeps the progress honest.
    void loadReview(id)
    return item
  }

  /** Close the open review (admins). Throws ApiError. */
  async function close(): Promise<CollabReview> {
    const id = reviewId.value
    if (id === null) throw toApiError(new Error('No review is open'))
    try {
      const closed = (await closeCollabReview(id)).review
      putReview(closed)
      await loadReview(id)
      return closed
    } catch (cause) {
      throw fail(cause)
    }
  }

  return {
    reviews, sorted, listStatus, listError, myPending, myNextReview, loadReviews, start,
    reviewId, review, items, reviewStatus, reviewError, openReview, loadReview, decide, close,
  }
})
