// Test harness: a real HTTP server on 127.0.0.1:0 serving the raw socket routes, the way create-band-api mounts them.
import { vi } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Principal } from '@band/auth';
import WebSocket from 'ws';
import { createUpgradeRouter, type SocketRoute } from '../src/internal/upgrade-router.js';

export const rootPrincipal: Principal = { kind: 'root', listener: 'local' };

export interface TestServer extends AsyncDisposable {
  url: string;
  wsUrl(pathname: string): string;
  close(): Promise<void>;
}

export async function startTestServer(
  routes: SocketRoute[],
  principalFor: (req: import('node:http').IncomingMessage) => Principal = () => rootPrincipal,
): Promise<TestServer> {
  const upgrades = createUpgradeRouter();
  for (const route of routes) upgrades.add(route);
  const server: Server = createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  server.on('upgrade', (req, socket, head) => {
    if (!upgrades.handle(req, socket, head, principalFor(req), () => {})) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as import('node:net').AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      upgrades.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    })();
    return closing;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: (p) => `ws://127.0.0.1:${port}${p}`,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Listens on 127.0.0.1 (an ephemeral port); `close` ends open connections first. */
export async function listenLoopback(server: Server): Promise<{ port: number; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as import('node:net').AddressInfo).port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function tempDir(prefix = 'band-api-'): Promise<{ path: string } & AsyncDisposable> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { path: dir, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}

/** A WebSocket client that records everything it receives. */
export interface RecordingSocket {
  ws: WebSocket;
  /** Binary output decoded as UTF-8, concatenated. */
  output(): string;
  /** JSON text messages. */
  messages: Array<Record<string, any>>;
  closed: Promise<{ code: number; reason: string }>;
  opened: Promise<void>;
  sendJson(value: unknown): void;
}

export function connect(url: string, headers: Record<string, string> = {}): RecordingSocket {
  const ws = new WebSocket(url, { headers });
  const chunks: Buffer[] = [];
  const messages: Array<Record<string, any>> = [];
  ws.on('message', (data, isBinary) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) chunks.push(buf);
    else messages.push(JSON.parse(buf.toString('utf8')));
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('error', () => {});
  opened.catch(() => {});
  return {
    ws,
    output: () => Buffer.concat(chunks).toString('utf8'),
    messages,
    closed,
    opened,
    // Queued until open, in order, so tests can send right after connecting.
    sendJson: (value) => {
      const text = JSON.stringify(value);
      if (ws.readyState === ws.OPEN) ws.send(text);
      else
        void opened.then(
          () => ws.send(text),
          () => {},
        );
    },
  };
}

/** `vi.waitFor` with room for a loaded machine (2 cores shared by many jobs): 15 s unless told otherwise. */
export function waitFor<T>(
  callback: () => T | Promise<T>,
  options: { timeout?: number; interval?: number } = {},
): Promise<T> {
  return vi.waitFor(callback, { timeout: 15_000, interval: 20, ...options });
}
