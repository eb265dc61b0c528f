/**
 * The audit log's filters as the API receives them: a family of actions, a user id only when it is one, the
 * day bounds in the viewer's time zone with "to" including its whole day, and nothing for empty fields.
 * (Client modules are loaded with vi.importActual, see session-flow.test.ts.)
 */
import { describe, expect, it, vi } from 'vitest'

interface Filters { action: string; actor: string; from: string; to: string; result: '' | 'ok' | 'refused' | 'failed' }
interface AuditModule {
  auditQuery(f: Filters): Record<string, unknown>
  emptyAuditFilters(): Filters
}

describe('auditQuery', () => {
  it('turns the form into query parameters', async () => {
    const { auditQuery, emptyAuditFilters } = await vi.importActual<AuditModule>('../../client/src/api/audit.ts')
    expect(Object.values(auditQuery(emptyAuditFilters())).filter((v) => v !== undefined)).toEqual([])
    const q = auditQuery({ action: 'invite_request.', actor: ' 15 ', from: '2026-11-01', to: '2026-11-02', result: 'refused' })
    expect(q).toEqual({
      action: 'invite_request.', actor: 15, result: 'refused',
      from: new Date('2026-11-01T00:00:00').getTime(),
      // The whole of the 2nd: up to the start of the 3rd.
      to: new Date('2026-11-03T00:00:00').getTime(),
    })
    expect(auditQuery({ ...emptyAuditFilters(), actor: '12a' }).actor).toBeUndefined()
  })
})
