import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { ApiError, toApiError } from '../api/http'
import { createFileImport, createPasteImport, reparseImport, runDryRun, sendImport, updateImportRow } from '../api/imports'
import {
  MAX_UPLOAD_BYTES,
  type ColumnMapping,
  type DryRun,
  type DryRunRequest,
  type DryRunRow,
  type FieldKey,
  type Import,
  type InviteKind,
  type Lang,
  type ReparseRequest,
  type RowPatch,
  type Template,
} from '../api/types'
import { usePortalStore } from './portal'

/** The wizard's steps, in order; the index + 1 is the step number shown to the user. */
export const WIZARD_STEPS = ['source', 'check', 'columns', 'target', 'dryRun', 'sending'] as const
export type WizardStepId = (typeof WIZARD_STEPS)[number]
export const STEP_COUNT = WIZARD_STEPS.length
export const SENDING_STEP = 6
export const DRY_RUN_STEP = 5

/** Fields a column can map to only once (custom fields and e.g. groups too: one column each). */
export interface MappingCheck {
  /** Neither e-mail nor phone is mapped: nobody could be invited. */
  missingContact: boolean
  /** Fields chosen for more than one column. */
  duplicates: FieldKey[]
  ok: boolean
}

export interface WizardTarget {
  templateId: string | null
  kind: InviteKind
  departmentId: number | null
  groupIds: number[]
  lang: Lang
}

type Busy = 'upload' | 'paste' | 'reparse' | 'dryRun' | 'send' | null

function uiLang(): Lang {
  return typeof document !== 'undefined' && document.documentElement.lang.toLowerCase().startsWith('ru') ? 'ru' : 'en'
}

function defaultTarget(): WizardTarget {
  return { templateId: null, kind: 'intranet', departmentId: null, groupIds: [], lang: uiLang() }
}

/** Number of columns: the widest of the header and the sample rows. */
export function columnCountOf(data: Import | null): number {
  if (!data) return 0
  return data.sample.reduce((max, row) => Math.max(max, row.length), data.headers.length)
}

/** Every column index as a key, with null for the ones not imported (explicit for the server). */
function completeMapping(data: Import, mapping: ColumnMapping): ColumnMapping {
  const full: ColumnMapping = {}
  for (let index = 0; index < columnCountOf(data); index++) full[String(index)] = mapping[String(index)] ?? null
  return full
}

export function checkMapping(mapping: ColumnMapping): MappingCheck {
  const seen = new Map<FieldKey, number>()
  for (const field of Object.values(mapping)) if (field) seen.set(field, (seen.get(field) ?? 0) + 1)
  const duplicates = [...seen].filter(([, count]) => count > 1).map(([field]) => field)
  const missingContact = !seen.has('email') && !seen.has('phone')
  return { missingContact, duplicates, ok: !missingContact && duplicates.length === 0 }
}

/** Client-side checks before spending an upload on a file the server would reject anyway. */
function precheckFile(file: File): ApiError | null {
  if (file.size === 0) return new ApiError(400, 'empty', 'The file is empty')
  if (file.size > MAX_UPLOAD_BYTES) return new ApiError(413, 'too_large', 'The file is larger than 20 MB')
  return null
}

/**
 * The "New invitation" wizard: source → check file → columns → target → dry run → sending. Kept in
 * a store so that visiting another section and coming back does not lose the list.
 */
export const useInviteWizardStore = defineStore('inviteWizard', () => {
  const step = ref(1)
  /** The furthest step reached for the current list (earlier steps can be revisited). */
  const reached = ref(1)
  const busy = ref<Busy>(null)

  // Step 1: source
  const file = shallowRef<{ name: string; size: number } | null>(null)
  const fileImport = shallowRef<Import | null>(null)
  const uploadError = shallowRef<ApiError | null>(null)
  const pasteText = ref('')
  /** What the user touched last: decides the source when both a file and a paste exist. */
  const lastTouched = ref<'file' | 'paste' | null>(null)
  let pastedImport: { text: string; data: Import } | null = null
  let uploadPromise: Promise<void> | null = null
  let uploadSeq = 0

  // Steps 2–4
  const importData = shallowRef<Import | null>(null)
  const headerRow = ref(true)
  const mapping = ref<ColumnMapping>({})
  const target = ref<WizardTarget>(defaultTarget())

  // Step 5
  const dryRun = shallowRef<Omit<DryRun, 'rows'> | null>(null)
  // Thousands of rows: replaced wholesale, never deeply reactive.
  const rows = shallowRef<DryRunRow[]>([])
  const dryRunKey = ref<string | null>(null)
  const rowBusy = ref<number | null>(null)

  // Step 6
  const jobId = ref<string | null>(null)

  /** The last failure of a step action (reparse, dry run, send), shown on that step. */
  const stepError = shallowRef<ApiError | null>(null)

  const pasteEntries = computed(() => pasteText.value.split(/[\s,;]+/).filter(token => token.length > 0).length)
  const source = computed<'file' | 'paste' | null>(() => {
    const hasPaste = pasteText.value.trim().length > 0
    const hasFile = fileImport.value !== null || busy.value === 'upload'
    if (hasPaste && (lastTouched.value === 'paste' || !hasFile)) return 'paste'
    if (hasFile) return 'file'
    return null
  })
  const columnCount = computed(() => columnCountOf(importData.value))
  const mappingCheck = computed(() => checkMapping(mapping.value))

  const dryRunRequest = computed<DryRunRequest | null>(() => {
    const data = importData.value
    if (!data) return null
    const { templateId, kind, departmentId, groupIds, lang } = target.value
    return {
      mapping: completeMapping(data, mapping.value),
      headerRow: headerRow.value,
      templateId,
      defaults: { kind, departmentId, groupIds: [...groupIds], lang },
    }
  })
  const requestKey = computed(() => (dryRunRequest.value ? JSON.stringify(dryRunRequest.value) : null))
  /** The settings changed after the dry run: its result no longer describes what would be sent. */
  const dryRunStale = computed(() => dryRun.value !== null && dryRunKey.value !== requestKey.value)
  const summary = computed(() => dryRun.value?.summary ?? null)
  /** Rows that will really be invited: people already in the portal are skipped by the send. */
  const sendableCount = computed(() =>
    summary.value ? rows.value.filter(row => (row.status === 'ready' || row.status === 'warning') && !row.existing).length : 0,
  )
  const canSend = computed(
    () => !!summary.value && summary.value.errors === 0 && sendableCount.value > 0 && !dryRunStale.value && busy.value === null,
  )

  function noteError(cause: unknown): ApiError {
    usePortalStore().noteError(cause)
    return toApiError(cause)
  }

  /** A new list: everything after step 1 starts again from what the server detected. */
  function adoptImport(data: Import): void {
    importData.value = data
    headerRow.value = data.headerRow
    mapping.value = { ...data.mapping }
    clearDryRun()
    reached.value = 2
  }

  function clearDryRun(): void {
    dryRun.value = null
    rows.value = []
    dryRunKey.value = null
  }

  // --- Step 1 -------------------------------------------------------------------------------

  /** Upload right away (early feedback: wrong format, too large); Next then only moves on. */
  function chooseFile(chosen: File): Promise<void> {
    lastTouched.value = 'file'
    file.value = { name: chosen.name, size: chosen.size }
    fileImport.value = null
    uploadError.value = precheckFile(chosen)
    if (uploadError.value) {
      uploadPromise = null
      return Promise.resolve()
    }
    const seq = ++uploadSeq
    busy.value = 'upload'
    // The result and the end of "busy" land in one update: the page never shows the file as read while the
    // Next button still spins (a click then was lost).
    const done = () => {
      if (seq === uploadSeq && busy.value === 'upload') busy.value = null
    }
    uploadPromise = createFileImport(chosen)
      .then(data => {
        if (seq === uploadSeq) fileImport.value = data
        done()
      })
      .catch((cause: unknown) => {
        if (seq === uploadSeq) uploadError.value = noteError(cause)
        done()
      })
    return uploadPromise
  }

  function clearFile(): void {
    uploadSeq++
    if (busy.value === 'upload') busy.value = null
    file.value = null
    fileImport.value = null
    uploadError.value = null
    uploadPromise = null
    if (lastTouched.value === 'file') lastTouched.value = pasteText.value.trim() ? 'paste' : null
  }

  function setPasteText(text: string): void {
    pasteText.value = text
    lastTouched.value = text.trim() ? 'paste' : fileImport.value ? 'file' : null
  }

  /** Step 1 → 2. Resolves to true when the wizard moved on. */
  async function submitSource(): Promise<boolean> {
    stepError.value = null
    if (source.value === 'file') {
      if (uploadPromise) await uploadPromise
      const data = fileImport.value
      if (!data) return false
      if (importData.value?.id !== data.id) adoptImport(data)
      goTo(2, true)
      return true
    }
    if (source.value === 'paste') {
      const text = pasteText.value.trim()
      if (pastedImport?.text === text) {
        if (importData.value?.id !== pastedImport.data.id) adoptImport(pastedImport.data)
        goTo(2, true)
        return true
      }
      busy.value = 'paste'
      try {
        const data = await createPasteImport(text)
        pastedImport = { text, data }
        adoptImport(data)
        goTo(2, true)
        return true
      } catch (cause) {
        stepError.value = noteError(cause)
        return false
      } finally {
        busy.value = null
      }
    }
    return false
  }

  // --- Step 2 -------------------------------------------------------------------------------

  async function reparse(overrides: ReparseRequest): Promise<boolean> {
    const data = importData.value
    if (!data || busy.value) return false
    busy.value = 'reparse'
    stepError.value = null
    try {
      const next = await reparseImport(data.id, overrides)
      if (fileImport.value?.id === data.id) fileImport.value = next
      adoptImport(next)
      return true
    } catch (cause) {
      stepError.value = noteError(cause)
      return false
    } finally {
      busy.value = null
    }
  }

  function setHeaderRow(value: boolean): void {
    headerRow.value = value
  }

  // --- Step 3 -------------------------------------------------------------------------------

  function setColumnField(column: number, field: FieldKey | null): void {
    mapping.value = { ...mapping.value, [String(column)]: field }
  }

  // --- Step 4 -------------------------------------------------------------------------------

  /** Pick a template (or none); a template brings its defaults. */
  function applyTemplate(template: Template | null): void {
    if (!template) {
      target.value = { ...target.value, templateId: null }
      return
    }
    target.value = {
      templateId: template.id,
      kind: template.kind,
      departmentId: template.departmentId,
      groupIds: [...template.groupIds],
      lang: template.defaultLang,
    }
  }

  function updateTarget(patch: Partial<WizardTarget>): void {
    target.value = { ...target.value, ...patch }
  }

  /** Step 4 → 5 (and "run again" on step 5). */
  async function startDryRun(): Promise<boolean> {
    const data = importData.value
    const request = dryRunRequest.value
    if (!data || !request || busy.value) return false
    busy.value = 'dryRun'
    stepError.value = null
    const key = JSON.stringify(request)
    try {
      const { rows: checked, ...rest } = await runDryRun(data.id, request)
      rows.value = checked
      dryRun.value = rest
      dryRunKey.value = key
      goTo(DRY_RUN_STEP, true)
      return true
    } catch (cause) {
      stepError.value = noteError(cause)
      return false
    } finally {
      busy.value = null
    }
  }

  // --- Step 5 -------------------------------------------------------------------------------

  /** PATCH one row (fix, exclude, include); resolves to the updated row or throws ApiError. */
  async function patchRow(rowNumber: number, patch: RowPatch): Promise<DryRunRow> {
    const data = importData.value
    if (!data) throw new ApiError(0, 'dry_run_required', 'No list')
    rowBusy.value = rowNumber
    try {
      const { row, summary: nextSummary } = await updateImportRow(data.id, rowNumber, patch)
      const index = rows.value.findIndex(item => item.rowNumber === rowNumber)
      if (index >= 0) {
        const next = rows.value.slice()
        next[index] = row
        rows.value = next
      }
      if (dryRun.value) dryRun.value = { ...dryRun.value, summary: nextSummary }
      return row
    } catch (cause) {
      throw noteError(cause)
    } finally {
      if (rowBusy.value === rowNumber) rowBusy.value = null
    }
  }

  /** Step 5 → 6: queue the invitations. */
  async function send(): Promise<boolean> {
    const data = importData.value
    if (!data || !canSend.value) return false
    busy.value = 'send'
    stepError.value = null
    try {
      const { jobId: id } = await sendImport(data.id)
      jobId.value = id
      goTo(SENDING_STEP, true)
      return true
    } catch (cause) {
      const error = noteError(cause)
      // The server's dry run no longer matches: make the UI ask for a new one.
      if (error.code === 'dry_run_required') dryRunKey.value = null
      stepError.value = error
      return false
    } finally {
      busy.value = null
    }
  }

  // --- Navigation ---------------------------------------------------------------------------

  /** Move to a step already reached (or, with `advance`, the next one). No way back from sending. */
  function goTo(next: number, advance = false): boolean {
    if (next < 1 || next > STEP_COUNT) return false
    if (step.value === SENDING_STEP && next !== SENDING_STEP) return false
    if (!advance && next > reached.value) return false
    stepError.value = null
    step.value = next
    reached.value = Math.max(reached.value, next)
    return true
  }

  /** Start a new list (keeps nothing). */
  function reset(): void {
    uploadSeq++
    step.value = 1
    reached.value = 1
    busy.value = null
    file.value = null
    fileImport.value = null
    uploadError.value = null
    uploadPromise = null
    pasteText.value = ''
    lastTouched.value = null
    pastedImport = null
    importData.value = null
    headerRow.value = true
    mapping.value = {}
    target.value = defaultTarget()
    clearDryRun()
    jobId.value = null
    stepError.value = null
  }

  /** Show the progress of an existing job (e.g. opened from the dashboard). */
  function openJob(id: string): void {
    if (jobId.value === id && step.value === SENDING_STEP) return
    reset()
    jobId.value = id
    step.value = SENDING_STEP
    reached.value = SENDING_STEP
  }

  return {
    step, reached, busy, stepError,
    file, fileImport, uploadError, pasteText, pasteEntries, source, chooseFile, clearFile, setPasteText, submitSource,
    importData, headerRow, columnCount, reparse, setHeaderRow,
    mapping, mappingCheck, setColumnField,
    target, applyTemplate, updateTarget, startDryRun,
    dryRun, rows, summary, dryRunStale, sendableCount, canSend, rowBusy, patchRow, send,
    jobId, goTo, reset, openJob,
  }
})
