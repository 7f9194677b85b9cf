import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeCloudflaredEnv, fakeCloudflaredPath, type FakeEdge, startFakeEdge } from '@band/tunnel/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BandServer, startServer } from '@band/server/start';
import { captureLogger, SLOW } from '../helpers.js';
import {
  DESKTOP,
  launchChromium,
  PHONE,
  readQrCode,
  screenshot,
  signedInPage,
  smallTouchTargets,
  tempDir,
  waitForLive,
} from './harness.js';

describe('Mobile Access panel', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let edge: FakeEdge;
  let server: BandServer;
  let browser: Browser;

  beforeAll(async () => {
    home = await tempDir('band-ui-tunnel-');
    edge = await startFakeEdge();
    const env = {
      ...process.env,
      ...edge.env,
      ...fakeCloudflaredEnv({ stateDir: home.path }),
      BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
    };
    server = await startServer({ home: home.path, port: 0, logger: captureLogger(), env });
    // The phone resolves *.trycloudflare.com to the fake edge, exactly as DNS would send it to Cloudflare.
    browser = await launchChromium(edge.chromiumArgs);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await edge?.close();
    await home?.[Symbol.asyncDispose]();
  });

  it('starts the tunnel from the menu, shows the states, a scannable one-time QR, ' +
    'the URL and the token; the phone signs in with it and loses access on Stop Tunnel', async () => {
    const desktop = await signedInPage(browser, server, DESKTOP);
    const page = desktop.page;
    await waitForLive(page);
    await page.click('[data-testid="menu-button"]');
    await page.click('[data-testid="menu-start-tunnel"]');
    await page.waitForSelector('[data-testid="mobile-access-panel"]');
    // States arrive live over the subscription: starting, then ready.
    await page.waitForSelector('[data-testid="tunnel-state"][data-state="ready"]', { timeout: 30_000 });
    const publicUrl = (await page.textContent('[data-testid="tunnel-url"]'))!.trim();
    expect(publicUrl).toMatch(/^https:\/\/[a-z0-9-]+\.trycloudflare\.com$/);
    expect(publicUrl).toBe(server.api.services.tunnel.status().url);
    // The panel names the cloudflared it runs (the fake's default profile here).
    expect(await page.textContent('[data-testid="tunnel-cloudflared-version"]')).toBe('cloudflared 2025.8.1');

    // The QR carries a one-time pairing link on the public host, never the token.
    const qr = await readQrCode(page);
    const token = server.settings.get().tokenSecret;
    expect(qr).toMatch(new RegExp(`^${publicUrl.replace(/\./g, '\\.')}/pair#c=[A-Za-z0-9_-]+$`));
    expect(qr).not.toContain(token);
    expect(await page.textContent('[data-testid="pairing-countdown"]')).toMatch(/expires in [12]:\d\d/);

    await page.click('[data-testid="token-reveal"]');
    expect((await page.textContent('[data-testid="token-value"]'))!.trim()).toBe(token);
    await page.click('[data-testid="token-hide"]');
    await screenshot(page, 'desktop-mobile-access');

    // --- the phone scans the code ---
    const phone = await browser.newContext({ ...PHONE, ignoreHTTPSErrors: true });
    const phonePage = await phone.newPage();
    await phonePage.goto(qr);
    await phonePage.waitForSelector('[data-testid="dashboard-shell"]', { timeout: 30_000 });
    expect(new URL(phonePage.url()).host).toBe(new URL(publicUrl).host);
    // Signed in for real: the API answers and the live socket runs through the tunnel (wss).
    await waitForLive(phonePage);
    expect(phonePage.url()).not.toContain('#c=');
    await screenshot(phonePage, 'phone-home-via-tunnel');

    // The desktop lists the phone as a tunnel device; a used code is burned, the panel shows a fresh one.
    await page.waitForSelector('[data-testid="device-row"][data-listener="tunnel"]', { timeout: 15_000 });
    await page.click('[data-testid="pairing-renew"]');
    await expect.poll(() => readQrCode(page), SLOW).not.toBe(qr);

    // Through the tunnel the token cannot be revealed (auth.md §3.9): the phone is not offered the button.
    await phonePage.tap('[data-testid="tunnel-chip"]');
    await phonePage.waitForSelector('[data-testid="mobile-access-panel"]');
    await phonePage.waitForSelector('[data-testid="token-local-only"]');
    expect(await phonePage.locator('[data-testid="token-reveal"]').count()).toBe(0);
    expect(await phonePage.isVisible('[data-testid="token-value"]')).toBe(false);
    expect(await smallTouchTargets(phonePage)).toEqual([]);
    await screenshot(phonePage, 'phone-mobile-access');
    await phonePage.tap('[data-testid="mobile-access-close"]');

    // --- Stop Tunnel: the phone loses access ---
    await page.click('[data-testid="tunnel-stop"]');
    await page.waitForSelector('[data-testid="mobile-access-start"]', { timeout: 15_000 });
    await phonePage.waitForSelector('[data-testid="connection-indicator"]:not([data-state="connected"])', {
      timeout: 15_000,
    });
    const after = await phone.request
      .get(`${publicUrl}/api/trpc/health`, { headers: { 'x-band-csrf': '1' }, failOnStatusCode: false })
      .catch(() => null);
    expect(after === null || after.status() >= 400).toBe(true);
    await phone.close();
    await desktop.context.close();
  }, 180_000);
});

describe('Mobile Access panel when the tunnel cannot start', () => {
  it('shows the failure and its hint, and offers to try again', async () => {
    await using home = await tempDir('band-ui-tunnel-fail-');
    const edge = await startFakeEdge();
    const env = {
      ...process.env,
      ...edge.env,
      ...fakeCloudflaredEnv({ scenario: 'rate-limit', stateDir: home.path }),
      BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
    };
    const server = await startServer({ home: home.path, port: 0, logger: captureLogger(), env });
    const browser = await launchChromium();
    try {
      const { page } = await signedInPage(browser, server, DESKTOP);
      await waitForLive(page);
      await page.click('[data-testid="menu-button"]');
      await page.click('[data-testid="menu-start-tunnel"]');
      await page.waitForSelector('[data-testid="tunnel-state"][data-state="failed"]', { timeout: 45_000 });
      expect((await page.textContent('[data-testid="tunnel-error"]'))!.length).toBeGreaterThan(0);
      expect((await page.textContent('[data-testid="tunnel-error-hint"]'))!.length).toBeGreaterThan(0);
      expect(await page.isVisible('[data-testid="mobile-access-start"]')).toBe(true);
      await screenshot(page, 'desktop-mobile-access-failed');
    } finally {
      await browser.close();
      await server.close();
      await edge.close();
    }
  }, 120_000);
});

/** The metrics address the fake cloudflared recorded in its state dir (`<pid>.json`). */
function fakeMetricsAddress(dir: string): string {
  for (const file of readdirSync(dir).filter((f) => /^\d+\.json$/.test(f))) {
    const record = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      events: { name: string; address?: string }[];
    };
    const address = record.events.find((e) => e.name === 'metrics')?.address;
    if (address) return address;
  }
  throw new Error(`no fake cloudflared metrics address in ${dir}`);
}

describe('Mobile Access panel when the edge connection drops', () => {
  it('shows "degraded" while cloudflared reconnects, then "ready" again with the same URL', async () => {
    await using home = await tempDir('band-ui-tunnel-drop-');
    const edge = await startFakeEdge();
    // The test drives the edge drop itself, through the fake's control plane: no timer races the page.
    const env = {
      ...process.env,
      ...edge.env,
      ...fakeCloudflaredEnv({ scenario: 'ok', stateDir: home.path }),
      BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
    };
    const server = await startServer({ home: home.path, port: 0, logger: captureLogger(), env });
    const browser = await launchChromium();
    try {
      const { page } = await signedInPage(browser, server, DESKTOP);
      await waitForLive(page);
      await page.click('[data-testid="menu-button"]');
      await page.click('[data-testid="menu-start-tunnel"]');
      await page.waitForSelector('[data-testid="tunnel-state"][data-state="ready"]', { timeout: 30_000 });
      const url = await page.textContent('[data-testid="tunnel-url"]');
      const metrics = fakeMetricsAddress(home.path);
      await fetch(`http://${metrics}/__fake/drop`, { method: 'POST' }); // down until told otherwise
      await page.waitForSelector('[data-testid="tunnel-state"][data-state="degraded"]', { timeout: 30_000 });
      // The QR and URL stay while degraded: a quick tunnel keeps its hostname through an edge drop.
      expect(await page.textContent('[data-testid="tunnel-url"]')).toBe(url);
      await fetch(`http://${metrics}/__fake/reconnect`, { method: 'POST' });
      await page.waitForSelector('[data-testid="tunnel-state"][data-state="ready"]', { timeout: 30_000 });
      expect(await page.textContent('[data-testid="tunnel-url"]')).toBe(url);
    } finally {
      await browser.close();
      await server.close();
      await edge.close();
    }
  }, 120_000);
});
