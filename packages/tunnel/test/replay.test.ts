import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type TunnelOptions, type TunnelState, createTunnel } from '../src/index.js';
import { fakeCloudflaredEnv, fakeCloudflaredPath, fakeTunnelToken } from '../src/testing/index.js';
import { transcriptCases, transcriptsDir } from './fixtures/transcript-cases.mjs';
import { baseEnv, rejection, tempDir } from './helpers.js';

// Real timings, ten times faster. No verdict here comes from the ready timeout, so it is generous: a busy
// machine must not turn a slow start into READY_TIMEOUT.
const SCALE = 0.1;

function replayTunnel(c: (typeof transcriptCases)[number], extra: Partial<TunnelOptions> = {}) {
  const dir = tempDir();
  const options: Record<string, unknown> = { ...c.options };
  if (options.token === 'TOKEN') options.token = fakeTunnelToken();
  if (options.tokenFile === 'TOKEN_FILE') {
    options.tokenFile = join(dir, 'token');
    writeFileSync(options.tokenFile as string, `${fakeTunnelToken()}\n`);
  }
  const tunnel = createTunnel({
    url: 'http://127.0.0.1:9',
    binaryPath: fakeCloudflaredPath,
    stateDir: dir,
    readyTimeoutMs: 20_000,
    readyPollMs: 40,
    healthIntervalMs: 200,
    gracePeriodMs: 500,
    stopTimeoutMs: 3_000,
    ...options,
    ...extra,
    env: baseEnv(
      fakeCloudflaredEnv({
        scenario: c.live ?? 'ok',
        replay: fileURLToPath(new URL(c.file, transcriptsDir)),
        timeScale: SCALE,
        stateDir: join(dir, 'fake'),
      }),
    ),
  });
  const states: TunnelState[] = [];
  tunnel.on('state', (s) => states.push(s));
  return { tunnel, states, dir };
}

describe('the real cloudflared 2023.7.3, replayed through the supervisor', () => {
  it.each(transcriptCases.map((c) => [`${c.file} (${c.situation})`, c] as const))('%s', async (_name, c) => {
    const { tunnel, states } = replayTunnel(c);
    try {
      if (c.stop) {
        const started = tunnel.start().catch((error: unknown) => error);
        if (c.stop === 'banner')
          await tunnel.waitFor((s) => s.s === 'starting' && Boolean(s.url), { timeoutMs: 10_000 });
        else
          await new Promise<void>((resolve) =>
            tunnel.on('log', (l) => /Requesting new quick Tunnel/.test(l.raw) && resolve()),
          );
        const exits: { code: number | null; signal: string | null }[] = [];
        tunnel.on('exit', (e) => exits.push(e));
        await tunnel.stop();
        expect(tunnel.state.s).toBe(c.expect);
        expect(((await started) as { code?: string }).code).toBe('STOPPED');
        // Before its banner cloudflared has no signal handler (it dies by the signal); after, it exits 0.
        if (c.exitCode !== undefined)
          expect(exits).toEqual([expect.objectContaining({ code: c.exitCode, signal: null })]);
        else expect(exits).toEqual([expect.objectContaining({ signal: 'SIGTERM' })]);
        return;
      }
      if (c.expect === 'ready') {
        const { url } = await tunnel.start();
        expect(url).toMatch(
          c.options?.mode === 'named' ? /^https:\/\/band\.example\.com$/ : /^https:\/\/[a-z0-9-]+\.trycloudflare\.com$/,
        );
        if (c.protocol) expect(tunnel.status().protocol).toBe(c.protocol);
        expect(tunnel.status().version).toBe(c.file.startsWith('sup-fake') ? '2025.8.1' : '2023.7.3');
        return;
      }
      const error = await rejection(tunnel.start());
      expect(error.code).toBe(c.expect);
      expect(error.hint).toBeTruthy();
      if (c.exitCode !== undefined) expect(error.exitCode).toBe(c.exitCode);
      expect(states.at(-1)?.s).toBe('failed');
    } finally {
      await tunnel.stop();
    }
  });

  it(
    'sup-v2: the http2 fallback comes after the first ' + 'QUIC failure, and the URL is offered only once ready',
    async () => {
      const c = transcriptCases.find((t) => t.file === 'sup-v2-quick-edge-blocked-quic.txt')!;
      const { tunnel, states } = replayTunnel(c);
      try {
        await tunnel.start();
        // The recording has a QUIC failure every ~7 s; the fallback follows the first one, not a later one.
        expect(tunnel.logs(500).filter((l) => /Failed to create new quic connection/.test(l))).toHaveLength(1);
        const names = states.map((s) => s.s).filter((s, i, all) => s !== all[i - 1]);
        expect(names).toEqual(['starting', 'restarting', 'starting', 'ready']);
        expect(states.find((s) => s.s === 'restarting')).toMatchObject({ error: { code: 'EDGE_UNREACHABLE' } });
      } finally {
        await tunnel.stop();
      }
    },
  );

  it('sup-v3: an old build prints only the bare line, and it is read as the rate limit it is', async () => {
    const c = transcriptCases.find((t) => t.file === 'sup-v3-quick-429.txt')!;
    const { tunnel } = replayTunnel(c);
    const error = await rejection(tunnel.start());
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.message).toMatch(/error code/);
    expect(error.stderrTail.join('\n')).toMatch(/invalid character 'e'/);
  });

  it('sup-v5b: a named tunnel without DNS is a DNS / offline error, not a firewall on 7844', async () => {
    const c = transcriptCases.find((t) => t.file === 'sup-v5b-named-offline-nodns.txt')!;
    const { tunnel } = replayTunnel(c);
    const error = await rejection(tunnel.start());
    expect(error.code).toBe('OFFLINE');
    expect(error.message).toMatch(/DNS/);
    expect(error.hint).toMatch(/DNS/);
    expect(error.hint).not.toMatch(/firewall/);
  });

  it('the banner border is logged as printed, not masked as a secret', async () => {
    const c = transcriptCases.find((t) => t.file === 'sup-v2-quick-edge-blocked-quic.txt')!;
    const { tunnel } = replayTunnel(c);
    try {
      await tunnel.start();
      const logs = tunnel.logs(500).join('\n');
      expect(logs).toMatch(/INF \+-{80,}\+/);
      expect(logs).not.toContain('[REDACTED]');
    } finally {
      await tunnel.stop();
    }
  });
});
