// Shared by every package's and app's tsup.config.ts, imported by a relative path like tooling/testing (nothing to
// build or install first: tsup bundles its config file, this one included). A package passes only what differs.
import { defineConfig, type Options } from 'tsup';

/** What every Band build has in common: ESM for Node 20, declarations, source maps, an emptied dist/ each time. */
export const tsupDefaults = {
  format: ['esm'],
  dts: true,
  clean: true,
  target: 'node20',
  sourcemap: true,
} satisfies Options;

export interface TsupPresetOptions extends Options {
  /** One entry per subpath export (`index` for "."). */
  entry: Record<string, string>;
  /**
   * Workspace packages to bundle rather than import: `['@band/internal']` in a published package that uses the
   * private helpers, so that it does not depend on a package that is never published.
   */
  noExternal?: string[];
}

/**
 * A tsup config: `tsupDefaults`, then the package's own options (which win). The types of bundled workspace packages
 * are inlined into the declarations too: a published `.d.ts` must not import a package that is never published.
 */
export function tsupPreset(options: TsupPresetOptions) {
  const bundled = options.noExternal ?? [];
  const dts = options.dts ?? tsupDefaults.dts;
  if (bundled.length === 0 || dts === false) return defineConfig({ ...tsupDefaults, ...options });
  const dtsOptions = typeof dts === 'object' ? dts : typeof dts === 'string' ? { entry: dts } : {};
  return defineConfig({ ...tsupDefaults, ...options, dts: { ...dtsOptions, resolve: bundled } });
}
