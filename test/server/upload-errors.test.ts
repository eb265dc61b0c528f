/**
 * Bad input to the bulk-invite API over real HTTP, on SQLite and PostgreSQL: every rejected upload gets a
 * stable code and a readable message and leaves nothing behind (no import row, no job), oversized bodies
 * get a clean 413 instead of a reset socket, and malformed JSON or query strings get a 400 that says what
 * was wrong.
 */
import http from 'node:http'
import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BACKENDS } from '../helpers/databases.js'
import type { Stack } from '../helpers/stack.js'
import { installedAdmin, startTestStack, type Api } from '../helpers/api.js'
import { buildXlsx } from '../invites/import/fixtures.js'
import { MAX_UPLOAD_BYTES } from '../../server/invites/import/index.js'

/** A raw HTTP POST that reports how the exchange ended (answer, or a socket error) without retrying. */
function rawPost(url: string, token: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; text: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      res.on('error', (e) => resolve({ error: e.message }))
    })
    req.on('error', (e) => resolve({ error: `${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}` }))
    // Chunked when no length is given: the server cannot refuse on Content-Length and must count bytes.
    const step = 1024 * 1024
    for (let at = 0; at < body.length; at += step) req.write(body.subarray(at, at + step))
    req.end()
  })
}

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(200)])
const PDF = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')
const OLE = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(1024)])

for (const backend of BACKENDS) {
  describe(`upload and input errors on ${backend.name}`, () => {
    let s: Stack
    let api: Api
    beforeEach(async () => {
      s = await startTestStack(backend)
      api = await installedAdmin(s)
    })
    afterEach(async () => {
      await s?.close()
    })

    /** Nothing may remain of a refused upload: no import to dry-run or send, no job. */
    async function nothingLeft(): Promise<void> {
      expect(await s.db.db.selectFrom('invite_imports').select('id').execute()).toEqual([])
      expect(await s.db.db.selectFrom('invite_jobs').select('id').execute()).toEqual([])
      expect((await api.get('/api/jobs')).body).toEqual({ jobs: [] })
    }

    it('refuses files that are not spreadsheets, each with its own code and message', async () => {
      const good = await buildXlsx([{ name: 'People', rows: [['Email', 'Name'], ['a@example.test', 'A'], ['b@example.test', 'B']] }])
      // Truncated: the ZIP directory at the end is gone, the first entry still says "workbook".
      const truncated = good.subarray(0, Math.floor(good.length / 2))
      const garbage = Buffer.concat([Buffer.from('abc'), Buffer.from([0, 1, 2, 3, 0, 0, 5]), randomBytes(4000)])
      const cases: Array<[string, Buffer | string, number, string, RegExp]> = [
        ['photo.png', PNG, 415, 'not_spreadsheet', /PNG image/],
        ['scan.pdf', PDF, 415, 'not_spreadsheet', /PDF document/],
        ['blob.csv', garbage, 415, 'binary', /./],
        ['old.xls', OLE, 415, 'xls_legacy', /Excel 97–2003/],
        ['broken.xlsx', truncated, 400, 'corrupt_file', /damaged|truncated/],
        ['page.xls', '<html><body><table><tr><td>a@example.test</td></tr></table></body></html>', 415, 'not_spreadsheet', /HTML/],
        ['header-only.csv', 'E-mail,Name\r\n', 400, 'no_rows', /header but no rows/],
        ['blank.csv', '\r\n  \r\n', 400, 'empty', /no data/],
        ['empty.csv', '', 400, 'empty', /empty/],
      ]
      for (const [name, bytes, status, code, message] of cases) {
        const r = await api.upload(bytes, name)
        expect({ name, status: r.status, code: r.body?.error?.code }).toEqual({ name, status, code })
        expect(r.body.error.message).toMatch(message)
      }
      await nothingLeft()
    })

    it('takes 100,000 rows and refuses one more, in a CSV and in a workbook', async () => {
      const csv = (n: number) => 'E-mail\r\n' + Array.from({ length: n }, (_, i) => `u${i}@example.test\r\n`).join('')
      const most = await api.upload(csv(100_000), 'most.csv')
      expect({ status: most.status, rowCount: most.body.rowCount }).toEqual({ status: 201, rowCount: 100_000 })

      const over = await api.upload(csv(100_001), 'over.csv')
      expect({ status: over.status, code: over.body?.error?.code }).toEqual({ status: 400, code: 'too_many_rows' })
      expect(over.body.error.message).toBe('The file has 100,001 rows; at most 100,000 can be invited at once. Split it into several files.')

      const book = await buildXlsx([{ name: 'People', rows: [['E-mail'], ...Array.from({ length: 100_001 }, (_, i) => [`u${i}@example.test`])] }])
      const overBook = await api.upload(book, 'over.xlsx')
      expect({ status: overBook.status, code: overBook.body?.error?.code }).toEqual({ status: 400, code: 'too_many_rows' })
      expect(overBook.body.error.message).toMatch(/more than 100,000 rows/)
    }, 60_000)

    it('reads a CSV with an unclosed quote row by row and reports the broken row as a problem', async () => {
      // The quote is never closed: a naive parser would swallow every row after it into one value.
      const text = 'E-mail,Name\r\na@example.test,"Anna\r\nb@example.test,Boris\r\nc@example.test,Clara\r\n'
      const r = await api.upload(text, 'quotes.csv')
      expect(r.status).toBe(201)
      expect(r.body.rowCount).toBe(3)
      expect(r.body.sample).toEqual([['a@example.test', '"Anna'], ['b@example.test', 'Boris'], ['c@example.test', 'Clara']])
      expect(r.body.problems).toEqual([{ row: 2, code: 'unterminated_quote', message: expect.stringContaining('never closed') }])
    })

    it('answers an upload over 20 MB with 413 too_large, by length or while streaming, without resetting the socket', async () => {
      // One byte over (the handler's own check) and well over (the body reader's limit) must answer alike.
      const over = await rawPost(`${api.url}/api/imports`, api.token, Buffer.alloc(MAX_UPLOAD_BYTES + 1, 0x61), {
        'content-type': 'application/octet-stream', 'x-file-name': 'over.csv',
      })
      expect(over).toMatchObject({ status: 413 })
      expect(JSON.parse((over as { text: string }).text).error.code).toBe('too_large')
      const big = Buffer.alloc(MAX_UPLOAD_BYTES + 3 * 1024 * 1024, 0x61)
      const byLength = await rawPost(`${api.url}/api/imports`, api.token, big, {
        'content-type': 'application/octet-stream', 'content-length': String(big.length), 'x-file-name': 'big.csv',
      })
      expect(byLength).toMatchObject({ status: 413 })
      expect(JSON.parse((byLength as { text: string }).text).error).toEqual({ code: 'too_large', message: expect.stringContaining('20 MB') })

      const streamed = await rawPost(`${api.url}/api/imports`, api.token, big, { 'content-type': 'application/octet-stream', 'x-file-name': 'big.csv' })
      expect(streamed).toMatchObject({ status: 413 })
      expect(JSON.parse((streamed as { text: string }).text).error.code).toBe('too_large')

      // Exactly at the limit is still read (and then judged on its content).
      const atLimit = await api.upload(Buffer.concat([Buffer.from('E-mail\r\n'), Buffer.alloc(MAX_UPLOAD_BYTES - 8, 0x0a)]), 'limit.csv')
      expect(atLimit.status).toBe(400)
      expect(atLimit.body.error.code).toBe('no_rows')
      await nothingLeft()
      // The server is still fine after all that.
      expect((await api.get('/api/templates')).status).toBe(200)
    })

    it('refuses a paste with nothing to invite, a body of the wrong type and an unreadable file name', async () => {
      const blank = await api.post('/api/imports', { paste: ' \n ,; ' })
      expect(blank.status).toBe(400)
      expect(blank.body.error).toMatchObject({ code: 'no_rows', message: expect.stringContaining('paste') })

      const noPaste = await api.post('/api/imports', { text: 'a@example.test' })
      expect(noPaste.status).toBe(400)
      expect(noPaste.body.error.code).toBe('bad_request')
      expect(noPaste.body.error.details).toEqual([{ path: 'paste', message: expect.any(String) }])

      const wrongType = await api.call('POST', '/api/imports', { raw: 'E-mail\na@example.test\n', headers: { 'content-type': 'text/csv' } })
      expect(wrongType.status).toBe(415)
      expect(wrongType.body.error.code).toBe('unsupported_body')
      expect(wrongType.body.error.message).toMatch(/application\/octet-stream/)

      const badName = await api.call('POST', '/api/imports', { raw: 'E-mail\na@example.test\n', headers: { 'content-type': 'application/octet-stream', 'x-file-name': '%E0%A4%A' } })
      expect(badName.status).toBe(201)
      expect(badName.body.fileName).toBe('%E0%A4%A')
      expect(await s.db.db.selectFrom('invite_imports').select('id').execute()).toHaveLength(1)
    })

    it('answers malformed JSON with 400 and a readable message', async () => {
      for (const path of ['/api/templates', '/api/imports', '/api/templates/preview']) {
        const r = await api.call('POST', path, { raw: '{"name": "x",', headers: { 'content-type': 'application/json' } })
        expect(r.status).toBe(400)
        expect(r.body.error.code).toBe('bad_json')
        expect(r.body.error.message).toMatch(/not valid JSON/)
      }
      expect(await s.db.db.selectFrom('invite_templates').select('id').execute()).toEqual([])
    })

    it('answers bad query parameters and ids with 400 bad_request or 404, naming the parameter', async () => {
      const bad: Array<[string, string]> = [
        ['/api/invitations?state=bogus', 'state'],
        ['/api/invitations?limit=0', 'limit'],
        ['/api/invitations?limit=abc', 'limit'],
        ['/api/invitations?olderThanDays=-1', 'olderThanDays'],
        ['/api/invitations?templateId=not-a-uuid', 'templateId'],
        ['/api/invitations?source=email', 'source'],
        ['/api/invitations/export.csv?state=nope', 'state'],
        ['/api/jobs?limit=1000', 'limit'],
      ]
      for (const [path, param] of bad) {
        const r = await api.get(path)
        expect({ path, status: r.status, code: r.body?.error?.code }).toEqual({ path, status: 400, code: 'bad_request' })
        expect(r.body.error.details.map((d: any) => d.path)).toContain(param)
        expect(r.body.error.message).toContain(param)
      }
      // Repeated parameters arrive as arrays: still a clear 400, never a 500.
      const twice = await api.get('/api/invitations?state=sent&state=pending')
      expect(twice.status).toBe(400)
      expect(twice.body.error.details.map((d: any) => d.path)).toEqual(['state'])

      const job = crypto.randomUUID()
      const items = await api.get(`/api/jobs/${job}/items?state=nope`)
      expect(items.status).toBe(400)
      for (const path of [`/api/jobs/${job}`, `/api/jobs/not-a-uuid`, `/api/jobs/${job}/items`, `/api/jobs/${job}/results.csv`]) {
        const r = await api.get(path)
        expect({ path, status: r.status, code: r.body?.error?.code }).toEqual({ path, status: 404, code: 'job_not_found' })
      }
      const noImport = await api.post(`/api/imports/${crypto.randomUUID()}/dry-run`, {
        mapping: { 0: 'email' }, headerRow: true, templateId: null, defaults: { kind: 'intranet', departmentId: 1, groupIds: [], lang: 'en' },
      })
      expect(noImport.status).toBe(404)
      expect(noImport.body.error.code).toBe('import_not_found')
      expect((await api.get('/api/invitations/not-a-uuid')).status).toBe(404)
      expect((await api.post(`/api/jobs/${job}/launch`)).status).toBe(404)
    })
  })
}
