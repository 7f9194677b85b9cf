import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Principal } from '@band/auth';
import { WebSocketServer, type WebSocket } from 'ws';

/** A raw WebSocket endpoint (terminals, language servers) mounted by path pattern. */
export interface SocketRoute {
  /** Matches the pathname; returns the captured parameters or undefined. */
  match(pathname: string): Record<string, string> | undefined;
  /** Largest accepted message. @default 1 MiB */
  maxPayloadBytes?: number;
  onConnection(socket: WebSocket, params: Record<string, string>, principal: Principal, req: IncomingMessage): void;
}

/** Turns `/api/terminals/:id` into a matcher. Parameters are URI-decoded and never contain `/`. */
export function pathPattern(pattern: string): SocketRoute['match'] {
  const parts = pattern.split('/');
  return (pathname) => {
    const actual = pathname.split('/');
    if (actual.length !== parts.length) return undefined;
    const params: Record<string, string> = {};
    for (let i = 0; i < parts.length; i++) {
      const want = parts[i]!;
      const got = actual[i]!;
      if (want.startsWith(':')) {
        if (!got) return undefined;
        try {
          params[want.slice(1)] = decodeURIComponent(got);
        } catch {
          return undefined;
        }
      } else if (want !== got) return undefined;
    }
    return params;
  };
}

export interface UpgradeRouter {
  add(route: SocketRoute): void;
  /**
   * Hands an authenticated upgrade to its endpoint. Returns false when no route matched (the caller answers 404).
   * `track` registers the socket with the gate so revocation closes it.
   */
  handle(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    principal: Principal,
    track: (ws: WebSocket) => void,
  ): boolean;
  close(): void;
}

export function createUpgradeRouter(): UpgradeRouter {
  const routes: Array<{ route: SocketRoute; wss: WebSocketServer }> = [];
  return {
    add(route) {
      const wss = new WebSocketServer({
        noServer: true,
        maxPayload: route.maxPayloadBytes ?? 1024 * 1024,
        // Compression costs CPU per frame and has a history of memory bugs; terminals send small frames.
        perMessageDeflate: false,
      });
      routes.push({ route, wss });
    },
    handle(req, socket, head, principal, track) {
      const pathname = new URL(req.url ?? '/', 'http://band.invalid').pathname;
      for (const { route, wss } of routes) {
        const params = route.match(pathname);
        if (!params) continue;
        wss.handleUpgrade(req, socket, head, (ws) => {
          track(ws);
          route.onConnection(ws, params, principal, req);
        });
        return true;
      }
      return false;
    },
    close() {
      for (const { wss } of routes) {
        for (const client of wss.clients) client.terminate();
        wss.close();
      }
    },
  };
}
