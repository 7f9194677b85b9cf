import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { type Tunnel, type TunnelOptions, type TunnelState, createTunnel } from '../src/index.js';
import { fakeCloudflaredEnv, fakeCloudflaredPath } from '../src/testing/index.js';

export interface FakeRecord {
  pid: number;
  argv: string[];
  env: Record<string, string>;
  events: { name: string; at: number }[];
}

export function tempDir(prefix = 'band-tunnel-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The environment a test gives the supervisor: no TUNNEL_* from the developer's shell. */
export function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('FAKE_CFD_') && !k.startsWith('BAND_')) env[k] = v;
  return { ...env, ...extra };
}

export interface Harness {
  tunnel: Tunnel;
  states: TunnelState['s'][];
  urls: (string | undefined)[];
  events: string[];
  stateDir: string;
  fakeDir: string;
  records(): FakeRecord[];
}

/** A tunnel on the fake cloudflared with fast polling and an always-stopped teardown. */
export function harness(
  scenario: string,
  options: Partial<TunnelOptions> = {},
  fakeEnv: Record<string, string> = {},
): Harness {
  const stateDir = tempDir();
  const fakeDir = join(stateDir, 'fake');
  const tunnel = createTunnel({
    url: 'http://127.0.0.1:9',
    binaryPath: fakeCloudflaredPath,
    stateDir,
    readyPollMs: 40,
    healthIntervalMs: 150,
    gracePeriodMs: 500,
    readyTimeoutMs: 15_000,
    restart: { baseMs: 20, maxMs: 50, quickMinSpacingMs: 0 },
    ...options,
    env: baseEnv({
      ...fakeCloudflaredEnv({ scenario, stateDir: fakeDir }),
      ...fakeEnv,
      ...(options.env as Record<string, string> | undefined),
    }),
  });
  const h: Harness = {
    tunnel,
    states: [],
    urls: [],
    events: [],
    stateDir,
    fakeDir,
    records() {
      try {
        return readdirSync(fakeDir)
          .filter((f) => f.endsWith('.json'))
          .map((f) => JSON.parse(readFileSync(join(fakeDir, f), 'utf8')) as FakeRecord)
          .sort((a, b) => (a.events[0]?.at ?? 0) - (b.events[0]?.at ?? 0));
      } catch {
        return [];
      }
    },
  };
  // Record each change of the state's name (a URL arriving inside `starting` is a change too, but not a new step).
  tunnel.on('state', (s, prev) => {
    if (s.s !== prev.s || h.states.length === 0) h.states.push(s.s);
  });
  tunnel.on('url', (u) => h.urls.push(u));
  for (const e of ['ready', 'degraded', 'recovered', 'restart', 'exit', 'error'] as const)
    tunnel.on(e, () => h.events.push(e));
  onTestFinished(() => tunnel.stop());
  return h;
}

export async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
