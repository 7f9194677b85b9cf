import type { spawn as nodeSpawn } from 'node:child_process';
import type { CloudflaredBinary, findCloudflared } from './binary.js';
import type { TunnelError } from './errors.js';
import type { LogLine } from './log-parser.js';
import type { EdgeProtocol, ExitInfo, TunnelState } from './state.js';

// The supervisor's public contract (createTunnel in create-tunnel.ts implements it).

export interface TunnelEvents {
  /** Every state change. */
  state: [next: TunnelState, prev: TunnelState];
  /** The public URL appeared, changed (quick restart) or went away (`undefined`); `previous` is the last URL. */
  url: [url: string | undefined, previous: string | undefined];
  /** First edge connection of a start. */
  ready: [url: string];
  /** Edge connections lost while the process lives; cloudflared reconnects by itself, the URL is kept. */
  degraded: [reason: string];
  /** Back to ready after `degraded`. */
  recovered: [];
  /** A restart is scheduled after a real failure. */
  restart: [info: { attempt: number; delayMs: number; reason: TunnelError }];
  /** A cloudflared process ended (any generation). */
  exit: [info: ExitInfo];
  /** A classified failure (it leads to `restarting` or `failed`). */
  error: [error: TunnelError];
  /** An edge connection registered (cloudflared's `Registered tunnel connection`). */
  connection: [info: { index: number; id?: string; location?: string; protocol?: string }];
  /** An edge connection was lost or failed (the process lives; cloudflared reconnects by itself). */
  disconnection: [info: { index?: number; reason: string }];
  /** The cloudflared binary that will be run, once discovery found it. */
  binary: [binary: CloudflaredBinary];
  /** Each redacted output line. */
  log: [line: LogLine];
}

export interface TunnelStatus {
  state: TunnelState;
  /**
   * Named tunnels: where the ingress lives. `remote`: in Cloudflare's dashboard (a token); `local`: in the config
   * Band writes (a credentials file). Undefined for quick tunnels.
   */
  management?: 'local' | 'remote';
  /** Locally managed tunnels: the tunnel's UUID. */
  tunnelId?: string;
  url?: string;
  /** The cloudflared version in use (from `--version`), once discovered. */
  version?: string;
  /** The cloudflared binary in use, once discovered. */
  binaryPath?: string;
  pid?: number;
  generation: number;
  metricsAddress?: string;
  protocol?: EdgeProtocol;
  restarts: number;
}

export interface Tunnel extends AsyncDisposable {
  /** Start (or join a start in progress); resolves on the first ready edge connection. */
  start(): Promise<{ url: string }>;
  /** Stop cloudflared: SIGTERM, SIGKILL after `stopTimeoutMs`. Idempotent; concurrent calls share one promise. */
  stop(): Promise<void>;
  /**
   * Stop, then start again (binary discovery included, so a newly installed cloudflared is picked up).
   * A quick tunnel gets a new URL; a named tunnel keeps its hostname.
   */
  restart(): Promise<{ url: string }>;
  readonly state: TunnelState;
  /** The public URL while starting (once known), ready or degraded. */
  readonly url: string | undefined;
  status(): TunnelStatus;
  /** The last `n` redacted output lines. */
  logs(n?: number): string[];
  on<E extends keyof TunnelEvents>(event: E, listener: (...args: TunnelEvents[E]) => void): () => void;
  /** Resolve once `predicate(state)` holds (checked now, then on every change). */
  waitFor(
    predicate: (state: TunnelState) => boolean,
    options?: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<TunnelState>;
}

export interface TunnelDeps {
  spawn: typeof nodeSpawn;
  fetch: typeof fetch;
  now(): number;
  random(): number;
  /**
   * Resolves a new quick-tunnel hostname for the DNS wait: addresses when it resolves, `[]` while it does
   * not yet, and a rejection when DNS cannot be queried at all (the wait is then skipped).
   * @default an A/AAAA query at the zone's authoritative name servers
   */
  resolveHostname(hostname: string): Promise<string[]>;
  /** Binary discovery, injectable for tests. @default findCloudflared */
  findCloudflared: typeof findCloudflared;
}
