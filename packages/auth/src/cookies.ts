// Cookie header parsing (never throws) and Set-Cookie serialisation for the session cookie.
import type { ListenerKind } from './types.js';

/** Every value sent for `name` (a second app on localhost may have tossed in another cookie of the same name). */
export function cookieValues(header: string | undefined, name: string): string[] {
  if (!header || header.length > 16_384) return [];
  const values: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    values.push(value);
  }
  return values;
}

/** `__Host-band_sess` on the tunnel (HTTPS at the edge), `band_sess_<port>` on the local listener. */
export function sessionCookieName(listener: ListenerKind, localPort: number): string {
  return listener === 'tunnel' ? '__Host-band_sess' : `band_sess_${localPort}`;
}

export function serializeSessionCookie(listener: ListenerKind, name: string, value: string, maxAgeSec: number): string {
  const parts = [
    `${name}=${value}`,
    'Path=/',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSec))}`,
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (listener === 'tunnel') parts.push('Secure');
  return parts.join('; ');
}

export function clearSessionCookie(listener: ListenerKind, name: string): string {
  return serializeSessionCookie(listener, name, '', 0);
}
