// The tunnel service against the fake cloudflared found the way a user's machine finds cloudflared.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestGate, type TestGate } from '@band/auth/testing';
import { fakeCloudflaredEnv, fakeCloudflaredPath } from '@band/tunnel/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createTunnelService, type TunnelService, type TunnelStatus } from '../src/services/tunnel-service.js';

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

async function service(env: NodeJS.ProcessEnv): Promise<{ tunnel: TunnelService; testGate: TestGate; warnings: string[]; seen: TunnelStatus[] }> {
  const testGate = await createTestGate();
  cleanups.push(() => testGate.close());
  const warnings: string[] = [];
  const logger = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) };
  const tunnel = createTunnelService({
    settings: testGate.settings,
    gate: testGate.gate,
    logger: logger as never,
    env,
    openTunnelListener: async () => {
      const server = createServer((_req, res) => res.end('ok'));
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
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('BAND_') && !k.startsWith('FAKE_CFD_')) env[k] = v;
  return { ...env, ...extra };
};

describe('tunnel service and the cloudflared on this machine', () => {
  it('reports the cloudflared version in its status and keeps it after a stop', async () => {
    const { tunnel, seen } = await service(baseEnv({ ...fakeCloudflaredEnv({ version: '2023.7.3' }), BAND_CLOUDFLARED_PATH: fakeCloudflaredPath }));
    const ready = await tunnel.start();
    expect(ready).toMatchObject({ state: 'ready', phase: null, cloudflaredVersion: '2023.7.3', url: expect.stringMatching(/^https:\/\/[a-z-]+\.trycloudflare\.com$/) });
    expect(seen.some((s) => s.state === 'starting' && s.phase === 'connecting' && s.url === null)).toBe(true);
    expect(await tunnel.stop()).toMatchObject({ state: 'stopped', url: null, cloudflaredVersion: '2023.7.3' });
  });

  it('checks settings tunnel.cloudflaredPath with --version: a wrapper there is skipped for the real one on PATH', async () => {
    const wrapper = binDir('exit 0');
    const real = binDir(`exec "${process.execPath}" "${fakeCloudflaredPath}" "$@"`);
    const { tunnel, testGate, warnings } = await service(baseEnv({ ...fakeCloudflaredEnv({ version: '2025.8.1' }), PATH: `${real}:/usr/bin:/bin` }));
    await testGate.settings.set('tunnel.cloudflaredPath', join(wrapper, 'cloudflared'));
    expect(await tunnel.start()).toMatchObject({ state: 'ready', cloudflaredVersion: '2025.8.1' });
    expect(warnings.join('\n')).toContain(`skipped ${join(wrapper, 'cloudflared')}: is not cloudflared`);
  });

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
