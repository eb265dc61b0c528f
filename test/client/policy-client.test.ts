/**
 * Client logic of issue 7 (embedded tabs, the invite policy, approvals), without a browser, against the
 * API contract with a stubbed fetch: the placements' first views (and that a crafted option or link
 * cannot pick another route), the requests store (state filter and pages, what waits for the viewer,
 * decisions, a decline needs a reason), the embedded form's check and send outcomes (201 sent, 202
 * requested, 403 policy_denied) and the CRM prefill, the policy form's draft round trip with a 400 on a
 * rule's field, and the catalogs' Russian plurals of the new messages.
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
interface PlacementModule {
  initialPathFor(placement: string, options: Record<string, unknown>, hash?: string): string
  pinsHome(placement: string, options: Record<string, unknown>): boolean
  deepLinkPath(options: Record<string, unknown>, hash?: string): string | null
  embeddedPlacement(placement: string, options: Record<string, unknown>): { kind: string } | null
}
interface RequestLike {
  id: string
  state: string
  canDecide: boolean
  canCancel: boolean
  people: unknown[]
  decisionReason: string | null
}
interface RequestsStore {
  stateFilter: string
  offset: number
  page: number
  pageCount: number
  rows: RequestLike[]
  total: number
  status: string
  pendingForMe: number
  pendingMore: boolean
  pendingStatus: string
  selected: RequestLike | null
  detailStatus: string
  detailError: ApiErrorLike | null
  load(): Promise<void>
  setState(state: string): Promise<void>
  setPage(page: number): Promise<void>
  loadPending(force?: boolean): Promise<void>
  open(request: RequestLike | string): Promise<void>
  approve(id: string, note?: string): Promise<RequestLike>
  decline(id: string, reason: string): Promise<RequestLike>
  cancel(id: string): Promise<RequestLike>
}
interface Ref<T> {
  value: T
}
interface EmbeddedForm {
  departmentId: Ref<number | null>
  groupId: Ref<number | null>
  templateId: Ref<string | null>
  people: Ref<string>
  stage: Ref<string>
  error: Ref<ApiErrorLike | null>
  result: Ref<{ importId: string; decision: { decision: string; reasons?: string[] } } | null>
  outcome: Ref<{ kind: string; jobId?: string; requestId?: string; reasons?: string[] } | null>
  blocked: Ref<string | null>
  sendable: Ref<number>
  jobId: Ref<string | null>
  prefillState: Ref<string>
  check(): Promise<boolean>
  send(): Promise<unknown>
  edit(): void
  prefill(entity: string, id: number, authId: () => Promise<string | null>): Promise<string>
}
interface PolicyLike {
  rules: Array<Record<string, unknown> & { id: string; dailyQuota: number }>
  outsidePolicy: string
  departmentVisibility: boolean
  notifyInviters: boolean
}
interface RuleDraftLike {
  id: string
  whoKind: string
  whoDepartmentIds: number[]
  whoUserIds: string
  kinds: string[]
  templatesMode: string
  templateIds: string[]
  dailyQuota: string
  approval: string
  [key: string]: unknown
}
interface DraftModule {
  toDraft(policy: PolicyLike): { rules: RuleDraftLike[]; outsidePolicy: string; departmentVisibility: boolean; notifyInviters: boolean }
  fromDraft(draft: ReturnType<DraftModule['toDraft']>): PolicyLike
  newRuleDraft(id?: string): RuleDraftLike
  validatePolicy(draft: ReturnType<DraftModule['toDraft']>): Record<string, string>
  moveRule<T>(rules: readonly T[], index: number, delta: number): T[]
  ruleKey(ruleId: string, field: string): string
  serverProblems(details: unknown, sent: PolicyLike): Record<string, string>
  parseUserIds(text: string): number[] | null
}
interface PolicyStore {
  policy: PolicyLike | null
  status: string
  load(): Promise<void>
  save(next: PolicyLike): Promise<PolicyLike>
}

type Handler = (url: URL, init: RequestInit) => Response | Promise<Response>
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
const notFound = (url: URL) => json(404, { error: { code: 'not_found', message: url.pathname } })

let calls: Array<{ method: string; url: URL; body: unknown }>
function stubFetch(handler: Handler): void {
  calls = []
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
    const parsed = new URL(url, 'http://app.test')
    calls.push({ method: init.method ?? 'GET', url: parsed, body: init.body ? JSON.parse(String(init.body)) : undefined })
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

const UUID = (n: number) => `2d884bd4-0073-45fd-8317-${String(n).padStart(12, '0')}`
const request = (n: number, patch: Partial<RequestLike> & Record<string, unknown> = {}) => ({
  id: UUID(n), requestedBy: 7, placement: 'SONET_GROUP_DETAIL_TAB', kind: 'extranet', departmentId: null, groupId: 12, templateId: null,
  people: [{ email: `guest${n}@partner.example`, name: 'Anna', lastName: null }], reasons: ['your daily quota is 50 invitations (49 sent in the last 24 hours)'],
  approverId: 3, state: 'pending', decidedBy: null, decidedAt: null, decisionReason: null, jobId: null, createdAt: 1_700_000_000_000, updatedAt: 1_700_000_000_000,
  canDecide: true, canCancel: false, ...patch,
})

// ---------------------------------------------------------------------------------------------------

describe('placements: the first view', () => {
  let placement: PlacementModule
  beforeEach(async () => {
    placement = await vi.importActual<PlacementModule>(`${CLIENT}/placement.ts`)
  })

  it('a CRM contact or company tab opens the guest form of that card; the profile menu the colleague form; both pinned home', () => {
    expect(placement.initialPathFor('CRM_CONTACT_DETAIL_TAB', { ID: '12' })).toBe('/embedded/crm/contact/12')
    expect(placement.initialPathFor('CRM_COMPANY_DETAIL_TAB', { ID: 7 })).toBe('/embedded/crm/company/7')
    expect(placement.initialPathFor('USER_PROFILE_MENU', { USER_ID: '5' })).toBe('/embedded/colleague')
    expect(placement.initialPathFor('SONET_GROUP_DETAIL_TAB', { GROUP_ID: '10' })).toBe('/extranet/10')
    for (const [name, options] of [['CRM_CONTACT_DETAIL_TAB', { ID: '12' }], ['USER_PROFILE_MENU', {}], ['SONET_GROUP_DETAIL_TAB', { GROUP_ID: '10' }]] as const) {
      expect(placement.pinsHome(name, options), name).toBe(true)
    }
    expect(placement.pinsHome('DEFAULT', {})).toBe(false)
    expect(placement.embeddedPlacement('CRM_COMPANY_DETAIL_TAB', { ID: ' 9 ' })).toEqual({ kind: 'crm', entity: 'company', id: 9 })
  })

  it('a crafted option or link cannot pick another route', () => {
    // The card's id is the only option read, and it must be a plain positive number.
    for (const ID of ['12/../../settings', '12?x=1', '../automation', '0', '-3', '1e3', '99999999999', '', null, { id: 1 }]) {
      expect(placement.initialPathFor('CRM_CONTACT_DETAIL_TAB', { ID }), String(ID)).toBe('/')
      expect(placement.pinsHome('CRM_CONTACT_DETAIL_TAB', { ID }), String(ID)).toBe(false)
    }
    expect(placement.initialPathFor('CRM_CONTACT_DETAIL_TAB', { ID: '12', route: '/settings' }, '#/automation')).toBe('/embedded/crm/contact/12')
    expect(placement.initialPathFor('CRM_COMPANY_DETAIL_TAB', { ID: '3', route: '/requests' }, '#/requests')).toBe('/embedded/crm/company/3')
    expect(placement.initialPathFor('USER_PROFILE_MENU', { USER_ID: '5', route: '/automation' }, '#/settings')).toBe('/embedded/colleague')
    // A placement name is matched exactly.
    expect(placement.initialPathFor('crm_contact_detail_tab', { ID: '12' })).toBe('/')
    expect(placement.initialPathFor('CRM_DEAL_DETAIL_TAB', { ID: '12' })).toBe('/')
  })

  it('deep links may open the requests and one request, the join links and one link, nothing else', () => {
    expect(placement.deepLinkPath({}, '#/requests')).toBe('/requests')
    expect(placement.deepLinkPath({}, `#/requests/${UUID(1)}`)).toBe(`/requests/${UUID(1)}`)
    expect(placement.deepLinkPath({ route: `/requests/${UUID(2)}` })).toBe(`/requests/${UUID(2)}`)
    expect(placement.deepLinkPath({}, `#%2Frequests%2F${UUID(3)}`)).toBe(`/requests/${UUID(3)}`)
    expect(placement.initialPathFor('DEFAULT', {}, '#/requests')).toBe('/requests')
    // A join link's page (its owner's warnings name the link).
    expect(placement.deepLinkPath({}, '#/links')).toBe('/links')
    expect(placement.deepLinkPath({ route: `/links/${UUID(4)}` })).toBe(`/links/${UUID(4)}`)
    expect(placement.deepLinkPath({}, '#/links/12')).toBeNull()
    for (const hash of ['#/requests/12', `#/requests/${UUID(1)}/approve`, '#/requests/', '#/requestsX', `#/requests/${UUID(1)}?x`, '#/embedded/colleague', '#/embedded/crm/contact/1']) {
      expect(placement.deepLinkPath({}, hash), hash).toBeNull()
    }
    expect(placement.initialPathFor('DEFAULT', { route: '/embedded/crm/contact/1' })).toBe('/')
    // Still the older deep links.
    expect(placement.deepLinkPath({}, '#/collabs')).toBe('/collabs')
  })
})

// ---------------------------------------------------------------------------------------------------

describe('requests store', () => {
  beforeEach(freshPinia)
  afterEach(() => vi.unstubAllGlobals())

  async function requestsStore(): Promise<RequestsStore> {
    const { useRequestsStore } = await vi.importActual<{ useRequestsStore(): RequestsStore }>(`${CLIENT}/stores/requests.ts`)
    return useRequestsStore()
  }

  it('lists pending requests first, filters by state (any = no parameter), goes back to page 1 on a filter and pages by offset', async () => {
    stubFetch(url => (url.pathname === '/api/requests' ? json(200, { rows: [request(1)], total: 120 }) : notFound(url)))
    const store = await requestsStore()
    await store.load()
    expect(query(calls.at(-1))).toEqual({ state: 'pending', offset: '0', limit: '50' })
    expect([store.status, store.total, store.rows.length, store.pageCount]).toEqual(['ready', 120, 1, 3])

    await store.setPage(3)
    expect([store.offset, store.page]).toEqual([100, 3])
    expect(query(calls.at(-1))).toEqual({ state: 'pending', offset: '100', limit: '50' })

    await store.setState('')
    expect(store.offset).toBe(0)
    expect(query(calls.at(-1))).toEqual({ offset: '0', limit: '50' })

    await store.setPage(2)
    await store.setState('declined')
    expect(query(calls.at(-1))).toEqual({ state: 'declined', offset: '0', limit: '50' })
  })

  it('counts the pending requests the viewer may decide (not their own) for the badge and the dashboard', async () => {
    stubFetch(url => {
      if (url.pathname === '/api/requests' && url.searchParams.get('state') === 'pending') {
        return json(200, { rows: [request(1), request(2, { canDecide: false, canCancel: true }), request(3), request(4, { canDecide: true })], total: 4 })
      }
      return notFound(url)
    })
    const store = await requestsStore()
    await Promise.all([store.loadPending(), store.loadPending()])
    expect(callsTo('GET', '/api/requests')).toHaveLength(1)
    expect(query(calls[0])).toEqual({ state: 'pending', offset: '0', limit: '200' })
    expect(store.pendingForMe).toBe(3)
    expect(store.pendingMore).toBe(false)
    await store.loadPending()
    expect(callsTo('GET', '/api/requests')).toHaveLength(1) // counted once unless forced
  })

  it('approves with an optional note, declines only with a reason (nothing is sent without one), withdraws; the count follows', async () => {
    stubFetch((url, init) => {
      if (url.pathname === '/api/requests') return json(200, { rows: [request(1), request(2), request(3, { canDecide: false, canCancel: true })], total: 3 })
      const match = /^\/api\/requests\/([^/]+)\/(approve|decline|cancel)$/.exec(url.pathname)
      if (match && init.method === 'POST') {
        const state = { approve: 'approved', decline: 'declined', cancel: 'cancelled' }[match[2]!]
        const reason = (JSON.parse(String(init.body)) as { reason?: string }).reason ?? null
        return json(200, { request: request(Number(match[1]!.slice(-12)), { state, canDecide: false, canCancel: false, decisionReason: reason, jobId: state === 'approved' ? 'job-1' : null }) })
      }
      return notFound(url)
    })
    const store = await requestsStore()
    await Promise.all([store.load(), store.loadPending()])
    expect(store.pendingForMe).toBe(2)

    const refused = (await store.decline(UUID(1), '   ').catch((e: unknown) => e)) as ApiErrorLike
    expect(refused.code).toBe('reason_required')
    expect(calls.filter(call => call.method === 'POST')).toHaveLength(0)
    expect(store.pendingForMe).toBe(2)

    const approved = await store.approve(UUID(1), '  ')
    expect(callsTo('POST', `/api/requests/${UUID(1)}/approve`)[0]!.body).toEqual({})
    expect(approved.state).toBe('approved')
    expect(store.rows.find(row => row.id === UUID(1))?.state).toBe('approved')
    expect(store.pendingForMe).toBe(1)

    const declined = await store.decline(UUID(2), ' Not this quarter ')
    expect(callsTo('POST', `/api/requests/${UUID(2)}/decline`)[0]!.body).toEqual({ reason: 'Not this quarter' })
    expect(declined.decisionReason).toBe('Not this quarter')
    expect(store.pendingForMe).toBe(0)

    await store.approve(UUID(3), 'fine by me').catch(() => undefined)
    expect(callsTo('POST', `/api/requests/${UUID(3)}/approve`)[0]!.body).toEqual({ reason: 'fine by me' })
    const cancelled = await store.cancel(UUID(3))
    expect(callsTo('POST', `/api/requests/${UUID(3)}/cancel`)).toHaveLength(1)
    expect(cancelled.state).toBe('cancelled')
    expect(store.pendingForMe).toBe(0)
  })

  it('a request decided meanwhile (409) is read again; a hidden one (404) is the detail error', async () => {
    stubFetch((url, init) => {
      if (url.pathname === `/api/requests/${UUID(1)}/approve` && init.method === 'POST') return json(409, { error: { code: 'request_decided', message: 'This request has already been decided' } })
      if (url.pathname === `/api/requests/${UUID(1)}`) return json(200, { request: request(1, { state: 'declined', canDecide: false, decisionReason: 'No' }) })
      if (url.pathname === `/api/requests/${UUID(9)}`) return json(404, { error: { code: 'request_not_found', message: 'There is no such invite request' } })
      if (url.pathname === '/api/requests') return json(200, { rows: [request(1)], total: 1 })
      return notFound(url)
    })
    const store = await requestsStore()
    await store.load()
    const error = (await store.approve(UUID(1)).catch((e: unknown) => e)) as ApiErrorLike
    expect([error.status, error.code]).toEqual([409, 'request_decided'])
    await vi.waitFor(() => expect(store.rows[0]!.state).toBe('declined'))

    await store.open(UUID(9))
    expect(store.detailStatus).toBe('error')
    expect(store.detailError?.code).toBe('request_not_found')
  })
})

// ---------------------------------------------------------------------------------------------------

describe('embedded invite form: check and send', () => {
  beforeEach(freshPinia)
  afterEach(() => vi.unstubAllGlobals())

  const IMPORT = '5f0c1e52-3f6a-4a8e-9a43-2d2f5d1c9e01'
  const summary = { total: 1, ready: 1, warnings: 0, errors: 0, excluded: 0, existing: { active: 0, invited: 0, dismissed: 0, extranet: 0 } }
  const row = { rowNumber: 1, status: 'ready', email: 'anna@partner.example', phone: null, name: 'Anna', lastName: 'Smirnova', position: null, department: null, groups: [], lang: 'en', issues: [], existing: null, groupAction: null }
  const checked = (decision: unknown) => json(201, { importId: IMPORT, summary, rows: [row], decision })

  async function form(kind: 'intranet' | 'extranet'): Promise<EmbeddedForm> {
    const { useEmbeddedInvite } = await vi.importActual<{ useEmbeddedInvite(kind: string): EmbeddedForm }>(`${CLIENT}/composables/useEmbeddedInvite.ts`)
    return useEmbeddedInvite(kind)
  }

  function serve(send: () => Response, decision: unknown = { decision: 'allow', ruleId: null }) {
    stubFetch((url, init) => {
      if (url.pathname === '/api/embedded/check' && init.method === 'POST') return checked(decision)
      if (url.pathname === `/api/embedded/${IMPORT}/send` && init.method === 'POST') return send()
      return notFound(url)
    })
  }

  it('will not check without a target or a list; checks the guest list into the group', async () => {
    serve(() => json(201, { status: 'sent', jobId: 'job-1' }))
    const guest = await form('extranet')
    guest.people.value = 'Anna Smirnova <anna@partner.example>'
    expect(await guest.check()).toBe(false)
    expect(guest.error.value?.code).toBe('missing_group')
    guest.groupId.value = 12
    guest.people.value = '  '
    expect(await guest.check()).toBe(false)
    expect(guest.error.value?.code).toBe('empty_list')
    expect(calls).toHaveLength(0)

    guest.people.value = 'Anna Smirnova <anna@partner.example>'
    guest.templateId.value = ''
    expect(await guest.check()).toBe(true)
    expect(callsTo('POST', '/api/embedded/check')[0]!.body).toEqual({ kind: 'extranet', departmentId: null, groupId: 12, templateId: null, people: 'Anna Smirnova <anna@partner.example>' })
    expect([guest.stage.value, guest.sendable.value, guest.blocked.value]).toEqual(['checked', 1, null])

    const colleague = await form('intranet')
    colleague.people.value = 'boris@example.com'
    expect(await colleague.check()).toBe(false)
    expect(colleague.error.value?.code).toBe('missing_department')
    colleague.departmentId.value = 4
    colleague.groupId.value = 99 // not a colleague's target: never sent
    expect(await colleague.check()).toBe(true)
    expect(callsTo('POST', '/api/embedded/check')[1]!.body).toMatchObject({ kind: 'intranet', departmentId: 4, groupId: null })
  })

  it('201: sent, with the job to follow', async () => {
    serve(() => json(201, { status: 'sent', jobId: 'job-1' }))
    const guest = await form('extranet')
    guest.groupId.value = 12
    guest.people.value = 'anna@partner.example'
    await guest.check()
    await guest.send()
    expect(callsTo('POST', `/api/embedded/${IMPORT}/send`)).toHaveLength(1)
    expect(guest.outcome.value).toEqual({ kind: 'sent', jobId: 'job-1' })
    expect([guest.stage.value, guest.jobId.value]).toEqual(['done', 'job-1'])
  })

  it('202: a request with its reasons, and no job', async () => {
    const reasons = ['your daily quota is 50 invitations (50 sent in the last 24 hours)']
    serve(() => json(202, { status: 'requested', requestId: UUID(5), reasons }), { decision: 'request', ruleId: null, reasons })
    const guest = await form('extranet')
    guest.groupId.value = 12
    guest.people.value = 'anna@partner.example'
    await guest.check()
    expect(guest.result.value?.decision.decision).toBe('request')
    expect(guest.blocked.value).toBeNull()
    await guest.send()
    expect(guest.outcome.value).toEqual({ kind: 'requested', requestId: UUID(5), reasons })
    expect([guest.stage.value, guest.jobId.value]).toEqual(['done', null])
  })

  it('403 policy_denied: refused, with the reasons from the answer; other errors stay errors', async () => {
    let answer = () => json(403, { error: { code: 'policy_denied', message: 'The invite policy does not allow this: you may not invite into this group; this template is not allowed to you' } })
    serve(() => answer())
    const guest = await form('extranet')
    guest.groupId.value = 12
    guest.people.value = 'anna@partner.example'
    await guest.check()
    await guest.send()
    expect(guest.outcome.value).toEqual({ kind: 'denied', reasons: ['you may not invite into this group', 'this template is not allowed to you'] })
    expect(guest.stage.value).toBe('done')

    answer = () => json(409, { error: { code: 'request_needs_email', message: 'Only people with an e-mail address can be asked for approval' } })
    guest.edit()
    await guest.check()
    expect(await guest.send()).toBeNull()
    expect(guest.error.value?.code).toBe('request_needs_email')
    expect([guest.stage.value, guest.outcome.value]).toEqual(['checked', null])
  })

  it('a check the policy denies cannot be sent; changing the target needs a new check', async () => {
    serve(() => json(201, { status: 'sent', jobId: 'job-1' }), { decision: 'deny', reasons: ['no invitation rule covers you'] })
    const guest = await form('extranet')
    guest.groupId.value = 12
    guest.people.value = 'anna@partner.example'
    await guest.check()
    expect(guest.blocked.value).toBe('denied')
    expect(await guest.send()).toBeNull()
    expect(callsTo('POST', `/api/embedded/${IMPORT}/send`)).toHaveLength(0)

    guest.groupId.value = 13
    await vi.waitFor(() => expect(guest.stage.value).toBe('edit'))
    expect(guest.result.value).toBeNull()
    expect(guest.people.value).toBe('anna@partner.example')
  })

  it('the group tab’s send answers the same two shapes (and a legacy { jobId } is a send)', async () => {
    stubFetch(url => {
      if (url.pathname.endsWith('/invite/a/send')) return json(202, { status: 'requested', requestId: UUID(6), reasons: ['every invitation needs approval'] })
      if (url.pathname.endsWith('/invite/b/send')) return json(201, { status: 'sent', jobId: 'job-2' })
      if (url.pathname.endsWith('/invite/c/send')) return json(201, { jobId: 'job-3' })
      return notFound(url)
    })
    const api = await vi.importActual<{ sendGroupInvite(groupId: number, importId: string): Promise<unknown> }>(`${CLIENT}/api/extranet.ts`)
    expect(await api.sendGroupInvite(10, 'a')).toEqual({ status: 'requested', requestId: UUID(6), reasons: ['every invitation needs approval'] })
    expect(await api.sendGroupInvite(10, 'b')).toEqual({ status: 'sent', jobId: 'job-2' })
    expect(await api.sendGroupInvite(10, 'c')).toEqual({ status: 'sent', jobId: 'job-3' })
  })

  it('prefills the CRM card with the frame’s AUTH_ID; says so when it cannot', async () => {
    let card: Response = json(200, { email: 'anna@partner.example', name: 'Anna', lastName: 'Smirnova, PhD' })
    stubFetch(url => (url.pathname === '/api/embedded/crm-prefill' ? card : notFound(url)))
    const guest = await form('extranet')
    expect(await guest.prefill('contact', 12, async () => 'AUTH-1')).toBe('filled')
    expect(callsTo('POST', '/api/embedded/crm-prefill')[0]!.body).toEqual({ entity: 'contact', id: 12, authId: 'AUTH-1' })
    expect(guest.people.value).toBe('"Anna Smirnova, PhD" <anna@partner.example>')

    expect(await guest.prefill('company', 3, async () => null)).toBe('noFrame')
    expect(callsTo('POST', '/api/embedded/crm-prefill')).toHaveLength(1)

    card = json(404, { error: { code: 'crm_unavailable', message: 'This CRM record cannot be read with your access rights' } })
    expect(await guest.prefill('contact', 12, async () => 'AUTH-2')).toBe('unavailable')

    guest.people.value = ''
    card = json(200, { email: 'info@acme.example', name: 'ACME, Inc.', lastName: null })
    expect(await guest.prefill('company', 3, async () => 'AUTH-3')).toBe('filled')
    expect(guest.people.value).toBe('info@acme.example')

    card = json(200, { email: null, name: 'ACME', lastName: null })
    expect(await guest.prefill('company', 3, async () => 'AUTH-3')).toBe('noEmail')
  })

  it('policy reasons: known sentences get their texts, the rest is shown as the server wrote it', async () => {
    const format = await vi.importActual<{ reasonMessage(r: string): unknown; deniedReasons(e: { message: string; details?: unknown }): string[] }>(`${CLIENT}/composables/usePolicyFormat.ts`)
    expect(format.reasonMessage('your daily quota is 50 invitations (49 sent in the last 24 hours)')).toEqual({ key: 'quota', quota: 50, sent: 49 })
    expect(format.reasonMessage('every invitation needs approval')).toEqual({ key: 'always' })
    expect(format.reasonMessage('guest invitations are not allowed to you')).toEqual({ key: 'noGuests' })
    expect(format.reasonMessage('something new')).toBeNull()
    expect(format.deniedReasons({ message: 'x', details: { reasons: ['a', 'b'] } })).toEqual(['a', 'b'])
    expect(format.deniedReasons({ message: 'No reasons given' })).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------------

describe('invite policy form: draft and save round trip', () => {
  beforeEach(freshPinia)
  afterEach(() => vi.unstubAllGlobals())

  const DEFAULT: PolicyLike = {
    rules: [{
      id: '00000000-0000-4000-8000-000000000001', who: { kind: 'group_managers' }, kinds: ['extranet'], templates: { mode: 'all', ids: [] },
      departments: { mode: 'own', ids: [] }, groups: { mode: 'managed', ids: [] }, dailyQuota: 50, approval: 'over_quota', joinLinks: false,
    }],
    outsidePolicy: 'request',
    departmentVisibility: false,
    notifyInviters: true,
  }
  const NEW_ID = '9b2f6a8e-5d1c-4f3a-8e7b-0c1d2e3f4a5b'

  async function modules() {
    const draft = await vi.importActual<DraftModule>(`${CLIENT}/components/policy/policyDraft.ts`)
    const { useInvitePolicyStore } = await vi.importActual<{ useInvitePolicyStore(): PolicyStore }>(`${CLIENT}/stores/invitePolicy.ts`)
    return { draft, store: useInvitePolicyStore() }
  }

  it('a policy survives draft → policy unchanged; checks a draft before saving', async () => {
    const { draft } = await modules()
    expect(draft.fromDraft(draft.toDraft(DEFAULT))).toEqual(DEFAULT)

    const form = draft.toDraft(DEFAULT)
    const added = draft.newRuleDraft(NEW_ID)
    form.rules.push(added)
    added.whoKind = 'users'
    added.whoUserIds = '12, x'
    added.kinds = []
    added.templatesMode = 'only'
    added.dailyQuota = '10001'
    expect(draft.validatePolicy(form)).toEqual({
      [draft.ruleKey(NEW_ID, 'who')]: 'whoUsersInvalid',
      [draft.ruleKey(NEW_ID, 'kinds')]: 'kinds',
      [draft.ruleKey(NEW_ID, 'templates')]: 'chooseOne',
      [draft.ruleKey(NEW_ID, 'dailyQuota')]: 'quota',
    })
    added.whoUserIds = '12 57, 12'
    added.kinds = ['extranet', 'intranet']
    added.templatesMode = 'all'
    added.dailyQuota = ' 0 '
    expect(draft.validatePolicy(form)).toEqual({})
    const policy = draft.fromDraft(form)
    expect(policy.rules[1]).toMatchObject({ id: NEW_ID, who: { kind: 'users', ids: [12, 57] }, kinds: ['intranet', 'extranet'], dailyQuota: 0 })

    expect(draft.moveRule(form.rules, 1, -1).map(rule => rule.id)).toEqual([NEW_ID, DEFAULT.rules[0]!.id])
    expect(draft.moveRule(form.rules, 0, -1).map(rule => rule.id)).toEqual([DEFAULT.rules[0]!.id, NEW_ID])
    expect(draft.newRuleDraft().id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it('loads, PUTs the whole policy, and maps a 400 onto the rule’s field; the saved policy stays', async () => {
    let stored = structuredClone(DEFAULT)
    const details = [
      { path: 'rules.1.dailyQuota', message: 'Number must be less than or equal to 10000' },
      { path: 'rules.0.who.ids.0', message: 'Number must be greater than 0' },
      { path: 'outsidePolicy', message: 'Invalid option' },
      { path: 'rules', message: 'Too many rules' },
      { path: 'somethingElse', message: 'ignored' },
    ]
    let reject = false
    stubFetch((url, init) => {
      if (url.pathname !== '/api/policy') return notFound(url)
      if (init.method === 'PUT') {
        if (reject) return json(400, { error: { code: 'bad_request', message: 'The request is not valid', details } })
        stored = JSON.parse(String(init.body)) as PolicyLike
        return json(200, { policy: stored })
      }
      return json(200, { policy: stored })
    })
    const { draft, store } = await modules()
    await store.load()
    expect(store.status).toBe('ready')
    const form = draft.toDraft(store.policy!)
    form.rules.push(draft.newRuleDraft(NEW_ID))
    form.notifyInviters = false
    const next = draft.fromDraft(form)
    await store.save(next)
    expect(callsTo('PUT', '/api/policy')[0]!.body).toEqual(next)
    expect(store.policy?.rules).toHaveLength(2)
    expect(store.policy?.notifyInviters).toBe(false)

    reject = true
    const again = draft.toDraft(store.policy!)
    again.rules[1]!.dailyQuota = '20000'
    const sent = draft.fromDraft(again)
    const error = (await store.save(sent).catch((e: unknown) => e)) as ApiErrorLike
    expect([error.status, error.code]).toEqual([400, 'bad_request'])
    expect(draft.serverProblems(error.details, sent)).toEqual({
      [draft.ruleKey(NEW_ID, 'dailyQuota')]: 'Number must be less than or equal to 10000',
      [draft.ruleKey(DEFAULT.rules[0]!.id, 'who')]: 'Number must be greater than 0',
      outsidePolicy: 'Invalid option',
      rules: 'Too many rules',
    })
    expect(store.policy?.rules[1]!.dailyQuota).toBe(20)
    expect(store.status).toBe('ready')
  })
})

// ---------------------------------------------------------------------------------------------------

describe('texts of the policy, the embedded forms and the requests', () => {
  const SECTIONS = ['embedded', 'policyBanner', 'requestNote', 'policyFormat', 'requests', 'policyForm']

  function leaves(node: unknown, path: string, out: Map<string, string>): Map<string, string> {
    if (typeof node === 'string') out.set(path, node)
    else if (node && typeof node === 'object') for (const [key, value] of Object.entries(node)) leaves(value, path ? `${path}.${key}` : key, out)
    return out
  }

  async function catalogs() {
    const load = async (path: string) => (await vi.importActual<{ default: Record<string, unknown> }>(`${CLIENT}/i18n/${path}`)).default
    return { en: await load('work/en.ts'), ru: await load('work/ru.ts'), mainEn: await load('en.ts'), mainRu: await load('ru.ts') }
  }

  it('every plural has the Russian forms for its English ones (zero | one | many → zero | one | few | many)', async () => {
    const { en, ru, mainEn, mainRu } = await catalogs()
    const pairs: Array<[string, unknown, unknown]> = [
      ...SECTIONS.map(section => [section, en[section], ru[section]] as [string, unknown, unknown]),
      ['nav', mainEn.nav, mainRu.nav],
      ['dashboard.requests', (mainEn.dashboard as Record<string, unknown>).requests, (mainRu.dashboard as Record<string, unknown>).requests],
      ['settings.invitePolicy', (mainEn.settings as Record<string, unknown>).invitePolicy, (mainRu.settings as Record<string, unknown>).invitePolicy],
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
    expect(checked.length).toBeGreaterThanOrEqual(10)
    for (const lang of [en, ru]) {
      const format = lang.policyFormat as { states: Record<string, string>; reasons: Record<string, string> }
      expect(Object.keys(format.states).sort()).toEqual(['approved', 'cancelled', 'declined', 'failed', 'pending'])
      expect(Object.keys(format.reasons).sort()).toEqual(['always', 'department', 'group', 'noEmployees', 'noGuests', 'noRule', 'quota', 'template'])
      const errors = lang.workErrors as Record<string, string>
      for (const code of ['policy_denied', 'missing_group', 'missing_department', 'crm_unavailable', 'request_not_found', 'request_decided', 'request_needs_email', 'reason_required']) {
        expect(errors[code], code).toBeTruthy()
      }
    }
  })

  it('picks the right Russian form', async () => {
    const { russianPlural } = await vi.importActual<{ russianPlural(n: number, l: number): number }>(`${CLIENT}/i18n/plural.ts`)
    const { ru, mainRu } = await catalogs()
    const pick = (text: string, n: number) => {
      const forms = text.split(' | ')
      return forms[russianPlural(n, forms.length)]!.replaceAll('{count}', String(n)).replaceAll('{quota}', String(n))
    }
    const total = (ru.requests as { total: string }).total
    expect([0, 1, 3, 11, 21, 25].map(n => pick(total, n))).toEqual(['Нет запросов', '1 запрос', '3 запроса', '11 запросов', '21 запрос', '25 запросов'])
    const people = (ru.requests as { people: string }).people
    expect([1, 2, 5, 22].map(n => pick(people, n))).toEqual(['1 человек к приглашению', '2 человека к приглашению', '5 человек к приглашению', '22 человека к приглашению'])
    const quota = (ru.policyFormat as { reasons: { quota: string } }).reasons.quota.replace(' ({sent}', '').replace(/ \(за последние 24 часа отправлено \{sent\}\)/g, '')
    expect([1, 3, 50, 101].map(n => pick(quota, n))).toEqual([
      'ваш дневной лимит — 1 приглашение', 'ваш дневной лимит — 3 приглашения', 'ваш дневной лимит — 50 приглашений', 'ваш дневной лимит — 101 приглашение',
    ])
    const notice = ((mainRu.dashboard as Record<string, unknown>).requests as { notice: string }).notice
    expect([1, 2, 5, 21].map(n => pick(notice, n))).toEqual([
      '1 запрос на приглашение ждёт вашего решения', '2 запроса на приглашение ждут вашего решения', '5 запросов на приглашение ждут вашего решения', '21 запрос на приглашение ждёт вашего решения',
    ])
    const approve = (ru.requests as { approve: string }).approve
    expect([1, 4, 12].map(n => pick(approve, n))).toEqual(['Одобрить и пригласить 1 человека', 'Одобрить и пригласить 4 человек', 'Одобрить и пригласить 12 человек'])
  })
})
