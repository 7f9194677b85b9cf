import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { launchDesktop, type DesktopOptions } from '../src/desktop-app.js';
import { readInstanceRecord } from '../src/instance-lock.js';
import { resolveDesktopPaths } from '../src/paths.js';
import { isProcessAlive, listDescendants } from '../src/process-tree.js';
import { startServerProcess } from '../src/server-process.js';
import { createFakeShell, FAKE_SERVER, TOKEN, tempDir, SLOW } from './helpers.js';

const env = (mode = 'ok') => ({ ...process.env, FAKE_SERVER_MODE: mode, FAKE_SERVER_TOKEN: TOKEN });

async function launch(overrides: Partial<DesktopOptions> & { home: string }) {
  const shell = overrides.shell ?? createFakeShell();
  const app = await launchDesktop({
    port: 0,
    serverEntry: FAKE_SERVER,
    readSettings: async () => ({ token: TOKEN, port: 1 }),
    env: env(),
    stopGraceMs: 2_000,
    ...overrides,
    shell,
  });
  onTestFinished(() => app.quit());
  return { app, shell: shell as ReturnType<typeof createFakeShell> };
}

/** Live fake-server processes started for this home (their argv names it). */
async function fakeServersOf(home: string): Promise<number[]> {
  const pids = listDescendants(process.pid);
  const cmdlines = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')));
  return pids.filter(
    (pid, i) => cmdlines[i]!.includes('fake-server') && cmdlines[i]!.includes(home) && isProcessAlive(pid),
  );
}

/**
 * The fake server's two grandchildren (written before it reports ready): one in its process group, one in its own
 * session.
 */
async function grandchildrenOf(home: string): Promise<number[]> {
  const pids = await Promise.all(
    ['grandchild.pid', 'session-grandchild.pid'].map(async (f) => Number(await readFile(join(home, f), 'utf8'))),
  );
  onTestFinished(() => {
    for (const pid of pids) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
  });
  return pids;
}

describe('launchDesktop', () => {
  it('starts the server and opens the window signed in through a one-time link, never the token', async () => {
    const home = await tempDir();
    const { app, shell } = await launch({ home });
    expect(app.mode).toBe('started');
    expect(shell.windows).toHaveLength(1);
    // The window opened at once on the launch page, which hands it the one-time link once the server is ready.
    const launchUrl = shell.windows[0]!.url;
    expect(launchUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/$/);
    const next = await (await fetch(`${launchUrl}next`, { headers: { host: new URL(launchUrl).host } })).json();
    expect(next).toEqual({ url: `${app.url}/pair#c=first` });
    expect(JSON.stringify(next)).not.toContain(TOKEN);
    expect(await readInstanceRecord(resolveDesktopPaths(home).instanceFile)).toMatchObject({
      pid: process.pid,
      state: 'ready',
      url: app.url,
      serverPid: app.serverPid,
    });
  });

  it('quitting stops the server it started and every process under it', async () => {
    const home = await tempDir();
    const { app } = await launch({ home });
    const grandchildren = await grandchildrenOf(home);
    await app.quit();
    expect(isProcessAlive(app.serverPid!)).toBe(false);
    expect(grandchildren.filter((pid) => isProcessAlive(pid))).toEqual([]);
    await expect(stat(resolveDesktopPaths(home).instanceFile)).rejects.toThrow();
    expect(await app.done).toEqual({ exitCode: 0 });
  });

  it('closing the window quits the app', async () => {
    const home = await tempDir();
    const { app, shell } = await launch({ home });
    shell.windows[0]!.userClose();
    expect(await app.done).toEqual({ exitCode: 0 });
    expect(isProcessAlive(app.serverPid!)).toBe(false);
  });

  it(
    'a second launch for the same BAND_HOME attaches ' + 'with a fresh one-time link and never stops the server',
    async () => {
      const home = await tempDir();
      const first = await launch({ home });
      const second = await launch({ home, pid: 2 ** 22 + 7 });
      expect(second.app.mode).toBe('attached');
      expect(second.app.url).toBe(first.app.url);
      // The window opens on a launch page that hands the one-time link over once, so the link is never a window
      // argument.
      const launchUrl = second.shell.windows[0]!.url;
      expect(launchUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/$/);
      expect(await (await fetch(`${launchUrl}next`)).json()).toEqual({ url: `${first.app.url}/pair#c=code1` });
      expect((await fetch(`${launchUrl}next`).catch(() => undefined))?.status ?? 410).toBe(410);
      await second.app.quit();
      expect(isProcessAlive(first.app.serverPid!)).toBe(true);
      expect((await fetch(`${first.app.url}/pair`)).status).toBe(200);
      // The first instance still owns the record.
      expect((await readInstanceRecord(resolveDesktopPaths(home).instanceFile))?.pid).toBe(process.pid);
    },
  );

  it('attaches to a server started without the desktop app (band start) on the configured port', async () => {
    const home = await tempDir();
    const external = await startServerProcess({ entry: FAKE_SERVER, home: await tempDir(), port: 0, env: env() });
    onTestFinished(() => external.stop());
    const { app, shell } = await launch({
      home,
      port: undefined,
      readSettings: async () => ({ token: TOKEN, port: external.port }),
    });
    expect(app.mode).toBe('attached');
    expect(await (await fetch(`${shell.windows[0]!.url}next`)).json()).toEqual({
      url: expect.stringMatching(/\/pair#c=code\d+$/),
    });
    await app.quit();
    expect(isProcessAlive(external.pid)).toBe(true);
    await expect(stat(resolveDesktopPaths(home).instanceFile)).rejects.toThrow();
  });

  it(
    'refuses a server that cannot prove our token (another ' +
      'BAND_HOME on the same port), never sending it the token',
    async () => {
      const home = await tempDir();
      const other = await startServerProcess({
        entry: FAKE_SERVER,
        home: await tempDir(),
        port: 0,
        env: { ...env(), FAKE_SERVER_TOKEN: 'cd'.repeat(32) },
      });
      onTestFinished(() => other.stop());
      const { app } = await launch({
        home,
        port: undefined,
        readSettings: async () => ({ token: TOKEN, port: other.port }),
      });
      expect(app.mode).toBe('failed');
      expect(app.error).toMatchObject({ code: 'SERVER_UNVERIFIED' });
      expect(app.error!.message).toMatch(/not your Band server .*the token was not sent/);
      expect(await readFile(resolveDesktopPaths(home).errorPage, 'utf8')).toContain(`holds port ${other.port}`);
    },
  );

  it('a squatter on the Band port never receives the Authorization header: the app refuses with the fix', async () => {
    const home = await tempDir();
    const seen: IncomingHttpHeaders[] = [];
    // Answers everything with 200 and a JSON body, as a token-collecting squatter would.
    const squatter = createServer((req, res) => {
      seen.push(req.headers);
      res.setHeader('content-type', 'application/json');
      res.end('{"result":{"data":{"ok":true}}}');
    });
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => squatter.close(() => resolve())));
    const port = (squatter.address() as AddressInfo).port;
    const { app, shell } = await launch({ home, port: undefined, readSettings: async () => ({ token: TOKEN, port }) });
    expect(app.mode).toBe('failed');
    expect(app.error).toMatchObject({ code: 'SERVER_UNVERIFIED' });
    expect(app.error!.hint).toContain(`holds port ${port}`);
    expect(seen.length).toBeGreaterThan(0); // it was asked for its proof…
    expect(seen.every((h) => h.authorization === undefined)).toBe(true); // …and never got the token
    expect(JSON.stringify(seen)).not.toContain(TOKEN);
    // The window shows the error page; nothing was started.
    expect(shell.windows[0]!.url).toMatch(/^file:.*error\.html$/);
    expect(await fakeServersOf(home)).toEqual([]);
  });

  it('shows an error page with the fix when the server cannot start', async () => {
    const home = await tempDir();
    const { app, shell } = await launch({
      home,
      env: env('error'),
      readSettings: async () => Promise.reject(new Error('corrupt')),
    });
    expect(app.mode).toBe('failed');
    expect(app.error).toMatchObject({ code: 'SERVER_START_FAILED', serverCode: 'PORT_IN_USE' });
    // The window (on the launch page) is sent to the error page, also kept on disk.
    const launchUrl = shell.windows[0]!.url;
    expect(await (await fetch(`${launchUrl}next`)).json()).toEqual({ failed: true });
    for (const html of [
      await (await fetch(`${launchUrl}error`)).text(),
      await readFile(resolveDesktopPaths(home).errorPage, 'utf8'),
    ]) {
      expect(html).toContain('Port 3456 is already in use');
      expect(html).toContain('Stop the other process on port 3456.');
      expect(html).toContain('PORT_IN_USE');
    }
    await expect(stat(resolveDesktopPaths(home).instanceFile)).rejects.toThrow();
    shell.windows[0]!.userClose();
    expect(await app.done).toEqual({ exitCode: 1 });
  });

  it('shows a settings error’s message and its fix apart', async () => {
    const home = await tempDir();
    const shell = createFakeShell();
    // A server child that reports what the real server reports for a corrupt settings.json (a SettingsError).
    const entry = join(home, 'settings-error.mjs');
    await writeFile(
      entry,
      `process.send({ type: 'error', code: 'INVALID_JSON', message: '/h/settings.json is ` +
        `not valid JSON.', hint: 'repair the JSON in /h/settings.json' }, () => process.exit(1));`,
    );
    const { app } = await launch({ home, shell, serverEntry: entry });
    const html = await readFile(resolveDesktopPaths(home).errorPage, 'utf8');
    expect(html).toContain('<p class="message" data-testid="error-message">/h/settings.json is not valid JSON.</p>');
    expect(html).toContain('<p class="hint" data-testid="error-hint">Repair the JSON in /h/settings.json</p>');
    expect(app.error?.serverCode).toBe('INVALID_JSON');
  });

  it('quits with an error when the server dies under the window, and stops what the server left behind', async () => {
    const home = await tempDir();
    const { app, shell } = await launch({ home });
    const grandchildren = await grandchildrenOf(home);
    process.kill(app.serverPid!, 'SIGKILL');
    expect(await app.done).toEqual({ exitCode: 1 });
    expect(await shell.windows[0]!.closed).toEqual({ byApp: true });
    // The server's children (one still in its process group, one in its own session like a PTY shell) go too.
    expect(grandchildren.filter((pid) => isProcessAlive(pid))).toEqual([]);
  });

  it('stops the server again if the window cannot be opened', async () => {
    const home = await tempDir();
    const shell = createFakeShell({ failOpen: new Error('no display') });
    await expect(launch({ home, shell })).rejects.toThrow('no display');
    expect(await fakeServersOf(home)).toEqual([]);
    await expect(stat(resolveDesktopPaths(home).instanceFile)).rejects.toThrow();
  });

  it('closing the window while the server is starting cancels the start', async () => {
    const home = await tempDir();
    const shell = createFakeShell({ onOpen: (window) => setTimeout(() => window.userClose(), 200) });
    const { app } = await launch({ home, shell, env: env('hang'), stopGraceMs: 300 });
    expect(app.mode).toBe('cancelled');
    expect(await app.done).toEqual({ exitCode: 0 });
    expect(await fakeServersOf(home)).toEqual([]);
    await expect(stat(resolveDesktopPaths(home).instanceFile)).rejects.toThrow();
  });

  it('shows the error page when another instance never finishes starting', async () => {
    const home = await tempDir();
    const paths = resolveDesktopPaths(home);
    await mkdir(paths.runDir, { recursive: true });
    // A live process (our parent) that claims to be starting forever.
    await writeFile(paths.instanceFile, JSON.stringify({ pid: process.ppid, state: 'starting', startedAt: 1 }));
    const { app } = await launch({ home, waitForOtherInstanceMs: 200 });
    expect(app.mode).toBe('failed');
    expect(app.error?.code).toBe('INSTANCE_BUSY');
    expect(await readFile(paths.errorPage, 'utf8')).toContain(`pid ${process.ppid}`);
  });

  it('draws the tunnel menu where the shell has one', async () => {
    const home = await tempDir();
    const shell = createFakeShell({ supportsMenu: true });
    const { app } = await launch({ home, shell });
    await vi.waitFor(() => {
      const labels = shell.menus.at(-1)?.flatMap((i) => (i.type === 'item' ? [i.label] : []));
      expect(labels).toEqual(expect.arrayContaining(['Tunnel: off', 'Start tunnel', 'Stop tunnel', 'Quit Band']));
    }, SLOW);
    const quit = shell.menus.at(-1)!.find((i) => i.type === 'item' && i.id === 'quit');
    if (quit?.type === 'item') quit.onClick!();
    expect(await app.done).toEqual({ exitCode: 0 });
    expect(isProcessAlive(app.serverPid!)).toBe(false);
  });
});
