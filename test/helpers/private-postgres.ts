/**
 * A throwaway PostgreSQL server of a test's own (initdb into a temp directory, its own port), so a test
 * can stop and restart the database under a running app without touching the shared server that the
 * other test files use at the same time. The binaries are the machine's (the same major as the shared one).
 *
 * PostgreSQL refuses to run as root: as root the cluster is made and run as the `postgres` system user.
 */
import { execFile } from 'node:child_process'
import { chmod, chown, mkdtemp, readdir, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/test */
  url: string
  /** `pg_ctl stop`: 'immediate' is a crash (no checkpoint, recovery at the next start); 'fast' is an orderly stop that cuts every session. */
  stop(mode: 'immediate' | 'fast'): Promise<void>
  start(): Promise<void>
  /** Stops the server and deletes its files. */
  destroy(): Promise<void>
}

async function binDir(): Promise<string> {
  const root = '/usr/lib/postgresql'
  const majors = (await readdir(root)).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a))
  if (!majors.length) throw new Error(`no PostgreSQL binaries under ${root}`)
  return path.join(root, majors[0]!, 'bin')
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = await binDir()
  const root = await mkdtemp(path.join(tmpdir(), 'invite-desk-pg-'))
  const data = path.join(root, 'data')
  const asRoot = process.getuid?.() === 0
  // Every command runs as the cluster's owner.
  const as = (file: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(bin, file), ...args]) : run(path.join(bin, file), args))
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const { stdout: gid } = await run('id', ['-g', 'postgres'])
    await chown(root, Number(stdout.trim()), Number(gid.trim()))
  }
  await chmod(root, 0o700)
  const port = await freePort()
  await as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8'])
  const ctl = (args: string[]) =>
    as('pg_ctl', ['-D', data, '-l', path.join(root, 'server.log'), '-w', '-t', '30', ...args])
  // Only loopback TCP and a socket in its own directory: nothing collides with the machine's server.
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${root} -c fsync=off -c max_connections=50`
  const start = async () => {
    await ctl(['-o', options, 'start'])
  }
  await start()
  await as('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'test'])
  let destroyed = false
  return {
    url: `postgres://postgres@127.0.0.1:${port}/test`,
    start,
    async stop(mode) {
      await ctl(['-m', mode, 'stop'])
    },
    async destroy() {
      if (destroyed) return
      destroyed = true
      await ctl(['-m', 'immediate', 'stop']).catch(() => undefined)
      await rm(root, { recursive: true, force: true })
    },
  }
}
