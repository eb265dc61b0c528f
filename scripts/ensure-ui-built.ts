import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'

/** Builds the UI once when dist/client is missing (start and demo both serve it). Run from the repo root. */
export function ensureUiBuilt(): void {
  if (existsSync(path.join('dist', 'client', 'index.html'))) return
  console.log('Building the UI…')
  execFileSync(process.execPath, [path.join('node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'client/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' })
}
