/**
 * Client logic of collab guest tracking, without a browser: the deep link into a review (hash or
 * placement option, nothing else), the guest list's query (filters, order, pages, export), the
 * collabs store against the contract (stubbed fetch: sorting, guest actions, a 409 not_available that
 * carries the collab's page), the reviews store's "waiting for you" count, and the Russian catalog's
 * plural forms for every new collab message.
 *
 * NOTE: client modules are loaded with vi.importActual and typed locally (see session-flow.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

const CLIENT = '../../client/src'

interface PlacementModule {
  deepLinkPath(options: Record<string, unknown>, hash?: string): string | null
  initialPathFor(placement: string, options: Record<string, unknown>, hash?: string): string
}
interface HttpModule {
  configureAuth(handlers: { getToken: () => string | null; renewToken: (stale: string | null) => Promise<string> } | null): void
}
interface ApiErrorLike {
  status: number
  code: string
  details?: unknown
}
interface GuestRowLike {
  collabId: number
  userId: number
  state: string
}
interface CollabsStore {
  sort: string
  dir: string
  offset: number
  total: number
  guests: GuestRowLike[]
  guestsStatus: string
  activeDays: number | null
  summary: { activeDays: number } | null
  sponsors: Map<number, string>
  loadSummary(): Promise<void>
  loadGuests(): Promise<void>
  setFilters(patch: Record<string, unknown>): Promise<void>
  setSort(key: string): Promise<void>
  setPage(page: number): Promise<void>
  guestAction(action: string, row: GuestRowLike): Promise<unknown>
}
interface ReviewsStore {
  myPending: number
  myNextReview: { id: number } | null
  loadReviews(): Promise<void>
}

type Handler = (url: URL, init: RequestInit) => Response | Promise<Response>
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

let calls: Array<{ method: string; url: URL; body: unknown }>
function stubFetch(handler: Handler): void {
  calls = []
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
    const parsed = new URL(url, 'http://app.test')
    calls.push({ method: init.method ?? 'GET', url: parsed, body: init.body ? JSON.parse(String(init.body)) : undefined })
    return handler(parsed, init)
  }))
}

async function freshPinia(): Promise<void> {
  vi.resetModules()
  const http = await vi.importActual<HttpModule>(`${CLIENT}/api/http.ts`)
  http.configureAuth({ getToken: () => 'TOKEN', renewToken: async () => 'TOKEN' })
  const { createPinia, setActivePinia } = await vi.importActual<{ createPinia(): unknown; setActivePinia(p: unknown): void }>('pinia')
  setActivePinia(createPinia())
}

const SUMMARY = {
  activeDays: 30,
  sync: { available: true, reason: null, fullAt: null, incrementalAt: null, lastMode: null, lastRequests: null, running: false, error: null },
  totals: { guests: 2, invited: 1, accepted: 1, active: 1, inactive: 0, deactivated: 0 },
  people: 2,
  funnel: { invited: 2, accepted: 1, active: 1 },
  collabs: [{ id: 11, name: 'Partners', ownerId: 7, ownerName: 'Olga Owner', guests: 2, invited: 1, accepted: 1, active: 1, inactive: 0, deactivated: 0, url: 'https://p.example/workgroups/group/11/' }],
}
const row = (userId: number, state: string) => ({
  collabId: 11, collabName: 'Partners', userId, name: `Guest ${userId}`, email: null, state,
  sponsor: { id: 3, name: 'Sam Sponsor', source: 'ledger' }, invitedAt: 1, daysSinceInvitation: 2, lastActivityAt: null, daysSinceActivity: null, profileUrl: 'https://p.example/u/', canManage: true,
})

describe('deep link into the app', () => {
  let placement: PlacementModule
  beforeEach(async () => {
    placement = await vi.importActual<PlacementModule>(`${CLIENT}/placement.ts`)
  })

  it('opens a review from the frame hash or the placement option `route`', () => {
    expect(placement.deepLinkPath({}, '#/collabs/reviews/2d884bd4-0073-45fd-8317-5056523226f7')).toBe('/collabs/reviews/2d884bd4-0073-45fd-8317-5056523226f7')
    expect(placement.deepLinkPath({ route: '/collabs/reviews/2d884bd4-0073-45fd-8317-5056523226f7' })).toBe('/collabs/reviews/2d884bd4-0073-45fd-8317-5056523226f7')
    expect(placement.deepLinkPath({}, '#%2Fcollabs%2Freviews%2F2d884bd4-0073-45fd-8317-5056523226f7')).toBe('/collabs/reviews/2d884bd4-0073-45fd-8317-5056523226f7')
    expect(placement.deepLinkPath({}, '#/collabs')).toBe('/collabs')
    expect(placement.initialPathFor('DEFAULT', {}, '#/collabs/reviews/2d884bd4-0073-45fd-8317-5056523226f7')).toBe('/collabs/reviews/2d884bd4-0073-45fd-8317-5056523226f7')
  })

  it('ignores any other path, an id that is not a review id and malformed encoding', () => {
    for (const hash of ['#/settings', '#/collabs/reviews/0', '#/collabs/reviews/12', '#/collabs/reviews/2d884bd4-0073-45fd-8317-5056523226f7/x', '#//evil.example', '#%E0%A4%A', '#/collabs/reviews/abc']) {
      expect(placement.deepLinkPath({}, hash)).toBeNull()
    }
    expect(placement.deepLinkPath({ route: 'https://evil.example/' })).toBeNull()
    expect(placement.initialPathFor('DEFAULT', { route: '/templates' }, '')).toBe('/')
  })

  it('a group tab still lands on its group, whatever the hash says', () => {
    expect(placement.initialPathFor('SONET_GROUP_DETAIL_TAB', { GROUP_ID: '10' }, '#/collabs/reviews/2d884bd4-0073-45fd-8317-5056523226f7')).toBe('/extranet/10')
  })
})

describe('collab guests: query and store', () => {
  beforeEach(freshPinia)
  afterEach(() => vi.unstubAllGlobals())

  it('leaves empty filters out of the list and the export, and keeps the order and active days', async () => {
    stubFetch(() => new Response('a,b\n', { status: 200, headers: { 'content-disposition': 'attachment; filename="guests.csv"' } }))
    const api = await vi.importActual<{
      collabGuestQuery(q: unknown): Record<string, unknown>
      downloadCollabGuests(q: unknown, format: 'csv' | 'xlsx'): Promise<{ fileName: string }>
    }>(`${CLIENT}/api/collabs.ts`)
    const query = { filters: { collabId: 11, state: 'accepted', sponsorId: null, q: '  ann ' }, sort: 'name', dir: 'asc', activeDays: 14 }
    expect(api.collabGuestQuery(query)).toEqual({ collabId: 11, state: 'accepted', sponsorId: undefined, q: 'ann', sort: 'name', dir: 'asc', activeDays: 14 })
    const file = await api.downloadCollabGuests({ ...query, filters: { collabId: null, state: '', sponsorId: 3, q: '' } }, 'xlsx')
    expect(file.fileName).toBe('guests.csv')
    const url = calls[0]!.url
    expect(url.pathname).toBe('/api/collabs/guests/export')
    expect(Object.fromEntries(url.searchParams)).toEqual({ format: 'xlsx', sponsorId: '3', sort: 'name', dir: 'asc', activeDays: '14' })
  })

  it('sorts on the server (same column flips the direction, dates start newest first) and pages by offset', async () => {
    stubFetch(url => (url.pathname === '/api/collabs/guests' ? json(200, { total: 120, rows: [row(1, 'invited')] }) : json(404, { error: { code: 'not_found', message: '' } })))
    const { useCollabsStore } = await vi.importActual<{ useCollabsStore(): CollabsStore }>(`${CLIENT}/stores/collabs.ts`)
    const store = useCollabsStore()
    await store.setSort('name')
    expect([store.sort, store.dir]).toEqual(['name', 'asc'])
    await store.setSort('name')
    expect(store.dir).toBe('desc')
    await store.setSort('lastActivityAt')
    expect(store.dir).toBe('desc')
    await store.setPage(3)
    const last = calls.at(-1)!.url.searchParams
    expect([last.get('sort'), last.get('dir'), last.get('offset'), last.get('limit')]).toEqual(['lastActivityAt', 'desc', '100', '50'])
    expect(store.sponsors.get(3)).toBe('Sam Sponsor')
    await store.setFilters({ state: 'invited' })
    expect(store.offset).toBe(0)
  })

  it('removes a guest, then reads the list and the counts again; a 409 not_available keeps the collab page', async () => {
    let removed = false
    stubFetch((url, init) => {
      if (url.pathname === '/api/collabs/summary') return json(200, { ...SUMMARY, activeDays: Number(url.searchParams.get('activeDays') ?? 30) })
      if (url.pathname === '/api/collabs/guests') return json(200, removed ? { total: 1, rows: [row(1, 'invited')] } : { total: 2, rows: [row(1, 'invited'), row(2, 'active')] })
      if (init.method === 'POST' && url.pathname === '/api/collabs/11/guests/2/remove') {
        removed = true
        return json(200, { ok: true, via: 'sonet_group.user.delete' })
      }
      if (url.pathname === '/api/collabs/11/guests/1/remind') return json(409, { error: { code: 'not_available', message: 'No reinvite', details: { collabUrl: SUMMARY.collabs[0]!.url } } })
      return json(404, { error: { code: 'not_found', message: url.pathname } })
    })
    const { useCollabsStore } = await vi.importActual<{ useCollabsStore(): CollabsStore }>(`${CLIENT}/stores/collabs.ts`)
    const store = useCollabsStore()
    await Promise.all([store.loadSummary(), store.loadGuests()])
    expect(store.activeDays).toBe(30)
    expect(store.guests).toHaveLength(2)

    await store.guestAction('remove', store.guests[1]!)
    expect(store.guests.map(g => g.userId)).toEqual([1])
    expect(calls.filter(c => c.url.pathname === '/api/collabs/summary')).toHaveLength(2)

    const error = (await store.guestAction('remind', store.guests[0]!).catch((e: unknown) => e)) as ApiErrorLike
    expect(error.status).toBe(409)
    expect(error.code).toBe('not_available')
    expect(error.details).toEqual({ collabUrl: SUMMARY.collabs[0]!.url })
  })
})

describe('access reviews store', () => {
  beforeEach(freshPinia)
  afterEach(() => vi.unstubAllGlobals())

  it('counts what waits for the viewer in open reviews only, and points to the one due first', async () => {
    const review = (id: number, status: string, dueAt: number, pending: number) => ({
      id, status, startedBy: 1, startedAt: 1, dueAt, closedAt: null, unanswered: 'keep', collabIds: null,
      counts: { total: 5, kept: 0, ended: 0, pending: 5 }, mine: { total: pending, pending },
    })
    stubFetch(() => json(200, { reviews: [review(1, 'open', 300, 2), review(2, 'open', 200, 1), review(3, 'closed', 100, 4), review(4, 'open', 100, 0)] }))
    const { useCollabReviewsStore } = await vi.importActual<{ useCollabReviewsStore(): ReviewsStore }>(`${CLIENT}/stores/collabReviews.ts`)
    const store = useCollabReviewsStore()
    await store.loadReviews()
    expect(store.myPending).toBe(3)
    expect(store.myNextReview?.id).toBe(2)
  })
})

describe('collab texts', () => {
  const SECTIONS = ['collabView', 'collabFormat', 'collabOverview', 'collabChart', 'collabSync', 'collabList', 'collabGuests', 'collabInvite', 'collabReviews', 'collabReview', 'collabSettings', 'collabErrors']

  function leaves(node: unknown, path: string, out: Map<string, string>): Map<string, string> {
    if (typeof node === 'string') out.set(path, node)
    else if (node && typeof node === 'object') for (const [key, value] of Object.entries(node)) leaves(value, path ? `${path}.${key}` : key, out)
    return out
  }

  it('every plural has the Russian forms for its English ones (zero | one | many → zero | one | few | many)', async () => {
    const en = (await vi.importActual<{ default: Record<string, unknown> }>(`${CLIENT}/i18n/work/en.ts`)).default
    const ru = (await vi.importActual<{ default: Record<string, unknown> }>(`${CLIENT}/i18n/work/ru.ts`)).default
    const checked: string[] = []
    for (const section of SECTIONS) {
      const enLeaves = leaves(en[section], section, new Map())
      const ruLeaves = leaves(ru[section], section, new Map())
      expect([...ruLeaves.keys()]).toEqual([...enLeaves.keys()])
      for (const [key, text] of enLeaves) {
        const enForms = text.split(' | ').length
        if (enForms === 1) continue
        checked.push(key)
        expect(ruLeaves.get(key)!.split(' | ').length, key).toBe(enForms + 1)
      }
    }
    expect(checked.length).toBeGreaterThan(10)
  })

  it('picks the right Russian form', async () => {
    const { russianPlural } = await vi.importActual<{ russianPlural(n: number, l: number): number }>(`${CLIENT}/i18n/plural.ts`)
    const ru = (await vi.importActual<{ default: { collabGuests: { total: string } } }>(`${CLIENT}/i18n/work/ru.ts`)).default
    const forms = ru.collabGuests.total.split(' | ')
    const pick = (n: number) => forms[russianPlural(n, forms.length)]!.replace('{count}', String(n))
    expect([pick(0), pick(1), pick(3), pick(11), pick(21), pick(25)]).toEqual(['Нет гостей', '1 гость', '3 гостя', '11 гостей', '21 гость', '25 гостей'])
  })
})
