import type { Manifest } from '../../install/manifest.js'
import type { BatchOutcome, CallParams, PortalGateway } from '../portals/portal-gateway.js'
import type { PortalRegistration } from '../storage/portal-store.js'

interface BoundEvent { event?: string; handler?: string }
interface BoundPlacement { placement?: string; handler?: string }

/**
 * Reconciles the portal with the manifest: reads what is bound, binds what is missing, unbinds what this
 * app bound earlier but no longer declares (e.g. an old APP_URL). Two or three batches whatever the size.
 */
export async function applyManifest(
  gateway: PortalGateway,
  memberId: string,
  manifest: Manifest,
  appUrl: string,
  now: () => number = Date.now,
): Promise<PortalRegistration> {
  const errors: string[] = []
  const reads: Record<string, [string, CallParams?]> = { events: ['event.get'], placements: ['placement.get'] }
  if (manifest.robots.length) reads.robots = ['bizproc.robot.list']
  const current = await gateway.batch(memberId, reads)

  const boundEvents = listOf<BoundEvent>(current.events, 'event.get', errors)
  const boundPlacements = listOf<BoundPlacement>(current.placements, 'placement.get', errors)
  const boundRobots = manifest.robots.length ? listOf<string>(current.robots, 'bizproc.robot.list', errors) : []

  const changes: Record<string, [string, CallParams?]> = {}
  const key = (s: string) => `c${Object.keys(changes).length}_${s.replace(/[^A-Za-z0-9_]/g, '_')}`.slice(0, 60)

  const wantEvents = manifest.events.map((e) => ({ event: e.event.toUpperCase(), handler: appUrl + e.path }))
  for (const w of wantEvents) {
    if (!boundEvents.some((b) => b.event?.toUpperCase() === w.event && b.handler === w.handler)) {
      changes[key(`bind_${w.event}`)] = ['event.bind', { event: w.event, handler: w.handler }]
    }
  }
  for (const b of boundEvents) {
    if (!b.event || !b.handler) continue
    if (!wantEvents.some((w) => w.event === b.event!.toUpperCase() && w.handler === b.handler)) {
      changes[key(`unbind_${b.event}`)] = ['event.unbind', { event: b.event, handler: b.handler }]
    }
  }

  const wantPlacements = manifest.placements.map((p) => ({ ...p, handler: appUrl + p.path }))
  for (const w of wantPlacements) {
    if (!boundPlacements.some((b) => b.placement === w.placement && b.handler === w.handler)) {
      changes[key(`bind_${w.placement}`)] = [
        'placement.bind',
        {
          PLACEMENT: w.placement,
          HANDLER: w.handler,
          TITLE: w.title.en,
          DESCRIPTION: w.description.en,
          LANG_ALL: {
            ru: { TITLE: w.title.ru, DESCRIPTION: w.description.ru },
            en: { TITLE: w.title.en, DESCRIPTION: w.description.en },
          },
        },
      ]
    }
  }
  for (const b of boundPlacements) {
    if (!b.placement || !b.handler) continue
    if (!wantPlacements.some((w) => w.placement === b.placement && w.handler === b.handler)) {
      changes[key(`unbind_${b.placement}`)] = ['placement.unbind', { PLACEMENT: b.placement, HANDLER: b.handler }]
    }
  }

  for (const r of manifest.robots) {
    const params = {
      CODE: r.code,
      HANDLER: appUrl + r.path,
      NAME: r.name,
      DESCRIPTION: r.description,
      USE_SUBSCRIPTION: r.useSubscription ? 'Y' : 'N',
      PROPERTIES: r.properties,
      RETURN_PROPERTIES: r.returnProperties,
    }
    // Robots are updated in place so that a new version's names and properties reach existing portals.
    changes[key(`robot_${r.code}`)] = boundRobots.includes(r.code)
      ? ['bizproc.robot.update', { CODE: r.code, FIELDS: params }]
      : ['bizproc.robot.add', params]
  }
  for (const code of boundRobots) {
    if (!manifest.robots.some((r) => r.code === code)) changes[key(`robot_delete_${code}`)] = ['bizproc.robot.delete', { CODE: code }]
  }

  const entries = Object.entries(changes)
  for (let i = 0; i < entries.length; i += 50) {
    const chunk = Object.fromEntries(entries.slice(i, i + 50))
    const out = await gateway.batch(memberId, chunk)
    for (const [k, o] of Object.entries(out)) {
      if (!o.ok) errors.push(`${chunk[k]![0]} ${describe(chunk[k]![1])}: ${o.code}`)
    }
  }

  const failed = (what: string) => errors.some((e) => e.includes(what))
  return {
    events: wantEvents.filter((w) => !failed(w.event)).map((w) => w.event),
    placements: wantPlacements.filter((w) => !failed(w.placement)).map((w) => w.placement),
    robots: manifest.robots.filter((r) => !failed(r.code)).map((r) => r.code),
    appliedAt: now(),
    errors,
  }
}

function listOf<T>(o: BatchOutcome | undefined, method: string, errors: string[]): T[] {
  if (!o) return []
  if (!o.ok) {
    errors.push(`${method}: ${o.code}`)
    return []
  }
  return Array.isArray(o.result) ? (o.result as T[]) : []
}

function describe(p: CallParams | undefined): string {
  if (!p) return ''
  return String(p.event ?? p.PLACEMENT ?? p.CODE ?? '')
}
