// Pure decisions of the gate (no I/O), tested from tables. Steps turn their answers into verdicts.
import type { ListenerKind } from './types.js';

/** Exactly 64 lowercase hex characters: the only token format (checked before any comparison). */
export const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

/** The Host values the local listener answers to: exact, port-checked. */
export function localHosts(port: number): string[] {
  return [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`];
}

/** The Host allowlist of a listener: the three loopback names locally, only the current tunnel host on the tunnel. */
export function allowedHosts(listener: ListenerKind, localPort: number, tunnelHost: string | null): string[] {
  if (listener === 'local') return localHosts(localPort);
  return tunnelHost ? [tunnelHost.toLowerCase()] : [];
}

/** Exact membership after lowercasing (no trailing-dot, suffix or pattern matching). */
export function isAllowedHost(host: string | undefined, allowed: readonly string[]): boolean {
  if (!host) return false;
  return allowed.includes(host.toLowerCase());
}

/** The only Origin a browser page of this listener can have. */
export function expectedOrigin(listener: ListenerKind, host: string): string {
  return `${listener === 'tunnel' ? 'https' : 'http'}://${host.toLowerCase()}`;
}

/** Exact string equality with the expected origin (case-normalised: browsers lowercase the host anyway). */
export function isExpectedOrigin(origin: string | undefined, expected: string): boolean {
  if (origin === undefined) return false;
  return origin.toLowerCase() === expected;
}

export type BearerParse = { kind: 'absent' } | { kind: 'malformed' } | { kind: 'token'; token: string };

/**
 * `Authorization` → a bearer token. Only the scheme `Bearer` (case-insensitive), exactly one space and a value in the
 * token format. Everything else that is present is malformed (and counts as a failed attempt).
 */
export function parseBearer(header: string | undefined): BearerParse {
  if (header === undefined) return { kind: 'absent' };
  const match = /^bearer ([^\s]+)$/i.exec(header);
  if (!match || !TOKEN_PATTERN.test(match[1]!)) return { kind: 'malformed' };
  return { kind: 'token', token: match[1]! };
}

/** Splits a request target into path and query without resolving it against any host (`//evil` stays a path). */
export function splitTarget(target: string): { path: string; query: string } {
  const q = target.indexOf('?');
  const hash = target.indexOf('#');
  const end = hash === -1 ? target.length : hash;
  if (q === -1 || q > end) return { path: target.slice(0, end), query: '' };
  return { path: target.slice(0, q), query: target.slice(q + 1, end) };
}

/**
 * The Location of the `?token=` redirect: a relative path that starts with exactly one `/` (never `//host` or
 * `/\host`), with every `token` parameter removed and the other parameters kept.
 */
export function locationWithoutToken(target: string): string {
  const { path, query } = splitTarget(target);
  const safePath = `/${path.replace(/^[/\\]+/, '').replace(/\\/g, '%5C')}`;
  const params = new URLSearchParams(query);
  for (const key of [...params.keys()]) if (key === 'token' || key.startsWith('token[')) params.delete(key);
  const rest = params.toString();
  return rest ? `${safePath}?${rest}` : safePath;
}

export type QueryTokenParse = { kind: 'absent' } | { kind: 'ambiguous' } | { kind: 'token'; value: string };

/** `?token=`: exactly one string value (duplicates and `token[]` are ambiguous). */
export function parseQueryToken(query: string): QueryTokenParse {
  if (!query) return { kind: 'absent' };
  const params = new URLSearchParams(query);
  const keys = [...params.keys()].filter((k) => k === 'token' || k.startsWith('token['));
  if (keys.length === 0) return { kind: 'absent' };
  const values = params.getAll('token');
  if (keys.length !== 1 || values.length !== 1) return { kind: 'ambiguous' };
  return { kind: 'token', value: values[0]! };
}

export interface FetchMetadata {
  method: string;
  path: string;
  secFetchDest?: string;
  secFetchMode?: string;
  accept?: string;
}

/** A top-level document navigation (GET/HEAD, fetch metadata says document or is absent), never under /api. */
export function isNavigation(m: FetchMetadata): boolean {
  if (m.method !== 'GET' && m.method !== 'HEAD') return false;
  if (isApiPath(m.path)) return false;
  if (m.secFetchDest !== undefined) return m.secFetchDest === 'document';
  if (m.secFetchMode !== undefined) return m.secFetchMode === 'navigate';
  return true;
}

/** Should a 401 be the HTML sign-in page (a navigation that accepts HTML) or JSON? */
export function wantsHtml(m: FetchMetadata): boolean {
  if (!isNavigation(m)) return false;
  if (m.secFetchDest === 'document') return true;
  return m.accept === undefined || m.accept.includes('text/html') || m.accept.includes('*/*');
}

export function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}

export type RouteClass = 'auth-endpoint' | 'pair-page' | 'api' | 'static' | 'page';

export function classifyRoute(path: string): RouteClass {
  if (path === '/auth' || path.startsWith('/auth/')) return 'auth-endpoint';
  if (path === '/pair') return 'pair-page';
  if (isApiPath(path)) return 'api';
  if (path.startsWith('/_next/')) return 'static';
  return 'page';
}

export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

export interface CrossOriginInput {
  method: string;
  route: RouteClass;
  origin?: string;
  secFetchSite?: string;
  expected: string;
}

export type CrossOriginDecision =
  | { ok: true }
  | { ok: false; reason: 'ORIGIN_MISMATCH' | 'CROSS_SITE' | 'ORIGIN_MISSING' };

/**
 * The cross-origin gate for a cookie-authenticated request. State changes and every API call need same-origin proof
 * (Sec-Fetch-Site `same-origin` when present; Origin exactly equal when present; neither → fail closed). A page
 * navigation GET may come from anywhere (its response is not readable cross-origin).
 */
export function decideCookieCrossOrigin(input: CrossOriginInput): CrossOriginDecision {
  const strict = !SAFE_METHODS.has(input.method) || input.route === 'api' || input.route === 'auth-endpoint';
  if (!strict) return { ok: true };
  if (input.secFetchSite !== undefined && input.secFetchSite !== 'same-origin')
    return { ok: false, reason: 'CROSS_SITE' };
  if (input.origin !== undefined && !isExpectedOrigin(input.origin, input.expected)) {
    return { ok: false, reason: 'ORIGIN_MISMATCH' };
  }
  if (input.secFetchSite === undefined && input.origin === undefined) return { ok: false, reason: 'ORIGIN_MISSING' };
  return { ok: true };
}

/** Bearer requests: no browser page may hold the root token, so a present Origin must still be the expected one. */
export function decideBearerCrossOrigin(origin: string | undefined, expected: string): CrossOriginDecision {
  if (origin === undefined || isExpectedOrigin(origin, expected)) return { ok: true };
  return { ok: false, reason: 'ORIGIN_MISMATCH' };
}

/** Upgrades: a browser always sends Origin, so a cookie upgrade without an exact Origin is refused. */
export function decideUpgradeOrigin(
  credential: 'bearer' | 'cookie',
  origin: string | undefined,
  secFetchSite: string | undefined,
  expected: string,
): CrossOriginDecision {
  if (secFetchSite !== undefined && secFetchSite !== 'same-origin') return { ok: false, reason: 'CROSS_SITE' };
  if (origin === undefined) return credential === 'bearer' ? { ok: true } : { ok: false, reason: 'ORIGIN_MISSING' };
  return isExpectedOrigin(origin, expected) ? { ok: true } : { ok: false, reason: 'ORIGIN_MISMATCH' };
}

const UPGRADE_PATHS: readonly RegExp[] = [
  /^\/api\/trpc-ws$/,
  /^\/api\/terminals\/[A-Za-z0-9_-]{1,128}$/,
  /^\/api\/lsp\/[A-Za-z0-9_-]{1,128}\/[A-Za-z0-9_+.-]{1,64}$/,
];
const DEV_UPGRADE_PATHS: readonly RegExp[] = [/^\/_next\/hmr$/, /^\/_next\/webpack-hmr$/];

/** The upgrade path allowlist (the query string is not part of the decision). */
export function isAllowedUpgradePath(path: string, dev = false): boolean {
  if (path.includes('..')) return false;
  if (UPGRADE_PATHS.some((re) => re.test(path))) return true;
  return dev && DEV_UPGRADE_PATHS.some((re) => re.test(path));
}

/** `application/json` with optional parameters (charset). */
export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  return value.split(';')[0]!.trim().toLowerCase() === 'application/json';
}

/** Request headers that only Band (or a trusted proxy) may set; stripped before anything downstream reads them. */
export function isUntrustedHeader(name: string, listener: ListenerKind): boolean {
  const n = name.toLowerCase();
  if (n.startsWith('x-middleware-') || n === 'x-invoke-path' || n === 'x-invoke-query' || n === 'x-invoke-output')
    return true;
  if (n === 'x-nonce' || n === 'content-security-policy') return true;
  if (n.startsWith('x-forwarded-') || n === 'forwarded' || n === 'x-real-ip') return true;
  if (n.startsWith('cf-')) return listener === 'local' || n !== 'cf-connecting-ip';
  return false;
}

/** A short, non-identifying user-agent summary for the devices list ("Chrome on Android"). */
export function summarizeUserAgent(ua: string | undefined): string {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : /^curl\//.test(ua)
            ? 'curl'
            : 'Browser';
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad|iPod/.test(ua)
      ? 'iOS'
      : /Mac OS X|Macintosh/.test(ua)
        ? 'macOS'
        : /Windows/.test(ua)
          ? 'Windows'
          : /Linux/.test(ua)
            ? 'Linux'
            : undefined;
  return os ? `${browser} on ${os}` : browser;
}

/** A path that is safe to log: no query, no fragment, no control characters, bounded length. */
export function loggablePath(target: string | undefined): string {
  const { path } = splitTarget(target ?? '/');
  // Long hex runs are redacted in case someone typed a token into the path.
  const clean = path.replace(/[^\x21-\x7e]/g, '?').replace(/[0-9a-fA-F]{32,}/g, '[hex]');
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean || '/';
}
