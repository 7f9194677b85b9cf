import { vitestPreset } from '../../tooling/vitest/preset.mjs';

export default vitestPreset({
  testTimeout: 90_000,
  hookTimeout: 60_000,
  // Each file starts a real server (Next included); the machine has 2 shared cores.
  fileParallelism: false,
});
