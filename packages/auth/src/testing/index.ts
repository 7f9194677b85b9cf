// Test kit for @band/auth: shipped as @band/auth/testing.
import { createServer, IncomingMessage, type Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Socket } from 'node:net';
import { loadSettings, type SettingsStore } from '@band/settings';
import { tempBandHome } from '@band/settings/testing';
import { createGate, type GateLogger, type GateOptions } from '../gate.js';
import type { Gate, ListenerKind } from '../types.js';

/** A logger that keeps every line (for "the token never appears in logs" assertions). */
export interface CapturingLogger extends Required<GateLogger> {
  lines: string[];
  /** Every captured line joined; grep it for secrets. */
  text(): string;
}

export function capturingLogger(): CapturingLogger {
  const lines: string[] = [];
  const push =
    (level: string) =>
    (message: string, ...args: unknown[]) =>
      lines.push(
        `${level} ${[message, ...args.map((a) => (a instanceof Error ? a.stack : JSON.stringify(a)))].join(' ')}`,
      );
  return {
    lines,
    text: () => lines.join('\n'),
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
  };
}

export interface TestGate extends AsyncDisposable {
  gate: Gate;
  settings: SettingsStore;
  home: string;
  /** The token (settings.tokenSecret). */
  token: string;
  localPort: number;
  logger: CapturingLogger;
  close(): Promise<void>;
}

/** A gate on a fresh temp Band home (settings created, token generated). */
export async function createTestGate(
  options: Partial<Omit<GateOptions, 'settings' | 'home'>> & { watch?: boolean } = {},
): Promise<TestGate> {
  const tmp = await tempBandHome();
  const settings = await loadSettings({ home: tmp.home, watch: options.watch ?? false });
  const logger = capturingLogger();
  const localPort = options.localPort ?? 3456;
  const gate = createGate({ logger, ...options, settings, home: tmp.home, localPort });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await gate.close();
    await settings.close();
    await tmp[Symbol.asyncDispose]();
  };
  return {
    gate,
    settings,
    home: tmp.home,
    get token() {
      return settings.get().tokenSecret;
    },
    localPort,
    logger,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** `{ authorization: 'Bearer <token>' }`. */
export function bearerHeader(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/**
 * Signs a browser in through the gate (`?token=` exchange on a fake navigation) and returns the `Cookie` header value
 * (`name=value`) for the given listener. The Host used is `localhost:<port>` or the tunnel host.
 */
export async function signInCookie(
  gate: Gate,
  token: string,
  options: { listener?: ListenerKind; host: string },
): Promise<string> {
  const listener = options.listener ?? 'local';
  const { req, res, headers } = fakeExchange(`/?token=${token}`, options.host);
  await gate.handleRequest(req, res, listener);
  const setCookie = headers['set-cookie'];
  const value = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  if (!value) throw new Error(`sign-in failed with status ${res.statusCode}`);
  return String(value).split(';')[0]!;
}

function fakeExchange(url: string, host: string) {
  const req = new IncomingMessage(new Socket());
  req.url = url;
  req.method = 'GET';
  req.headers = { host, 'sec-fetch-dest': 'document', 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'none' };
  req.rawHeaders = ['Host', host];
  const res = new ServerResponse(req);
  return {
    req,
    res,
    headers: {
      get 'set-cookie'() {
        return res.getHeader('set-cookie');
      },
    } as Record<string, unknown>,
  };
}

export interface GatedServer extends AsyncDisposable {
  server: Server;
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Requests the dummy app received (i.e. that passed the gate). */
  reached: Array<{ method: string; url: string; principal: unknown; headers: IncomingMessage['headers'] }>;
  close(): Promise<void>;
}

/**
 * A plain `http.createServer` with the gate in front of a dummy app (answers 200 JSON `{ ok, principal }`). For the
 * tunnel listener pass `listener: 'tunnel'`. Upgrades the gate accepts are completed by `onUpgrade` (default: destroy).
 */
export async function startGatedServer(
  gate: Gate,
  options: {
    listener?: ListenerKind;
    port?: number;
    onUpgrade?: (req: IncomingMessage, socket: import('node:stream').Duplex, head: Buffer, principal: unknown) => void;
  } = {},
): Promise<GatedServer> {
  const listener = options.listener ?? 'local';
  const reached: GatedServer['reached'] = [];
  const server = createServer(async (req, res) => {
    const principal = await gate.handleRequest(req, res, listener);
    if (!principal) return;
    reached.push({ method: req.method ?? '', url: req.url ?? '', principal, headers: { ...req.headers } });
    req.resume();
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ ok: true, principal }));
  });
  server.on('upgrade', async (req, socket, head) => {
    const principal = await gate.handleUpgrade(req, socket, listener);
    if (!principal) return;
    if (options.onUpgrade) options.onUpgrade(req, socket, head, principal);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { server, url: `http://127.0.0.1:${port}`, port, reached, close, [Symbol.asyncDispose]: close };
}
