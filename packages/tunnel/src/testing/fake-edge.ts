import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import selfsigned from 'selfsigned';

/** A hostname registered by a running fake cloudflared. */
export interface EdgeRoute {
  hostname: string;
  origin: string;
  connection: string;
  pid?: number;
  /**
   * A locally managed tunnel's connector: its own config routes the hostname, the dashboard's ingress does not apply.
   */
  local?: boolean;
}

export interface FakeEdge extends AsyncDisposable {
  /** The HTTPS port on 127.0.0.1. */
  port: number;
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** Give these to whatever spawns the fake cloudflared so it registers its hostname here. */
  env: Record<string, string>;
  /** The self-signed certificate (PEM), if a client wants to trust it instead of ignoring errors. */
  cert: string;
  /** Chromium flags that make `https://<words>.trycloudflare.com` land on this edge. */
  chromiumArgs: string[];
  /** Hostnames with at least one live connection. */
  routes(): EdgeRoute[];
  /**
   * Replaces the remote-managed ingress (what the tunnel's public hostnames say in Cloudflare's dashboard); takes
   * effect for the next request. See `FakeEdgeOptions.ingress`.
   */
  setIngress(ingress: Record<string, string>): void;
  /**
   * Cuts every client connection the edge holds (HTTP keep-alive and proxied WebSockets), as Cloudflare does on an
   * edge deploy; fake cloudflared registrations stay. @returns how many were cut.
   */
  dropConnections(): number;
  /** Resolve when `hostname` is routable (or any hostname, when omitted). */
  waitForRoute(hostname?: string, timeoutMs?: number): Promise<EdgeRoute>;
  close(): Promise<void>;
}

export interface FakeEdgeOptions {
  /** Extra hostnames for the certificate and routing (named tunnels), e.g. `band.example.com`. */
  hostnames?: string[];
  /**
   * Remote-managed ingress, as configured "in Cloudflare" for a dashboard-created tunnel: public hostname -> service
   * (`http://127.0.0.1:3457`, or `http_status:404`). A request for such a hostname, once a fake cloudflared registered
   * it, goes to this service, not to that fake's `--url` (the real cloudflared takes a remote-managed tunnel's ingress
   * from the edge). Hostnames without an entry keep going to `--url` (quick and locally managed tunnels). The
   * hostnames are added to the certificate and to `chromiumArgs`, and `edge.env` carries them as `FAKE_CFD_INGRESS`,
   * so a named fake cloudflared registers the first one (unless `FAKE_CFD_HOSTNAME` says otherwise) and logs the
   * configuration it "received". A locally managed fake (`run <UUID>` with a credentials file) registers the
   * hostnames of its own config's ingress instead, and this map does not apply to them.
   */
  ingress?: Record<string, string>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

function ray(): string {
  return `${randomBytes(8).toString('hex')}-LAX`;
}

function errorPage(status: number, code: number, title: string, detail: string, rayId: string): string {
  return `<!DOCTYPE html>
<html lang="en-US"><head><title>${title} | ${detail} | Cloudflare</title></head>
<body><div id="cf-wrapper"><h1><span class="cf-error-type">Error</span> <span class="code-label">${code}</span></h1>
<h2>${title}</h2><p>${detail}</p><p>Cloudflare Ray ID: <strong>${rayId}</strong></p><p>HTTP ${status}</p></div></body>\
</html>
`;
}

/**
 * An HTTPS stand-in for Cloudflare's edge on 127.0.0.1. A fake cloudflared started with `edge.env`
 * registers `https://<words>.trycloudflare.com` here; requests and WebSocket upgrades for that host
 * are proxied to its `--url` with the headers the real edge adds. When the fake stops, its hostname
 * answers 530 / error 1033 like Cloudflare does.
 */
export async function startFakeEdge(options: FakeEdgeOptions = {}): Promise<FakeEdge> {
  const secret = randomBytes(16).toString('hex');
  let ingress = new Map(Object.entries(options.ingress ?? {}).map(([h, service]) => [h.toLowerCase(), service]));
  const extraHosts = [...new Set([...(options.hostnames ?? []), ...ingress.keys()])];
  const altNames = [
    { type: 2 as const, value: '*.trycloudflare.com' },
    { type: 2 as const, value: 'localhost' },
    { type: 7 as const, ip: '127.0.0.1' },
    ...extraHosts.map((h) => ({ type: 2 as const, value: h })),
  ];
  const pems = await selfsigned.generate([{ name: 'commonName', value: '*.trycloudflare.com' }], {
    keyType: 'ec',
    curve: 'P-256',
    notBeforeDate: new Date(Date.now() - 60_000),
    notAfterDate: new Date(Date.now() + 2 * 86_400_000),
    extensions: [{ name: 'subjectAltName', altNames }],
  });
  // hostname -> live connections (one per registered edge connection of the fake)
  const table = new Map<string, Map<string, EdgeRoute>>();
  const waiters = new Set<() => void>();
  const sockets = new Set<Duplex>();
  // The fake cloudflareds' registration connections: dropConnections() leaves them alone.
  const controlSockets = new WeakSet<object>();
  // Client-side sockets (browsers, CLIs): what dropConnections() cuts.
  const clientSockets = new Set<Duplex>();
  // What each tunnel connection carries right now (requests in flight, WebSockets): when cloudflared loses that
  // connection, its streams die with it, as on Cloudflare. Keyed by `<hostname> <connection>`.
  const carried = new Map<string, Set<{ destroy(): void }>>();
  const carry = (
    route: EdgeRoute,
    stream: { destroy(): void; once(event: 'close', listener: () => void): unknown },
  ) => {
    const key = `${route.hostname} ${route.connection}`;
    let set = carried.get(key);
    if (!set) carried.set(key, (set = new Set()));
    set.add(stream);
    stream.once('close', () => {
      set.delete(stream);
      if (set.size === 0 && carried.get(key) === set) carried.delete(key);
    });
  };

  const lookup = (hostHeader: string | undefined): EdgeRoute | undefined => {
    const host = (hostHeader ?? '').replace(/:\d+$/, '').toLowerCase();
    const conns = table.get(host);
    const route = conns ? [...conns.values()].at(-1) : undefined;
    // A remote-managed tunnel: the service configured in Cloudflare wins over the connector's --url.
    const service = route?.local ? undefined : ingress.get(host);
    return route && service ? { ...route, origin: service } : route;
  };

  const cfHeaders = (req: IncomingMessage, rayId: string): Record<string, string> => {
    const clientIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    const prior = req.headers['x-forwarded-for'];
    return {
      'cf-connecting-ip': clientIp,
      'cf-ray': rayId,
      'cf-visitor': '{"scheme":"https"}',
      'cf-ipcountry': 'XX',
      'x-forwarded-for': prior ? `${prior}, ${clientIp}` : clientIp,
      'x-forwarded-proto': 'https',
    };
  };

  const forwardHeaders = (
    req: IncomingMessage,
    rayId: string,
    keepUpgrade: boolean,
  ): Record<string, string | string[]> => {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue;
      if (!keepUpgrade && HOP_BY_HOP.has(k)) continue;
      // Clients cannot spoof the edge's own headers.
      if (k.startsWith('cf-') || k === 'x-forwarded-proto') continue;
      out[k] = v;
    }
    return { ...out, ...cfHeaders(req, rayId) };
  };

  const onControl = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.headers['x-fake-edge-secret'] !== secret) {
      res.writeHead(403).end('forbidden\n');
      return;
    }
    let buf = '';
    let route: EdgeRoute | undefined;
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      if (route) return;
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl === -1) return;
      try {
        const msg = JSON.parse(buf.slice(0, nl)) as EdgeRoute;
        if (!msg.hostname || !/^(https?:\/\/|http_status:)/.test(msg.origin)) throw new Error('bad registration');
        route = {
          hostname: msg.hostname.toLowerCase(),
          origin: msg.origin,
          connection: String(msg.connection),
          pid: msg.pid,
          ...(msg.local ? { local: true } : {}),
        };
        let conns = table.get(route.hostname);
        if (!conns) table.set(route.hostname, (conns = new Map()));
        conns.set(route.connection, route);
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('registered\n');
        for (const w of [...waiters]) w();
      } catch {
        res.writeHead(400).end('bad registration\n');
      }
    });
    // The registration lives as long as the fake's connection: a dead or stopped fake unregisters.
    const drop = () => {
      if (!route) return;
      const key = `${route.hostname} ${route.connection}`;
      for (const stream of carried.get(key) ?? []) stream.destroy();
      carried.delete(key);
      const conns = table.get(route.hostname);
      conns?.delete(route.connection);
      if (conns && conns.size === 0) table.delete(route.hostname);
      route = undefined;
    };
    req.on('close', drop);
    res.on('close', drop);
  };

  const server = https.createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (req.url?.startsWith('/__edge/') && (host === '127.0.0.1' || host === 'localhost')) {
      controlSockets.add(req.socket);
      clientSockets.delete(req.socket);
      return onControl(req, res);
    }
    const rayId = ray();
    const route = lookup(req.headers.host);
    if (!route) {
      res.writeHead(530, { 'content-type': 'text/html; charset=UTF-8', 'cf-ray': rayId, server: 'cloudflare' });
      res.end(
        errorPage(
          530,
          1033,
          'Argo Tunnel error',
          'Cloudflare Tunnel error: the tunnel for this hostname is not connected',
          rayId,
        ),
      );
      return;
    }
    const status = /^http_status:(\d{3})$/.exec(route.origin);
    if (status) {
      // cloudflared answers an ingress rule `http_status:<code>` itself (the dashboard's catch-all is 404).
      res.writeHead(Number(status[1]), {
        'content-type': 'text/plain; charset=utf-8',
        'cf-ray': rayId,
        server: 'cloudflare',
      });
      res.end(status[1] === '404' ? '404 page not found\n' : '');
      return;
    }
    carry(route, res);
    const target = new URL(route.origin);
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port || 80,
        method: req.method,
        path: req.url,
        headers: forwardHeaders(req, rayId, false),
      },
      (up) => {
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
        res.writeHead(up.statusCode ?? 502, { ...headers, 'cf-ray': rayId, server: 'cloudflare' });
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(502, { 'content-type': 'text/html; charset=UTF-8', 'cf-ray': rayId, server: 'cloudflare' });
      res.end(errorPage(502, 502, 'Bad gateway', 'The origin behind the tunnel could not be reached', rayId));
    });
    req.pipe(upstream);
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const rayId = ray();
    const route = lookup(req.headers.host);
    if (!route) {
      socket.end(
        `HTTP/1.1 530 Origin Unreachable\r\ncf-ray: ${rayId}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
      );
      return;
    }
    if (route.origin.startsWith('http_status:')) {
      socket.end(
        `HTTP/1.1 ${route.origin.slice('http_status:'.length)} Not Found\r\ncf-ray: ${rayId}\r\n` +
          `connection: close\r\ncontent-length: 0\r\n\r\n`,
      );
      return;
    }
    carry(route, socket);
    const target = new URL(route.origin);
    const upstream = net.connect(Number(target.port || 80), target.hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => {
      socket.end(`HTTP/1.1 502 Bad Gateway\r\ncf-ray: ${rayId}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    });
    upstream.on('connect', () => {
      const headers = forwardHeaders(req, rayId, true);
      let head1 = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (const [k, v] of Object.entries(headers))
        for (const one of Array.isArray(v) ? v : [v]) head1 += `${k}: ${one}\r\n`;
      upstream.write(`${head1}\r\n`);
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (socket) => {
    if (!controlSockets.has(socket)) clientSockets.add(socket);
    socket.on('close', () => clientSockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  let closing: Promise<void> | undefined;

  const edge: FakeEdge = {
    port,
    url: `https://127.0.0.1:${port}`,
    env: {
      FAKE_CFD_EDGE_URL: `https://127.0.0.1:${port}`,
      FAKE_CFD_EDGE_SECRET: secret,
      ...(ingress.size ? { FAKE_CFD_INGRESS: JSON.stringify(Object.fromEntries(ingress)) } : {}),
    },
    cert: pems.cert,
    chromiumArgs: [
      `--host-resolver-rules=MAP ` +
        `*.trycloudflare.com 127.0.0.1:${port}${extraHosts.map((h) => `, MAP ${h} 127.0.0.1:${port}`).join('')}`,
      '--ignore-certificate-errors',
    ],
    routes: () => [...table.keys()].map((host) => lookup(host)).filter((r): r is EdgeRoute => r !== undefined),
    dropConnections() {
      const cut = [...clientSockets];
      for (const s of cut) s.destroy();
      clientSockets.clear();
      return cut.length;
    },
    setIngress(next) {
      ingress = new Map(Object.entries(next).map(([h, service]) => [h.toLowerCase(), service]));
    },
    waitForRoute(hostname, timeoutMs = 10_000) {
      const find = () => (hostname ? lookup(hostname.replace(/^https?:\/\//, '')) : edge.routes()[0]);
      const found = find();
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const check = () => {
          const r = find();
          if (r) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(r);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no route for ${hostname ?? 'any hostname'} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    close() {
      if (!closing) {
        closing = new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const s of sockets) s.destroy();
          server.closeAllConnections?.();
        });
      }
      return closing;
    },
    [Symbol.asyncDispose]() {
      return edge.close();
    },
  };
  return edge;
}
