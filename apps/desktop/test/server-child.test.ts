// The real server child (dist/server-child.js → @band/server) driven over IPC, without a window.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { isProcessAlive, listDescendants } from '../src/process-tree.js';
import { startServerProcess } from '../src/server-process.js';
import type { ServerChildMessage } from '../src/server-protocol.js';
import { skipWhenMissing } from '../../../tooling/testing/prerequisites.js';
import { missingServerBuild, tempDir } from './helpers.js';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = join(APP_DIR, 'dist', 'server-child.js');

describe.skipIf(skipWhenMissing('the server-child tests', missingServerBuild()))(
  'server-child (the real Band server)',
  () => {
    it('starts, hands out one-time sign-in links, and stops with everything under it', async () => {
      const home = join(await tempDir(), 'home');
      const server = await startServerProcess({ entry: ENTRY, home, port: 0 });
      onTestFinished(() => server.stop());
      // Pairing links name 127.0.0.1, not localhost (which may resolve to ::1 first).
      expect(server.signInUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/pair#c=[\\w-]+$`));
      const second = await server.createSignInUrl();
      expect(second).not.toBe(server.signInUrl);
      // Without the pairing code nobody is signed in.
      expect((await fetch(`${server.url}/api/trpc/health`, { redirect: 'manual' })).status).toBe(401);
      await server.stop();
      expect(isProcessAlive(server.pid)).toBe(false);
    }, 120_000);

    it('reports a taken port with the fix', async () => {
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      onTestFinished(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
      const port = (blocker.address() as { port: number }).port;
      const error = await startServerProcess({ entry: ENTRY, home: join(await tempDir(), 'home'), port }).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({
        code: 'SERVER_START_FAILED',
        serverCode: 'PORT_IN_USE',
        hint: expect.stringContaining(String(port)),
      });
    }, 120_000);

    it('stops itself when the desktop app goes away without stopping it', async () => {
      const home = join(await tempDir(), 'home');
      const child = spawn(process.execPath, [ENTRY, '--home', home, '--port', '0'], {
        stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      });
      onTestFinished(() => {
        for (const pid of [child.pid!, ...listDescendants(child.pid!)]) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {}
        }
      });
      const [message] = (await once(child, 'message')) as [ServerChildMessage];
      expect(message.type).toBe('ready');
      // What the child sees when its parent dies: the IPC channel closes.
      child.disconnect();
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
      if (message.type === 'ready')
        await vi.waitFor(() => expect(fetch(message.url)).rejects.toThrow(), { timeout: 10_000 });
    }, 120_000);
  },
);
