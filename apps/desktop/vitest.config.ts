import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Fails the run when a process the tests started is still alive at the end.
    // The shared one, then this app's build (once, before any test file: see test/global-setup.ts).
    globalSetup: ['../../tooling/testing/global-setup.ts', './test/global-setup.ts'],
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
