// The first "Continue on your phone" says what it does before anything is public (issue 22, major 8), once per
// browser: "This starts a public https URL protected by your token; stop it any time."
import { describe, expect, it, vi } from 'vitest';
import { SLOW } from '../helpers.js';
import { DESKTOP, PHONE, signedInPage, tunnelBandSuite, waitForLive } from './harness.js';

const SENTENCE = 'This starts a public https URL protected by your token; stop it any time.';

describe('first tunnel start', () => {
  const band = tunnelBandSuite('band-ui-tunnel-first-');

  it('desktop: the first "Continue on your phone" explains and starts nothing; ' +
    'the explained browser starts at once next time', async () => {
    const { context, page } = await signedInPage(band.browser, band.server, DESKTOP);
    await waitForLive(page);
    const tunnel = band.server.api.services.tunnel;
    expect(tunnel.status().state).toBe('stopped');

    await page.click('[data-testid="home-mobile-access"]');
    const explainer = page.locator('[data-testid="mobile-access-panel"] [data-testid="tunnel-explainer"]');
    await explainer.waitFor();
    expect((await explainer.textContent())?.trim()).toBe(SENTENCE);
    expect(tunnel.status().state, 'nothing is public before the user agreed').toBe('stopped');

    await page.click('[data-testid="mobile-access-start"]');
    await page.waitForSelector('[data-testid="tunnel-state"][data-state="ready"]', { timeout: 30_000 });
    expect(await explainer.count(), 'said once').toBe(0);
    // The revealed token says how to treat it, and does not stay on screen after Stop.
    await page.click('[data-testid="token-reveal"]');
    await page.waitForSelector('[data-testid="token-value"]');
    expect(await page.textContent('[data-testid="token-warning"]')).toContain('Treat it like a password');
    await page.click('[data-testid="tunnel-stop"]');
    await vi.waitFor(() => expect(tunnel.status().state).toBe('stopped'), SLOW);
    await page.waitForSelector('[data-testid="token-value"]', { state: 'detached' });

    // Remembered in this browser: after a reload the same button starts the tunnel directly.
    await page.goto(band.server.url);
    await waitForLive(page);
    await page.waitForSelector('[data-testid="home-mobile-access"]:has-text("Continue on your phone")');
    await page.click('[data-testid="home-mobile-access"]');
    await page.waitForSelector('[data-testid="tunnel-state"][data-state="ready"]', { timeout: 30_000 });
    expect(await explainer.count()).toBe(0);
    await page.click('[data-testid="tunnel-stop"]');
    await vi.waitFor(() => expect(tunnel.status().state).toBe('stopped'), SLOW);
    await context.close();
  }, 120_000);

  it('phone-sized window: the first start from the menu shows the sentence in the panel, until "Got it"', async () => {
    const { context, page } = await signedInPage(band.browser, band.server, PHONE);
    await waitForLive(page);
    const tunnel = band.server.api.services.tunnel;
    await page.tap('[data-testid="menu-button"]');
    await page.tap('[data-testid="menu-start-tunnel"]');
    const explainer = page.locator('[data-testid="mobile-access-panel"] [data-testid="tunnel-explainer"]');
    await explainer.waitFor();
    expect(await explainer.locator('p').textContent()).toBe(SENTENCE);
    await page.waitForSelector('[data-testid="tunnel-state"][data-state="ready"]', { timeout: 30_000 });
    await explainer.locator('[data-testid="tunnel-explainer-ok"]').tap();
    await explainer.waitFor({ state: 'detached' });
    await page.tap('[data-testid="tunnel-stop"]');
    await vi.waitFor(() => expect(tunnel.status().state).toBe('stopped'), SLOW);

    await page.reload();
    await waitForLive(page);
    await page.tap('[data-testid="menu-button"]');
    await page.tap('[data-testid="menu-start-tunnel"]');
    await page.waitForSelector('[data-testid="tunnel-state"][data-state="ready"]', { timeout: 30_000 });
    expect(await explainer.count(), 'said once').toBe(0);
    await page.tap('[data-testid="tunnel-stop"]');
    await vi.waitFor(() => expect(tunnel.status().state).toBe('stopped'), SLOW);
    await context.close();
  }, 120_000);
});
