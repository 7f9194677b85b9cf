// The Band server: one Node process, one port. Composition only (STYLE §3.5):
// settings -> gate -> api -> Next (serving the dashboard's prebuilt output), on a local listener and, while a
// tunnel runs, a tunnel listener.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createClientErrorHandler, createGate, type Gate, type ListenerKind, type Principal } from '@band/auth';
import { createBandApi, UPLOAD_ROUTES, type BandApi, type Logger } from '@band/api';
import { BandError } from '@band/internal';
import { loadSettings, resolveBandHome, type SettingsStore } from '@band/settings';
import { enforceBodyDeadline } from './body-deadline.js';
import { resolveDashboardDir } from './dashboard-dir.js';
import { type LoadedNext, loadNext } from './load-next.js';
import { createLineLogger } from './line-logger.js';
import { LoopbackListenError, listenOnLoopbacks, originsFor } from './loopback-listeners.js';
import { runInPageScope } from './page-request.js';

export interface StartServerOptions {
  /** @default BAND_HOME or ~/.band */
  home?: string;
  /** Overrides `webServerPort` from settings.json; 0 picks a free port (tests). */
  port?: number;
  /**
   * Listen on this one address only. By default Band listens on both loopbacks, `127.0.0.1` and `[::1]`, and refuses
   * to start when either is taken (issue 16 #1: a process on `[::1]:<port>` would receive what clients send to
   * `localhost:<port>`). Never a public interface: remote access goes through the tunnel.
   * @default both loopbacks
   */
  host?: string;
  /** Next dev mode (HMR); needs the dashboard's sources, so only in this repository. @default false */
  dev?: boolean;
  /**
   * The dashboard's Next project directory: the one holding the built `.next/` (and `public/`).
   * @default the prebuilt dashboard shipped inside @band/server (`BAND_DASHBOARD_DIR` overrides it)
   */
  dashboardDir?: string;
  logger?: Logger;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** A client must finish sending its headers within this time (slowloris, auth.md G7). @default 10_000 */
  headersTimeoutMs?: number;
  /** A client must finish sending its request within this time (uploads excepted). @default 30_000 */
  requestTimeoutMs?: number;
  /**
   * An upload (an attachment, up to 20 MiB) may take as long as it keeps sending: it is cut after this long without
   * a byte, or after `uploadTimeoutMs` in all. @default 30_000
   */
  uploadIdleTimeoutMs?: number;
  /** @default 600_000 */
  uploadTimeoutMs?: number;
}

export interface BandServer extends AsyncDisposable {
  /** Base URL of the local listener, naming the address actually bound: http://127.0.0.1:3456 */
  url: string;
  /**
   * Every local origin that reaches this server
   * (`http://127.0.0.1:<port>`, `http://[::1]:<port>`, `http://localhost:<port>`).
   */
  origins: readonly string[];
  port: number;
  home: string;
  settings: SettingsStore;
  gate: Gate;
  api: BandApi;
  /** A one-time link that opens the dashboard signed in (single use, short expiry). */
  createSignInUrl(): string;
  close(): Promise<void>;
}

export type ServerStartErrorCode = 'PORT_IN_USE' | 'ORIGIN_PORT_IN_USE' | 'LISTEN_FAILED' | 'NEXT_BUILD_MISSING';

/** A failure to start, with the fix. */
export class ServerStartError extends BandError<ServerStartErrorCode, { hint: string }> {
  override readonly name = 'ServerStartError';
  declare readonly hint: string;
}

export async function startServer(options: StartServerOptions = {}): Promise<BandServer> {
  const env = options.env ?? process.env;
  const ownLogger = options.logger ? undefined : createLineLogger();
  const logger = options.logger ?? ownLogger!;
  const home = options.home ?? resolveBandHome(env);
  const dev = options.dev ?? false;
  const host = options.host;
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (error) {
        logger.error(`shutdown step failed: ${(error as Error).message}`);
      }
    }
  };

  // First in, so it runs last: what the other steps log while stopping is written too.
  if (ownLogger) cleanups.push(() => ownLogger.close());

  try {
    // --- settings ---
    const settings = await loadSettings({ home, logger, watch: true });
    cleanups.push(() => settings.close());
    const port = options.port ?? settings.get().webServerPort;

    // --- gate ---
    // Uploads (attachments) are the only multipart bodies the gate lets through to the API.
    const gate = createGate({ settings, home, localPort: port, logger, dev, uploadRoutes: [...UPLOAD_ROUTES] });
    cleanups.push(() => gate.close());

    // --- Next ---
    // Next is loaded lazily so that `band --version` and library users never pay for it.
    // Node's defaults (60 s, checked every 30 s) let a few slow clients hold sockets for a minute.
    const headersTimeout = options.headersTimeoutMs ?? 10_000;
    const bodyDeadline = {
      requestTimeoutMs: Math.max(options.requestTimeoutMs ?? 30_000, headersTimeout),
      uploadIdleTimeoutMs: options.uploadIdleTimeoutMs ?? 30_000,
      uploadTimeoutMs: options.uploadTimeoutMs ?? 600_000,
    };
    const serverOptions = {
      headersTimeout,
      // Node's limit is the longest any request may take (an upload); enforceBodyDeadline applies the tighter ones.
      requestTimeout: Math.max(bodyDeadline.requestTimeoutMs, bodyDeadline.uploadTimeoutMs),
      connectionsCheckingInterval: Math.min(1_000, headersTimeout),
    };
    const uploadPaths = new Set(UPLOAD_ROUTES);
    const localServer = createServer(serverOptions);
    const dashboardDir = options.dashboardDir ?? resolveDashboardDir({ dev, env });
    let app: ReturnType<LoadedNext['next']>;
    try {
      const { next, conf } = await loadNext(dashboardDir, dev);
      app = next({ dev, dir: dashboardDir, conf, hostname: 'localhost', port, httpServer: localServer });
      await app.prepare();
    } catch (error) {
      throw new ServerStartError(
        'NEXT_BUILD_MISSING',
        `The dashboard is not built (no usable Next build in ${dashboardDir})`,
        {
          hint:
            'Reinstall @band/server; in the Band repository run `npm run build` ' +
            '(or `npm start`, which builds what is missing).',
          cause: error,
        },
      );
    }
    const handleNext = app.getRequestHandler();
    cleanups.push(() => app.close());

    // --- api ---
    let tunnelServer: Server | undefined;
    const api = await createBandApi({
      home,
      settings,
      gate,
      logger,
      env,
      openTunnelListener: async ({ port: tunnelPort }) => {
        // Everything that arrives here is remote by construction (auth.md §3.2). Quick tunnels get an ephemeral
        // port; a named tunnel its stable origin, `tunnel.originPort`, the service entered in Cloudflare's dashboard.
        const server = createServer(serverOptions);
        attach(server, 'tunnel');
        server.on('clientError', createClientErrorHandler({ listener: 'tunnel', localOrigins: () => [], logger }));
        try {
          await listen(server, tunnelPort, '127.0.0.1');
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          throw new ServerStartError(
            code === 'EADDRINUSE' ? 'ORIGIN_PORT_IN_USE' : 'LISTEN_FAILED',
            code === 'EADDRINUSE'
              ? `Port ${tunnelPort} on 127.0.0.1 is already in use (tunnel.originPort in ${settings.file}): ` +
                  'the named tunnel cannot open its origin there'
              : `Could not open the tunnel origin on 127.0.0.1:${tunnelPort} ` +
                  `(tunnel.originPort in ${settings.file}): ${(error as Error).message}`,
            {
              hint:
                `Stop the other process on port ${tunnelPort} (\`ss -ltnp 'sport = :${tunnelPort}'\`), ` +
                'or choose another port with `band tunnel setup --origin-port <port>` ' +
                '(or band settings set tunnel.originPort <port>) ' +
                "and enter http://127.0.0.1:<port> as the service in Cloudflare's dashboard.",
              cause: error,
            },
          );
        }
        tunnelServer = server;
        const { port: boundPort } = server.address() as AddressInfo;
        return {
          url: `http://127.0.0.1:${boundPort}`,
          close: async () => {
            await closeServer(server);
            if (tunnelServer === server) tunnelServer = undefined;
          },
        };
      },
    });
    cleanups.push(() => api.close());

    // --- routes ---
    function attach(server: Server, listener: ListenerKind) {
      trackSockets(server);
      // No promise on the way to the API when the gate can answer at once (nearly always): with Next in the
      // process, `AsyncLocalStorage` is on and every promise costs more (issue 21).
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        enforceBodyDeadline(
          req,
          res,
          req.method === 'POST' && uploadPaths.has((req.url ?? '').split('?')[0] ?? ''),
          bodyDeadline,
        );
        const failed = (error: unknown) => {
          logger.error(`request failed: ${(error as Error).message}`);
          if (!res.headersSent) {
            res.statusCode = 500;
            res.setHeader('content-type', 'application/json');
            res.end('{"error":"internal"}');
          } else res.destroy();
        };
        const route = (principal: Principal | undefined) => {
          if (!principal) return; // the gate answered: rejection, redirect, sign-in page or /auth endpoint
          if (api.handleRequest(req, res, principal)) return;
          // Next's own files need no scope; a page gets the API as this principal (page-request.ts).
          if (req.url?.startsWith('/_next/')) handleNext(req, res).catch(failed);
          else
            runInPageScope(
              () => api.callerFor(principal),
              () => handleNext(req, res),
            ).catch(failed);
        };
        try {
          const principal = gate.checkRequest(req, res, listener);
          if (principal instanceof Promise) principal.then(route).catch(failed);
          else route(principal);
        } catch (error) {
          failed(error);
        }
      });
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        socket.on('error', () => socket.destroy());
        void (async () => {
          // Next's HMR socket (dev only) is left to Next's own upgrade listener, after the gate allowed it.
          const principal = await gate.handleUpgrade(req, socket, listener);
          if (!principal) return;
          if (dev && req.url?.startsWith('/_next/')) return;
          if (!api.handleUpgrade(req, socket, head, principal)) {
            socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
            socket.destroy();
          }
        })().catch(() => socket.destroy());
      });
    }
    attach(localServer, 'local');

    // --- listeners ---
    // Both loopbacks (or the one `host`), the same handlers on each. Oversized requests (cookie bombing, issue 16
    // #7) get a page naming the other origins instead of Node's bare 431.
    let origins: string[] = [];
    const onClientError = createClientErrorHandler({ listener: 'local', localOrigins: () => origins, logger });
    localServer.on('clientError', onClientError);
    const extraServers: Server[] = [];
    const createIpv6 = () => {
      const server = createServer(serverOptions);
      attach(server, 'local');
      server.on('clientError', onClientError);
      extraServers.push(server);
      return server;
    };
    let actualPort: number;
    try {
      if (host === undefined) {
        const bound = await listenOnLoopbacks(localServer, createIpv6, port);
        actualPort = bound.port;
        origins = bound.origins;
        if (!bound.hasIpv6)
          logger.debug?.(`this machine has no IPv6 loopback; listening on 127.0.0.1:${actualPort} only`);
      } else {
        await listen(localServer, port, host);
        actualPort = (localServer.address() as AddressInfo).port;
        origins = [`http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`];
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'IPV6_IN_USE' && error instanceof LoopbackListenError) {
        throw new ServerStartError(
          'PORT_IN_USE',
          `Port ${error.port} is taken on [::1] by another process (webServerPort in ${settings.file}): ` +
            `it would receive the browser cookies and the CLI token sent to localhost:${error.port}, ` +
            'so Band does not start',
          {
            hint:
              `Find it with \`ss -ltnp 'sport = :${error.port}'\` and stop it (it may be another user's), ` +
              `or choose another port: band settings set webServerPort <port> (or edit ${settings.file}).`,
            cause: error,
          },
        );
      }
      if (code === 'EADDRINUSE' || code === 'IPV4_IN_USE') {
        throw new ServerStartError(
          'PORT_IN_USE',
          `Port ${port} is already in use (webServerPort in ${settings.file})`,
          {
            hint:
              `Stop the other process on port ${port}, ` +
              `or set another port: band settings set webServerPort <port> (or edit ${settings.file}).`,
            cause: error,
          },
        );
      }
      throw new ServerStartError(
        'LISTEN_FAILED',
        `Could not listen on ${host ?? 'the loopback addresses'} port ${port}: ${(error as Error).message}`,
        { hint: 'Check the host and port.', cause: error },
      );
    }
    cleanups.push(() => closeServer(localServer));
    for (const server of extraServers) cleanups.push(() => closeServer(server));
    cleanups.push(() => (tunnelServer ? closeServer(tunnelServer) : undefined));
    gate.setLocalPort(actualPort);
    // The address actually bound, never `localhost`: the name may resolve to an address that is not ours (and its
    // cookie jar is shared with every localhost dev server).
    const url = origins[0] ?? originsFor(actualPort, false)[0]!;

    // --- tunnel ---
    // Started in the background: a slow or failing tunnel never keeps the local dashboard from serving.
    if (settings.get().autoStartTunnel) {
      api.services.tunnel.start().catch((error: Error & { hint?: string }) => {
        logger.warn(
          `autoStartTunnel: the tunnel did not start: ${error.message}${error.hint ? ` (${error.hint})` : ''}`,
        );
      });
    }

    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= cleanup();
      return closing;
    };
    return {
      url,
      origins,
      port: actualPort,
      home,
      settings,
      gate,
      api,
      createSignInUrl: () => gate.createPairingCode('local').url,
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

// Every socket a listener accepted, upgraded ones included: `closeAllConnections()` only knows HTTP connections,
// and a WebSocket still open (a dashboard tab, a phone) would keep `server.close()` waiting forever.
const socketsOf = new WeakMap<Server, Set<Socket>>();
function trackSockets(server: Server): void {
  if (socketsOf.has(server)) return;
  const sockets = new Set<Socket>();
  socketsOf.set(server, sockets);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
}

/** Closes a server and destroys sockets still open after a second (idle keep-alive sockets, WebSockets). */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const timer = setTimeout(() => {
      server.closeAllConnections();
      for (const socket of socketsOf.get(server) ?? []) socket.destroy();
    }, 1_000);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
