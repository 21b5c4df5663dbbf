import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'gateway/src/**/*.test.ts', 'schemas/src/**/*.test.ts', 'ui/src/**/*.test.ts'],
    // chDB binds one data directory per process: each test file runs in its own fork.
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
