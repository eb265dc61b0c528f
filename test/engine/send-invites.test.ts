/**
 * sendInviteChunk against the emulated portal over real HTTP: one batch per chunk, every documented
 * user.add error classified, MESSAGE_TEXT passed through only when the portal takes it, phone rows with
 * and without the capability, injected faults classified as retry.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BACKENDS } from '../helpers/databases.js'
import { installThroughPortal, startStack, type Stack } from '../helpers/stack.js'
import type { PortalHandle } from '../emulator/index.js'
import { classifyUserAddError, sendInviteChunk, type InvitePayload, type SendOutcome } from '../../server/engine/send-invites.js'
import { findUsersByEmail } from '../../server/engine/reconcile.js'

const sqlite = BACKENDS.find((b) => b.name === 'sqlite')!
const ALL = { messageText: true, phoneInvite: true }

const row = (email: string | null, fields: Record<string, unknown> = { UF_DEPARTMENT: [1] }, extra: Partial<InvitePayload> = {}): InvitePayload => ({
  email,
  phone: null,
  fields,
  messageText: null,
  ...extra,
})

function batchesSince(portal: PortalHandle, since: number) {
  return portal.requests().slice(since).filter((r) => r.restMethod === 'batch')
}

describe('sendInviteChunk', () => {
  let s: Stack
  afterEach(async () => {
    await s?.close()
  })

  it('classifies every documented user.add outcome from one batch (EN portal)', async () => {
    s = await startStack(sqlite)
    await installThroughPortal(s)
    const p = s.portal
    p.addUser({ EMAIL: 'Taken@Example.com', NAME: 'Existing' })
    const group = p.addGroup({ NAME: 'Partners', OWNER_ID: 1 })
    const since = p.requests().length

    const payloads: InvitePayload[] = [
      row('new.one@example.com', { UF_DEPARTMENT: [1], NAME: 'New', LAST_NAME: 'One', WORK_POSITION: 'Engineer' }, { messageText: 'Welcome <b>aboard</b> & enjoy' }),
      row('taken@example.com'),
      row('not-an-email'),
      row('ext.nogroup@example.com', { EXTRANET: 'Y' }),
      row('ext.badgroup@example.com', { EXTRANET: 'Y', SONET_GROUP_ID: [9999] }),
      row('nodept@example.com', { NAME: 'Nobody' }),
      row('ext.ok@example.com', { EXTRANET: 'Y', SONET_GROUP_ID: [group.ID], NAME: 'Ext' }),
      row(null, { UF_DEPARTMENT: [1] }, { phone: '+15550100' }),
      row(null, { UF_DEPARTMENT: [1] }),
    ]
    const out = await sendInviteChunk(s.a.app.gateway, p.memberId, payloads, { messageText: true, phoneInvite: false })

    expect(out[0]).toMatchObject({ kind: 'invited' })
    expect(out[1]).toEqual({ kind: 'skipped', code: 'already_exists', message: 'A user with this email already exists' })
    expect(out[2]).toMatchObject({ kind: 'failed', code: 'wrong_email' })
    expect(out[3]).toMatchObject({ kind: 'failed', code: 'ERROR_GROUPID' })
    expect(out[4]).toMatchObject({ kind: 'failed', code: 'ERROR_NO_GROUP' })
    expect(out[5]).toMatchObject({ kind: 'failed', code: 'no_extranet_field' })
    expect(out[6]).toMatchObject({ kind: 'invited' })
    expect(out[7]).toMatchObject({ kind: 'failed', code: 'phone_invite_unavailable' })
    expect((out[7] as { message: string }).message).toMatch(/phone number/)
    expect(out[8]).toMatchObject({ kind: 'failed', code: 'no_contact' })

    // One HTTP request for the whole chunk, 7 user.add commands (the phone and empty rows never left us).
    const batches = batchesSince(p, since)
    expect(batches).toHaveLength(1)
    expect(batches[0]!.batchOf).toEqual(Array(7).fill('user.add'))

    // The ids are the portal's, and MESSAGE_TEXT went through as text (the portal escapes it).
    const first = out[0] as { userId: number }
    expect(p.user(first.userId)).toMatchObject({ EMAIL: 'new.one@example.com', NAME: 'New', LAST_NAME: 'One' })
    const inv = p.invitations().find((i) => i.userId === first.userId)!
    expect(inv.messageText).toBe('Welcome <b>aboard</b> & enjoy')
    expect(inv.messageTextEscaped).toBe('Welcome &lt;b&gt;aboard&lt;/b&gt; &amp; enjoy')
    const ext = p.invitations().find((i) => i.userId === (out[6] as { userId: number }).userId)!
    expect(ext).toMatchObject({ extranet: true, groupIds: [group.ID], messageText: null })

    const counts = out.reduce<Record<string, number>>((m, o) => ((m[o.kind] = (m[o.kind] ?? 0) + 1), m), {})
    console.log(`[send] classification: ${JSON.stringify(counts)}; codes ${out.map((o) => ('code' in o ? o.code : o.kind)).join(', ')}`)
  })

  it('leaves MESSAGE_TEXT out when the portal does not take it, and the user limit fails rows permanently', async () => {
    s = await startStack(sqlite)
    await installThroughPortal(s)
    const p = s.portal
    const a = await sendInviteChunk(s.a.app.gateway, p.memberId, [row('plain@example.com', { UF_DEPARTMENT: [1] }, { messageText: 'Hello' })], { messageText: false, phoneInvite: false })
    expect(a[0]).toMatchObject({ kind: 'invited' })
    expect(p.invitations().find((i) => i.email === 'plain@example.com')!.messageText).toBeNull()
    const sent = p.requests().filter((r) => r.restMethod === 'batch').pop()!
    expect(JSON.stringify(sent.params)).not.toContain('MESSAGE_TEXT')

    // Seats: every active employee counts; one seat left, two rows.
    const employees = p.users().filter((u) => u.ACTIVE && u.USER_TYPE === 'employee').length
    p.setUserLimit(employees + 1)
    const b = await sendInviteChunk(s.a.app.gateway, p.memberId, [row('seat.one@example.com'), row('seat.two@example.com')], ALL)
    expect(b[0]).toMatchObject({ kind: 'invited' })
    expect(b[1]).toMatchObject({ kind: 'failed', code: 'user_count_exceeded' })
  })

  it('recognises the Russian "already exists" text', async () => {
    s = await startStack(sqlite, { portal: { lang: 'ru' } })
    await installThroughPortal(s)
    s.portal.addUser({ EMAIL: 'zanyat@example.com' })
    const out = await sendInviteChunk(s.a.app.gateway, s.portal.memberId, [row('zanyat@example.com')], ALL)
    expect(out[0]).toEqual({ kind: 'skipped', code: 'already_exists', message: 'Пользователь с таким email уже существует' })
  })

  it('invites phone-only rows through intranet.invite.inviteUsersByPhoneNumber when the portal has it', async () => {
    s = await startStack(sqlite, { portal: { extraMethods: ['intranet.invite.inviteUsersByPhoneNumber'] } })
    await installThroughPortal(s)
    const p = s.portal
    const out = await sendInviteChunk(
      s.a.app.gateway,
      p.memberId,
      [
        row(null, { NAME: 'Pat', LAST_NAME: 'Phone', UF_DEPARTMENT: [1] }, { phone: '+1 555 0101' }),
        row('mail.too@example.com'),
        row(null, { EXTRANET: 'Y', SONET_GROUP_ID: [1] }, { phone: '+1 555 0102' }),
      ],
      ALL,
    )
    expect(out[0]).toMatchObject({ kind: 'invited' })
    const u = p.user((out[0] as { userId: number }).userId)!
    expect(u).toMatchObject({ NAME: 'Pat', LAST_NAME: 'Phone', UF_DEPARTMENT: [1] })
    expect(out[1]).toMatchObject({ kind: 'invited' })
    expect(out[2]).toMatchObject({ kind: 'failed', code: 'phone_invite_unavailable' })
    const batch = p.requests().filter((r) => r.restMethod === 'batch').pop()!
    expect(batch.batchOf).toEqual(['intranet.invite.inviteusersbyphonenumber', 'user.add'])
  })

  it('a phone row on a portal without the method fails clearly even if the capability was claimed', async () => {
    s = await startStack(sqlite)
    await installThroughPortal(s)
    const out = await sendInviteChunk(s.a.app.gateway, s.portal.memberId, [row(null, { UF_DEPARTMENT: [1] }, { phone: '+15550199' })], ALL)
    expect(out[0]).toMatchObject({ kind: 'failed', code: 'phone_invite_unavailable' })
  })

  it('injected faults: per-command 500s and a whole-batch 500 or 503 are retry; nothing retried is reported invited', async () => {
    s = await startStack(sqlite)
    await installThroughPortal(s)
    const p = s.portal
    const chunk = (tag: string): InvitePayload[] => Array.from({ length: 50 }, (_, i) => row(`${tag}-${i}@example.com`))

    p.injectFault({ method: 'user.add', kind: 'INTERNAL_SERVER_ERROR', probability: 0.2 })
    const a = await sendInviteChunk(s.a.app.gateway, p.memberId, chunk('flaky'), ALL)
    p.clearFaults()
    const retried = a.filter((o) => o.kind === 'retry') as Array<Extract<SendOutcome, { kind: 'retry' }>>
    const invited = a.filter((o) => o.kind === 'invited')
    expect(retried.length).toBeGreaterThan(0)
    expect(retried.every((o) => o.code === 'INTERNAL_SERVER_ERROR')).toBe(true)
    expect(retried.length + invited.length).toBe(50)
    // Exactly the invited ones exist on the portal.
    const emails = new Set(p.users().map((u) => u.EMAIL))
    a.forEach((o, i) => expect(emails.has(`flaky-${i}@example.com`)).toBe(o.kind === 'invited'))
    console.log(`[send] user.add 500 at p=0.2: ${invited.length} invited, ${retried.length} retry`)

    p.injectFault({ method: 'batch', kind: 'INTERNAL_SERVER_ERROR', times: 1 })
    const b = await sendInviteChunk(s.a.app.gateway, p.memberId, chunk('down'), ALL)
    expect(b.every((o) => o.kind === 'retry' && o.code === 'INTERNAL_SERVER_ERROR' && o.maybeApplied === true)).toBe(true)

    p.injectFault({ method: 'batch', kind: 'QUERY_LIMIT_EXCEEDED', times: 1 })
    const c = await sendInviteChunk(s.a.app.gateway, p.memberId, chunk('busy'), ALL)
    // Refused before running: safe to send again as is.
    expect(c.every((o) => o.kind === 'retry' && o.code === 'QUERY_LIMIT_EXCEEDED' && !o.maybeApplied)).toBe(true)
    // One attempt only: the transport did not replay the batch by itself.
    expect(p.requests().filter((r) => r.restMethod === 'batch' && r.status === 503)).toHaveLength(1)
    expect(p.users().some((u) => u.EMAIL.startsWith('down-') || u.EMAIL.startsWith('busy-'))).toBe(false)
  })

  it('a connection dropped mid-batch: every row retry (maybe applied), and findUsersByEmail tells which ran', async () => {
    s = await startStack(sqlite)
    await installThroughPortal(s)
    const p = s.portal
    const payloads = Array.from({ length: 50 }, (_, i) => row(`drop-${i}@example.com`))
    // Fires on some user.add inside the batch: the commands before it have run, the socket dies.
    p.injectFault({ method: 'user.add', kind: 'network_drop', probability: 0.3, times: 1 })
    const out = await sendInviteChunk(s.a.app.gateway, p.memberId, payloads, ALL)
    p.clearFaults()
    expect(out.every((o) => o.kind === 'retry' && o.maybeApplied === true)).toBe(true)
    expect(p.requests().filter((r) => r.restMethod === 'batch' && r.error === 'network_drop')).toHaveLength(1)

    const created = p.users().filter((u) => u.EMAIL.startsWith('drop-')).length
    const found = await findUsersByEmail(s.a.app.gateway, p.memberId, payloads.map((x) => x.email!))
    expect(found.size).toBe(created)
    console.log(`[send] network drop mid-batch: ${created} of 50 ran before the drop; reconcile found ${found.size}`)

    // Re-sending after reconcile: only the rest; nobody invited twice.
    const rest = payloads.filter((x) => !found.has(x.email!.toLowerCase()))
    const again = await sendInviteChunk(s.a.app.gateway, p.memberId, rest, ALL)
    expect(again.every((o) => o.kind === 'invited')).toBe(true)
    expect(p.invitations().filter((i) => i.email.startsWith('drop-'))).toHaveLength(50)
  })

  it('refuses chunks over 50 rows', async () => {
    s = await startStack(sqlite)
    await installThroughPortal(s)
    await expect(sendInviteChunk(s.a.app.gateway, s.portal.memberId, Array.from({ length: 51 }, (_, i) => row(`x${i}@example.com`)), ALL)).rejects.toThrow(/at most 50/)
  })
})

describe('classifyUserAddError (the user-add.md table)', () => {
  it.each([
    ['ERROR_ARGUMENT', 'wrong_email', 'failed', 'wrong_email'],
    ['ERROR_ARGUMENT', 'A user with this email already exists', 'skipped', 'already_exists'],
    ['ERROR_ARGUMENT', 'Пользователь с таким email уже существует', 'skipped', 'already_exists'],
    ['ERROR_CORE', 'access_denied', 'failed', 'access_denied'],
    ['ERROR_ARGUMENT', 'user_count_exceeded', 'failed', 'user_count_exceeded'],
    ['ERROR_GROUPID', 'Group code not specified', 'failed', 'ERROR_GROUPID'],
    ['ERROR_NO_GROUP', 'Group is specified incorrectly', 'failed', 'ERROR_NO_GROUP'],
    ['ERROR_ARGUMENT', 'no_extranet_field', 'failed', 'no_extranet_field'],
    ['ERROR_CORE', 'Internal error', 'failed', 'ERROR_CORE'],
    ['QUERY_LIMIT_EXCEEDED', 'Too many requests', 'retry', 'QUERY_LIMIT_EXCEEDED'],
    ['OPERATION_TIME_LIMIT', 'Method is blocked due to operation time limit', 'retry', 'OPERATION_TIME_LIMIT'],
    ['INTERNAL_SERVER_ERROR', 'Internal server error', 'retry', 'INTERNAL_SERVER_ERROR'],
    ['NETWORK_ERROR', 'Network connection failed', 'retry', 'NETWORK_ERROR'],
    ['REQUEST_TIMEOUT', 'Request timeout exceeded', 'retry', 'REQUEST_TIMEOUT'],
    ['expired_token', 'The access token provided has expired', 'retry', 'expired_token'],
    ['insufficient_scope', '', 'failed', 'insufficient_scope'],
    ['SOME_NEW_4XX', 'whatever', 'failed', 'SOME_NEW_4XX'],
  ])('%s / %s → %s %s', (code, message, kind, outCode) => {
    const r = classifyUserAddError(code, message)
    expect(r).not.toBe('unknown_argument')
    expect(r).toMatchObject({ kind, code: outCode })
  })

  it('an ERROR_ARGUMENT text in another language is left to a portal lookup', () => {
    expect(classifyUserAddError('ERROR_ARGUMENT', 'Ein Benutzer mit dieser E-Mail-Adresse existiert bereits')).toBe('unknown_argument')
  })
})
