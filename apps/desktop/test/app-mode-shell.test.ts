import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { closeStaleBrowser, createAppModeShell, getAppModeArgs, readDevToolsEndpoint } from '../src/app-mode-shell.js';
import { isProcessAlive } from '../src/process-tree.js';
import { tempDir, SLOW } from './helpers.js';

const FAKE_BROWSER = fileURLToPath(new URL('./fixtures/fake-browser.mjs', import.meta.url));

describe('getAppModeArgs', () => {
  it('opens the URL in app mode with Band’s own profile', () => {
    const args = getAppModeArgs('http://localhost:1/pair#c=abc', { executable: 'chromium', profileDir: '/h/desktop/app-profile', shouldDisableSandbox: false });
    expect(args).toContain('--app=http://localhost:1/pair#c=abc');
    expect(args).toContain('--user-data-dir=/h/desktop/app-profile');
    expect(args).toContain('--no-first-run');
    expect(args).not.toContain('--no-sandbox');
    expect(args.some((a) => a.startsWith('--remote-debugging'))).toBe(false);
  });

  it('disables the sandbox with --test-type only when asked (root)', () => {
    const args = getAppModeArgs('http://x', { executable: 'c', profileDir: '/p', shouldDisableSandbox: true });
    expect(args).toEqual(expect.arrayContaining(['--no-sandbox', '--test-type']));
  });

  it('adds the window size, remote debugging and extra flags last', () => {
    const args = getAppModeArgs('http://x', { executable: 'c', profileDir: '/p', dangerouslyEnableRemoteDebugging: true, extraArgs: ['--disable-gpu'] }, { width: 400, height: 300 });
    expect(args).toContain('--window-size=400,300');
    expect(args).toContain('--remote-debugging-port=0');
    expect(args.at(-1)).toBe('--disable-gpu');
  });
});

describe('createAppModeShell', () => {
  it('starts the browser with the flags, and close() stops it and its children', async () => {
    const dir = await tempDir();
    const env = { ...process.env, FAKE_BROWSER_ARGS_FILE: join(dir, 'args.json'), FAKE_BROWSER_PIDS_FILE: join(dir, 'pids.json') };
    const shell = createAppModeShell({ executable: FAKE_BROWSER, profileDir: join(dir, 'profile'), env, shouldDisableSandbox: false });
    expect(shell.supportsMenu).toBe(false);
    const window = await shell.open('http://localhost:9/pair#c=one-time');
    onTestFinished(() => window.close());
    const pids = await vi.waitFor(async () => JSON.parse(await readFile(join(dir, 'pids.json'), 'utf8')) as number[], SLOW);
    expect(JSON.parse(await readFile(join(dir, 'args.json'), 'utf8'))).toContain('--app=http://localhost:9/pair#c=one-time');
    expect(pids[0]).toBe(window.pid);
    await window.close();
    expect(await window.closed).toEqual({ byApp: true });
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
  });

  it('reports a browser that fails to start, with what it printed', async () => {
    const dir = await tempDir();
    const shell = createAppModeShell({ executable: FAKE_BROWSER, profileDir: join(dir, 'p'), env: { ...process.env, FAKE_BROWSER_MODE: 'fail' } });
    const window = await shell.open('http://x');
    const closed = await window.closed;
    expect(closed.byApp).toBe(false);
    expect(closed.error).toMatch(/code 1[\s\S]*Missing X server/);
  });

  it('reports a browser executable that does not exist', async () => {
    const dir = await tempDir();
    const shell = createAppModeShell({ executable: join(dir, 'no-such-browser'), profileDir: join(dir, 'p') });
    const closed = await (await shell.open('http://x')).closed;
    expect(closed.error).toMatch(/ENOENT/);
  });

  it('closing twice is harmless, and dispose() closes open windows', async () => {
    const dir = await tempDir();
    const shell = createAppModeShell({ executable: FAKE_BROWSER, profileDir: join(dir, 'p'), env: { ...process.env, FAKE_BROWSER_PIDS_FILE: join(dir, 'pids.json') } });
    const window = await shell.open('http://x');
    await vi.waitFor(() => readFile(join(dir, 'pids.json'), 'utf8'), SLOW);
    await shell.dispose();
    expect((await window.closed).byApp).toBe(true);
    await Promise.all([window.close(), window.close()]);
    expect(isProcessAlive(window.pid!)).toBe(false);
  });
});

describe('readDevToolsEndpoint', () => {
  it('reads the endpoint Chromium writes, and nothing from a missing or bad file', async () => {
    const dir = await tempDir();
    expect(await readDevToolsEndpoint(dir)).toBeUndefined();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'DevToolsActivePort'), '45678\n/devtools/browser/abc\n');
    expect(await readDevToolsEndpoint(dir)).toBe('ws://127.0.0.1:45678/devtools/browser/abc');
    await writeFile(join(dir, 'DevToolsActivePort'), 'garbage');
    expect(await readDevToolsEndpoint(dir)).toBeUndefined();
  });
});

describe('closeStaleBrowser', () => {
  it('closes a browser left running on this profile by a crashed app', async () => {
    const dir = await tempDir();
    const profile = join(dir, 'profile');
    const { mkdir, symlink } = await import('node:fs/promises');
    await mkdir(profile);
    const { spawn } = await import('node:child_process');
    const orphan = spawn(FAKE_BROWSER, [`--user-data-dir=${profile}`], { stdio: 'ignore' });
    onTestFinished(() => void orphan.kill('SIGKILL'));
    await symlink(`somehost-${orphan.pid}`, join(profile, 'SingletonLock'));
    await vi.waitFor(() => expect(isProcessAlive(orphan.pid!)).toBe(true), SLOW);
    expect(await closeStaleBrowser(profile)).toBe(orphan.pid);
    expect(isProcessAlive(orphan.pid!)).toBe(false);
  });

  it('leaves alone a live process that is not a browser on this profile', async () => {
    const dir = await tempDir();
    const { mkdir, symlink } = await import('node:fs/promises');
    await mkdir(join(dir, 'p'));
    // Our own parent is alive, but its command line does not name this profile.
    await symlink(`host-${process.ppid}`, join(dir, 'p', 'SingletonLock'));
    expect(await closeStaleBrowser(join(dir, 'p'))).toBeUndefined();
    expect(isProcessAlive(process.ppid)).toBe(true);
  });

  it('ignores a missing, dangling or garbage lock', async () => {
    const dir = await tempDir();
    const { mkdir, symlink } = await import('node:fs/promises');
    expect(await closeStaleBrowser(join(dir, 'none'))).toBeUndefined();
    for (const [name, target] of [['a', 'host-999999999'], ['b', 'no-pid-here'], ['c', 'host--5'], ['d', `host-${process.pid}`]] as const) {
      await mkdir(join(dir, name));
      await symlink(target, join(dir, name, 'SingletonLock'));
      expect(await closeStaleBrowser(join(dir, name)), target).toBeUndefined();
    }
  });
});
