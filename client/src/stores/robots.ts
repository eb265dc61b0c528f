import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { toApiError, type ApiError } from '../api/http'
import { getRobotRun, getRobotSettings, getRobots, listRobotRuns, ROBOT_RUNS_PAGE_SIZE, saveRobotSettings, type RobotRunQuery } from '../api/robots'
import type { AppliedRegistration, RobotCode, RobotInfo, RobotRun, RobotRunFilters, RobotSettings, RobotsResponse } from '../api/types'
import type { LoadStatus } from './dashboard'
import { savedSettings } from './savedSettings'
import { usePortalStore } from './portal'
import { useSettingsStore, type ReapplyOutcome } from './settings'

export function emptyRobotRunFilters(): RobotRunFilters {
  return { robot: '', outcome: '', q: '' }
}

/**
 * The Automation section (admins; the API answers 403 to others): the app's robots with their
 * registration and last-24-hour counts, the daily cap, the runs (server-side filters and pages, one
 * run opened in detail), re-registering the robots, and the robots' policy in Settings. Each part
 * loads and fails on its own.
 */
export const useRobotsStore = defineStore('robots', () => {
  const portal = usePortalStore()

  function fail(cause: unknown): ApiError {
    portal.noteError(cause)
    return toApiError(cause)
  }

  // --- Robots, registration, cap ------------------------------------------------------------------

  const robots = shallowRef<RobotInfo[]>([])
  const registration = shallowRef<AppliedRegistration | null>(null)
  const cap = shallowRef<RobotsResponse['cap'] | null>(null)
  const robotsStatus = ref<LoadStatus>('idle')
  const robotsError = shallowRef<ApiError | null>(null)
  let robotsSeq = 0

  const robotByCode = computed(() => new Map<RobotCode, RobotInfo>(robots.value.map(robot => [robot.code, robot])))
  /** Robots the portal does not know (last registration failed for them) or the policy switched off. */
  const unregistered = computed(() => robots.value.filter(robot => !robot.registered))
  const disabled = computed(() => robots.value.filter(robot => !robot.enabled))
  /** Share of the daily cap used, 0..1 (1 when the cap is 0: robots invite nobody). */
  const capRatio = computed(() => {
    const value = cap.value
    if (!value) return 0
    if (value.limit <= 0) return 1
    return Math.min(1, Math.max(0, value.usedLast24h / value.limit))
  })

  /** Load the robots; a newer call wins over an older one still in flight. */
  async function loadRobots(): Promise<void> {
    const mine = ++robotsSeq
    if (robotsStatus.value !== 'ready') robotsStatus.value = 'loading'
    robotsError.value = null
    try {
      const data = await getRobots()
      if (mine !== robotsSeq) return
      robots.value = data.robots
      registration.value = data.registration
      cap.value = data.cap
      robotsStatus.value = 'ready'
    } catch (cause) {
      if (mine !== robotsSeq) return
      robotsError.value = fail(cause)
      robotsStatus.value = 'error'
    }
  }

  // --- Re-registering -----------------------------------------------------------------------------

  const settingsStore = useSettingsStore()
  const reregistering = computed(() => settingsStore.reapplying)
  const lastReregister = shallowRef<ReapplyOutcome | null>(null)

  /**
   * POST /api/settings/reapply (the settings store's single-flight re-registration), then the robots
   * again: their `registered` flags come from that registration. Resolves to its outcome.
   */
  async function reregister(): Promise<ReapplyOutcome> {
    const outcome = await settingsStore.reapply()
    lastReregister.value = outcome
    if (outcome.kind !== 'error') registration.value = outcome.registration
    // Even a failed call may have registered some robots before it broke off.
    await loadRobots()
    return outcome
  }

  // --- Runs ---------------------------------------------------------------------------------------

  const filters = ref<RobotRunFilters>(emptyRobotRunFilters())
  const offset = ref(0)
  const pageSize = ROBOT_RUNS_PAGE_SIZE
  const runs = shallowRef<RobotRun[]>([])
  const total = ref(0)
  const runsStatus = ref<LoadStatus>('idle')
  const runsError = shallowRef<ApiError | null>(null)
  let runsSeq = 0

  const query = computed<RobotRunQuery>(() => ({ ...filters.value, offset: offset.value, limit: pageSize }))
  const page = computed(() => Math.floor(offset.value / pageSize) + 1)
  const pageCount = computed(() => Math.max(1, Math.ceil(total.value / pageSize)))
  const hasFilters = computed(() => !!(filters.value.robot || filters.value.outcome || filters.value.q.trim()))

  async function loadRuns(): Promise<void> {
    const mine = ++runsSeq
    runsStatus.value = 'loading'
    runsError.value = null
    try {
      const data = await listRobotRuns(query.value)
      if (mine !== runsSeq) return
      runs.value = data.rows
      total.value = data.total
      runsStatus.value = 'ready'
    } catch (cause) {
      if (mine !== runsSeq) return
      runsError.value = fail(cause)
      runsStatus.value = 'error'
    }
  }

  /** Change filters and go back to the first page. */
  function setFilters(patch: Partial<RobotRunFilters>): Promise<void> {
    filters.value = { ...filters.value, ...patch }
    offset.value = 0
    closeRun()
    return loadRuns()
  }

  function resetFilters(): Promise<void> {
    filters.value = emptyRobotRunFilters()
    offset.value = 0
    closeRun()
    return loadRuns()
  }

  /** 1-based page. */
  function setPage(next: number): Promise<void> {
    offset.value = Math.max(0, (Math.floor(next) - 1) * pageSize)
    closeRun()
    return loadRuns()
  }

  // --- One run in detail --------------------------------------------------------------------------

  const selectedId = ref<string | null>(null)
  const selectedRun = shallowRef<RobotRun | null>(null)
  const runStatus = ref<LoadStatus>('idle')
  const runError = shallowRef<ApiError | null>(null)
  let runSeq = 0

  /** Open a run: shown at once from its row (when given), then read again from the server. */
  async function openRun(run: RobotRun | string): Promise<void> {
    const runId = typeof run === 'string' ? run : run.id
    const mine = ++runSeq
    selectedId.value = runId
    selectedRun.value = typeof run === 'string' ? (runs.value.find(row => row.id === runId) ?? null) : run
    runStatus.value = 'loading'
    runError.value = null
    try {
      const fresh = (await getRobotRun(runId)).run
      if (mine !== runSeq) return
      selectedRun.value = fresh
      // The row follows what the details say (a run may have been decided meanwhile).
      if (runs.value.some(row => row.id === fresh.id)) runs.value = runs.value.map(row => (row.id === fresh.id ? fresh : row))
      runStatus.value = 'ready'
    } catch (cause) {
      if (mine !== runSeq) return
      runError.value = fail(cause)
      runStatus.value = 'error'
    }
  }

  function closeRun(): void {
    runSeq++
    selectedId.value = null
    selectedRun.value = null
    runStatus.value = 'idle'
    runError.value = null
  }

  // --- Policy (Settings) --------------------------------------------------------------------------

  const { settings, settingsStatus, settingsError, loadSettings, saveSettings } = savedSettings<RobotSettings>({
    load: getRobotSettings,
    save: saveRobotSettings,
    fail,
    // The robots' enabled flags and the cap are shown from the robots list: read again if shown.
    afterSave: () => {
      if (robotsStatus.value !== 'idle') void loadRobots()
    },
  })

  return {
    robots, registration, cap, robotsStatus, robotsError, robotByCode, unregistered, disabled, capRatio, loadRobots,
    reregistering, lastReregister, reregister,
    filters, offset, pageSize, runs, total, runsStatus, runsError, query, page, pageCount, hasFilters,
    loadRuns, setFilters, resetFilters, setPage,
    selectedId, selectedRun, runStatus, runError, openRun, closeRun,
    settings, settingsStatus, settingsError, loadSettings, saveSettings,
  }
})
