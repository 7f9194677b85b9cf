// Shared shapes of the pipeline: the per-request context, the gate state steps read, and verdicts.
import type { IncomingMessage } from 'node:http';
import type { RejectReason } from '../errors.js';
import type { PairingCodes } from '../pairing.js';
import type { RouteClass } from '../policy.js';
import type { RateLimiter } from '../rate-limiter.js';
import type { SessionRecord, SessionRegistry } from '../sessions.js';
import type { TokenVerifier } from '../token-verifier.js';
import type { ListenerKind, Principal } from '../types.js';

export interface GateContext {
  req: IncomingMessage;
  listener: ListenerKind;
  upgrade: boolean;
  method: string;
  /** The raw request target (never logged). */
  target: string;
  path: string;
  query: string;
  /** Lowercased Host, set by checkHost. */
  host: string;
  /** `http(s)://<host>` for this listener, set by checkHost. */
  expectedOrigin: string;
  route: RouteClass;
  nonce: string;
  principal?: Principal;
  credential?: 'bearer' | 'cookie';
  /** First 8 hex of sha256(sid), for the log line. */
  sidHash?: string;
}

export interface GateState {
  readonly dev: boolean;
  readonly now: () => number;
  localPort: number;
  tunnelHost: string | null;
  verifier: TokenVerifier;
  cookieKey: Buffer;
  /** K_proof of `/auth/hello` (derived from the token like the cookie key). */
  proofKey: Buffer;
  readonly sessions: SessionRegistry;
  readonly pairing: PairingCodes;
  readonly limiter: RateLimiter;
  readonly limits: GateLimits;
  readonly uploadRoutes: readonly string[];
  socketCount(principal: Principal): number;
  /** Mints a fresh session for this request and returns the Set-Cookie value. */
  mintSession(ctx: GateContext): { record: SessionRecord; setCookie: string };
  /** Revokes a session and closes its sockets. */
  revoke(id: string): boolean;
  /** Counts a failed credential attempt; returns the 401 or 429 rejection. */
  failure(ctx: GateContext, reason: RejectReason): Rejection;
  /** Whether unauthenticated requests from this client are currently limited. */
  limited(ctx: GateContext): Rejection | undefined;
}

export interface GateLimits {
  /** @default 8192 */
  maxUrlLength: number;
  /** JSON body limit on /api (by Content-Length). @default 1 MiB */
  maxApiBodyBytes: number;
  /** Body limit of /auth endpoints. @default 4096 */
  maxAuthBodyBytes: number;
  /** Open sockets per session. @default 64 */
  maxSocketsPerSession: number;
}

export type ResponseBody = { kind: 'json'; value: unknown } | { kind: 'html'; html: string } | { kind: 'empty' };

export interface Rejection {
  ok: false;
  status: number;
  /** Logged. Answers the gate gives on purpose (redirects, /auth endpoints) use a descriptive reason too. */
  reason: RejectReason | 'TOKEN_EXCHANGE' | 'SIGNED_IN' | 'SIGNED_OUT' | 'PAIR_PAGE' | 'HELLO';
  headers?: Record<string, string | string[]>;
  body?: ResponseBody;
}

export type Verdict = { ok: true } | Rejection;

export type Step = (ctx: GateContext, state: GateState) => Verdict | Promise<Verdict>;

export const OK: Verdict = Object.freeze({ ok: true });

export function reject(
  status: number,
  reason: Rejection['reason'],
  extra: Partial<Omit<Rejection, 'ok'>> = {},
): Rejection {
  return { ok: false, status, reason, ...extra };
}

/** Counted header occurrences (Node merges or drops duplicates in `req.headers`). */
export function headerCount(req: IncomingMessage, name: string): number {
  let n = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) n += 1;
  return n;
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
