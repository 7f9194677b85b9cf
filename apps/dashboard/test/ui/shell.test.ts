import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BandServer, startServer } from '@band/server/start';
import { captureLogger, SLOW } from '../helpers.js';
import {
  DESKTOP,
  launchChromium,
  PHONE,
  screenshot,
  signedInPage,
  smallTouchTargets,
  tempDir,
  waitForLive,
} from './harness.js';

describe('dashboard shell', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let server: BandServer;
  let browser: Browser;

  beforeAll(async () => {
    home = await tempDir('band-ui-shell-');
    server = await startServer({ home: home.path, port: 0, logger: captureLogger() });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await home?.[Symbol.asyncDispose]();
  });

  it(
    'renders the shell with a live connection, an empty ' + 'project list and the menu with Start tunnel (desktop)',
    async () => {
      const { context, page } = await signedInPage(browser, server, DESKTOP);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('response', (r) => {
        if (r.status() >= 400) errors.push(`${r.status()} ${new URL(r.url()).pathname}`);
      });
      await waitForLive(page);
      await page.waitForSelector('[data-testid="sidebar-empty"]');
      expect(await page.isVisible('[data-testid="home-overview"]')).toBe(true);
      await screenshot(page, 'desktop-home');

      await page.click('[data-testid="menu-button"]');
      await page.waitForSelector('[data-testid="main-menu"]');
      expect(await page.isVisible('[data-testid="menu-start-tunnel"]')).toBe(true);
      expect(await page.isVisible('[data-testid="menu-settings"]')).toBe(true);
      await page.keyboard.press('Escape');
      await page.waitForSelector('[data-testid="main-menu"]', { state: 'detached' });
      // No CSP violation, hydration error or failed request on the way (the nonce reached every script).
      expect(errors).toEqual([]);
      await context.close();
    },
  );

  it('shows the workspace list as the home screen on a phone, with 44 px touch targets', async () => {
    const { context, page } = await signedInPage(browser, server, PHONE);
    await waitForLive(page);
    await page.waitForSelector('[data-testid="sidebar-empty"]');
    expect(await page.isVisible('[data-testid="sidebar"]')).toBe(true);
    expect(await page.isVisible('[data-testid="home-overview"]')).toBe(false);
    expect(await smallTouchTargets(page)).toEqual([]);
    await screenshot(page, 'phone-home');
    await page.tap('[data-testid="menu-button"]');
    await page.waitForSelector('[data-testid="menu-start-tunnel"]');
    expect(await smallTouchTargets(page)).toEqual([]);
    await screenshot(page, 'phone-menu');
    await context.close();
  });

  it('shows "Offline" when the network goes away and "Live" again once it is back', async () => {
    const { context, page } = await signedInPage(browser, server, DESKTOP);
    await waitForLive(page);
    await context.setOffline(true);
    await page.waitForSelector('[data-testid="connection-indicator"][data-state="offline"]');
    await context.setOffline(false);
    await waitForLive(page);
    await context.close();
  });

  it('saves settings from the Settings page into settings.json', async () => {
    const { context, page } = await signedInPage(browser, server, DESKTOP);
    await page.goto(`${server.url}/settings`);
    await page.waitForSelector('[data-testid="setting-sound"]');
    const before = server.settings.get().notifications.soundOnNeedsAttention;
    await page.click('[data-testid="setting-sound"]');
    await page.waitForSelector('[data-testid="settings-saved"]');
    await expect.poll(() => server.settings.get().notifications.soundOnNeedsAttention, SLOW).toBe(!before);

    await page.click('[data-testid="setting-auto-start-tunnel"]');
    await expect.poll(() => server.settings.get().autoStartTunnel, SLOW).toBe(true);

    await page.fill('[data-testid="setting-port"]', '70000');
    expect(await page.isDisabled('[data-testid="setting-port-save"]')).toBe(true);
    await page.fill('[data-testid="setting-port"]', '04567');
    await page.click('[data-testid="setting-port-save"]');
    await expect.poll(() => server.settings.get().webServerPort, SLOW).toBe(4567);
    // The field then shows the port as saved.
    await expect.poll(() => page.inputValue('[data-testid="setting-port"]'), SLOW).toBe('4567');
    await page.evaluate(() => document.querySelector('[data-testid="settings-page"]')?.scrollTo(0, 0));
    await screenshot(page, 'desktop-settings');
    await context.close();

    const phone = await signedInPage(browser, server, PHONE);
    await phone.page.goto(`${server.url}/settings`);
    await phone.page.waitForSelector('[data-testid="setting-sound"]');
    expect(await smallTouchTargets(phone.page)).toEqual([]);
    await screenshot(phone.page, 'phone-settings');
    await phone.context.close();
  });
});
