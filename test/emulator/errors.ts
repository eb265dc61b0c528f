/**
 * REST errors as the portal answers them: `{ error, error_description }` (some add `argument`)
 * with an HTTP status. System errors follow `_includes/system-errors.md`; method errors follow
 * each method's page.
 */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly argument?: string,
  ) {
    super(`${error}: ${description}`)
    this.name = 'RestError'
  }

  body(): Record<string, string> {
    const out: Record<string, string> = { error: this.error, error_description: this.description }
    if (this.argument !== undefined) out.argument = this.argument
    return out
  }
}

/** System errors (`_includes/system-errors.md`, `limits.md`, `api-reference/rest-v3.md`). */
export const SystemErrors = {
  noAuth: () => new RestError(401, 'NO_AUTH_FOUND', 'Wrong authorization data'),
  expiredToken: () => new RestError(401, 'expired_token', 'The access token provided has expired'),
  insufficientScope: () =>
    new RestError(403, 'insufficient_scope', 'The request requires higher privileges than provided by the access token'),
  // ERROR_METHOD_NOT_FOUND is 404: api-reference/rest-v3.md ("the error ERROR_METHOD_NOT_FOUND with status 404").
  methodNotFound: () => new RestError(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!'),
  queryLimit: () => new RestError(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests'),
  operationTimeLimit: () =>
    new RestError(429, 'OPERATION_TIME_LIMIT', 'Method is blocked due to operation time limit'),
  internal: () => new RestError(500, 'INTERNAL_SERVER_ERROR', 'Internal server error'),
  batchNotAllowed: () => new RestError(405, 'ERROR_BATCH_METHOD_NOT_ALLOWED', 'Method is not allowed for batch usage'),
  batchLength: () => new RestError(400, 'ERROR_BATCH_LENGTH_EXCEEDED', 'Max batch length exceeded'),
} as const

/** 400 `ERROR_ARGUMENT` in the `Argument 'X' is null or empty` form several pages show. */
export const argumentEmpty = (name: string, status = 400): RestError =>
  new RestError(status, 'ERROR_ARGUMENT', `Argument '${name}' is null or empty`, name)
