import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // `npm install` of the tarballs compiles better-sqlite3 (about 70 s on 2 cores, more when the machine is busy).
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
});
