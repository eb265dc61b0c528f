/**
 * News Feed: log.blogpost.add (api-reference/log/log-blogpost-add.md). Scope `log`, any user.
 * Posts are kept for `portal.feedPosts()`; nobody reads them back through REST here (no log.blogpost.get).
 */
import { RestError } from '../errors.js'
import { int, list, str, upperKeys, yesNo } from '../params.js'
import type { MethodContext, MethodDef } from './types.js'

const ADD_ERROR = 'SONET_CONTROLLER_LIVEFEED_BLOGPOST_ADD_ERROR'

/**
 * DEST entries the page documents: `SG<X>` groups, `U<X>` users, `UA` all authorised users, `DR<X>`
 * departments. An entry naming nothing that exists is dropped; if none is left the post has no recipients.
 */
function keptDestination(ctx: MethodContext, code: string): boolean {
  if (code === 'UA') return true
  const m = /^(SG|U|DR)(\d+)$/.exec(code)
  if (!m) return false
  const id = Number(m[2])
  if (m[1] === 'SG') return ctx.portal.groupsById.has(id)
  if (m[1] === 'U') return ctx.portal.usersById.has(id)
  return ctx.portal.departmentsById.has(id)
}

function blogpostAdd(ctx: MethodContext): { result: number } {
  const p = upperKeys(ctx.params)
  const message = str(p.POST_MESSAGE)
  // "General error saving the message, for example, when POST_MESSAGE is empty".
  if (!message.trim()) throw new RestError(400, ADD_ERROR, "Blog post hasn't been added")
  // USER_ID: "Available only to administrators"; anyone else posts as themselves.
  const asUser = int(p.USER_ID)
  const authorId = ctx.isAdmin && Number.isFinite(asUser) && asUser > 0 ? asUser : ctx.user.ID
  // The post goes into the author's blog; a user who does not exist has none.
  if (!ctx.portal.usersById.has(authorId)) throw new RestError(400, 'SONET_CONTROLLER_LIVEFEED_BLOG_NOT_FOUND', 'Blog not found')
  // DEST, or its deprecated twin SPERM; "Default — UA".
  const raw = p.DEST !== undefined ? p.DEST : p.SPERM
  const wanted = raw === undefined ? ['UA'] : list(raw).map((v) => str(v).trim().toUpperCase())
  const dest = [...new Set(wanted.filter((code) => keptDestination(ctx, code)))]
  if (dest.length === 0) throw new RestError(400, ADD_ERROR, 'No destination specified')
  const id = ctx.portal.nextPostId()
  ctx.portal.feedPostRecords.push({
    id,
    clientId: ctx.app.clientId,
    authorId,
    postedBy: ctx.user.ID,
    title: str(p.POST_TITLE),
    message,
    dest,
    important: yesNo(p.IMPORTANT) === true,
    tags: str(p.TAGS),
    at: ctx.clock.now(),
  })
  // "result: Identifier of the created message" (an integer).
  return { result: id }
}

export const logMethods: MethodDef[] = [{ name: 'log.blogpost.add', scopes: ['log'], handler: blogpostAdd }]
