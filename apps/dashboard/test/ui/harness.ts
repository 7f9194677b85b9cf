// Page-level helpers for the Playwright tests: one real server, one real Chromium, desktop and phone contexts.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsQR from 'jsqr';
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { expect, onTestFinished } from 'vitest';
import type { BandServer } from '@band/server';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers.js';

export const DESKTOP: BrowserContextOptions = { viewport: { width: 1440, height: 900 }, colorScheme: 'dark' };
export const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
  colorScheme: 'dark',
  userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36',
};

export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** A temporary directory, removed on dispose. */
export async function tempDir(prefix: string): Promise<{ path: string; [Symbol.asyncDispose](): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}

/** A context signed in through the one-time sign-in link, the way `band open` does it. */
export async function signedInPage(browser: Browser, server: BandServer, options: BrowserContextOptions): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(server.createSignInUrl());
  await page.waitForSelector('[data-testid="dashboard-shell"]');
  return { context, page };
}

/** Waits until the live-update socket is connected (the indicator says so). */
export async function waitForLive(page: Page): Promise<void> {
  await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', { timeout: 20_000 });
}

/**
 * Decodes the QR code on the page the way a phone camera would: the rendered SVG is rasterised in the page,
 * its pixels are read back and jsQR decodes them. Nothing is read from the DOM's attributes.
 */
export async function readQrCode(page: Page): Promise<string> {
  const svg = page.locator('[data-testid="pairing-qr"] svg');
  await svg.waitFor();
  const { width, height, data } = await svg.evaluate(async (el) => {
    const markup = new XMLSerializer().serializeToString(el);
    const img = new Image();
    img.src = `data:image/svg+xml;base64,${btoa(markup)}`;
    await img.decode();
    const size = 512;
    const canvas = document.createElement('canvas');
    canvas.width = size;
    canvas.height = size;
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, size, size);
    ctx.drawImage(img, 0, 0, size, size);
    const pixels = ctx.getImageData(0, 0, size, size);
    return { width: size, height: size, data: Array.from(pixels.data) };
  });
  const code = jsQR(Uint8ClampedArray.from(data), width, height);
  expect(code, 'the QR code decodes').not.toBeNull();
  return code!.data;
}

const SCREENSHOT_DIR = fileURLToPath(new URL('../../../../docs/screenshots/', import.meta.url));

/**
 * Saves a screenshot. With BAND_UPDATE_SCREENSHOTS=1 it goes to docs/screenshots/ (committed and shown in the
 * README); otherwise into a temp folder removed after the test, so a plain run changes no tracked file and
 * leaves nothing behind (the screenshot is still taken: the code path is tested either way).
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  let dir = SCREENSHOT_DIR;
  if (process.env.BAND_UPDATE_SCREENSHOTS !== '1') {
    const temp = await mkdtemp(join(tmpdir(), 'band-screenshot-'));
    onTestFinished(() => rm(temp, { recursive: true, force: true }));
    dir = temp;
  }
  await mkdir(dir, { recursive: true });
  // Let the pulse animation and fonts settle into a stable frame.
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: join(dir, `dashboard-${name}.png`), animations: 'disabled' });
}

/** Every visible interactive control is at least 44x44 CSS px (phone touch targets). */
export async function smallTouchTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const small: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('button, a[href], select, input, textarea, summary, [role="tab"]')) {
      const rect = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (rect.width === 0 || rect.height === 0 || style.visibility === 'hidden') continue;
      if (el.closest('[aria-hidden="true"]') || el.tabIndex < 0) continue;
      if (rect.height < 43.5 || rect.width < 43.5) small.push(`${el.tagName.toLowerCase()}[${el.dataset.testid ?? el.getAttribute('aria-label') ?? el.textContent?.trim().slice(0, 20)}] ${Math.round(rect.width)}x${Math.round(rect.height)}`);
    }
    return small;
  });
}
