import { vitestPreset } from '../../tooling/vitest/preset.mjs';

export default vitestPreset({ testTimeout: 60_000, hookTimeout: 60_000, fileParallelism: false });
