// Remote access end to end: the server starts the (fake) tunnel, a phone-like Chromium opens the public
// https://<words>.trycloudflare.com URL through the fake edge, signs in with a one-time pairing code, and
// loads the dashboard over HTTPS with a __Host- cookie; stopping the tunnel takes its access away.
import { fakeCloudflaredEnv, fakeCloudflaredPath, type FakeEdge, startFakeEdge } from '@band/tunnel/testing';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BandServer, startServer } from '@band/server/start';
import { CHROMIUM_ARGS, CHROMIUM_PATH, captureLogger, tempHome } from './helpers.js';

describe('remote access through the tunnel', () => {
  let home: Awaited<ReturnType<typeof tempHome>>;
  let edge: FakeEdge;
  let server: BandServer;
  let browser: Browser;
  let token: string;
  const logger = captureLogger();

  beforeAll(async () => {
    home = await tempHome();
    edge = await startFakeEdge();
    server = await startServer({
      home: home.home,
      port: 0,
      logger,
      env: {
        ...process.env,
        BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
        ...edge.env,
        ...fakeCloudflaredEnv({ scenario: 'ok' }),
      },
    });
    token = server.settings.get().tokenSecret;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...edge.chromiumArgs] });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await edge?.close();
    await home?.[Symbol.asyncDispose]();
    expect(logger.text()).not.toContain(token);
  });

  const trpc = async (path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/trpc/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json.result.data;
  };

  it('starts the tunnel through tRPC and reports a public https URL', async () => {
    expect(await trpc('tunnel.status')).toMatchObject({ state: 'stopped', url: null });
    const status = await trpc('tunnel.start', {});
    expect(status.state).toBe('ready');
    expect(status.url).toMatch(/^https:\/\/[a-z0-9-]+\.trycloudflare\.com$/);
    await edge.waitForRoute(new URL(status.url).host);
  });

  it('refuses the public URL without credentials, and signs a phone in with a one-time pairing code', async () => {
    const { url } = await trpc('tunnel.status');
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await phone.newPage();
    const refused = await page.goto(url);
    expect(refused?.status()).toBe(401);
    await page.getByTestId('sign-in').waitFor();

    const pairing = await trpc('auth.createPairingCode', { listener: 'tunnel' });
    expect(pairing.url.startsWith(`${url}/pair#c=`)).toBe(true);
    await page.goto(pairing.url);
    await page.getByTestId('dashboard-shell').waitFor({ timeout: 30_000 });
    expect(page.url().startsWith(url)).toBe(true);
    expect(page.url()).not.toContain('#c=');

    const cookies = await phone.cookies(url);
    const session = cookies.find((c) => c.name === '__Host-band_sess');
    expect(session).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(session?.domain).not.toMatch(/^\./);

    // The same code does not work twice.
    const other = await browser.newContext();
    const again = await other.newPage();
    await again.goto(pairing.url);
    await again.getByTestId('sign-in').waitFor();
    expect(await again.getByTestId('dashboard-shell').count()).toBe(0);
    await other.close();

    const devices = await trpc('devices.list');
    expect(devices.some((d: { listener: string }) => d.listener === 'tunnel')).toBe(true);
    await phone.close();
  });

  it('stopping the tunnel takes the public URL and the tunnel sessions away', async () => {
    const { url } = await trpc('tunnel.status');
    const phone = await browser.newContext();
    const page = await phone.newPage();
    await page.goto((await trpc('auth.createPairingCode', { listener: 'tunnel' })).url);
    await page.getByTestId('dashboard-shell').waitFor({ timeout: 30_000 });

    expect(await trpc('tunnel.stop', {})).toMatchObject({ state: 'stopped', url: null });
    const gone = await page.goto(url).catch(() => null);
    expect(gone === null || gone.status() >= 500).toBe(true);
    const devices = await trpc('devices.list');
    expect(devices.some((d: { listener: string }) => d.listener === 'tunnel')).toBe(false);
    await phone.close();
  });

  it('a new tunnel gets a new URL, and an old session cookie does not carry over', async () => {
    const first = await trpc('tunnel.start', {});
    const phone = await browser.newContext();
    const page = await phone.newPage();
    await page.goto((await trpc('auth.createPairingCode', { listener: 'tunnel' })).url);
    await page.getByTestId('dashboard-shell').waitFor({ timeout: 30_000 });
    await trpc('tunnel.stop', {});

    const second = await trpc('tunnel.start', {});
    expect(second.url).not.toBe(first.url);
    await edge.waitForRoute(new URL(second.url).host);
    const res = await page.goto(second.url);
    expect(res?.status()).toBe(401);
    await phone.close();
    await trpc('tunnel.stop', {});
  });
});

describe('autoStartTunnel', () => {
  it('starts the tunnel with the server, and offers the URL only once it is ready', async () => {
    await using home = await tempHome();
    await using edge = await startFakeEdge();
    // A settings file the user wrote by hand: only this one field; the rest (token included) is filled in.
    await writeFile(join(home.home, 'settings.json'), JSON.stringify({ autoStartTunnel: true }), { mode: 0o600 });
    const server = await startServer({
      home: home.home,
      port: 0,
      logger: captureLogger(),
      env: {
        ...process.env,
        BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
        ...edge.env,
        ...fakeCloudflaredEnv({ scenario: 'slow-register=1500' }),
      },
    });
    try {
      const seen: Array<{ state: string; url: string | null }> = [];
      const controller = new AbortController();
      for await (const status of server.api.services.tunnel.watch(controller.signal)) {
        seen.push({ state: status.state, url: status.url });
        if (status.state === 'ready' || status.state === 'failed') break;
      }
      controller.abort();
      const ready = seen.at(-1)!;
      expect(ready.state).toBe('ready');
      expect(ready.url).toMatch(/^https:\/\/[a-z0-9-]+\.trycloudflare\.com$/);
      // Before ready, no status carried a URL.
      expect(seen.slice(0, -1).every((s) => s.url === null)).toBe(true);
      expect(seen.some((s) => s.state === 'starting')).toBe(true);
    } finally {
      await server.close();
    }
    expect(server.api.services.tunnel.status().state).toBe('stopped');
  });
});
