import { getJson, request, type QueryValue } from './http'
import type { RobotRunFilters, RobotRunResponse, RobotRunsResponse, RobotSettings, RobotSettingsResponse, RobotsResponse } from './types'

export const ROBOT_RUNS_PAGE_SIZE = 50

const id = (value: string) => encodeURIComponent(value)

/** One page of the robot runs: the filters and where the page starts. */
export interface RobotRunQuery extends RobotRunFilters {
  offset: number
  /** @defaultValue {@link ROBOT_RUNS_PAGE_SIZE} */
  limit?: number
}

/** Filters and the page as query parameters; empty filters are left out. */
export function robotRunQuery({ robot, outcome, q, offset, limit }: RobotRunQuery): Record<string, QueryValue> {
  return {
    robot: robot || undefined,
    outcome: outcome || undefined,
    q: q.trim() || undefined,
    offset: Math.max(0, Math.floor(offset)),
    limit: limit ?? ROBOT_RUNS_PAGE_SIZE,
  }
}

/** GET /api/robots (admins): the app's robots, the portal's last registration, the daily cap and its use. */
export function getRobots(): Promise<RobotsResponse> {
  return getJson<RobotsResponse>('/api/robots')
}

/** GET /api/robots/runs (admins): one page of runs, newest first, filtered by the server. */
export function listRobotRuns(query: RobotRunQuery): Promise<RobotRunsResponse> {
  return getJson<RobotRunsResponse>('/api/robots/runs', robotRunQuery(query))
}

/** GET /api/robots/runs/:runId (404 robot_run_not_found). */
export function getRobotRun(runId: string): Promise<RobotRunResponse> {
  return getJson<RobotRunResponse>(`/api/robots/runs/${id(runId)}`)
}

/** GET /api/robots/settings (admins): the robots' policy. */
export function getRobotSettings(): Promise<RobotSettingsResponse> {
  return getJson<RobotSettingsResponse>('/api/robots/settings')
}

/** PUT /api/robots/settings (admins); 400 bad_request with `[{ path, message }]` details on bad input. */
export function saveRobotSettings(settings: RobotSettings): Promise<RobotSettingsResponse> {
  return request<RobotSettingsResponse>('/api/robots/settings', { method: 'PUT', body: settings })
}
