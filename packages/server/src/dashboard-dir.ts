// Where the dashboard's prebuilt Next output lives. An installed @band/server carries it in `dashboard/` (Next's
// standalone output, copied there by this package's build, so the app is at dashboard/apps/dashboard and its
// traced node_modules at dashboard/node_modules); in the Band repository the Next project is apps/dashboard.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The root of this package (dist/ is one level down, wherever the bundle ends up). */
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

export interface DashboardDirOptions {
  /** Next dev mode needs the dashboard's sources, which only the repository has. @default false */
  dev?: boolean;
  /** @default process.env */
  env?: Record<string, string | undefined>;
}

/**
 * The directory `next()` runs in: `BAND_DASHBOARD_DIR` if set; else the prebuilt copy inside @band/server;
 * else (in the repository, or in dev mode) apps/dashboard. Returns the shipped location when nothing is
 * built, so the error names the directory a user would look at.
 */
export function resolveDashboardDir(options: DashboardDirOptions = {}): string {
  const env = options.env ?? process.env;
  if (env.BAND_DASHBOARD_DIR) return env.BAND_DASHBOARD_DIR;
  const shipped = join(packageRoot, 'dashboard', 'apps', 'dashboard');
  const repository = join(packageRoot, '..', '..', 'apps', 'dashboard');
  const inRepository = existsSync(join(repository, 'next.config.ts'));
  if (options.dev && inRepository) return repository;
  if (existsSync(join(shipped, '.next', 'BUILD_ID'))) return shipped;
  if (inRepository) return repository;
  return shipped;
}
