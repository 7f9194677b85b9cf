import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, expect, it, onTestFinished } from 'vitest';
import { skipWhenMissing } from '../../../tooling/testing/prerequisites.js';
import { fakeCloudflaredPath } from '../src/testing/index.js';
import { baseEnv, tempDir } from './helpers.js';

const bin = new URL('../bin/band-tunnel.js', import.meta.url).pathname;
const built = existsSync(new URL('../dist/cli.js', import.meta.url));

function runCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [bin, ...args], {
    env: baseEnv({ TMPDIR: tempDir(), ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  return { child, stderr: () => stderr };
}

describe.skipIf(
  skipWhenMissing('the band-tunnel bin tests', built ? [] : ['packages/tunnel/dist/cli.js (npm run build)']),
)('band-tunnel bin', () => {
  it('prints only the URL on stdout once ready and exits 0 on SIGINT', async () => {
    const { child } = runCli(['--url', 'http://127.0.0.1:9'], { BAND_CLOUDFLARED_PATH: fakeCloudflaredPath });
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    expect(line).toMatch(/^https:\/\/[a-z0-9-]+\.trycloudflare\.com$/);
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('exits 1 with the classified error and a hint', async () => {
    const { child, stderr } = runCli(['--url', 'http://127.0.0.1:9'], {
      BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
      FAKE_CFD_SCENARIO: 'rate-limit',
    });
    let stdout = '';
    child.stdout.on('data', (c) => (stdout += c));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr()).toMatch(/^error: .*rate-limited/m);
    expect(stderr()).toMatch(/^hint: /m);
  });

  it('exits 2 on a usage error', async () => {
    const { child, stderr } = runCli(['--protocol', 'carrier-pigeon', '--url', 'http://127.0.0.1:9'], {});
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr()).toMatch(/--protocol must be quic or http2/);
  });

  it('exits 1 with an install hint when cloudflared is missing', async () => {
    const { child, stderr } = runCli(['--url', 'http://127.0.0.1:9'], { PATH: '/nonexistent', HOME: '/nonexistent' });
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr()).toMatch(/cloudflared was not found/);
    expect(stderr()).toMatch(/hint: .*BAND_CLOUDFLARED_PATH/);
  });
});
