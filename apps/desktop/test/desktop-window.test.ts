// The real app, end to end: `band-desktop` (built) → the real Band server → Debian's Chromium in app mode on a
// virtual X display. Nothing is faked except cloudflared (the tunnel package's fake).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTokenSecret, readTokenSecret } from '@band/settings';
import { fakeCloudflaredEnv, fakeCloudflaredPath } from '@band/tunnel/testing';
import { chromium } from 'playwright-core';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { readDevToolsEndpoint } from '../src/app-mode-shell.js';
import { createBandClient } from '../src/band-client.js';
import { findChromiumBrowser } from '../src/browser-discovery.js';
import { readInstanceRecord } from '../src/instance-lock.js';
import { resolveDesktopPaths } from '../src/paths.js';
import { isProcessAlive, listDescendants } from '../src/process-tree.js';
import { skipWhenMissing } from '../../../tooling/testing/prerequisites.js';
import { missingServerBuild, tempDir } from './helpers.js';
import { closeWindowByKeyboard, findWindow, missingX11Tools, screenshot, startXvfb, xdotool } from './x11.js';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(APP_DIR, 'bin', 'band-desktop.js');
const SCREENSHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));

function browserOrUndefined() {
  try {
    return findChromiumBrowser();
  } catch {
    return undefined;
  }
}

// These need a display server, a browser and the built server (its Next build is the dashboard's own job).
// Outside CI a missing piece skips them, named; in CI it fails the run.
const missing = [
  ...missingX11Tools(),
  ...(browserOrUndefined() ? [] : ['a Chromium-family browser']),
  ...missingServerBuild(),
];

/**
 * Where screenshots go: docs/screenshots/ (committed, shown in the README) only with BAND_UPDATE_SCREENSHOTS=1, as
 * the dashboard does; otherwise a temp folder removed after the test, so a plain run changes no tracked file.
 */
async function screenshotDir(): Promise<string> {
  if (process.env.BAND_UPDATE_SCREENSHOTS !== '1') return tempDir('band-desktop-screenshot-');
  await mkdir(SCREENSHOTS, { recursive: true });
  return SCREENSHOTS;
}

let lastOutput = () => '';

interface Launched {
  child: ChildProcess;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function launchApp(home: string, display: string, extraEnv: Record<string, string> = {}): Launched {
  let output = '';
  const child = spawn(process.execPath, [BIN, '--home', home, '--port', '0', '--verbose'], {
    cwd: APP_DIR,
    env: {
      ...process.env,
      DISPLAY: display,
      BAND_DESKTOP_BROWSER_ARGS: '--disable-gpu',
      // Lets the test read the page through CDP; never on in normal use.
      BAND_DESKTOP_DANGEROUSLY_ENABLE_REMOTE_DEBUGGING: '1',
      NEXT_TELEMETRY_DISABLED: '1',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  lastOutput = () => output.slice(-3000);
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exit = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  onTestFinished(async () => {
    // Only if the test failed half-way: never leave our processes behind.
    if (child.exitCode === null && child.signalCode === null) {
      const tree = [child.pid!, ...listDescendants(child.pid!)];
      for (const pid of tree) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    }
  });
  return { child, output: () => output, exit };
}

/** Waits for the instance record to say ready; fails at once (with the app's output) if the app reports an error. */
async function waitForReady(app: Launched, file: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await readInstanceRecord(file);
    if (record?.state === 'ready') return record;
    if (/^error: /m.test(app.output()) || app.child.exitCode !== null)
      throw new Error(`the app failed to start:\n${app.output()}`);
    if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms:\n${app.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One tRPC mutation with the bearer token, as the CLI makes it. */
async function trpc<T>(url: string, token: string, path: string, input: unknown): Promise<T> {
  const res = await fetch(`${url}/api/trpc/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as { result?: { data: T }; error?: unknown };
  if (!body.result) throw new Error(`${path}: ${JSON.stringify(body.error)}\n${lastOutput()}`);
  return body.result.data;
}

/** Command line of a pid, for readable failure messages. */
async function describePids(pids: number[]): Promise<string[]> {
  return Promise.all(
    pids.map(async (pid) => {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '?');
      return `${pid}: ${cmdline.replace(/\0/g, ' ').slice(0, 120)}`;
    }),
  );
}

describe.skipIf(skipWhenMissing('the desktop window tests', missing))('band-desktop in a real window (Xvfb)', () => {
  it('opens the dashboard signed in, and closing the window stops ' +
    'the server, the tunnel, the shells and every child process', async () => {
    const base = await tempDir();
    const home = join(base, 'home');
    // Settings prepared like a user would have them, so worktrees land in the temp dir, not in ~.
    await mkdir(home, { recursive: true, mode: 0o700 });
    await writeFile(
      join(home, 'settings.json'),
      JSON.stringify({ tokenSecret: generateTokenSecret(), worktreesDir: join(base, 'worktrees') }),
      { mode: 0o600 },
    );
    const repo = join(base, 'repo');
    await mkdir(repo);
    for (const args of [
      ['init', '-q', '-b', 'main'],
      ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'init'],
    ]) {
      expect(spawnSync('git', args, { cwd: repo }).status).toBe(0);
    }
    const display = await startXvfb();
    const app = launchApp(home, display, { BAND_CLOUDFLARED_PATH: fakeCloudflaredPath, ...fakeCloudflaredEnv() });
    const paths = resolveDesktopPaths(home);

    // --- the server is up and the instance recorded ---
    const record = await waitForReady(app, paths.instanceFile);
    expect(record.pid).toBe(app.child.pid);

    // --- the window ---
    const windowId = await findWindow(display, 'band-desktop');

    // --- signed in: the page is the dashboard (not the sign-in page) and its live socket is connected ---
    const endpoint = await vi.waitFor(
      async () => (await readDevToolsEndpoint(paths.profileDir)) ?? Promise.reject(new Error('no DevTools port yet')),
      {
        timeout: 60_000,
      },
    );
    const browser = await chromium.connectOverCDP(endpoint);
    try {
      const page = await vi.waitFor(() => browser.contexts()[0]?.pages()[0] ?? Promise.reject(new Error('no page')), {
        timeout: 60_000,
      });
      await page.waitForURL(`${record.url}/`, { timeout: 120_000 });
      await page.locator('[data-testid="connection-indicator"]', { hasText: 'Live' }).waitFor({ timeout: 120_000 });
      expect(await page.title()).toBe('Band');
      // The one-time code was burned and never sat in the address bar: no token anywhere in the URL.
      const token = await readTokenSecret(home);
      expect(page.url()).not.toContain(token);
      expect(page.url()).not.toContain('#c=');
    } finally {
      await browser.close(); // disconnects CDP; the window stays
    }
    expect(await xdotool(display, 'getwindowname', windowId)).toBe('Band');

    // The server lists the window as a signed-in local device.
    const client = createBandClient({ url: record.url!, token: await readTokenSecret(home) });
    expect((await client.listDevices()).filter((d) => d.listener === 'local')).toHaveLength(1);

    // --- a tunnel (fake cloudflared) and a terminal (a PTY shell, which leaves the process group), so quitting has
    // both to stop ---
    const tunnel = await client.startTunnel();
    expect(tunnel.state).toBe('ready');
    const token = await readTokenSecret(home);
    const { project } = await trpc<{ project: { id: string } }>(record.url!, token, 'projects.register', {
      path: repo,
      name: 'demo',
    });
    const { workspace } = await trpc<{ workspace: { id: string } }>(record.url!, token, 'workspaces.create', {
      project: project.id,
      branch: 'try-desktop',
    });
    const terminal = await vi.waitFor(
      () => trpc<{ id: string; pid: number }>(record.url!, token, 'terminals.create', { workspaceId: workspace.id }),
      {
        timeout: 60_000,
        interval: 250,
      },
    );
    expect(isProcessAlive(terminal.pid)).toBe(true);
    // Let the dashboard show the new project before the screenshot.
    const browser2 = await chromium.connectOverCDP((await readDevToolsEndpoint(paths.profileDir))!);
    try {
      const page = browser2.contexts()[0]!.pages()[0]!;
      await page
        .locator('[data-testid="project"]')
        .first()
        .waitFor({ timeout: 60_000 })
        .catch(() => page.reload());
      await page.locator('[data-testid="project"]').first().waitFor({ timeout: 60_000 });
    } finally {
      await browser2.close();
    }

    const shot = join(await screenshotDir(), 'desktop-window.png');
    await screenshot(display, windowId, shot);
    expect((await stat(shot)).size).toBeGreaterThan(10_000);

    // --- every process the app runs: server, cloudflared, browser ---
    const tree = listDescendants(app.child.pid!);
    const commands = await describePids(tree);
    expect(tree).toContain(record.serverPid);
    expect(commands.some((c) => c.includes('fake-cloudflared'))).toBe(true);
    expect(commands.some((c) => c.includes('chromium') || c.includes('chrome'))).toBe(true);
    expect(tree).toContain(terminal.pid);

    // --- quit by closing the window ---
    await closeWindowByKeyboard(display, windowId);
    const exit = await Promise.race([app.exit, new Promise((resolve) => setTimeout(resolve, 60_000, 'timeout'))]);
    expect(exit, app.output()).toEqual({ code: 0, signal: null });
    const survivors = tree.filter((pid) => isProcessAlive(pid));
    expect(await describePids(survivors)).toEqual([]);
    await expect(stat(paths.instanceFile)).rejects.toThrow();
  }, 480_000);

  it('shows the error and the fix in the window when settings.json is corrupt, and quits on SIGTERM', async () => {
    const home = join(await tempDir(), 'home');
    await mkdir(home, { recursive: true, mode: 0o700 });
    await writeFile(join(home, 'settings.json'), '{ "tokenSecret": "abc", ', { mode: 0o600 });
    const display = await startXvfb();
    const app = launchApp(home, display);
    const windowId = await findWindow(display, 'band-desktop');
    await vi.waitFor(
      async () => expect(await xdotool(display, 'getwindowname', windowId)).toBe('Band could not start'),
      { timeout: 60_000 },
    );
    const page = await readFile(resolveDesktopPaths(home).errorPage, 'utf8');
    expect(page).toContain('is not valid JSON');
    expect(page).toContain('How to fix it');
    expect(page).toContain('INVALID_JSON');
    const errorShot = join(await screenshotDir(), 'desktop-error.png');
    await screenshot(display, windowId, errorShot);
    expect((await stat(errorShot)).size).toBeGreaterThan(5_000);
    // The file is left exactly as the user wrote it.
    expect(await readFile(join(home, 'settings.json'), 'utf8')).toBe('{ "tokenSecret": "abc", ');

    const tree = listDescendants(app.child.pid!);
    app.child.kill('SIGTERM');
    expect(await app.exit).toEqual({ code: 0, signal: null });
    expect(await describePids(tree.filter((pid) => isProcessAlive(pid)))).toEqual([]);
  }, 240_000);
});
