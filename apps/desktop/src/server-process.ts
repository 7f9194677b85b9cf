import { type ChildProcess, spawn as nodeSpawn } from 'node:child_process';
import { DesktopError, silentLogger, type Logger } from './errors.js';
import { isProcessAlive, killTree, listProcessGroup, RecordedTree, waitUntil } from './process-tree.js';
import { parseChildMessage, type ServerChildMessage, type ServerParentMessage } from './server-protocol.js';

export interface ServerProcessOptions {
  /** The child script (the built `server-child.js`, or a test fixture speaking the same IPC protocol). */
  entry: string;
  /** BAND_HOME for the server. */
  home: string;
  /** Overrides webServerPort; 0 picks a free port. */
  port?: number;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** @default 90000 (Next's first prepare on a busy machine can take a while) */
  readyTimeoutMs?: number;
  /** How long the server gets to stop its tunnel, agents and terminals before the tree is killed. @default 10000 */
  stopGraceMs?: number;
  /** Cancels the start (the user closed the window while the server was starting): the child is stopped. */
  signal?: AbortSignal;
  /** Test seam. */
  spawn?: typeof nodeSpawn;
}

export interface ServerProcess {
  url: string;
  port: number;
  pid: number;
  /** The one-time link minted at start; use it for the first window. */
  signInUrl: string;
  /** A fresh one-time link (for a window opened later). */
  createSignInUrl(): Promise<string>;
  /** Resolves when the server process exits, for whatever reason. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Stops the server, then anything it left behind. Idempotent; bounded by stopGraceMs + a few seconds. */
  stop(): Promise<void>;
}

const TAIL_LINES = 40;
/** How often the server's process tree is recorded while it runs (it can only be found from the server while the server
 * lives). */
const RECORD_INTERVAL_MS = 2_000;

function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch (error) {
    // EPERM: it exists but is not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops what the server left behind once it is gone: its process group (children that stayed in it) and every
 * process recorded under it (PTY shells call setsid() and leave the group). SIGTERM, then SIGKILL after graceMs.
 * The group id is the server's pid, which the kernel does not hand out again while the group has members, so
 * the group signal reaches nobody else; a recorded pid is signalled only while it is still the same process.
 */
async function reapLeftovers(pgid: number, tree: RecordedTree, logger: Logger, graceMs: number): Promise<void> {
  const leftovers = () =>
    [...new Set([...listProcessGroup(pgid), ...tree.alive()])].filter((pid) => pid !== process.pid);
  // Without /proc (macOS) the members cannot be listed; kill(-pgid, 0) still says whether any is left.
  const groupExists = () => signal(-pgid, 0);
  const first = leftovers();
  if (first.length === 0 && !groupExists()) return;
  logger.warn(`stopping ${first.length || 'the'} process(es) the server left behind`);
  const round = async (sig: NodeJS.Signals, waitMs: number) => {
    signal(-pgid, sig);
    for (const pid of leftovers()) signal(pid, sig);
    return waitUntil(() => leftovers().length === 0 && !groupExists(), waitMs);
  };
  if (await round('SIGTERM', graceMs)) return;
  if (await round('SIGKILL', 2_000)) return;
  logger.warn(`could not stop: ${leftovers().join(', ') || `process group ${pgid}`}`);
}

/** Starts the Band server as a child process and waits until it is listening (or fails with the reason and fix). */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const logger = options.logger ?? silentLogger;
  const spawn = options.spawn ?? nodeSpawn;
  const args = [options.entry, '--home', options.home];
  if (options.port !== undefined) args.push('--port', String(options.port));
  const child: ChildProcess = spawn(process.execPath, args, {
    // Own process group: a terminal's Ctrl+C reaches only the desktop app, which stops the server in order.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: {
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      ...(options.env ?? process.env),
      BAND_HOME: options.home,
    },
  });
  const tail: string[] = [];
  const onOutput = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      logger.debug(`[server] ${line}`);
    }
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  const pending = new Map<number, (message: Extract<ServerChildMessage, { type: 'sign-in-url' }>) => void>();
  let nextRequestId = 1;
  let resolveFirst: (message: ServerChildMessage) => void = () => {};
  const first = new Promise<ServerChildMessage>((resolve) => (resolveFirst = resolve));
  child.on('message', (raw) => {
    const message = parseChildMessage(raw);
    if (!message) return logger.warn('ignored a malformed message from the server process');
    if (message.type === 'sign-in-url') {
      pending.get(message.requestId)?.(message);
      pending.delete(message.requestId);
    } else resolveFirst(message);
  });

  // Record the server's process tree while it runs: once it has died (a crash, a SIGKILL) its children are
  // re-parented and can no longer be found from it.
  const tree = child.pid === undefined ? undefined : new RecordedTree(child.pid);
  const recorder = setInterval(() => tree?.record(), RECORD_INTERVAL_MS);
  recorder.unref();
  void exited.then(() => clearInterval(recorder));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(recorder);
      const pid = child.pid;
      if (pid === undefined || !tree) return;
      const running = () => child.exitCode === null && child.signalCode === null;
      if (running()) {
        tree.record();
        if (child.connected) child.send({ type: 'stop' } satisfies ServerParentMessage, () => {});
        else child.kill('SIGTERM');
        const graceMs = options.stopGraceMs ?? 10_000;
        const timer = new Promise<'timeout'>((resolve) => setTimeout(resolve, graceMs, 'timeout').unref());
        if ((await Promise.race([exited, timer])) === 'timeout') {
          logger.warn(`the server did not stop within ${graceMs} ms; killing its process tree`);
        }
        // What it started during the grace period.
        if (running()) tree.record();
        if (isProcessAlive(pid)) await killTree(pid, { signal: 'SIGKILL', graceMs: 2_000 });
      }
      // Until the server is reaped it still counts as a member of its own group.
      await waitUntil(() => !running(), 2_000);
      // Always, whether the server stopped cleanly, was killed above, or had died before stop() was called.
      await reapLeftovers(pid, tree, logger, 2_000);
    })();
    return stopping;
  };

  const timeoutMs = options.readyTimeoutMs ?? 90_000;
  const outcome = await Promise.race([
    first,
    exited.then((exit) => ({ type: 'exit' as const, ...exit })),
    spawnError.then((error) => ({ type: 'spawn-error' as const, error })),
    new Promise<{ type: 'timeout' }>((resolve) => setTimeout(resolve, timeoutMs, { type: 'timeout' }).unref()),
    new Promise<{ type: 'aborted' }>((resolve) => {
      if (options.signal?.aborted) resolve({ type: 'aborted' });
      options.signal?.addEventListener('abort', () => resolve({ type: 'aborted' }), { once: true });
    }),
  ]);
  const details = () => tail.join('\n');
  switch (outcome.type) {
    case 'ready':
      break;
    case 'error':
      await stop();
      throw new DesktopError('SERVER_START_FAILED', outcome.message, {
        hint: outcome.hint ?? 'See the server output below.',
        serverCode: outcome.code,
        details: details(),
      });
    case 'exit':
      await stop();
      throw new DesktopError(
        'SERVER_EXITED',
        `The Band server exited before it was ready (${outcome.signal ?? `code ${outcome.code}`})`,
        {
          hint: 'See the server output below; `npm start` in the repository runs the server in a terminal.',
          details: details(),
        },
      );
    case 'spawn-error':
      throw new DesktopError('SERVER_EXITED', `Could not start the Band server: ${outcome.error.message}`, {
        cause: outcome.error,
      });
    case 'aborted':
      await stop();
      throw new DesktopError('CANCELLED', 'Start cancelled');
    case 'timeout':
      await stop();
      throw new DesktopError(
        'SERVER_TIMEOUT',
        `The Band server did not become ready within ${Math.round(timeoutMs / 1000)} s`,
        {
          hint: 'The machine may be very busy; try again. The server output is below.',
          details: details(),
        },
      );
    default:
      break;
  }
  const ready = outcome as Extract<ServerChildMessage, { type: 'ready' }>;
  tree?.record();
  return {
    url: ready.url,
    port: ready.port,
    pid: child.pid!,
    signInUrl: ready.signInUrl,
    exited,
    stop,
    createSignInUrl() {
      const requestId = nextRequestId++;
      return new Promise<string>((resolve, reject) => {
        if (!child.connected) return reject(new DesktopError('SERVER_EXITED', 'The Band server is not running'));
        const timer = setTimeout(() => {
          pending.delete(requestId);
          reject(new DesktopError('SERVER_TIMEOUT', 'The Band server did not answer'));
        }, 10_000);
        pending.set(requestId, (message) => {
          clearTimeout(timer);
          if (message.url) resolve(message.url);
          else reject(new DesktopError('SERVER_START_FAILED', message.error ?? 'Could not create a sign-in link'));
        });
        child.send({ type: 'sign-in-url', requestId } satisfies ServerParentMessage);
      });
    },
  };
}
