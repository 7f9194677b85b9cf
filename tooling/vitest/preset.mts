// Shared by every package's and app's vitest.config.ts, imported by a relative path like tooling/testing (nothing to
// build or install first: vitest bundles its config file, this one included). A package passes only what differs.
import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

type TestOptions = NonNullable<ViteUserConfig['test']>;

/** Fails the run when a process the tests started is still alive at the end (tooling/testing/global-setup.ts). */
const sharedGlobalSetup = fileURLToPath(new URL('../testing/global-setup.ts', import.meta.url));

/** What every Band test run has in common: unit tests beside the code, integration tests in test/. */
export const vitestDefaults = {
  include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  testTimeout: 30_000,
  hookTimeout: 30_000,
} satisfies TestOptions;

export interface VitestPresetOptions extends Omit<TestOptions, 'globalSetup'> {
  /** The package's own global setup files; they run after the shared one. */
  globalSetup?: string[];
}

/** A vitest config: the shared global setup and `vitestDefaults`, then the package's own test options (which win). */
export function vitestPreset({ globalSetup = [], ...test }: VitestPresetOptions = {}) {
  return defineConfig({ test: { ...vitestDefaults, ...test, globalSetup: [sharedGlobalSetup, ...globalSetup] } });
}
