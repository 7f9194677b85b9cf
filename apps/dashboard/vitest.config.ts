import { vitestPreset } from '../../tooling/vitest/preset.mjs';

export default vitestPreset({
  testTimeout: 60_000,
  hookTimeout: 60_000,
  // Each e2e file starts a real server and a real Chromium: one file at a time on a 2-core machine.
  fileParallelism: false,
});
