import { describe, expect, it } from 'vitest';
import { TunnelError } from './errors.js';
import {
  AUTH_FAILURES_BEFORE_FAILING,
  type EdgeErrorFacts,
  type Machine,
  type MachineEvent,
  type TunnelState,
  createMachine,
  edgeFailureVerdict,
  isAuthRefused,
  nextDelay,
  transition,
} from './state.js';

const crashed = new TunnelError('CRASHED', 'boom');
const at = (state: TunnelState, patch: Partial<Machine> = {}, mode: 'quick' | 'named' = 'quick'): Machine => ({
  ...createMachine(mode),
  generation: 1,
  ...patch,
  state,
});
const starting: TunnelState = { s: 'starting', generation: 1, attempt: 0 };
const startingUrl: TunnelState = { s: 'starting', generation: 1, attempt: 0, url: 'https://a.trycloudflare.com' };
const ready: TunnelState = { s: 'ready', generation: 1, url: 'https://a.trycloudflare.com', connections: 1, since: 0 };
const degraded: TunnelState = {
  s: 'degraded',
  generation: 1,
  url: 'https://a.trycloudflare.com',
  since: 0,
  reason: 'x',
};
const restarting: TunnelState = { s: 'restarting', attempt: 1, delayMs: 10, error: crashed };
const failed: TunnelState = { s: 'failed', error: crashed };

interface Row {
  name: string;
  from: Machine;
  event: MachineEvent;
  to: TunnelState['s'];
  effects: string[];
}

const rows: Row[] = [
  {
    name: 'idle --start--> starting, spawns generation 1',
    from: createMachine('quick'),
    event: { t: 'start', now: 0 },
    to: 'starting',
    effects: ['spawn'],
  },
  {
    name: 'stopped --start--> starting',
    from: at({ s: 'stopped' }),
    event: { t: 'start', now: 0 },
    to: 'starting',
    effects: ['spawn'],
  },
  {
    name: 'failed --start--> starting',
    from: at(failed),
    event: { t: 'start', now: 0 },
    to: 'starting',
    effects: ['spawn'],
  },
  {
    name: 'starting --start--> starting (joins)',
    from: at(starting),
    event: { t: 'start', now: 0 },
    to: 'starting',
    effects: [],
  },
  {
    name: 'starting --url--> starting with url',
    from: at(starting),
    event: { t: 'url', generation: 1, url: 'https://a.trycloudflare.com' },
    to: 'starting',
    effects: [],
  },
  {
    name: 'starting --ready--> ready',
    from: at(startingUrl),
    event: { t: 'ready', generation: 1, connections: 1, now: 5 },
    to: 'ready',
    effects: [],
  },
  {
    name: 'starting without url ignores ready',
    from: at(starting),
    event: { t: 'ready', generation: 1, connections: 1, now: 5 },
    to: 'starting',
    effects: [],
  },
  {
    name: 'ready --not-ready--> degraded (no restart)',
    from: at(ready),
    event: { t: 'not-ready', generation: 1, reason: 'drop', now: 9 },
    to: 'degraded',
    effects: [],
  },
  {
    name: 'degraded --ready--> ready (recovered)',
    from: at(degraded),
    event: { t: 'ready', generation: 1, connections: 1, now: 9 },
    to: 'ready',
    effects: [],
  },
  {
    name: 'ready --exit--> restarting after having been ready',
    from: at(ready, { hasBeenReady: true }),
    event: { t: 'exit', generation: 1, error: crashed, now: 9, random: 0.5 },
    to: 'restarting',
    effects: ['schedule-retry'],
  },
  {
    name: 'degraded --fail--> restarting and kills',
    from: at(degraded, { hasBeenReady: true }),
    event: { t: 'fail', generation: 1, error: new TunnelError('EDGE_UNREACHABLE', 'x'), now: 9, random: 0.5 },
    to: 'restarting',
    effects: ['kill', 'schedule-retry'],
  },
  {
    name: 'starting --exit--> failed before first ready',
    from: at(starting),
    event: { t: 'exit', generation: 1, error: crashed, now: 9, random: 0.5 },
    to: 'failed',
    effects: [],
  },
  {
    name: 'starting --fail READY_TIMEOUT--> failed and kills',
    from: at(starting),
    event: { t: 'fail', generation: 1, error: new TunnelError('READY_TIMEOUT', 'x'), now: 9, random: 0.5 },
    to: 'failed',
    effects: ['kill'],
  },
  {
    name: 'starting --fail EDGE_UNREACHABLE (quic)--> restarting at once over http2',
    from: at(starting),
    event: { t: 'fail', generation: 1, error: new TunnelError('EDGE_UNREACHABLE', 'x'), now: 9, random: 0.5 },
    to: 'restarting',
    effects: ['kill', 'schedule-retry'],
  },
  {
    name: 'starting --exit METRICS_BIND_FAILED--> restarting',
    from: at(starting),
    event: { t: 'exit', generation: 1, error: new TunnelError('METRICS_BIND_FAILED', 'x'), now: 9, random: 0.5 },
    to: 'restarting',
    effects: ['schedule-retry'],
  },
  {
    name: 'ready --exit AUTH_FAILED--> failed (never retried)',
    from: at(ready, { hasBeenReady: true }),
    event: { t: 'exit', generation: 1, error: new TunnelError('AUTH_FAILED', 'x'), now: 9, random: 0.5 },
    to: 'failed',
    effects: [],
  },
  {
    name: 'restarting --retry--> starting with a new generation',
    from: at(restarting),
    event: { t: 'retry', now: 20 },
    to: 'starting',
    effects: ['spawn'],
  },
  {
    name: 'restarting ignores a late exit',
    from: at(restarting),
    event: { t: 'exit', generation: 1, error: crashed, now: 9, random: 0.5 },
    to: 'restarting',
    effects: [],
  },
  {
    name: 'drops an exit from an older generation',
    from: at({ ...ready, generation: 2 } as TunnelState, { generation: 2 }),
    event: { t: 'exit', generation: 1, error: crashed, now: 9, random: 0.5 },
    to: 'ready',
    effects: [],
  },
  {
    name: 'drops a url from an older generation',
    from: at({ ...starting, generation: 2 }, { generation: 2 }),
    event: { t: 'url', generation: 1, url: 'https://old.trycloudflare.com' },
    to: 'starting',
    effects: [],
  },
  { name: 'idle --stop--> stopped', from: createMachine('quick'), event: { t: 'stop' }, to: 'stopped', effects: [] },
  {
    name: 'starting --stop--> stopping',
    from: at(starting),
    event: { t: 'stop' },
    to: 'stopping',
    effects: ['cancel-retry', 'kill-all'],
  },
  {
    name: 'ready --stop--> stopping',
    from: at(ready),
    event: { t: 'stop' },
    to: 'stopping',
    effects: ['cancel-retry', 'kill-all'],
  },
  {
    name: 'restarting --stop--> stopping (cancels the retry)',
    from: at(restarting),
    event: { t: 'stop' },
    to: 'stopping',
    effects: ['cancel-retry', 'kill-all'],
  },
  {
    name: 'failed --stop--> stopping',
    from: at(failed),
    event: { t: 'stop' },
    to: 'stopping',
    effects: ['cancel-retry', 'kill-all'],
  },
  {
    name: 'stopping --stop--> stopping (idempotent)',
    from: at({ s: 'stopping' }),
    event: { t: 'stop' },
    to: 'stopping',
    effects: [],
  },
  {
    name: 'stopping --all-exited--> stopped',
    from: at({ s: 'stopping' }),
    event: { t: 'all-exited', exit: { code: 0, signal: null, generation: 1 } },
    to: 'stopped',
    effects: [],
  },
  {
    name: 'stopping ignores the child exit itself',
    from: at({ s: 'stopping' }),
    event: { t: 'exit', generation: 1, error: crashed, now: 1, random: 0 },
    to: 'stopping',
    effects: [],
  },
  { name: 'stopped --stop--> stopped', from: at({ s: 'stopped' }), event: { t: 'stop' }, to: 'stopped', effects: [] },
];

describe('transition', () => {
  it.each(rows)('$name', ({ from, event, to, effects }) => {
    const { state, effects: out } = transition(from, event);
    expect(state.state.s).toBe(to);
    expect(out.map((e) => e.type)).toEqual(effects);
  });

  it('gives each spawn a new generation', () => {
    let m = transition(createMachine('quick'), { t: 'start', now: 0 }).state;
    expect(m.generation).toBe(1);
    m = transition(
      { ...m, hasBeenReady: true, state: { ...ready } },
      { t: 'exit', generation: 1, error: crashed, now: 1, random: 0 },
    ).state;
    const r = transition(m, { t: 'retry', now: 2 });
    expect(r.state.generation).toBe(2);
    expect(r.effects).toEqual([{ type: 'spawn', generation: 2, protocol: undefined }]);
  });

  it('remembers the http2 fallback for later spawns', () => {
    const m = transition(at(starting), {
      t: 'fail',
      generation: 1,
      error: new TunnelError('EDGE_UNREACHABLE', 'x'),
      now: 0,
      random: 0,
    }).state;
    expect(m.protocol).toBe('http2');
    expect(transition(m, { t: 'retry', now: 1 }).effects).toEqual([
      { type: 'spawn', generation: 2, protocol: 'http2' },
    ]);
  });

  it('fails with QUICK_TUNNEL_BUDGET instead of creating a seventh quick tunnel in ten minutes', () => {
    const m = at(ready, { hasBeenReady: true, creations: [1, 2, 3, 4, 5, 6] });
    const { state } = transition(m, { t: 'exit', generation: 1, error: crashed, now: 100, random: 0.5 });
    expect(state.state.s).toBe('failed');
    expect(state.state.s === 'failed' && state.state.error.code).toBe('QUICK_TUNNEL_BUDGET');
  });

  it('refuses start() when the budget is spent', () => {
    const m = { ...createMachine('quick'), creations: [1, 2, 3, 4, 5, 6] };
    const { state, effects } = transition(m, { t: 'start', now: 100 });
    expect(state.state.s === 'failed' && state.state.error.code).toBe('QUICK_TUNNEL_BUDGET');
    expect(effects).toEqual([]);
  });

  it('has no budget for named tunnels (restarts keep the hostname)', () => {
    const m = at(ready, { hasBeenReady: true, creations: [] }, 'named');
    const many = { ...m, creations: [1, 2, 3, 4, 5, 6, 7, 8] };
    expect(transition(many, { t: 'exit', generation: 1, error: crashed, now: 100, random: 0.5 }).state.state.s).toBe(
      'restarting',
    );
  });
});

describe('nextDelay', () => {
  const m = { ...at(ready), hasBeenReady: true };
  it('uses full-jitter exponential backoff', () => {
    expect(nextDelay({ ...m, attempt: 0 }, crashed, 0, 0.5)?.delayMs).toBe(500);
    expect(nextDelay({ ...m, attempt: 3 }, crashed, 0, 0.5)?.delayMs).toBe(4_000);
    expect(nextDelay({ ...m, attempt: 20 }, crashed, 0, 0.999)?.delayMs).toBe(59_940);
  });
  it('waits at least a minute after a 429', () => {
    expect(nextDelay({ ...m, attempt: 0 }, new TunnelError('RATE_LIMITED', 'x'), 0, 0)?.delayMs).toBe(60_000);
  });
  it('keeps automatic creations at least 5 s apart', () => {
    expect(nextDelay({ ...m, attempt: 0, creations: [1_000] }, crashed, 2_000, 0.001)?.delayMs).toBe(4_000);
  });
  it('forgets old failures after a minute of readiness', () => {
    expect(nextDelay({ ...m, attempt: 5, readySince: 0 }, crashed, 61_000, 0.5)?.delayMs).toBe(500);
  });
  it('stops after maxAttempts', () => {
    const limited = { ...m, attempt: 2, policy: { ...m.policy, maxAttempts: 2 } };
    expect(nextDelay(limited, crashed, 0, 0.5)).toBeUndefined();
  });
  it.each(['USAGE', 'AUTH_FAILED', 'CONFIG_ERROR', 'BINARY_NOT_FOUND', 'BINARY_NOT_EXECUTABLE'] as const)(
    'never retries %s',
    (code) => {
      expect(nextDelay(m, new TunnelError(code, 'x'), 0, 0.5)).toBeUndefined();
    },
  );
});

describe('edgeFailureVerdict (QUIC → http2 fallback)', () => {
  const quic = at(starting);
  const http2 = at(starting, { protocol: 'http2' });
  const rows: {
    name: string;
    m: Machine;
    facts: EdgeErrorFacts;
    threshold?: number;
    verdict: ReturnType<typeof edgeFailureVerdict>;
  }[] = [
    {
      name: 'first QUIC error while starting → give up on QUIC',
      m: quic,
      facts: { registered: false, edgeErrors: 1, quic: true },
      verdict: 'quic-blocked',
    },
    {
      name: 'QUIC errors below the threshold → keep waiting',
      m: quic,
      facts: { registered: false, edgeErrors: 2, quic: true },
      threshold: 3,
      verdict: undefined,
    },
    {
      name: 'QUIC errors at the threshold → give up on QUIC',
      m: quic,
      facts: { registered: false, edgeErrors: 3, quic: true },
      threshold: 3,
      verdict: 'quic-blocked',
    },
    {
      name: 'a non-QUIC error on the default protocol → keep waiting',
      m: quic,
      facts: { registered: false, edgeErrors: 5, quic: false },
      verdict: undefined,
    },
    {
      name: 'after a registered connection → cloudflared reconnects by itself',
      m: quic,
      facts: { registered: true, edgeErrors: 5, quic: true },
      verdict: undefined,
    },
    {
      name: 'while ready → never (that is degraded, not failed)',
      m: at(ready),
      facts: { registered: false, edgeErrors: 5, quic: true },
      verdict: undefined,
    },
    {
      name: 'while restarting → never',
      m: at(restarting),
      facts: { registered: false, edgeErrors: 5, quic: true },
      verdict: undefined,
    },
    {
      name: 'on http2, one error → keep waiting (at least 2)',
      m: http2,
      facts: { registered: false, edgeErrors: 1, quic: false },
      verdict: undefined,
    },
    {
      name: 'on http2, two errors → unreachable',
      m: http2,
      facts: { registered: false, edgeErrors: 2, quic: false },
      verdict: 'unreachable',
    },
    {
      name: 'on http2, a QUIC-worded error still counts as http2 trouble',
      m: http2,
      facts: { registered: false, edgeErrors: 2, quic: true },
      verdict: 'unreachable',
    },
    {
      name: 'on http2, twice the threshold → unreachable',
      m: http2,
      facts: { registered: false, edgeErrors: 6, quic: false },
      threshold: 3,
      verdict: 'unreachable',
    },
    {
      name: 'on http2, below twice the threshold → keep waiting',
      m: http2,
      facts: { registered: false, edgeErrors: 5, quic: false },
      threshold: 3,
      verdict: undefined,
    },
    {
      name: 'on http2 after a registered connection → never',
      m: http2,
      facts: { registered: true, edgeErrors: 9, quic: false },
      verdict: undefined,
    },
  ];
  it.each(rows)('$name', ({ m, facts, threshold = 1, verdict }) => {
    expect(edgeFailureVerdict(m, facts, threshold)).toBe(verdict);
  });
});

describe('isAuthRefused (auth-failure policy)', () => {
  it.each([
    { authFailures: 0, refused: false },
    { authFailures: 1, refused: false },
    { authFailures: 2, refused: false },
    { authFailures: 3, refused: true },
    { authFailures: 4, refused: true },
  ])('$authFailures refusals → $refused', ({ authFailures, refused }) => {
    expect(isAuthRefused(authFailures)).toBe(refused);
  });
  it(`fails after ${AUTH_FAILURES_BEFORE_FAILING} refusals and never retries AUTH_FAILED`, () => {
    const m = at(ready, { hasBeenReady: true });
    expect(nextDelay(m, new TunnelError('AUTH_FAILED', 'x'), 0, 0.5)).toBeUndefined();
  });
});
