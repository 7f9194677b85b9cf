// `band-desktop`: the Band desktop app. Process-level wiring only (argv, env, signals, exit codes); the logic
// lives in the plain modules.
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readTokenSecret, resolveBandHome } from '@band/settings';
import { createAppModeShell } from './app-mode-shell.js';
import { findChromiumBrowser } from './browser-discovery.js';
import { launchDesktop, type DesktopSettings } from './desktop-app.js';
import { createElectronShell } from './electron-shell.js';
import { DesktopError, type Logger } from './errors.js';
import { resolveDesktopPaths } from './paths.js';
import type { WindowShell } from './window-shell.js';

const HELP = `Usage: band-desktop [options]

Opens the Band dashboard in its own window, starting the Band server for BAND_HOME if none is running.
Closing the window (or Ctrl+C) stops the server it started, the tunnel and every agent and terminal.

Options:
  --home <dir>         Band home (default: $BAND_HOME or ~/.band)
  --port <port>        port for a server this app starts (default: webServerPort from settings.json; 0 = any free port)
  --shell <name>       app-mode (a Chromium-family browser in --app mode) or electron (default: electron inside \
Electron, else app-mode)
  --verbose            print the server's output
  -h, --help           show this help

Environment:
  BAND_BROWSER                    the browser for app-mode (a path or a name on PATH)
  BAND_DESKTOP_BROWSER_ARGS       extra browser flags, space separated (e.g. --disable-gpu)
`;

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const value = argv[i + 1];
  if (value === undefined || value.startsWith('--'))
    throw new DesktopError('REQUEST_FAILED', `${name} needs a value`, { hint: HELP });
  return value;
}

const argv = process.argv.slice(2);
if (argv.includes('-h') || argv.includes('--help')) {
  process.stdout.write(HELP);
  process.exit(0);
}
const verbose = argv.includes('--verbose');
const write = (prefix: string) => (message: string) => process.stderr.write(`${prefix}${message}\n`);
const logger: Logger = {
  debug: verbose ? write('  ') : () => {},
  info: write(''),
  warn: write('warning: '),
  error: write('error: '),
};

function fail(error: unknown): never {
  const e = error as Error & { hint?: string };
  process.stderr.write(`error: ${e.message}\n`);
  if (e.hint) process.stderr.write(`hint: ${e.hint}\n`);
  process.exit(1);
}

async function readSettings(home: string): Promise<DesktopSettings> {
  // Read-only: the desktop never creates or rewrites settings.json; the server owns it.
  const token = await readTokenSecret(home);
  const raw = JSON.parse(await readFile(join(home, 'settings.json'), 'utf8')) as { webServerPort?: unknown };
  const port = raw.webServerPort;
  return { token, port: typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65_536 ? port : 3456 };
}

async function main() {
  const home = flag(argv, '--home') ?? resolveBandHome(process.env);
  const portText = flag(argv, '--port') ?? process.env.BAND_PORT;
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
    fail(new DesktopError('REQUEST_FAILED', `--port must be a port number, got "${portText}"`));
  }
  const shellName =
    flag(argv, '--shell') ?? process.env.BAND_DESKTOP_SHELL ?? (process.versions.electron ? 'electron' : 'app-mode');
  const paths = resolveDesktopPaths(home);
  let shell: WindowShell;
  if (shellName === 'electron') {
    shell = await createElectronShell();
  } else if (shellName === 'app-mode') {
    shell = createAppModeShell({
      executable: findChromiumBrowser({ env: process.env }),
      profileDir: paths.profileDir,
      // The launch page's secret URL goes to the browser through a 0600 file here, never on its command line.
      redirectDir: home,
      extraArgs: (process.env.BAND_DESKTOP_BROWSER_ARGS ?? '').split(/\s+/).filter(Boolean),
      dangerouslyEnableRemoteDebugging: process.env.BAND_DESKTOP_DANGEROUSLY_ENABLE_REMOTE_DEBUGGING === '1',
      logger,
    });
  } else {
    fail(
      new DesktopError('REQUEST_FAILED', `Unknown shell "${shellName}"`, {
        hint: 'Use --shell app-mode or --shell electron.',
      }),
    );
  }

  const app = await launchDesktop({
    home,
    port,
    shell,
    serverEntry: fileURLToPath(new URL('./server-child.js', import.meta.url)),
    readSettings,
    logger,
    // Packaged Electron runs the server child with its own binary in Node mode.
    env: process.versions.electron ? { ...process.env, ELECTRON_RUN_AS_NODE: '1' } : process.env,
  });
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(130); // a second Ctrl+C: stop waiting
    signalled = true;
    logger.info(`${signal}: quitting Band…`);
    void app.quit();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  const { exitCode } = await app.done;
  await shell.dispose();
  process.exit(signalled ? 0 : exitCode);
}

main().catch(fail);
