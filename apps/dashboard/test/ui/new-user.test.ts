// What a new user stumbles on (issue 22): journeys walked through the UI only, at desktop and phone sizes.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BandServer, startServer } from '@band/server';
import { captureLogger } from '../helpers.js';
import { launchChromium, PHONE, tempDir } from './harness.js';

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };

/** Horizontal overflow of the page: how far the document is wider than the viewport (0 when it fits). */
async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

describe('what a new user stumbles on', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let server: BandServer;
  let browser: Browser;
  let repo: string;

  beforeAll(async () => {
    home = await tempDir('band-ui-new-user-');
    repo = join(home.path, 'shop');
    await mkdir(join(repo, 'src'), { recursive: true });
    await writeFile(join(repo, 'src', 'app.ts'), 'export const name = "shop";\n');
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo, env: GIT_ENV });
    execFileSync('git', ['add', '-A'], { cwd: repo, env: GIT_ENV });
    execFileSync('git', ['commit', '-q', '-m', 'init'], { cwd: repo, env: GIT_ENV });
    server = await startServer({ home: join(home.path, 'band'), port: 0, logger: captureLogger(), env: { ...process.env, ...GIT_ENV } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await home?.[Symbol.asyncDispose]();
  });

  it('the sign-in page fits a phone and says where the one-time link and the token come from', async () => {
    const context = await browser.newContext(PHONE);
    const page = await context.newPage();
    // What a phone sees without a session (e.g. after a QR code expired): the sign-in page.
    await page.goto(server.url);
    const card = page.locator('[data-testid="sign-in"]');
    await card.waitFor();
    const box = (await card.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width, 'the card fits within the 390 px viewport').toBeLessThanOrEqual(390);
    expect(await horizontalOverflow(page), 'no horizontal scroll').toBe(0);
    const lead = await page.textContent('#lead');
    expect(lead).toContain('one-time sign-in link');
    expect(lead).toContain('band start');
    expect(lead).toContain('npx band');
    // The form is usable at that size: the Sign in button is inside the card.
    const button = (await page.locator('[data-testid="sign-in"] button[type="submit"]').boundingBox())!;
    expect(button.x + button.width).toBeLessThanOrEqual(box.x + box.width);
    await context.close();
  });
});
