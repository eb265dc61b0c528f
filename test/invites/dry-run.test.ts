import { describe, expect, it } from 'vitest'
import { checkRows, nearest, summarize, type DryRunContext } from '../../server/invites/dry-run.js'
import { detectMapping, normalizeRows, parseCsv } from '../../server/invites/import/index.js'
import type { DirectoryUser } from '../../server/storage/directory-store.js'

const user = (id: number, email: string, over: Partial<DirectoryUser> = {}): DirectoryUser => ({
  id, email, phone: null, name: null, lastName: null, active: true, userType: 'employee', lastLogin: 1, invited: false, departments: [1], syncedAt: 0, ...over,
})

function ctx(over: Partial<DryRunContext> = {}): DryRunContext {
  return {
    kind: 'intranet', defaultDepartmentId: null, defaultGroupIds: [], defaultLang: 'ru', phoneInvite: false,
    departments: [
      { id: 1, name: 'Company', parentId: null },
      { id: 2, name: 'Sales', parentId: 1 },
      { id: 3, name: 'Moscow', parentId: 2 },
      { id: 4, name: 'Marketing', parentId: 1 },
      { id: 5, name: 'Moscow', parentId: 4 },
    ],
    groups: [{ id: 10, name: 'Partners', isExtranet: true, active: true }, { id: 11, name: 'Board', isExtranet: false, active: true }],
    existingByEmail: new Map([
      ['active@x.ru', user(100, 'active@x.ru')],
      ['pending@x.ru', user(101, 'pending@x.ru', { invited: true, lastLogin: null })],
      ['gone@x.ru', user(102, 'gone@x.ru', { active: false })],
      ['guest@x.ru', user(103, 'guest@x.ru', { userType: 'extranet' })],
    ]),
    existingByPhone: new Map(),
    ...over,
  }
}

function rowsOf(csv: string) {
  const parsed = parseCsv(csv)
  const { mapping, headerRow } = detectMapping(parsed.rows[0]!, parsed.rows.slice(1, 6))
  return normalizeRows(parsed.rows, mapping, headerRow)
}

describe('dry run', () => {
  it('resolves departments by id and by path, and flags unknown and ambiguous ones with suggestions', () => {
    const rows = rowsOf('email;department\na@x.ru;3\nb@x.ru;Sales / Moscow\nc@x.ru;Moscow\nd@x.ru;Sails\ne@x.ru;99\n')
    const out = checkRows(rows, ctx(), new Set())
    expect(out[0]).toMatchObject({ status: 'ready', department: { id: 3, path: 'Company / Sales / Moscow' } })
    expect(out[1]).toMatchObject({ status: 'ready', department: { id: 3 } })
    expect(out[2]!.status).toBe('error')
    expect(out[2]!.issues[0]).toMatchObject({ code: 'ambiguous_department', suggestions: ['Company / Sales / Moscow', 'Company / Marketing / Moscow'] })
    expect(out[3]!.issues[0]).toMatchObject({ code: 'unknown_department', suggestions: ['Company / Sales'] })
    expect(out[4]!.issues[0]).toMatchObject({ code: 'unknown_department' })
  })

  it('finds a department whose own name holds a path separator, by its name, its path and its suggestion', () => {
    const withSlash = ctx({ departments: [...ctx().departments, { id: 6, name: 'R&D / Lab', parentId: 1 }, { id: 7, name: 'QA → Web', parentId: 6 }] })
    const rows = rowsOf('email;department\na@x.ru;R&D / Lab\nb@x.ru;Company / R&D / Lab\nc@x.ru;Lab\nd@x.ru;R&D / Lab / QA → Web\ne@x.ru;Web\n')
    const out = checkRows(rows, withSlash, new Set())
    expect(out.map((r) => r.department?.id ?? r.issues[0]?.code)).toEqual([6, 6, 'unknown_department', 7, 'unknown_department'])
    expect(out[3]!.department!.path).toBe('Company / R&D / Lab / QA → Web')
    // The path the dry run shows (and offers as a fix) reads back to the same department.
    const again = checkRows(rowsOf(`email;department\nf@x.ru;${out[3]!.department!.path}\n`), withSlash, new Set())
    expect(again[0]!.department?.id).toBe(7)
  })

  it('requires a department for employees and a group for guests, defaults fill the gap', () => {
    const rows = rowsOf('email\na@x.ru\n')
    expect(checkRows(rows, ctx(), new Set())[0]!.issues[0]).toMatchObject({ code: 'missing_department', severity: 'error' })
    expect(checkRows(rows, ctx({ defaultDepartmentId: 2 }), new Set())[0]).toMatchObject({ status: 'ready', department: { id: 2 } })
    expect(checkRows(rows, ctx({ kind: 'extranet' }), new Set())[0]!.issues[0]).toMatchObject({ code: 'missing_group' })
    expect(checkRows(rows, ctx({ kind: 'extranet', defaultGroupIds: [10] }), new Set())[0]).toMatchObject({ status: 'ready', groups: [{ id: 10, name: 'Partners' }] })
  })

  it('finds groups by id or name, suggests near names', () => {
    const rows = rowsOf('email;groups\na@x.ru;Partners, 11\nb@x.ru;Partnrs\n')
    const out = checkRows(rows, ctx({ kind: 'extranet' }), new Set())
    expect(out[0]).toMatchObject({ status: 'ready', groups: [{ id: 10 }, { id: 11 }] })
    expect(out[1]!.issues[0]).toMatchObject({ code: 'unknown_group', suggestions: ['Partners'] })
  })

  it('reports people who already exist, by state, as warnings (skipped at send)', () => {
    const rows = rowsOf('email;department\nactive@x.ru;2\npending@x.ru;2\ngone@x.ru;2\nguest@x.ru;2\nnew@x.ru;2\n')
    const out = checkRows(rows, ctx(), new Set())
    expect(out.map((r) => r.existing?.state ?? null)).toEqual(['active', 'invited', 'dismissed', 'extranet', null])
    expect(out.slice(0, 4).every((r) => r.status === 'warning' && r.issues.some((i) => i.code === 'already_exists'))).toBe(true)
    expect(summarize(out)).toMatchObject({ total: 5, ready: 1, warnings: 4, errors: 0, existing: { active: 1, invited: 1, dismissed: 1, extranet: 1 } })
  })

  it('keeps import issues (bad e-mail, duplicates), refuses phone-only rows without the phone method, honours exclusions', () => {
    const rows = rowsOf('email;phone;department\nnot-an-email;;2\na@x.ru;;2\nA@x.ru;;2\n;+79161234567;2\n')
    const out = checkRows(rows, ctx(), new Set([4]))
    expect(out[0]!.issues.map((i) => i.code)).toContain('invalid_email')
    expect(out[2]!.status).toBe('excluded')
    expect(out[3]!.issues.map((i) => i.code)).toContain('phone_invite_unavailable')
    expect(checkRows(rows, ctx({ phoneInvite: true }), new Set())[3]!.status).toBe('ready')
  })

  it('nearest() ignores far-off names', () => {
    expect(nearest('Sales', ['Sales', 'Sale', 'Legal'])).toEqual(['Sales', 'Sale'])
    expect(nearest('Zzzzzz', ['Sales'])).toEqual([])
  })
})
