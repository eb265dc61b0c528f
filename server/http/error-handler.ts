import type { ErrorRequestHandler } from 'express'
import { AppError, InputError, NotAvailableError, PolicyDeniedError } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'

/**
 * One place maps errors to answers. AppErrors carry a safe code/message by construction; anything else is
 * logged server-side (redacted) and answered with a generic 500 so no internals or secrets leak.
 */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    // body-parser errors: size, syntax, encoding.
    const e = err as { type?: string; status?: number; message?: string }
    let appErr: AppError
    if (err instanceof AppError) appErr = err
    else if (e.type === 'entity.too.large') appErr = new AppError('body_too_large', `The request body is larger than ${sizeText((err as { limit?: unknown }).limit)}, the most this address accepts`, 413)
    else if (e.type === 'parameters.too.many') appErr = new AppError('too_many_fields', 'The form has more fields than this address accepts', 413)
    else if (e.type === 'entity.parse.failed') appErr = new InputError('bad_json', 'The request body is not valid JSON')
    else if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) appErr = new AppError('bad_request', 'The request could not be read', e.status)
    else {
      log.error({ err: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err), path: loggedPath(req.path) }, 'unhandled error')
      appErr = new AppError('internal_error', 'Something went wrong on our side; it has been logged', 500)
    }
    if (appErr.status >= 500 && err instanceof AppError) log.error({ code: appErr.code, path: loggedPath(req.path), msg: appErr.message }, 'request failed')
    else if (appErr.status === 401 || appErr.status === 403) log.warn({ code: appErr.code, path: loggedPath(req.path) }, 'request refused')
    if (res.headersSent) return
    res.status(appErr.status).json({
      error: { code: appErr.code, message: appErr.message, ...((appErr instanceof InputError || appErr instanceof NotAvailableError || appErr instanceof PolicyDeniedError) && appErr.details !== undefined ? { details: appErr.details } : {}) },
    })
  }
}

/** A body parser's byte limit as people read it ("1 MB", "256 KB"). */
function sizeText(limit: unknown): string {
  if (typeof limit !== 'number' || !Number.isFinite(limit) || limit <= 0) return 'the limit'
  if (limit % (1024 * 1024) === 0) return `${limit / (1024 * 1024)} MB`
  if (limit % 1024 === 0) return `${limit / 1024} KB`
  return `${limit} bytes`
}

/** A request path as logs may show it: a join link's token is a credential (whoever has it may join), so it is masked. */
export function loggedPath(path: string): string {
  return path.replace(/^\/join\/[^/]+/, '/join/…')
}
