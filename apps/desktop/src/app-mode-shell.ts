import { type ChildProcess, spawn as nodeSpawn } from 'node:child_process';
import { mkdir, readFile, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sweepRedirectFiles, writeRedirectFile } from '@band/auth/client';
import { makeOwnedTempDir, sweepOwnedTempDirs } from '@band/internal';
import { silentLogger, type Logger } from './errors.js';
import { isProcessAlive, killTree } from './process-tree.js';
import type { WindowClosed, WindowHandle, WindowOptions, WindowShell } from './window-shell.js';

export interface AppModeShellOptions {
  /** The browser executable (see `findChromiumBrowser`). */
  executable: string;
  /** `--user-data-dir`: Band's own profile, never the user's default one. */
  profileDir: string;
  /** Added after Band's flags (e.g. `--disable-gpu` under Xvfb). */
  extraArgs?: string[];
  /**
   * Adds `--no-sandbox --test-type`. Chromium refuses to start as root with its sandbox on; `--test-type` hides
   * the warning bar that `--no-sandbox` shows. @default true when running as root
   */
  shouldDisableSandbox?: boolean;
  /**
   * Opens a DevTools endpoint on a random local port (written to `<profile>/DevToolsActivePort`). Any local
   * process could then drive the signed-in window, so only tests turn this on. @default false
   */
  dangerouslyEnableRemoteDebugging?: boolean;
  logger?: Logger;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Test seam. */
  spawn?: typeof nodeSpawn;
  /** Grace before SIGKILL when closing. @default 3000 */
  closeGraceMs?: number;
  /**
   * Where a secret URL (`urlSecretUntil`) goes instead of argv: a 0600 `band-open-*.html` redirect file in this 0700
   * directory (the Band home, as `band open` does; issue 16 #5). Unset: the URL goes on the command line as it is.
   */
  redirectDir?: string;
  /** A redirect file is removed after this long even if its secret was never used. @default 120000 (a pairing code's
   * life) */
  redirectFileTtlMs?: number;
}

/** The browser's temp folders: `band-browser-<app pid>-XXXXXX` in the system temp folder. */
const BROWSER_TMP_PREFIX = 'band-browser-';

/** The flags Band starts the browser with (exported for tests and the README). */
export function getAppModeArgs(url: string, options: AppModeShellOptions, window: WindowOptions = {}): string[] {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const args = [
    `--app=${url}`,
    `--user-data-dir=${options.profileDir}`,
    `--window-size=${window.width ?? 1280},${window.height ?? 860}`,
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--password-store=basic',
    // Our own class name lets the window manager (and tests) find the Band window among other browser windows.
    '--class=band-desktop',
  ];
  if (options.shouldDisableSandbox ?? isRoot) args.push('--no-sandbox', '--test-type');
  if (options.dangerouslyEnableRemoteDebugging) args.push('--remote-debugging-port=0');
  args.push(...(options.extraArgs ?? []));
  return args;
}

/** Reads the DevTools endpoint of a window opened with `dangerouslyEnableRemoteDebugging`. */
export async function readDevToolsEndpoint(profileDir: string): Promise<string | undefined> {
  try {
    const [port, path] = (await readFile(join(profileDir, 'DevToolsActivePort'), 'utf8')).split('\n');
    return port && path ? `ws://127.0.0.1:${port.trim()}${path.trim()}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Closes a browser still running on this profile. Chromium hands a second launch on the same profile over to the
 * running browser and exits at once, so without this a browser orphaned by a crashed app would get the new window
 * and the app would think its window had closed. Only a process whose command line names this very profile is
 * touched. @returns the pid it stopped, if any
 */
export async function closeStaleBrowser(profileDir: string): Promise<number | undefined> {
  let target: string;
  try {
    // Chromium's lock is a symlink to "<hostname>-<pid>".
    target = await readlink(join(profileDir, 'SingletonLock'));
  } catch {
    return undefined;
  }
  const pid = Number(target.slice(target.lastIndexOf('-') + 1));
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !isProcessAlive(pid)) return undefined;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.split('\0').includes(`--user-data-dir=${profileDir}`)) return undefined;
  await killTree(pid, { signal: 'SIGTERM', graceMs: 3_000 });
  return pid;
}

/**
 * A Chromium-family browser in `--app=<url>` mode: a window without tabs or address bar, its own profile.
 * It has no native menu (the dashboard's hamburger menu has Start/Stop tunnel).
 */
export function createAppModeShell(options: AppModeShellOptions): WindowShell {
  const logger = options.logger ?? silentLogger;
  const spawn = options.spawn ?? nodeSpawn;
  const open = new Set<WindowHandle>();

  const shell: WindowShell = {
    name: `app-mode (${options.executable})`,
    supportsMenu: false,
    setMenu() {},
    async open(url, windowOptions = {}) {
      await mkdir(options.profileDir, { recursive: true, mode: 0o700 });
      if (windowOptions.isExclusive) {
        const stale = await closeStaleBrowser(options.profileDir);
        if (stale) logger.warn(`closed a browser (pid ${stale}) left on Band's profile by an earlier run`);
      }
      // --- secret URLs go through a 0600 redirect file, never argv ---
      let redirectFile: string | undefined;
      if (windowOptions.urlSecretUntil && options.redirectDir) {
        await mkdir(options.redirectDir, { recursive: true, mode: 0o700 });
        await sweepRedirectFiles(options.redirectDir, 5 * 60_000);
        redirectFile = await writeRedirectFile(options.redirectDir, url);
      }
      const removeRedirectFile = async () => {
        if (redirectFile) await rm(redirectFile, { force: true });
      };
      const args = getAppModeArgs(redirectFile ? pathToFileURL(redirectFile).href : url, options, windowOptions);
      // Only the URL's origin is logged: its path may be the launch page's secret, its fragment a pairing code.
      const shown = url.startsWith('file:') ? url : new URL(url).origin;
      logger.debug(`opening ${options.executable} ${redirectFile ? `through ${redirectFile}` : `--app=${shown}`}`);
      // The browser's own temp folder (its singleton socket, PulseAudio's): a browser that is stopped rather than
      // closed from its window leaves `org.chromium.Chromium.*` behind in the system one at every close. Removed
      // when it exits; an app killed before that leaves one, which the next window's sweep removes.
      const env = { ...(options.env ?? process.env) };
      sweepOwnedTempDirs(BROWSER_TMP_PREFIX, env.TMPDIR || undefined);
      const browserTmp = makeOwnedTempDir(BROWSER_TMP_PREFIX, env.TMPDIR || undefined);
      env.TMPDIR = browserTmp;
      const child: ChildProcess = spawn(options.executable, args, {
        // Its own process group: Ctrl+C in the terminal reaches the desktop app, which closes the window in order.
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env,
      });
      const tail: string[] = [];
      const keep = (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (!line.trim()) continue;
          tail.push(line);
          if (tail.length > 20) tail.shift();
        }
      };
      if (redirectFile) {
        const ttl = setTimeout(() => void removeRedirectFile(), options.redirectFileTtlMs ?? 120_000);
        ttl.unref();
        void Promise.resolve(windowOptions.urlSecretUntil)
          .catch(() => {})
          .then(() => {
            clearTimeout(ttl);
            return removeRedirectFile();
          });
      }
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      let byApp = false;
      const closed = new Promise<WindowClosed>((resolve) => {
        child.once('error', (error) => resolve({ byApp, error: `${options.executable}: ${error.message}` }));
        child.once('exit', (code, signal) => {
          const failed = !byApp && code !== 0 && code !== null;
          resolve(
            failed
              ? {
                  byApp,
                  error:
                    `${options.executable} exited ` +
                    `with code ${code}${signal ? ` (${signal})` : ''}\n${tail.join('\n')}`,
                }
              : { byApp },
          );
        });
      }).then(async (result) => {
        await removeRedirectFile().catch(() => {});
        // Its helper processes (zygote, renderers) go with it; the folder waits for none of them.
        await rm(browserTmp, { recursive: true, force: true }).catch(() => {});
        return result;
      });
      let closing: Promise<void> | undefined;
      const handle: WindowHandle = {
        closed,
        pid: child.pid,
        close() {
          closing ??= (async () => {
            byApp = true;
            if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
              await killTree(child.pid, { signal: 'SIGTERM', graceMs: options.closeGraceMs ?? 3_000 });
            }
            await closed;
          })();
          return closing;
        },
      };
      open.add(handle);
      void closed.then(() => open.delete(handle));
      return handle;
    },
    async dispose() {
      await Promise.all([...open].map((handle) => handle.close()));
    },
  };
  return shell;
}
