// Issue 19: the phone app. Through a named tunnel on the fake Cloudflare edge, a phone signs in, the manifest and
// service worker make Band installable, and when Band cannot be reached (the server is down as when the computer
// sleeps, or the tunnel is stopped) the app shows the service worker's offline page with Retry instead of
// Cloudflare's error page, and recovers once Band is back. Nothing is ever cached: no API response, no token.
// Then "needs attention" in the background: a notification that names the workspace, and the count in the title.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fakeAgentEnv, fakeAgentPath } from '@band/agents/testing';
import { type BandServer, startServer } from '@band/server/start';
import {
  fakeCloudflaredEnv,
  fakeCloudflaredPath,
  type FakeEdge,
  fakeTunnelToken,
  startFakeEdge,
} from '@band/tunnel/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogger } from '../helpers.js';
import { expectAccessible } from './axe.js';
import { launchChromium, PHONE, screenshot, tempDir, waitForLive } from './harness.js';

const HOST = 'band.example.test';
const ORIGIN = `https://${HOST}`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Every entry of every Cache Storage cache of the page's origin (the worker must never store one). */
async function cachedUrls(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys())
      for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
    return urls;
  });
}

/** A request to the edge for the tunnel's hostname, as a browser without the worker would make it. */
function viaEdge(edge: FakeEdge, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: edge.port,
        servername: HOST,
        path,
        headers: { host: HOST },
        rejectUnauthorized: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * A fetch made by the page (the phone's own network path through the edge), never passing the worker (not a
 * navigation).
 */
async function pageFetch(page: Page, path: string, credentials: RequestCredentials = 'same-origin') {
  return page.evaluate(
    async ({ path, credentials }) => {
      const response = await fetch(path, { credentials });
      const bytes = new Uint8Array(await response.arrayBuffer());
      const u32 = (at: number) =>
        ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
      return {
        status: response.status,
        contentType: response.headers.get('content-type'),
        text: new TextDecoder().decode(bytes),
        // A PNG's IHDR holds its width and height.
        pngSize: bytes.length > 24 ? `${u32(16)}x${u32(20)}` : null,
      };
    },
    { path, credentials },
  );
}

describe('installable phone app with an offline page', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let edge: FakeEdge;
  let server: BandServer;
  let serverEnv: NodeJS.ProcessEnv;
  let browser: Browser;
  let phone: BrowserContext;
  let page: Page;
  let workspaceId: string;

  const startBand = async () => {
    server = await startServer({ home: home.path, port: 0, logger: captureLogger(), env: serverEnv });
    expect(await server.api.services.tunnel.start()).toMatchObject({ state: 'ready', url: ORIGIN });
  };

  beforeAll(async () => {
    home = await tempDir('band-ui-installable-');
    const originPort = await freePort();
    edge = await startFakeEdge({ ingress: { [HOST]: `http://127.0.0.1:${originPort}` } });
    const caFile = join(home.path, 'edge.pem');
    await writeFile(caFile, edge.cert);
    const tokenFile = join(home.path, 'tunnel-token');
    await writeFile(tokenFile, fakeTunnelToken(), { mode: 0o600 });
    serverEnv = {
      ...process.env,
      // The one turn here fails, which needs the user's attention.
      ...fakeAgentEnv({ scenario: 'crash' }),
      ...edge.env,
      ...fakeCloudflaredEnv({ stateDir: home.path }),
      BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
      BAND_TUNNEL_CONNECT_TO: `127.0.0.1:${edge.port}`,
      NODE_EXTRA_CA_CERTS: caFile,
    };
    server = await startServer({ home: home.path, port: 0, logger: captureLogger(), env: serverEnv });
    await server.settings.update((s) => ({
      ...s,
      tunnel: { ...s.tunnel, mode: 'named', hostname: HOST, tokenFile, originPort },
      codingAgents: [{ id: 'fake', type: 'claude-code', label: 'Fake agent', command: fakeAgentPath() }],
      defaultCodingAgent: 'fake',
    }));
    const repo = join(home.path, 'repos', 'webshop');
    await mkdir(repo, { recursive: true });
    await writeFile(join(repo, 'README.md'), '# webshop\n');
    const gitEnv = {
      ...process.env,
      GIT_AUTHOR_NAME: 'b',
      GIT_AUTHOR_EMAIL: 'b@b',
      GIT_COMMITTER_NAME: 'b',
      GIT_COMMITTER_EMAIL: 'b@b',
    };
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo, env: gitEnv });
    execFileSync('git', ['add', '-A'], { cwd: repo, env: gitEnv });
    execFileSync('git', ['commit', '-q', '-m', 'init'], { cwd: repo, env: gitEnv });
    const { project } = await server.api.services.projects.register({ path: repo });
    workspaceId = (
      await server.api.services.workspaces.create({ project: project.id, branch: 'pocket', waitForSetup: true })
    ).workspace.id;
    expect(await server.api.services.tunnel.start()).toMatchObject({ state: 'ready', url: ORIGIN });
    browser = await launchChromium(edge.chromiumArgs);
    phone = await browser.newContext({ ...PHONE, ignoreHTTPSErrors: true });
    page = await phone.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await edge?.close();
    await home?.[Symbol.asyncDispose]();
  });

  it('is installable through the tunnel: manifest and icons ' +
    'under the gate, the service worker controls the page', async () => {
    // Signed out, the manifest, the icons and the worker are behind the gate like everything else.
    await page.goto(`${ORIGIN}/`);
    for (const path of ['/manifest.webmanifest', '/icons/icon-192.png', '/sw.js']) {
      expect((await pageFetch(page, path, 'omit')).status, path).toBe(401);
    }
    await page.goto(server.gate.createPairingCode('tunnel').url);
    await page.waitForSelector('[data-testid="dashboard-shell"]', { timeout: 30_000 });
    expect(new URL(page.url()).origin).toBe(ORIGIN);
    // The page links the manifest with credentials, so the browser's fetch carries the session cookie.
    expect(await page.getAttribute('link[rel="manifest"]', 'crossorigin')).toBe('use-credentials');
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });

    const cdp = await phone.newCDPSession(page);
    const { errors, data } = (await cdp.send('Page.getAppManifest')) as unknown as { errors: unknown[]; data?: string };
    expect(errors).toEqual([]);
    const manifest = JSON.parse(data!);
    expect(manifest).toMatchObject({ name: 'Band', display: 'standalone', start_url: '/', theme_color: '#12151a' });
    // Chromium's own installability check. A test context is incognito and trusts the fake edge's certificate
    // only by exception, which Chromium reports; nothing else (manifest, icons, service worker) may be wrong.
    const ENVIRONMENT = new Set(['in-incognito', 'not-from-secure-origin']);
    const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as {
      installabilityErrors: { errorId: string }[];
    };
    expect(installabilityErrors.filter((e) => !ENVIRONMENT.has(e.errorId))).toEqual([]);
    for (const icon of manifest.icons as { src: string; sizes: string }[]) {
      expect(await pageFetch(page, icon.src)).toMatchObject({
        status: 200,
        contentType: 'image/png',
        pngSize: icon.sizes,
      });
    }
    await cdp.detach();
  }, 180_000);

  it('the computer sleeps (Band is down): the offline page with Retry instead ' +
    "of Cloudflare's; Band comes back: Retry recovers, still signed in", async () => {
    await page.goto(`${ORIGIN}/w/${workspaceId}`);
    await page.waitForSelector('[data-testid="chat-input"]', { timeout: 30_000 });
    await waitForLive(page);

    await server.close();
    await page.reload();
    await page.waitForSelector('[data-testid="offline-page"]', { timeout: 30_000 });
    // What Cloudflare answers (the phone would see that page without the worker).
    const edgeAnswer = await viaEdge(edge, '/');
    expect(edgeAnswer.status).toBe(530);
    expect(edgeAnswer.text).toContain('Cloudflare');
    expect(await page.getAttribute('[data-testid="offline-page"]', 'data-cause')).toBe('530');
    expect(await page.textContent('h1')).toBe('Band is not reachable');
    expect(await page.textContent('body')).not.toContain('Cloudflare');
    await expectAccessible(page, 'offline page', true);
    await screenshot(page, 'phone-offline');

    await startBand();
    await page.tap('[data-testid="offline-retry"]');
    await page.waitForSelector('[data-testid="chat-input"]', { timeout: 30_000 });
    expect(new URL(page.url()).pathname).toBe(`/w/${workspaceId}`);
    await waitForLive(page);
    expect(await cachedUrls(page)).toEqual([]);
  }, 240_000);

  it('the tunnel is stopped: the offline page; started again: Retry reaches Band ' +
    '(its sign-in page, as Stop signed the phone out), and a new code signs in', async () => {
    await server.api.services.tunnel.stop();
    // A sign-in link opened while Band is away: the offline page, and its Retry link drops the token.
    const token = 'a'.repeat(64);
    await page.goto(`${ORIGIN}/w/${workspaceId}?pane=files&token=${token}`);
    await page.waitForSelector('[data-testid="offline-page"]', { timeout: 30_000 });
    expect(await page.getAttribute('[data-testid="offline-retry"]', 'href')).toBe(`/w/${workspaceId}?pane=files`);
    expect(await page.content()).not.toContain(token);

    expect(await server.api.services.tunnel.start()).toMatchObject({ state: 'ready', url: ORIGIN });
    await page.tap('[data-testid="offline-retry"]');
    await page.waitForSelector('[data-testid="offline-page"]', { state: 'detached', timeout: 30_000 });
    expect(await page.textContent('body')).toMatch(/sign in/i);
    await page.goto(server.gate.createPairingCode('tunnel').url);
    await page.waitForSelector('[data-testid="dashboard-shell"]', { timeout: 30_000 });
    await waitForLive(page);
    // Nothing was stored by the worker along the way: no page, no API response, no URL with a token.
    expect(await cachedUrls(page)).toEqual([]);
  }, 240_000);

  it('needs attention while in the background: ' +
    'a notification naming the workspace, and the count in the title', async () => {
    await phone.grantPermissions(['notifications'], { origin: ORIGIN });
    await page.goto(`${ORIGIN}/settings`);
    await page.waitForSelector('[data-testid="notification-permission"][data-state="granted"]', { timeout: 30_000 });
    await page.goto(`${ORIGIN}/`);
    await page.waitForSelector(`[data-testid="workspace-link"][data-workspace-id="${workspaceId}"]`, {
      timeout: 30_000,
    });
    await waitForLive(page);
    // The status snapshot has arrived, so the turn below is a change the page sees (a crash is quick: sent before
    // the snapshot, the page would only ever see its end, and a state that was already there is not notified).
    await page.waitForSelector('html[data-agent-statuses="live"]', { state: 'attached', timeout: 30_000 });
    // Another app in front: Playwright's focus emulation is switched off so the page sees it lose focus.
    const cdp = await phone.newCDPSession(page);
    await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: false });
    const other = await phone.newPage();
    await other.bringToFront();
    await expect.poll(() => page.evaluate(() => document.hasFocus())).toBe(false);

    server.api.services.chats.send({ workspaceId, message: 'this turn fails and needs me' });
    await page.waitForFunction(() => document.title.startsWith('(1) '), undefined, { timeout: 60_000 });
    const shown = () =>
      page.evaluate(async () => {
        const registration = await navigator.serviceWorker.getRegistration();
        return ((await registration?.getNotifications()) ?? []).map((n) => ({
          title: n.title,
          tag: n.tag,
          data: n.data,
        }));
      });
    // What the page knew, should no notification come: each is a reason the dashboard does not notify.
    const state = () =>
      page.evaluate(async () => ({
        permission: Notification.permission,
        hasFocus: document.hasFocus(),
        visibility: document.visibilityState,
        activeWorker: Boolean((await navigator.serviceWorker.getRegistration())?.active),
        title: document.title,
      }));
    await expect
      .poll(shown, { timeout: 60_000 })
      .toEqual([{ title: 'pocket needs you', tag: `band-attention-${workspaceId}`, data: { workspaceId } }])
      .catch(async (error: Error) => {
        throw new Error(`${error.message}\nthe page then: ${JSON.stringify(await state())}`, { cause: error });
      });
    await other.close();
    await cdp.detach();
    // Back in front: the count stays in the title across a client-side navigation (Next sets its own title).
    await page.bringToFront();
    await page.tap('[data-testid="menu-button"]');
    await page.tap('[data-testid="menu-settings"]');
    await page.waitForURL(`${ORIGIN}/settings`);
    await page.waitForSelector('[data-testid="notification-permission"]');
    await expect.poll(() => page.title()).toMatch(/^\(1\) Settings/);
  }, 180_000);
});
