import { onScopeDispose, ref, watch, type Ref } from 'vue'
import { previewTemplate } from '../api/templates'
import type { ColumnMapping, Import, Lang, TemplatePreviewRequest } from '../api/types'

const DEBOUNCE_MS = 250
type Sample = NonNullable<TemplatePreviewRequest['sample']>
const SAMPLE_FIELDS = ['name', 'lastName', 'position', 'department', 'groups'] as const

/** The first uploaded row with a name, as the preview's sample person (values as the file has them). */
export function firstRowSample(data: Import | null, mapping: ColumnMapping): { sample: Sample; rowNumber: number } | null {
  if (!data) return null
  const columnOf = (field: string) => Object.entries(mapping).find(([, f]) => f === field)?.[0]
  for (const [i, row] of data.sample.entries()) {
    const sample: Sample = {}
    for (const field of SAMPLE_FIELDS) {
      const col = columnOf(field)
      const value = col === undefined ? '' : (row[Number(col)] ?? '').trim()
      if (value) sample[field] = value
    }
    if (Object.keys(sample).length) return { sample, rowNumber: i + 1 }
  }
  return null
}

/**
 * The template's text rendered by the server for a real row of the upload, re-rendered (debounced) when
 * the template, the language or the mapping changes; the request in flight is dropped when a newer one starts.
 */
export function useRowPreview(text: Ref<string>, lang: Ref<Lang>, data: Ref<Import | null>, mapping: Ref<ColumnMapping>) {
  const preview = ref<string | null>(null)
  const rowNumber = ref<number | null>(null)
  const failed = ref(false)
  let timer: ReturnType<typeof setTimeout> | undefined
  let controller: AbortController | null = null

  async function render(): Promise<void> {
    controller?.abort()
    const row = firstRowSample(data.value, mapping.value)
    if (!text.value || !row) {
      preview.value = null
      rowNumber.value = null
      return
    }
    const own = new AbortController()
    controller = own
    try {
      const res = await previewTemplate({ text: text.value, lang: lang.value, sample: row.sample }, own.signal)
      if (own.signal.aborted) return
      preview.value = res.text
      rowNumber.value = row.rowNumber
      failed.value = false
    } catch {
      if (own.signal.aborted) return
      // The raw text is still shown; a failed preview is not worth an error banner.
      preview.value = null
      failed.value = true
    }
  }

  watch([text, lang, data, mapping], () => {
    clearTimeout(timer)
    timer = setTimeout(() => void render(), DEBOUNCE_MS)
  }, { immediate: true, deep: true })

  onScopeDispose(() => {
    clearTimeout(timer)
    controller?.abort()
  })

  return { preview, rowNumber, failed }
}
