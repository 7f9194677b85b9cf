// One-time pairing codes: 128-bit, single use, 120 s, bound to the listener (and tunnel host). Only hashes are kept.
// Failed redemptions are counted per listener, so each listener's codes die only of that listener's failures.
import { createHash, randomBytes } from 'node:crypto';
import type { ListenerKind } from './types.js';

export interface PairingEntry {
  listener: ListenerKind;
  binding: string;
  expiresAt: number;
}

export interface PairingCodes {
  mint(listener: ListenerKind, binding: string, now: number): { code: string; expiresAt: number };
  /** Burns the code when it matches; undefined when unknown, expired, used or bound elsewhere. */
  redeem(code: string, listener: ListenerKind, binding: string, now: number): PairingEntry | undefined;
  /**
   * Counts a failed redemption on `listener` (one the rate limiter let through); after `maxFailures` on that
   * listener since its last mint, that listener's outstanding codes are invalidated. The other listener's codes are
   * untouched, so an attack through the tunnel cannot stop a pairing on this machine (issue 16 #4).
   */
  recordFailure(listener: ListenerKind): void;
  /** Failed redemptions counted on `listener` since its last mint. */
  failures(listener: ListenerKind): number;
  /** Drops codes bound to a listener (tunnel stop) or all of them (rotation). */
  invalidate(predicate?: (e: PairingEntry) => boolean): void;
  size(): number;
}

export const PAIRING_TTL_MS = 120_000;
const hash = (code: string) => createHash('sha256').update(code).digest('hex');

export function createPairingCodes(options: { ttlMs?: number; maxFailures?: number } = {}): PairingCodes {
  const ttl = options.ttlMs ?? PAIRING_TTL_MS;
  const maxFailures = options.maxFailures ?? 20;
  const codes = new Map<string, PairingEntry>();
  const failures: Record<ListenerKind, number> = { local: 0, tunnel: 0 };

  const sweep = (now: number) => {
    for (const [h, e] of codes) if (e.expiresAt <= now) codes.delete(h);
  };

  return {
    mint(listener, binding, now) {
      sweep(now);
      failures[listener] = 0;
      const code = randomBytes(16).toString('base64url');
      const expiresAt = now + ttl;
      codes.set(hash(code), { listener, binding, expiresAt });
      return { code, expiresAt };
    },
    redeem(code, listener, binding, now) {
      if (typeof code !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(code)) return undefined;
      const h = hash(code);
      const entry = codes.get(h);
      if (!entry) return undefined;
      if (entry.expiresAt <= now) {
        codes.delete(h);
        return undefined;
      }
      if (entry.listener !== listener || entry.binding !== binding) return undefined;
      codes.delete(h);
      return entry;
    },
    recordFailure(listener) {
      failures[listener] += 1;
      if (failures[listener] < maxFailures) return;
      for (const [h, e] of codes) if (e.listener === listener) codes.delete(h);
    },
    failures: (listener) => failures[listener],
    invalidate(predicate) {
      if (!predicate) return codes.clear();
      for (const [h, e] of codes) if (predicate(e)) codes.delete(h);
    },
    size: () => codes.size,
  };
}
