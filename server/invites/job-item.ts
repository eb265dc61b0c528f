import type { JobItemPayload } from '../engine/job-runner.js'
import type { NewJobItem } from '../storage/job-store.js'
import type { InviteTemplate } from '../storage/template-store.js'
import type { DryRunRow } from './dry-run.js'
import type { NormalizedRow } from './import/index.js'
import { renderTemplate } from './render-template.js'

/** The template's text in the row's language (or the template's default), with the row's values. */
function renderedText(row: DryRunRow, n: NormalizedRow, template: InviteTemplate, ctx: { inviter: string; portal: string }): string | null {
  const text = template.texts[row.lang] || template.texts[template.defaultLang]
  if (!text) return null
  return renderTemplate(text, {
    name: n.name, lastName: n.lastName, position: n.position, department: row.department?.path.split(' / ').at(-1) ?? null,
    groups: row.groups.map((g) => g.name).join(', '), inviter: ctx.inviter, portal: ctx.portal,
  })
}

export function jobItemFor(row: DryRunRow, n: NormalizedRow, kind: 'intranet' | 'extranet', template: InviteTemplate | undefined, ctx: { inviter: string; portal: string }): NewJobItem {
  const ledger: JobItemPayload['ledger'] = { name: n.name, lastName: n.lastName, kind, departmentId: row.department?.id ?? null, groupIds: row.groups.map((g) => g.id) }
  // Skipped rows keep the person's name too, so the results file says who each row was.
  if (row.status === 'excluded') return { email: row.email, phone: row.phone, payload: { ledger }, state: 'skipped', errorCode: 'excluded', errorMessage: 'Excluded in the dry run' }
  if (row.existing && row.groupAction) {
    // Someone already in the portal, brought into the guest group (the dry run chose the method).
    const messageText = template ? renderedText(row, n, template, ctx) : null
    const payload: JobItemPayload = {
      email: row.email, phone: row.phone, fields: {}, messageText, ledger,
      groupInvite: { groupId: row.groupAction.groupId, userId: row.existing.userId, method: row.groupAction.method },
    }
    return { email: row.email, phone: row.phone, payload: payload as unknown as Record<string, unknown> }
  }
  if (row.existing) return { email: row.email, phone: row.phone, payload: { ledger }, state: 'skipped', errorCode: 'already_exists', errorMessage: `Already in the portal (user ${row.existing.userId}, ${row.existing.state})` }
  const fields: Record<string, unknown> = {}
  if (n.name) fields.NAME = n.name
  if (n.lastName) fields.LAST_NAME = n.lastName
  if (n.secondName) fields.SECOND_NAME = n.secondName
  if (n.position) fields.WORK_POSITION = n.position
  for (const [code, value] of Object.entries(n.userFields)) fields[code] = value
  if (kind === 'extranet') {
    fields.EXTRANET = 'Y'
    fields.SONET_GROUP_ID = row.groups.map((g) => g.id)
  } else {
    fields.UF_DEPARTMENT = row.department ? [row.department.id] : []
  }
  const messageText = template ? renderedText(row, n, template, ctx) : null
  const payload: JobItemPayload = { email: row.email, phone: row.phone, fields, messageText, ledger }
  return { email: row.email, phone: row.phone, payload: payload as unknown as Record<string, unknown> }
}
