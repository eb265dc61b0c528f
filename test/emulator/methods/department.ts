/**
 * department.get (api-reference/departments/department-get.md): filters ID, NAME, SORT, PARENT, UF_HEAD
 * as top-level parameters, `sort`/`order`, `START`. The emulator also takes a FILTER/filter object with
 * the user.get prefixes, so b24jssdk's callList (`filter: {'>ID': n}`, `order: {ID: 'ASC'}`, `start: -1`) works.
 */
import { applyFilter, applyOrder, paginate, type Fields } from '../listing.js'
import { obj, param, str, type Params } from '../params.js'
import type { DepartmentRecord } from '../state.js'
import type { MethodDef } from './types.js'

const FIELDS: Fields<DepartmentRecord> = {
  ID: { get: (d) => d.ID },
  NAME: { get: (d) => d.NAME },
  SORT: { get: (d) => d.SORT },
  PARENT: { get: (d) => d.PARENT },
  UF_HEAD: { get: (d) => d.UF_HEAD },
}

export function formatDepartment(d: DepartmentRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { ID: String(d.ID), NAME: d.NAME, SORT: d.SORT }
  if (d.PARENT !== null) out.PARENT = String(d.PARENT)
  if (d.UF_HEAD !== null) out.UF_HEAD = String(d.UF_HEAD)
  return out
}

export const departmentMethods: MethodDef[] = [
  {
    name: 'department.get',
    scopes: ['department'],
    handler: (ctx) => {
      // Keys are case-sensitive here: lower-case `sort`/`order` sort, upper-case `SORT` filters by the
      // SORT field (department-get.md lists both). FILTER/filter objects are accepted as well.
      const p = ctx.params
      const filter: Params = { ...obj(param(p, 'FILTER')) }
      for (const key of ['ID', 'NAME', 'SORT', 'PARENT', 'UF_HEAD']) if (p[key] !== undefined) filter[key] = p[key]
      // "NAME — The full name of the department should be specified": exact match.
      if (typeof filter.NAME === 'string') {
        filter['=NAME'] = filter.NAME
        delete filter.NAME
      }
      let items = applyFilter([...ctx.portal.departmentsById.values()], filter, FIELDS)
      const orderParam = p.order ?? p.ORDER
      const order: Params = typeof orderParam === 'object' && orderParam !== null ? obj(orderParam) : { [str(p.sort) || 'ID']: str(orderParam) || 'ASC' }
      items = applyOrder(items, order, FIELDS)
      const page = paginate(items, p.START ?? p.start)
      return { result: page.items.map(formatDepartment), ...(page.total !== undefined ? { total: page.total } : {}), ...(page.next !== undefined ? { next: page.next } : {}) }
    },
  },
]
