import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Fails the run when a process the tests started is still alive at the end.
    globalSetup: ['../../tooling/testing/global-setup.ts'],
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each e2e file starts a real server and a real Chromium: one file at a time on a 2-core machine.
    fileParallelism: false,
  },
});
