import { AuthError, pinServerUrl, verifyServer } from '@band/auth/client';
import { hintOf } from '@band/internal';
import { createBandClient, type BandClient } from './band-client.js';
import { DesktopError, silentLogger, type Logger } from './errors.js';
import { writeErrorPage } from './error-page.js';
import { claimInstance, readInstanceRecord, type InstanceRecord } from './instance-lock.js';
import { startLaunchPage, type LaunchPage } from './launch-page.js';
import { resolveDesktopPaths } from './paths.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { createTunnelMenuController, type TunnelMenuController } from './tunnel-menu.js';
import type { WindowHandle, WindowOptions, WindowShell } from './window-shell.js';

/** What the desktop needs from settings.json to talk to a server as the CLI does. */
export interface DesktopSettings {
  token: string;
  port: number;
}

export interface DesktopOptions {
  /** BAND_HOME. */
  home: string;
  /** Overrides webServerPort for a server this app starts; 0 picks a free port. */
  port?: number;
  shell: WindowShell;
  /** The server child script (the built `server-child.js`). */
  serverEntry: string;
  /** Reads the token and port; a throw means "unknown" (e.g. corrupt settings: the server will say why). */
  readSettings(home: string): Promise<DesktopSettings>;
  logger?: Logger;
  /** Environment for the server child. @default process.env */
  env?: NodeJS.ProcessEnv;
  window?: WindowOptions;
  /** @default 90000 */
  readyTimeoutMs?: number;
  /** @default 10000 */
  stopGraceMs?: number;
  /** How long to wait for another instance that is still starting the server. @default readyTimeoutMs */
  waitForOtherInstanceMs?: number;
  /** Test seam for the bearer client. */
  fetch?: typeof fetch;
  /** The pid recorded in the instance file. @default process.pid (tests run two "apps" in one process) */
  pid?: number;
}

/**
 * - `started`: this app started the server and stops it on quit.
 * - `attached`: a server for this BAND_HOME was already running (another desktop, `band start`); quitting leaves it.
 * - `failed`: the window shows the error page.
 * - `cancelled`: the window was closed while the server was starting; the start was undone.
 */
export type DesktopMode = 'started' | 'attached' | 'failed' | 'cancelled';

export interface DesktopApp extends AsyncDisposable {
  readonly mode: DesktopMode;
  /** The server's local URL (not in `failed` mode). */
  readonly url: string | undefined;
  readonly window: WindowHandle;
  /** The server child's pid in `started` mode. */
  readonly serverPid: number | undefined;
  /** The failure shown in the window (`failed` mode). */
  readonly error: DesktopError | undefined;
  /** Resolves once the app has quit: window closed, and in `started` mode the server and its children stopped. */
  readonly done: Promise<{ exitCode: number }>;
  /** Closes the window and stops what this app started. Idempotent. */
  quit(): Promise<void>;
}

/** Marks an error from opening the window itself: there is no window to show it in, so it is thrown. */
const WINDOW_FAILED = Symbol('window-failed');

function toDesktopError(error: unknown): DesktopError {
  if (error instanceof DesktopError) return error;
  return new DesktopError('SERVER_START_FAILED', (error as Error | undefined)?.message ?? String(error), {
    hint: hintOf(error),
    cause: error,
  });
}

/**
 * Launches the desktop app: attach to the server of this BAND_HOME or start one, wait until it is ready, and open
 * the window signed in through a one-time pairing link (the permanent token never reaches a command line or URL).
 * If the server cannot start, the window shows what failed and how to fix it.
 */
export async function launchDesktop(options: DesktopOptions): Promise<DesktopApp> {
  const logger = options.logger ?? silentLogger;
  const paths = resolveDesktopPaths(options.home);
  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
  const shell = options.shell;

  // --- single instance ---
  const claim = await claimInstance(paths.instanceFile, { pid: options.pid });
  let server: ServerProcess | undefined;
  let mode: DesktopMode;
  let url: string | undefined;
  let signInUrl: string;
  let failure: DesktopError | undefined;
  let client: BandClient | undefined;

  const settings = await options.readSettings(options.home).catch((error: unknown) => {
    logger.debug(`settings not readable yet: ${(error as Error).message}`);
    return undefined;
  });
  const clientFor = (target: string) =>
    settings
      ? createBandClient({ url: target, token: settings.token, fetch: options.fetch, timeoutMs: 5_000 })
      : undefined;

  /**
   * Attaches to a running server. First the server proves it holds this home's token (`/auth/hello`, F11): a squatter
   * on the port, or another home's server, never receives the bearer token. Then a one-time sign-in link is minted.
   * Nothing listening rejects with the network error itself (the caller may start a server instead).
   */
  async function attach(target: string): Promise<{ url: string; signInUrl: string }> {
    if (!settings) throw new DesktopError('REQUEST_FAILED', `Cannot read the token to sign in to ${target}`);
    let verified: Awaited<ReturnType<typeof verifyServer>>;
    try {
      verified = await verifyServer({ url: target, token: settings.token, timeoutMs: 5_000 });
    } catch (error) {
      if (error instanceof AuthError && error.code === 'SERVER_UNVERIFIED') {
        const port = new URL(target).port;
        throw new DesktopError('SERVER_UNVERIFIED', error.message, {
          hint:
            error.reason === 'NO_HELLO' || error.reason === 'OLD_PROOF'
              ? error.hint
              : `Another program (or a Band server of another BAND_HOME) holds port ${port}. Stop it (\`ss ` +
                `-ltnp 'sport = :${port}'\` names it) and open Band again, or set ` +
                `webServerPort in ${options.home}/settings.json ` +
                `to a free port.`,
          cause: error,
        });
      }
      throw error;
    }
    // Every later request goes to the very address that proved itself.
    const pinned = pinServerUrl(target, verified);
    const candidate = clientFor(pinned)!;
    await candidate.health();
    client = candidate;
    return { url: pinned, signInUrl: (await candidate.createPairingCode()).url };
  }

  /** Nothing accepts connections there: start a server instead of attaching. */
  const isNotListening = (error: unknown) =>
    ['ECONNREFUSED', 'ECONNRESET', 'EADDRNOTAVAIL'].includes((error as NodeJS.ErrnoException)?.code ?? '');

  let window: WindowHandle | undefined;
  let launch: LaunchPage | undefined;
  try {
    if (claim.kind === 'taken') {
      // --- attach to another desktop instance's server ---
      let record: InstanceRecord | undefined = claim.record;
      if (record.state !== 'ready') {
        logger.info('Another Band window is starting the server; waiting for it…');
        const waitMs = options.waitForOtherInstanceMs ?? readyTimeoutMs;
        const deadline = Date.now() + waitMs;
        while (Date.now() < deadline) {
          record = await readInstanceRecord(paths.instanceFile);
          if (!record || record.state === 'ready') break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      if (!record?.url || record.state !== 'ready') {
        throw new DesktopError('INSTANCE_BUSY', 'Another Band desktop app for this BAND_HOME did not finish starting', {
          hint:
            `Close the other Band window (pid ${claim.record.pid}) and try again, ` +
            `or delete ${paths.instanceFile} if no Band ` +
            `app is running.`,
        });
      }
      ({ url, signInUrl } = await attach(record.url));
      mode = 'attached';
    } else {
      // --- attach to a server started without the desktop (`band start`) on the configured port ---
      // 127.0.0.1, the address Band binds, never `localhost` (which may resolve to [::1], issue 16 #1).
      const configured = settings && options.port === undefined ? `http://127.0.0.1:${settings.port}` : undefined;
      // Nothing listening: start one. Something that fails the proof: refuse (the window says why), never start a
      // second server that could only fail on the taken port.
      const existing = configured
        ? await attach(configured).catch((error: unknown) => {
            if (isNotListening(error)) return undefined;
            throw error;
          })
        : undefined;
      if (existing) {
        await claim.release();
        ({ url, signInUrl } = existing);
        mode = 'attached';
        logger.info(`Attached to the Band server already running at ${url}`);
      } else {
        // --- start the server while the window opens on the launch page ---
        client = undefined;
        launch = await startLaunchPage();
        const cancel = new AbortController();
        const starting = startServerProcess({
          entry: options.serverEntry,
          home: options.home,
          port: options.port,
          env: options.env,
          logger,
          readyTimeoutMs,
          stopGraceMs: options.stopGraceMs,
          signal: cancel.signal,
        });
        starting.catch(() => {}); // observed below
        try {
          // This app holds the instance claim, so it owns the window profile too.
          window = await shell.open(launch.url, {
            title: 'Band',
            ...options.window,
            isExclusive: true,
            urlSecretUntil: launch.delivered,
          });
        } catch (error) {
          cancel.abort();
          await starting.catch(() => {});
          await launch.close();
          throw Object.assign(error as Error, { [WINDOW_FAILED]: true });
        }
        // Closing the window while the server starts cancels the start.
        void window.closed.then(() => cancel.abort());
        server = await starting;
        url = server.url;
        signInUrl = server.signInUrl;
        mode = 'started';
        await claim.update({ state: 'ready', url: server.url, port: server.port, serverPid: server.pid });
        launch.proceed(server.signInUrl);
        const page = launch;
        void page.delivered.then(() => page.close());
        // The server created settings.json on a first launch; now the token can be read.
        const fresh = settings ?? (await options.readSettings(options.home).catch(() => undefined));
        if (fresh) client = createBandClient({ url: server.url, token: fresh.token, fetch: options.fetch });
      }
    }
  } catch (error) {
    if (claim.kind === 'claimed') await claim.release();
    if ((error as Record<symbol, unknown>)[WINDOW_FAILED]) throw error;
    failure = toDesktopError(error);
    if (failure.code === 'CANCELLED') {
      mode = 'cancelled';
      signInUrl = '';
    } else {
      // --- failure: show it in the window ---
      mode = 'failed';
      logger.error(`${failure.message}${failure.hint ? `\n  fix: ${failure.hint}` : ''}`);
      const content = {
        message: failure.message,
        hint: failure.hint,
        code: failure.serverCode ?? failure.code,
        details: failure.details,
      };
      // Also on disk, so the failure can be read after the window is gone.
      signInUrl = await writeErrorPage(paths.errorPage, content);
      launch?.fail(content);
    }
  }

  // --- window ---
  if (!window) {
    try {
      if (mode === 'attached') {
        // The one-time link goes through the launch page, handed over once, so it is never on the browser's command
        // line (/proc/<pid>/cmdline is readable by every local user); the launch page's own URL goes through a 0600
        // redirect file in app mode (issue 16 #5).
        const page = await startLaunchPage();
        launch = page;
        page.proceed(signInUrl);
        void page.delivered.then(() => page.close());
        window = await shell.open(page.url, { title: 'Band', ...options.window, urlSecretUntil: page.delivered });
      } else {
        window = await shell.open(signInUrl, { title: 'Band', ...options.window });
      }
    } catch (error) {
      await server?.stop();
      await launch?.close();
      if (claim.kind === 'claimed') await claim.release();
      throw error;
    }
  }
  const openWindow = window;
  if (mode === 'started' || mode === 'attached')
    logger.info(`Band is open (${mode === 'started' ? 'started' : 'attached to'} ${url})`);

  // --- native menu (Electron only) ---
  let menu: TunnelMenuController | undefined;
  if (shell.supportsMenu && client) {
    menu = createTunnelMenuController({ client, shell, logger, onQuit: () => void quit() });
    void menu.refresh();
  }

  // --- quit ---
  let exitCode = 0;
  let quitting: Promise<void> | undefined;
  function quit(): Promise<void> {
    quitting ??= (async () => {
      menu?.close();
      await openWindow.close();
      // Only what this app started; an attached server belongs to someone else.
      if (server) {
        logger.info('Stopping the Band server…');
        await server.stop();
      }
      await launch?.close();
      if (claim.kind === 'claimed') await claim.release();
    })();
    return quitting;
  }
  const done = (async () => {
    const outcome = await Promise.race([
      openWindow.closed.then((closed) => ({ kind: 'window' as const, closed })),
      ...(server ? [server.exited.then((exit) => ({ kind: 'server' as const, exit }))] : []),
    ]);
    if (outcome.kind === 'window' && outcome.closed.error) {
      logger.error(`The window failed: ${outcome.closed.error}`);
      exitCode = 1;
    }
    if (outcome.kind === 'server' && !quitting) {
      logger.error(`The Band server stopped unexpectedly (${outcome.exit.signal ?? `code ${outcome.exit.code}`})`);
      exitCode = 1;
    }
    if (mode === 'failed') exitCode = 1;
    await quit();
    return { exitCode };
  })();

  return {
    mode,
    url,
    window: openWindow,
    serverPid: server?.pid,
    error: failure,
    done,
    quit: async () => {
      await quit();
      await done;
    },
    [Symbol.asyncDispose]: quit,
  };
}
