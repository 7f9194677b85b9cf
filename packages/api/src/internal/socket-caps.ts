import type { Principal } from '@band/auth';

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
