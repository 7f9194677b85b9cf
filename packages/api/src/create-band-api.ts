import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Gate, Principal } from '@band/auth';
import type { SettingsStore } from '@band/settings';
import type { AnyProcedure, TRPCError } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import { createContextFactory, createContextInner } from './context.js';
import type { BandApiError } from './errors.js';
import { silentLogger, type Logger } from './internal/logger.js';
import { type AppRouter, appRouter, type BandCaller, createCaller } from './root.js';
import { subscriptionOverHttp } from './trpc.js';
import { createServices, type ServiceDeps, type Services } from './create-services.js';
import { createUpgradeRouter, pathPattern } from './internal/upgrade-router.js';
import { createTerminalSocketRoute } from './terminals/terminal-socket.js';
import { createLspSocketRoute } from './lsp/lsp-socket.js';
import { preEncodedJsonEncoder } from './internal/pre-encoded.js';
import { createFastTrpcHandler } from './internal/fast-trpc.js';
import { createSocketBudget } from './internal/socket-caps.js';
import { UPLOAD_PATH } from './uploads/uploads-router.js';
import { uploadLimits } from './uploads/upload-service.js';

/** Paths under /api that take a multipart body: pass them to the gate as `uploadRoutes`. */
export const UPLOAD_ROUTES: readonly string[] = Object.freeze([UPLOAD_PATH]);
/** One file plus the multipart envelope (boundaries, the workspaceId field, part headers). */
const UPLOAD_BODY_BYTES = uploadLimits.maxFileBytes + 64 * 1024;

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
  /**
   * The API in-process, as `principal` (one the gate accepted): the same procedures and checks as over HTTP, without
   * a request. A server-rendered page reads its first data with it.
   */
  callerFor(principal: Principal): BandCaller;
  close(): Promise<void>;
}

export const TRPC_HTTP_PATH = '/api/trpc';
export const TRPC_WS_PATH = '/api/trpc-ws';
/** Cloudflare drops idle connections near 100 s (DESIGN §3). */
export const HEARTBEAT_MS = 25_000;

/** The subscription procedures (`terminals.events`, `workspaces.events`...), served only over the WebSocket. */
const SUBSCRIPTION_PATHS: ReadonlySet<string> = new Set(
  Object.entries(appRouter._def.procedures as unknown as Record<string, AnyProcedure>)
    .filter(([, procedure]) => procedure._def.type === 'subscription')
    .map(([path]) => path),
);

/**
 * The subscription a `/api/trpc/<path>` request names, if any. Read like tRPC reads it (percent-decoded, a batch
 * is `a,b`), and more loosely (every slash trimmed), so no spelling of a subscription reaches the handler.
 */
export function findSubscriptionCall(pathname: string): string | undefined {
  let path = pathname.slice(TRPC_HTTP_PATH.length).replace(/^\/+|\/+$/g, '');
  try {
    path = decodeURIComponent(path);
  } catch {
    return undefined; // tRPC answers BAD_REQUEST for a malformed escape
  }
  return path.split(',').find((p) => SUBSCRIPTION_PATHS.has(p.replace(/^\/+|\/+$/g, '')));
}

/** 405 with a tRPC error body, so tRPC clients show the message. */
function refuseTooLarge(res: ServerResponse): void {
  res.statusCode = 413;
  res.setHeader('content-type', 'application/json');
  res.setHeader('connection', 'close');
  res.end(
    JSON.stringify({
      error: {
        message: `Attachments are limited to ${uploadLimits.maxFileBytes / (1024 * 1024)} MiB per file`,
        code: TRPC_ERROR_CODES_BY_KEY.PAYLOAD_TOO_LARGE,
        data: {
          code: 'PAYLOAD_TOO_LARGE',
          httpStatus: 413,
          path: 'uploads.create',
          reason: 'FILE_TOO_LARGE',
          hint: 'Send a smaller file.',
        },
      },
    }),
  );
}

function refuseSubscription(res: ServerResponse, path: string): void {
  const error = subscriptionOverHttp();
  const hint = (error.cause as BandApiError).hint;
  res.statusCode = 405;
  res.setHeader('content-type', 'application/json');
  res.end(
    JSON.stringify({
      error: {
        message: error.message,
        code: TRPC_ERROR_CODES_BY_KEY.METHOD_NOT_SUPPORTED,
        data: { code: 'METHOD_NOT_SUPPORTED', httpStatus: 405, path, hint, reason: 'SUBSCRIPTION_OVER_HTTP' },
      },
    }),
  );
}

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
  const createHttpContext = createContextFactory(services, principalOf, 'http');
  const createWsContext = createContextFactory(services, principalOf, 'ws');

  // --- tRPC over HTTP ---
  const onError = ({ error, path }: { error: TRPCError; path: string | undefined }) => {
    if (error.code === 'INTERNAL_SERVER_ERROR')
      logger.error(`trpc ${path ?? '?'}: ${error.cause?.message ?? error.message}`);
  };
  const httpOptions = {
    router: appRouter,
    basePath: `${TRPC_HTTP_PATH}/`,
    createContext: createHttpContext,
    maxBodySize: 1024 * 1024,
    maxBatchSize: 10,
    onError,
  };
  // Plain JSON calls (nearly all) without tRPC's fetch Request/Response; the rest, as before, by tRPC (issue 21).
  const fastHandler = createFastTrpcHandler(httpOptions);
  const httpHandler = createHTTPHandler(httpOptions);

  // --- uploads: the same router and context, one multipart file per request, a larger body cap ---
  const uploadHandler = createHTTPHandler({
    router: appRouter,
    basePath: `${TRPC_HTTP_PATH}/`,
    createContext: createHttpContext,
    maxBodySize: UPLOAD_BODY_BYTES,
    onError,
  });

  // --- tRPC over WebSocket (subscriptions) ---
  const trpcWss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false });
  const trpcWsHandler = applyWSSHandler({
    wss: trpcWss,
    router: appRouter,
    createContext: createWsContext,
    experimental_encoder: preEncodedJsonEncoder,
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
  upgrades.add(
    createTerminalSocketRoute({
      terminals: services.terminals,
      sockets: rawSockets,
      heartbeatMs: HEARTBEAT_MS,
      logger,
    }),
  );
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
    callerFor: (principal) => createCaller(createContextInner({ principal, services, transport: 'direct' })),
    handleRequest(req, res) {
      const pathname = (req.url ?? '/').split('?')[0]!;
      if (pathname !== TRPC_HTTP_PATH && !pathname.startsWith(`${TRPC_HTTP_PATH}/`)) return false;
      // Subscriptions only over the WebSocket, whose sockets the gate counts and closes (DESIGN §3): an HTTP
      // event stream would escape both. Refused before tRPC runs anything, so no stream ever starts.
      const subscription = findSubscriptionCall(pathname);
      if (subscription !== undefined) {
        refuseSubscription(res, subscription);
        return true;
      }
      if (pathname === UPLOAD_PATH) {
        // Refused before a byte is read when the declared size says so; a chunked body stops at the same cap.
        if (Number(req.headers['content-length'] ?? 0) > UPLOAD_BODY_BYTES) {
          refuseTooLarge(res);
          req.resume();
          return true;
        }
        void uploadHandler(req, res);
        return true;
      }
      if (!fastHandler(req, res)) void httpHandler(req, res);
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
