import { getJson } from './http'
import type { DashboardResponse } from './types'

/** GET /api/dashboard: invitation counters and registration health. */
export function getDashboard(): Promise<DashboardResponse> {
  return getJson<DashboardResponse>('/api/dashboard')
}
