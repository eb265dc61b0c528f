import type { z } from 'zod'
import { InputError } from '../../shared/errors.js'

/** One way to validate a body or a query: 400 bad_request with one detail per invalid field. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input)
  if (!r.success) {
    const details = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))
    throw new InputError('bad_request', `The request is not valid: ${details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ')}`, details)
  }
  return r.data
}
