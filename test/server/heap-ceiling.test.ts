/**
 * The production server runs with a bounded heap (scripts/server-node-flags.ts). This proves the ceiling is
 * high enough for the largest inputs the app accepts: the server is bundled and started exactly as `npm start`
 * starts it, then given a 100,000-row CSV of long values near the 20 MB limit and a 100,000-row workbook by two
 * portals at once, each uploaded, checked and sent (the job of 100,000 items is created, then cancelled). If
 * the ceiling were too low, V8 would abort the process with "heap out of memory" and the requests would fail
 * (at --max-old-space-size=176 it does).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildServer } from '../../scripts/build-server.js'
import { SERVER_NODE_FLAGS } from '../../scripts/server-node-flags.js'
import { MAX_IMPORT_ROWS, MAX_UPLOAD_BYTES } from '../../server/invites/import/index.js'
import { startEmulator, type Emulator } from '../emulator/index.js'
import { apiFor, type Api } from '../helpers/api.js'
import { buildXlsx } from '../invites/import/fixtures.js'
import { APP_SECRET, CLIENT_ID, CLIENT_SECRET, TEST_APP, bootOf, postForm } from '../helpers/stack.js'

const ROOT = path.resolve(import.meta.dirname, '../..')

async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

/** Long Russian names, a position and a department path: about 195 bytes of UTF-8, so 100,000 rows fill ~19 MB. */
function fatRow(i: number): string[] {
  return ['Константинопольская', 'Александра', 'Вячеславовна', `person.${i}@example.test`, `+7 900 ${String(i).padStart(7, '0')}`, 'Ведущий специалист', 'Продажи / Москва']
}
const HEADER = ['Фамилия', 'Имя', 'Отчество', 'E-mail', 'Телефон', 'Должность', 'Отдел']

describe('the production heap ceiling', () => {
  let emu: Emulator
  let server: ChildProcess
  const apis: Api[] = []
  let dir: string
  const output: string[] = []
  let csv: Buffer
  let book: Buffer

  beforeAll(async () => {
    emu = await startEmulator({ apps: [TEST_APP] })
    dir = await mkdtemp(path.join(tmpdir(), 'invite-desk-heap-'))
    const port = await freePort()
    const url = `http://localhost:${port}`
    server = spawn(process.execPath, [...SERVER_NODE_FLAGS, buildServer(ROOT)], {
      // Its own directory: no developer's .env is read.
      cwd: dir,
      env: {
        PATH: process.env.PATH, PORT: String(port), APP_URL: url, B24_CLIENT_ID: CLIENT_ID, B24_CLIENT_SECRET: CLIENT_SECRET,
        B24_OAUTH_URL: emu.oauthUrl, APP_SECRET, APP_ALLOW_HTTP_PORTALS: '1', SQLITE_PATH: path.join(dir, 'app.sqlite'), LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    server.stdout!.on('data', (b) => output.push(String(b)))
    server.stderr!.on('data', (b) => output.push(String(b)))
    for (let t = Date.now(); ; ) {
      if ((await fetch(`${url}/healthz`).catch(() => null))?.ok) break
      if (server.exitCode !== null || Date.now() - t > 30_000) throw new Error(`the server did not start:\n${output.join('')}`)
      await new Promise((r) => setTimeout(r, 100))
    }

    // The files are built first: building them blocks this process for seconds, and a keep-alive connection
    // left idle meanwhile could be closed by the server just as the upload starts on it (EPIPE).
    const lines = [HEADER, ...Array.from({ length: MAX_IMPORT_ROWS }, (_, i) => fatRow(i))].map((r) => r.join(';'))
    csv = Buffer.from('\uFEFF' + lines.join('\r\n') + '\r\n', 'utf8')
    book = await buildXlsx([{ name: 'Сотрудники', rows: [HEADER, ...Array.from({ length: MAX_IMPORT_ROWS }, (_, i) => fatRow(i))] }])
    // Two portals: their whole-file work may not add up on one server.
    for (let k = 0; k < 2; k++) apis.push(await installedAdmin(url))
  }, 90_000)

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM')
      await new Promise((r) => server.once('exit', r))
    }
    await emu?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  /** Upload, dry run, send, cancel: every step answers, and the server is still alive afterwards. */
  async function installedAdmin(url: string): Promise<Api> {
    const portal = await emu.createPortal({ lang: 'ru' })
    const sales = portal.addDepartment({ NAME: 'Продажи', PARENT: 1 }).ID
    portal.addDepartment({ NAME: 'Москва', PARENT: sales })
    portal.registerApp(CLIENT_ID, { handlerUrl: `${url}/app`, installUrl: `${url}/install` })
    const f = portal.beginInstall(CLIENT_ID)
    expect((await postForm(`${url}/install?${new URLSearchParams(f.query)}`, f.body)).status).toBe(200)
    await portal.finishInstall(CLIENT_ID)
    for (let t = Date.now(); ; ) {
      const frame = portal.appFrameFields(CLIENT_ID, { userId: 1 })
      const opened = await postForm(`${url}/app?${new URLSearchParams(frame.query)}`, frame.body)
      const token = opened.status === 200 ? bootOf(opened.text).session?.token : undefined
      if (typeof token === 'string') return apiFor(url, token)
      if (Date.now() - t > 15_000) throw new Error(`opening the app answered ${opened.status}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  async function checkAndSend(api: Api, bytes: Uint8Array, fileName: string): Promise<void> {
    try {
      await steps(api, bytes, fileName)
    } catch (e) {
      // A dead server shows up as a refused connection: its own last words say why.
      throw new Error(`${e instanceof Error ? e.message : String(e)}\nserver exit ${server.exitCode}, output:\n${output.join('').slice(-3000)}`, { cause: e })
    }
  }

  async function steps(api: Api, bytes: Uint8Array, fileName: string): Promise<void> {
    const up = await api.upload(bytes, fileName)
    expect(up.status, up.text.slice(0, 300)).toBe(201)
    expect(up.body.rowCount).toBe(MAX_IMPORT_ROWS)
    const dry = await api.post(`/api/imports/${up.body.id}/dry-run`, {
      mapping: up.body.mapping, headerRow: up.body.headerRow, templateId: null,
      defaults: { kind: 'intranet', departmentId: null, groupIds: [], lang: 'ru' },
    })
    expect(dry.status, dry.text.slice(0, 300)).toBe(200)
    expect(dry.body.summary).toMatchObject({ total: MAX_IMPORT_ROWS, errors: 0 })
    const sent = await api.post(`/api/imports/${up.body.id}/send`)
    expect(sent.status, sent.text.slice(0, 300)).toBe(201)
    const cancel = await api.post(`/api/jobs/${sent.body.jobId}/cancel`)
    expect(cancel.status, cancel.text.slice(0, 300)).toBe(200)
    expect(server.exitCode, output.join('')).toBeNull()
    expect((await api.get('/healthz')).status).toBe(200)
  }

  it('a 100,000-row CSV of long values near the 20 MB limit and a 100,000-row workbook, from two portals at once', async () => {
    expect(csv.length).toBeGreaterThan(MAX_UPLOAD_BYTES * 0.9)
    expect(csv.length).toBeLessThanOrEqual(MAX_UPLOAD_BYTES)
    expect(book.length).toBeLessThanOrEqual(MAX_UPLOAD_BYTES)
    await Promise.all([checkAndSend(apis[0]!, csv, 'большой.csv'), checkAndSend(apis[1]!, book, 'большой.xlsx')])
  }, 240_000)
})
