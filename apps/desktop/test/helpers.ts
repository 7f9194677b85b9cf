import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import type { MenuItem, WindowClosed, WindowHandle, WindowShell } from '../src/window-shell.js';

export const FAKE_SERVER = fileURLToPath(new URL('./fixtures/fake-server.mjs', import.meta.url));
export const TOKEN = 'ab'.repeat(32);

/** A temporary directory removed after the test. */
export async function tempDir(prefix = 'band-desktop-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface FakeWindow extends WindowHandle {
  url: string;
  /** Simulates the user closing the window. */
  userClose(): void;
}

/** A window shell that records what it was asked to open; no browser involved. */
export function createFakeShell(
  options: { supportsMenu?: boolean; failOpen?: Error; onOpen?: (window: FakeWindow) => void } = {},
) {
  const windows: FakeWindow[] = [];
  const menus: MenuItem[][] = [];
  let disposed = false;
  const shell: WindowShell & { windows: FakeWindow[]; menus: MenuItem[][]; readonly disposed: boolean } = {
    name: 'fake',
    supportsMenu: options.supportsMenu ?? false,
    windows,
    menus,
    get disposed() {
      return disposed;
    },
    async open(url) {
      if (options.failOpen) throw options.failOpen;
      let resolve!: (closed: WindowClosed) => void;
      const closed = new Promise<WindowClosed>((r) => (resolve = r));
      const window: FakeWindow = {
        url,
        closed,
        userClose: () => resolve({ byApp: false }),
        async close() {
          resolve({ byApp: true });
        },
      };
      windows.push(window);
      options.onOpen?.(window);
      return window;
    },
    setMenu(items) {
      menus.push(items);
    },
    async dispose() {
      disposed = true;
    },
  };
  return shell;
}

/** For vi.waitFor on a machine shared by many busy processes: child processes can take seconds to start. */
export { SLOW } from '../../../tooling/testing/slow.js';

const DASHBOARD = fileURLToPath(new URL('../../dashboard/', import.meta.url));
const SERVER = fileURLToPath(new URL('../../../packages/server/', import.meta.url));

/** What the real Band server (@band/server and the dashboard's Next build) still needs built; empty when it can run. */
export function missingServerBuild(): string[] {
  return [
    ...(existsSync(join(SERVER, 'dist', 'index.js')) ? [] : ['packages/server/dist (npm run build)']),
    ...(existsSync(join(DASHBOARD, '.next', 'BUILD_ID')) ? [] : ['apps/dashboard/.next (npm run build)']),
  ];
}
