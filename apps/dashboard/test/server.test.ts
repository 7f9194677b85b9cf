import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type BandServer, startServer } from '@band/server/start';
import { CHROMIUM_ARGS, CHROMIUM_PATH, captureLogger, tempHome } from './helpers.js';

describe('the Band server', () => {
  let home: Awaited<ReturnType<typeof tempHome>>;
  let server: BandServer;
  let token: string;
  const logger = captureLogger();

  beforeAll(async () => {
    home = await tempHome();
    server = await startServer({ home: home.home, port: 0, logger });
    token = server.settings.get().tokenSecret;
  });
  afterAll(async () => {
    await server?.close();
    await home?.[Symbol.asyncDispose]();
    // Whatever happened above, the permanent token never reaches a log line.
    expect(logger.text()).not.toContain(token);
  });

  const api = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, init);
  const bearer = () => ({ authorization: `Bearer ${token}` });

  it('creates settings.json on first launch with a fresh 64-hex token, readable only by the user', async () => {
    const file = join(home.home, 'settings.json');
    const settings = JSON.parse(await readFile(file, 'utf8'));
    expect(settings.tokenSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(settings.webServerPort).toBe(3456);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(home.home)).mode & 0o777).toBe(0o700);
  });

  it('refuses the dashboard, the API and static files without credentials (401), loopback included', async () => {
    for (const path of [
      '/',
      '/api/trpc/health',
      '/api/trpc/settings.get',
      '/_next/static/chunks/main.js',
      '/favicon.ico',
    ]) {
      const res = await api(path, { redirect: 'manual' });
      expect(res.status, path).toBe(401);
      expect(res.headers.get('set-cookie'), path).toBeNull();
    }
  });

  it('answers health and settings.get to the bearer token, with the token redacted', async () => {
    const health = await api('/api/trpc/health', { headers: bearer() });
    expect(health.status).toBe(200);
    expect((await health.json()).result.data).toMatchObject({ ok: true, name: 'band', listener: 'local' });

    const res = await api('/api/trpc/settings.get', { headers: bearer() });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).not.toContain(token);
    expect(JSON.parse(body).result.data).toMatchObject({ webServerPort: 3456, autoStartTunnel: false });
  });

  it('refuses a wrong token', async () => {
    const res = await api('/api/trpc/health', { headers: { authorization: `Bearer ${'0'.repeat(64)}` } });
    expect(res.status).toBe(401);
  });

  it('serves tRPC subscriptions over WebSocket and refuses unknown WebSocket paths', async () => {
    const open = (path: string) =>
      new Promise<number | 'open'>((resolve) => {
        const ws = new WebSocket(`${server.url.replace('http', 'ws')}${path}`, {
          headers: { ...bearer(), origin: server.url },
        });
        ws.on('open', () => {
          ws.close();
          resolve('open');
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => resolve(0));
      });
    expect(await open('/api/trpc-ws')).toBe('open');
    expect(await open('/api/nope')).toBe(404);
    expect(await open('/_next/webpack-hmr')).toBe(404);
  });

  it('names the port and the setting when the port is taken', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    await using other = await tempHome();
    try {
      await expect(startServer({ home: other.home, port, logger: captureLogger() })).rejects.toMatchObject({
        code: 'PORT_IN_USE',
        message: expect.stringContaining(`Port ${port}`),
        hint: expect.stringContaining('webServerPort'),
      });
    } finally {
      blocker.close();
    }
  });

  describe('in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    });
    afterAll(() => browser?.close());

    it('opens the sign-in link on the dashboard, signed in, and the link cannot be used twice', async () => {
      const link = server.createSignInUrl();
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(link);
      await page.getByTestId('dashboard-shell').waitFor({ timeout: 30_000 });
      expect(page.url()).not.toContain('#c=');
      await context.close();

      const second = await browser.newContext();
      const again = await second.newPage();
      await again.goto(link);
      await again.getByTestId('sign-in').waitFor({ timeout: 30_000 });
      expect(await again.getByTestId('dashboard-shell').count()).toBe(0);
      await second.close();
    });

    it('shows the sign-in page without the link', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const res = await page.goto(server.url);
      expect(res?.status()).toBe(401);
      await page.getByTestId('sign-in').waitFor();
      expect(await page.getByTestId('dashboard-shell').count()).toBe(0);
      await context.close();
    });
  });
});

describe('npm start (packages/server/dist/main.js)', () => {
  it('prints the URL and a sign-in link, and stops cleanly on SIGTERM', async () => {
    await using home = await tempHome();
    const main = fileURLToPath(new URL('../../../packages/server/dist/main.js', import.meta.url));
    const child = spawn(process.execPath, [main, '--port', '0'], {
      env: { ...process.env, BAND_HOME: home.home, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    await expect.poll(() => out, { timeout: 30_000 }).toContain('/pair#c=');
    expect(out).toMatch(/Band is running at http:\/\/127\.0\.0\.1:\d+/);
    const token = JSON.parse(await readFile(join(home.home, 'settings.json'), 'utf8')).tokenSecret;
    expect(out).not.toContain(token);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});
