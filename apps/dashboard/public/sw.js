// Band's service worker. It does two things and caches nothing:
// 1. A page navigation that cannot reach Band (the tunnel is stopped, the computer sleeps, the phone is offline:
//    a network error or Cloudflare's 502/504/52x/530 error page) gets an offline page with Retry, built here.
//    Every other request (API, WebSocket, scripts, icons) never passes through this worker, and no response is
//    ever stored: there is no Cache Storage, so nothing from the API and nothing with a token can be kept.
// 2. Tapping an "agent needs attention" notification opens that workspace.
'use strict';

/**
 * Statuses Cloudflare's edge (or cloudflared) answers with when the origin is not there (error 1033 is a 530).
 * Band's own answers always carry its Content-Security-Policy; the edge's error pages never do.
 */
const EDGE_DOWN = new Set([502, 504, 520, 521, 522, 523, 524, 525, 526, 527, 530]);

self.addEventListener('install', () => {
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  // Navigation preload: the browser sends the navigation itself, with a navigation's headers (the gate answers
  // it with the sign-in page, not JSON, when the session is gone), while the worker starts.
  event.waitUntil(Promise.all([self.registration.navigationPreload?.enable(), self.clients.claim()]));
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.mode !== 'navigate' || request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname === '/api' || url.pathname.startsWith('/api/')) return;
  event.respondWith(navigate(request, event.preloadResponse));
});

async function navigate(request, preloadResponse) {
  let response;
  try {
    response = (await preloadResponse) ?? (await fetch(request));
  } catch {
    return offlinePage(request.url, 'network');
  }
  if (EDGE_DOWN.has(response.status) && !response.headers.has('content-security-policy'))
    return offlinePage(request.url, String(response.status));
  return response;
}

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function offlinePage(target, cause) {
  // The page's own URL without any `token` parameter (a sign-in link must not be kept in the page).
  const url = new URL(target);
  url.searchParams.delete('token');
  const retry = escapeHtml(`${url.pathname}${url.search}`);
  const html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="theme-color" content="#12151a">
<title>Band is not reachable</title>
<style>
:root{color-scheme:dark light;--bg:#0b0d10;--fg:#eef1f5;--muted:#9aa4b2;--accent:#7aa2ff;--accent-fg:#0b0d10}
@media (prefers-color-scheme: light){:root{--bg:#fff;--fg:#0b0d10;--muted:#4a5361;--accent:#1d4ed8;--accent-fg:#fff}}
html,body{margin:0;height:100%;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",\
Roboto,sans-serif}
main{box-sizing:border-box;min-height:100%;display:flex;flex-direction:column;align-items:center;\
justify-content:center;gap:16px;padding:24px;text-align:center}
h1{font-size:1.375rem;margin:0}
p{margin:0;max-width:32rem;color:var(--muted)}
a.retry{display:inline-flex;align-items:center;justify-content:center;min-height:44px;min-width:44px;padding:0 24px;\
border-radius:10px;background:var(--accent);color:var(--accent-fg);font-weight:600;text-decoration:none}
a.retry:focus-visible{outline:3px solid var(--fg);outline-offset:2px}
</style></head>
<body><main data-testid="offline-page" data-cause="${escapeHtml(cause)}">
<svg viewBox="0 0 24 24" width="48" height="48" aria-hidden="true"><rect x="2" y="2" width="20" height="20" rx="6" \
fill="#7aa2ff"/><path d="M7 8h10M7 12h10M7 16h6" stroke="#0b0d10" stroke-width="2.2" stroke-linecap="round"/></svg>
<h1>Band is not reachable</h1>
<p>The computer running Band may be asleep, or its tunnel is stopped. Wake it, or start Mobile Access again
(<code>band tunnel start</code>), then retry.</p>
<a class="retry" href="${retry}" data-testid="offline-retry">Retry</a>
</main></body></html>`;
  return new Response(html, {
    status: 503,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Security-Policy':
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      'Referrer-Policy': 'no-referrer',
    },
  });
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const workspaceId = event.notification.data?.workspaceId;
  const path =
    typeof workspaceId === 'string' && workspaceId.length > 0 && workspaceId.length <= 200
      ? `/w/${encodeURIComponent(workspaceId)}`
      : '/';
  event.waitUntil(openPath(path));
});

async function openPath(path) {
  const target = new URL(path, self.location.origin).href;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const client of windows) {
    if (new URL(client.url).origin !== self.location.origin) continue;
    const focused = await client.focus();
    // Tell the page to route itself (no reload, the socket stays); navigate() is the fallback.
    client.postMessage({ type: 'band:open', path });
    return focused;
  }
  return self.clients.openWindow(target);
}
