import { Router } from 'express'
import { z } from 'zod'
import { AppError, InputError, NotFoundError } from '../../shared/errors.js'
import { renderTemplate, unknownVariables } from '../../invites/render-template.js'
import { TemplateNameTakenError, type InviteTemplate, type TemplateStore } from '../../storage/template-store.js'
import type { PeopleNames } from '../../invites/people-names.js'
import { parseInput } from './parse-input.js'
import { requireAdmin, sessionOf } from './require-session.js'

const text = z.string().max(4000)
const templateBody = z.object({
  name: z.string().trim().min(1, 'Give the template a name').max(100),
  kind: z.enum(['intranet', 'extranet']),
  texts: z.object({ ru: text, en: text }),
  defaultLang: z.enum(['ru', 'en']),
  departmentId: z.number().int().positive().nullable(),
  groupIds: z.array(z.number().int().positive()).max(50),
  reminderDays: z.array(z.number().int().min(1).max(365)).max(10),
  expireAfterDays: z.number().int().min(1).max(365).nullable(),
}).strict()
const previewBody = z.object({
  text,
  lang: z.enum(['ru', 'en']),
  sample: z.object({
    name: z.string().max(100), lastName: z.string().max(100), department: z.string().max(500), position: z.string().max(200), groups: z.string().max(1000),
  }).partial().optional(),
}).strict()

const templateView = (t: InviteTemplate) => ({
  id: t.id, name: t.name, kind: t.kind, texts: t.texts, defaultLang: t.defaultLang, departmentId: t.departmentId, groupIds: t.groupIds,
  reminderDays: t.reminderDays, expireAfterDays: t.expireAfterDays, updatedAt: t.updatedAt,
})

/** Rules a saved template must keep beyond field types: known variables only, and a target its kind can use. */
function checkTemplate(t: Partial<z.infer<typeof templateBody>>): void {
  const problems: Array<{ path: string; message: string }> = []
  for (const lang of ['ru', 'en'] as const) {
    const unknown = t.texts ? unknownVariables(t.texts[lang]) : []
    if (unknown.length) problems.push({ path: `texts.${lang}`, message: `Unknown variables: ${unknown.map((v) => `{${v}}`).join(', ')}` })
  }
  if (t.texts && !t.texts.ru.trim() && !t.texts.en.trim()) problems.push({ path: 'texts', message: 'Write the invitation text in at least one language' })
  if (problems.length) throw new InputError('bad_request', problems.map((p) => p.message).join('; '), problems)
}

/** The template library: everyone reads, admins write; deleting archives, so sent invitations keep theirs. */
export function templatesApi(deps: { templates: TemplateStore; names: PeopleNames }): Router {
  const r = Router()
  const nameTaken = (e: unknown): never => {
    if (e instanceof TemplateNameTakenError) throw new AppError('template_name_taken', `A template named "${e.templateName}" already exists`, 409)
    throw e
  }

  r.get('/templates', async (_req, res) => {
    res.json({ templates: (await deps.templates.list(sessionOf(res).memberId)).map(templateView) })
  })

  r.post('/templates', async (req, res) => {
    const s = requireAdmin(res)
    const b = parseInput(templateBody, req.body)
    checkTemplate(b)
    const t = await deps.templates.create({ ...b, memberId: s.memberId, createdBy: s.userId }).catch(nameTaken)
    res.status(201).json({ template: templateView(t) })
  })

  r.post('/templates/preview', async (req, res) => {
    const s = sessionOf(res)
    const b = parseInput(previewBody, req.body)
    const sample = b.sample ?? {}
    res.json({
      text: renderTemplate(b.text, {
        name: sample.name ?? (b.lang === 'ru' ? 'Анна' : 'Anna'), lastName: sample.lastName ?? (b.lang === 'ru' ? 'Иванова' : 'Smith'),
        department: sample.department ?? null, position: sample.position ?? null, groups: sample.groups ?? null,
        inviter: await deps.names.user(s.memberId, s.userId), portal: await deps.names.portal(s.memberId),
      }),
    })
  })

  r.patch('/templates/:id', async (req, res) => {
    const s = requireAdmin(res)
    const b = parseInput(templateBody.partial(), req.body)
    checkTemplate(b)
    const t = await deps.templates.update(s.memberId, String(req.params.id), b).catch(nameTaken)
    if (!t) throw new NotFoundError('template_not_found', 'There is no such template')
    res.json({ template: templateView(t) })
  })

  r.delete('/templates/:id', async (req, res) => {
    const s = requireAdmin(res)
    const id = String(req.params.id)
    if (!(await deps.templates.archive(s.memberId, id))) throw new NotFoundError('template_not_found', 'There is no such template')
    res.json({ ok: true })
  })

  return r
}
