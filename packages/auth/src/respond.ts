// How the gate answers: the security headers of every response, a refusal as a page, JSON or nothing (auth.md §3.3),
// and the status line of a refused upgrade. The steps decide; only these functions write.
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type GateContext, type Rejection, header } from './internal/context.js';
import { wantsHtml } from './policy.js';
import { contentSecurityPolicy, securityHeaders } from './security-headers.js';
import { signInPage } from './sign-in-page.js';
import type { ListenerKind } from './types.js';

/** Sets the security headers (CSP with this request's nonce included) on `res`; returns the CSP. */
export function setSecurityHeaders(
  res: ServerResponse,
  nonce: string,
  options: { dev: boolean; listener: ListenerKind; host: string | undefined },
): string {
  const csp = contentSecurityPolicy(nonce, options);
  for (const [name, value] of Object.entries(securityHeaders(csp, options.listener))) res.setHeader(name, value);
  return csp;
}

/**
 * Writes a refusal (or an answer the gate gives itself). Without a body of its own, a 401 or 429 is the sign-in page
 * for a browser navigation, anything else JSON `{ error: <reason>, message }`.
 */
export function respondRejected(ctx: GateContext, res: ServerResponse, r: Rejection): void {
  for (const [name, value] of Object.entries(r.headers ?? {})) res.setHeader(name, value);
  let body = r.body;
  if (!body) {
    const html =
      (r.status === 401 || r.status === 429) &&
      wantsHtml({
        method: ctx.method,
        path: ctx.path,
        secFetchDest: header(ctx.req, 'sec-fetch-dest'),
        secFetchMode: header(ctx.req, 'sec-fetch-mode'),
        accept: header(ctx.req, 'accept'),
      });
    body = html
      ? {
          kind: 'html',
          html: signInPage({
            nonce: ctx.nonce,
            pair: false,
            bounce: header(ctx.req, 'sec-fetch-site') === 'cross-site',
            message: r.status === 429 ? 'Too many failed attempts. Wait a moment and try again.' : undefined,
          }),
        }
      : { kind: 'json', value: { error: r.reason, message: STATUS_CODES[r.status] ?? 'Error' } };
  }
  if (r.status >= 400 && !res.hasHeader('Connection') && ctx.method !== 'GET' && ctx.method !== 'HEAD') {
    res.setHeader('Connection', 'close'); // the body may be unread
  }
  res.statusCode = r.status;
  if (body.kind === 'empty') {
    res.setHeader('Content-Length', '0');
    res.end();
  } else {
    const text = body.kind === 'html' ? body.html : JSON.stringify(body.value);
    res.setHeader(
      'Content-Type',
      body.kind === 'html' ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
    );
    res.setHeader('Content-Length', String(Buffer.byteLength(text)));
    res.end(ctx.method === 'HEAD' ? undefined : text);
  }
}

/** Refuses an upgrade before any 101: a bare status line (with Retry-After, if any), then the socket is destroyed. */
export function refuseUpgrade(socket: Duplex, rejection: Rejection): void {
  const extra = Object.entries(rejection.headers ?? {})
    .filter(([name]) => name === 'Retry-After')
    .map(([name, value]) => `${name}: ${String(value)}\r\n`)
    .join('');
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${rejection.status} ${STATUS_CODES[rejection.status] ?? 'Error'}\r\n` +
        `Connection: close\r\nContent-Length: 0\r\n${extra}\r\n`,
    );
  }
  socket.destroy();
}
