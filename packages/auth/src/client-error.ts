// What a listener answers when Node's HTTP parser refuses a request before the gate can see it ('clientError').
// Node's own answer to oversized headers is a bare 431 with no body. A page on any `localhost` port can set ~25
// cookies of 4 KB for `localhost` (cookies ignore ports), and from then on every request the browser makes to Band
// is over Node's 16 KiB header limit: the owner is locked out with a blank page (issue 16 #7, cookie bombing).
// So a 431 gets a page that says why and how to get in; everything else keeps Node's defaults.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { PAGE_THEME } from './sign-in-page.js';
import type { ListenerKind } from './types.js';

export interface ClientErrorOptions {
  listener: ListenerKind;
  /**
   * The local listener's origins the browser can use, in order of preference, e.g. `http://127.0.0.1:3456`,
   * `http://[::1]:3456`, `http://localhost:3456`. Each host name has its own cookie jar. Not used on the tunnel.
   */
  localOrigins: () => readonly string[];
  logger?: { warn?(message: string): void };
  /** How long the socket may keep draining the rest of the oversized request before it is destroyed. @default 2_000 */
  lingerMs?: number;
}

type ClientError = Error & { code?: string; rawPacket?: Buffer };

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The Host header of a request whose headers were too large, when it is in the first bytes and one of `origins`'. */
export function hostOfOversizedRequest(rawPacket: Buffer | undefined, origins: readonly string[]): string | undefined {
  if (!rawPacket) return undefined;
  const head = rawPacket.subarray(0, 16 * 1024).toString('latin1');
  const match = /\r\nhost:[ \t]*([^\r\n]{1,300})\r\n/i.exec(head);
  const host = match?.[1]?.trim().toLowerCase();
  // Only a host we serve is ever reflected (never attacker-chosen text).
  return origins.map((o) => new URL(o).host).find((h) => h === host);
}

/**
 * The page for a 431 on the local listener: the cookie jar of `host` is full; the other origins (another host name,
 * another jar) and `band open` get the owner in, and clearing that site's cookies fixes it for good.
 */
export function headerOverflowPage(o: { listener: ListenerKind; host?: string; origins: readonly string[] }): string {
  const hostname = o.host ? o.host.replace(/:\d+$/, '') : undefined;
  const others = o.origins.filter((origin) => new URL(origin).host !== o.host);
  const items =
    o.listener === 'tunnel'
      ? [
          "Clear this site's cookies in your browser (site settings → cookies and site data), then reload.",
          'Then scan a fresh QR code in <b>Mobile Access</b> on your computer.',
        ]
      : [
          ...others.map(
            (origin) =>
              `Open <a href="${escapeHtml(origin)}/" data-testid="other-origin">${escapeHtml(origin)}</a>: ` +
              `another host name, with its own cookies. Sign in there with your token.`,
          ),
          ...(o.origins[0] && o.origins[0] !== `http://${o.host}`
            ? [`Or run <code>band open</code> in a terminal: it opens ${escapeHtml(o.origins[0])}, signed in.`]
            : []),
          `Clear the cookies of <b>${escapeHtml(hostname ?? 'localhost')}</b> in your browser (Chrome: ` +
            `Settings → Privacy and security → Third-party cookies → See all site data and permissions, ` +
            `search for it, delete; Firefox: Settings → Privacy &amp; ` +
            `Security → Cookies and Site Data → Manage Data), then reload.`,
        ];
  return `<!doctype html>
<html lang="en" data-testid="header-overflow-page"><head><meta charset="utf-8"><meta name="viewport" \
content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>Band · Too many cookies</title>
<style>
${PAGE_THEME}
body{font:16px/1.5 system-ui,sans-serif;background:var(--bg);color:var(--fg);display:grid;place-items:center;\
min-height:100vh;margin:0}
main{box-sizing:border-box;width:min(92vw,560px);padding:28px;border:1px solid var(--border);border-radius:12px;\
background:var(--bg-elevated)}
h1{font-size:20px;margin:0 0 8px}p,li{color:var(--fg-muted);font-size:14px}a{color:var(--accent)}code{font:13px \
ui-monospace,monospace}
</style></head><body><main>
<h1>Band can't read this request: too many cookies</h1>
<p>Your browser sent Band more cookie data than it accepts (HTTP 431). Cookies are shared by every port of a host \
name, so
another page on ${escapeHtml(hostname ?? 'this host')} (any port, e.g. a dev server) can set enough of them to lock \
you out. Band's own
cookie is small; nothing was signed in or changed.</p>
<p>To get in:</p>
<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>
</main></body></html>`;
}

/**
 * A `clientError` listener for one of Band's HTTP servers. Oversized headers (HPE_HEADER_OVERFLOW) get the 431 page
 * above; the other parser errors get Node's own answers (400, 408 on a header timeout, 413). It answers once per
 * socket (Node reports every further chunk of the same request again), lets the rest of the request drain so the
 * answer is not lost to a TCP reset, then destroys the socket. Never logs header contents.
 */
export function createClientErrorHandler(options: ClientErrorOptions): (error: Error, socket: Duplex) => void {
  const answered = new WeakSet<Duplex>();
  const lingerMs = options.lingerMs ?? 2_000;
  return (error, socket) => {
    if (answered.has(socket)) return;
    answered.add(socket);
    const err = error as ClientError;
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    let status = 400;
    if (err.code === 'HPE_HEADER_OVERFLOW') status = 431;
    else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') status = 408;
    else if (err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') status = 413;
    let body = '';
    let type = '';
    if (status === 431) {
      const origins = options.listener === 'local' ? options.localOrigins() : [];
      const host = hostOfOversizedRequest(err.rawPacket, origins);
      body = headerOverflowPage({ listener: options.listener, host, origins });
      type = 'text/html; charset=utf-8';
      options.logger?.warn?.(
        `${options.listener}: request headers too large (431${host ? `, Host ${host}` : ''}); ` +
          `answered with the cookie help page`,
      );
    }
    const headers = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
      'Connection: close',
      `Content-Length: ${Buffer.byteLength(body)}`,
      ...(body
        ? [
            `Content-Type: ${type}`,
            "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; " +
              "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            'Referrer-Policy: no-referrer',
            'X-Content-Type-Options: nosniff',
            'X-Frame-Options: DENY',
            'Cache-Control: no-store',
            ...(options.listener === 'tunnel' ? ['Strict-Transport-Security: max-age=86400'] : []),
          ]
        : []),
    ];
    socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
    const timer = setTimeout(() => socket.destroy(), lingerMs);
    timer.unref?.();
    socket.once('close', () => clearTimeout(timer));
  };
}
