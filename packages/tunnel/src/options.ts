import { TunnelError, errorHints } from './errors.js';
import { readTunnelCredentials } from './local-config.js';
import type { EdgeProtocol, RestartPolicy, TunnelMode } from './state.js';

/** A consola-shaped logger; every method optional in spirit, all no-ops by default. */
export interface TunnelLogger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

export interface TunnelOptions {
  /** Origin cloudflared forwards to, e.g. `http://127.0.0.1:41234` (prefer 127.0.0.1 over localhost). */
  url: string;
  /**
   * `quick`: a random `*.trycloudflare.com` URL, no account. `named`: your hostname, needs a token. @default 'quick'
   */
  mode?: TunnelMode;
  /** Named tunnels: the public hostname routed to this tunnel (e.g. `band.example.com`). */
  hostname?: string;
  /**
   * Named, locally managed tunnels (`cloudflared tunnel create`): the credentials file it wrote,
   * `~/.cloudflared/<TunnelID>.json`. Band then writes the ingress itself (`hostname` to `url`, then a 404
   * catch-all) in a config file of its own and runs `cloudflared tunnel --config <it> run <TunnelID>`: no token,
   * no `--url`, nothing to configure in Cloudflare's dashboard but the DNS route
   * (`cloudflared tunnel route dns <TunnelID> <hostname>`). Checked up front (see `readTunnelCredentials`);
   * excludes `token`/`tokenFile`.
   */
  credentialsFile?: string;
  /** Locally managed tunnels: the tunnel's UUID. @default the `TunnelID` of `credentialsFile` */
  tunnelId?: string;
  /** Named tunnels: the token; passed through the `TUNNEL_TOKEN` environment variable, never argv. */
  token?: string;
  /**
   * Named tunnels: a file holding the token. Passed as `--token-file` to cloudflared ≥ 2025.4.0; older
   * builds do not know the flag, so the file is read and its token goes through `TUNNEL_TOKEN` instead.
   */
  tokenFile?: string;
  /** The cloudflared binary. A `.js`/`.mjs` path runs through this Node (the fake). */
  binaryPath?: string;
  /** The app's configured path (Band: settings `tunnel.cloudflaredPath`), tried after `BAND_CLOUDFLARED_PATH`. */
  configuredPath?: string;
  /** Full control over how cloudflared is launched, e.g. `{ command: process.execPath, args: [fake] }`. */
  launcher?: { command: string; args?: string[] };
  /** Environment for discovery and for the child. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Give up on one start attempt after this long without a ready edge connection. @default 45_000 */
  readyTimeoutMs?: number;
  /** cloudflared's `--grace-period` for in-flight requests on stop. @default 3_000 */
  gracePeriodMs?: number;
  /** SIGKILL after this long if cloudflared has not exited after SIGTERM. @default gracePeriodMs + 2_000 */
  stopTimeoutMs?: number;
  /** Edge transport. Quick tunnels fall back to http2 automatically when QUIC is blocked. */
  protocol?: EdgeProtocol;
  /** `--edge-ip-version`. */
  edgeIpVersion?: '4' | '6' | 'auto';
  /**
   * `json` adds `--output json` where cloudflared has it (≥ 2025.6.1; older: text, with a warning); both formats are
   * always parsed. @default 'text'
   */
  logFormat?: 'text' | 'json';
  /** Also write cloudflared's JSON log to this file (`--logfile`). */
  logFile?: string;
  /** Extra flags placed before `--url`/`run`. Never put a token here. */
  extraArgs?: string[];
  /** Where the empty config, pid files and the child registry live. @default <tmpdir>/band-tunnel-<uid> */
  stateDir?: string;
  /** `/ready` poll interval while ready. @default 5_000 */
  healthIntervalMs?: number;
  /** `/ready` poll interval while starting. @default 250 */
  readyPollMs?: number;
  /** Restart after this long in `degraded`. @default 180_000 for quick, never for named */
  degradedRestartAfterMs?: number;
  /**
   * Edge errors on QUIC, before the first connection, after which the tunnel restarts on http2. One is
   * enough: a QUIC dial that times out on a network that blocks UDP/7844 takes ~5 s, and waiting for more
   * only delays the user (the URL was never offered, so nothing is lost). @default 1
   */
  edgeErrorsBeforeFallback?: number;
  /**
   * Quick tunnels: after cloudflared is connected, wait up to this long for the new hostname to resolve
   * at trycloudflare.com's own name servers before reporting `ready`, so a phone that opens the URL at once
   * never caches NXDOMAIN. The wait shows as `starting` with `phase: 'dns'`. 0 turns it off. When DNS
   * cannot be queried at all from here, the wait is skipped. Env `BAND_TUNNEL_DNS_WAIT_MS` sets it too
   * (the fake cloudflared's `fakeCloudflaredEnv()` sets 0: its hostnames exist only at the fake edge).
   * @default 15_000
   */
  dnsWaitMs?: number;
  /** Backoff and quick-tunnel budget. */
  restart?: Partial<RestartPolicy>;
  /**
   * Make cloudflared die with us even when we are SIGKILLed. `setpriv`: Linux parent-death signal, no
   * extra process; `node`: a tiny Node guardian holding a pipe to us; `auto` picks setpriv when present,
   * else node; `false`: none (Windows relies on libuv's kill-on-close job object). @default 'auto'
   */
  guardian?: boolean | 'auto' | 'node' | 'setpriv';
  logger?: TunnelLogger;
  /** Aborting stops the tunnel. */
  signal?: AbortSignal;
}

export const tunnelDefaults = Object.freeze({
  mode: 'quick' as TunnelMode,
  readyTimeoutMs: 45_000,
  gracePeriodMs: 3_000,
  healthIntervalMs: 5_000,
  readyPollMs: 250,
  quickDegradedRestartAfterMs: 180_000,
  edgeErrorsBeforeFallback: 1,
  dnsWaitMs: 15_000,
  dnsPollMs: 500,
  logFormat: 'text' as const,
});

const noopLogger: TunnelLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** The options with every default filled in and checked once, at `createTunnel`. */
export interface ResolvedTunnelOptions {
  mode: TunnelMode;
  /** A named tunnel run from a credentials file (ingress written by Band), not a token. */
  local: boolean;
  /** Locally managed tunnels: the tunnel's UUID (from the option or the credentials file). */
  tunnelId?: string;
  /** Named tunnels: `https://<hostname>`, known before cloudflared says anything. */
  namedUrl?: string;
  env: NodeJS.ProcessEnv;
  logger: TunnelLogger;
  gracePeriodMs: number;
  stopTimeoutMs: number;
  readyTimeoutMs: number;
  healthIntervalMs: number;
  readyPollMs: number;
  degradedRestartAfterMs: number;
  edgeErrorsBeforeFallback: number;
  dnsWaitMs: number;
}

/** Fill in the defaults and refuse what cannot work, with a `TunnelError` that says how to fix it. */
export function resolveTunnelOptions(options: TunnelOptions): ResolvedTunnelOptions {
  const mode = options.mode ?? tunnelDefaults.mode;
  const env = options.env ?? process.env;
  if (mode === 'named' && !options.hostname)
    throw new TunnelError('CONFIG_ERROR', 'A named tunnel needs `hostname`', {
      hint: 'Pass the public hostname routed to the tunnel.',
    });
  const local = mode === 'named' && Boolean(options.credentialsFile);
  if (local && (options.token || options.tokenFile))
    throw new TunnelError(
      'CONFIG_ERROR',
      'A named tunnel takes either `credentialsFile` (locally managed) ' +
        'or `token`/`tokenFile` (managed in Cloudflare), not both',
      {
        hint:
          "A token runs a tunnel whose ingress is configured in Cloudflare's dashboard; " +
          'a credentials file one whose ingress Band writes.',
      },
    );
  if (mode === 'named' && !local && !options.token && !options.tokenFile && !env.TUNNEL_TOKEN)
    throw new TunnelError('AUTH_FAILED', 'A named tunnel needs `token`, `tokenFile` or `credentialsFile`', {
      hint: errorHints.AUTH_FAILED,
    });
  // Checked now for a clear error at once; read again at each launch (the file may have changed).
  const tunnelId = local
    ? readTunnelCredentials(options.credentialsFile!, { tunnelId: options.tunnelId }).tunnelId
    : undefined;
  if (options.extraArgs?.some((a) => /^--?token(=|$)/.test(a)))
    throw new TunnelError('CONFIG_ERROR', 'Tokens are never passed on argv', {
      hint: 'Use the `token` or `tokenFile` option.',
    });
  const gracePeriodMs = options.gracePeriodMs ?? tunnelDefaults.gracePeriodMs;
  const envDnsWait = Number(env.BAND_TUNNEL_DNS_WAIT_MS);
  return {
    mode,
    local,
    tunnelId,
    namedUrl: mode === 'named' ? `https://${options.hostname}` : undefined,
    env,
    logger: options.logger ?? noopLogger,
    gracePeriodMs,
    stopTimeoutMs: options.stopTimeoutMs ?? gracePeriodMs + 2_000,
    readyTimeoutMs: options.readyTimeoutMs ?? tunnelDefaults.readyTimeoutMs,
    healthIntervalMs: options.healthIntervalMs ?? tunnelDefaults.healthIntervalMs,
    readyPollMs: options.readyPollMs ?? tunnelDefaults.readyPollMs,
    degradedRestartAfterMs:
      options.degradedRestartAfterMs ??
      (mode === 'quick' ? tunnelDefaults.quickDegradedRestartAfterMs : Number.POSITIVE_INFINITY),
    edgeErrorsBeforeFallback: options.edgeErrorsBeforeFallback ?? tunnelDefaults.edgeErrorsBeforeFallback,
    dnsWaitMs:
      mode !== 'quick'
        ? 0
        : (options.dnsWaitMs ??
          (Number.isFinite(envDnsWait) && envDnsWait >= 0 ? envDnsWait : tunnelDefaults.dnsWaitMs)),
  };
}
