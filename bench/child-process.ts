/** Runs a bench module in its own Node process (with tsx, like `npm run bench`) and collects its IPC messages. */
import { fork, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { buildSync } from 'esbuild'

export interface Child<M> {
  proc: ChildProcess
  /** Resolves with the next message the child sends. */
  next(): Promise<M>
  send(message: unknown): void
  /** Resolves with the exit code; rejects never. */
  exited: Promise<number | null>
}

/** Compiled: the module bundled to plain JS (as production runs), without the tsx loader. */
function entryOf(file: string, compiled: boolean): { entry: string; loader: string[] } {
  const source = path.resolve(import.meta.dirname, file)
  if (!compiled) return { entry: source, loader: ['--import', 'tsx'] }
  const out = path.resolve(import.meta.dirname, '../node_modules/.cache/invite-desk-bench', file.replace(/\.ts$/, '.mjs'))
  buildSync({ entryPoints: [source], outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error' })
  return { entry: out, loader: [] }
}

/** `compiled` defaults to BENCH_COMPILED=1. */
export function startChild<M>(file: string, env: Record<string, string>, execArgv: readonly string[] = [], compiled = process.env.BENCH_COMPILED === '1'): Child<M> {
  const { entry, loader } = entryOf(file, compiled)
  const proc = fork(entry, [], {
    env: { ...process.env, ...env },
    execArgv: [...loader, ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const queue: M[] = []
  const waiters: Array<{ resolve: (m: M) => void; reject: (e: Error) => void }> = []
  let exitCode: number | null | undefined
  proc.on('message', (m) => {
    const w = waiters.shift()
    if (w) w.resolve(m as M)
    else queue.push(m as M)
  })
  const exited = new Promise<number | null>((resolve) => {
    proc.on('exit', (code) => {
      exitCode = code
      for (const w of waiters.splice(0)) w.reject(new Error(`${file} exited (${code}) before answering`))
      resolve(code)
    })
  })
  return {
    proc,
    exited,
    send: (message) => proc.send(message as never),
    next() {
      const m = queue.shift()
      if (m !== undefined) return Promise.resolve(m)
      if (exitCode !== undefined) return Promise.reject(new Error(`${file} exited (${exitCode}) before answering`))
      return new Promise<M>((resolve, reject) => waiters.push({ resolve, reject }))
    },
  }
}
