// `band-desktop` as a command: argv, exit codes, signals. The browser is the fake one (no display needed); the
// server is the real one where the dashboard is built.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { readInstanceRecord } from '../src/instance-lock.js';
import { resolveDesktopPaths } from '../src/paths.js';
import { isProcessAlive, listDescendants } from '../src/process-tree.js';
import { skipWhenMissing } from '../../../tooling/testing/prerequisites.js';
import { missingServerBuild, SLOW, tempDir } from './helpers.js';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(APP_DIR, 'bin', 'band-desktop.js');
const FAKE_BROWSER = fileURLToPath(new URL('./fixtures/fake-browser.mjs', import.meta.url));

function start(args: string[], env: Record<string, string> = {}) {
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  onTestFinished(() => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    for (const pid of [child.pid!, ...listDescendants(child.pid!)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  });
  return { child, exit, output: () => output };
}

describe('band-desktop', () => {
  it('--help prints the usage', async () => {
    const run = start(['--help']);
    expect(await run.exit).toBe(0);
    expect(run.output()).toContain('Usage: band-desktop');
  });

  it('rejects a bad --port and an unknown shell with exit code 1', async () => {
    const home = await tempDir();
    const bad = start(['--home', home, '--port', 'abc']);
    expect(await bad.exit).toBe(1);
    expect(bad.output()).toContain('--port must be a port number');
    const shell = start(['--home', home, '--shell', 'gtk']);
    expect(await shell.exit).toBe(1);
    expect(shell.output()).toContain('Unknown shell');
  });

  it('names what to install when no browser can be found, before starting anything', async () => {
    const home = await tempDir();
    const run = start(['--home', home], { PATH: '/nonexistent', BAND_BROWSER: '' });
    expect(await run.exit).toBe(1);
    expect(run.output()).toMatch(/No Chromium-family browser found[\s\S]*hint: Install one/);
    expect(existsSync(resolveDesktopPaths(home).instanceFile)).toBe(false);
  });

  it('says that Electron is missing when asked for it', async () => {
    const run = start(['--home', await tempDir(), '--shell', 'electron']);
    expect(await run.exit).toBe(1);
    expect(run.output()).toContain('Electron is not available');
  });

  describe.skipIf(skipWhenMissing('the band-desktop tests with the real server', missingServerBuild()))(
    'with the real server',
    () => {
      it('a second launch attaches with a pairing link; Ctrl+C on the first stops everything', async () => {
        const home = join(await tempDir(), 'home');
        const dir = await tempDir();
        const first = start(['--home', home, '--port', '0'], { BAND_BROWSER: FAKE_BROWSER });
        const record = await vi.waitFor(
          async () => {
            const r = await readInstanceRecord(resolveDesktopPaths(home).instanceFile);
            if (r?.state !== 'ready') throw new Error(`not ready:\n${first.output()}`);
            return r;
          },
          { timeout: 120_000, interval: 100 },
        );

        // --- second launch: attaches; its window gets the one-time link through the launch page, reached through a
        // 0600 redirect file: neither the link nor the launch page's secret is ever on the browser's command line ---
        const argsFile = join(dir, 'args.json');
        const pidsFile = join(dir, 'pids.json');
        const followFile = join(dir, 'followed.json');
        const second = start(['--home', home], {
          BAND_BROWSER: FAKE_BROWSER,
          FAKE_BROWSER_ARGS_FILE: argsFile,
          FAKE_BROWSER_PIDS_FILE: pidsFile,
          FAKE_BROWSER_FOLLOW_FILE: followFile,
        });
        const [browserPid] = await vi.waitFor(async () => JSON.parse(await readFile(pidsFile, 'utf8')) as number[], {
          ...SLOW,
          timeout: 60_000,
        });
        const cmdline = (await readFile(`/proc/${browserPid}/cmdline`, 'utf8')).split('\0');
        const app = cmdline.find((a) => a.startsWith('--app='))!;
        expect(app).toMatch(new RegExp(`^--app=file://${home}/band-open-[0-9a-f]{16}\\.html$`));
        const followed = await vi.waitFor(async () => JSON.parse(await readFile(followFile, 'utf8')) as string[], {
          ...SLOW,
          timeout: 60_000,
        });
        const port = new URL(record.url!).port;
        expect(followed).toEqual([
          app.slice('--app='.length),
          expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/$/),
          expect.stringMatching(new RegExp(`^http://127\\.0\\.0\\.1:${port}/pair#c=[\\w-]+$`)),
        ]);
        const code = new URL(followed[2]!).hash.slice('#c='.length);
        const token = JSON.parse(await readFile(join(home, 'settings.json'), 'utf8')).tokenSecret as string;
        for (const secret of [code, token, new URL(followed[1]!).pathname])
          expect(cmdline.join(' ')).not.toContain(secret);
        expect((JSON.parse(await readFile(argsFile, 'utf8')) as string[]).join(' ')).not.toContain(code);
        // Handed over: the redirect file is gone.
        await vi.waitFor(() => expect(existsSync(fileURLToPath(app.slice('--app='.length)))).toBe(false), SLOW);
        // Its window closes (the user closes it): the second app quits and leaves the server running.
        process.kill(browserPid!, 'SIGTERM');
        expect(await second.exit).toBe(0);
        expect(isProcessAlive(record.serverPid!)).toBe(true);

        // --- Ctrl+C on the first: everything it started goes ---
        const tree = listDescendants(first.child.pid!);
        expect(tree).toContain(record.serverPid);
        first.child.kill('SIGINT');
        expect(await first.exit).toBe(0);
        expect(tree.filter((pid) => isProcessAlive(pid))).toEqual([]);
        expect(existsSync(resolveDesktopPaths(home).instanceFile)).toBe(false);
      }, 180_000);
    },
  );
});
