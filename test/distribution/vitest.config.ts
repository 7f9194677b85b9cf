import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // `npm install` of the tarballs compiles better-sqlite3 from source: about 70 s on 2 idle cores, several minutes
    // when the machine is busy (the install itself is bounded in test/install.test.ts).
    testTimeout: 120_000,
    hookTimeout: 900_000,
  },
});
