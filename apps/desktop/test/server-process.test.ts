import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { DesktopError } from '../src/errors.js';
import { isProcessAlive } from '../src/process-tree.js';
import { parseChildMessage } from '../src/server-protocol.js';
import { startServerProcess, type ServerProcessOptions } from '../src/server-process.js';
import { FAKE_SERVER, tempDir, SLOW } from './helpers.js';

async function start(mode: string, extra: Partial<ServerProcessOptions> = {}) {
  const home = await tempDir();
  const server = await startServerProcess({
    entry: FAKE_SERVER,
    home,
    port: 0,
    env: { ...process.env, FAKE_SERVER_MODE: mode },
    ...extra,
  });
  onTestFinished(() => server.stop());
  return { server, home };
}

/**
 * The fake server's two grandchildren (written before it reports ready): one in its process group, one in its own
 * session.
 */
async function grandchildrenOf(home: string): Promise<number[]> {
  const pids = await Promise.all(
    ['grandchild.pid', 'session-grandchild.pid'].map(async (f) => Number(await readFile(join(home, f), 'utf8'))),
  );
  // Only if the test fails half-way: never leave them behind.
  onTestFinished(() => {
    for (const pid of pids) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
  });
  return pids;
}

describe('startServerProcess', () => {
  it('waits for the server and hands over its URL and a one-time sign-in link', async () => {
    const { server } = await start('ok');
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.signInUrl).toBe(`${server.url}/pair#c=first`);
    expect(await server.createSignInUrl()).toMatch(/\/pair#c=ipc\d+$/);
    expect((await fetch(`${server.url}/pair`)).status).toBe(200);
  });

  it('stop() stops the server and every process under it', async () => {
    const { server, home } = await start('ok');
    const grandchildren = await grandchildrenOf(home);
    expect(grandchildren.filter((pid) => isProcessAlive(pid))).toEqual(grandchildren);
    await server.stop();
    expect(isProcessAlive(server.pid)).toBe(false);
    expect(grandchildren.filter((pid) => isProcessAlive(pid))).toEqual([]);
    await server.stop(); // idempotent
  });

  it('kills the tree of a server that ignores the stop request', async () => {
    const { server, home } = await start('stubborn', { stopGraceMs: 300 });
    const grandchildren = await grandchildrenOf(home);
    await server.stop();
    expect(isProcessAlive(server.pid)).toBe(false);
    expect(grandchildren.filter((pid) => isProcessAlive(pid))).toEqual([]);
  });

  it('stops what a crashed server left behind: its process group and the processes recorded under it', async () => {
    const { server, home } = await start('ok');
    const grandchildren = await grandchildrenOf(home);
    // A crash: nothing in the server gets to stop its children, which are re-parented and outlive it.
    process.kill(server.pid, 'SIGKILL');
    expect(await server.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(grandchildren.filter((pid) => isProcessAlive(pid))).toEqual(grandchildren);
    await server.stop();
    expect(grandchildren.filter((pid) => isProcessAlive(pid))).toEqual([]);
  });

  it('reports a start failure with the server’s code and fix', async () => {
    const error = await start('error').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DesktopError);
    expect(error).toMatchObject({
      code: 'SERVER_START_FAILED',
      serverCode: 'PORT_IN_USE',
      message: 'Port 3456 is already in use',
      hint: 'Stop the other process on port 3456.',
    });
  });

  it('reports a crash before ready with the tail of its output', async () => {
    const error = await start('crash').catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'SERVER_EXITED',
      message: expect.stringContaining('code 3'),
      details: expect.stringContaining('boom: something broke'),
    });
  });

  it('gives up on a server that never becomes ready, and stops it', async () => {
    const spawned: number[] = [];
    const { spawn } = await import('node:child_process');
    const error = await start('hang', {
      readyTimeoutMs: 300,
      stopGraceMs: 300,
      spawn: ((...args: Parameters<typeof spawn>) => {
        const child = spawn(...args);
        spawned.push(child.pid!);
        return child;
      }) as typeof spawn,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SERVER_TIMEOUT' });
    await vi.waitFor(() => expect(isProcessAlive(spawned[0]!)).toBe(false), SLOW);
  });

  it('ignores malformed IPC messages', async () => {
    const { server } = await start('malformed');
    expect(server.signInUrl).toMatch(/#c=first$/);
  });

  it('reports an entry script that does not exist', async () => {
    const home = await tempDir();
    const error = await startServerProcess({ entry: join(home, 'missing.js'), home }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SERVER_EXITED', details: expect.stringContaining('Cannot find module') });
  });
});

describe('parseChildMessage', () => {
  it.each([
    [null, undefined],
    ['ready', undefined],
    [{ type: 'ready', url: 1, port: 1, signInUrl: 'x' }, undefined],
    [{ type: 'error' }, undefined],
    [{ type: 'error', message: 'x', hint: 3 }, undefined],
    [{ type: 'sign-in-url', requestId: '1', url: 'x' }, undefined],
    [{ type: 'other' }, undefined],
  ])('rejects %j', (value, expected) => {
    expect(parseChildMessage(value)).toBe(expected);
  });

  it('accepts well-formed messages', () => {
    expect(
      parseChildMessage({ type: 'ready', url: 'http://x', port: 1, signInUrl: 'http://x/pair#c=1' }),
    ).toBeDefined();
    expect(parseChildMessage({ type: 'error', message: 'm', code: 'C', hint: 'h' })).toBeDefined();
    expect(parseChildMessage({ type: 'sign-in-url', requestId: 1, url: null, error: 'e' })).toBeDefined();
  });
});
