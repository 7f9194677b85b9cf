import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderErrorPage, type ErrorPageContent } from './error-page.js';

/**
 * The page the window shows while the server starts. Opening the window at once, in parallel with the server,
 * hides the browser's own start-up time (seconds on a busy machine) behind the server's.
 */
export interface LaunchPage extends AsyncDisposable {
  /** `http://127.0.0.1:<port>/<secret>/`: what the window opens first. */
  readonly url: string;
  /** Sends the window on to the dashboard's one-time sign-in link. The link is handed out once. */
  proceed(signInUrl: string): void;
  /** Shows what failed and how to fix it, in the same window. */
  fail(content: ErrorPageContent): void;
  /** Resolves once the page has taken the hand-over (`proceed`) or the error (`fail`). */
  readonly delivered: Promise<void>;
  close(): Promise<void>;
}

type State =
  | { kind: 'starting' }
  | { kind: 'proceed'; url: string }
  | { kind: 'failed'; content: ErrorPageContent }
  | { kind: 'handed-over' };

function renderLoadingPage(scriptNonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<title>Starting Band…</title>
<style>
  :root { color-scheme: light dark; --bg: #f6f7f9; --fg: #111827; --muted: #4b5563; --accent: #1d4ed8; }
  @media (prefers-color-scheme: dark) { :root { --bg: #0b0d12; --fg: #e6e8ee; --muted: #9aa3b2; --accent: #60a5fa; } }
  html, body { height: 100%; margin: 0; }
  body { display: grid; place-items: center; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; \
background: var(--bg); color: var(--fg); }
  .box { text-align: center; }
  .spinner { width: 28px; height: 28px; margin: 0 auto 16px; border-radius: 50%; border: 3px solid color-mix(in srgb, \
var(--accent) 25%, transparent); border-top-color: var(--accent); animation: spin .9s linear infinite; }
  p { color: var(--muted); margin: 4px 0 0; }
  @keyframes spin { to { transform: rotate(1turn); } }
  @media (prefers-reduced-motion: reduce) { .spinner { animation: none; } }
</style>
</head>
<body>
<div class="box" data-testid="launch-page"><div class="spinner"></div><strong>Starting Band…</strong><p>The server is \
starting; this window signs in by itself.</p></div>
<script nonce="${scriptNonce}">
(async () => {
  for (let i = 0; i < 1000; i++) {
    let next;
    try {
      next = await (await fetch('next', { cache: 'no-store' })).json();
    } catch {
      return; // the app is quitting
    }
    if (next.url) return location.replace(next.url);
    if (next.failed) return location.replace('error');
    if (next.gone) return;
  }
})();
</script>
</body>
</html>
`;
}

/** Starts the launch page on a loopback port. Paths carry a random secret so no other local page can poll it. */
export async function startLaunchPage(
  options: {
    /** How long one poll waits for news. @default 20000 */
    pollMs?: number;
    /** Called when a poll starts waiting for news (lets tests wait for the poll instead of sleeping). */
    onPollWaiting?: () => void;
  } = {},
): Promise<LaunchPage> {
  const pollMs = options.pollMs ?? 20_000;
  const secret = randomBytes(16).toString('hex');
  const scriptNonce = randomBytes(16).toString('base64');
  let state: State = { kind: 'starting' };
  let errorContent: ErrorPageContent | undefined;
  // Polls waiting for news, each with its response (close() waits until each answer is written).
  const waiters = new Map<() => void, ServerResponse>();
  let markDelivered!: () => void;
  const delivered = new Promise<void>((resolve) => (markDelivered = resolve));
  const wake = () => {
    for (const waiter of [...waiters.keys()]) waiter();
  };

  const send = (res: ServerResponse, status: number, type: string, body: string, csp?: string) => {
    res.statusCode = status;
    res.setHeader('content-type', type);
    res.setHeader('cache-control', 'no-store');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('x-frame-options', 'DENY');
    if (csp) res.setHeader('content-security-policy', csp);
    res.end(body);
  };

  const answerNext = (res: ServerResponse) => {
    if (state.kind === 'proceed') {
      const url = state.url;
      // Served once: whoever polls afterwards (a second tab, another local program) gets nothing.
      state = { kind: 'handed-over' };
      markDelivered();
      return send(res, 200, 'application/json', JSON.stringify({ url }));
    }
    if (state.kind === 'failed') {
      markDelivered();
      return send(res, 200, 'application/json', JSON.stringify({ failed: true }));
    }
    if (state.kind === 'handed-over') return send(res, 410, 'application/json', JSON.stringify({ gone: true }));
    return send(res, 200, 'application/json', JSON.stringify({ pending: true }));
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const port = (server.address() as AddressInfo).port;
    // DNS rebinding: only our own loopback origin, never a name that happens to resolve to 127.0.0.1.
    if (req.headers.host !== `127.0.0.1:${port}` || req.method !== 'GET')
      return send(res, 403, 'text/plain', 'Forbidden');
    const path = (req.url ?? '').split('?')[0];
    if (path === `/${secret}/`) {
      return send(
        res,
        200,
        'text/html; charset=utf-8',
        renderLoadingPage(scriptNonce),
        `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${scriptNonce}'; connect-src ` +
          `'self'; frame-ancestors 'none'`,
      );
    }
    if (path === `/${secret}/next`) {
      if (state.kind !== 'starting') return answerNext(res);
      // Long poll: answer as soon as there is news, or "pending" after pollMs.
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (!res.writableEnded) answerNext(res);
      };
      const timer = setTimeout(done, pollMs);
      waiters.set(done, res);
      res.on('close', () => {
        clearTimeout(timer);
        waiters.delete(done);
      });
      options.onPollWaiting?.();
      return;
    }
    if (path === `/${secret}/error` && errorContent) {
      return send(
        res,
        200,
        'text/html; charset=utf-8',
        renderErrorPage(errorContent),
        `default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'`,
      );
    }
    return send(res, 404, 'text/plain', 'Not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // Polls in flight get their answer ("pending"), fully written before their connection is cut.
      const answers = [...waiters.values()].map((res) => new Promise<void>((resolve) => res.once('close', resolve)));
      wake();
      await Promise.all(answers);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Every other connection too, idle or half-way through a request: server.close() alone waits for them.
        server.closeAllConnections();
      });
    })();
    return closing;
  };
  return {
    url: `http://127.0.0.1:${port}/${secret}/`,
    delivered,
    proceed(signInUrl) {
      if (state.kind !== 'starting') return;
      state = { kind: 'proceed', url: signInUrl };
      wake();
    },
    fail(content) {
      if (state.kind !== 'starting') return;
      errorContent = content;
      state = { kind: 'failed', content };
      wake();
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
