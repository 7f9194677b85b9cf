// A named tunnel created in Cloudflare's dashboard (issue 13): its routing is the public hostname's "service",
// configured in Cloudflare, not cloudflared's --url. Band gives it a stable origin,
// http://127.0.0.1:<tunnel.originPort>, bound only while the tunnel runs; the fake edge routes
// https://band.example.test by its remote-managed ingress.
import { writeFile } from 'node:fs/promises';
import http, { createServer, type Server } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type BandServer, startServer } from '@band/server/start';
import {
  fakeCloudflaredEnv,
  fakeCloudflaredPath,
  type FakeEdge,
  fakeTunnelCredentials,
  fakeTunnelToken,
  startFakeEdge,
} from '@band/tunnel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogger, tempHome } from './helpers.js';

const HOST = 'band.example.test';

/** A port that was free a moment ago (the origin port must be a fixed number in settings). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** GET through the fake edge, as a phone resolving `host` to Cloudflare would. */
function viaEdge(
  edge: FakeEdge,
  path: string,
  host = HOST,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port: edge.port, path, servername: host, headers: { host }, ca: edge.cert },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** GET straight to a local listener with a chosen Host header. */
function direct(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = http.request(
      { host: target.hostname, port: target.port, path: '/', headers: { host }, agent: false },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('named tunnel with remote-managed ingress', () => {
  let home: Awaited<ReturnType<typeof tempHome>>;
  let edge: FakeEdge;
  let server: BandServer;
  let originPort: number;
  const logger = captureLogger();

  beforeAll(async () => {
    home = await tempHome();
    originPort = await freePort();
    // Cloudflare's dashboard says: band.example.test -> http://127.0.0.1:<originPort> (what `band tunnel setup`
    // prints).
    edge = await startFakeEdge({ ingress: { [HOST]: `http://127.0.0.1:${originPort}` } });
    const tokenFile = join(home.home, 'tunnel-token');
    await writeFile(tokenFile, fakeTunnelToken(), { mode: 0o600 });
    const caFile = join(home.home, 'edge-ca.pem');
    await writeFile(caFile, edge.cert);
    server = await startServer({
      home: home.home,
      port: 0,
      logger,
      env: {
        ...process.env,
        BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
        ...edge.env,
        ...fakeCloudflaredEnv({ scenario: 'ok' }),
        // The hostname check reaches "Cloudflare" (the fake edge) like a hosts entry would, trusting its certificate.
        BAND_TUNNEL_CONNECT_TO: `127.0.0.1:${edge.port}`,
        NODE_EXTRA_CA_CERTS: caFile,
        BAND_TUNNEL_CHECK_TIMEOUT_MS: '4000',
      },
    });
    await server.settings.update((s) => ({
      ...s,
      tunnel: { ...s.tunnel, mode: 'quick', hostname: HOST, tokenFile, originPort },
    }));
  });
  afterAll(async () => {
    await server?.close();
    await edge?.close();
    await home?.[Symbol.asyncDispose]();
    expect(logger.text()).not.toContain(server?.settings.get().tokenSecret ?? 'no token');
  });

  it(
    'switches from quick to named without a server restart; ' + 'the origin is bound only while the tunnel runs',
    async () => {
      const tunnel = server.api.services.tunnel;
      const quick = await tunnel.start();
      expect(quick).toMatchObject({ state: 'ready', mode: 'quick', stableUrl: null });
      expect(quick.url).toMatch(/\.trycloudflare\.com$/);
      expect(quick.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(quick.origin).not.toBe(`http://127.0.0.1:${originPort}`);
      await tunnel.stop();

      await server.settings.set('tunnel.mode', 'named');
      // Stopped, the status already says what to configure in Cloudflare.
      expect(tunnel.status()).toMatchObject({
        state: 'stopped',
        mode: 'named',
        url: null,
        stableUrl: `https://${HOST}`,
        origin: `http://127.0.0.1:${originPort}`,
      });
      await expect(direct(`http://127.0.0.1:${originPort}`, HOST)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

      const named = await tunnel.start();
      expect(named).toMatchObject({
        state: 'ready',
        mode: 'named',
        url: `https://${HOST}`,
        stableUrl: `https://${HOST}`,
        origin: `http://127.0.0.1:${originPort}`,
        error: null,
      });
    },
  );

  it(
    'the stable origin has the tunnel listener rules: exact Host, ' +
      'HSTS, __Host- cookie; the local listener refuses that Host',
    async () => {
      const refused = await viaEdge(edge, '/');
      expect(refused.status).toBe(401);
      expect(String(refused.headers['strict-transport-security'])).toMatch(/max-age=\d+/);
      // Any other Host on the origin port is refused, and the local listener never accepts the tunnel's hostname.
      expect(await direct(`http://127.0.0.1:${originPort}`, `127.0.0.1:${originPort}`)).toBe(403);
      expect(await direct(server.url, HOST)).toBe(403);

      const pairing = server.gate.createPairingCode('tunnel');
      expect(pairing.url.startsWith(`https://${HOST}/pair#c=`)).toBe(true);
    },
  );

  it('stopping closes the origin port; the hostname answers 530', async () => {
    await server.api.services.tunnel.stop();
    await expect(direct(`http://127.0.0.1:${originPort}`, HOST)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect((await viaEdge(edge, '/')).status).toBe(530);
  });

  it('a taken origin port fails the start with an error naming the port and the setting', async () => {
    const squatter: Server = createServer((_req, res) => res.end('not band'));
    await new Promise<void>((resolve) => squatter.listen(originPort, '127.0.0.1', resolve));
    try {
      await expect(server.api.services.tunnel.start()).rejects.toMatchObject({ code: 'ORIGIN_PORT_IN_USE' });
      const status = server.api.services.tunnel.status();
      expect(status.state).toBe('failed');
      expect(status.error?.message).toContain(`Port ${originPort}`);
      expect(status.error?.message).toContain('tunnel.originPort');
      expect(status.error?.hint).toContain('tunnel.originPort');
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  it('a dashboard ingress pointing at the local listener is a clear error, not a hang', async () => {
    edge.setIngress({ [HOST]: server.url });
    const started = Date.now();
    await expect(server.api.services.tunnel.start()).rejects.toMatchObject({ code: 'HOSTNAME_NOT_ROUTED' });
    expect(Date.now() - started).toBeLessThan(20_000);
    const status = server.api.services.tunnel.status();
    expect(status).toMatchObject({ state: 'failed', url: null, mode: 'named' });
    expect(status.error?.message).toContain("Band's local listener");
    expect(status.error?.hint).toContain(`http://127.0.0.1:${originPort}`);
    // Nothing is left running: the origin port is free again.
    await expect(direct(`http://127.0.0.1:${originPort}`, HOST)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('a dashboard ingress pointing at a dead service (502) or missing (404) is a clear error too', async () => {
    edge.setIngress({ [HOST]: 'http://127.0.0.1:9' });
    await expect(server.api.services.tunnel.start()).rejects.toMatchObject({
      code: 'HOSTNAME_NOT_ROUTED',
      message: expect.stringContaining('502'),
    });
    edge.setIngress({ [HOST]: 'http_status:404' });
    await expect(server.api.services.tunnel.start()).rejects.toMatchObject({
      code: 'HOSTNAME_NOT_ROUTED',
      message: expect.stringContaining('404'),
    });
    // Fixed in the dashboard: the same settings start again.
    edge.setIngress({ [HOST]: `http://127.0.0.1:${originPort}` });
    expect(await server.api.services.tunnel.start()).toMatchObject({ state: 'ready', url: `https://${HOST}` });
    await server.api.services.tunnel.stop();
  });
});

describe('named tunnel, locally managed (cloudflared tunnel create)', () => {
  let home: Awaited<ReturnType<typeof tempHome>>;
  let edge: FakeEdge;
  let server: BandServer;
  let originPort: number;
  const logger = captureLogger();

  beforeAll(async () => {
    home = await tempHome();
    originPort = await freePort();
    // "Cloudflare's dashboard" routes the hostname nowhere useful: a locally managed tunnel brings its own ingress.
    edge = await startFakeEdge({ ingress: { [HOST]: 'http_status:404' } });
    const caFile = join(home.home, 'edge-ca.pem');
    await writeFile(caFile, edge.cert);
    server = await startServer({
      home: home.home,
      port: 0,
      logger,
      env: {
        ...process.env,
        BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
        ...edge.env,
        ...fakeCloudflaredEnv({ scenario: 'ok' }),
        BAND_TUNNEL_CONNECT_TO: `127.0.0.1:${edge.port}`,
        NODE_EXTRA_CA_CERTS: caFile,
        BAND_TUNNEL_CHECK_TIMEOUT_MS: '4000',
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await edge?.close();
    await home?.[Symbol.asyncDispose]();
  });

  it(
    'a token tunnel fails on the wrong dashboard ingress; ' +
      'the same hostname with a credentials file works, without a restart',
    async () => {
      const tunnel = server.api.services.tunnel;
      const tokenFile = join(home.home, 'tunnel-token');
      await writeFile(tokenFile, fakeTunnelToken(), { mode: 0o600 });
      await server.settings.update((s) => ({
        ...s,
        tunnel: { ...s.tunnel, mode: 'named', hostname: HOST, tokenFile, originPort },
      }));
      await expect(tunnel.start()).rejects.toMatchObject({
        code: 'HOSTNAME_NOT_ROUTED',
        message: expect.stringContaining('404'),
      });

      const creds = fakeTunnelCredentials(home.home);
      await server.settings.update((s) => ({
        ...s,
        tunnel: { mode: 'named', hostname: HOST, credentialsFile: creds.path, originPort },
      }));
      // Still the failed start's state, but already what the next start uses.
      expect(tunnel.status()).toMatchObject({
        state: 'failed',
        mode: 'named',
        management: 'local',
        tunnelId: creds.tunnelId,
      });
      expect(await tunnel.start()).toMatchObject({
        state: 'ready',
        mode: 'named',
        management: 'local',
        tunnelId: creds.tunnelId,
        url: `https://${HOST}`,
        origin: `http://127.0.0.1:${originPort}`,
        error: null,
      });
    },
  );

  it('the origin has the tunnel listener rules; the local listener refuses the hostname; stop closes it', async () => {
    const refused = await viaEdge(edge, '/');
    expect(refused.status).toBe(401);
    expect(String(refused.headers['strict-transport-security'])).toMatch(/max-age=\d+/);
    expect(await direct(`http://127.0.0.1:${originPort}`, `127.0.0.1:${originPort}`)).toBe(403);
    expect(await direct(server.url, HOST)).toBe(403);
    await server.api.services.tunnel.stop();
    await expect(direct(`http://127.0.0.1:${originPort}`, HOST)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect((await viaEdge(edge, '/')).status).toBe(530);
    expect(logger.text()).not.toContain(server.settings.get().tokenSecret);
  });
});
