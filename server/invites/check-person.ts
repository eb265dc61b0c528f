/**
 * One person, checked like a row of an uploaded file (the same normalisation, e-mail, department, group and
 * existing-person checks), for the paths that invite people one at a time: robots and join links.
 */
import { rowChecker, type DryRunContext, type DryRunRow } from './dry-run.js'
import { normalizeRows, type ColumnMapping, type NormalizedRow } from './import/index.js'

export interface PersonFields {
  email: string
  name: string
  lastName: string
  position: string
  /** A department by ID or name/path (employees); '' for the default. */
  department: string
  groupId: number | null
  /** The person's language when the row does not say; the template's text follows it. */
  lang: 'ru' | 'en'
}

export type PersonCheck =
  | { ok: true; n: NormalizedRow; row: DryRunRow; email: string }
  | { ok: false; problem: 'missing_email' | 'invalid_email' }

const MAPPING: ColumnMapping = { 0: 'email', 1: 'name', 2: 'lastName', 3: 'position', 4: 'department', 5: 'groups' }

export function checkPerson(
  p: PersonFields,
  kind: 'intranet' | 'extranet',
  dry: Omit<DryRunContext, 'kind' | 'defaultDepartmentId' | 'defaultGroupIds'>,
  defaultDepartmentId: number | null,
): PersonCheck {
  const cells = [p.email, p.name, p.lastName, p.position, kind === 'intranet' ? p.department : '', p.groupId === null ? '' : String(p.groupId)]
  const [n] = normalizeRows([cells], MAPPING, false)
  if (!n) return { ok: false, problem: 'missing_email' }
  if (n.issues.some((i) => i.field === 'email' && i.severity === 'error') || !n.email) return { ok: false, problem: 'invalid_email' }
  const check = rowChecker({ ...dry, kind, defaultDepartmentId: kind === 'intranet' ? defaultDepartmentId : null, defaultGroupIds: [] }, new Set())
  return { ok: true, n, row: check({ ...n, language: n.language ?? p.lang }), email: n.email }
}
