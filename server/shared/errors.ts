/**
 * One error family for the whole server. `code` is stable (the UI and tests match on it), `status` is the
 * HTTP status the Http layer answers with. Messages never carry tokens or secrets.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = 500,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = new.target.name
  }
}

/** The caller could not be proven genuine (bad token, forged event). */
export class TrustError extends AppError {
  constructor(code: string, message: string, status: 401 | 403 = 401) {
    super(code, message, status)
  }
}

/** Bad input from a client: always a clear message, never a stack. */
export class InputError extends AppError {
  constructor(code: string, message: string, readonly details?: unknown) {
    super(code, message, 400)
  }
}

/** The portal does not offer what was asked; `details` says where in the portal to do it instead. */
export class NotAvailableError extends AppError {
  constructor(message: string, readonly details: Record<string, unknown>) {
    super('not_available', message, 409)
  }
}

/** The invite policy refuses; `details.reasons` lists why, for the UI to show. */
export class PolicyDeniedError extends AppError {
  constructor(readonly details: { reasons: string[] }) {
    super('policy_denied', `The invite policy does not allow this: ${details.reasons.join('; ')}`, 403)
  }
}

export class NotFoundError extends AppError {
  constructor(code: string, message: string) {
    super(code, message, 404)
  }
}

/** Bitrix24 answered with an error (after the SDK's own retries). */
export class PortalApiError extends AppError {
  constructor(
    readonly apiCode: string,
    message: string,
    readonly httpStatus: number,
    readonly method: string,
  ) {
    super('portal_api_error', message, 502)
  }
}

/** The portal's refresh token is dead (invalid_grant): only a reinstall brings access back. */
export class NeedsReinstallError extends AppError {
  constructor(memberId: string) {
    super('needs_reinstall', `Portal ${memberId} needs the app reinstalled: its authorization was revoked`, 409)
  }
}

/** A thrown value as text for logs and per-row reasons (never carries tokens: our errors do not). */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}
