import { type ChildProcess, spawn as nodeSpawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { silentLogger, type Logger } from '../internal/logger.js';
import { signalProcessTree } from '../internal/process-tree.js';
import { createMessageReader, encodeMessage } from './content-length.js';
import { withoutBandVariables } from '@band/agents';
import { makeOwnedTempDir } from '@band/internal';

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

type JsonRpcId = number | string;
interface JsonRpcMessage {
  jsonrpc?: '2.0';
  id?: JsonRpcId | null;
  method?: string;
  params?: any;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** One connected client (a WebSocket). */
export interface LspPeer {
  send(message: object): void;
  /**
   * Stop reading from this client: the server is not taking its input as fast as clients send it (its stdin holds
   * more than `maxPendingBytes`). `resume()` once it has caught up. Without them a client is never slowed.
   */
  pause?(): void;
  resume?(): void;
  /** The server stopped for good while this client was attached (it gave up after repeated crashes). */
  close?(reason: string): void;
}

/** A client's hold on a language server. */
export interface LspClientHandle {
  /** A message from the client (one parsed WebSocket text frame). */
  receive(message: unknown): void;
  /** The client went away: its requests are forgotten and the documents only it had open are closed. */
  detach(): void;
}

/** JSON-RPC error codes used by the bridge. */
export const LSP_ERROR = Object.freeze({
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  INTERNAL_ERROR: -32603,
  SERVER_NOT_INITIALIZED: -32002,
  REQUEST_FAILED: -32803,
});

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

interface Client {
  peer: LspPeer;
  openDocuments: Set<string>;
}

const STABLE_RUN_MS = 60_000;
/** Language servers' temp folders: `band-lsp-<Band's pid>-XXXXXX` in the system temp folder. */
export const LSP_TMP_PREFIX = 'band-lsp-';

export function createLanguageServer(options: LanguageServerOptions): LanguageServer {
  const logger = options.logger ?? silentLogger;
  const spawn = options.spawn ?? nodeSpawn;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const stopGraceMs = options.stopGraceMs ?? 2_000;
  const label = `lsp ${options.language} (${options.workspacePath})`;
  const rootUri = pathToFileURL(options.workspacePath).href;

  const clients = new Set<Client>();
  let child: ChildProcess | undefined;
  /** The running server's own temp folder (TMPDIR), removed when it exits. */
  let childTmp: string | undefined;
  let generation = 0;
  let nextServerId = 1;
  /** Requests in flight to the server: server-side id → who asked, and their id. */
  const pendingRequests = new Map<JsonRpcId, { client: Client | 'bridge'; id: JsonRpcId; method: string }>();
  /** Requests the server sent to a client: the server's id → the client that must answer. */
  const serverRequests = new Map<JsonRpcId, Client>();
  /** Open documents by URI → clients that opened them (didOpen/didClose are sent once per server). */
  const documentOwners = new Map<string, Set<Client>>();
  let initializeParams: any;
  let initializeResult: Promise<JsonRpcMessage> | undefined;
  let isInitializedSent = false;
  let settleDeferredInitialize: ((result: JsonRpcMessage | Promise<JsonRpcMessage>) => void) | undefined;
  let crashCount = 0;
  let startedAt = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let isStopping = false;
  let stopping: Promise<void> | undefined;
  let stderrTail = '';

  const broadcast = (message: object) => {
    for (const client of clients) client.peer.send(message);
  };
  const notifyAll = (method: string, params: unknown) => broadcast({ jsonrpc: '2.0', method, params });

  // Back-pressure: while the server's stdin holds more than maxPendingBytes, no client is read from.
  const maxPendingBytes = options.maxPendingBytes ?? 8 * 1024 * 1024;
  let isPaused = false;
  const resumeClients = () => {
    if (!isPaused) return;
    isPaused = false;
    for (const client of clients) client.peer.resume?.();
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
      for (const client of clients) client.peer.pause?.();
      const onDrain = () => {
        if (stdin.writableLength > maxPendingBytes) return void stdin.once('drain', onDrain);
        resumeClients();
      };
      stdin.once('drain', onDrain);
    }
    return true;
  };

  /** Sends a request from the bridge or a client with a fresh server-side id. */
  const forwardRequest = (from: Client | 'bridge', message: JsonRpcMessage): JsonRpcId => {
    const serverId = nextServerId++;
    pendingRequests.set(serverId, { client: from, id: message.id as JsonRpcId, method: message.method! });
    writeToServer({ ...message, id: serverId });
    return serverId;
  };

  const bridgeWaiters = new Map<JsonRpcId, (message: JsonRpcMessage) => void>();

  const startInitialize = (params: any): Promise<JsonRpcMessage> => {
    const id = forwardRequest('bridge', { jsonrpc: '2.0', id: 'bridge', method: 'initialize', params });
    return new Promise((resolve) => bridgeWaiters.set(id, resolve));
  };

  /** The workspace is the server's root whatever the client says, and the server lives and dies with Band. */
  const toServerInitializeParams = (params: any) => {
    const base = typeof params === 'object' && params !== null ? params : {};
    return {
      ...base,
      processId: process.pid,
      rootUri,
      rootPath: options.workspacePath,
      workspaceFolders: [{ uri: rootUri, name: options.workspacePath.split('/').pop() || 'workspace' }],
      capabilities: base.capabilities ?? {},
      initializationOptions: { ...options.spec.initializationOptions, ...base.initializationOptions },
    };
  };

  const handleServerMessage = (gen: number, message: unknown) => {
    if (gen !== generation) return;
    if (typeof message !== 'object' || message === null) return;
    const msg = message as JsonRpcMessage;
    const isResponse = msg.method === undefined && msg.id !== undefined && msg.id !== null;
    if (isResponse) {
      const pending = pendingRequests.get(msg.id!);
      if (!pending) return;
      pendingRequests.delete(msg.id!);
      if (pending.client === 'bridge') {
        bridgeWaiters.get(msg.id!)?.(msg);
        bridgeWaiters.delete(msg.id!);
        return;
      }
      if (clients.has(pending.client)) pending.client.peer.send({ ...msg, id: pending.id });
      return;
    }
    if (msg.method !== undefined && msg.id !== undefined && msg.id !== null) {
      // A request from the server (workspace/configuration, client/registerCapability…): the oldest client answers.
      const [primary] = clients;
      if (!primary) {
        writeToServer({
          jsonrpc: '2.0',
          id: msg.id,
          error: { code: LSP_ERROR.REQUEST_FAILED, message: 'no client connected' },
        });
        return;
      }
      serverRequests.set(msg.id, primary);
      primary.peer.send(msg);
      return;
    }
    if (msg.method !== undefined) broadcast(msg);
  };

  const failPending = (reason: string) => {
    for (const [, pending] of pendingRequests) {
      if (pending.client !== 'bridge' && clients.has(pending.client)) {
        pending.client.peer.send({
          jsonrpc: '2.0',
          id: pending.id,
          error: { code: LSP_ERROR.REQUEST_FAILED, message: reason },
        });
      }
    }
    pendingRequests.clear();
    for (const [, resolve] of bridgeWaiters) resolve({ error: { code: LSP_ERROR.INTERNAL_ERROR, message: reason } });
    bridgeWaiters.clear();
    serverRequests.clear();
  };

  const spawnServer = () => {
    const gen = ++generation;
    startedAt = Date.now();
    isInitializedSent = false;
    documentOwners.clear();
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
      onMessage: (message) => handleServerMessage(gen, message),
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
    failPending(`${options.language} language server crashed`);
    if (Date.now() - startedAt > STABLE_RUN_MS) crashCount = 0;
    const delay = nextRestartDelay(crashCount, {
      baseMs: options.restartBaseMs,
      maxMs: options.restartMaxMs,
      maxRestarts: options.maxRestarts,
    });
    crashCount++;
    if (clients.size === 0 || delay === undefined) {
      if (delay === undefined) {
        notifyAll('window/showMessage', {
          type: 1,
          message: `The ${options.language} language server keeps crashing (${why}); giving up.`,
        });
        notifyAll('band/serverStopped', { language: options.language, reason: 'crashed', attempts: crashCount });
      }
      void stop();
      return;
    }
    notifyAll('window/showMessage', {
      type: 2,
      message: `The ${options.language} language server crashed (${why}); restarting in ${delay} ms.`,
    });
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (isStopping) return;
      spawnServer();
      if (initializeParams !== undefined) {
        // Re-initialize with the first client's parameters; clients keep their session and re-open documents.
        initializeResult = startInitialize(initializeParams).then((response) => {
          if (!response.error) {
            writeToServer({ jsonrpc: '2.0', method: 'initialized', params: {} });
            isInitializedSent = true;
          }
          return response;
        });
        settleDeferredInitialize?.(initializeResult);
        settleDeferredInitialize = undefined;
        void initializeResult.then((response) => {
          notifyAll('band/serverRestarted', { language: options.language, attempt: crashCount, ok: !response.error });
        });
      } else {
        notifyAll('band/serverRestarted', { language: options.language, attempt: crashCount, ok: true });
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
    if (clients.size > 0 || isStopping) return;
    idleTimer = setTimeout(() => {
      logger.debug(`${label}: idle for ${idleTimeoutMs} ms, stopping`);
      void stop();
    }, idleTimeoutMs);
    idleTimer.unref();
  };

  const handleClientMessage = (client: Client, message: unknown) => {
    const reply = (id: JsonRpcId | null, result: unknown) => client.peer.send({ jsonrpc: '2.0', id, result });
    const replyError = (id: JsonRpcId | null, code: number, text: string) =>
      client.peer.send({ jsonrpc: '2.0', id, error: { code, message: text } });
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      replyError(null, LSP_ERROR.INVALID_REQUEST, 'expected one JSON-RPC message object per frame');
      return;
    }
    const msg = message as JsonRpcMessage;
    const hasId = msg.id !== undefined && msg.id !== null;
    if (hasId && typeof msg.id !== 'number' && typeof msg.id !== 'string') {
      replyError(null, LSP_ERROR.INVALID_REQUEST, 'id must be a number or a string');
      return;
    }
    if (msg.method !== undefined && typeof msg.method !== 'string') {
      replyError(hasId ? msg.id! : null, LSP_ERROR.INVALID_REQUEST, 'method must be a string');
      return;
    }

    // --- a response to a request the server sent ---
    if (msg.method === undefined) {
      if (hasId && serverRequests.get(msg.id!) === client) {
        serverRequests.delete(msg.id!);
        // A reply must carry `result` or `error`; a client that sent neither answered "nothing" (null).
        writeToServer(
          msg.error !== undefined
            ? { jsonrpc: '2.0', id: msg.id, error: msg.error }
            : { jsonrpc: '2.0', id: msg.id, result: msg.result ?? null },
        );
      }
      return;
    }

    if (isStopping) {
      if (hasId) replyError(msg.id!, LSP_ERROR.REQUEST_FAILED, `the ${options.language} language server stopped`);
      return;
    }
    ensureStarted();
    const isRestarting = !child;

    // --- requests ---
    if (hasId) {
      if (msg.method === 'initialize') {
        if (!initializeResult && isRestarting) {
          // The restart re-initializes with these parameters and settles this promise.
          initializeParams = toServerInitializeParams(msg.params);
          initializeResult = new Promise((resolve) => {
            settleDeferredInitialize = resolve;
          });
        }
        if (!initializeResult) {
          initializeParams = toServerInitializeParams(msg.params);
          const attempt = startInitialize(initializeParams).then((response) => {
            // A refused initialize is not cached: the next client (or a retry) gets another go.
            if (response.error && initializeResult === attempt) {
              initializeResult = undefined;
              initializeParams = undefined;
            }
            return response;
          });
          initializeResult = attempt;
        }
        void initializeResult.then((response) => {
          if (!clients.has(client)) return;
          if (response.error) client.peer.send({ jsonrpc: '2.0', id: msg.id, error: response.error });
          else reply(msg.id!, response.result);
        });
        return;
      }
      // The server's lifetime is Band's business: one client leaving must not shut it down for the others.
      if (msg.method === 'shutdown') {
        reply(msg.id!, null);
        return;
      }
      if (isRestarting) {
        replyError(msg.id!, LSP_ERROR.SERVER_NOT_INITIALIZED, `the ${options.language} language server is restarting`);
        return;
      }
      forwardRequest(client, msg);
      return;
    }

    // --- notifications ---
    switch (msg.method) {
      case 'initialized':
        if (isInitializedSent || !initializeResult) return;
        isInitializedSent = true;
        // After the initialize response reached the server side; the write order on stdin keeps this after it.
        void initializeResult.then(() =>
          writeToServer({ jsonrpc: '2.0', method: 'initialized', params: msg.params ?? {} }),
        );
        return;
      case 'exit':
        return;
      case '$/cancelRequest': {
        for (const [serverId, pending] of pendingRequests) {
          if (pending.client === client && pending.id === msg.params?.id) {
            writeToServer({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: serverId } });
          }
        }
        return;
      }
      case 'textDocument/didOpen': {
        const uri = msg.params?.textDocument?.uri;
        if (typeof uri !== 'string') return;
        client.openDocuments.add(uri);
        const owners = documentOwners.get(uri) ?? new Set<Client>();
        documentOwners.set(uri, owners);
        owners.add(client);
        if (owners.size === 1) writeToServer(msg);
        return;
      }
      case 'textDocument/didClose': {
        const uri = msg.params?.textDocument?.uri;
        if (typeof uri !== 'string') return;
        client.openDocuments.delete(uri);
        const owners = documentOwners.get(uri);
        if (!owners?.delete(client)) return;
        if (owners.size === 0) {
          documentOwners.delete(uri);
          writeToServer(msg);
        }
        return;
      }
      default:
        if (!isRestarting) writeToServer(msg);
    }
  };

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      isStopping = true;
      clearTimeout(idleTimer);
      clearTimeout(restartTimer);
      const proc = child;
      failPending(`${options.language} language server stopped`);
      settleDeferredInitialize?.({
        error: { code: LSP_ERROR.REQUEST_FAILED, message: `${options.language} language server stopped` },
      });
      settleDeferredInitialize = undefined;
      // Let the error replies queued above reach the clients before their sockets close.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        // Polite first: a server that gets `exit` without `shutdown` may exit with code 1, which is fine here.
        writeToServer({ jsonrpc: '2.0', id: nextServerId++, method: 'shutdown' });
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
      for (const client of clients) client.peer.close?.(`the ${options.language} language server stopped`);
      clients.clear();
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
      return clients.size;
    },
    get pendingBytes() {
      return child?.stdin?.writableLength ?? 0;
    },
    get isStopping() {
      return isStopping;
    },
    attach(peer) {
      const client: Client = { peer, openDocuments: new Set() };
      clients.add(client);
      if (isPaused) peer.pause?.();
      clearTimeout(idleTimer);
      idleTimer = undefined;
      ensureStarted();
      let isDetached = false;
      return {
        receive(message) {
          if (!isDetached) handleClientMessage(client, message);
        },
        detach() {
          if (isDetached) return;
          isDetached = true;
          clients.delete(client);
          for (const [id, pending] of pendingRequests) {
            if (pending.client === client) {
              pendingRequests.delete(id);
              writeToServer({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id } });
            }
          }
          for (const [id, owner] of serverRequests) {
            if (owner === client) {
              serverRequests.delete(id);
              writeToServer({
                jsonrpc: '2.0',
                id,
                error: { code: LSP_ERROR.REQUEST_FAILED, message: 'client disconnected' },
              });
            }
          }
          for (const uri of client.openDocuments) {
            const owners = documentOwners.get(uri);
            if (owners?.delete(client) && owners.size === 0) {
              documentOwners.delete(uri);
              writeToServer({ jsonrpc: '2.0', method: 'textDocument/didClose', params: { textDocument: { uri } } });
            }
          }
          scheduleIdleStop();
        },
      };
    },
    stop,
  };
}
