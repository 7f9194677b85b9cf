// The Mobile Access panel opens with the URL and QR code as soon as the tunnel is ready, whoever started it (issue 13):
// here the API mutation that `band tunnel start` sends, with the dashboard already open in two windows. With a named
// tunnel, the Settings page and the panel show the mode, the stable URL and the origin to enter in Cloudflare, and a
// phone signs in at https://band.example.test through the fake edge's remote-managed ingress.
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { type BandServer, startServer } from '@band/server';
import { fakeCloudflaredEnv, fakeCloudflaredPath, type FakeEdge, fakeTunnelToken, startFakeEdge } from '@band/tunnel/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogger } from '../helpers.js';
import { DESKTOP, launchChromium, PHONE, readQrCode, signedInPage, tempDir, waitForLive } from './harness.js';

const HOST = 'band.example.test';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the panel appears wherever the tunnel was started', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let edge: FakeEdge;
  let server: BandServer;
  let browser: Browser;
  let originPort: number;
  let serverEnv: NodeJS.ProcessEnv;

  /** What `band tunnel start` / `band tunnel stop` send: the tRPC mutation with the bearer token. */
  const mutate = async (path: 'tunnel.start' | 'tunnel.stop') => {
    const res = await fetch(`${server.url}/api/trpc/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.settings.get().tokenSecret}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json.result.data as { state: string; url: string | null };
  };

  /** What `band tunnel setup --hostname band.example.test --token-file … --origin-port …` saves. */
  const switchToNamedTunnel = async () => {
    const tokenFile = join(home.path, 'tunnel-token');
    await writeFile(tokenFile, fakeTunnelToken(), { mode: 0o600 });
    await server.settings.update((s) => ({ ...s, tunnel: { ...s.tunnel, mode: 'named', hostname: HOST, tokenFile, originPort } }));
  };

  beforeAll(async () => {
    home = await tempDir('band-ui-tunnel-anywhere-');
    originPort = await freePort();
    edge = await startFakeEdge({ ingress: { [HOST]: `http://127.0.0.1:${originPort}` } });
    const caFile = join(home.path, 'edge.pem');
    await writeFile(caFile, edge.cert);
    const env = (serverEnv = {
      ...process.env,
      ...edge.env,
      ...fakeCloudflaredEnv({ stateDir: home.path }),
      BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
      BAND_TUNNEL_CONNECT_TO: `127.0.0.1:${edge.port}`,
      NODE_EXTRA_CA_CERTS: caFile,
    });
    server = await startServer({ home: home.path, port: 0, logger: captureLogger(), env });
    browser = await launchChromium(edge.chromiumArgs);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await edge?.close();
    await home?.[Symbol.asyncDispose]();
  });

  it('a tunnel started outside the dashboard (band tunnel start) opens the panel with the URL and QR in every open window', async () => {
    const first = await signedInPage(browser, server, DESKTOP);
    const second = await signedInPage(browser, server, DESKTOP);
    for (const { page } of [first, second]) await waitForLive(page);
    expect(await first.page.isVisible('[data-testid="mobile-access-panel"]')).toBe(false);

    const started = await mutate('tunnel.start');
    expect(started.state).toBe('ready');
    for (const { page } of [first, second]) {
      await page.waitForSelector('[data-testid="mobile-access-panel"] [data-testid="tunnel-state"][data-state="ready"]', { timeout: 30_000 });
      expect((await page.textContent('[data-testid="tunnel-url"]'))!.trim()).toBe(started.url);
      expect(await readQrCode(page)).toMatch(new RegExp(`^${started.url!.replace(/\./g, '\\.')}/pair#c=`));
      expect(await page.getAttribute('[data-testid="tunnel-mode"]', 'data-mode')).toBe('quick');
    }
    // Closed by the user, it stays closed while the tunnel keeps running.
    await first.page.click('[data-testid="mobile-access-close"]');
    await first.page.waitForSelector('[data-testid="mobile-access-panel"]', { state: 'hidden' });
    await mutate('tunnel.stop');
    await second.page.waitForSelector('[data-testid="mobile-access-start"]', { timeout: 15_000 });
    expect(await first.page.isVisible('[data-testid="mobile-access-panel"]')).toBe(false);
    await first.context.close();
    await second.context.close();
  }, 240_000);

  it('named: Settings shows the stable URL and the origin; the panel opens on start; a phone signs in at the stable URL, stays signed in across a server and tunnel restart, and is out on Stop', async () => {
    await switchToNamedTunnel();

    const { context, page } = await signedInPage(browser, server, DESKTOP);
    await page.goto(`${server.url}/settings`);
    await page.waitForSelector('[data-testid="tunnel-mode"][data-mode="named"]', { timeout: 30_000 });
    expect(await page.textContent('[data-testid="tunnel-stable-url"]')).toBe(`https://${HOST}`);
    expect(await page.textContent('[data-testid="tunnel-origin"]')).toBe(`http://127.0.0.1:${originPort}`);
    await waitForLive(page);

    // Started from the menu this time.
    await page.click('[data-testid="menu-button"]');
    await page.click('[data-testid="menu-start-tunnel"]');
    await page.waitForSelector('[data-testid="mobile-access-panel"] [data-testid="tunnel-state"][data-state="ready"]', { timeout: 45_000 });
    expect(server.api.services.tunnel.status()).toMatchObject({ state: 'ready', mode: 'named', url: `https://${HOST}` });
    expect((await page.textContent('[data-testid="tunnel-url"]'))!.trim()).toBe(`https://${HOST}`);
    expect(await page.textContent('[data-testid="mobile-access-panel"] [data-testid="tunnel-origin"]')).toBe(`http://127.0.0.1:${originPort}`);
    const qr = await readQrCode(page);
    expect(qr).toMatch(new RegExp(`^https://${HOST.replace(/\./g, '\\.')}/pair#c=`));

    // The phone scans it: through "Cloudflare" (the fake edge), its ingress, and Band's stable origin.
    const phone = await browser.newContext({ ...PHONE, ignoreHTTPSErrors: true });
    const phonePage = await phone.newPage();
    await phonePage.goto(qr);
    await phonePage.waitForSelector('[data-testid="dashboard-shell"]', { timeout: 30_000 });
    expect(new URL(phonePage.url()).host).toBe(HOST);
    await waitForLive(phonePage);
    const cookies = await phone.cookies(`https://${HOST}`);
    expect(cookies.find((c) => c.name === '__Host-band_sess')).toMatchObject({ secure: true, httpOnly: true });

    // Restart the server, then the tunnel: the same URL, and the phone is still signed in (its __Host- cookie is bound
    // to the stable hostname, and a shutdown is not a Stop).
    await context.close();
    await server.close();
    server = await startServer({ home: home.path, port: 0, logger: captureLogger(), env: serverEnv });
    expect(await mutate('tunnel.start')).toMatchObject({ state: 'ready', url: `https://${HOST}` });
    await phonePage.reload();
    await phonePage.waitForSelector('[data-testid="dashboard-shell"]', { timeout: 30_000 });
    expect(new URL(phonePage.url()).host).toBe(HOST);
    await waitForLive(phonePage);

    // Stop: the phone is out.
    await mutate('tunnel.stop');
    await phonePage.waitForSelector('[data-testid="connection-indicator"]:not([data-state="connected"])', { timeout: 15_000 });
    const after = await phone.request.get(`https://${HOST}/api/trpc/health`, { failOnStatusCode: false }).catch(() => null);
    expect(after === null || after.status() >= 400).toBe(true);
    await phone.close();
  }, 240_000);

  it('named, with the dashboard ingress pointing at Band\'s local address: Start from the menu ends in a clear error, not a hang', async () => {
    await switchToNamedTunnel();
    edge.setIngress({ [HOST]: server.url });
    const { context, page } = await signedInPage(browser, server, DESKTOP);
    await waitForLive(page);
    await page.click('[data-testid="menu-button"]');
    await page.click('[data-testid="menu-start-tunnel"]');
    await page.waitForSelector('[data-testid="tunnel-state"][data-state="failed"]', { timeout: 45_000 });
    expect(await page.textContent('[data-testid="tunnel-error"]')).toContain("Band's local listener");
    expect(await page.textContent('[data-testid="tunnel-error-hint"]')).toContain(`http://127.0.0.1:${originPort}`);
    // The panel still says what Cloudflare's service must be, and offers to try again.
    expect(await page.textContent('[data-testid="mobile-access-panel"] [data-testid="tunnel-origin"]')).toBe(`http://127.0.0.1:${originPort}`);
    expect(await page.isVisible('[data-testid="mobile-access-start"]')).toBe(true);
    expect(server.api.services.tunnel.status()).toMatchObject({ state: 'failed', url: null, error: { code: 'HOSTNAME_NOT_ROUTED' } });
    await context.close();
  }, 240_000);
});
