/**
 * Templates and the whole bulk-invite path over real HTTP, on SQLite and PostgreSQL: template CRUD and
 * preview, upload (UTF-8 and Windows-1251) → dry run → row fixes → send → job progress → per-row results
 * and their exports, checked against what the emulated portal actually received (user.add calls,
 * MESSAGE_TEXT, the inviter's notification).
 */
import ExcelJS from 'exceljs'
import Papa from 'papaparse'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BACKENDS } from '../helpers/databases.js'
import { CLIENT_ID, until, type Stack } from '../helpers/stack.js'
import { DEFAULTS, csv, installedAdmin, sessionApi, startTestStack, waitForJob, withPortal, type Api } from '../helpers/api.js'
import { encode1251 } from '../invites/import/fixtures.js'

const TEMPLATE = {
  name: 'Welcome',
  kind: 'intranet',
  texts: { ru: 'Здравствуйте, {name}! {inviter} приглашает вас на {portal}.', en: 'Hello {name}! {inviter} invites you to {portal}.' },
  defaultLang: 'en',
  departmentId: null,
  groupIds: [],
  reminderDays: [3, 7],
  expireAfterDays: 14,
} as const

const parseCsv = (text: string): string[][] => Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { skipEmptyLines: true }).data

async function readXlsx(bytes: Buffer): Promise<unknown[][]> {
  const wb = new ExcelJS.Workbook()
  await wb.xlsx.load(bytes as unknown as ArrayBuffer)
  const ws = wb.worksheets[0]!
  const rows: unknown[][] = []
  ws.eachRow((row) => rows.push((row.values as unknown[]).slice(1)))
  return rows
}

for (const backend of BACKENDS) {
  describe(`bulk invites API on ${backend.name}`, () => {
    let s: Stack
    let admin: Api
    beforeEach(async () => {
      s = await startTestStack(backend)
      admin = await installedAdmin(s)
    })
    afterEach(async () => {
      await s?.close()
    })

    describe('templates', () => {
      it('creates, lists, renames, refuses a taken name, archives on delete', async () => {
        const created = await admin.post('/api/templates', TEMPLATE)
        expect(created.status).toBe(201)
        const t = created.body.template
        expect(t).toMatchObject({ ...TEMPLATE, id: expect.any(String) })
        expect(typeof t.updatedAt === 'number' || typeof t.updatedAt === 'string').toBe(true)

        const list = await admin.get('/api/templates')
        expect(list.status).toBe(200)
        expect(list.body.templates.map((x: any) => x.id)).toEqual([t.id])

        const again = await admin.post('/api/templates', TEMPLATE)
        expect(again.status).toBe(409)
        expect(again.body.error).toMatchObject({ code: 'template_name_taken', message: expect.stringContaining('Welcome') })

        const other = await admin.post('/api/templates', { ...TEMPLATE, name: 'Partners', kind: 'extranet' })
        expect(other.status).toBe(201)
        const renameOnto = await admin.patch(`/api/templates/${other.body.template.id}`, { name: 'Welcome' })
        expect(renameOnto.status).toBe(409)
        expect(renameOnto.body.error.code).toBe('template_name_taken')

        const patched = await admin.patch(`/api/templates/${t.id}`, { name: 'Welcome (sales)', reminderDays: [2] })
        expect(patched.status).toBe(200)
        expect(patched.body.template).toMatchObject({ id: t.id, name: 'Welcome (sales)', reminderDays: [2], texts: TEMPLATE.texts })

        const missing = await admin.patch(`/api/templates/${crypto.randomUUID()}`, { name: 'X' })
        expect(missing.status).toBe(404)
        expect(missing.body.error.code).toBe('template_not_found')

        const deleted = await admin.del(`/api/templates/${t.id}`)
        expect(deleted.status).toBe(200)
        const after = await admin.get('/api/templates')
        expect(after.body.templates.map((x: any) => x.name)).toEqual(['Partners'])
        expect((await admin.del(`/api/templates/${t.id}`)).status).toBe(404)
        // The name is free again once archived.
        expect((await admin.post('/api/templates', TEMPLATE)).status).toBe(201)
      })

      it('answers 400 bad_request with one detail per invalid field, and rejects unknown {variables}', async () => {
        const bad = await admin.post('/api/templates', {
          ...TEMPLATE, name: '  ', kind: 'partner', reminderDays: [3, 0], expireAfterDays: 'soon',
        })
        expect(bad.status).toBe(400)
        expect(bad.body.error.code).toBe('bad_request')
        expect(bad.body.error.message).toMatch(/not valid/)
        const paths = bad.body.error.details.map((d: any) => d.path).sort()
        expect(paths).toEqual(['expireAfterDays', 'kind', 'name', 'reminderDays.1'])
        for (const d of bad.body.error.details) expect(d.message).toEqual(expect.any(String))

        const unknownVar = await admin.post('/api/templates', { ...TEMPLATE, texts: { ru: 'Привет, {имя}', en: 'Hi {nmae}, from {inviter}' } })
        expect(unknownVar.status).toBe(400)
        expect(unknownVar.body.error.code).toBe('bad_request')
        expect(unknownVar.body.error.details).toEqual([
          { path: 'texts.ru', message: expect.stringContaining('{имя}') },
          { path: 'texts.en', message: expect.stringContaining('{nmae}') },
        ])

        const extra = await admin.post('/api/templates', { ...TEMPLATE, owner: 5 })
        expect(extra.status).toBe(400)

        const t = (await admin.post('/api/templates', TEMPLATE)).body.template
        const badPatch = await admin.patch(`/api/templates/${t.id}`, { texts: { ru: '', en: 'Hi {nobody}' } })
        expect(badPatch.status).toBe(400)
        expect(badPatch.body.error.details).toEqual([{ path: 'texts.en', message: expect.stringContaining('{nobody}') }])
        expect((await admin.get('/api/templates')).body.templates[0].texts).toEqual(TEMPLATE.texts)
        expect(await s.db.db.selectFrom('invite_templates').select('id').execute()).toHaveLength(1)
      })

      it('preview fills {inviter} with the real name from the portal and {portal} with its domain', async () => {
        const maria = s.portal.addUser({ NAME: 'Мария', LAST_NAME: 'Соколова', EMAIL: 'maria@example.test', ADMIN: true, UF_DEPARTMENT: [1] })
        const api = await sessionApi(s, maria.ID)
        const en = await api.post('/api/templates/preview', { text: TEMPLATE.texts.en, lang: 'en' })
        expect(en.status).toBe(200)
        expect(en.body).toEqual({ text: `Hello Anna! Мария Соколова invites you to ${s.portal.domain}.` })
        const ru = await api.post('/api/templates/preview', { text: '{name} {lastName}, {position} в {department}', lang: 'ru', sample: { position: 'Инженер', department: 'Продажи' } })
        expect(ru.body).toEqual({ text: 'Анна Иванова, Инженер в Продажи' })
        const bad = await api.post('/api/templates/preview', { text: 'x', lang: 'de' })
        expect(bad.status).toBe(400)
        expect(bad.body.error.details).toEqual([{ path: 'lang', message: expect.any(String) }])
      })

      it('a non-admin reads templates but gets 403 admin_only on every write', async () => {
        const t = (await admin.post('/api/templates', TEMPLATE)).body.template
        const olga = s.portal.addUser({ NAME: 'Olga', LAST_NAME: 'Petrova', EMAIL: 'olga@example.test', UF_DEPARTMENT: [1] })
        const user = await sessionApi(s, olga.ID)
        // Her departments come from the directory cache: none until a sync has seen her.
        expect((await user.get('/api/me')).body.user).toMatchObject({ id: olga.ID, isAdmin: false, departments: [] })
        expect((await admin.post('/api/directory/sync')).status).toBe(200)
        expect((await user.get('/api/me')).body.user).toMatchObject({ departments: [1] })

        expect((await user.get('/api/templates')).body.templates.map((x: any) => x.id)).toEqual([t.id])
        const preview = await user.post('/api/templates/preview', { text: 'From {inviter}', lang: 'en' })
        expect(preview.body.text).toBe('From Olga Petrova')

        for (const r of [
          await user.post('/api/templates', { ...TEMPLATE, name: 'Mine' }),
          await user.patch(`/api/templates/${t.id}`, { name: 'Renamed' }),
          await user.del(`/api/templates/${t.id}`),
        ]) {
          expect(r.status).toBe(403)
          expect(r.body.error).toMatchObject({ code: 'admin_only', message: expect.any(String) })
        }
        const rows = await s.db.db.selectFrom('invite_templates').select(['name', 'archived']).execute()
        expect(rows.map((r) => [r.name, Number(r.archived)])).toEqual([['Welcome', 0]])
      })
    })

    describe('upload → dry run → send → results', () => {
      it('UTF-8 CSV: duplicates, existing user, unknown department, invalid e-mail; fix, exclude, send, results, notification', async () => {
        const sales = s.portal.addDepartment({ NAME: 'Sales', PARENT: 1 })
        const moscow = s.portal.addDepartment({ NAME: 'Moscow', PARENT: sales.ID })
        const existing = s.portal.addUser({ NAME: 'Ex', LAST_NAME: 'Isting', EMAIL: 'existing@example.test', UF_DEPARTMENT: [1] })
        const maria = s.portal.addUser({ NAME: 'Мария', LAST_NAME: 'Соколова', EMAIL: 'maria@example.test', ADMIN: true, UF_DEPARTMENT: [1] })
        const api = await sessionApi(s, maria.ID)
        const template = (await api.post('/api/templates', TEMPLATE)).body.template

        const file = csv([
          ['E-mail', 'Name', 'Last name', 'Department'],
          ['anna@example.test', 'Anna', 'Smith', 'Sales / Moscow'], // 2: ready
          ['ANNA@example.test', 'Anna', 'Again', 'Sales / Moscow'], // 3: duplicate inside the file
          ['existing@example.test', 'Ex', 'Isting', 'Sales'], // 4: already a portal user
          ['bad-email', 'Bad', 'Mail', 'Sales'], // 5: invalid e-mail
          ['lost@example.test', 'Lost', 'Dept', 'Sales / Moskow'], // 6: unknown department
          ['formula@example.test', '=cmd', '+Injected', 'Sales'], // 7: formula-like name
        ])
        const up = await api.upload(file, 'Сотрудники.csv')
        expect(up.status).toBe(201)
        expect(up.body).toMatchObject({
          source: 'csv', fileName: 'Сотрудники.csv', detected: { encoding: 'utf-8', delimiter: ',' }, headerRow: true,
          headers: ['E-mail', 'Name', 'Last name', 'Department'], rowCount: 6,
          mapping: { 0: 'email', 1: 'name', 2: 'lastName', 3: 'department' }, problems: [],
        })
        const id = up.body.id as string

        // Send before the check: refused.
        const early = await api.post(`/api/imports/${id}/send`)
        expect(early.status).toBe(409)
        expect(early.body.error.code).toBe('dry_run_required')

        const dry = await api.post(`/api/imports/${id}/dry-run`, { mapping: up.body.mapping, headerRow: true, templateId: template.id, defaults: DEFAULTS })
        expect(dry.status).toBe(200)
        const byRow = new Map<number, any>(dry.body.rows.map((r: any) => [r.rowNumber, r]))
        expect(byRow.get(2)).toMatchObject({ status: 'ready', email: 'anna@example.test', department: { id: moscow.ID, path: 'Company / Sales / Moscow' } })
        expect(byRow.get(3)).toMatchObject({ status: 'error', issues: [expect.objectContaining({ field: 'email', code: 'duplicate_email', message: expect.stringContaining('row 2') })] })
        expect(byRow.get(4)).toMatchObject({ status: 'warning', existing: { userId: existing.ID, state: 'active' }, issues: [expect.objectContaining({ code: 'already_exists', severity: 'warning' })] })
        expect(byRow.get(5)).toMatchObject({ status: 'error', email: null, issues: [expect.objectContaining({ field: 'email', code: 'invalid_email' })] })
        expect(byRow.get(6)).toMatchObject({
          status: 'error', department: null,
          issues: [expect.objectContaining({ field: 'department', code: 'unknown_department', suggestions: ['Company / Sales / Moscow'] })],
        })
        expect(byRow.get(7)).toMatchObject({ status: 'ready', name: '=cmd', department: { id: sales.ID } })
        expect(dry.body.summary).toEqual({ total: 6, ready: 2, warnings: 1, errors: 3, excluded: 0, existing: { active: 1, invited: 0, dismissed: 0, extranet: 0 } })

        const report = await api.get(`/api/imports/${id}/report.csv`)
        expect(report.status).toBe(200)
        expect(report.headers.get('content-type')).toMatch(/text\/csv/)
        expect(report.headers.get('content-disposition')).toMatch(/^attachment; filename="?dry-run-report\.csv"?$/)
        const reportRows = parseCsv(report.text)
        expect(reportRows[0]).toEqual(['Row', 'Status', 'E-mail', 'Phone', 'Name', 'Last name', 'Department', 'Groups', 'Existing user', 'Problems'])
        expect(reportRows).toHaveLength(7)
        expect(reportRows.find((r) => r[0] === '6')?.[9]).toMatch(/department: No department "Sales \/ Moskow"/)
        expect(reportRows.find((r) => r[0] === '7')?.[4]).toBe("'=cmd")

        const blocked = await api.post(`/api/imports/${id}/send`)
        expect(blocked.status).toBe(409)
        expect(blocked.body.error).toMatchObject({ code: 'has_errors', message: expect.stringContaining('3 rows') })
        expect(await s.db.db.selectFrom('invite_jobs').select('id').execute()).toHaveLength(0)

        const fixed = await api.patch(`/api/imports/${id}/rows/5`, { email: 'fixed@example.test' })
        expect(fixed.status).toBe(200)
        expect(fixed.body.row).toMatchObject({ rowNumber: 5, status: 'ready', email: 'fixed@example.test', issues: [] })
        const moved = await api.patch(`/api/imports/${id}/rows/6`, { department: 'Sales / Moscow' })
        expect(moved.body.row).toMatchObject({ status: 'ready', department: { id: moscow.ID } })
        const excluded = await api.patch(`/api/imports/${id}/rows/3`, { excluded: true })
        expect(excluded.body.row.status).toBe('excluded')
        expect(excluded.body.summary).toMatchObject({ total: 6, ready: 4, warnings: 1, errors: 0, excluded: 1 })
        const noRow = await api.patch(`/api/imports/${id}/rows/99`, { name: 'x', excluded: true })
        expect(noRow.status).toBe(404)
        expect(noRow.body.error.code).toBe('row_not_found')
        const saved = await s.db.db.selectFrom('invite_imports').select(['edits', 'excluded']).where('id', '=', id).executeTakeFirstOrThrow()
        expect([Object.keys(JSON.parse(saved.edits)).sort(), JSON.parse(saved.excluded)]).toEqual([['5', '6'], [3]])
        const badPatch = await api.patch(`/api/imports/${id}/rows/2`, { email: 5, color: 'red' })
        expect(badPatch.status).toBe(400)
        expect(badPatch.body.error.code).toBe('bad_request')

        const sent = await api.post(`/api/imports/${id}/send`)
        expect(sent.status).toBe(201)
        const jobId = sent.body.jobId as string
        expect(jobId).toEqual(expect.any(String))
        // A double click sends once.
        expect((await api.post(`/api/imports/${id}/send`)).body).toEqual({ jobId })

        const done = await waitForJob(api, jobId, (j) => j.status === 'completed', 'job completed')
        expect(done).toHaveProperty('ratePerMin')
        expect(done).toHaveProperty('etaSec')
        for (const v of [done.ratePerMin, done.etaSec]) expect(v === null || typeof v === 'number').toBe(true)
        expect(done.job).toMatchObject({
          id: jobId, title: 'Сотрудники.csv', status: 'completed',
          totals: { total: 6, queued: 0, sending: 0, invited: 4, skipped: 2, failed: 0 },
        })
        expect(done.job.startedAt).not.toBeNull()
        expect(done.job.finishedAt).not.toBeNull()
        const jobs = await api.get('/api/jobs')
        expect(jobs.body.jobs.map((j: any) => j.id)).toEqual([jobId])

        // What the portal received: exactly four user.add, each with the template rendered for that person.
        expect(s.portal.callCount('user.add')).toBe(4)
        const received = s.portal.invitations()
        expect(received.map((i) => i.email).sort()).toEqual(['anna@example.test', 'fixed@example.test', 'formula@example.test', 'lost@example.test'])
        const msg = (email: string) => received.find((i) => i.email === email)?.messageText
        expect(msg('anna@example.test')).toBe(`Hello Anna! Мария Соколова invites you to ${s.portal.domain}.`)
        expect(msg('fixed@example.test')).toBe(`Hello Bad! Мария Соколова invites you to ${s.portal.domain}.`)
        expect(received.find((i) => i.email === 'lost@example.test')?.departmentIds).toEqual([moscow.ID])
        expect(received.every((i) => i.invitedBy === 1)).toBe(true) // the portal's tokens are the installing admin's

        // The inviter hears about it in Bitrix24.
        const note = await until(() => s.portal.notifications().find((n) => n.userId === maria.ID), 'job-finished notification')
        expect(note.message).toContain('Сотрудники.csv')
        expect(note.message).toContain('Invited: 4, skipped: 2, failed: 0')

        // Items: filter by state, page by seq.
        const skipped = await api.get(`/api/jobs/${jobId}/items?state=skipped`)
        expect(skipped.body.items.map((i: any) => [i.email, i.errorCode])).toEqual([
          ['ANNA@example.test', 'excluded'],
          ['existing@example.test', 'already_exists'],
        ])
        const seen: any[] = []
        let after = 0
        for (let page = 0; page < 10; page++) {
          const r = await api.get(`/api/jobs/${jobId}/items?limit=4&afterSeq=${after}`)
          expect(r.status).toBe(200)
          if (r.body.items.length === 0) break
          expect(r.body.items.length).toBeLessThanOrEqual(4)
          seen.push(...r.body.items)
          after = r.body.items.at(-1).seq
        }
        expect(seen.map((i) => i.seq)).toEqual([1, 2, 3, 4, 5, 6])
        const invited = seen.filter((i) => i.state === 'invited')
        expect(invited).toHaveLength(4)
        const portalIds = new Map(s.portal.users().map((u) => [String(u.EMAIL).toLowerCase(), u.ID]))
        for (const i of invited) expect(i.userId).toBe(portalIds.get(i.email))
        expect(Object.keys(seen[0]).sort()).toEqual(['email', 'errorCode', 'errorMessage', 'phone', 'seq', 'state', 'userId'])

        // Results: CSV and XLSX, with the formula-like name neutralised in both.
        const resCsv = await api.get(`/api/jobs/${jobId}/results.csv`)
        expect(resCsv.status).toBe(200)
        expect(resCsv.headers.get('content-disposition')).toMatch(/invite-results\.csv/)
        const csvRows = parseCsv(resCsv.text)
        expect(csvRows[0]).toEqual(['Row', 'E-mail', 'Phone', 'Name', 'Last name', 'Result', 'User ID', 'Code', 'Reason'])
        expect(csvRows).toHaveLength(7)
        const formulaCsv = csvRows.find((r) => r[1] === 'formula@example.test')!
        expect(formulaCsv.slice(3, 6)).toEqual(["'=cmd", "'+Injected", 'invited'])
        expect(csvRows.find((r) => r[1] === 'existing@example.test')?.slice(3, 8)).toEqual(['Ex', 'Isting', 'skipped', '', 'already_exists'])

        const resXlsx = await api.get(`/api/jobs/${jobId}/results.xlsx`)
        expect(resXlsx.status).toBe(200)
        expect(resXlsx.headers.get('content-type')).toContain('spreadsheetml')
        const xlsxRows = await readXlsx(resXlsx.bytes)
        expect(xlsxRows[0]).toEqual(['Row', 'E-mail', 'Phone', 'Name', 'Last name', 'Result', 'User ID', 'Code', 'Reason'])
        expect(xlsxRows).toHaveLength(7)
        const formulaX = xlsxRows.find((r) => r[1] === 'formula@example.test')!
        expect(typeof formulaX[0]).toBe('number') // numbers stay numbers
        expect(formulaX[6]).toBe(portalIds.get('formula@example.test'))
        expect(formulaX[3]).toBe("'=cmd")
        expect(formulaX[4]).toBe("'+Injected")
        // No cell anywhere is a formula.
        expect(xlsxRows.flat().some((v) => typeof v === 'object' && v !== null && 'formula' in v)).toBe(false)
      })

      it('Windows-1251 with semicolons: department path and a group by name resolve; the text uses them', async () => {
        const sales = s.portal.addDepartment({ NAME: 'Продажи', PARENT: 1 })
        const moscow = s.portal.addDepartment({ NAME: 'Москва', PARENT: sales.ID })
        const club = s.portal.addGroup({ NAME: 'Клуб партнёров', OWNER_ID: 1 })
        const t = (await admin.post('/api/templates', {
          ...TEMPLATE, name: 'Отдел', defaultLang: 'ru', texts: { ru: '{name}, добро пожаловать в {department} ({groups}) от {inviter}', en: '' },
        })).body.template
        const bytes = encode1251([
          'Эл. почта;Имя;Фамилия;Подразделение;Группы',
          'ivan@example.test;Иван;Петров;Продажи / Москва;Клуб партнёров',
          'olga@example.test;Ольга;Сидорова;Продажи / Москва;клуб ПАРТНЁРОВ',
          '',
        ].join('\r\n'))
        const up = await admin.upload(bytes, 'staff-1251.csv')
        expect(up.status).toBe(201)
        expect(up.body).toMatchObject({
          detected: { encoding: 'windows-1251', delimiter: ';' }, headers: ['Эл. почта', 'Имя', 'Фамилия', 'Подразделение', 'Группы'],
          mapping: { 0: 'email', 1: 'name', 2: 'lastName', 3: 'department', 4: 'groups' }, rowCount: 2,
        })
        const dry = await admin.post(`/api/imports/${up.body.id}/dry-run`, {
          mapping: up.body.mapping, headerRow: true, templateId: t.id, defaults: { ...DEFAULTS, departmentId: null, lang: 'ru' },
        })
        expect(dry.status).toBe(200)
        for (const r of dry.body.rows) {
          expect(r).toMatchObject({ status: 'ready', lang: 'ru', department: { id: moscow.ID, path: 'Company / Продажи / Москва' }, groups: [{ id: club.ID, name: 'Клуб партнёров' }] })
        }
        const sent = await admin.post(`/api/imports/${up.body.id}/send`)
        expect(sent.status).toBe(201)
        await waitForJob(admin, sent.body.jobId, (j) => j.status === 'completed', 'job completed')
        const received = s.portal.invitations()
        expect(received.map((i) => [i.email, i.departmentIds])).toEqual([
          ['ivan@example.test', [moscow.ID]],
          ['olga@example.test', [moscow.ID]],
        ])
        expect(received[0]!.messageText).toBe('Иван, добро пожаловать в Москва (Клуб партнёров) от Admin')
        const users = s.portal.users().filter((u) => u.EMAIL === 'olga@example.test')
        expect(users).toMatchObject([{ NAME: 'Ольга', LAST_NAME: 'Сидорова' }])
      })

      it('extranet: a group by name becomes SONET_GROUP_ID with EXTRANET=Y; a paste works the same way', async () => {
        const club = s.portal.addGroup({ NAME: 'Partners Club', OWNER_ID: 1 })
        const file = csv([['Email', 'Full name', 'Groups'], ['guest@example.test', 'Guest One', 'Partners Club'], ['nogroup@example.test', 'No Group', '']])
        const up = await admin.upload(file, 'guests.csv')
        const dry = await admin.post(`/api/imports/${up.body.id}/dry-run`, {
          mapping: up.body.mapping, headerRow: true, templateId: null, defaults: { kind: 'extranet', departmentId: null, groupIds: [], lang: 'en' },
        })
        expect(dry.body.rows.map((r: any) => [r.status, r.issues.map((i: any) => i.code)])).toEqual([['ready', []], ['error', ['missing_group']]])
        expect((await admin.patch(`/api/imports/${up.body.id}/rows/3`, { groups: String(club.ID) })).body.row.status).toBe('ready')
        const sent = await admin.post(`/api/imports/${up.body.id}/send`)
        await waitForJob(admin, sent.body.jobId, (j) => j.status === 'completed', 'job completed')
        const received = s.portal.invitations()
        expect(received.map((i) => [i.email, i.extranet, i.groupIds, i.messageText])).toEqual([
          ['guest@example.test', true, [club.ID], null],
          ['nogroup@example.test', true, [club.ID], null],
        ])

        const paste = await admin.post('/api/imports', { paste: 'Paste Person <paste@example.test>\nsecond@example.test' })
        expect(paste.status).toBe(201)
        expect(paste.body).toMatchObject({ source: 'paste', rowCount: 2 })
        const pdry = await admin.post(`/api/imports/${paste.body.id}/dry-run`, {
          mapping: paste.body.mapping, headerRow: true, templateId: null, defaults: { kind: 'extranet', departmentId: null, groupIds: [club.ID], lang: 'en' },
        })
        expect(pdry.body.summary).toMatchObject({ total: 2, ready: 2 })
        const psent = await admin.post(`/api/imports/${paste.body.id}/send`)
        const pjob = await waitForJob(admin, psent.body.jobId, (j) => j.status === 'completed', 'paste job completed')
        expect(pjob.job).toMatchObject({ title: 'Pasted list', totals: { invited: 2 } })
        expect(s.portal.callCount('user.add')).toBe(4)
        expect(s.portal.users().find((u) => u.EMAIL === 'paste@example.test')).toMatchObject({ NAME: 'Paste', LAST_NAME: 'Person' })
      })

      it('refuses an unknown or archived template, an invalid mapping, and another portal’s import', async () => {
        const up = await admin.upload(csv([['Email'], ['a@example.test']]), 'a.csv')
        const run = (body: Record<string, unknown>) =>
          admin.post(`/api/imports/${up.body.id}/dry-run`, { mapping: up.body.mapping, headerRow: true, templateId: null, defaults: DEFAULTS, ...body })
        const unknown = await run({ templateId: crypto.randomUUID() })
        expect(unknown.status).toBe(400)
        expect(unknown.body.error.code).toBe('unknown_template')
        const t = (await admin.post('/api/templates', TEMPLATE)).body.template
        await admin.del(`/api/templates/${t.id}`)
        const archived = await run({ templateId: t.id })
        expect(archived.status).toBe(400)
        expect(archived.body.error.code).toBe('unknown_template')
        const badMap = await run({ mapping: { 0: 'name' } })
        expect(badMap.status).toBe(400)
        expect(badMap.body.error.code).toBe('invalid_mapping')
        const badShape = await run({ defaults: { kind: 'intranet' } })
        expect(badShape.status).toBe(400)
        expect(badShape.body.error.details.map((d: any) => d.path)).toEqual(['defaults.departmentId', 'defaults.groupIds', 'defaults.lang'])

        const other = await s.emu.createPortal({})
        other.registerApp(CLIENT_ID, { handlerUrl: `${s.a.url}/app`, installUrl: `${s.a.url}/install` })
        const stranger = await installedAdmin(withPortal(s, other))
        for (const r of [
          await stranger.post(`/api/imports/${up.body.id}/dry-run`, { mapping: up.body.mapping, headerRow: true, templateId: null, defaults: DEFAULTS }),
          await stranger.get(`/api/imports/${up.body.id}/report.csv`),
          await stranger.post(`/api/imports/${up.body.id}/send`),
        ]) {
          expect(r.status).toBe(404)
          expect(r.body.error.code).toBe('import_not_found')
        }
      })
    })
  })
}
