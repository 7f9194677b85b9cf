// The upgraded sockets of each session, so that what ends a session also closes its sockets: a revoked device, a
// rotated token, a stopped tunnel or a new tunnel host. Sockets of the token itself are kept per listener.
import type { ClosableSocket, ListenerKind, Principal } from './types.js';

/** The close code of a socket whose session ended (401 in the 4000 range of application codes). */
const SESSION_ENDED = 4401;

export interface SocketRegistry {
  /** How many sockets this principal has open (the per-session cap). */
  count(principal: Principal): number;
  /** Tracks a socket until its session ends; the returned function stops tracking it (call it on close). */
  track(principal: Principal, socket: ClosableSocket): () => void;
  /** Closes (4401) and forgets the sockets of these keys: session ids, or `rootSocketKey(listener)`. */
  close(keys: Iterable<string>, reason: string): void;
  /** Closes (4401) and forgets every socket. */
  closeAll(reason: string): void;
}

/** The key of the sockets opened with the token itself (no session) on one listener. */
export function rootSocketKey(listener: ListenerKind): string {
  return `root:${listener}`;
}

/** Closes a socket as "session ended" (4401); one that is already closed is left alone. */
export function closeSocket(socket: ClosableSocket, reason: string): void {
  try {
    socket.close(SESSION_ENDED, reason);
  } catch {
    // already closed
  }
}

export function createSocketRegistry(): SocketRegistry {
  const sockets = new Map<string, Set<ClosableSocket>>();
  const keyOf = (p: Principal) => p.sessionId ?? rootSocketKey(p.listener);
  const close = (keys: Iterable<string>, reason: string) => {
    for (const key of keys) {
      const set = sockets.get(key);
      if (!set) continue;
      sockets.delete(key);
      for (const socket of set) closeSocket(socket, reason);
    }
  };
  return {
    count: (p) => sockets.get(keyOf(p))?.size ?? 0,
    track(principal, socket) {
      const key = keyOf(principal);
      let set = sockets.get(key);
      if (!set) sockets.set(key, (set = new Set()));
      set.add(socket);
      return () => {
        const current = sockets.get(key);
        if (!current) return;
        current.delete(socket);
        if (current.size === 0) sockets.delete(key);
      };
    },
    close,
    closeAll: (reason) => close([...sockets.keys()], reason),
  };
}
