import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Gate, Principal } from '@band/auth';
import type { SettingsStore } from '@band/settings';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import { createContextFactory } from './context.js';
import { silentLogger, type Logger } from './logger.js';
import { type AppRouter, appRouter } from './root.js';
import { createServices, type ServiceDeps, type Services } from './services/index.js';
import { createUpgradeRouter, pathPattern } from './ws/upgrade-router.js';
import { createTerminalSocketRoute } from './ws/terminals.js';
import { createLspSocketRoute } from './ws/lsp.js';
import { createSocketBudget } from './terminals/socket-caps.js';

export interface BandApiOptions {
  home: string;
  settings: SettingsStore;
  gate: Gate;
  logger?: Logger;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  openTunnelListener?: ServiceDeps['openTunnelListener'];
}

/** The API half of the Band server: tRPC over HTTP and WebSocket, plus the raw streaming endpoints. */
export interface BandApi extends AsyncDisposable {
  router: AppRouter;
  services: Services;
  /** Serves `/api/trpc/*`. Returns false for any other path. The gate must have accepted the request. */
  handleRequest(req: IncomingMessage, res: ServerResponse, principal: Principal): boolean;
  /** Serves the WebSocket endpoints. Returns false when no endpoint matches (the caller answers 404). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, principal: Principal): boolean;
  close(): Promise<void>;
}

export const TRPC_HTTP_PATH = '/api/trpc';
export const TRPC_WS_PATH = '/api/trpc-ws';
/** Cloudflare drops idle connections near 100 s (DESIGN §3). */
export const HEARTBEAT_MS = 25_000;

export async function createBandApi(options: BandApiOptions): Promise<BandApi> {
  const logger = options.logger ?? silentLogger;
  const handle = await createServices({
    home: options.home,
    settings: options.settings,
    gate: options.gate,
    logger,
    env: options.env ?? process.env,
    openTunnelListener: options.openTunnelListener,
  });
  const { services } = handle;

  // The gate records the principal of each accepted request; upgrades pass theirs explicitly.
  const upgradePrincipals = new WeakMap<IncomingMessage, Principal>();
  const principalOf = (req: IncomingMessage) => upgradePrincipals.get(req) ?? options.gate.principalOf(req);
  const createContext = createContextFactory(services, principalOf);

  // --- tRPC over HTTP ---
  const httpHandler = createHTTPHandler({
    router: appRouter,
    basePath: `${TRPC_HTTP_PATH}/`,
    createContext,
    maxBodySize: 1024 * 1024,
    maxBatchSize: 10,
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') logger.error(`trpc ${path ?? '?'}: ${error.cause?.message ?? error.message}`);
    },
  });

  // --- tRPC over WebSocket (subscriptions) ---
  const trpcWss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false });
  const trpcWsHandler = applyWSSHandler({
    wss: trpcWss,
    router: appRouter,
    createContext,
    keepAlive: { enabled: true, pingMs: HEARTBEAT_MS, pongWaitMs: 10_000 },
  });

  const upgrades = createUpgradeRouter();
  upgrades.add({
    match: pathPattern(TRPC_WS_PATH),
    onConnection(ws, _params, _principal, req) {
      trpcWss.emit('connection', ws, req);
    },
  });
  // --- raw streams: terminals and language servers (64 sockets per principal across both, auth.md §3.7) ---
  const rawSockets = createSocketBudget();
  upgrades.add(createTerminalSocketRoute({ terminals: services.terminals, sockets: rawSockets, heartbeatMs: HEARTBEAT_MS, logger }));
  upgrades.add(createLspSocketRoute({ lsp: services.lsp, sockets: rawSockets, heartbeatMs: HEARTBEAT_MS, logger }));

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      trpcWsHandler.broadcastReconnectNotification();
      for (const client of trpcWss.clients) client.terminate();
      trpcWss.close();
      upgrades.close();
      await handle.close();
    })();
    return closing;
  };

  return {
    router: appRouter,
    services,
    handleRequest(req, res) {
      const pathname = (req.url ?? '/').split('?')[0]!;
      if (pathname !== TRPC_HTTP_PATH && !pathname.startsWith(`${TRPC_HTTP_PATH}/`)) return false;
      void httpHandler(req, res);
      return true;
    },
    handleUpgrade(req, socket, head, principal) {
      upgradePrincipals.set(req, principal);
      return upgrades.handle(req, socket, head, principal, (ws) => {
        const untrack = options.gate.trackSocket(principal, ws);
        ws.once('close', untrack);
      });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
