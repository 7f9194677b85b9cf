// Chromium: the ?token= link never stays in the URL or history, a second tab is signed in by the cookie, and a
// cross-origin page on another localhost port cannot call a mutation or open a WebSocket with the user's cookie.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers.js';
import { type Band, expectNoSecretsLogged, expectNothingHappened, snapshot, startBand } from './harness.js';

let band: Band;
let browser: Browser;
let context: BrowserContext;
let attacker: Server;
let attackerPort: number;
const attackerHits: string[] = [];

beforeAll(async () => {
  band = await startBand();
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  context = await browser.newContext();
  attacker = createServer((req, res) => {
    attackerHits.push(req.url ?? '');
    res.setHeader('content-type', 'text/html');
    if (req.url === '/link') {
      res.end(`<!doctype html><a id="go" href="http://localhost:${band.port}/">Band</a>`);
      return;
    }
    res.end(attackPage(band.port));
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerPort = (attacker.address() as AddressInfo).port;
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await new Promise((resolve) => attacker?.close(resolve));
  await band?.close();
});
afterEach(() => {
  if (band) expectNoSecretsLogged(band, expect);
});

function attackPage(bandPort: number): string {
  const target = `http://localhost:${bandPort}`;
  return `<!doctype html><html><body><script>
window.results = {};
const body = JSON.stringify({ key: 'notifications.soundOnNeedsAttention', value: false });
const tries = [
  ['corsJson', () => fetch('${target}/api/trpc/settings.set', { method: 'POST', credentials: 'include', headers: { \
'content-type': 'application/json' }, body })],
  ['simpleTextPlain', () => fetch('${target}/api/trpc/settings.set', { method: 'POST', credentials: 'include', mode: \
'no-cors', headers: { 'content-type': 'text/plain' }, body })],
  ['revealToken', () => fetch('${target}/api/trpc/auth.revealToken', { method: 'POST', credentials: 'include', mode: \
'no-cors', body: '{}' })],
  ['readQuery', () => fetch('${target}/api/trpc/settings.get', { credentials: 'include' }).then((r) => r.text())],
];
window.done = Promise.all(tries.map(([name, fn]) => fn().then((r) => { window.results[name] = typeof r === 'string' ? \
'read:' + r : 'opaque:' + r.status; }, (e) => { window.results[name] = 'error'; }))).then(() => new Promise((resolve) \
=> {
  const ws = new WebSocket('ws://localhost:${bandPort}/api/trpc-ws');
  ws.onopen = () => { window.results.ws = 'open'; ws.close(); resolve(); };
  ws.onerror = () => { window.results.ws = 'error'; resolve(); };
}));
</script></body></html>`;
}

describe('in Chromium', () => {
  it('B9: opening the ?token= link ends on a URL without the token, and no history entry holds it', async () => {
    const page = await context.newPage();
    const response = await page.goto(`${band.origin}/?token=${band.token()}`);
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(`${band.origin}/`);
    expect(await page.evaluate(() => document.URL)).not.toContain(band.token());
    const cdp = await context.newCDPSession(page);
    const history = (await cdp.send('Page.getNavigationHistory')) as { entries: Array<{ url: string }> };
    expect(history.entries.length).toBeGreaterThan(0);
    for (const entry of history.entries) expect(entry.url).not.toContain(band.token());
    expect(history.entries.map((e) => e.url).filter((u) => u !== 'about:blank')).toEqual([`${band.origin}/`]);
    const cookies = await context.cookies(band.origin);
    const session = cookies.find((c) => c.name === `band_sess_${band.port}`)!;
    band.secrets.add(session.value);
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    // C3: page JS cannot read it.
    expect(await page.evaluate(() => document.cookie)).not.toContain('band_sess');
    await page.close();
  });

  it('a second tab is signed in by the cookie alone', async () => {
    const page = await context.newPage();
    const response = await page.goto(band.origin);
    expect(response?.status()).toBe(200);
    expect(await page.getByTestId('sign-in').count()).toBe(0);
    await page.close();
  });

  it(
    'D1/D4/E2: a page on another localhost port cannot call a ' +
      'mutation, read a query or open a WebSocket with the cookie',
    async () => {
      const before = await snapshot(band);
      const mark = band.logger.lines.length;
      const page = await context.newPage();
      await page.goto(`http://localhost:${attackerPort}/`);
      await page.evaluate(() => (window as unknown as { done: Promise<void> }).done);
      const results = (await page.evaluate(
        () => (window as unknown as { results: Record<string, string> }).results,
      )) as Record<string, string>;
      expect(results.corsJson).toBe('error'); // preflight refused (no CORS headers, ever)
      expect(results.readQuery).toBe('error'); // no ACAO: the response is unreadable
      // Simple requests are sent (no preflight); what the page sees (an opaque response or a network error) is the same
      // whether Band accepted or refused them, so the proof is on the server: the gate answered each with 403.
      expect(['opaque:0', 'error']).toContain(results.simpleTextPlain);
      expect(['opaque:0', 'error']).toContain(results.revealToken);
      expect(results.ws).toBe('error'); // 403 before the handshake
      const answers = (method: string, path: string) =>
        band.logger.lines
          .slice(mark)
          .filter((l) => l.includes(`local ${method} ${path} `))
          .map((l) => new RegExp(`local ${method} \\S+ (\\d{3}) .*(CROSS_SITE|ORIGIN_MISMATCH)`).exec(l)?.[1] ?? l);
      // simpleTextPlain (corsJson stopped at its preflight)
      expect(answers('POST', '/api/trpc/settings.set')).toEqual(['403']);
      expect(answers('POST', '/api/trpc/auth.revealToken')).toEqual(['403']);
      expect(answers('GET', '/api/trpc/settings.get')).toEqual(['403']);
      expect(answers('UPGRADE', '/api/trpc-ws')).toEqual(['403']);
      // And nothing happened: settings, devices, database, terminals, processes.
      await expectNothingHappened(band, before, undefined, expect);
      expect(band.server.settings.get().notifications.soundOnNeedsAttention).toBe(true);
      await page.close();
    },
  );

  it(
    'a cross-site link to Band arrives without the Strict cookie, ' +
      'and the sign-in page bounces once to a signed-in page',
    async () => {
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${attackerPort}/link`);
      await Promise.all([page.waitForURL(`${band.origin}/`), page.click('#go')]);
      await page.waitForLoadState('load');
      await expect.poll(async () => page.getByTestId('sign-in').count(), { timeout: 15_000 }).toBe(0);
      expect(band.logger.text()).toMatch(/local GET \/ 401 /);
      await page.close();
    },
  );
});
