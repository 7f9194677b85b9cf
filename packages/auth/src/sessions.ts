// The session registry `<home>/sessions.json` (0600): ids are sha256(sid) prefixes; the sid itself is never stored.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@band/settings';
import type { Device, ListenerKind } from './types.js';

export interface SessionRecord extends Device {
  /** `local:<port>` or the tunnel host the session is bound to. */
  binding: string;
  /** Absolute expiry (epoch ms). */
  expiresAt: number;
}

export const sessionLifetimes = Object.freeze({
  local: { idleMs: 7 * 24 * 3600_000, absoluteMs: 30 * 24 * 3600_000 },
  tunnel: { idleMs: 24 * 3600_000, absoluteMs: 7 * 24 * 3600_000 },
});

export interface SessionRegistry {
  get(id: string): SessionRecord | undefined;
  add(record: SessionRecord): void;
  /** Marks a session seen (persisted lazily). */
  touch(id: string, now: number): void;
  remove(id: string): boolean;
  /** Removes every session matching the predicate; returns their ids. */
  removeWhere(predicate: (r: SessionRecord) => boolean): string[];
  clear(newKey: Buffer): string[];
  list(): SessionRecord[];
  /** Writes pending lastSeen updates. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface FileShape {
  version: 1;
  /** HMAC(K_cookie, "band/sessions/v1"): sessions minted under another token are dropped on load. */
  keyCheck: string;
  sessions: SessionRecord[];
}

const keyCheckOf = (key: Buffer) => createHmac('sha256', key).update('band/sessions/v1').digest('hex').slice(0, 16);

export function openSessionRegistry(
  home: string,
  key: Buffer,
  options: { now: () => number; onError?: (error: unknown) => void; touchFlushMs?: number },
): SessionRegistry {
  const file = join(home, 'sessions.json');
  const sessions = new Map<string, SessionRecord>();
  let keyCheck = keyCheckOf(key);
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<FileShape>;
    if (parsed.version === 1 && parsed.keyCheck === keyCheck && Array.isArray(parsed.sessions)) {
      const t = options.now();
      for (const s of parsed.sessions) {
        if (s && typeof s.id === 'string' && typeof s.expiresAt === 'number' && s.expiresAt > t) sessions.set(s.id, s);
      }
    }
  } catch {
    // Missing or unreadable: start empty (sessions are cheap to recreate; the token still works).
  }

  let writing: Promise<void> = Promise.resolve();
  let dirtyTimer: NodeJS.Timeout | undefined;
  let closed = false;

  const persist = (): Promise<void> => {
    if (dirtyTimer) {
      clearTimeout(dirtyTimer);
      dirtyTimer = undefined;
    }
    const snapshot: FileShape = { version: 1, keyCheck, sessions: [...sessions.values()] };
    writing = writing
      .then(async () => {
        await writeFileAtomic(file, `${JSON.stringify(snapshot, null, 2)}\n`);
      })
      .catch((error) => options.onError?.(error));
    return writing;
  };

  const scheduleFlush = () => {
    if (dirtyTimer || closed) return;
    dirtyTimer = setTimeout(() => {
      dirtyTimer = undefined;
      void persist();
    }, options.touchFlushMs ?? 30_000);
    dirtyTimer.unref();
  };

  return {
    get: (id) => sessions.get(id),
    add(record) {
      sessions.set(record.id, record);
      void persist();
    },
    touch(id, now) {
      const s = sessions.get(id);
      if (!s || now - s.lastSeenAt < 60_000) return;
      s.lastSeenAt = now;
      scheduleFlush();
    },
    remove(id) {
      const had = sessions.delete(id);
      if (had) void persist();
      return had;
    },
    removeWhere(predicate) {
      const ids = [...sessions.values()].filter(predicate).map((s) => s.id);
      for (const id of ids) sessions.delete(id);
      if (ids.length) void persist();
      return ids;
    },
    clear(newKey) {
      const ids = [...sessions.keys()];
      sessions.clear();
      keyCheck = keyCheckOf(newKey);
      void persist();
      return ids;
    },
    list: () => [...sessions.values()],
    flush: () => persist(),
    async close() {
      if (closed) return;
      closed = true;
      if (dirtyTimer) await persist();
      await writing;
    },
  };
}

export function bindingOf(listener: ListenerKind, localPort: number, tunnelHost: string | null): string {
  return listener === 'tunnel' ? (tunnelHost ?? '') : `local:${localPort}`;
}
