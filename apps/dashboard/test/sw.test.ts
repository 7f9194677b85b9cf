// public/sw.js, run in a VM with the service worker globals it uses: which requests it answers (only page
// navigations, never the API), when it shows the offline page, that it stores nothing, and where a notification
// tap leads. The browser half (installed worker, real tunnel stop) is test/ui/installable.test.ts.
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';

const SOURCE = readFileSync(new URL('../public/sw.js', import.meta.url), 'utf8');
const ORIGIN = 'https://band.example.test';

type Listener = (event: Record<string, unknown>) => void;

interface FakeClient {
  url: string;
  focus(): Promise<FakeClient>;
  postMessage(message: unknown): void;
  messages: unknown[];
}

function loadWorker(network: (request: Request) => Promise<Response>, windows: FakeClient[] = []) {
  const listeners = new Map<string, Listener>();
  const fetched: string[] = [];
  const opened: string[] = [];
  const cachesTouched: string[] = [];
  const self = {
    location: new URL(`${ORIGIN}/sw.js`),
    registration: { navigationPreload: { enable: async () => {} } },
    clients: {
      claim: async () => {},
      matchAll: async () => windows,
      openWindow: async (url: string) => {
        opened.push(url);
        return null;
      },
    },
    addEventListener: (type: string, listener: Listener) => listeners.set(type, listener),
    skipWaiting: () => {},
  };
  // Any use of Cache Storage is recorded (and would be a failure).
  const caches = new Proxy({}, { get: (_t, key) => () => cachesTouched.push(String(key)) });
  runInNewContext(SOURCE, {
    self,
    caches,
    URL,
    Response,
    Request,
    Promise,
    fetch: (request: Request) => {
      fetched.push(request.url);
      return network(request);
    },
  });

  /** Dispatches a fetch event; resolves to the worker's response, or undefined when it let the request through. */
  const dispatchFetch = async (
    url: string,
    init: { mode?: string; method?: string; preload?: Promise<Response | undefined> } = {},
  ) => {
    let answered: Promise<Response> | undefined;
    const request = { url, mode: init.mode ?? 'navigate', method: init.method ?? 'GET' } as unknown as Request;
    listeners.get('fetch')!({
      request,
      preloadResponse: init.preload ?? Promise.resolve(undefined),
      respondWith: (response: Promise<Response>) => {
        answered = response;
      },
    });
    return answered ? await answered : undefined;
  };
  const clickNotification = async (data: unknown) => {
    let done: Promise<unknown> = Promise.resolve();
    let closed = false;
    listeners.get('notificationclick')!({
      notification: { data, close: () => (closed = true) },
      waitUntil: (p: Promise<unknown>) => (done = p),
    });
    await done;
    return closed;
  };
  return { dispatchFetch, clickNotification, fetched, opened, cachesTouched };
}

const bandPage = () =>
  new Response('<h1>Band</h1>', { status: 200, headers: { 'content-security-policy': "default-src 'self'" } });

describe('the service worker', () => {
  it("passes Band's own pages through, from the navigation preload when there is one", async () => {
    const worker = loadWorker(async () => bandPage());
    const viaFetch = await worker.dispatchFetch(`${ORIGIN}/w/ws_1`);
    expect(viaFetch?.status).toBe(200);
    expect(await viaFetch?.text()).toBe('<h1>Band</h1>');
    const viaPreload = await worker.dispatchFetch(`${ORIGIN}/settings`, { preload: Promise.resolve(bandPage()) });
    expect(await viaPreload?.text()).toBe('<h1>Band</h1>');
    expect(worker.fetched).toEqual([`${ORIGIN}/w/ws_1`]);
    // Band's own error (it carries Band's CSP) is Band's to show, even a 502.
    const bandError = loadWorker(
      async () => new Response('broken', { status: 502, headers: { 'content-security-policy': "default-src 'self'" } }),
    );
    expect(await (await bandError.dispatchFetch(`${ORIGIN}/`))?.text()).toBe('broken');
  });

  it('never answers the API, scripts, images or another origin, and never touches Cache Storage', async () => {
    const worker = loadWorker(async () => bandPage());
    expect(await worker.dispatchFetch(`${ORIGIN}/api/trpc/health`)).toBeUndefined();
    expect(await worker.dispatchFetch(`${ORIGIN}/api`)).toBeUndefined();
    expect(await worker.dispatchFetch(`${ORIGIN}/api/trpc/chats.list?batch=1`, { mode: 'cors' })).toBeUndefined();
    expect(await worker.dispatchFetch(`${ORIGIN}/_next/static/chunks/app.js`, { mode: 'no-cors' })).toBeUndefined();
    expect(await worker.dispatchFetch(`${ORIGIN}/auth/logout`, { method: 'POST' })).toBeUndefined();
    expect(await worker.dispatchFetch('https://elsewhere.example/')).toBeUndefined();
    expect(worker.fetched).toEqual([]);
    await worker.dispatchFetch(`${ORIGIN}/?token=${'a'.repeat(64)}`);
    expect(worker.cachesTouched).toEqual([]);
  });

  it(
    'answers a navigation that cannot reach Band with the ' + "offline page: a network error or the edge's 530/502/504",
    async () => {
      const failing = [
        ['network', () => Promise.reject(new TypeError('Failed to fetch'))],
        ['530', async () => new Response('Cloudflare Tunnel error', { status: 530 })],
        ['502', async () => new Response('Bad gateway', { status: 502 })],
        ['504', async () => new Response('Gateway timeout', { status: 504 })],
      ] as const;
      for (const [cause, network] of failing) {
        const response = await loadWorker(network).dispatchFetch(`${ORIGIN}/w/ws_1?pane=files`);
        expect(response?.status, cause).toBe(503);
        expect(response?.headers.get('cache-control')).toBe('no-store');
        expect(response?.headers.get('content-security-policy')).toContain("default-src 'none'");
        const html = await response!.text();
        expect(html).toContain('<h1>Band is not reachable</h1>');
        expect(html).toContain(`data-cause="${cause}"`);
        expect(html).toContain('href="/w/ws_1?pane=files"');
        expect(html).not.toContain('Cloudflare');
      }
      // A failed navigation preload is the same as a network error.
      const preloadFailed = await loadWorker(async () => bandPage()).dispatchFetch(`${ORIGIN}/`, {
        preload: Promise.reject(new TypeError('offline')),
      });
      expect(preloadFailed?.status).toBe(503);
    },
  );

  it("the offline page's Retry drops a sign-in token and escapes the URL", async () => {
    const worker = loadWorker(() => Promise.reject(new TypeError('offline')));
    const html = await (await worker.dispatchFetch(`${ORIGIN}/w/a"b<c>?token=${'f'.repeat(64)}&pane=chat`))!.text();
    expect(html).not.toContain('f'.repeat(64));
    expect(html).toContain('href="/w/a%22b%3Cc%3E?pane=chat"');
  });

  it('a notification tap focuses an open Band window and routes it to the workspace, or opens one', async () => {
    const client: FakeClient = {
      url: `${ORIGIN}/`,
      messages: [],
      focus: async () => client,
      postMessage: (message) => client.messages.push(message),
    };
    const withWindow = loadWorker(async () => bandPage(), [client]);
    expect(await withWindow.clickNotification({ workspaceId: 'ws_abc' })).toBe(true);
    expect(client.messages).toEqual([{ type: 'band:open', path: '/w/ws_abc' }]);
    expect(withWindow.opened).toEqual([]);

    const noWindow = loadWorker(async () => bandPage());
    await noWindow.clickNotification({ workspaceId: 'ws_abc' });
    await noWindow.clickNotification({ workspaceId: '../../evil' });
    await noWindow.clickNotification(null);
    expect(noWindow.opened).toEqual([`${ORIGIN}/w/ws_abc`, `${ORIGIN}/w/..%2F..%2Fevil`, `${ORIGIN}/`]);
  });
});
