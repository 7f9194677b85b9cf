// Next's start-up preload of every route is deferred until the first page has been answered (issue 14: it ran on the
// one JS thread between `band start` and the first page). A stand-in `next` records what the wrapper does.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { loadNext } from '../src/load-next.js';

const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A dashboard dir whose `next` is a fake: `globalThis.__fakeNext` sees every call. */
async function fakeDashboard(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'band-load-next-'));
  temps.push(dir);
  await writeFile(join(dir, 'package.json'), '{"name":"fake-dashboard"}');
  await writeFile(join(dir, 'next.config.js'), 'module.exports = {};');
  await mkdir(join(dir, '.next'));
  await writeFile(
    join(dir, '.next', 'required-server-files.json'),
    JSON.stringify({ config: { output: 'standalone', experimental: { preloadEntriesOnStart: true, other: 1 } } }),
  );
  await mkdir(join(dir, 'node_modules', 'next'), { recursive: true });
  await writeFile(join(dir, 'node_modules', 'next', 'package.json'), '{"name":"next","main":"index.js"}');
  await writeFile(
    join(dir, 'node_modules', 'next', 'index.js'),
    `module.exports = (options) => {
      const log = globalThis.__fakeNext;
      log.options = options;
      const server = { unstable_preloadEntries: async () => { log.preloads++; } };
      return {
        getRequestHandler: () => async () => { log.requests++; },
        getServer: async () => server,
        close: async () => { log.closed = true; },
      };
    };`,
  );
  return dir;
}

type Log = {
  options?: { conf?: { experimental?: Record<string, unknown> } };
  preloads: number;
  requests: number;
  closed?: boolean;
};
const fresh = (): Log => ((globalThis as { __fakeNext?: Log }).__fakeNext = { preloads: 0, requests: 0 });

it('turns the start-up preload off and runs it once, after the first request has been answered', async () => {
  const log = fresh();
  const { next, conf } = await loadNext(await fakeDashboard(), false);
  expect(conf?.experimental).toMatchObject({ preloadEntriesOnStart: false, other: 1 });
  expect(conf?.output).toBeUndefined();
  const app = next({ dev: false, conf } as never) as unknown as {
    getRequestHandler(): () => Promise<void>;
    close(): Promise<void>;
  };
  const handle = app.getRequestHandler();
  await new Promise((resolve) => setImmediate(resolve));
  expect(log.preloads).toBe(0); // nothing before the first page
  await handle();
  await vi.waitFor(() => expect(log.preloads).toBe(1));
  await handle();
  await new Promise((resolve) => setImmediate(resolve));
  expect(log).toMatchObject({ preloads: 1, requests: 2 });
  await app.close();
  // Next's own close() is not called in production: it would spend the waitUntil that the loaded route modules keep
  // (start-server.test.ts: a second server in the process).
  expect(log.closed).toBeUndefined();
});

it('preloads after a while without any request, and never after close()', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  try {
    const log = fresh();
    const { next, conf } = await loadNext(await fakeDashboard(), false);
    const idle = next({ dev: false, conf } as never) as unknown as { close(): Promise<void> };
    await vi.advanceTimersByTimeAsync(5_000);
    await vi.waitFor(() => expect(log.preloads).toBe(1));
    await idle.close();
    const closed = next({ dev: false, conf } as never) as unknown as { close(): Promise<void> };
    await closed.close();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(log.preloads).toBe(1);
  } finally {
    vi.useRealTimers();
  }
});
