import { deleteJson, getJson, patchJson, postJson } from './http'
import type {
  TemplateInput,
  TemplateListResponse,
  TemplatePreviewRequest,
  TemplatePreviewResponse,
  TemplateResponse,
} from './types'

/** GET /api/templates: active templates (everyone may read them). */
export function listTemplates(): Promise<TemplateListResponse> {
  return getJson<TemplateListResponse>('/api/templates')
}

/** POST /api/templates (admins). 409 template_name_taken, 400 bad_request with details. */
export function createTemplate(input: TemplateInput): Promise<TemplateResponse> {
  return postJson<TemplateResponse>('/api/templates', input)
}

/** PATCH /api/templates/:id (admins). */
export function updateTemplate(id: string, patch: Partial<TemplateInput>): Promise<TemplateResponse> {
  return patchJson<TemplateResponse>(`/api/templates/${encodeURIComponent(id)}`, patch)
}

/** DELETE /api/templates/:id (admins): archives the template; sent invitations keep it. */
export function archiveTemplate(id: string): Promise<{ ok: true }> {
  return deleteJson<{ ok: true }>(`/api/templates/${encodeURIComponent(id)}`)
}

/** POST /api/templates/preview: the text with variables filled from a sample person. */
export function previewTemplate(body: TemplatePreviewRequest, signal?: AbortSignal): Promise<TemplatePreviewResponse> {
  return postJson<TemplatePreviewResponse>('/api/templates/preview', body, signal ? { signal } : {})
}
