import { vitestPreset } from '../../tooling/vitest/preset.mjs';

// This app's build, once before any test file (see test/global-setup.ts), after the shared global setup.
export default vitestPreset({ globalSetup: ['./test/global-setup.ts'] });
