import path from 'node:path'
import { buildSync } from 'esbuild'

/**
 * Bundles the server to one plain-JS module (dependencies stay in node_modules). Production runs this, not
 * the TypeScript sources through tsx: the loader alone costs about 45 MB of memory in every process.
 * Takes well under a second, so `npm start` rebuilds every time and never runs stale code.
 */
export function buildServer(root: string): string {
  const outfile = path.join(root, 'dist', 'server', 'main.mjs')
  buildSync({
    entryPoints: [path.join(root, 'server', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'error',
  })
  return outfile
}
