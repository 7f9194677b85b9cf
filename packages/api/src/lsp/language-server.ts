import { type ChildProcess, spawn as nodeSpawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { withoutBandVariables } from '@band/agents';
import { makeOwnedTempDir } from '@band/internal';
import { type Logger, silentLogger } from '../internal/logger.js';
import { signalProcessTree } from '../internal/process-tree.js';
import { createMessageReader, encodeMessage } from './content-length.js';
import { createLspMultiplexer, type JsonRpcMessage, type LspClientHandle, type LspPeer } from './lsp-multiplexer.js';

/** How to start one language server. It must speak LSP over stdio. */
export interface LanguageServerSpec {
  command: string;
  args?: string[];
  /** Added to the server's environment. */
  env?: Record<string, string>;
  /** Defaults for `initialize`'s `initializationOptions`; the client's own keys win. */
  initializationOptions?: Record<string, unknown>;
  /**
   * Languages whose specs share an id share one process per workspace (TypeScript and JavaScript both run in
   * tsserver). @default the language name
   */
  id?: string;
}

export interface LanguageServerOptions {
  spec: LanguageServerSpec;
  language: string;
  workspacePath: string;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Stop the process when no client has been attached for this long. @default 60_000 */
  idleTimeoutMs?: number;
  /** Restart delay after the n-th consecutive crash: `min(maxMs, baseMs * 2^n)`. @default 500 */
  restartBaseMs?: number;
  /** @default 30_000 */
  restartMaxMs?: number;
  /** Give up after this many crashes without a stable run (60 s) in between. @default 5 */
  maxRestarts?: number;
  /** Grace between `shutdown`/`exit` and SIGKILL when stopping. @default 2_000 */
  stopGraceMs?: number;
  /** Called once the server stopped for good (idle, close, or too many crashes). */
  onStopped?(): void;
  /**
   * Bytes waiting for the server to read its stdin above which every client is paused until it drains (a server
   * that is stuck or slow must not make Band hold a flooding client's messages in memory). @default 8 MiB
   */
  maxPendingBytes?: number;
  spawn?: typeof nodeSpawn;
}

export interface LanguageServer {
  readonly language: string;
  /** Pid of the running process, if any. */
  readonly pid: number | undefined;
  readonly clientCount: number;
  /** Bytes written to the server's stdin that it has not read yet. */
  readonly pendingBytes: number;
  /** True once `stop()` began (idle, shutdown, or gave up): attach to a fresh instance instead. */
  readonly isStopping: boolean;
  /** Spawns the process on first use. */
  attach(peer: LspPeer): LspClientHandle;
  /** Stops the process (polite `shutdown` + `exit`, then SIGKILL of its tree). Idempotent. */
  stop(): Promise<void>;
}

/** The delay before restart number `attempt` (0-based), or undefined to give up. Pure; tested from a table. */
export function nextRestartDelay(
  attempt: number,
  { baseMs = 500, maxMs = 30_000, maxRestarts = 5 } = {},
): number | undefined {
  if (attempt >= maxRestarts) return undefined;
  return Math.min(maxMs, baseMs * 2 ** attempt);
}

const STABLE_RUN_MS = 60_000;
/** Language servers' temp folders: `band-lsp-<Band's pid>-XXXXXX` in the system temp folder. */
export const LSP_TMP_PREFIX = 'band-lsp-';

/**
 * Supervises one language server process per workspace and language: spawn, back-pressure on its stdin, restart
 * after a crash (with backoff), idle stop, polite stop. What goes over its stdio is the multiplexer's business.
 */
export function createLanguageServer(options: LanguageServerOptions): LanguageServer {
  const logger = options.logger ?? silentLogger;
  const spawn = options.spawn ?? nodeSpawn;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const stopGraceMs = options.stopGraceMs ?? 2_000;
  const label = `lsp ${options.language} (${options.workspacePath})`;

  let child: ChildProcess | undefined;
  /** The running server's own temp folder (TMPDIR), removed when it exits. */
  let childTmp: string | undefined;
  let generation = 0;
  let crashCount = 0;
  let startedAt = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let isStopping = false;
  let stopping: Promise<void> | undefined;
  let stderrTail = '';

  const mux = createLspMultiplexer({
    language: options.language,
    workspacePath: options.workspacePath,
    initializationOptions: options.spec.initializationOptions,
    server: {
      write: (message) => writeToServer(message),
      get isRunning() {
        return child !== undefined;
      },
      get isStopping() {
        return isStopping;
      },
      ensureStarted: () => ensureStarted(),
    },
  });

  // Back-pressure: while the server's stdin holds more than maxPendingBytes, no client is read from.
  const maxPendingBytes = options.maxPendingBytes ?? 8 * 1024 * 1024;
  let isPaused = false;
  const resumeClients = () => {
    if (!isPaused) return;
    isPaused = false;
    for (const peer of mux.peers()) peer.resume?.();
  };
  const writeToServer = (message: JsonRpcMessage) => {
    if (!child?.stdin?.writable) return false;
    const stdin = child.stdin;
    stdin.write(encodeMessage(message));
    if (!isPaused && stdin.writableLength > maxPendingBytes) {
      isPaused = true;
      logger.warn(
        `${label}: not reading its input (${stdin.writableLength} bytes waiting): clients paused until it catches up`,
      );
      for (const peer of mux.peers()) peer.pause?.();
      const onDrain = () => {
        if (stdin.writableLength > maxPendingBytes) return void stdin.once('drain', onDrain);
        resumeClients();
      };
      stdin.once('drain', onDrain);
    }
    return true;
  };

  const spawnServer = () => {
    const gen = ++generation;
    startedAt = Date.now();
    mux.resetForNewServer();
    let proc: ChildProcess;
    // A temp folder of its own, removed when it exits: typescript-language-server makes one folder per start in
    // TMPDIR and leaves it there when it is killed, so every server Band ever ran left an empty folder behind.
    // Named after this process (`band-lsp-<pid>-XXXXXX`): what a server killed with SIGKILL left is swept by the
    // next one (createLspService).
    let ownTmp: string | undefined;
    try {
      ownTmp = makeOwnedTempDir(LSP_TMP_PREFIX);
    } catch (error) {
      logger.debug(`${label}: no private temp folder (${(error as Error).message}); the server uses the shared one`);
    }
    childTmp = ownTmp;
    const tmpEnv = ownTmp ? { TMPDIR: ownTmp, TMP: ownTmp, TEMP: ownTmp } : {};
    try {
      proc = spawn(options.spec.command, options.spec.args ?? [], {
        cwd: options.workspacePath,
        env: { ...withoutBandVariables(options.env ?? process.env), ...tmpEnv, ...options.spec.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        // Its own session, so stopping it reaches tsserver and every other helper it starts.
        detached: true,
      });
    } catch (error) {
      logger.warn(`${label}: spawn failed: ${(error as Error).message}`);
      queueMicrotask(() => onExit(gen, null, null, error as Error));
      return;
    }
    child = proc;
    const reader = createMessageReader({
      onMessage: (message) => {
        if (gen === generation) mux.handleServerMessage(message);
      },
      onError: (error) => logger.warn(`${label}: ${error.message}`),
    });
    proc.stdout!.on('data', (chunk: Buffer) => reader.push(chunk));
    proc.stderr!.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4096);
    });
    proc.stdin!.on('error', (error) => logger.debug(`${label}: stdin: ${error.message}`));
    proc.once('error', (error) => onExit(gen, null, null, error));
    proc.once('exit', (code, signal) => onExit(gen, code, signal));
    logger.debug(`${label}: started (pid ${proc.pid})`);
  };

  const onExit = (gen: number, code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
    if (gen !== generation) return;
    const pid = child?.pid;
    const tmp = childTmp;
    child = undefined;
    childTmp = undefined;
    generation++;
    // What it had not read is gone with it: the clients may send again (to the restarted server, or get errors).
    resumeClients();
    // Helpers it started (tsserver) must not outlive it, nor its temp folder.
    if (pid) signalProcessTree(pid, 'SIGKILL');
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    if (isStopping) return;
    const why = error ? error.message : `exit code ${code}${signal ? `, signal ${signal}` : ''}`;
    logger.warn(`${label}: crashed (${why})${stderrTail ? `; stderr: ${stderrTail.slice(-500)}` : ''}`);
    mux.failPending(`${options.language} language server crashed`);
    if (Date.now() - startedAt > STABLE_RUN_MS) crashCount = 0;
    const delay = nextRestartDelay(crashCount, {
      baseMs: options.restartBaseMs,
      maxMs: options.restartMaxMs,
      maxRestarts: options.maxRestarts,
    });
    crashCount++;
    if (mux.clientCount === 0 || delay === undefined) {
      if (delay === undefined) {
        mux.notifyAll('window/showMessage', {
          type: 1,
          message: `The ${options.language} language server keeps crashing (${why}); giving up.`,
        });
        mux.notifyAll('band/serverStopped', { language: options.language, reason: 'crashed', attempts: crashCount });
      }
      void stop();
      return;
    }
    mux.notifyAll('window/showMessage', {
      type: 2,
      message: `The ${options.language} language server crashed (${why}); restarting in ${delay} ms.`,
    });
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (isStopping) return;
      spawnServer();
      // Re-initialize with the first client's parameters; clients keep their session and re-open documents.
      const initialized = mux.reinitialize();
      if (initialized) {
        void initialized.then((response) => {
          mux.notifyAll('band/serverRestarted', {
            language: options.language,
            attempt: crashCount,
            ok: !response.error,
          });
        });
      } else {
        mux.notifyAll('band/serverRestarted', { language: options.language, attempt: crashCount, ok: true });
      }
    }, delay);
    restartTimer.unref();
  };

  const ensureStarted = () => {
    if (!child && !restartTimer && !isStopping) spawnServer();
  };

  const scheduleIdleStop = () => {
    clearTimeout(idleTimer);
    idleTimer = undefined;
    if (mux.clientCount > 0 || isStopping) return;
    idleTimer = setTimeout(() => {
      logger.debug(`${label}: idle for ${idleTimeoutMs} ms, stopping`);
      void stop();
    }, idleTimeoutMs);
    idleTimer.unref();
  };

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      isStopping = true;
      clearTimeout(idleTimer);
      clearTimeout(restartTimer);
      const proc = child;
      mux.failPending(`${options.language} language server stopped`);
      mux.failDeferredInitialize(`${options.language} language server stopped`);
      // Let the error replies queued above reach the clients before their sockets close.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        // Polite first: a server that gets `exit` without `shutdown` may exit with code 1, which is fine here.
        writeToServer({ jsonrpc: '2.0', id: mux.nextServerId(), method: 'shutdown' });
        writeToServer({ jsonrpc: '2.0', method: 'exit' });
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, stopGraceMs)))]);
        clearTimeout(timer);
        if (proc.pid) signalProcessTree(proc.pid, 'SIGKILL');
        if (proc.exitCode === null && proc.signalCode === null)
          await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, stopGraceMs)))]);
        clearTimeout(timer);
      }
      child = undefined;
      if (childTmp) rmSync(childTmp, { recursive: true, force: true });
      childTmp = undefined;
      generation++;
      mux.closeAll(`the ${options.language} language server stopped`);
      logger.debug(`${label}: stopped`);
      options.onStopped?.();
    })();
    return stopping;
  };

  return {
    language: options.language,
    get pid() {
      return child?.pid;
    },
    get clientCount() {
      return mux.clientCount;
    },
    get pendingBytes() {
      return child?.stdin?.writableLength ?? 0;
    },
    get isStopping() {
      return isStopping;
    },
    attach(peer: LspPeer): LspClientHandle {
      const client = mux.attach(peer);
      if (isPaused) peer.pause?.();
      clearTimeout(idleTimer);
      idleTimer = undefined;
      ensureStarted();
      return {
        receive: client.receive,
        detach() {
          if (client.detach()) scheduleIdleStop();
        },
      };
    },
    stop,
  };
}
