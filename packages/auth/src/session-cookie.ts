// The session cookie value: `v1.<sid>.<expiry>.<mac>`, a signed handle (never the token).
import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ListenerKind } from './types.js';

/** `K_cookie = HKDF-SHA256(tokenSecret, info="band/cookie/v1")`: a new token invalidates every cookie. */
export function deriveCookieKey(tokenSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(tokenSecret, 'utf8'), Buffer.alloc(0), 'band/cookie/v1', 32));
}

/** A 128-bit session id, base64url. */
export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

/** Registry id of a session (the sid itself is never stored): 32 hex of sha256(sid). The first 8 are the log hash. */
export function sessionIdHash(sid: string): string {
  return createHash('sha256').update(sid).digest('hex').slice(0, 32);
}

function mac(key: Buffer, sid: string, expiry: number, listener: ListenerKind, binding: string): Buffer {
  return createHmac('sha256', key).update(`v1\n${sid}\n${expiry}\n${listener}\n${binding}`).digest();
}

export function signSessionCookie(
  key: Buffer,
  sid: string,
  expiry: number,
  listener: ListenerKind,
  binding: string,
): string {
  return `v1.${sid}.${expiry}.${mac(key, sid, expiry, listener, binding).toString('base64url')}`;
}

/** Returns the sid when the MAC is valid for this listener and binding and the absolute expiry has not passed. */
export function verifySessionCookie(
  key: Buffer,
  value: string,
  listener: ListenerKind,
  binding: string,
  now: number,
): { sid: string; expiry: number } | undefined {
  if (value.length > 200) return undefined;
  const parts = value.split('.');
  if (parts.length !== 4 || parts[0] !== 'v1') return undefined;
  const [, sid, expiryText, macText] = parts as [string, string, string, string];
  if (!/^[A-Za-z0-9_-]{22}$/.test(sid) || !/^\d{1,15}$/.test(expiryText) || !/^[A-Za-z0-9_-]{43}$/.test(macText)) {
    return undefined;
  }
  const expiry = Number(expiryText);
  const presented = Buffer.from(macText, 'base64url');
  const wanted = mac(key, sid, expiry, listener, binding);
  if (presented.length !== wanted.length || !timingSafeEqual(presented, wanted)) return undefined;
  if (expiry <= now) return undefined;
  return { sid, expiry };
}
