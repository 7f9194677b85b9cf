import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Fails the run when a process the tests started is still alive at the end.
    globalSetup: ['../../tooling/testing/global-setup.ts'],
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 90_000,
    hookTimeout: 60_000,
    // Each file starts a real server (Next included); the machine has 2 shared cores.
    fileParallelism: false,
  },
});
