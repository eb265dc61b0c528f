import { getJson } from './http'
import type { MeResponse } from './types'

/** GET /api/me: the current user and portal, fresher than the boot document. */
export function getMe(): Promise<MeResponse> {
  return getJson<MeResponse>('/api/me')
}
