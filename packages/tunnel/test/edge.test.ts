import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { chromium } from 'playwright-core';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { skipWhenMissing } from '../../../tooling/testing/prerequisites.js';
import { createTunnel } from '../src/index.js';
import {
  type FakeEdge,
  fakeCloudflaredEnv,
  fakeCloudflaredPath,
  fakeTunnelToken,
  startFakeEdge,
} from '../src/testing/index.js';
import { baseEnv, tempDir } from './helpers.js';
import { SLOW } from '../../../tooling/testing/slow.js';

const PAGE = `<!doctype html><html><head><title>band origin</title></head><body><h1>hello through the tunnel</h1>
<script>
const ws = new WebSocket('wss://' + location.host + '/ws');
ws.onopen = () => ws.send('ping');
ws.onmessage = (e) => { document.body.dataset.ws = e.data; };
ws.onerror = () => { document.body.dataset.ws = 'error'; };
</script></body></html>`;

/** A tiny origin: an HTML page and a WebSocket echo (hand-rolled, text frames < 126 bytes). */
async function startOrigin(): Promise<{ url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(PAGE);
  });
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req, socket: Duplex) => {
    seen.push(req.headers);
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    const accept = createHash('sha1')
      .update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket.on('data', (frame: Buffer) => {
      if ((frame[0]! & 0x0f) !== 1) return;
      const len = frame[1]! & 0x7f;
      const mask = frame.subarray(2, 6);
      const payload = Buffer.from(frame.subarray(6, 6 + len).map((b, i) => b ^ mask[i % 4]!));
      const reply = Buffer.from(`echo:${payload.toString()}`);
      socket.write(Buffer.concat([Buffer.from([0x81, reply.length]), reply]));
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(
    () =>
      new Promise<void>((r) => {
        for (const s of upgraded) s.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function edgeFor(options?: Parameters<typeof startFakeEdge>[0]): Promise<FakeEdge> {
  const edge = await startFakeEdge(options);
  onTestFinished(() => edge.close());
  return edge;
}

function get(
  edge: FakeEdge,
  host: string,
  path = '/',
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: edge.port,
        path,
        headers: { host, ...headers },
        servername: host.includes('.') ? host : undefined,
        rejectUnauthorized: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('startFakeEdge', () => {
  it(
    'proxies a registered quick-tunnel hostname with the ' + 'headers Cloudflare adds, and 530/1033 once stopped',
    async () => {
      const origin = await startOrigin();
      const edge = await edgeFor();
      const tunnel = createTunnel({
        url: origin.url,
        binaryPath: fakeCloudflaredPath,
        stateDir: tempDir(),
        readyPollMs: 40,
        env: baseEnv({ ...edge.env, ...fakeCloudflaredEnv() }),
      });
      onTestFinished(() => tunnel.stop());
      const { url } = await tunnel.start();
      const host = new URL(url).host;
      await edge.waitForRoute(host);
      const res = await get(edge, host, '/hello?x=1', { 'cf-connecting-ip': '6.6.6.6', 'x-forwarded-for': '10.0.0.1' });
      expect(res.status).toBe(200);
      expect(res.body).toContain('hello through the tunnel');
      const h = origin.seen.at(-1)!;
      expect(h.host).toBe(host);
      expect(h['cf-connecting-ip']).toBe('127.0.0.1'); // a client cannot spoof it
      expect(h['cf-ray']).toMatch(/^[0-9a-f]{16}-LAX$/);
      expect(h['cf-visitor']).toBe('{"scheme":"https"}');
      expect(h['x-forwarded-proto']).toBe('https');
      expect(h['x-forwarded-for']).toBe('10.0.0.1, 127.0.0.1');
      await tunnel.stop();
      const after = await get(edge, host);
      expect(after.status).toBe(530);
      expect(after.body).toContain('1033');
    },
  );

  it(
    'a dropped tunnel connection takes its streams with it: ' +
      'an open WebSocket is cut, a new one works once cloudflared is back',
    async () => {
      const origin = await startOrigin();
      const edge = await edgeFor();
      const tunnel = createTunnel({
        url: origin.url,
        binaryPath: fakeCloudflaredPath,
        stateDir: tempDir(),
        readyPollMs: 40,
        env: baseEnv({ ...edge.env, ...fakeCloudflaredEnv() }),
      });
      onTestFinished(() => tunnel.stop());
      const { url } = await tunnel.start();
      const host = new URL(url).host;
      await edge.waitForRoute(host);
      const pid = tunnel.status().pid;
      // A raw WebSocket upgrade through the edge, as a phone's.
      const upgrade = () =>
        new Promise<Duplex>((resolve, reject) => {
          const req = https.request({
            host: '127.0.0.1',
            port: edge.port,
            path: '/ws',
            servername: host,
            rejectUnauthorized: false,
            headers: {
              host,
              connection: 'Upgrade',
              upgrade: 'websocket',
              'sec-websocket-version': '13',
              'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
            },
          });
          req.on('upgrade', (_res, socket: Duplex) => resolve(socket));
          req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
          req.on('error', reject);
          req.end();
        });
      const socket = await upgrade();
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.on('error', () => {});
      const metrics = tunnel.status().metricsAddress;
      expect(metrics).toBeTruthy();
      await fetch(`http://${metrics}/__fake/drop?downMs=300`, { method: 'POST' });
      await closed; // cut with the connection that carried it
      // cloudflared reconnects by itself (no restart, same process): the hostname routes again.
      await edge.waitForRoute(host);
      await vi.waitFor(async () => expect((await get(edge, host)).status).toBe(200), SLOW);
      const again = await upgrade();
      again.destroy();
      expect(tunnel.status().pid).toBe(pid);
    },
  );

  it(
    'answers 530 for an unknown hostname, 502 when the ' + 'origin is down, 403 to a registration without the secret',
    async () => {
      const edge = await edgeFor();
      expect((await get(edge, 'nobody-here.trycloudflare.com')).status).toBe(530);
      const tunnel = createTunnel({
        url: 'http://127.0.0.1:9',
        binaryPath: fakeCloudflaredPath,
        stateDir: tempDir(),
        readyPollMs: 40,
        env: baseEnv({ ...edge.env, ...fakeCloudflaredEnv() }),
      });
      onTestFinished(() => tunnel.stop());
      const { url } = await tunnel.start();
      await edge.waitForRoute(url);
      expect((await get(edge, new URL(url).host)).status).toBe(502);
      const forged = await new Promise<number>((resolve, reject) => {
        const req = https.request(
          { host: '127.0.0.1', port: edge.port, path: '/__edge/connect', method: 'POST', rejectUnauthorized: false },
          (res) => resolve(res.statusCode ?? 0),
        );
        req.on('error', reject);
        req.end('{"hostname":"evil.trycloudflare.com","origin":"http://127.0.0.1:1"}\n');
      });
      expect(forged).toBe(403);
    },
  );

  it('routes a named tunnel hostname', async () => {
    const origin = await startOrigin();
    const edge = await edgeFor({ hostnames: ['band.example.com'] });
    const tunnel = createTunnel({
      url: origin.url,
      mode: 'named',
      hostname: 'band.example.com',
      token: fakeTunnelToken(),
      binaryPath: fakeCloudflaredPath,
      stateDir: tempDir(),
      readyPollMs: 40,
      env: baseEnv({ ...edge.env, ...fakeCloudflaredEnv({ hostname: 'band.example.com' }) }),
    });
    onTestFinished(() => tunnel.stop());
    await tunnel.start();
    await edge.waitForRoute('band.example.com');
    expect((await get(edge, 'band.example.com')).body).toContain('hello through the tunnel');
  });

  it(
    "remote-managed ingress: a named tunnel's hostname goes " +
      'to the service configured "in Cloudflare", not to --url',
    async () => {
      const configured = await startOrigin();
      const urlOrigin = await startOrigin();
      const edge = await edgeFor({ ingress: { 'band.example.test': configured.url } });
      expect(edge.env.FAKE_CFD_INGRESS).toBe(JSON.stringify({ 'band.example.test': configured.url }));
      expect(edge.chromiumArgs[0]).toContain(`MAP band.example.test 127.0.0.1:${edge.port}`);
      const lines: string[] = [];
      const tunnel = createTunnel({
        url: urlOrigin.url,
        mode: 'named',
        hostname: 'band.example.test',
        token: fakeTunnelToken(),
        binaryPath: fakeCloudflaredPath,
        stateDir: tempDir(),
        readyPollMs: 40,
        // No FAKE_CFD_HOSTNAME: the fake registers the hostname of the ingress it "received" from the edge.
        env: baseEnv({ ...edge.env, ...fakeCloudflaredEnv() }),
      });
      tunnel.on('log', (line) => lines.push(typeof line === 'string' ? line : JSON.stringify(line)));
      onTestFinished(() => tunnel.stop());
      await tunnel.start();
      await edge.waitForRoute('band.example.test');
      expect((await get(edge, 'band.example.test', '/configured')).body).toContain('hello through the tunnel');
      expect(configured.seen.at(-1)?.host).toBe('band.example.test');
      expect(urlOrigin.seen).toEqual([]);
      // What cloudflared logs is the dashboard's configuration, with its 404 catch-all.
      await expect.poll(() => lines.join('\n'), SLOW).toContain('Updated to new configuration');
      const update = lines.find((l) => l.includes('Updated to new configuration')) ?? '';
      expect(update).toContain(configured.url);
      expect(update).not.toContain(urlOrigin.url);

      // Misconfigured in the dashboard: a dead service gives 502, the catch-all 404; a fixed one works again.
      edge.setIngress({ 'band.example.test': 'http://127.0.0.1:9' });
      expect((await get(edge, 'band.example.test')).status).toBe(502);
      edge.setIngress({ 'band.example.test': 'http_status:404' });
      expect(await get(edge, 'band.example.test')).toMatchObject({ status: 404, body: '404 page not found\n' });
      edge.setIngress({ 'band.example.test': configured.url });
      expect((await get(edge, 'band.example.test')).status).toBe(200);
      expect(urlOrigin.seen).toEqual([]);
      await tunnel.stop();
      expect((await get(edge, 'band.example.test')).status).toBe(530);
    },
  );
});

const needsChromium = existsSync('/usr/bin/chromium') ? [] : ['/usr/bin/chromium'];

describe.skipIf(skipWhenMissing('the Chromium edge tests', needsChromium))('Chromium through the fake edge', () => {
  it('opens the printed https://<words>.trycloudflare.com URL like a phone would: page and WebSocket', async () => {
    const origin = await startOrigin();
    const edge = await edgeFor();
    const tunnel = createTunnel({
      url: origin.url,
      binaryPath: fakeCloudflaredPath,
      stateDir: tempDir(),
      readyPollMs: 40,
      env: baseEnv({ ...edge.env, ...fakeCloudflaredEnv() }),
    });
    onTestFinished(() => tunnel.stop());
    const { url } = await tunnel.start();
    await edge.waitForRoute(url);
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
        ...edge.chromiumArgs,
      ],
    });
    onTestFinished(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    const response = await page.goto(`${url}/`);
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(`${url}/`);
    await expect.poll(() => page.locator('body').getAttribute('data-ws'), { timeout: 10_000 }).toBe('echo:ping');
    expect(await page.textContent('h1')).toBe('hello through the tunnel');
    const upgrade = origin.seen.find((h) => h.upgrade === 'websocket')!;
    expect(upgrade.host).toBe(new URL(url).host);
    expect(upgrade.origin).toBe(url);
    expect(upgrade['cf-connecting-ip']).toBe('127.0.0.1');
    await tunnel.stop();
    const gone = await page.goto(`${url}/`);
    expect(gone?.status()).toBe(530);
  }, 60_000);
});
