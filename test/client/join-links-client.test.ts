/**
 * Client logic of join links (issue 8), without a browser, against the API contract with a stubbed
 * fetch: the list's query (status filter, search, pages by offset, a newer page winning), one link opened
 * with its joins paged, create/pause/resume/revoke updating the row and the opened link, the QR fetched
 * with the bearer token; the form's checks (domains, cap, expiry, a non-administrator's limits), what an
 * edit sends, the server's 400 details mapped onto the fields; and the status and warning wording in
 * English and Russian (plural forms included), with the section in the navigation.
 *
 * NOTE: client modules are loaded with vi.importActual and typed locally (see session-flow.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

const CLIENT = '../../client/src'

interface HttpModule {
  configureAuth(handlers: { getToken: () => string | null; renewToken: (stale: string | null) => Promise<string> } | null): void
}
interface ApiErrorLike {
  status: number
  code: string
  message: string
  details?: unknown
}
interface StatsLike {
  views: number
  joins: number
  awaiting: number
  approved: number
  declined: number
  invited: number
  accepted: number
  failed: number
}
interface LinkLike {
  id: string
  name: string
  url: string
  target: { kind: string; id: number; name: string | null }
  templateId: string | null
  templateName: string | null
  expiresAt: number | null
  cap: number | null
  uses: number
  allowedDomains: string[]
  approval: boolean
  state: string
  status: string
  warnings: string[]
  createdBy: number
  createdByName: string
  createdAt: number
  updatedAt: number
  stats: StatsLike
  canManage: boolean
}
interface JoinLike {
  id: string
  email: string
  state: string
}
interface InputLike {
  name: string
  target: { kind: string; id: number }
  templateId: string | null
  expiresOn: string | null
  cap: number | null
  allowedDomains: string[]
  approval: boolean
}
interface JoinLinksStore {
  filters: { status: string; q: string }
  offset: number
  page: number
  pageCount: number
  rows: LinkLike[]
  total: number
  canCreate: boolean | null
  listStatus: string
  listError: ApiErrorLike | null
  hasFilters: boolean
  linkId: string | null
  link: LinkLike | null
  linkStatus: string
  linkError: ApiErrorLike | null
  joins: JoinLike[]
  joinsTotal: number
  joinsOffset: number
  joinsStatus: string
  busy: { id: string; action: string } | null
  loadList(): Promise<void>
  setFilters(patch: Record<string, unknown>): Promise<void>
  resetFilters(): Promise<void>
  setPage(page: number): Promise<void>
  openLink(id: string): Promise<void>
  closeLink(): void
  loadJoins(): Promise<void>
  setJoinsPage(page: number): Promise<void>
  create(input: InputLike): Promise<LinkLike>
  update(id: string, patch: Partial<InputLike>): Promise<LinkLike>
  pause(id: string): Promise<LinkLike>
  resume(id: string): Promise<LinkLike>
  revoke(id: string): Promise<LinkLike>
}
interface DraftLike {
  name: string
  targetKind: string
  targetIds: Record<string, number | null>
  templateId: string
  expiresOn: string
  cap: string
  domains: string
  approval: boolean
}
interface FormModule {
  emptyJoinLinkDraft(): DraftLike
  managerJoinLinkDraft(today: string): DraftLike
  draftFromLink(link: LinkLike): DraftLike
  normalizeDomain(text: string): string | null
  parseDomains(text: string): { domains: string[]; invalid: string[] }
  parseCap(text: string): number | null | undefined
  validateJoinLink(draft: DraftLike, rules: { today: string; manager: boolean }): Record<string, string>
  inputFromDraft(draft: DraftLike): InputLike
  patchFromDraft(draft: DraftLike, link: LinkLike): Partial<InputLike>
  serverFieldErrors(details: unknown): { fields: Record<string, string>; other: string[] }
  addDays(day: string, days: number): string
  daysUntil(at: number, now: number): number
  inviteKindOf(kind: string): string
}
type Translate = (key: string, named?: Record<string, unknown>, plural?: number) => string
interface TextsLike {
  statusLabel(status: string): string
  statusExplanation(link: Pick<LinkLike, 'status' | 'expiresAt' | 'cap'>): string
  warningText(link: Pick<LinkLike, 'uses' | 'cap' | 'expiresAt'>, warning: string, now: number): string
  usageText(link: Pick<LinkLike, 'uses' | 'cap'>): string
  expiryText(link: Pick<LinkLike, 'expiresAt'>): string
  targetName(target: LinkLike['target']): string
  joinStateLabel(state: string): string
}
interface FormatModule {
  joinLinkTexts(t: Translate, lang: 'ru' | 'en'): TextsLike
}

type Handler = (url: URL, init: RequestInit) => Response | Promise<Response>
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
const notFound = (url: URL) => json(404, { error: { code: 'not_found', message: url.pathname } })

let calls: Array<{ method: string; url: URL; body: unknown; headers: Record<string, string> }>
function stubFetch(handler: Handler): void {
  calls = []
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
    const parsed = new URL(url, 'http://app.test')
    calls.push({ method: init.method ?? 'GET', url: parsed, body: init.body ? JSON.parse(String(init.body)) : undefined, headers: { ...(init.headers as Record<string, string>) } })
    return handler(parsed, init)
  }))
}
const callsTo = (method: string, pathname: string) => calls.filter(call => call.method === method && call.url.pathname === pathname)
const query = (call: { url: URL } | undefined) => Object.fromEntries(call!.url.searchParams)

async function freshPinia(): Promise<void> {
  vi.resetModules()
  const http = await vi.importActual<HttpModule>(`${CLIENT}/api/http.ts`)
  http.configureAuth({ getToken: () => 'TOKEN', renewToken: async () => 'TOKEN' })
  const { createPinia, setActivePinia } = await vi.importActual<{ createPinia(): unknown; setActivePinia(p: unknown): void }>('pinia')
  setActivePinia(createPinia())
}

async function joinLinksStore(): Promise<JoinLinksStore> {
  const { useJoinLinksStore } = await vi.importActual<{ useJoinLinksStore(): JoinLinksStore }>(`${CLIENT}/stores/joinLinks.ts`)
  return useJoinLinksStore()
}
const formModule = () => vi.importActual<FormModule>(`${CLIENT}/components/joinLinks/joinLinkForm.ts`)

const LINK_ID = '3f1c2b7a-9d4e-4c1a-8b2f-6e5d4c3b2a10'
const OTHER_ID = '8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c21'
const DAY = 86_400_000
/** 2026-03-10 12:00 UTC. */
const NOW = Date.UTC(2026, 2, 10, 12)
const endOf = (day: string) => Date.parse(`${day}T23:59:59.999Z`)

const stats = (patch: Partial<StatsLike> = {}): StatsLike => ({ views: 40, joins: 12, awaiting: 2, approved: 3, declined: 1, invited: 9, accepted: 6, failed: 1, ...patch })
const link = (id: string, patch: Partial<LinkLike> = {}): LinkLike => ({
  id, name: 'Partners 2026', url: `https://app.test/join/tok-${id.slice(0, 8)}`, target: { kind: 'group', id: 12, name: 'Partners' },
  templateId: null, templateName: null, expiresAt: endOf('2026-03-31'), cap: 100, uses: 12, allowedDomains: [], approval: false,
  state: 'active', status: 'active', warnings: [], createdBy: 1, createdByName: 'Anna Admin', createdAt: NOW - 5 * DAY, updatedAt: NOW - DAY,
  stats: stats(), canManage: true, ...patch,
})
const join = (id: string, patch: Partial<JoinLike> = {}) => ({
  id, email: `${id.slice(0, 4)}@example.com`, name: 'Ivan', lastName: null, state: 'sent', invitation: { id: `inv-${id}`, state: 'pending' },
  error: null, requestId: null, jobId: 'job-1', createdAt: NOW, ...patch,
})

// ---------------------------------------------------------------------------------------------------

describe('join links list: query, filter and pages', () => {
  beforeEach(freshPinia)
  afterEach(() => vi.unstubAllGlobals())

  it('leaves empty filters out, trims the search and always sends the page', async () => {
    const api = await vi.importActual<{ joinLinkQuery(q: unknown): Record<string, unknown>; JOIN_LINKS_PAGE_SIZE: number }>(`${CLIENT}/api/joinLinks.ts`)
    expect(api.JOIN_LINKS_PAGE_SIZE).toBe(50)
    expect(api.joinLinkQuery({ status: '', q: '  ', offset: 0 })).toEqual({ status: undefined, q: undefined, limit: 50, offset: 0 })
    expect(api.joinLinkQuery({ status: 'paused', q: ' partners ', offset: 100.7, limit: 20 })).toEqual({ status: 'paused', q: 'partners', limit: 20, offset: 100 })
  })

  it('sends the status and search as the query string, goes back to the first page on a filter, pages by offset; canCreate comes from the answer', async () => {
    let canCreate = false
    stubFetch(url => (url.pathname === '/api/join-links' ? json(200, { rows: [link(LINK_ID)], total: 130, canCreate }) : notFound(url)))
    const store = await joinLinksStore()
    expect(store.canCreate).toBeNull()

    await store.loadList()
    expect(query(calls.at(-1))).toEqual({ limit: '50', offset: '0' })
    expect(calls.at(-1)!.headers.Authorization).toBe('Bearer TOKEN')
    expect([store.total, store.rows.length, store.listStatus, store.pageCount, store.canCreate]).toEqual([130, 1, 'ready', 3, false])

    await store.setPage(3)
    expect([store.offset, store.page]).toEqual([100, 3])
    expect(query(calls.at(-1))).toEqual({ limit: '50', offset: '100' })

    canCreate = true
    await store.setFilters({ status: 'full' })
    expect(store.offset).toBe(0)
    expect(store.hasFilters).toBe(true)
    expect(store.canCreate).toBe(true)
    expect(query(calls.at(-1))).toEqual({ status: 'full', limit: '50', offset: '0' })

    await store.setFilters({ q: '  Partners ' })
    expect(query(calls.at(-1))).toEqual({ status: 'full', q: 'Partners', limit: '50', offset: '0' })

    await store.setPage(2)
    await store.resetFilters()
    expect(store.filters).toEqual({ status: '', q: '' })
    expect(store.hasFilters).toBe(false)
    expect(query(calls.at(-1))).toEqual({ limit: '50', offset: '0' })
  })

  it('a newer page wins over an older one still in flight; a failure is kept as the list error', async () => {
    let release: (() => void) | undefined
    let fail = false
    stubFetch(async url => {
      if (fail) return json(403, { error: { code: 'forbidden', message: 'No' } })
      if (url.searchParams.get('offset') === '0') await new Promise<void>(resolve => (release = resolve))
      return json(200, { rows: [link(`aaaaaaaa-0000-4000-8000-${url.searchParams.get('offset')!.padStart(12, '0')}`)], total: 75, canCreate: true })
    })
    const store = await joinLinksStore()
    const first = store.loadList()
    await vi.waitFor(() => expect(release).toBeTypeOf('function'))
    await store.setPage(2)
    release!()
    await first
    expect(store.offset).toBe(50)
    expect(store.rows[0]!.id).toBe('aaaaaaaa-0000-4000-8000-000000000050')

    fail = true
    await store.loadList()
    expect(store.listStatus).toBe('error')
    expect(store.listError?.code).toBe('forbidden')
  })
})

// ---------------------------------------------------------------------------------------------------

describe('one join link: details, joins and changes', () => {
  beforeEach(freshPinia)
  afterEach(() => vi.unstubAllGlobals())

  it('opens a link from its row at once, then the fresh copy; its joins are paged; a 404 is the link error', async () => {
    stubFetch(url => {
      if (url.pathname === '/api/join-links') return json(200, { rows: [link(LINK_ID, { uses: 1 })], total: 1, canCreate: true })
      if (url.pathname === `/api/join-links/${LINK_ID}`) return json(200, link(LINK_ID, { uses: 12 }))
      if (url.pathname === `/api/join-links/${LINK_ID}/joins`) {
        const offset = Number(url.searchParams.get('offset'))
        return json(200, { rows: [join(`j${offset}-0000-4000-8000-000000000000`)], total: 61 })
      }
      if (url.pathname.startsWith('/api/join-links/')) return json(404, { error: { code: 'join_link_not_found', message: 'There is no such join link' } })
      return notFound(url)
    })
    const store = await joinLinksStore()
    await store.loadList()

    const opening = store.openLink(LINK_ID)
    expect(store.linkId).toBe(LINK_ID)
    expect(store.link?.uses).toBe(1) // the row's copy at once
    await opening
    expect(store.linkStatus).toBe('ready')
    expect(store.link?.uses).toBe(12)
    expect(store.rows[0]!.uses).toBe(12) // the row follows

    await store.loadJoins()
    expect(query(callsTo('GET', `/api/join-links/${LINK_ID}/joins`).at(-1))).toEqual({ limit: '50', offset: '0' })
    expect([store.joinsTotal, store.joins.length, store.joinsStatus]).toEqual([61, 1, 'ready'])
    await store.setJoinsPage(2)
    expect(store.joinsOffset).toBe(50)
    expect(query(callsTo('GET', `/api/join-links/${LINK_ID}/joins`).at(-1))).toEqual({ limit: '50', offset: '50' })
    expect(store.joins[0]!.id).toBe('j50-0000-4000-8000-000000000000')

    await store.openLink(OTHER_ID)
    expect(store.linkStatus).toBe('error')
    expect([store.linkError?.status, store.linkError?.code]).toEqual([404, 'join_link_not_found'])
    expect(store.joins).toEqual([]) // another link: the joins start over
    store.closeLink()
    expect([store.linkId, store.link, store.linkStatus]).toEqual([null, null, 'idle'])
  })

  it('creates with the input as the body and reads the shown list again; a 400 carries its field details', async () => {
    const details = [{ path: 'allowedDomains.1', message: 'Invalid domain' }, { path: 'cap', message: 'Number must be less than or equal to 1000' }]
    let reject = false
    stubFetch((url, init) => {
      if (url.pathname === '/api/join-links' && init.method === 'POST') {
        if (reject) return json(400, { error: { code: 'bad_request', message: 'The request is not valid', details } })
        return json(201, link(OTHER_ID, { name: (JSON.parse(String(init.body)) as InputLike).name }))
      }
      if (url.pathname === '/api/join-links') return json(200, { rows: [link(LINK_ID)], total: 1, canCreate: true })
      return notFound(url)
    })
    const store = await joinLinksStore()
    await store.loadList()
    const input: InputLike = {
      name: 'Fair 2026', target: { kind: 'collab', id: 40 }, templateId: null, expiresOn: '2026-04-01', cap: 200, allowedDomains: ['example.com'], approval: true,
    }
    const created = await store.create(input)
    expect(created.id).toBe(OTHER_ID)
    expect(callsTo('POST', '/api/join-links')[0]!.body).toEqual(input)
    await vi.waitFor(() => expect(callsTo('GET', '/api/join-links')).toHaveLength(2))

    reject = true
    const error = (await store.create({ ...input, cap: 5000 }).catch((e: unknown) => e)) as ApiErrorLike
    expect([error.status, error.code]).toEqual([400, 'bad_request'])
    expect(error.details).toEqual(details)
    const form = await formModule()
    expect(form.serverFieldErrors(error.details)).toEqual({ fields: { allowedDomains: 'Invalid domain', cap: 'Number must be less than or equal to 1000' }, other: [] })
  })

  it('pauses, resumes and revokes through POSTs; the row and the opened link follow; a 409 stays an error', async () => {
    let state = 'active'
    stubFetch((url, init) => {
      if (url.pathname === '/api/join-links') return json(200, { rows: [link(LINK_ID), link(OTHER_ID)], total: 2, canCreate: true })
      const action = /^\/api\/join-links\/[^/]+\/(pause|resume|revoke)$/.exec(url.pathname)?.[1]
      if (action && init.method === 'POST') {
        if (state === 'revoked') return json(409, { error: { code: 'join_link_revoked', message: 'The link is revoked' } })
        state = action === 'pause' ? 'paused' : action === 'resume' ? 'active' : 'revoked'
        return json(200, link(LINK_ID, { state, status: state }))
      }
      if (url.pathname === `/api/join-links/${LINK_ID}` && init.method === 'PATCH') return json(200, link(LINK_ID, { ...(JSON.parse(String(init.body)) as object), state, status: state }))
      if (url.pathname === `/api/join-links/${LINK_ID}`) return json(200, link(LINK_ID, { state, status: state }))
      return notFound(url)
    })
    const store = await joinLinksStore()
    await store.loadList()
    await store.openLink(LINK_ID)

    const pausing = store.pause(LINK_ID)
    expect(store.busy).toEqual({ id: LINK_ID, action: 'pause' })
    await pausing
    expect(store.busy).toBeNull()
    expect([store.link?.status, store.rows[0]!.status, store.rows[1]!.status]).toEqual(['paused', 'paused', 'active'])

    await store.resume(LINK_ID)
    expect(store.link?.status).toBe('active')

    const renamed = await store.update(LINK_ID, { name: 'Partners, spring' })
    expect(callsTo('PATCH', `/api/join-links/${LINK_ID}`)[0]!.body).toEqual({ name: 'Partners, spring' })
    expect([renamed.name, store.rows[0]!.name]).toEqual(['Partners, spring', 'Partners, spring'])

    await store.revoke(LINK_ID)
    expect([store.link?.state, store.rows[0]!.status]).toEqual(['revoked', 'revoked'])
    expect(calls.filter(call => call.method === 'POST').map(call => call.url.pathname.split('/').at(-1))).toEqual(['pause', 'resume', 'revoke'])

    const error = (await store.pause(LINK_ID).catch((e: unknown) => e)) as ApiErrorLike
    expect([error.status, error.code]).toEqual([409, 'join_link_revoked'])
    expect(store.link?.state).toBe('revoked')
    expect(store.busy).toBeNull()
  })

  it('fetches the QR code with the bearer token; ?download=1 asks for the attachment and its file name', async () => {
    stubFetch(url => {
      if (url.pathname === `/api/join-links/${LINK_ID}/qr.svg`) return new Response('<svg xmlns="http://www.w3.org/2000/svg"/>', { status: 200, headers: { 'content-type': 'image/svg+xml' } })
      if (url.pathname === `/api/join-links/${LINK_ID}/qr.png`) {
        return new Response(new Uint8Array([0x89, 0x50, 0x4e, 0x47]), { status: 200, headers: { 'content-type': 'image/png', 'content-disposition': 'attachment; filename="partners-2026.png"' } })
      }
      return notFound(url)
    })
    const api = await vi.importActual<{ getJoinLinkQr(id: string, format: string, download?: boolean): Promise<{ blob: Blob; fileName: string }> }>(`${CLIENT}/api/joinLinks.ts`)
    const svg = await api.getJoinLinkQr(LINK_ID, 'svg')
    expect(await svg.blob.text()).toContain('<svg')
    expect(svg.fileName).toBe('join-link-qr.svg')
    expect(query(calls[0])).toEqual({})
    expect(calls[0]!.headers.Authorization).toBe('Bearer TOKEN')

    const png = await api.getJoinLinkQr(LINK_ID, 'png', true)
    expect(query(calls[1])).toEqual({ download: '1' })
    expect(png.fileName).toBe('partners-2026.png')
    expect(png.blob.size).toBe(4)
  })
})

// ---------------------------------------------------------------------------------------------------

describe('join link form: checks, what is sent, server errors', () => {
  const TODAY = '2026-03-10'
  const ADMIN = { today: TODAY, manager: false }
  const MANAGER = { today: TODAY, manager: true }

  function filled(form: FormModule, patch: Partial<DraftLike> = {}): DraftLike {
    const draft = form.emptyJoinLinkDraft()
    draft.name = '  Partners 2026 '
    draft.targetIds.group = 12
    return { ...draft, ...patch }
  }

  it('domains: "example.com" form, lower case, a leading @ dropped, international names as punycode; the rest is invalid', async () => {
    const form = await formModule()
    expect(form.normalizeDomain('Example.COM')).toBe('example.com')
    expect(form.normalizeDomain('@partner.org')).toBe('partner.org')
    expect(form.normalizeDomain('mail.sub.example.co.uk')).toBe('mail.sub.example.co.uk')
    expect(form.normalizeDomain('пример.рф')).toBe('xn--e1afmkfd.xn--p1ai')
    for (const bad of ['ann@example.com', 'localhost', 'example', '-bad.com', 'bad-.com', 'exa mple.com', 'http://example.com', 'example.c', 'example..com', '.com']) {
      expect(form.normalizeDomain(bad), bad).toBeNull()
    }
    expect(form.parseDomains(' example.com, Partner.org;example.com\n@x.io  ann@y.com, foo ')).toEqual({ domains: ['example.com', 'partner.org', 'x.io'], invalid: ['ann@y.com', 'foo'] })
    expect(form.parseDomains('')).toEqual({ domains: [], invalid: [] })

    expect(form.validateJoinLink(filled(form, { domains: 'example.com, ann@y.com' }), ADMIN)).toEqual({ allowedDomains: 'domainsInvalid' })
    const many = Array.from({ length: 51 }, (_, i) => `d${i}.example.com`).join(', ')
    expect(form.validateJoinLink(filled(form, { domains: many }), ADMIN)).toEqual({ allowedDomains: 'domainsTooMany' })
    expect(form.validateJoinLink(filled(form, { domains: 'example.com partner.org' }), ADMIN)).toEqual({})
  })

  it('cap: empty is no cap, else a whole number 1..10000; a non-administrator needs one of at most 1000', async () => {
    const form = await formModule()
    expect(['', ' 7 ', '10000', '0', '10001', '2.5', '-3', 'ten'].map(text => form.parseCap(text))).toEqual([null, 7, 10_000, undefined, undefined, undefined, undefined, undefined])
    expect(form.validateJoinLink(filled(form, { cap: '0' }), ADMIN)).toEqual({ cap: 'capInvalid' })
    expect(form.validateJoinLink(filled(form, { cap: '10001' }), ADMIN)).toEqual({ cap: 'capInvalid' })
    expect(form.validateJoinLink(filled(form, { cap: '' }), ADMIN)).toEqual({})
    expect(form.validateJoinLink(filled(form, { cap: '', expiresOn: '2026-04-01' }), MANAGER)).toEqual({ cap: 'capRequired' })
    expect(form.validateJoinLink(filled(form, { cap: '1001', expiresOn: '2026-04-01' }), MANAGER)).toEqual({ cap: 'capTooHigh' })
    expect(form.validateJoinLink(filled(form, { cap: '1000', expiresOn: '2026-04-01' }), MANAGER)).toEqual({})
  })

  it('expiry: a real day, today or later; a non-administrator needs one at most 90 days ahead', async () => {
    const form = await formModule()
    expect(form.validateJoinLink(filled(form, { expiresOn: '2026-03-09' }), ADMIN)).toEqual({ expiresOn: 'expiryPast' })
    expect(form.validateJoinLink(filled(form, { expiresOn: '2026-02-31' }), ADMIN)).toEqual({ expiresOn: 'expiryInvalid' })
    expect(form.validateJoinLink(filled(form, { expiresOn: TODAY }), ADMIN)).toEqual({})
    expect(form.validateJoinLink(filled(form, { expiresOn: '2030-01-01' }), ADMIN)).toEqual({})
    expect(form.addDays(TODAY, 90)).toBe('2026-06-08')
    expect(form.validateJoinLink(filled(form, { cap: '10', expiresOn: '' }), MANAGER)).toEqual({ expiresOn: 'expiryRequired' })
    expect(form.validateJoinLink(filled(form, { cap: '10', expiresOn: '2026-06-09' }), MANAGER)).toEqual({ expiresOn: 'expiryTooFar' })
    expect(form.validateJoinLink(filled(form, { cap: '10', expiresOn: '2026-06-08' }), MANAGER)).toEqual({})
    // A manager's new link starts within the limits.
    expect(form.validateJoinLink({ ...form.managerJoinLinkDraft(TODAY), name: 'x', targetIds: { department: null, group: 3, collab: null } }, MANAGER)).toEqual({})
  })

  it('name and target are required; the target is the chosen kind’s', async () => {
    const form = await formModule()
    const empty = form.emptyJoinLinkDraft()
    expect(form.validateJoinLink(empty, ADMIN)).toEqual({ name: 'nameRequired', target: 'targetRequired' })
    expect(form.validateJoinLink(filled(form, { name: 'x'.repeat(121) }), ADMIN)).toEqual({ name: 'nameTooLong' })
    // A group was chosen, then the kind switched to departments: no department yet.
    expect(form.validateJoinLink(filled(form, { targetKind: 'department' }), ADMIN)).toEqual({ target: 'targetRequired' })
    expect([form.inviteKindOf('department'), form.inviteKindOf('group'), form.inviteKindOf('collab')]).toEqual(['intranet', 'extranet', 'extranet'])
  })

  it('sends the trimmed input; an edit sends only what changed (an expired link’s past date is not sent back)', async () => {
    const form = await formModule()
    expect(form.inputFromDraft(filled(form, { templateId: 'tpl-1', expiresOn: '2026-04-01', cap: ' 25 ', domains: '@Example.com, partner.org', approval: true }))).toEqual({
      name: 'Partners 2026', target: { kind: 'group', id: 12 }, templateId: 'tpl-1', expiresOn: '2026-04-01', cap: 25, allowedDomains: ['example.com', 'partner.org'], approval: true,
    })
    expect(form.inputFromDraft(filled(form))).toMatchObject({ templateId: null, expiresOn: null, cap: null, allowedDomains: [] })

    const expired = link(LINK_ID, { expiresAt: endOf('2026-03-01'), status: 'expired', allowedDomains: ['example.com'] })
    const draft = form.draftFromLink(expired)
    expect(draft).toMatchObject({ name: 'Partners 2026', targetKind: 'group', expiresOn: '2026-03-01', cap: '100', domains: 'example.com' })
    expect(form.patchFromDraft(draft, expired)).toEqual({})
    draft.name = 'Partners 2026 (spring)'
    expect(form.patchFromDraft(draft, expired)).toEqual({ name: 'Partners 2026 (spring)' })
    // Still flagged as past by the plain check: the form drops that problem for an unchanged date.
    expect(form.validateJoinLink(draft, ADMIN)).toEqual({ expiresOn: 'expiryPast' })
    draft.expiresOn = '2026-05-01'
    draft.cap = ''
    draft.targetKind = 'collab'
    draft.targetIds.collab = 40
    draft.domains = 'example.com, partner.org'
    expect(form.patchFromDraft(draft, expired)).toEqual({
      name: 'Partners 2026 (spring)', expiresOn: '2026-05-01', cap: null, target: { kind: 'collab', id: 40 }, allowedDomains: ['example.com', 'partner.org'],
    })
  })

  it('maps the server’s 400 paths onto the fields (first message each); the rest is shown above the form', async () => {
    const form = await formModule()
    expect(form.serverFieldErrors([
      { path: 'name', message: 'Too long' },
      { path: 'target.id', message: 'No such group' },
      { path: 'target', message: 'second message for target' },
      { path: ['expiresOn'], message: 'Must be today or later' },
      { path: 'templateId', message: 'An employee template cannot invite guests' },
      { path: 'approval', message: 'Your invite policy requires approval for every invitation' },
      { path: 'somethingElse', message: 'Unexpected' },
      null,
    ])).toEqual({
      fields: {
        name: 'Too long', target: 'No such group', expiresOn: 'Must be today or later', templateId: 'An employee template cannot invite guests',
        approval: 'Your invite policy requires approval for every invitation',
      },
      other: ['Unexpected'],
    })
    expect(form.serverFieldErrors(undefined)).toEqual({ fields: {}, other: [] })
  })
})

// ---------------------------------------------------------------------------------------------------

describe('join link texts in English and Russian', () => {
  interface I18nLike {
    global: { t: (key: string, named?: Record<string, unknown>, plural?: number) => string }
  }

  function leaves(node: unknown, path: string, out: Map<string, string>): Map<string, string> {
    if (typeof node === 'string') out.set(path, node)
    else if (node && typeof node === 'object') for (const [key, value] of Object.entries(node)) leaves(value, path ? `${path}.${key}` : key, out)
    return out
  }

  /** The first page's catalog with the working sections' one (where join links live: they load with their view). */
  async function catalogs() {
    const load = async (path: string) => (await vi.importActual<{ default: Record<string, unknown> }>(`${CLIENT}/i18n/${path}`)).default
    return { en: { ...(await load('en.ts')), ...(await load('work/en.ts')) }, ru: { ...(await load('ru.ts')), ...(await load('work/ru.ts')) } }
  }

  async function texts(lang: 'ru' | 'en'): Promise<TextsLike> {
    const { en, ru } = await catalogs()
    const { createI18n } = await vi.importActual<{ createI18n(options: Record<string, unknown>): I18nLike }>('vue-i18n')
    const { russianPlural } = await vi.importActual<{ russianPlural(n: number, l: number): number }>(`${CLIENT}/i18n/plural.ts`)
    const i18n = createI18n({ legacy: false, locale: lang, fallbackLocale: 'en', messages: { en, ru }, pluralRules: { ru: russianPlural }, missingWarn: false, fallbackWarn: false })
    const t: Translate = (key, named = {}, plural) => (plural === undefined ? i18n.global.t(key, named) : i18n.global.t(key, named, plural))
    const format = await vi.importActual<FormatModule>(`${CLIENT}/components/joinLinks/format.ts`)
    return format.joinLinkTexts(t, lang)
  }

  const nearCap = link(LINK_ID, { uses: 8, cap: 10, warnings: ['near_cap'] })
  const inDays = (days: number) => link(LINK_ID, { expiresAt: endOf(new Date(NOW + days * DAY).toISOString().slice(0, 10)), warnings: ['near_expiry'] })

  it('says the status and the warnings in words (English)', async () => {
    const en = await texts('en')
    expect(['active', 'paused', 'revoked', 'expired', 'full'].map(en.statusLabel)).toEqual(['Active', 'Paused', 'Revoked', 'Expired', 'Full'])
    expect(en.warningText(nearCap, 'near_cap', NOW)).toBe('Near its cap: 8 of 10 used')
    expect([0, 1, 2, 3].map(days => en.warningText(inDays(days), 'near_expiry', NOW))).toEqual(['Expires today', 'Expires in 1 day', 'Expires in 2 days', 'Expires in 3 days'])
    // The last minute of the day still counts as that day (UTC).
    expect(en.warningText(link(LINK_ID, { expiresAt: endOf('2026-03-12') }), 'near_expiry', Date.UTC(2026, 2, 10, 23, 59))).toBe('Expires in 2 days')
    expect(en.statusExplanation(link(LINK_ID, { status: 'full', cap: 10, uses: 10 }))).toBe('Full: all 10 places are taken; raise the cap to let more people join.')
    expect(en.statusExplanation(link(LINK_ID, { status: 'paused' }))).toContain('Paused: the page tells visitors the link is paused')
    expect(en.statusExplanation(link(LINK_ID, { status: 'expired', expiresAt: endOf('2026-03-01') }))).toBe('Expired: it worked through Mar 1, 2026 (UTC). Set a later date to use it again.')
    expect(en.usageText({ uses: 1200, cap: 5000 })).toBe('1,200 of 5,000')
    expect([0, 1, 7].map(uses => en.usageText({ uses, cap: null }))).toEqual(['Nobody yet, no cap', '1 person, no cap', '7 people, no cap'])
    expect(en.expiryText({ expiresAt: null })).toBe('No end date')
    // The link's last day, not the local date of its last millisecond.
    expect(en.expiryText({ expiresAt: endOf('2026-03-31') })).toBe('Mar 31, 2026')
    expect(en.targetName({ kind: 'collab', id: 40, name: null })).toBe('Collab #40')
    expect(en.joinStateLabel('awaiting_approval')).toBe('Waiting for approval')
  })

  it('says the status and the warnings in words (Russian, with plural forms)', async () => {
    const ru = await texts('ru')
    expect(['active', 'paused', 'revoked', 'expired', 'full'].map(ru.statusLabel)).toEqual(['Активна', 'Приостановлена', 'Отозвана', 'Истекла', 'Заполнена'])
    expect(ru.warningText(nearCap, 'near_cap', NOW)).toBe('Лимит почти исчерпан: занято 8 из 10')
    expect([0, 1, 2, 5, 21, 22].map(days => ru.warningText(inDays(days), 'near_expiry', NOW))).toEqual([
      'Истекает сегодня', 'Истекает через 1 день', 'Истекает через 2 дня', 'Истекает через 5 дней', 'Истекает через 21 день', 'Истекает через 22 дня',
    ])
    expect([1, 3, 10].map(cap => ru.statusExplanation(link(LINK_ID, { status: 'full', cap, uses: cap })))).toEqual([
      'Заполнена: занято 1 место из 1; увеличьте лимит, чтобы присоединились и другие.',
      'Заполнена: заняты все 3 места; увеличьте лимит, чтобы присоединились и другие.',
      'Заполнена: заняты все 10 мест; увеличьте лимит, чтобы присоединились и другие.',
    ])
    expect([0, 1, 3, 5].map(uses => ru.usageText({ uses, cap: null }))).toEqual([
      'Пока никого, без лимита', '1 человек, без лимита', '3 человека, без лимита', '5 человек, без лимита',
    ])
    expect(ru.usageText({ uses: 8, cap: 10 })).toBe('8 из 10')
    expect(ru.statusExplanation(link(LINK_ID, { status: 'revoked' }))).toBe('Отозвана: ссылка больше не работает и не заработает.')
    expect(ru.targetName({ kind: 'department', id: 5, name: null })).toBe('Отдел №5')
    expect(ru.targetName({ kind: 'group', id: 5, name: 'Партнёры' })).toBe('Партнёры')
  })

  it('the catalogs match key for key, every plural has its Russian forms, and the section is in the menu after Requests', async () => {
    const { en, ru } = await catalogs()
    const pairs: Array<[string, unknown, unknown]> = [
      ['joinLinks', en.joinLinks, ru.joinLinks],
      ['joinLinksPolicy', en.joinLinksPolicy, ru.joinLinksPolicy],
      ['nav', en.nav, ru.nav],
      ['errors.codes', (en.errors as Record<string, unknown>).codes, (ru.errors as Record<string, unknown>).codes],
    ]
    const checked: string[] = []
    for (const [section, enNode, ruNode] of pairs) {
      const enLeaves = leaves(enNode, section, new Map())
      const ruLeaves = leaves(ruNode, section, new Map())
      expect(enLeaves.size, section).toBeGreaterThan(0)
      expect([...ruLeaves.keys()]).toEqual([...enLeaves.keys()])
      for (const [key, text] of enLeaves) {
        const enForms = text.split(' | ').length
        if (enForms === 1) continue
        checked.push(key)
        expect(ruLeaves.get(key)!.split(' | ').length, key).toBe(enForms + 1)
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(9)
    for (const lang of [en, ru]) {
      const section = lang.joinLinks as { statuses: Record<string, string>; joinStates: Record<string, string>; invitationStates: Record<string, string>; warnings: Record<string, string> }
      expect(Object.keys(section.statuses).sort()).toEqual(['active', 'expired', 'full', 'paused', 'revoked'])
      expect(Object.keys(section.warnings).sort()).toEqual(['near_cap', 'near_expiry'])
      expect(Object.keys(section.joinStates).sort()).toEqual(['awaiting_approval', 'declined', 'dispatching', 'existing', 'failed', 'queued', 'sent'])
      expect(Object.keys(section.invitationStates).sort()).toEqual(['accepted', 'expired', 'failed', 'pending', 'revoked', 'sent'])
      const codes = (lang.errors as { codes: Record<string, string> }).codes
      expect(codes.join_link_not_found).toBeTruthy()
      expect(codes.join_link_revoked).toBeTruthy()
    }
    expect((en.nav as Record<string, string>).links).toBe('Join links')
    expect((ru.nav as Record<string, string>).links).toBe('Ссылки-приглашения')
    expect(((en.joinLinks as Record<string, Record<string, string>>).request)!.label).toBe('Join link: {name}')
    expect(((ru.joinLinks as Record<string, Record<string, string>>).request)!.label).toBe('Ссылка-приглашение: {name}')

    const nav = await vi.importActual<{ SECTIONS: readonly string[]; SECTION_ICONS: Record<string, unknown> }>(`${CLIENT}/navigation.ts`)
    expect(nav.SECTIONS.indexOf('links')).toBe(nav.SECTIONS.indexOf('requests') + 1)
    expect(nav.SECTION_ICONS.links).toBeTruthy()
  })
})
