/**
 * The wizard previews the template with the first uploaded row that names someone: values as the file has
 * them, through the column mapping. (Client modules are loaded with vi.importActual, see session-flow.test.ts.)
 */
import { describe, expect, it, vi } from 'vitest'

type Sample = Record<string, string>
interface RowPreviewModule {
  firstRowSample(data: { sample: string[][] } | null, mapping: Record<string, string | null>): { sample: Sample; rowNumber: number } | null
}

describe('firstRowSample', () => {
  it('takes the first row with a mapped value, by the mapping, trimmed', async () => {
    const { firstRowSample } = await vi.importActual<RowPreviewModule>('../../client/src/composables/useRowPreview.ts')
    const data = { sample: [['a@x.test', '', '', ''], ['b@x.test', ' Анна ', 'Смирнова', 'Продажи / Москва']] }
    const mapping = { 0: 'email', 1: 'name', 2: 'lastName', 3: 'department' }
    expect(firstRowSample(data, mapping)).toEqual({ rowNumber: 2, sample: { name: 'Анна', lastName: 'Смирнова', department: 'Продажи / Москва' } })
    // Nothing mapped that the text could use, or no upload yet: no preview.
    expect(firstRowSample(data, { 0: 'email', 1: null })).toBeNull()
    expect(firstRowSample(null, mapping)).toBeNull()
  })
})
