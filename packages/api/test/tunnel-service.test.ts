// The tunnel service against the fake cloudflared found the way a user's machine finds cloudflared.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeHelloProof } from '@band/auth';
import { createTestGate, type TestGate } from '@band/auth/testing';
import {
  fakeCloudflaredEnv,
  fakeCloudflaredPath,
  fakeTunnelCredentials,
  fakeTunnelToken,
  startFakeEdge,
} from '@band/tunnel/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createTunnelService, type TunnelService, type TunnelStatus } from '../src/tunnel/tunnel-service.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function binDir(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'band-api-bin-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'cloudflared'), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, 'cloudflared'), 0o755);
  return dir;
}

async function service(
  env: NodeJS.ProcessEnv,
): Promise<{ tunnel: TunnelService; testGate: TestGate; warnings: string[]; seen: TunnelStatus[] }> {
  const testGate = await createTestGate();
  cleanups.push(() => testGate.close());
  const warnings: string[] = [];
  const logger = {
    debug() {},
    info() {},
    warn: (m: string) => warnings.push(m),
    error: (m: string) => warnings.push(m),
  };
  const tunnel = createTunnelService({
    settings: testGate.settings,
    gate: testGate.gate,
    logger: logger as never,
    env,
    openTunnelListener: async () => {
      // Like Band's tunnel listener: /auth/hello answers the hostname check with the proof for this host and address.
      const server = createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname !== '/auth/hello') return void res.end('ok');
        const local = `127.0.0.1:${(server.address() as AddressInfo).port}`;
        const proof = computeHelloProof(
          testGate.settings.get().tokenSecret,
          url.searchParams.get('n') ?? '',
          req.headers.host ?? '',
          local,
        );
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ proof, address: local }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      };
    },
  });
  cleanups.push(() => tunnel.close());
  const seen: TunnelStatus[] = [];
  const ac = new AbortController();
  cleanups.push(() => ac.abort());
  void (async () => {
    for await (const s of tunnel.watch(ac.signal)) seen.push(s);
  })();
  return { tunnel, testGate, warnings, seen };
}

const baseEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('BAND_') && !k.startsWith('FAKE_CFD_')) env[k] = v;
  return { ...env, ...extra };
};

describe('tunnel service and the cloudflared on this machine', () => {
  it('reports the cloudflared version in its status and keeps it after a stop', async () => {
    const { tunnel, seen } = await service(
      baseEnv({ ...fakeCloudflaredEnv({ version: '2023.7.3' }), BAND_CLOUDFLARED_PATH: fakeCloudflaredPath }),
    );
    const ready = await tunnel.start();
    expect(ready).toMatchObject({
      state: 'ready',
      phase: null,
      cloudflaredVersion: '2023.7.3',
      url: expect.stringMatching(/^https:\/\/[a-z-]+\.trycloudflare\.com$/),
    });
    expect(seen.some((s) => s.state === 'starting' && s.phase === 'connecting' && s.url === null)).toBe(true);
    expect(await tunnel.stop()).toMatchObject({ state: 'stopped', url: null, cloudflaredVersion: '2023.7.3' });
  });

  it(
    'checks settings tunnel.cloudflaredPath with --version: ' + 'a wrapper there is skipped for the real one on PATH',
    async () => {
      const wrapper = binDir('exit 0');
      const real = binDir(`exec "${process.execPath}" "${fakeCloudflaredPath}" "$@"`);
      const { tunnel, testGate, warnings } = await service(
        baseEnv({ ...fakeCloudflaredEnv({ version: '2025.8.1' }), PATH: `${real}:/usr/bin:/bin` }),
      );
      await testGate.settings.set('tunnel.cloudflaredPath', join(wrapper, 'cloudflared'));
      expect(await tunnel.start()).toMatchObject({ state: 'ready', cloudflaredVersion: '2025.8.1' });
      expect(warnings.join('\n')).toContain(`skipped ${join(wrapper, 'cloudflared')}: is not cloudflared`);
    },
  );

  it('with no cloudflared at all, fails with each path tried and the install hint', async () => {
    const wrapper = binDir('exit 0');
    const { tunnel } = await service(baseEnv({ PATH: wrapper, HOME: wrapper }));
    await expect(tunnel.start()).rejects.toMatchObject({ code: 'BINARY_NOT_FOUND' });
    const status = tunnel.status();
    expect(status.state).toBe('failed');
    expect(status.error?.message).toContain(`${join(wrapper, 'cloudflared')} (PATH) is not cloudflared`);
    expect(status.error?.hint).toMatch(/BAND_CLOUDFLARED_PATH/);
  });
});

describe('a locally managed named tunnel (cloudflared tunnel create)', () => {
  const HOST = 'band.example.test';
  const ID = '6ff42ae2-765d-4adf-8112-31c55c1551ef';
  const named = (extra: Record<string, unknown>) => ({
    mode: 'named' as const,
    hostname: HOST,
    originPort: 3457,
    ...extra,
  });
  const credsDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'band-api-creds-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };

  it('a named setup without a token or credentials file is NAMED_TUNNEL_INCOMPLETE naming both', async () => {
    const { tunnel, testGate } = await service(
      baseEnv({ ...fakeCloudflaredEnv(), BAND_CLOUDFLARED_PATH: fakeCloudflaredPath }),
    );
    await testGate.settings.set('tunnel', named({}));
    expect(tunnel.status()).toMatchObject({ mode: 'named', management: null, tunnelId: null });
    const error = await tunnel.start().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NAMED_TUNNEL_INCOMPLETE' });
    expect((error as Error).message).toContain('tunnel.tokenFile');
    expect((error as Error).message).toContain('tunnel.credentialsFile');
    expect((error as { hint: string }).hint).toContain('--credentials-file');
  });

  it(
    'while stopped the status says local and the tunnel id; ' + 'a bad credentials file fails the start with the fix',
    async () => {
      const { tunnel, testGate } = await service(
        baseEnv({ ...fakeCloudflaredEnv(), BAND_CLOUDFLARED_PATH: fakeCloudflaredPath }),
      );
      const creds = fakeTunnelCredentials(credsDir());
      await testGate.settings.set('tunnel', named({ credentialsFile: creds.path }));
      expect(tunnel.status()).toMatchObject({
        state: 'stopped',
        mode: 'named',
        management: 'local',
        tunnelId: ID,
        origin: 'http://127.0.0.1:3457',
        stableUrl: `https://${HOST}`,
      });
      chmodSync(creds.path, 0o644);
      await expect(tunnel.start()).rejects.toMatchObject({ code: 'CREDENTIALS_INVALID' });
      expect(tunnel.status()).toMatchObject({
        state: 'failed',
        error: { code: 'CREDENTIALS_INVALID', hint: `Restrict it: chmod 600 ${creds.path}` },
      });
    },
  );

  it(
    'starts through the fake edge: ' + 'Band writes the ingress, the hostname check passes, status reports local',
    async () => {
      const edge = await startFakeEdge({ hostnames: [HOST] });
      cleanups.push(() => edge.close());
      const dir = credsDir();
      const ca = join(dir, 'edge.pem');
      writeFileSync(ca, edge.cert);
      const { tunnel, testGate } = await service(
        baseEnv({
          ...fakeCloudflaredEnv(),
          ...edge.env,
          BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
          BAND_TUNNEL_CONNECT_TO: `127.0.0.1:${edge.port}`,
          NODE_EXTRA_CA_CERTS: ca,
        }),
      );
      const creds = fakeTunnelCredentials(dir);
      await testGate.settings.set('tunnel', named({ credentialsFile: creds.path }));
      const ready = await tunnel.start();
      expect(ready).toMatchObject({
        state: 'ready',
        url: `https://${HOST}`,
        mode: 'named',
        management: 'local',
        tunnelId: ID,
      });
      expect(edge.routes().map((r) => r.hostname)).toContain(HOST);
    },
  );

  it('a hostname whose DNS route is missing is HOSTNAME_NOT_ROUTED with the route dns command', async () => {
    // The connector never reaches this edge (its edge URL is dead), as when the hostname's DNS record is not this
    // tunnel's: the edge has no connector for the hostname and answers 530 / error 1033.
    const edge = await startFakeEdge({ hostnames: [HOST] });
    cleanups.push(() => edge.close());
    const dir = credsDir();
    const ca = join(dir, 'edge.pem');
    writeFileSync(ca, edge.cert);
    const { tunnel, testGate } = await service(
      baseEnv({
        ...fakeCloudflaredEnv(),
        ...edge.env,
        FAKE_CFD_EDGE_URL: 'https://127.0.0.1:9',
        BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
        BAND_TUNNEL_CONNECT_TO: `127.0.0.1:${edge.port}`,
        BAND_TUNNEL_CHECK_TIMEOUT_MS: '1500',
        NODE_EXTRA_CA_CERTS: ca,
      }),
    );
    await testGate.settings.set('tunnel', named({ credentialsFile: fakeTunnelCredentials(dir).path }));
    const error = await tunnel.start().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HOSTNAME_NOT_ROUTED' });
    expect((error as Error).message).toContain('530');
    expect((error as { hint: string }).hint).toContain(`cloudflared tunnel route dns ${ID} ${HOST}`);
  });

  it('switching from a token to a credentials file needs no server restart', async () => {
    const { tunnel, testGate } = await service(
      baseEnv({ ...fakeCloudflaredEnv(), BAND_CLOUDFLARED_PATH: fakeCloudflaredPath }),
    );
    const dir = credsDir();
    writeFileSync(join(dir, 'token'), fakeTunnelToken(), { mode: 0o600 });
    await testGate.settings.set('tunnel', named({ tokenFile: join(dir, 'token') }));
    expect(tunnel.status()).toMatchObject({ management: 'remote', tunnelId: null });
    await testGate.settings.set('tunnel', named({ credentialsFile: fakeTunnelCredentials(dir).path }));
    expect(tunnel.status()).toMatchObject({ management: 'local', tunnelId: ID });
  });
});
