import { afterEach, beforeEach } from 'vitest'
import type { SecretBox } from '../../server/storage/portal-store.js'
import type { TestDatabase } from '../helpers/databases.js'

export type OpenTestDatabase = () => Promise<TestDatabase>

/** A fresh, migrated database for every test; the getter reads the current one. */
export function useDatabase(open: OpenTestDatabase): () => TestDatabase {
  let current: TestDatabase | undefined
  beforeEach(async () => {
    current = await open()
  })
  afterEach(async () => {
    await current?.dispose()
    current = undefined
  })
  return () => {
    if (!current) throw new Error('database used outside a test')
    return current
  }
}

// Reversible and visibly different from the input, so a raw row can be checked for plaintext.
export const testBox: SecretBox = {
  seal: (plain) => `sealed:${[...plain].reverse().join('')}`,
  open: (sealed) => {
    if (!sealed.startsWith('sealed:')) throw new Error(`not sealed: ${sealed}`)
    return [...sealed.slice('sealed:'.length)].reverse().join('')
  },
}

/** A controllable clock for stores that stamp created/updated times. */
export function manualClock(start = 1_700_000_000_000) {
  let now = start
  return {
    now: () => now,
    advance(ms: number) {
      now += ms
    },
  }
}
