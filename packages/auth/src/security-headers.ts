// Headers on every response (auth.md §3.3). Never any Access-Control-Allow-*.
import { randomFillSync } from 'node:crypto';
import type { ListenerKind } from './types.js';

// Nonces are cut from a pool of random bytes, refilled every 256 nonces, as crypto.randomUUID does: one call into
// the CSPRNG per request was a tenth of the gate's cost (issue 21). Every byte is from the CSPRNG and used once.
const NONCE_BYTES = 16;
const noncePool = Buffer.alloc(NONCE_BYTES * 256);
let noncePoolOffset = noncePool.length;

/** 16 random bytes, base64: a CSP nonce, fresh for each request. */
export function newNonce(): string {
  if (noncePoolOffset >= noncePool.length) {
    randomFillSync(noncePool);
    noncePoolOffset = 0;
  }
  const nonce = noncePool.toString('base64', noncePoolOffset, noncePoolOffset + NONCE_BYTES);
  noncePoolOffset += NONCE_BYTES;
  return nonce;
}

/** The CSP with a per-request nonce. `dev` adds 'unsafe-eval' (Next dev needs it). */
export function contentSecurityPolicy(
  nonce: string,
  options: { dev?: boolean; listener: ListenerKind; host?: string },
): string {
  const wsOrigin = options.host ? ` ${options.listener === 'tunnel' ? 'wss' : 'ws'}://${options.host}` : '';
  return [
    `default-src 'self'`,
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${options.dev ? ` 'unsafe-eval'` : ''}`,
    `style-src 'self' 'unsafe-inline'`,
    `img-src 'self' data: blob:`,
    `font-src 'self' data:`,
    `connect-src 'self'${wsOrigin}`,
    `frame-ancestors 'none'`,
    `base-uri 'none'`,
    `form-action 'self'`,
    `object-src 'none'`,
  ].join('; ');
}

export function securityHeaders(csp: string, listener: ListenerKind): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Security-Policy': csp,
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
    Vary: 'Origin, Sec-Fetch-Site, Cookie',
    'Cache-Control': 'no-store',
  };
  if (listener === 'tunnel') headers['Strict-Transport-Security'] = 'max-age=86400';
  return headers;
}
