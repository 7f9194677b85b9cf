import type { Principal } from '@band/auth';
import type { WebSocket } from 'ws';
import { applyHeartbeat } from './heartbeat.js';
import type { Logger } from './logger.js';

/**
 * The key resource caps are counted under: one browser session, or the root token on one listener
 * (auth.md §3.7: per session, 64 sockets and 16 PTYs).
 */
export function principalKey(principal: Principal): string {
  return principal.sessionId ? `session:${principal.sessionId}` : `${principal.kind}:${principal.listener}`;
}

/** Counts open sockets per principal across the raw streaming endpoints (terminals and language servers). */
export interface SocketBudget {
  /** Takes one socket slot; returns the release function, or undefined when the principal is at the cap. */
  acquire(principal: Principal): (() => void) | undefined;
  /** Sockets currently held by this principal. */
  count(principal: Principal): number;
  readonly maxSocketsPerPrincipal: number;
}

export const DEFAULT_MAX_SOCKETS_PER_PRINCIPAL = 64;

export function createSocketBudget(maxSocketsPerPrincipal = DEFAULT_MAX_SOCKETS_PER_PRINCIPAL): SocketBudget {
  const counts = new Map<string, number>();
  return {
    maxSocketsPerPrincipal,
    acquire(principal) {
      const key = principalKey(principal);
      const current = counts.get(key) ?? 0;
      if (current >= maxSocketsPerPrincipal) return undefined;
      counts.set(key, current + 1);
      let isReleased = false;
      return () => {
        if (isReleased) return;
        isReleased = true;
        const left = (counts.get(key) ?? 1) - 1;
        if (left <= 0) counts.delete(key);
        else counts.set(key, left);
      };
    },
    count(principal) {
      return counts.get(principalKey(principal)) ?? 0;
    },
  };
}

/** WebSocket close codes of the raw streaming endpoints (4000–4999 is the application range). */
export const SOCKET_CLOSE = Object.freeze({
  /** The terminal exited, or the language server was stopped for good. */
  NORMAL: 1000,
  /** The server is shutting down. */
  GOING_AWAY: 1001,
  /** Malformed protocol use that cannot continue. */
  POLICY: 1008,
  /** Message larger than the endpoint accepts (sent by ws itself). */
  TOO_BIG: 1009,
  /** Unknown terminal id, workspace or language. */
  NOT_FOUND: 4404,
  /** The principal already holds the maximum number of sockets. */
  TOO_MANY_SOCKETS: 4429,
  /** The terminal was killed. */
  KILLED: 4410,
  /** The viewer could not keep up and was dropped. */
  TOO_SLOW: 4408,
});

/** Unknown terminal, workspace or language: our NOT_FOUND, or another Band package's `*_NOT_FOUND` code. */
export function isNotFound(error: unknown): boolean {
  const { code, reason } = (error ?? {}) as { code?: unknown; reason?: unknown };
  return (
    (typeof code === 'string' && code.endsWith('NOT_FOUND')) ||
    (typeof reason === 'string' && reason.endsWith('NOT_FOUND'))
  );
}

/**
 * What every raw streaming socket does first: take a slot of the principal's budget (or close with
 * TOO_MANY_SOCKETS), give it back on close, log socket errors (without a listener, a protocol error such as an
 * oversized frame would be thrown as an uncaught exception) and keep the connection alive with the heartbeat.
 * False when the socket was refused.
 */
export function admitSocket(
  ws: WebSocket,
  principal: Principal,
  options: { sockets: SocketBudget; heartbeatMs: number; logger: Logger; label: string },
): boolean {
  const release = options.sockets.acquire(principal);
  if (!release) {
    ws.close(
      SOCKET_CLOSE.TOO_MANY_SOCKETS,
      `Too many sockets: limit ${options.sockets.maxSocketsPerPrincipal} per session`,
    );
    return false;
  }
  ws.once('close', release);
  ws.on('error', (error) => options.logger.debug(`${options.label} socket error: ${error.message}`));
  applyHeartbeat(ws, options.heartbeatMs);
  return true;
}
