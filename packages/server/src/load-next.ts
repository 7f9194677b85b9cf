// Next, as the dashboard's build needs it. The shipped dashboard (Next's standalone output) carries its own traced
// copy of next, react and react-dom, so @band/server does not depend on Next; in the repository, apps/dashboard
// resolves the workspace's Next. Either way `next` is resolved from the dashboard directory, never from here.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

type CreateNextServer = typeof import('next').default;
type NextConfig = NonNullable<Parameters<CreateNextServer>[0]['conf']>;

export interface LoadedNext {
  next: CreateNextServer;
  /** The build's resolved config (production): the shipped copy has no next.config.ts to load. */
  conf?: NextConfig;
}

export async function loadNext(dir: string, dev: boolean): Promise<LoadedNext> {
  const entry = createRequire(join(dir, 'package.json')).resolve('next');
  const mod = (await import(pathToFileURL(entry).href)) as { default: CreateNextServer & { default?: CreateNextServer } };
  const next = mod.default.default ?? mod.default;
  if (dev) return { next };
  const manifest = JSON.parse(await readFile(join(dir, '.next', 'required-server-files.json'), 'utf8')) as { config: NextConfig };
  if (!existsSync(join(dir, 'next.config.ts')) && !existsSync(join(dir, 'next.config.js')) && !existsSync(join(dir, 'next.config.mjs'))) {
    // The shipped standalone build. Next only takes its config this way (the same variable Next's own standalone
    // server.js sets); it also tells Next not to load build-time modules that the standalone output leaves out.
    // It is process-wide, and every Band server in a process serves the same build, so setting it once is safe.
    process.env.__NEXT_PRIVATE_STANDALONE_CONFIG ??= JSON.stringify(manifest.config);
  }
  // `output: 'standalone'` only describes how the build was packaged; this process is the server.
  return { next, conf: { ...manifest.config, output: undefined } };
}
