import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { TunnelError } from '../src/index.js';
import { isAlive } from '../src/orphans.js';
import { fakeTunnelToken } from '../src/testing/index.js';
import { harness, rejection, tempDir } from './helpers.js';
import { SLOW } from '../../../tooling/testing/slow.js';

const QUICK_URL = /^https:\/\/[a-z0-9-]+\.trycloudflare\.com$/;

describe('quick tunnel on the fake cloudflared', () => {
  it('ok: starting -> ready with the URL from /quicktunnel, safe argv, clean stop', async () => {
    const h = harness('ok', {}, { TUNNEL_LOGLEVEL: 'debug', TUNNEL_URL: 'http://evil:1' });
    const { url } = await h.tunnel.start();
    expect(url).toMatch(QUICK_URL);
    expect(h.tunnel.url).toBe(url);
    expect(h.states).toEqual(['starting', 'ready']);
    expect(h.events).toEqual(['ready']);
    expect(h.urls).toEqual([url]);
    const [rec] = h.records();
    expect(rec?.argv).toEqual(
      expect.arrayContaining([
        'tunnel',
        '--no-autoupdate',
        '--config',
        '--metrics',
        '127.0.0.1:0',
        '--loglevel',
        'info',
        '--url',
      ]),
    );
    expect(rec?.argv.join(' ')).not.toMatch(/debug/);
    expect(rec?.env).not.toHaveProperty('TUNNEL_LOGLEVEL');
    expect(rec?.env).not.toHaveProperty('TUNNEL_URL');
    await h.tunnel.stop();
    expect(h.states).toEqual(['starting', 'ready', 'stopping', 'stopped']);
    expect(h.events).toEqual(['ready', 'exit']);
    expect(h.urls).toEqual([url, undefined]);
    expect(h.tunnel.state).toMatchObject({ s: 'stopped', exit: { code: 0, signal: null } });
  });

  it('ok with --output json logs reaches ready the same way', async () => {
    const h = harness('ok', { logFormat: 'json' });
    await h.tunnel.start();
    expect(h.records()[0]?.argv).toEqual(expect.arrayContaining(['--output', 'json']));
    expect(h.tunnel.logs().some((l) => l.startsWith('{"'))).toBe(true);
    expect(h.states).toEqual(['starting', 'ready']);
  });

  it('start() twice joins one start (one process, one URL)', async () => {
    const h = harness('ok');
    const [a, b] = await Promise.all([h.tunnel.start(), h.tunnel.start()]);
    expect(a.url).toBe(b.url);
    expect(h.records()).toHaveLength(1);
  });

  it.each([
    ['rate-limit', 'RATE_LIMITED', /429/],
    ['api-5xx-html', 'QUICK_SERVICE_ERROR', /invalid character '<'/],
    ['api-json-error', 'QUICK_SERVICE_ERROR', /invalid UUID length/],
    ['offline', 'OFFLINE', /no such host/],
    ['api-timeout=150', 'OFFLINE', /Client\.Timeout/],
  ])('%s: fails fast with %s and the redacted stderr tail', async (scenario, code, tail) => {
    const h = harness(scenario);
    const error = await rejection(h.tunnel.start());
    expect(error).toBeInstanceOf(TunnelError);
    expect(error.code).toBe(code);
    expect(error.hint).toBeTruthy();
    expect(error.stderrTail.join('\n')).toMatch(tail);
    expect(error.exitCode).toBe(1);
    expect(h.states).toEqual(['starting', 'failed']);
    expect(h.events).toEqual(['exit', 'error']);
    expect(h.urls).toEqual([]);
  });

  it('quic-blocked: falls back to http2 at once and becomes ready', async () => {
    const h = harness('quic-blocked', {}, { FAKE_CFD_TIME_SCALE: '0.1' });
    const { url } = await h.tunnel.start();
    expect(url).toMatch(QUICK_URL);
    expect(h.states).toEqual(['starting', 'restarting', 'starting', 'ready']);
    expect(h.tunnel.status().protocol).toBe('http2');
    const [first, second] = h.records();
    expect(first?.argv).not.toContain('--protocol');
    expect(second?.argv).toEqual(expect.arrayContaining(['--protocol', 'http2']));
  });

  it('edge-unreachable: tries http2 too, then fails with EDGE_UNREACHABLE', async () => {
    const h = harness('edge-unreachable', {}, { FAKE_CFD_TIME_SCALE: '0.05' });
    const error = await rejection(h.tunnel.start());
    expect(error.code).toBe('EDGE_UNREACHABLE');
    expect(error.hint).toMatch(/7844/);
    expect(h.states).toEqual(['starting', 'restarting', 'starting', 'failed']);
    await vi.waitFor(() => expect(h.events.filter((e) => e === 'exit')).toHaveLength(2), SLOW);
  });

  it('edge-unreachable with a short readyTimeoutMs reports EDGE_UNREACHABLE, not a bare timeout', async () => {
    const h = harness(
      'edge-unreachable',
      { protocol: 'http2', readyTimeoutMs: 6_000, edgeErrorsBeforeFallback: 1_000 },
      { FAKE_CFD_TIME_SCALE: '0.01' },
    );
    const error = await rejection(h.tunnel.start());
    expect(error.code).toBe('EDGE_UNREACHABLE');
  });

  it('slow-register: waits for the edge connection, not for the URL banner', async () => {
    const h = harness('slow-register=700');
    const seen: (string | undefined)[] = [];
    h.tunnel.on('url', () => seen.push(h.tunnel.state.s));
    await h.tunnel.start();
    expect(seen).toEqual(['starting']);
    expect(h.states).toEqual(['starting', 'ready']);
  });

  it('drop-after: a brief edge drop is degraded -> recovered, same URL, no restart', async () => {
    const h = harness('drop-after=300,500');
    const { url } = await h.tunnel.start();
    await h.tunnel.waitFor((s) => s.s === 'degraded', { timeoutMs: 5_000 });
    await h.tunnel.waitFor((s) => s.s === 'ready', { timeoutMs: 5_000 });
    expect(h.states).toEqual(['starting', 'ready', 'degraded', 'ready']);
    expect(h.events).toEqual(['ready', 'degraded', 'recovered']);
    expect(h.tunnel.url).toBe(url);
    expect(h.records()).toHaveLength(1);
  });

  it('crash-after: restarts with backoff and publishes the new URL', async () => {
    const h = harness('crash-after=700');
    const first = await h.tunnel.start();
    const errors: TunnelError[] = [];
    h.tunnel.on('error', (e) => errors.push(e));
    await h.tunnel.waitFor((s) => s.s === 'ready' && s.url !== first.url, { timeoutMs: 10_000 });
    const second = h.tunnel.url;
    expect(second).toMatch(QUICK_URL);
    expect(second).not.toBe(first.url);
    expect(h.states.slice(0, 5)).toEqual(['starting', 'ready', 'restarting', 'starting', 'ready']);
    expect(h.urls.slice(0, 3)).toEqual([first.url, undefined, second]);
    expect(errors[0]?.code).toBe('CRASHED');
    expect(errors[0]?.stderrTail.join('\n')).toMatch(/panic: runtime error/);
    expect(errors[0]?.exitCode).toBe(2);
  });

  it('exit-after: an unexpected exit after ready is CRASHED and restarted', async () => {
    const h = harness('exit-after=500:1');
    await h.tunnel.start();
    const error = await new Promise<TunnelError>((resolve) => h.tunnel.on('error', resolve));
    expect(error.code).toBe('CRASHED');
    expect(error.exitCode).toBe(1);
    await h.tunnel.waitFor((s) => s.s === 'starting' || s.s === 'ready', { timeoutMs: 5_000 });
  });

  it('stop() resolves once the pid registry is settled: no stale record of a child, no late write', async () => {
    // The record of each run's cloudflared (children/<id>.json) is what a crashed Band's successor reaps by. A stale
    // one names a dead pid; a write after stop() landed in a folder its owner was already removing (a CI failure).
    const h = harness('exit-after=300:1');
    await h.tunnel.start();
    const registry = join(h.stateDir, 'children');
    await vi.waitFor(() => expect(readdirSync(registry).filter((f) => f.endsWith('.json'))).toHaveLength(1));
    // The first child exits, its successor starts: stop while the successor's record is being written.
    await new Promise<void>((resolve) => h.tunnel.on('restart', () => resolve()));
    await h.tunnel.stop();
    expect(readdirSync(registry)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(readdirSync(registry)).toEqual([]);
  });

  it('autoupdate-after: exit 11 is UPDATED and restarted at once', async () => {
    const h = harness('autoupdate-after=500');
    await h.tunnel.start();
    const restart = await new Promise<{ delayMs: number; reason: TunnelError }>((resolve) =>
      h.tunnel.on('restart', resolve),
    );
    expect(restart.reason.code).toBe('UPDATED');
    expect(restart.delayMs).toBe(0);
  });

  it('metrics-port-busy: retries at once, then stops at the quick-tunnel budget', async () => {
    const h = harness('metrics-port-busy', { restart: { quickBudgetMax: 3, quickMinSpacingMs: 0 } });
    const error = await rejection(h.tunnel.start());
    expect(error.code).toBe('QUICK_TUNNEL_BUDGET');
    expect((error.cause as TunnelError).code).toBe('METRICS_BIND_FAILED');
    expect(h.records()).toHaveLength(3);
    expect(h.states).toEqual(['starting', 'restarting', 'starting', 'restarting', 'starting', 'failed']);
  });

  it.each(['auto', 'node'] as const)(
    'ignore-sigterm: stop() escalates to SIGKILL within stopTimeoutMs (guardian %s)',
    async (guardian) => {
      const h = harness('ignore-sigterm', { stopTimeoutMs: 400, guardian });
      await h.tunnel.start();
      const pid = h.tunnel.status().pid!;
      const exits: { signal: string | null }[] = [];
      h.tunnel.on('exit', (e) => exits.push(e));
      const t0 = performance.now();
      const [a, b] = [h.tunnel.stop(), h.tunnel.stop()];
      expect(a).toBe(b);
      await a;
      const took = performance.now() - t0;
      expect(took).toBeGreaterThanOrEqual(390);
      expect(took).toBeLessThan(3_000);
      expect(exits).toEqual([expect.objectContaining({ signal: 'SIGKILL' })]);
      expect(h.tunnel.state.s).toBe('stopped');
      expect(isAlive(pid)).toBe(false);
      await h.tunnel.stop(); // idempotent once stopped
    },
  );

  it('origin-errors: a dead origin is logged but the tunnel stays ready', async () => {
    const h = harness('origin-errors');
    const lines: string[] = [];
    h.tunnel.on('log', (l) => lines.push(l.raw));
    await h.tunnel.start();
    await vi.waitFor(() => expect(lines.join('\n')).toMatch(/Unable to reach the origin service/), SLOW);
    expect(h.tunnel.state.s).toBe('ready');
  });

  it('legacy=2022: reads the old registration format', async () => {
    const h = harness('legacy=2022', {}, { FAKE_CFD_VERSION: '2022.12.1' });
    await h.tunnel.start();
    expect(h.tunnel.logs().join('\n')).toMatch(/Connection [0-9a-f-]{36} registered with protocol/);
    expect(h.states).toEqual(['starting', 'ready']);
  });

  it('legacy=2026.5: the pre-check box is not mistaken for the URL', async () => {
    const h = harness('legacy=2026.5', {}, { FAKE_CFD_VERSION: '2026.5.2' });
    const { url } = await h.tunnel.start();
    expect(url).toMatch(QUICK_URL);
    expect(h.tunnel.logs().join('\n')).toMatch(/CONNECTIVITY PRE-CHECKS/);
  });

  it('an unknown flag is USAGE (cloudflared exits 0 with Incorrect Usage)', async () => {
    const h = harness('ok', { extraArgs: ['--bogus-flag'] });
    const error = await rejection(h.tunnel.start());
    expect(error.code).toBe('USAGE');
    expect(error.exitCode).toBe(0);
  });

  it('generations: stop and start again quickly, the old child never touches the new state', async () => {
    const h = harness('ok');
    const a = await h.tunnel.start();
    await h.tunnel.stop();
    const b = await h.tunnel.start();
    expect(b.url).not.toBe(a.url);
    expect(h.states).toEqual(['starting', 'ready', 'stopping', 'stopped', 'starting', 'ready']);
    expect(h.tunnel.status().generation).toBe(2);
  });

  it('the abort signal stops the tunnel', async () => {
    const ac = new AbortController();
    const h = harness('ok', { signal: ac.signal });
    await h.tunnel.start();
    ac.abort();
    await h.tunnel.waitFor((s) => s.s === 'stopped', { timeoutMs: 5_000 });
  });

  it('stop() during start makes start() reject with STOPPED', async () => {
    const h = harness('slow-register=2000');
    const p = rejection(h.tunnel.start());
    await h.tunnel.waitFor((s) => s.s === 'starting' && Boolean(s.url), { timeoutMs: 5_000 });
    await h.tunnel.stop();
    expect((await p).code).toBe('STOPPED');
  });
});

describe('named tunnel on the fake cloudflared', () => {
  it('knows its hostname up front, passes the token only through the environment', async () => {
    const token = fakeTunnelToken();
    const h = harness('ok', { mode: 'named', hostname: 'band.example.com', token });
    const { url } = await h.tunnel.start();
    expect(url).toBe('https://band.example.com');
    expect(h.states).toEqual(['starting', 'ready']);
    const [rec] = h.records();
    expect(rec?.argv).toContain('run');
    expect(rec?.argv.join(' ')).not.toContain(token);
    expect(rec?.env.TUNNEL_TOKEN).toBe('<set>');
    expect(h.tunnel.logs().join('\n')).not.toContain(token);
  });

  it('passes --token-file when given a file', async () => {
    const dir = tempDir();
    const file = join(dir, 'token');
    writeFileSync(file, fakeTunnelToken());
    const h = harness('ok', { mode: 'named', hostname: 'band.example.com', tokenFile: file });
    await h.tunnel.start();
    expect(h.records()[0]?.argv).toEqual(expect.arrayContaining(['--token-file', file]));
  });

  it('auth-fail: a refused token is AUTH_FAILED after three tries, never retried', async () => {
    const h = harness('auth-fail', { mode: 'named', hostname: 'band.example.com', token: fakeTunnelToken() });
    const error = await rejection(h.tunnel.start());
    expect(error.code).toBe('AUTH_FAILED');
    expect(h.states).toEqual(['starting', 'failed']);
  });

  it('an invalid token exits 255 and is AUTH_FAILED, with the token redacted', async () => {
    const token = 'not-a-valid-token-value';
    const h = harness('ok', { mode: 'named', hostname: 'band.example.com', token });
    const error = await rejection(h.tunnel.start());
    expect(error.code).toBe('AUTH_FAILED');
    expect(error.exitCode).toBe(255);
    expect(JSON.stringify(error)).not.toContain(token);
  });

  it('refuses a token in extraArgs', () => {
    expect(() => harness('ok', { extraArgs: ['--token', 'x'] })).toThrow(/never passed on argv/);
  });
});

describe('binary problems', () => {
  it('a missing binary is BINARY_NOT_FOUND with a hint', async () => {
    const h = harness('ok', { binaryPath: '/nonexistent/cloudflared' });
    const error = await rejection(h.tunnel.start());
    expect(error.code).toBe('BINARY_NOT_FOUND');
    expect(error.hint).toMatch(/BAND_CLOUDFLARED_PATH/);
  });

  it('a binary without the execute bit is BINARY_NOT_EXECUTABLE', async () => {
    const dir = tempDir();
    const bin = join(dir, 'cloudflared');
    writeFileSync(bin, '#!/bin/sh\n');
    chmodSync(bin, 0o644);
    const h = harness('ok', { binaryPath: bin });
    const error = await rejection(h.tunnel.start());
    expect(error.code).toBe('BINARY_NOT_EXECUTABLE');
    expect(error.hint).toMatch(/chmod \+x/);
  });
});
