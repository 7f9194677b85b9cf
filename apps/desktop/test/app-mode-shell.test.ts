import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { closeStaleBrowser, createAppModeShell, getAppModeArgs, readDevToolsEndpoint } from '../src/app-mode-shell.js';
import { isProcessAlive } from '../src/process-tree.js';
import { tempDir, SLOW } from './helpers.js';

const FAKE_BROWSER = fileURLToPath(new URL('./fixtures/fake-browser.mjs', import.meta.url));

describe('getAppModeArgs', () => {
  it('opens the URL in app mode with Band’s own profile', () => {
    const args = getAppModeArgs('http://localhost:1/pair#c=abc', {
      executable: 'chromium',
      profileDir: '/h/desktop/app-profile',
      shouldDisableSandbox: false,
    });
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
    const args = getAppModeArgs(
      'http://x',
      { executable: 'c', profileDir: '/p', dangerouslyEnableRemoteDebugging: true, extraArgs: ['--disable-gpu'] },
      { width: 400, height: 300 },
    );
    expect(args).toContain('--window-size=400,300');
    expect(args).toContain('--remote-debugging-port=0');
    expect(args.at(-1)).toBe('--disable-gpu');
  });
});

describe('createAppModeShell', () => {
  it('starts the browser with the flags, and close() stops it and its children', async () => {
    const dir = await tempDir();
    const env = {
      ...process.env,
      FAKE_BROWSER_ARGS_FILE: join(dir, 'args.json'),
      FAKE_BROWSER_PIDS_FILE: join(dir, 'pids.json'),
    };
    const shell = createAppModeShell({
      executable: FAKE_BROWSER,
      profileDir: join(dir, 'profile'),
      env,
      shouldDisableSandbox: false,
    });
    expect(shell.supportsMenu).toBe(false);
    const window = await shell.open('http://localhost:9/pair#c=one-time');
    onTestFinished(() => window.close());
    const pids = await vi.waitFor(
      async () => JSON.parse(await readFile(join(dir, 'pids.json'), 'utf8')) as number[],
      SLOW,
    );
    expect(JSON.parse(await readFile(join(dir, 'args.json'), 'utf8'))).toContain(
      '--app=http://localhost:9/pair#c=one-time',
    );
    expect(pids[0]).toBe(window.pid);
    await window.close();
    expect(await window.closed).toEqual({ byApp: true });
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
  });

  it(
    'hands a secret URL over through a 0600 redirect file: ' + 'the browser’s /proc/<pid>/cmdline never holds it',
    async () => {
      const dir = await tempDir();
      const home = join(dir, 'home');
      const env = { ...process.env, FAKE_BROWSER_PIDS_FILE: join(dir, 'pids.json') };
      const shell = createAppModeShell({
        executable: FAKE_BROWSER,
        profileDir: join(home, 'desktop', 'app-profile'),
        redirectDir: home,
        env,
        shouldDisableSandbox: false,
      });
      const secret = 'http://127.0.0.1:9/0123456789abcdef0123456789abcdef/';
      let used!: () => void;
      const urlSecretUntil = new Promise<void>((resolve) => (used = resolve));
      const window = await shell.open(secret, { urlSecretUntil });
      onTestFinished(() => window.close());
      const [browserPid] = await vi.waitFor(
        async () => JSON.parse(await readFile(join(dir, 'pids.json'), 'utf8')) as number[],
        SLOW,
      );
      const argv = (await readFile(`/proc/${browserPid}/cmdline`, 'utf8')).split('\0');
      expect(argv.join(' ')).not.toContain('0123456789abcdef');
      const app = argv.find((a) => a.startsWith('--app='))!;
      const file = fileURLToPath(app.slice('--app='.length));
      expect(file.startsWith(`${home}/band-open-`)).toBe(true);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(await readFile(file, 'utf8')).toContain(`location.replace(${JSON.stringify(secret)})`);
      // Once the secret is used (the launch page handed over), the file goes.
      used();
      await vi.waitFor(() => expect(existsSync(file)).toBe(false), SLOW);
      await window.close();
    },
  );

  it('removes the redirect file when the window closes before the secret was used', async () => {
    const dir = await tempDir();
    const env = { ...process.env, FAKE_BROWSER_ARGS_FILE: join(dir, 'args.json') };
    const shell = createAppModeShell({
      executable: FAKE_BROWSER,
      profileDir: join(dir, 'profile'),
      redirectDir: dir,
      env,
      shouldDisableSandbox: false,
    });
    const window = await shell.open('http://127.0.0.1:9/secret/', { urlSecretUntil: new Promise(() => {}) });
    const args = await vi.waitFor(
      async () => JSON.parse(await readFile(join(dir, 'args.json'), 'utf8')) as string[],
      SLOW,
    );
    const file = fileURLToPath(args.find((a) => a.startsWith('--app='))!.slice('--app='.length));
    expect(existsSync(file)).toBe(true);
    await window.close();
    expect(existsSync(file)).toBe(false);
  });

  it('reports a browser that fails to start, with what it printed', async () => {
    const dir = await tempDir();
    const shell = createAppModeShell({
      executable: FAKE_BROWSER,
      profileDir: join(dir, 'p'),
      env: { ...process.env, FAKE_BROWSER_MODE: 'fail' },
    });
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
    const shell = createAppModeShell({
      executable: FAKE_BROWSER,
      profileDir: join(dir, 'p'),
      env: { ...process.env, FAKE_BROWSER_PIDS_FILE: join(dir, 'pids.json') },
    });
    const window = await shell.open('http://x');
    await vi.waitFor(() => readFile(join(dir, 'pids.json'), 'utf8'), SLOW);
    await shell.dispose();
    expect((await window.closed).byApp).toBe(true);
    await Promise.all([window.close(), window.close()]);
    expect(isProcessAlive(window.pid!)).toBe(false);
  });
});

describe('the browser temp folder', () => {
  it(
    'gets one of its own, removed when the window closes; ' + 'one a killed app left is swept at the next open',
    async () => {
      const dir = await tempDir();
      const tmp = join(dir, 'tmp');
      await mkdir(tmp);
      const dead = spawnSync(process.execPath, ['-e', '']).pid; // an app that has exited without cleaning up
      await mkdir(join(tmp, `band-browser-${dead}-AbC123`));
      const env = {
        ...process.env,
        TMPDIR: tmp,
        FAKE_BROWSER_TMP_FILE: join(dir, 'tmp.json'),
        FAKE_BROWSER_PIDS_FILE: join(dir, 'pids.json'),
      };
      const shell = createAppModeShell({
        executable: FAKE_BROWSER,
        profileDir: join(dir, 'profile'),
        env,
        shouldDisableSandbox: false,
      });
      const window = await shell.open('http://x');
      const browserTmp = await vi.waitFor(
        async () => JSON.parse(await readFile(join(dir, 'tmp.json'), 'utf8')) as string,
        SLOW,
      );
      expect(browserTmp).toMatch(new RegExp(`^${tmp}/band-browser-${process.pid}-[A-Za-z0-9]{6}$`));
      expect(await readdir(tmp)).toEqual([basename(browserTmp)]); // the orphan is gone
      await window.close();
      // Stopped with SIGTERM, the browser left its own folder inside: removed with the one Band gave it.
      expect(await readdir(tmp)).toEqual([]);
    },
  );
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
    for (const [name, target] of [
      ['a', 'host-999999999'],
      ['b', 'no-pid-here'],
      ['c', 'host--5'],
      ['d', `host-${process.pid}`],
    ] as const) {
      await mkdir(join(dir, name));
      await symlink(target, join(dir, name, 'SingletonLock'));
      expect(await closeStaleBrowser(join(dir, name)), target).toBeUndefined();
    }
  });
});
