/**
 * tasks.task.add (api-reference/tasks/tasks-task-add.md; the task object: api-reference/tasks/fields.md).
 * Scope `task`, any user. Only the fields the app uses are kept: TITLE, RESPONSIBLE_ID, CREATED_BY,
 * DESCRIPTION, GROUP_ID, DEADLINE.
 */
import { isoDate } from '../clock.js'
import { RestError } from '../errors.js'
import { int, obj, param, str, upperKeys } from '../params.js'
import type { Portal } from '../portal.js'
import type { TaskRecord } from '../state.js'
import type { MethodContext, MethodDef } from './types.js'

/** ISO 8601; a date-time without an offset is read in the portal's zone, which is UTC here. */
function parseDeadline(v: unknown): number | null {
  const s = str(v).trim()
  if (!s) return null
  const withZone = /T\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(s) ? `${s}Z` : s
  const ms = Date.parse(withZone)
  return Number.isNaN(ms) ? null : ms
}

/** fields.md "user" object (creator, responsible). */
function userBrief(portal: Portal, id: number): Record<string, unknown> {
  const u = portal.usersById.get(id)
  const name = u ? `${str(u.fields.NAME)} ${str(u.fields.LAST_NAME)}`.trim() : ''
  return { id: String(id), name, link: `/company/personal/user/${id}/`, icon: '', workPosition: str(u?.fields.WORK_POSITION) }
}

/** The task as the add answer shows it (string ids, ISO dates, `null` for unset values). */
function formatTask(portal: Portal, t: TaskRecord): Record<string, unknown> {
  const created = isoDate(t.at)
  const group = t.groupId > 0 ? portal.groupsById.get(t.groupId) : undefined
  return {
    id: String(t.id),
    parentId: null,
    title: t.title,
    description: t.description,
    mark: null,
    priority: '1',
    multitask: 'N',
    notViewed: 'N',
    replicate: 'N',
    stageId: '0',
    createdBy: String(t.createdBy),
    createdDate: created,
    responsibleId: String(t.responsibleId),
    changedBy: String(t.createdBy),
    changedDate: created,
    statusChangedBy: null,
    closedBy: null,
    closedDate: null,
    activityDate: created,
    dateStart: null,
    deadline: t.deadline === null ? null : isoDate(t.deadline),
    startDatePlan: null,
    endDatePlan: null,
    guid: `{${String(t.id).padStart(8, '0')}-0000-4000-8000-000000000000}`,
    xmlId: null,
    commentsCount: null,
    serviceCommentsCount: null,
    allowChangeDeadline: 'N',
    allowTimeTracking: 'N',
    taskControl: 'N',
    addInReport: 'N',
    forkedByTemplateId: null,
    timeEstimate: '0',
    timeSpentInLogs: null,
    matchWorkTime: 'N',
    forumTopicId: null,
    forumId: null,
    siteId: 's1',
    subordinate: 'Y',
    exchangeModified: null,
    exchangeId: null,
    outlookVersion: '1',
    viewedDate: null,
    sorting: null,
    durationFact: null,
    isMuted: 'N',
    isPinned: 'N',
    isPinnedInGroup: 'N',
    flowId: null,
    descriptionInBbcode: 'Y',
    status: t.status,
    statusChangedDate: created,
    durationPlan: null,
    durationType: 'days',
    favorite: 'N',
    groupId: String(t.groupId),
    auditors: [],
    accomplices: [],
    checklist: [],
    // fields.md "group" object when the task is in one (tasks-task-complete.md example), else [].
    group: group
      ? {
          id: String(group.ID),
          name: group.NAME,
          opened: group.OPENED === 'Y',
          membersCount: [...group.members.values()].filter((m) => m.role !== 'Z').length,
          image: '',
          additionalData: [],
        }
      : [],
    creator: userBrief(portal, t.createdBy),
    responsible: userBrief(portal, t.responsibleId),
    accomplicesData: [],
    auditorsData: [],
    newCommentsCount: 0,
  }
}

/**
 * The error table: `100` when `fields` is missing or empty; otherwise ERROR_CORE, whose text lists every
 * failed check, each closed by `<br>` (the page's example body: "Task title is not specified\u003Cbr\u003E").
 */
function taskAdd(ctx: MethodContext): { result: unknown } {
  const fields = upperKeys(obj(param(ctx.params, 'fields')))
  if (Object.keys(fields).length === 0) throw new RestError(400, '100', 'Could not find value for parameter {fields} (internal error)')
  const problems: string[] = []
  const title = str(fields.TITLE).trim()
  if (!title) problems.push('Task title is not specified')
  const responsibleId = int(fields.RESPONSIBLE_ID)
  if (!Number.isFinite(responsibleId) || responsibleId <= 0) problems.push('Responsible person not specified')
  else if (!ctx.portal.usersById.has(responsibleId)) problems.push('User specified in the "Responsible" field not found')
  if (problems.length > 0) throw new RestError(400, 'ERROR_CORE', problems.map((p) => `${p}<br>`).join(''))
  const createdByRaw = int(fields.CREATED_BY)
  const groupId = int(fields.GROUP_ID)
  const task: TaskRecord = {
    id: ctx.portal.nextTaskId(),
    clientId: ctx.app.clientId,
    title,
    description: str(fields.DESCRIPTION),
    responsibleId,
    // CREATED_BY defaults to the caller (the page's example passes another user).
    createdBy: Number.isFinite(createdByRaw) && createdByRaw > 0 ? createdByRaw : ctx.user.ID,
    groupId: Number.isFinite(groupId) && groupId > 0 ? groupId : 0,
    deadline: parseDeadline(fields.DEADLINE),
    // fields.md: "2 — waiting for execution", what a new task gets in the example.
    status: '2',
    at: ctx.clock.now(),
  }
  ctx.portal.taskRecords.push(task)
  return { result: { task: formatTask(ctx.portal, task) } }
}

export const taskMethods: MethodDef[] = [{ name: 'tasks.task.add', scopes: ['task'], handler: taskAdd }]
