import { getJson, postJson } from './http'
import type { DirectoryResponse } from './types'

/** GET /api/directory: departments and workgroups for the pickers (the app's cached copy). */
export function getDirectory(): Promise<DirectoryResponse> {
  return getJson<DirectoryResponse>('/api/directory')
}

/** POST /api/directory/sync: refresh the cached copy from the portal, then return it. */
export function syncDirectory(): Promise<DirectoryResponse> {
  return postJson<DirectoryResponse>('/api/directory/sync', {}, { timeoutMs: 120_000 })
}
