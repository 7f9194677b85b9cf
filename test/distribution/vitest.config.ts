import { vitestPreset } from '../../tooling/vitest/preset.mjs';

// The shared preset, as every package has: a process the installed Band leaves running fails the run, and the run has
// a TMPDIR of its own (what `npx band tunnel start` keeps there goes with it).
export default vitestPreset({
  include: ['test/**/*.test.ts'],
  // `npm install` of the tarballs compiles better-sqlite3 from source: about 70 s on 2 idle cores, several minutes
  // when the machine is busy (the install itself is bounded in test/install.test.ts).
  testTimeout: 120_000,
  hookTimeout: 900_000,
});
