// Where the gate keeps sessions (the devices list). Band keeps them in `<home>/sessions.json`
// (`fileSessionStore`); an embedder without a Band home gets `memorySessionStore()` (sessions end with the process),
// or passes its own store.
import { openSessionRegistry, type SessionRecord, type SessionRegistry } from './sessions.js';

export type { SessionRecord };

/** The session registry the gate writes to. Ids are hashes of the cookie's session id, never the id itself. */
export type SessionStore = SessionRegistry;

export interface SessionStoreContext {
  /** The cookie key derived from the token: a store that persists should drop sessions made under another key. */
  key: Buffer;
  now: () => number;
  /** Report a failure to persist (the gate logs it); never throw from a write. */
  onError: (error: unknown) => void;
}

/** Opens the store for the gate: called once by `createGate`. */
export type SessionStoreFactory = (context: SessionStoreContext) => SessionStore;

/** Sessions in `<home>/sessions.json` (0600, atomic writes): Band's default, they survive a restart. */
export function fileSessionStore(home: string): SessionStoreFactory {
  return ({ key, now, onError }) => openSessionRegistry(home, key, { now, onError });
}

/** Sessions in memory: they end with the process. The default when the gate has no `home`. */
export function memorySessionStore(): SessionStoreFactory {
  return () => {
    const sessions = new Map<string, SessionRecord>();
    const removeWhere = (predicate: (r: SessionRecord) => boolean) => {
      const ids = [...sessions.values()].filter(predicate).map((r) => r.id);
      for (const id of ids) sessions.delete(id);
      return ids;
    };
    return {
      get: (id) => sessions.get(id),
      add: (record) => void sessions.set(record.id, record),
      touch(id, now) {
        const record = sessions.get(id);
        if (record) record.lastSeenAt = now;
      },
      remove: (id) => sessions.delete(id),
      removeWhere,
      clear: () => removeWhere(() => true),
      list: () => [...sessions.values()],
      flush: async () => {},
      close: async () => {},
    };
  };
}
