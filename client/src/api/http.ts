import type { ApiErrorBody } from './types'

/**
 * The one HTTP client for /api: same origin, JSON in and out, `Authorization: Bearer <session>`.
 *
 * Session renewal: when a call answers 401 `session_expired` / `session_invalid`, the client asks
 * the configured {@link AuthHandlers.renewToken} for a new token (the session store re-mints it
 * from a fresh frame AUTH_ID, single-flight) and retries that call exactly once.
 */

/** Server error codes that mean "mint a new session and retry". */
export const SESSION_RENEW_CODES: ReadonlySet<string> = new Set(['session_expired', 'session_invalid'])

/** Client-side codes, in the same namespace as the server's `error.code`. */
export const CLIENT_ERROR_CODES = {
  network: 'network_error',
  timeout: 'timeout',
  badResponse: 'bad_response',
  sessionRenewalFailed: 'session_renewal_failed',
} as const

const DEFAULT_TIMEOUT_MS = 20_000

/** Any failed API call. `status` is 0 when no HTTP response arrived. */
export class ApiError extends Error {
  override readonly name: string = 'ApiError'
  readonly status: number
  readonly code: string
  /** `error.details` from the server (e.g. `[{ path, message }]` for `bad_request`), if any. */
  readonly details: unknown

  constructor(status: number, code: string, message: string, options?: ErrorOptions & { details?: unknown }) {
    super(message, options)
    this.status = status
    this.code = code
    this.details = options?.details
  }
}

/** No response: offline, DNS, CORS, aborted by the timeout. */
export class NetworkError extends ApiError {
  override readonly name = 'NetworkError'
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError
}

export interface AuthHandlers {
  /** The current session token, or null when there is none or it has expired. */
  getToken: () => string | null
  /**
   * Resolve a token to use instead of `staleToken`. Implementations must be single-flight and may
   * return an already-renewed token without minting again.
   */
  renewToken: (staleToken: string | null) => Promise<string>
}

let authHandlers: AuthHandlers | null = null

/** Wire the session source; called once at boot in app mode. */
export function configureAuth(handlers: AuthHandlers | null): void {
  authHandlers = handlers
}

export type QueryValue = string | number | boolean | null | undefined

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  query?: Record<string, QueryValue>
  /** Sent as JSON. */
  body?: unknown
  /** Sent as is (e.g. file bytes); takes precedence over `body`. Set `Content-Type` in `headers`. */
  rawBody?: Blob | ArrayBuffer
  /** Extra request headers (e.g. `X-File-Name`). */
  headers?: Record<string, string>
  /** `Accept` header. @defaultValue 'application/json' */
  accept?: string
  /** Send the bearer token and renew it on 401. @defaultValue true */
  auth?: boolean
  signal?: AbortSignal
  /** @defaultValue 20 000 */
  timeoutMs?: number
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  return readJson<T>(await requestResponse(path, options))
}

/** Like {@link request}, but resolves to the successful Response itself (for downloads). */
async function requestResponse(path: string, options: RequestOptions): Promise<Response> {
  const auth = options.auth ?? true
  let token = auth ? await currentToken() : null
  let response = await send(path, options, token)

  if (auth && response.status === 401 && authHandlers) {
    const failure = await readError(response)
    if (!SESSION_RENEW_CODES.has(failure.code)) throw failure
    token = await renewToken(token, failure)
    response = await send(path, options, token)
  }

  if (!response.ok) throw await readError(response)
  return response
}

export function getJson<T>(path: string, query?: Record<string, QueryValue>): Promise<T> {
  return request<T>(path, query ? { query } : {})
}

export function postJson<T>(path: string, body?: unknown, options: Omit<RequestOptions, 'method' | 'body'> = {}): Promise<T> {
  return request<T>(path, { ...options, method: 'POST', body: body ?? {} })
}

export function patchJson<T>(path: string, body: unknown, options: Omit<RequestOptions, 'method' | 'body'> = {}): Promise<T> {
  return request<T>(path, { ...options, method: 'PATCH', body })
}

export function deleteJson<T>(path: string, options: Omit<RequestOptions, 'method' | 'body'> = {}): Promise<T> {
  return request<T>(path, { ...options, method: 'DELETE' })
}

/** A file the server generated (CSV/XLSX export). */
export interface DownloadedFile {
  blob: Blob
  /** From `Content-Disposition`, else `fallbackName`. */
  fileName: string
}

const DOWNLOAD_TIMEOUT_MS = 120_000

/**
 * GET a file with the bearer token (a plain link cannot carry the header); save it with
 * `saveBlob` from composables/useDownload.
 */
export async function downloadFile(path: string, fallbackName: string, query?: Record<string, QueryValue>): Promise<DownloadedFile> {
  const response = await requestResponse(path, { query, accept: '*/*', timeoutMs: DOWNLOAD_TIMEOUT_MS })
  let blob: Blob
  try {
    blob = await response.blob()
  } catch (cause) {
    throw new NetworkError(0, CLIENT_ERROR_CODES.network, cause instanceof Error ? cause.message : 'Download interrupted', { cause })
  }
  return { blob, fileName: fileNameFromDisposition(response.headers.get('Content-Disposition')) ?? fallbackName }
}

/** `attachment; filename*=UTF-8''r%C3%A9sultats.csv` or `filename="results.csv"`. */
export function fileNameFromDisposition(header: string | null): string | null {
  if (!header) return null
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)?''([^;]+)/.exec(header)
  if (extended?.[1]) {
    try {
      return sanitizeFileName(decodeURIComponent(extended[1].trim()))
    } catch {
      // Malformed percent-encoding: fall through to the plain parameter.
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/.exec(header)
  return plain?.[1] ? sanitizeFileName(plain[1].trim()) : null
}

function sanitizeFileName(name: string): string | null {
  const base = name.split(/[\\/]/).pop()?.trim() ?? ''
  return base && base !== '.' && base !== '..' ? base : null
}

async function currentToken(): Promise<string | null> {
  if (!authHandlers) return null
  const token = authHandlers.getToken()
  if (token) return token
  // Expired (or never had one): mint proactively instead of spending a round trip on a 401.
  return renewToken(null, null)
}

async function renewToken(staleToken: string | null, trigger: ApiError | null): Promise<string> {
  if (!authHandlers) throw trigger ?? new ApiError(401, CLIENT_ERROR_CODES.sessionRenewalFailed, 'No session')
  try {
    return await authHandlers.renewToken(staleToken)
  } catch (cause) {
    throw new ApiError(
      401,
      CLIENT_ERROR_CODES.sessionRenewalFailed,
      cause instanceof Error ? cause.message : 'Session renewal failed',
      { cause },
    )
  }
}

function buildUrl(path: string, query: Record<string, QueryValue> | undefined): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) params.set(key, String(value))
  }
  const qs = params.toString()
  return qs ? `${path}?${qs}` : path
}

async function send(path: string, options: RequestOptions, token: string | null): Promise<Response> {
  const headers: Record<string, string> = { Accept: options.accept ?? 'application/json', ...options.headers }
  if (token) headers.Authorization = `Bearer ${token}`
  const hasJsonBody = options.rawBody === undefined && options.body !== undefined
  if (hasJsonBody) headers['Content-Type'] = 'application/json'
  const body = options.rawBody ?? (hasJsonBody ? JSON.stringify(options.body) : undefined)

  const controller = new AbortController()
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, timeoutMs)
  const onAbort = () => controller.abort()
  options.signal?.addEventListener('abort', onAbort, { once: true })

  try {
    return await fetch(buildUrl(path, options.query), {
      method: options.method ?? 'GET',
      headers,
      body,
      signal: controller.signal,
      credentials: 'same-origin',
      cache: 'no-store',
    })
  } catch (cause) {
    if (timedOut) {
      throw new NetworkError(0, CLIENT_ERROR_CODES.timeout, `Request timed out after ${timeoutMs} ms`, { cause })
    }
    throw new NetworkError(0, CLIENT_ERROR_CODES.network, cause instanceof Error ? cause.message : 'Network error', { cause })
  } finally {
    clearTimeout(timer)
    options.signal?.removeEventListener('abort', onAbort)
  }
}

async function readJson<T>(response: Response): Promise<T> {
  if (response.status === 204) return undefined as T
  try {
    return (await response.json()) as T
  } catch (cause) {
    throw new ApiError(response.status, CLIENT_ERROR_CODES.badResponse, 'The server answered with invalid JSON', { cause })
  }
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false
  const error = (value as { error: unknown }).error
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
}

async function readError(response: Response): Promise<ApiError> {
  let body: unknown = null
  try {
    body = await response.json()
  } catch {
    // Not JSON (a proxy's HTML error page, an empty body): fall back to the status.
  }
  if (isErrorBody(body)) {
    const message = typeof body.error.message === 'string' ? body.error.message : response.statusText
    return new ApiError(response.status, body.error.code, message, { details: body.error.details })
  }
  return new ApiError(response.status, `http_${response.status}`, response.statusText || `HTTP ${response.status}`)
}

/** Normalise anything thrown into an ApiError, so stores keep one error type. */
export function toApiError(value: unknown): ApiError {
  if (value instanceof ApiError) return value
  const message = value instanceof Error ? value.message : String(value)
  return new ApiError(0, 'unexpected_error', message, { cause: value })
}
