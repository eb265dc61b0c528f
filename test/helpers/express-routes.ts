import type { Express } from 'express'

/** Every route the Express app has, as "METHOD /path", walked from its router stack (Express 5 / router 2). */
export function routesOf(app: Express): string[] {
  const out: string[] = []
  const join = (a: string, b: string) => `${a}/${b}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1')
  type Layer = { route?: { path: string | string[]; methods: Record<string, boolean> }; rawPath?: string | string[]; handle?: { stack?: Layer[] } }
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const p of [layer.route.path].flat()) for (const m of Object.keys(layer.route.methods)) out.push(`${m.replace(/^_/, '').toUpperCase()} ${join(prefix, p)}`)
      } else if (layer.handle?.stack) {
        for (const p of [layer.rawPath ?? '/'].flat()) walk(layer.handle.stack, join(prefix, p))
      }
    }
  }
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '')
  return [...new Set(out)].sort()
}
