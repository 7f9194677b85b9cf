import { pathToFileURL } from 'node:url';

export type JsonRpcId = number | string;
export interface JsonRpcMessage {
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

/** What the multiplexer needs from the one server process (language-server.ts supervises it). */
export interface LspServerChannel {
  /** Writes one message to the server's stdin; false when no server is running. */
  write(message: JsonRpcMessage): boolean;
  /** True while a server process runs (false between a crash and its restart). */
  readonly isRunning: boolean;
  /** True once the server is stopping for good: clients get errors instead of a restart. */
  readonly isStopping: boolean;
  /** Starts the process unless it runs, a restart is pending, or it is stopping. */
  ensureStarted(): void;
}

export interface LspMultiplexerOptions {
  language: string;
  workspacePath: string;
  /** Defaults for `initialize`'s `initializationOptions`; the client's own keys win. */
  initializationOptions?: Record<string, unknown>;
  server: LspServerChannel;
  /** The pid the server watches (it exits when that process does). @default process.pid */
  processId?: number;
}

/**
 * Many clients (WebSockets) on one language server: request ids are remapped so clients never see each other's
 * replies, `initialize` runs once and its answer is shared, documents are opened on the server once however many
 * clients open them, and a client that leaves takes its requests and documents with it. No process here: the
 * server is a `write()` (tests pass a recorder).
 */
export interface LspMultiplexer {
  readonly clientCount: number;
  /** The attached clients, oldest first. */
  peers(): IterableIterator<LspPeer>;
  /** A new client; its `detach()` returns true the first time only. */
  attach(peer: LspPeer): { receive(message: unknown): void; detach(): boolean };
  /** A message the server wrote (one parsed JSON-RPC message). */
  handleServerMessage(message: unknown): void;
  /** Sends a notification to every client. */
  notifyAll(method: string, params: unknown): void;
  /** A fresh id for a request of Band's own (the polite `shutdown`). */
  nextServerId(): number;
  /** The server process changed: its documents and `initialized` state are gone with the old one. */
  resetForNewServer(): void;
  /**
   * After a restart: initializes the new server with the first client's parameters (clients keep their session and
   * re-open their documents). The server's answer, or undefined when no client ever initialized.
   */
  reinitialize(): Promise<JsonRpcMessage> | undefined;
  /** Answers every request in flight with an error (the server crashed or stops). */
  failPending(reason: string): void;
  /** The server stopped for good: a client waiting for `initialize` gets an error. */
  failDeferredInitialize(reason: string): void;
  /** Tells every client why, and forgets them all. */
  closeAll(reason: string): void;
}

interface Client {
  peer: LspPeer;
  openDocuments: Set<string>;
}

export function createLspMultiplexer(options: LspMultiplexerOptions): LspMultiplexer {
  const { server } = options;
  const rootUri = pathToFileURL(options.workspacePath).href;
  const clients = new Set<Client>();
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

  const broadcast = (message: object) => {
    for (const client of clients) client.peer.send(message);
  };
  const notifyAll = (method: string, params: unknown) => broadcast({ jsonrpc: '2.0', method, params });

  /** Sends a request from the bridge or a client with a fresh server-side id. */
  const forwardRequest = (from: Client | 'bridge', message: JsonRpcMessage): JsonRpcId => {
    const serverId = nextServerId++;
    pendingRequests.set(serverId, { client: from, id: message.id as JsonRpcId, method: message.method! });
    server.write({ ...message, id: serverId });
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
      processId: options.processId ?? process.pid,
      rootUri,
      rootPath: options.workspacePath,
      workspaceFolders: [{ uri: rootUri, name: options.workspacePath.split('/').pop() || 'workspace' }],
      capabilities: base.capabilities ?? {},
      initializationOptions: { ...options.initializationOptions, ...base.initializationOptions },
    };
  };

  const handleServerMessage = (message: unknown) => {
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
        server.write({
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
        server.write(
          msg.error !== undefined
            ? { jsonrpc: '2.0', id: msg.id, error: msg.error }
            : { jsonrpc: '2.0', id: msg.id, result: msg.result ?? null },
        );
      }
      return;
    }

    if (server.isStopping) {
      if (hasId) replyError(msg.id!, LSP_ERROR.REQUEST_FAILED, `the ${options.language} language server stopped`);
      return;
    }
    server.ensureStarted();
    const isRestarting = !server.isRunning;

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
          server.write({ jsonrpc: '2.0', method: 'initialized', params: msg.params ?? {} }),
        );
        return;
      case 'exit':
        return;
      case '$/cancelRequest': {
        for (const [serverId, pending] of pendingRequests) {
          if (pending.client === client && pending.id === msg.params?.id) {
            server.write({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: serverId } });
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
        if (owners.size === 1) server.write(msg);
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
          server.write(msg);
        }
        return;
      }
      default:
        if (!isRestarting) server.write(msg);
    }
  };

  const detach = (client: Client) => {
    clients.delete(client);
    for (const [id, pending] of pendingRequests) {
      if (pending.client === client) {
        pendingRequests.delete(id);
        server.write({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id } });
      }
    }
    for (const [id, owner] of serverRequests) {
      if (owner === client) {
        serverRequests.delete(id);
        server.write({
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
        server.write({ jsonrpc: '2.0', method: 'textDocument/didClose', params: { textDocument: { uri } } });
      }
    }
  };

  return {
    get clientCount() {
      return clients.size;
    },
    *peers() {
      for (const client of clients) yield client.peer;
    },
    attach(peer) {
      const client: Client = { peer, openDocuments: new Set() };
      clients.add(client);
      let isDetached = false;
      return {
        receive(message) {
          if (!isDetached) handleClientMessage(client, message);
        },
        detach() {
          if (isDetached) return false;
          isDetached = true;
          detach(client);
          return true;
        },
      };
    },
    handleServerMessage,
    notifyAll,
    nextServerId: () => nextServerId++,
    resetForNewServer() {
      isInitializedSent = false;
      documentOwners.clear();
    },
    reinitialize() {
      if (initializeParams === undefined) return undefined;
      initializeResult = startInitialize(initializeParams).then((response) => {
        if (!response.error) {
          server.write({ jsonrpc: '2.0', method: 'initialized', params: {} });
          isInitializedSent = true;
        }
        return response;
      });
      settleDeferredInitialize?.(initializeResult);
      settleDeferredInitialize = undefined;
      return initializeResult;
    },
    failPending,
    failDeferredInitialize(reason) {
      settleDeferredInitialize?.({ error: { code: LSP_ERROR.REQUEST_FAILED, message: reason } });
      settleDeferredInitialize = undefined;
    },
    closeAll(reason) {
      for (const client of clients) client.peer.close?.(reason);
      clients.clear();
    },
  };
}
