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

/**
 * When the route modules Next would load at start are loaded instead, if no request came first. Long enough for
 * `band start` → first page on a busy machine, short enough that a click on another page rarely pays for it.
 */
export const PRELOAD_DELAY_MS = 5_000;

/** What `unstable_preloadEntries` is reached through (Next's wrapper around its server; not a public API). */
interface NextWrapper {
  getRequestHandler(): (...args: never[]) => Promise<unknown>;
  close(): Promise<unknown>;
  getServer?: () => Promise<{ unstable_preloadEntries?: () => Promise<unknown> }>;
}

/**
 * Next preloads every route's modules at start (`experimental.preloadEntriesOnStart`), in the background but on the
 * one JS thread, so on a busy machine that work runs between `band start` and its first page, which needs only one
 * route (issue 14: ~80 ms of CPU, most of what createBandApi and the listeners seemed to cost). Turned off here, and
 * the same preload runs after the first request has been answered, or after PRELOAD_DELAY_MS without one, so later
 * pages still open without loading their modules first. If this Next has no such method, pages load on first use.
 */
function deferPreload(next: CreateNextServer): CreateNextServer {
  return ((options: Parameters<CreateNextServer>[0]) => {
    const app = next(options) as unknown as NextWrapper;
    let timer: NodeJS.Timeout | undefined;
    let started = false;
    let closed = false;
    const preload = () => {
      if (started || closed) return;
      started = true;
      clearTimeout(timer);
      void (async () => {
        const server = await app.getServer?.();
        await server?.unstable_preloadEntries?.();
      })().catch(() => {}); // a preload step: a route that fails to load fails again, visibly, when requested
    };
    timer = setTimeout(preload, PRELOAD_DELAY_MS);
    timer.unref();
    const getRequestHandler = app.getRequestHandler.bind(app);
    app.getRequestHandler = () => {
      const handle = getRequestHandler();
      return (async (...args: never[]) => {
        try {
          return await handle(...args);
        } finally {
          if (!started) setImmediate(preload);
        }
      }) as ReturnType<NextWrapper['getRequestHandler']>;
    };
    app.close = async () => {
      closed = true;
      clearTimeout(timer);
      // Not Next's own close(). In production all it does is await pending `after()` work (Band's dashboard has
      // none) and then mark this server's waitUntil as spent. The route modules it loaded stay in the process's
      // module cache holding that waitUntil, so a second server in the same process (an embedder restarting,
      // the tests) answered 500 "Cannot call waitUntil() on an AwaiterOnce that was already awaited" for every
      // route handler (/favicon.ico, /icon.svg, the manifest).
    };
    return app;
  }) as unknown as CreateNextServer;
}

export async function loadNext(dir: string, dev: boolean): Promise<LoadedNext> {
  const entry = createRequire(join(dir, 'package.json')).resolve('next');
  const mod = (await import(pathToFileURL(entry).href)) as {
    default: CreateNextServer & { default?: CreateNextServer };
  };
  const next = mod.default.default ?? mod.default;
  if (dev) return { next };
  const manifest = JSON.parse(await readFile(join(dir, '.next', 'required-server-files.json'), 'utf8')) as {
    config: NextConfig;
  };
  const config: NextConfig = {
    ...manifest.config,
    experimental: { ...manifest.config.experimental, preloadEntriesOnStart: false },
  };
  if (
    !existsSync(join(dir, 'next.config.ts')) &&
    !existsSync(join(dir, 'next.config.js')) &&
    !existsSync(join(dir, 'next.config.mjs'))
  ) {
    // The shipped standalone build. Next only takes its config this way (the same variable Next's own standalone
    // server.js sets); it also tells Next not to load build-time modules that the standalone output leaves out.
    // It is process-wide, and every Band server in a process serves the same build, so setting it once is safe.
    process.env.__NEXT_PRIVATE_STANDALONE_CONFIG ??= JSON.stringify(config);
  }
  // `output: 'standalone'` only describes how the build was packaged; this process is the server.
  return { next: deferPreload(next), conf: { ...config, output: undefined } };
}
