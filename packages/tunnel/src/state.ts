import { TunnelError, type TunnelErrorCode } from './errors.js';

export type TunnelMode = 'quick' | 'named';
export type EdgeProtocol = 'quic' | 'http2';

/** How cloudflared's process ended. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** Which spawn this was; increases by one per spawn. */
  generation: number;
}

/** What the tunnel is doing, as a tagged union on `s`. */
export type TunnelState =
  | { s: 'idle' }
  /**
   * cloudflared is running; the URL may be known. `phase`: `connecting` until an edge connection is
   * registered, then (quick tunnels) `dns` while the new hostname is not yet resolvable.
   */
  | { s: 'starting'; generation: number; attempt: number; url?: string; protocol?: EdgeProtocol; phase?: StartingPhase }
  /** At least one edge connection is registered; the URL works. */
  | { s: 'ready'; generation: number; url: string; connections: number; since: number }
  /** Was ready, lost its edge connections, process alive: cloudflared reconnects by itself, URL kept. */
  | { s: 'degraded'; generation: number; url: string; since: number; reason: string }
  /** A real failure; a new cloudflared starts after `delayMs` (quick tunnels get a new URL). */
  | { s: 'restarting'; attempt: number; delayMs: number; error: TunnelError }
  | { s: 'stopping'; url?: string }
  | { s: 'stopped'; exit?: ExitInfo; error?: TunnelError }
  /** Terminal until `start()` is called again. */
  | { s: 'failed'; error: TunnelError };

export type TunnelStateName = TunnelState['s'];

/** What a `starting` tunnel waits for. */
export type StartingPhase = 'connecting' | 'dns';

/** Restart policy and the budget on quick-tunnel creations. */
export interface RestartPolicy {
  /** First backoff ceiling. @default 1_000 */
  baseMs: number;
  /** Backoff ceiling cap. @default 60_000 */
  maxMs: number;
  /** Give up after this many consecutive failed attempts. @default Infinity */
  maxAttempts: number;
  /** Continuous readiness that forgets earlier failures. @default 60_000 */
  resetAfterMs: number;
  /** Backoff base after a 429 from the quick-tunnel API. @default 60_000 */
  rateLimitBaseMs: number;
  /** Backoff cap after a 429. @default 900_000 */
  rateLimitMaxMs: number;
  /** Quick-tunnel creations allowed per window. @default 6 */
  quickBudgetMax: number;
  /** The sliding window. @default 600_000 */
  quickBudgetWindowMs: number;
  /** Minimum time between two automatic creations. @default 5_000 */
  quickMinSpacingMs: number;
}

export const defaultRestartPolicy: Readonly<RestartPolicy> = Object.freeze({
  baseMs: 1_000,
  maxMs: 60_000,
  maxAttempts: Number.POSITIVE_INFINITY,
  resetAfterMs: 60_000,
  rateLimitBaseMs: 60_000,
  rateLimitMaxMs: 900_000,
  quickBudgetMax: 6,
  quickBudgetWindowMs: 600_000,
  quickMinSpacingMs: 5_000,
});

/** The full snapshot the pure machine works on. */
export interface Machine {
  readonly mode: TunnelMode;
  readonly policy: Readonly<RestartPolicy>;
  readonly state: TunnelState;
  readonly generation: number;
  /** Consecutive failed attempts. */
  readonly attempt: number;
  /** Reached `ready` since the last `start`: failures before that fail fast instead of retrying. */
  readonly hasBeenReady: boolean;
  readonly readySince?: number;
  /** Remembered for the session once QUIC proved blocked. */
  readonly protocol?: EdgeProtocol;
  readonly hasRetriedUpdate: boolean;
  /** Timestamps of quick-tunnel creations (each mints a URL and counts against the API rate limit). */
  readonly creations: readonly number[];
}

export type MachineEvent =
  | { t: 'start'; now: number }
  | { t: 'url'; generation: number; url: string }
  | { t: 'ready'; generation: number; connections: number; now: number; url?: string }
  | { t: 'not-ready'; generation: number; reason: string; now: number }
  /** A start moved on to its next phase (connected, now waiting for DNS). */
  | { t: 'phase'; generation: number; phase: StartingPhase }
  /** The process is alive but we give up on it (ready timeout, auth failure, degraded too long). */
  | { t: 'fail'; generation: number; error: TunnelError; now: number; random: number }
  /** The process ended on its own; `error` is the classified reason. */
  | { t: 'exit'; generation: number; error: TunnelError; now: number; random: number }
  | { t: 'retry'; now: number }
  | { t: 'stop' }
  | { t: 'all-exited'; exit?: ExitInfo };

export type Effect =
  | { type: 'spawn'; generation: number; protocol?: EdgeProtocol }
  | { type: 'kill'; generation: number }
  | { type: 'kill-all' }
  | { type: 'schedule-retry'; delayMs: number }
  | { type: 'cancel-retry' };

export function createMachine(mode: TunnelMode, policy: Partial<RestartPolicy> = {}): Machine {
  return {
    mode,
    policy: { ...defaultRestartPolicy, ...policy },
    state: { s: 'idle' },
    generation: 0,
    attempt: 0,
    hasBeenReady: false,
    hasRetriedUpdate: false,
    creations: [],
  };
}

const NEVER_RETRY: ReadonlySet<TunnelErrorCode> = new Set([
  'BINARY_NOT_FOUND',
  'BINARY_NOT_EXECUTABLE',
  'UNSUPPORTED_VERSION',
  'USAGE',
  'AUTH_FAILED',
  'CREDENTIALS_INVALID',
  'CONFIG_ERROR',
  'STOPPED',
  'QUICK_TUNNEL_BUDGET',
  'TIMEOUT',
]);

export interface RetryDecision {
  delayMs: number;
  protocol?: EdgeProtocol;
  /** Set when a retry is refused because of the creation budget. */
  budgetError?: TunnelError;
}

/**
 * Pure restart policy: `undefined` means "do not restart". Brief edge drops never reach this
 * (they are `degraded`, not failures). Full-jitter exponential backoff; `random` is in [0, 1).
 */
export function nextDelay(m: Machine, error: TunnelError, now: number, random: number): RetryDecision | undefined {
  if (NEVER_RETRY.has(error.code)) return undefined;
  const p = m.policy;
  const attempt = m.readySince !== undefined && now - m.readySince >= p.resetAfterMs ? 0 : m.attempt;
  let decision: RetryDecision | undefined;
  if (error.code === 'EDGE_UNREACHABLE' && m.protocol !== 'http2') {
    // QUIC looks blocked: try http2 (TCP) at once. Quick tunnels force QUIC
    // and never fall back by themselves (cloudflared#1609); named ones only after minutes of retries.
    decision = { delayMs: 0, protocol: 'http2' };
  } else if (error.code === 'METRICS_BIND_FAILED') {
    decision = { delayMs: 0 };
  } else if (error.code === 'UPDATED' && !m.hasRetriedUpdate) {
    decision = { delayMs: 0 };
  } else if (!m.hasBeenReady) {
    // A start that never got ready fails fast with its classified error: the caller decides.
    return undefined;
  } else if (attempt + 1 > p.maxAttempts) {
    return undefined;
  } else {
    const rate = error.code === 'RATE_LIMITED';
    const base = rate ? p.rateLimitBaseMs : p.baseMs;
    const cap = rate ? p.rateLimitMaxMs : p.maxMs;
    const ceiling = Math.min(cap, base * 2 ** attempt);
    decision = { delayMs: rate ? Math.max(base, Math.floor(random * ceiling)) : Math.floor(random * ceiling) };
  }
  if (m.mode === 'quick') {
    const recent = m.creations.filter((t) => now - t < p.quickBudgetWindowMs);
    if (recent.length >= p.quickBudgetMax) {
      return {
        delayMs: 0,
        budgetError: new TunnelError(
          'QUICK_TUNNEL_BUDGET',
          `${recent.length} quick tunnels were ` +
            `created in the last ${Math.round(p.quickBudgetWindowMs / 1000)} s; not creating another`,
          {
            cause: error,
            hint: 'Wait a few minutes before starting the tunnel again, or use a named tunnel.',
            stderrTail: error.stderrTail,
          },
        ),
      };
    }
    const last = recent.at(-1);
    if (last !== undefined && decision.delayMs > 0)
      decision.delayMs = Math.max(decision.delayMs, p.quickMinSpacingMs - (now - last));
  }
  return decision;
}

/** The public URL of a state, while starting (once known), ready or degraded. */
export function urlOf(s: TunnelState): string | undefined {
  return s.s === 'starting' || s.s === 'ready' || s.s === 'degraded' ? s.url : undefined;
}

/** What one child has seen of the edge so far, for the fallback decision. */
export interface EdgeErrorFacts {
  /** An edge connection was registered (the start is past its first connection). */
  registered: boolean;
  /** Edge errors since the last registered connection, the current one included. */
  edgeErrors: number;
  /** The current error was a QUIC dial. */
  quic: boolean;
}

/**
 * Whether edge errors end a start: `quic-blocked` gives up on QUIC (the retry goes over http2, see
 * `nextDelay`), `unreachable` gives up on http2 too, `undefined` keeps waiting. Only before the first
 * connection: once registered, cloudflared reconnects by itself and the tunnel is `degraded`, not failed.
 * Before the first connection a QUIC failure means UDP/7844 is probably blocked; cloudflared never falls
 * back by itself for quick tunnels, and for named ones only after minutes, while the URL was not offered
 * yet, so the restart costs the user nothing. http2 gets twice the errors (at least 2) before giving up.
 */
export function edgeFailureVerdict(
  m: Machine,
  facts: EdgeErrorFacts,
  errorsBeforeFallback: number,
): 'quic-blocked' | 'unreachable' | undefined {
  if (m.state.s !== 'starting' || facts.registered) return undefined;
  if (facts.quic && m.protocol !== 'http2' && facts.edgeErrors >= errorsBeforeFallback) return 'quic-blocked';
  if (m.protocol === 'http2' && facts.edgeErrors >= Math.max(2, errorsBeforeFallback * 2)) return 'unreachable';
  return undefined;
}

/**
 * cloudflared retries a refused token or credentials file forever while it lives; the supervisor gives up
 * after this many refusals (one may be a blip at the edge). AUTH_FAILED is then never retried (`nextDelay`).
 */
export const AUTH_FAILURES_BEFORE_FAILING = 3;

/** Whether a child whose credentials were refused `authFailures` times should be failed. */
export function isAuthRefused(authFailures: number): boolean {
  return authFailures >= AUTH_FAILURES_BEFORE_FAILING;
}

function recordCreation(m: Machine, now: number, weight = 1): readonly number[] {
  if (m.mode !== 'quick') return m.creations;
  const kept = m.creations.filter((t) => now - t < m.policy.quickBudgetWindowMs);
  return [...kept, ...Array.from({ length: weight }, () => now)];
}

function onFailure(
  m: Machine,
  error: TunnelError,
  now: number,
  random: number,
  kill: boolean,
): { state: Machine; effects: Effect[] } {
  const gen = m.generation;
  const effects: Effect[] = kill ? [{ type: 'kill', generation: gen }] : [];
  // A 429 counts double against the creation budget.
  const creations = error.code === 'RATE_LIMITED' ? recordCreation(m, now) : m.creations;
  const base: Machine = { ...m, creations };
  const decision = nextDelay(base, error, now, random);
  if (!decision) return { state: { ...base, state: { s: 'failed', error } }, effects };
  if (decision.budgetError) return { state: { ...base, state: { s: 'failed', error: decision.budgetError } }, effects };
  const resetAttempt = m.readySince !== undefined && now - m.readySince >= m.policy.resetAfterMs;
  const attempt = (resetAttempt ? 0 : m.attempt) + 1;
  effects.push({ type: 'schedule-retry', delayMs: decision.delayMs });
  return {
    state: {
      ...base,
      attempt,
      readySince: undefined,
      protocol: decision.protocol ?? m.protocol,
      hasRetriedUpdate: m.hasRetriedUpdate || error.code === 'UPDATED',
      state: { s: 'restarting', attempt, delayMs: decision.delayMs, error },
    },
    effects,
  };
}

function stateGeneration(s: TunnelState): number | undefined {
  return s.s === 'starting' || s.s === 'ready' || s.s === 'degraded' ? s.generation : undefined;
}

function budgetExhausted(m: Machine, now: number): TunnelError | undefined {
  if (m.mode !== 'quick') return undefined;
  const recent = m.creations.filter((t) => now - t < m.policy.quickBudgetWindowMs);
  if (recent.length < m.policy.quickBudgetMax) return undefined;
  return new TunnelError(
    'QUICK_TUNNEL_BUDGET',
    `${recent.length} quick tunnels were created recently; not creating another`,
    {
      hint: 'Wait a few minutes before starting the tunnel again, or use a named tunnel.',
    },
  );
}

/** The tunnel's decisions, with no I/O: the supervisor performs the returned effects. */
export function transition(m: Machine, event: MachineEvent): { state: Machine; effects: Effect[] } {
  const s = m.state;
  const same = { state: m, effects: [] as Effect[] };
  switch (event.t) {
    case 'start': {
      if (s.s !== 'idle' && s.s !== 'stopped' && s.s !== 'failed') return same;
      const budget = budgetExhausted(m, event.now);
      if (budget) return { state: { ...m, state: { s: 'failed', error: budget } }, effects: [] };
      const generation = m.generation + 1;
      return {
        state: {
          ...m,
          generation,
          attempt: 0,
          hasBeenReady: false,
          hasRetriedUpdate: false,
          readySince: undefined,
          creations: recordCreation(m, event.now),
          state: { s: 'starting', generation, attempt: 0, protocol: m.protocol },
        },
        effects: [{ type: 'spawn', generation, protocol: m.protocol }],
      };
    }
    case 'retry': {
      if (s.s !== 'restarting') return same;
      const generation = m.generation + 1;
      return {
        state: {
          ...m,
          generation,
          creations: recordCreation(m, event.now),
          state: { s: 'starting', generation, attempt: s.attempt, protocol: m.protocol },
        },
        effects: [{ type: 'spawn', generation, protocol: m.protocol }],
      };
    }
    case 'url': {
      if (stateGeneration(s) !== event.generation) return same;
      if (s.s === 'starting' && s.url !== event.url)
        return { state: { ...m, state: { ...s, url: event.url } }, effects: [] };
      if ((s.s === 'ready' || s.s === 'degraded') && s.url !== event.url)
        return { state: { ...m, state: { ...s, url: event.url } }, effects: [] };
      return same;
    }
    case 'ready': {
      if (stateGeneration(s) !== event.generation) return same;
      if (s.s === 'starting') {
        const url = event.url ?? s.url;
        if (!url) return same;
        return {
          state: {
            ...m,
            hasBeenReady: true,
            readySince: event.now,
            state: { s: 'ready', generation: s.generation, url, connections: event.connections, since: event.now },
          },
          effects: [],
        };
      }
      if (s.s === 'degraded')
        return {
          state: {
            ...m,
            state: {
              s: 'ready',
              generation: s.generation,
              url: s.url,
              connections: event.connections,
              since: event.now,
            },
          },
          effects: [],
        };
      if (s.s === 'ready' && s.connections !== event.connections)
        return { state: { ...m, state: { ...s, connections: event.connections } }, effects: [] };
      return same;
    }
    case 'phase': {
      if (s.s !== 'starting' || s.generation !== event.generation || s.phase === event.phase) return same;
      return { state: { ...m, state: { ...s, phase: event.phase } }, effects: [] };
    }
    case 'not-ready': {
      if (s.s !== 'ready' || s.generation !== event.generation) return same;
      return {
        state: {
          ...m,
          state: { s: 'degraded', generation: s.generation, url: s.url, since: event.now, reason: event.reason },
        },
        effects: [],
      };
    }
    case 'fail':
    case 'exit': {
      if (stateGeneration(s) !== event.generation) return same; // stale generation, or already handled
      return onFailure(m, event.error, event.now, event.random, event.t === 'fail');
    }
    case 'stop': {
      if (s.s === 'idle') return { state: { ...m, state: { s: 'stopped' } }, effects: [] };
      if (s.s === 'stopped' || s.s === 'stopping') return same;
      const url = s.s === 'starting' || s.s === 'ready' || s.s === 'degraded' ? s.url : undefined;
      return {
        state: { ...m, state: { s: 'stopping', url } },
        effects: [{ type: 'cancel-retry' }, { type: 'kill-all' }],
      };
    }
    case 'all-exited': {
      if (s.s !== 'stopping') return same;
      return {
        state: { ...m, state: event.exit ? { s: 'stopped', exit: event.exit } : { s: 'stopped' } },
        effects: [],
      };
    }
  }
}
