import { postJson } from './http'
import type { CreateSessionRequest, CreateSessionResponse } from './types'

/** POST /api/session: trade a fresh frame AUTH_ID for a new app session (no bearer, no retry). */
export function createSession(body: CreateSessionRequest): Promise<CreateSessionResponse> {
  return postJson<CreateSessionResponse>('/api/session', body, { auth: false })
}
