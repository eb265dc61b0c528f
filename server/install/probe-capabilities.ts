import type { PortalGateway } from '../portals/portal-gateway.js'

/**
 * REST methods whose presence changes what Invite Desk can do. Several are undocumented (resend, phone and
 * collab invites), so each portal is asked with method.get rather than assumed; the UI shows the answer.
 * Names are lowercase because method.get only recognises lowercase (method-get.md).
 */
export const PROBED_METHODS = [
  'user.add',
  'user.update',
  'user.search',
  'department.get',
  'sonet_group.get',
  'sonet_group.user.add',
  'sonet_group.user.invite',
  'socialnetwork.api.workgroup.list',
  'socialnetwork.api.workgroup.get',
  'im.notify.system.add',
  'bizproc.robot.add',
  'bizproc.event.send',
  'intranet.invite.reinvite',
  'intranet.invite.inviteusersbyphonenumber',
  'intranet.invite.getlinkbycollabid',
  'socialnetwork.collab.member.add',
  'socialnetwork.collab.member.delete',
  'sonet_group.user.delete',
  'user.get',
] as const

export async function probeCapabilities(gateway: PortalGateway, memberId: string): Promise<Record<string, boolean>> {
  const calls = Object.fromEntries(PROBED_METHODS.map((m, i) => [`m${i}`, ['method.get', { name: m }] as [string, Record<string, unknown>]]))
  const out = await gateway.batch(memberId, calls)
  const caps: Record<string, boolean> = {}
  PROBED_METHODS.forEach((m, i) => {
    const o = out[`m${i}`]
    const r = o?.ok ? (o.result as { isAvailable?: boolean }) : undefined
    caps[m] = r?.isAvailable === true
  })
  return caps
}
