import { defineConfig } from 'vitest/config'

// One runner for every suite. Suites talk to real SQLite/PostgreSQL, real HTTP and real Chromium;
// only Bitrix24 is faked, by the emulator in test/emulator.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Browser and PostgreSQL suites share machine resources; two workers fit a 2-core machine.
    maxWorkers: 2,
    reporters: ['default'],
  },
})
