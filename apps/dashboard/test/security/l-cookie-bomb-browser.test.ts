// L9 (issue 16 #7) in Chromium: a page on another localhost port fills the `localhost` cookie jar (25 × 4 KB), so
// every request the browser makes to localhost:<band port> is over the server's header limit. The owner gets a page
// that explains it, and the way it names (http://127.0.0.1:<port>, what `band open` uses) signs them in.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers.js';
import { type Band, expectNoSecretsLogged, startBand } from './harness.js';

let band: Band;
let browser: Browser;
let bomber: Server;
let bomberPort: number;

beforeAll(async () => {
  band = await startBand();
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  bomber = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    // Host-only cookies for `localhost`: browsers send them to every port of localhost, Band's included.
    res.end(`<!doctype html><script>
for (let i = 0; i < 25; i++) document.cookie = 'bomb' + i + '=' + 'x'.repeat(4000) + '; path=/; max-age=3600';
window.count = document.cookie.split('; ').length;
</script>`);
  });
  await new Promise<void>((resolve) => bomber.listen(0, '127.0.0.1', resolve));
  bomberPort = (bomber.address() as AddressInfo).port;
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => bomber?.close(resolve));
  await band?.close();
});

describe('L9: cookie bombing in a real browser (issue 16 #7)', () => {
  it(
    'L9: after a localhost page sets 25 × 4 KB cookies, Band on localhost shows ' +
      'the help page (not a bare 431) and its 127.0.0.1 link signs the owner in',
    async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`http://localhost:${bomberPort}/`);
      expect(await page.evaluate(() => (window as unknown as { count: number }).count)).toBe(25);

      const bombed = await page.goto(`http://localhost:${band.port}/`);
      expect(bombed?.status()).toBe(431);
      await page.getByRole('heading', { name: /too many cookies/ }).waitFor();
      const link = page.getByRole('link', { name: `http://127.0.0.1:${band.port}` });
      expect(await link.count()).toBe(1);
      expect(await page.textContent('body')).toMatch(/Clear the cookies of localhost/);

      // The link leads to a separate cookie jar: a normal sign-in page there, and the one-time link signs in.
      await Promise.all([page.waitForURL(`http://127.0.0.1:${band.port}/`), link.click()]);
      await page.getByTestId('sign-in').waitFor();
      await page.goto(band.server.createSignInUrl());
      await page.getByTestId('dashboard-shell').waitFor({ timeout: 30_000 });
      expect(page.url()).toBe(`http://127.0.0.1:${band.port}/`);
      await context.close();
      expectNoSecretsLogged(band, expect);
    },
  );
});
