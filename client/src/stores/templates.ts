import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { toApiError, type ApiError } from '../api/http'
import { archiveTemplate, createTemplate, listTemplates, updateTemplate } from '../api/templates'
import type { Template, TemplateInput } from '../api/types'
import type { LoadStatus } from './dashboard'
import { usePortalStore } from './portal'

/** Invitation templates: read by everyone (wizard picker, ledger filter), edited by admins. */
export const useTemplatesStore = defineStore('templates', () => {
  const status = ref<LoadStatus>('idle')
  const error = shallowRef<ApiError | null>(null)
  const templates = ref<Template[]>([])

  const sorted = computed(() => [...templates.value].sort((a, b) => a.name.localeCompare(b.name)))
  const byId = computed(() => new Map(templates.value.map(template => [template.id, template])))

  let inflight: Promise<void> | null = null

  /** Load once; `force` reloads (single-flight either way). */
  function load(force = false): Promise<void> {
    if (!force && status.value === 'ready') return Promise.resolve()
    inflight ??= doLoad().finally(() => {
      inflight = null
    })
    return inflight
  }

  async function doLoad(): Promise<void> {
    status.value = 'loading'
    error.value = null
    try {
      const data = await listTemplates()
      templates.value = data.templates
      status.value = 'ready'
    } catch (cause) {
      usePortalStore().noteError(cause)
      error.value = toApiError(cause)
      status.value = 'error'
    }
  }

  /** Create (id null) or update; throws ApiError (409 template_name_taken, 400 bad_request). */
  async function save(id: string | null, input: TemplateInput): Promise<Template> {
    try {
      const { template } = id ? await updateTemplate(id, input) : await createTemplate(input)
      const rest = templates.value.filter(item => item.id !== template.id)
      templates.value = [...rest, template]
      return template
    } catch (cause) {
      usePortalStore().noteError(cause)
      throw toApiError(cause)
    }
  }

  /** Archive (DELETE); the template leaves the list. Throws ApiError. */
  async function archive(id: string): Promise<void> {
    try {
      await archiveTemplate(id)
      templates.value = templates.value.filter(item => item.id !== id)
    } catch (cause) {
      usePortalStore().noteError(cause)
      throw toApiError(cause)
    }
  }

  return { status, error, templates, sorted, byId, load, save, archive }
})
