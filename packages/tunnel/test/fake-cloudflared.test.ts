import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, expect, it, onTestFinished } from 'vitest';
import { fakeCloudflaredPath } from '../src/testing/index.js';
import { baseEnv } from './helpers.js';

function runSync(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [fakeCloudflaredPath, ...args], {
    env: baseEnv(env),
    encoding: 'utf8',
    timeout: 10_000,
  });
}

/** Start the fake and collect stderr lines until `until` matches. */
async function startFake(
  args: string[],
  env: Record<string, string> = {},
  until = /Registered tunnel connection|"Registered tunnel connection"/,
) {
  const child: ChildProcess = spawn(process.execPath, [fakeCloudflaredPath, ...args], {
    env: baseEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const lines: string[] = [];
  const rl = createInterface({ input: child.stderr! });
  await new Promise<void>((resolve, reject) => {
    rl.on('line', (l) => {
      lines.push(l);
      if (until.test(l)) resolve();
    });
    child.on('exit', () => reject(new Error(`exited early:\n${lines.join('\n')}`)));
  });
  const metrics =
    /Starting metrics server on (\S+)\/metrics/.exec(lines.join('\n'))?.[1] ??
    /"message":"Starting metrics server on (\S+)\/metrics"/.exec(lines.join('\n'))?.[1];
  return { child, lines, metrics };
}

describe('fake cloudflared', () => {
  it('prints its version on stdout and exits 0', () => {
    const r = runSync(['--version'], { FAKE_CFD_VERSION: '2026.8.2' });
    expect(r.stdout).toMatch(/^cloudflared version 2026\.8\.2 \(built .+\)\n$/);
    expect(r.status).toBe(0);
    expect(runSync(['version', '--short']).stdout).toBe('2025.8.1\n');
  });

  it('treats unknown flags and tunnel flags after `run` like urfave/cli: Incorrect Usage on stdout, exit 0', () => {
    const a = runSync(['tunnel', '--bogus', '--url', 'http://127.0.0.1:1']);
    expect(a.stdout).toMatch(/^Incorrect Usage\. flag provided but not defined: -bogus/);
    expect(a.status).toBe(0);
    const b = runSync(['tunnel', 'run', '--metrics', '127.0.0.1:0']);
    expect(b.stdout).toMatch(/^Incorrect Usage: flag provided but not defined: -metrics/);
    expect(b.status).toBe(0);
  });

  it('exits 1 with the real message when there is nothing to run', () => {
    const r = runSync(['tunnel']);
    expect(r.stderr).toMatch(/^You did not specify any valid additional argument to the cloudflared tunnel command\./);
    expect(r.status).toBe(1);
  });

  it('prints the exact banner box and serves the metrics endpoints', async () => {
    const { lines, metrics } = await startFake(['tunnel', '--metrics', '127.0.0.1:0', '--url=http://127.0.0.1:1'], {
      FAKE_CFD_HOSTNAME: 'a-b-c-d.trycloudflare.com',
    });
    const box = lines.filter((l) => / INF [+|]/.test(l)).map((l) => l.replace(/^\S+ INF /, ''));
    expect(box[0]).toBe(`+${'-'.repeat(92)}+`);
    expect(box[2]).toBe(`|  ${'https://a-b-c-d.trycloudflare.com'.padEnd(88)}  |`);
    const get = async (p: string) => {
      const r = await fetch(`http://${metrics}${p}`);
      return { status: r.status, body: await r.text() };
    };
    expect(await get('/ready')).toMatchObject({ status: 200, body: expect.stringContaining('"readyConnections":1') });
    expect(JSON.parse((await get('/quicktunnel')).body)).toEqual({ hostname: 'a-b-c-d.trycloudflare.com' });
    expect((await get('/healthcheck')).body).toBe('OK\n');
    expect((await get('/metrics')).body).toContain(
      'cloudflared_tunnel_user_hostnames_counts{userHostname="https://a-b-c-d.trycloudflare.com"} 1',
    );
    // Before 2026.5 the real endpoint hands out the whole argv (the default profile is 2025.8.1).
    const cmdline = await get('/debug/pprof/cmdline');
    expect(cmdline.status).toBe(200);
    expect(cmdline.body.split('\0')).toContain('--metrics');
    expect((await get('/nope')).status).toBe(404);
  });

  it('writes sorted-key JSON lines with --output json', async () => {
    const { lines } = await startFake([
      'tunnel',
      '--output',
      'json',
      '--metrics',
      '127.0.0.1:0',
      '--url',
      'http://127.0.0.1:1',
    ]);
    const reg = JSON.parse(lines.find((l) => l.includes('Registered tunnel connection'))!) as Record<string, unknown>;
    expect(Object.keys(reg)).toEqual([...Object.keys(reg)].sort());
    expect(reg).toMatchObject({ level: 'info', connIndex: 0, protocol: 'quic' });
  });

  it('hides INF lines (banner included) at --loglevel warn', async () => {
    const { lines } = await startFake(
      ['tunnel', '--loglevel', 'warn', '--metrics', '127.0.0.1:0', '--url', 'http://127.0.0.1:1'],
      {},
      /ICMP proxy feature is disabled/,
    );
    expect(lines.some((l) => l.includes('trycloudflare.com'))).toBe(false);
  });

  it('shuts down gracefully on the first SIGTERM (exit 0) and dies by a second one', async () => {
    const a = await startFake(['tunnel', '--metrics', '127.0.0.1:0', '--url', 'http://127.0.0.1:1']);
    a.child.kill('SIGTERM');
    const [code] = (await once(a.child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(a.lines.join('\n')).toMatch(/Initiating graceful shutdown due to signal terminated/);

    // Slow the graceful path down so the second signal lands during it.
    const b = await startFake(['tunnel', '--metrics', '127.0.0.1:0', '--url', 'http://127.0.0.1:1'], {
      FAKE_CFD_TIME_SCALE: '50',
    });
    const rl = createInterface({ input: b.child.stderr! });
    const shutting = new Promise<void>((r) => rl.on('line', (l) => /Initiating graceful shutdown/.test(l) && r()));
    b.child.kill('SIGTERM');
    await shutting;
    b.child.kill('SIGTERM');
    const [, signal] = (await once(b.child, 'exit')) as [number | null, string | null];
    expect(signal).toBe('SIGTERM');
  });

  it('rejects an invalid named-tunnel token with exit 255', () => {
    const r = runSync(['tunnel', 'run', '--token', 'garbage']);
    expect(r.stderr).toBe("Provided Tunnel token is not valid.\nSee 'cloudflared tunnel run --help'.\n");
    expect(r.status).toBe(255);
  });

  it('reports a busy metrics port after the banner, exit 1', () => {
    const r = runSync(['tunnel', '--metrics', '127.0.0.1:0', '--url', 'http://127.0.0.1:1'], {
      FAKE_CFD_SCENARIO: 'metrics-port-busy',
    });
    expect(r.stderr).toMatch(/trycloudflare\.com[\s\S]*ERR Error opening metrics server listener/);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^Error opening metrics server listener: failed to bind/);
    expect(r.status).toBe(1);
  });
});
