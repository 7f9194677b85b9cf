// The Band gate: the request and upgrade pipelines of auth.md §3.3 as ordered lists of steps.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SettingsStore } from '@band/settings';
import { serializeSessionCookie, sessionCookieName } from './cookies.js';
import { type RejectReason, gateClosed, noTunnel } from './errors.js';
import {
  type GateContext,
  type GateLimits,
  type GateState,
  type Rejection,
  type Step,
  header,
  reject,
} from './internal/context.js';
import { deriveProofKey } from './hello.js';
import { createPairingCodes } from './pairing.js';
import { classifyRoute, loggablePath, splitTarget, summarizeUserAgent } from './policy.js';
import { bandBucketSpec, createRateLimiter } from './rate-limiter.js';
import { refuseUpgrade, respondRejected, setSecurityHeaders } from './respond.js';
import { newNonce } from './security-headers.js';
import { deriveCookieKey, newSessionId, sessionIdHash, signSessionCookie } from './session-cookie.js';
import { fileSessionStore, memorySessionStore, type SessionStoreFactory } from './session-store.js';
import { bindingOf, sessionLifetimes } from './sessions.js';
import { closeSocket, createSocketRegistry, rootSocketKey } from './socket-registry.js';
import { authEndpoints } from './steps/auth-endpoints.js';
import { authenticate } from './steps/authenticate.js';
import { checkContentType } from './steps/check-content-type.js';
import { checkHost } from './steps/check-host.js';
import { checkLimits } from './steps/check-limits.js';
import { checkOrigin } from './steps/check-origin.js';
import { checkSocketCap } from './steps/check-socket-cap.js';
import { checkUpgradeOrigin } from './steps/check-upgrade-origin.js';
import { checkUpgradePath } from './steps/check-upgrade-path.js';
import { refusePreflight } from './steps/refuse-preflight.js';
import { stripUntrustedHeaders } from './steps/strip-untrusted-headers.js';
import { settingsTokenSource, type TokenSource, toTokenSource } from './token-source.js';
import { createTokenVerifier } from './token-verifier.js';
import type { Device, Gate, ListenerKind, PairingCode, Principal } from './types.js';

/** Cache-Control of Next's hashed build output, once the gate let its request through. */
const IMMUTABLE = 'private, max-age=31536000, immutable';

/** Order matters (auth.md §3.3): first failure wins, later steps never run. */
const requestSteps: readonly Step[] = [
  checkLimits, // 1: URL/header/body limits, exactly one Host
  checkHost, // 3: Host allowlist per listener (DNS rebinding), before auth
  stripUntrustedHeaders, // 5: x-middleware-*, forwarding and cf-* headers nobody outside may set
  refusePreflight, // no CORS, ever
  authEndpoints, // the gate's own surface: /pair, /auth/login, /auth/pair, /auth/logout, /auth/hello
  authenticate, // 7: bearer, ?token= exchange, session cookie; failures rate-limited
  checkOrigin, // 8: CSRF gate (Origin / Sec-Fetch-Site)
  checkContentType, // 9: JSON-only API bodies
];

const upgradeSteps: readonly Step[] = [
  checkLimits,
  checkHost,
  stripUntrustedHeaders,
  checkUpgradePath, // unknown upgrade paths → 404 + destroy (nothing reaches Next)
  authenticate, // bearer or cookie (never a query token)
  checkUpgradeOrigin, // exact Origin (cross-site WebSocket hijacking)
  checkSocketCap, // per-session socket cap
];

/** A consola-shaped logger. */
export interface GateLogger {
  debug?(message: string, ...args: unknown[]): void;
  info?(message: string, ...args: unknown[]): void;
  warn?(message: string, ...args: unknown[]): void;
  error?(message: string, ...args: unknown[]): void;
}

export interface GateOptions {
  /**
   * The token: a 64-hex string or a `TokenSource` (a source with `onChange` rotates: everyone is signed out).
   * Give this or `settings`.
   */
  token?: string | TokenSource;
  /** Band's binding: the token is `tokenSecret` from settings.json, followed as it changes. Give this or `token`. */
  settings?: SettingsStore;
  /** Where sessions are kept. @default `fileSessionStore(home)` with a `home`, else `memorySessionStore()` */
  sessions?: SessionStoreFactory;
  /** The Band home: the default session store writes `<home>/sessions.json` there. */
  home?: string;
  /** The local listener's port (Host allowlist, cookie name). */
  localPort: number;
  logger?: GateLogger;
  now?: () => number;
  /** Next dev: CSP allows 'unsafe-eval', `/_next/hmr` upgrades are allowed. @default false */
  dev?: boolean;
  /** Paths under /api that may take non-JSON bodies (uploads). @default [] */
  uploadRoutes?: string[];
  limits?: Partial<GateLimits>;
}

export const gateDefaults = Object.freeze({
  maxUrlLength: 8192,
  maxApiBodyBytes: 1024 * 1024,
  maxAuthBodyBytes: 4096,
  maxSocketsPerSession: 64,
} satisfies GateLimits);

/** Creates the gate. Follows the token source: a new token signs everyone out and closes sockets. */
export function createGate(options: GateOptions): Gate {
  const tokenSource = resolveTokenSource(options);
  const now = options.now ?? Date.now;
  const logger = options.logger ?? {};
  const principals = new WeakMap<IncomingMessage, Principal>();
  const sockets = createSocketRegistry();
  let closed = false;

  const limitLogged = new Map<string, number>();
  const limiter = createRateLimiter(bandBucketSpec, now);
  const clientKeys = (ctx: GateContext): string[] => {
    if (ctx.listener === 'local') return ['local:global'];
    const ip = header(ctx.req, 'cf-connecting-ip') ?? ctx.req.socket.remoteAddress ?? 'unknown';
    return [`tunnel:ip:${ip.slice(0, 64)}`, 'tunnel:global'];
  };
  const limitedAnswer = (ctx: GateContext, retryAfterSec: number): Rejection => {
    const t = now();
    for (const key of clientKeys(ctx)) {
      if (t - (limitLogged.get(key) ?? 0) >= 60_000) {
        limitLogged.set(key, t);
        if (limitLogged.size > 10_000) limitLogged.clear();
        logger.warn?.(`auth: failed attempts rate-limited (${ctx.listener}, key ${key})`);
      }
    }
    return reject(429, 'RATE_LIMITED', { headers: { 'Retry-After': String(retryAfterSec) } });
  };

  const initialSecret = tokenSource.get();
  const state: GateState = {
    dev: options.dev ?? false,
    now,
    localPort: options.localPort,
    tunnelHost: null,
    verifier: createTokenVerifier(initialSecret),
    cookieKey: deriveCookieKey(initialSecret),
    proofKey: deriveProofKey(initialSecret),
    sessions: undefined as never,
    pairing: createPairingCodes(),
    limiter,
    limits: { ...gateDefaults, ...options.limits },
    uploadRoutes: options.uploadRoutes ?? [],
    socketCount: (p) => sockets.count(p),
    mintSession(ctx) {
      const t = now();
      const sid = newSessionId();
      const id = sessionIdHash(sid);
      const lifetime = sessionLifetimes[ctx.listener];
      const binding = bindingOf(ctx.listener, state.localPort, state.tunnelHost);
      const expiresAt = t + lifetime.absoluteMs;
      const address = ctx.listener === 'tunnel' ? header(ctx.req, 'cf-connecting-ip')?.slice(0, 64) : undefined;
      const record = {
        id,
        listener: ctx.listener,
        label: summarizeUserAgent(header(ctx.req, 'user-agent')),
        createdAt: t,
        lastSeenAt: t,
        ...(address ? { address } : {}),
        binding,
        expiresAt,
      };
      state.sessions.add(record);
      const value = signSessionCookie(state.cookieKey, sid, expiresAt, ctx.listener, binding);
      const name = sessionCookieName(ctx.listener, state.localPort);
      return { record, setCookie: serializeSessionCookie(ctx.listener, name, value, lifetime.absoluteMs / 1000) };
    },
    revoke(id) {
      const had = state.sessions.remove(id);
      sockets.close([id], 'session revoked');
      return had;
    },
    failure(ctx, reason: RejectReason) {
      const result = limiter.fail(clientKeys(ctx));
      return result.ok ? reject(401, reason) : limitedAnswer(ctx, result.retryAfterSec);
    },
    limited(ctx) {
      const result = limiter.check(clientKeys(ctx));
      return result.ok ? undefined : limitedAnswer(ctx, result.retryAfterSec);
    },
  };
  const openSessions =
    options.sessions ?? (options.home !== undefined ? fileSessionStore(options.home) : memorySessionStore());
  (state as { sessions: GateState['sessions'] }).sessions = openSessions({
    key: state.cookieKey,
    now,
    onError: (error) => logger.warn?.(`auth: cannot write sessions.json (${(error as Error).message})`),
  });

  const rotate = (secret: string) => {
    state.verifier = createTokenVerifier(secret);
    state.cookieKey = deriveCookieKey(secret);
    state.proofKey = deriveProofKey(secret);
    state.sessions.clear(state.cookieKey);
    state.pairing.invalidate();
    sockets.closeAll('token rotated');
    logger.info?.('auth: token rotated; every session was signed out');
  };
  const unsubscribe = tokenSource.onChange?.(rotate) ?? (() => {});

  const newContext = (req: IncomingMessage, listener: ListenerKind, upgrade: boolean, nonce: string): GateContext => {
    const target = req.url ?? '/';
    const { path, query } = splitTarget(target);
    return {
      req,
      listener,
      upgrade,
      method: (req.method ?? 'GET').toUpperCase(),
      target,
      path,
      query,
      host: '',
      expectedOrigin: '',
      route: classifyRoute(path),
      nonce,
    };
  };

  // Steps run synchronously until one returns a promise (only the /auth endpoints, which read a body): the rest of
  // the pipeline then continues after it, in the same order. No promise at all for the usual request (issue 21).
  const run = (
    steps: readonly Step[],
    ctx: GateContext,
    from = 0,
  ): Rejection | undefined | Promise<Rejection | undefined> => {
    for (let i = from; i < steps.length; i++) {
      const verdict = steps[i]!(ctx, state);
      if (verdict instanceof Promise) {
        return verdict.then((settled) => (settled.ok ? run(steps, ctx, i + 1) : settled));
      }
      if (!verdict.ok) return verdict;
    }
    return undefined;
  };

  const logLine = (ctx: GateContext, status: number | string, startedAt: number, reason?: string) => {
    const sid = ctx.sidHash ? ` sid=${ctx.sidHash}` : '';
    const why = reason ? ` ${reason}` : '';
    const request = `${ctx.listener} ${ctx.upgrade ? 'UPGRADE' : ctx.method} ${loggablePath(ctx.target)}`;
    logger.info?.(`${request} ${status} ${Date.now() - startedAt}ms${sid}${why}`);
  };

  const checkRequest = (
    req: IncomingMessage,
    res: ServerResponse,
    listener: ListenerKind,
  ): Principal | undefined | Promise<Principal | undefined> => {
    const startedAt = Date.now();
    const nonce = newNonce();
    const ctx = newContext(req, listener, false, nonce);
    const csp = setSecurityHeaders(res, nonce, {
      dev: state.dev,
      listener,
      host: header(req, 'host')?.toLowerCase(),
    });
    let reason: string | undefined;
    let logged = false;
    const finish = () => {
      if (logged) return;
      logged = true;
      logLine(ctx, res.writableFinished ? res.statusCode : 'aborted', startedAt, reason);
    };
    res.once('finish', finish);
    res.once('close', finish);
    if (closed) {
      reason = 'CLOSED';
      respondRejected(ctx, res, reject(503, 'CLOSED'));
      return undefined;
    }
    const failed = (error: unknown): undefined => {
      const id = newNonce().slice(0, 8);
      logger.error?.(`auth: gate error ${id}: ${(error as Error)?.stack ?? String(error)}`);
      reason = `ERROR ${id}`;
      respondRejected(ctx, res, reject(500, 'INTERNAL', { body: { kind: 'json', value: { error: 'INTERNAL', id } } }));
      return undefined;
    };
    const decide = (rejection: Rejection | undefined): Principal | undefined => {
      if (rejection) {
        reason = rejection.reason;
        respondRejected(ctx, res, rejection);
        return undefined;
      }
      const principal = ctx.principal!;
      principals.set(req, principal);
      // Next reads the nonce from the request's CSP header and puts it on its scripts. An API call never reaches
      // Next, and tRPC copies every request header into its fetch Request, so API calls go without (issue 21).
      // A client's own copies never pass, whichever handler answers.
      // Next's hashed build output (`/_next/static/`: a file's name changes with its content) may be kept by this
      // browser (auth.md §3.3: `private, immutable`; never a shared cache): a phone that opens Band again does not
      // fetch every script anew (issue 18). Only to a signed-in request (a refusal keeps no-store), not in dev
      // (Next's dev chunks keep their names), and only on a file found (Next answers a missing one no-store).
      if (ctx.route === 'static' && !state.dev && ctx.path.startsWith('/_next/static/')) {
        res.setHeader('Cache-Control', IMMUTABLE);
      }
      if (ctx.route === 'api') {
        delete req.headers['content-security-policy'];
        delete req.headers['x-nonce'];
      } else {
        req.headers['content-security-policy'] = csp;
        req.headers['x-nonce'] = nonce;
      }
      return principal;
    };
    let verdict: Rejection | undefined | Promise<Rejection | undefined>;
    try {
      verdict = run(requestSteps, ctx);
    } catch (error) {
      return failed(error);
    }
    return verdict instanceof Promise ? verdict.then(decide, failed) : decide(verdict);
  };

  const gate: Gate = {
    async handleRequest(req, res, listener) {
      return checkRequest(req, res, listener);
    },

    checkRequest,

    async handleUpgrade(req, socket, listener) {
      const startedAt = Date.now();
      const ctx = newContext(req, listener, true, '');
      let rejection: Rejection | undefined;
      try {
        rejection = closed ? reject(503, 'CLOSED') : await run(upgradeSteps, ctx);
      } catch (error) {
        logger.error?.(`auth: upgrade gate error: ${(error as Error)?.message ?? String(error)}`);
        rejection = reject(500, 'INTERNAL');
      }
      if (rejection) {
        refuseUpgrade(socket, rejection);
        logLine(ctx, rejection.status, startedAt, rejection.reason);
        return undefined;
      }
      logLine(ctx, 101, startedAt);
      const principal = ctx.principal!;
      principals.set(req, principal);
      return principal;
    },

    principalOf: (req) => principals.get(req),

    trackSocket(principal, socket) {
      // Revoked between the upgrade and now: close at once rather than track a socket nobody will close.
      if (principal.sessionId && !state.sessions.get(principal.sessionId)) {
        closeSocket(socket, 'session revoked');
        return () => {};
      }
      return sockets.track(principal, socket);
    },

    setTunnelHost(host) {
      const next = host ? host.toLowerCase() : null;
      if (next === state.tunnelHost) return;
      state.tunnelHost = next;
      // Stopped (null): every tunnel session goes. A new host: the sessions of every other host go. Sessions bound to
      // this very host stay: a named tunnel's stable hostname, started again after a server restart (its cookies are
      // `__Host-` cookies of that host, in sessions.json like local ones).
      const revoked = state.sessions.removeWhere(
        (s) => s.listener === 'tunnel' && (next === null || s.binding !== next),
      );
      state.pairing.invalidate((e) => e.listener === 'tunnel');
      sockets.close([...revoked, rootSocketKey('tunnel')], next ? 'tunnel host changed' : 'tunnel stopped');
    },

    setLocalPort(port) {
      state.localPort = port;
    },

    createPairingCode(listener): PairingCode {
      if (closed) throw gateClosed();
      if (listener === 'tunnel' && !state.tunnelHost) throw noTunnel();
      const binding = bindingOf(listener, state.localPort, state.tunnelHost);
      const { code, expiresAt } = state.pairing.mint(listener, binding, now());
      // 127.0.0.1, never `localhost`: the name may resolve to [::1], which another local user could hold (issue 16
      // #1), and its cookie jar is the one every localhost dev server can fill (#7). The server always binds it.
      const origin = listener === 'tunnel' ? `https://${state.tunnelHost}` : `http://127.0.0.1:${state.localPort}`;
      return { code, expiresAt, url: `${origin}/pair#c=${code}` };
    },

    listDevices(): Device[] {
      const t = now();
      const stale = state.sessions.removeWhere(
        (s) => s.expiresAt <= t || t - s.lastSeenAt > sessionLifetimes[s.listener].idleMs,
      );
      sockets.close(stale, 'session expired');
      return state.sessions.list().map(({ id, listener, label, createdAt, lastSeenAt, address }) => ({
        id,
        listener,
        label,
        createdAt,
        lastSeenAt,
        ...(address ? { address } : {}),
      }));
    },

    revokeDevice: (id) => state.revoke(id),

    async close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      await state.sessions.close();
    },
  };
  return gate;
}

function resolveTokenSource(options: GateOptions): TokenSource {
  if (options.token !== undefined && options.settings)
    throw new TypeError('createGate: give `token` or `settings`, not both');
  if (options.token !== undefined) return toTokenSource(options.token);
  if (options.settings) return settingsTokenSource(options.settings);
  throw new TypeError(
    'createGate: a token is required (`token`: 64 hex characters or a TokenSource, or `settings` from @band/settings)',
  );
}
