/**
 * The read side of the Extranet page: the portal's extranet groups (IS_EXTRANET 'Y', sonet-group-get.md) and
 * the intranet groups that nevertheless hold extranet people (an invitation, unlike sonet_group.user.add, does
 * not turn a group external: rest-facts §2.3), each with its owner, members, pending invitations and counts.
 *
 * Cost: sonet_group.get pages (50 groups each) go out in batches, then socialnetwork.api.workgroup.get in
 * batches of 50 groups, so N groups cost about 2·⌈N/50⌉ requests and never one per group. People are named
 * from the directory cache (no user.get here); someone the cache does not know is shown by id alone.
 */
import { AppError, NotFoundError } from '../shared/errors.js'
import type { CallParams, DetailedOutcome, PortalGateway } from '../portals/portal-gateway.js'
import type { DirectoryStore, DirectoryUser } from '../storage/directory-store.js'

const PAGE = 50
const BATCH = 50
const LIST_METHOD = 'sonet_group.get'
const READ_METHOD = 'socialnetwork.api.workgroup.get'
/** socialnetwork-api-workgroup-get.md: the group was deleted (or never existed) between listing and reading. */
const WORKGROUP_NOT_FOUND = 'SONET_CONTROLLER_WORKGROUP_NOT_FOUND'

/** Someone as the directory cache knows them; name, email and userType are null when it does not. */
export interface Person {
  id: number
  /** "Name LastName" as cached, null when the cache has neither. */
  name: string | null
  email: string | null
  /** 'employee' | 'extranet' | 'email' (user-get.md), null when the cache does not know the person. */
  userType: string | null
}

export interface GroupMember extends Person {
  role: 'owner' | 'moderator' | 'member'
}

export interface ExtranetGroupView {
  id: number
  name: string
  /** 'group' | 'project' | 'scrum' (workgroup.get TYPE); collabs are not listed here. */
  type: string
  /** false for an archived group. */
  active: boolean
  /** VISIBLE 'Y': shown in the portal's group list to everyone. */
  visible: boolean
  /** The portal marks the group extranet (IS_EXTRANET 'Y'); false = an intranet group listed for its extranet people. */
  isExtranet: boolean
  owner: Person
  /** Active members (owner and moderators included), owner first, then moderators, then by id. */
  members: GroupMember[]
  /** Invited by the group and not yet accepted (INVITED_MEMBERS). */
  invited: Person[]
  counts: {
    /** NUMBER_OF_MEMBERS as the portal counts it. */
    members: number
    moderators: number
    invited: number
    /** Extranet people (per the directory cache) among members and invited. */
    extranet: number
  }
  chatId: number | null
  dialogId: string | null
}

export interface ExtranetGroupsList {
  groups: ExtranetGroupView[]
  /**
   * Whether the portal has any group marked extranet. Cloud portals can no longer create new ones: when
   * false the UI points to collabs instead.
   */
  hasExtranetGroups: boolean
  /** When the directory cache (names, user types) was last refreshed; null = never, people show by id only. */
  directorySyncedAt: number | null
}

/** Who is looking: admins see every group; anyone else what the portal would show them. */
export interface Viewer {
  userId: number
  isAdmin: boolean
}

interface ListedGroup {
  id: number
  isExtranet: boolean
}

interface Workgroup {
  id: number
  name: string
  type: string
  active: boolean
  visible: boolean
  ownerId: number
  members: number[]
  moderators: number[]
  invited: number[]
  numberOfMembers: number
  chatId: number | null
  dialogId: string | null
}

export function createExtranetGroups(deps: { gateway: PortalGateway; directory: DirectoryStore }) {
  const { gateway, directory } = deps

  /** Every group the installing admin can see (IS_ADMIN 'Y'), oldest first. */
  async function listAll(memberId: string): Promise<ListedGroup[]> {
    const page = (start: number): [string, CallParams] => [LIST_METHOD, { ORDER: { ID: 'ASC' }, IS_ADMIN: 'Y', start }]
    const first = (await gateway.batchDetailed(memberId, { p0: page(0) })).outcomes.p0
    const rows = listRows(first)
    // `total` is there on every real answer; without it, keep asking one page at a time until a short page.
    const total = first?.ok && first.total !== undefined ? first.total : undefined
    if (total !== undefined) {
      const starts: number[] = []
      for (let s = PAGE; s < total; s += PAGE) starts.push(s)
      for (let i = 0; i < starts.length; i += BATCH) {
        const chunk = starts.slice(i, i + BATCH)
        const { outcomes } = await gateway.batchDetailed(memberId, Object.fromEntries(chunk.map((s) => [`p${s}`, page(s)])))
        for (const s of chunk) rows.push(...listRows(outcomes[`p${s}`]))
      }
    } else {
      for (let start = PAGE, last = rows.length; last === PAGE; start += PAGE) {
        const more = listRows((await gateway.batchDetailed(memberId, { p: page(start) })).outcomes.p)
        rows.push(...more)
        last = more.length
      }
    }
    const byId = new Map<number, ListedGroup>()
    for (const r of rows) {
      const id = Number(r.ID)
      if (Number.isInteger(id) && id > 0) byId.set(id, { id, isExtranet: yes(r.IS_EXTRANET) })
    }
    return [...byId.values()]
  }

  /** workgroup.get for each id, 50 to a batch; a group gone in the meantime is simply absent. */
  async function readAll(memberId: string, ids: number[]): Promise<Map<number, Workgroup>> {
    const out = new Map<number, Workgroup>()
    for (let i = 0; i < ids.length; i += BATCH) {
      const chunk = ids.slice(i, i + BATCH)
      const { outcomes } = await gateway.batchDetailed(memberId, Object.fromEntries(chunk.map((id) => [`g${id}`, readCall(id)])))
      for (const id of chunk) {
        const w = workgroupOf(outcomes[`g${id}`], id)
        if (w) out.set(id, w)
      }
    }
    return out
  }

  async function people(memberId: string, groups: Workgroup[]): Promise<Map<number, DirectoryUser>> {
    const ids = new Set<number>()
    for (const g of groups) for (const id of [g.ownerId, ...g.members, ...g.invited]) ids.add(id)
    return directory.usersByIds(memberId, [...ids])
  }

  return {
    async list(memberId: string, viewer?: Viewer): Promise<ExtranetGroupsList> {
      const listed = await listAll(memberId)
      // Intranet groups are read too: only their members tell whether extranet people are in them.
      const read = await readAll(memberId, listed.map((g) => g.id))
      const groups = listed.flatMap((g) => {
        const w = read.get(g.id)
        return w && w.type !== 'collab' ? [{ w, isExtranet: g.isExtranet }] : []
      })
      const [known, sync] = await Promise.all([people(memberId, groups.map((g) => g.w)), directory.getSyncState(memberId)])
      const views = groups
        .filter((g) => !viewer || canSee(viewer, g.w))
        .map((g) => toView(g.w, g.isExtranet, known))
        .filter(onExtranetPage)
      return { groups: views, hasExtranetGroups: groups.some((g) => g.isExtranet), directorySyncedAt: sync.usersSyncedAt }
    },

    /** One group as listed; 404 group_not_found when the portal, the viewer or the list would not show it. */
    async get(memberId: string, groupId: number, viewer?: Viewer): Promise<ExtranetGroupView> {
      const { outcomes } = await gateway.batchDetailed(memberId, {
        s: [LIST_METHOD, { FILTER: { ID: groupId }, IS_ADMIN: 'Y' }],
        w: readCall(groupId),
      })
      const row = listRows(outcomes.s).find((r) => Number(r.ID) === groupId)
      const w = workgroupOf(outcomes.w, groupId)
      const view = row && w && w.type !== 'collab' && (!viewer || canSee(viewer, w)) ? toView(w, yes(row.IS_EXTRANET), await people(memberId, [w])) : undefined
      if (!view || !onExtranetPage(view)) throw new NotFoundError('group_not_found', `No extranet group ${groupId} on this portal`)
      return view
    },
  }
}

export type ExtranetGroups = ReturnType<typeof createExtranetGroups>

const readCall = (groupId: number): [string, CallParams] => [READ_METHOD, { params: { groupId } }]

/** On the Extranet page: extranet groups, and intranet groups with extranet people in them. */
const onExtranetPage = (v: ExtranetGroupView): boolean => v.isExtranet || v.counts.extranet > 0

/** The portal's own rule for non-admins: visible groups, and the ones they belong to or are invited into. */
function canSee(viewer: Viewer, w: Workgroup): boolean {
  if (viewer.isAdmin) return true
  return w.visible || w.ownerId === viewer.userId || w.members.includes(viewer.userId) || w.invited.includes(viewer.userId)
}

function listRows(o: DetailedOutcome | undefined): Array<Record<string, unknown>> {
  if (!o) throw new AppError('group_list_failed', 'The portal did not answer the group list', 502)
  if (!o.ok) throw new AppError('group_list_failed', `The portal could not list its groups (${o.code}: ${o.message})`, 502)
  return Array.isArray(o.result) ? (o.result as Array<Record<string, unknown>>) : []
}

/** undefined when the group is not there (or hidden from the installing user); throws on any other refusal. */
function workgroupOf(o: DetailedOutcome | undefined, id: number): Workgroup | undefined {
  if (!o) throw new AppError('group_lookup_failed', `The portal did not answer for group ${id}`, 502)
  if (!o.ok) {
    if (o.code === WORKGROUP_NOT_FOUND) return undefined
    throw new AppError('group_lookup_failed', `The portal could not read group ${id} (${o.code}: ${o.message})`, 502)
  }
  const r = o.result
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return undefined
  const g = r as Record<string, unknown>
  const members = ids(g.MEMBERS)
  const chatId = Number(g.CHAT_ID)
  const count = Number(g.NUMBER_OF_MEMBERS)
  return {
    id,
    name: String(g.NAME ?? ''),
    type: typeof g.TYPE === 'string' && g.TYPE !== '' ? g.TYPE : 'group',
    active: g.ACTIVE !== 'N',
    visible: yes(g.VISIBLE),
    ownerId: Number(g.OWNER_ID),
    members,
    moderators: ids(g.MODERATOR_MEMBERS),
    invited: ids(g.INVITED_MEMBERS),
    numberOfMembers: Number.isInteger(count) && count >= 0 ? count : members.length,
    chatId: Number.isInteger(chatId) && chatId > 0 ? chatId : null,
    dialogId: typeof g.DIALOG_ID === 'string' && g.DIALOG_ID !== '' ? g.DIALOG_ID : null,
  }
}

function toView(w: Workgroup, isExtranet: boolean, known: Map<number, DirectoryUser>): ExtranetGroupView {
  const moderators = new Set(w.moderators)
  const role = (id: number): GroupMember['role'] => (id === w.ownerId ? 'owner' : moderators.has(id) ? 'moderator' : 'member')
  const rank = { owner: 0, moderator: 1, member: 2 }
  const members = w.members
    .map((id): GroupMember => ({ ...person(id, known), role: role(id) }))
    .sort((a, b) => rank[a.role] - rank[b.role] || a.id - b.id)
  const invited = w.invited.filter((id) => !w.members.includes(id)).sort((a, b) => a - b).map((id) => person(id, known))
  return {
    id: w.id,
    name: w.name,
    type: w.type,
    active: w.active,
    visible: w.visible,
    isExtranet,
    owner: person(w.ownerId, known),
    members,
    invited,
    counts: {
      members: w.numberOfMembers,
      moderators: members.filter((m) => m.role === 'moderator').length,
      invited: invited.length,
      extranet: [...members, ...invited].filter((p) => p.userType === 'extranet').length,
    },
    chatId: w.chatId,
    dialogId: w.dialogId,
  }
}

function person(id: number, known: Map<number, DirectoryUser>): Person {
  const u = known.get(id)
  if (!u) return { id, name: null, email: null, userType: null }
  const name = [u.name, u.lastName].filter((s): s is string => !!s && s.trim() !== '').join(' ').trim()
  return { id, name: name || null, email: u.email, userType: u.userType }
}

function ids(v: unknown): number[] {
  const list = Array.isArray(v) ? v : v !== null && typeof v === 'object' ? Object.values(v) : []
  return [...new Set(list.map(Number).filter((n) => Number.isInteger(n) && n > 0))]
}

const yes = (v: unknown): boolean => v === 'Y' || v === true
