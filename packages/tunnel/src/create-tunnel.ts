import { type ChildProcess, spawn as nodeSpawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { accessSync, constants, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Readable } from 'node:stream';
import { type CloudflaredBinary, type FindCloudflaredOptions, type Launcher, findCloudflared } from './binary.js';
import { resolveHostnameAuthoritatively } from './dns-check.js';
import { TunnelError, binaryNotExecutable, binaryNotFound, errorHints } from './errors.js';
import { Emitter } from './internal/emitter.js';
import { GUARDIAN_SOURCE } from './internal/guardian.js';
import { type LogHint, LineRing, LineSplitter, type LogLine, parseLogLine, recognize, redact } from './log-parser.js';
import { reapOrphans, registerChild, unregisterChild } from './orphans.js';
import { prepareStateDir, writePrivateFile } from './state-dir.js';
import {
  type Effect,
  type EdgeProtocol,
  type ExitInfo,
  type Machine,
  type MachineEvent,
  type RestartPolicy,
  type TunnelMode,
  type TunnelState,
  createMachine,
  transition,
} from './state.js';
import { supports } from './version.js';

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
  /** `quick`: a random `*.trycloudflare.com` URL, no account. `named`: your hostname, needs a token. @default 'quick' */
  mode?: TunnelMode;
  /** Named tunnels: the public hostname routed to this tunnel (e.g. `band.example.com`). */
  hostname?: string;
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
  /** `json` adds `--output json` where cloudflared has it (≥ 2025.6.1; older: text, with a warning); both formats are always parsed. @default 'text' */
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
  waitFor(predicate: (state: TunnelState) => boolean, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<TunnelState>;
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

const EDGE_DNS_HINT =
  'No network or no working DNS: cloudflared looks up the SRV record _v2-origintunneld._tcp.argotunnel.com to find the edge. Check the connection, the DNS resolver and any VPN.';

const noopLogger: TunnelLogger = { debug() {}, info() {}, warn() {}, error() {} };
// TUNNEL_* and friends would change cloudflared's behaviour behind our argv; BAND_* carries Band's own
// secrets (BAND_TOKEN) that cloudflared has no use for.
const STRIPPED_ENV = /^(TUNNEL_|BAND_|NO_AUTOUPDATE$|DIAL_EDGE_TIMEOUT$|STDIN_CONTROL$)/;

interface Child {
  generation: number;
  id: string;
  /** Our pid-file path on its command line; set at launch (after discovery). */
  marker: string;
  stateDir: string;
  /** The quick-tunnel DNS wait ran (or was skipped) for this child. */
  dnsChecked: boolean;
  /** A 429 / error 1015 was stated outright (not only inferred from an old build's bare line). */
  rateLimitCertain: boolean;
  /** Connected, waiting for the quick-tunnel hostname to resolve before `ready`. */
  dnsPending: boolean;
  proc?: ChildProcess;
  pid?: number;
  metrics?: string;
  bannerUrl?: string;
  hostnameChecked: boolean;
  edgeErrors: number;
  lastEdgeError?: string;
  authFailures: number;
  hints: Set<LogHint['kind']>;
  hintMessages: Map<LogHint['kind'], string>;
  registered: boolean;
  notReady: number;
  exit?: ExitInfo;
  exited: Promise<ExitInfo>;
  resolveExited(info: ExitInfo): void;
  terminating?: Promise<ExitInfo>;
  pollTimer?: NodeJS.Timeout;
  polling: boolean;
  ring: LineRing;
}

type GuardianChoice = { kind: 'none' } | { kind: 'node' } | { kind: 'setpriv'; path: string };

function findSetpriv(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  for (const p of ['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv']) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

function resolveGuardian(option: TunnelOptions['guardian']): GuardianChoice {
  if (option === false || (process.platform === 'win32' && option !== 'node')) return { kind: 'none' };
  if (option === 'node') return { kind: 'node' };
  const setpriv = findSetpriv();
  return setpriv ? { kind: 'setpriv', path: setpriv } : { kind: 'node' };
}

/** Catch a missing or non-executable binary before spawning, so every launch mode reports it the same way. */
function checkLauncher(launcher: Launcher): TunnelError | undefined {
  if (!isAbsolute(launcher.command)) return undefined;
  try {
    accessSync(launcher.command, constants.F_OK);
  } catch {
    return binaryNotFound([{ path: launcher.command, source: launcher.source, reason: 'does not exist' }]);
  }
  if (process.platform === 'win32') return undefined;
  try {
    accessSync(launcher.command, constants.X_OK);
  } catch (error) {
    return binaryNotExecutable(launcher.command, error);
  }
  return undefined;
}

/**
 * GET over node:http. The metrics server is local and tiny; the first global `fetch` in a process
 * loads undici, which costs hundreds of milliseconds on a busy machine before the tunnel can be ready.
 */
function httpGet(url: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (text.length < 65_536) text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Build the exact argv (without the binary). Exported for tests and the README. */
export function buildArgs(
  options: Pick<TunnelOptions, 'url' | 'mode' | 'tokenFile' | 'edgeIpVersion' | 'logFormat' | 'logFile' | 'extraArgs' | 'gracePeriodMs'>,
  extra: { configPath: string; pidFile: string; protocol?: EdgeProtocol; version?: string },
): string[] {
  // Flags an old cloudflared does not know make it print `Incorrect Usage` and exit 0: gate them.
  const has = (feature: 'tokenFile' | 'jsonOutput') => !extra.version || supports(extra.version, feature);
  const args = [
    'tunnel',
    '--no-autoupdate',
    // An empty generated config so ~/.cloudflared/config.yml cannot hijack routing (tunnel.md §1.10).
    '--config',
    extra.configPath,
    '--metrics',
    '127.0.0.1:0',
    // Never debug: cloudflared would log request headers, i.e. tokens and cookies.
    '--loglevel',
    'info',
    '--grace-period',
    `${options.gracePeriodMs ?? tunnelDefaults.gracePeriodMs}ms`,
    '--pidfile',
    extra.pidFile,
  ];
  if (extra.protocol) args.push('--protocol', extra.protocol);
  if (options.edgeIpVersion) args.push('--edge-ip-version', options.edgeIpVersion);
  if (options.logFormat === 'json' && has('jsonOutput')) args.push('--output', 'json');
  if (options.logFile) args.push('--logfile', options.logFile);
  if (options.extraArgs) args.push(...options.extraArgs);
  if ((options.mode ?? 'quick') === 'named') {
    args.push('run', '--url', options.url);
    if (options.tokenFile && has('tokenFile')) args.push('--token-file', options.tokenFile);
  } else {
    args.push('--url', options.url);
  }
  return args;
}

export function createTunnel(options: TunnelOptions, deps: Partial<TunnelDeps> = {}): Tunnel {
  // --- Resolve options ---
  const d: TunnelDeps = {
    spawn: deps.spawn ?? nodeSpawn,
    // Only used when injected; by default the metrics server is read with node:http (see httpGet).
    fetch: deps.fetch ?? globalThis.fetch,
    now: deps.now ?? Date.now,
    random: deps.random ?? Math.random,
    resolveHostname: deps.resolveHostname ?? resolveHostnameAuthoritatively,
    findCloudflared: deps.findCloudflared ?? findCloudflared,
  };
  const mode = options.mode ?? tunnelDefaults.mode;
  if (mode === 'named' && !options.hostname)
    throw new TunnelError('CONFIG_ERROR', 'A named tunnel needs `hostname`', { hint: 'Pass the public hostname routed to the tunnel.' });
  if (mode === 'named' && !options.token && !options.tokenFile && !(options.env ?? process.env).TUNNEL_TOKEN)
    throw new TunnelError('AUTH_FAILED', 'A named tunnel needs `token` or `tokenFile`', { hint: errorHints.AUTH_FAILED });
  if (options.extraArgs?.some((a) => /^--?token(=|$)/.test(a)))
    throw new TunnelError('CONFIG_ERROR', 'Tokens are never passed on argv', { hint: 'Use the `token` or `tokenFile` option.' });
  const logger = options.logger ?? noopLogger;
  const gracePeriodMs = options.gracePeriodMs ?? tunnelDefaults.gracePeriodMs;
  const stopTimeoutMs = options.stopTimeoutMs ?? gracePeriodMs + 2_000;
  const readyTimeoutMs = options.readyTimeoutMs ?? tunnelDefaults.readyTimeoutMs;
  const healthIntervalMs = options.healthIntervalMs ?? tunnelDefaults.healthIntervalMs;
  const readyPollMs = options.readyPollMs ?? tunnelDefaults.readyPollMs;
  const degradedRestartAfterMs =
    options.degradedRestartAfterMs ?? (mode === 'quick' ? tunnelDefaults.quickDegradedRestartAfterMs : Number.POSITIVE_INFINITY);
  const edgeErrorsBeforeFallback = options.edgeErrorsBeforeFallback ?? tunnelDefaults.edgeErrorsBeforeFallback;
  const envDnsWait = Number((options.env ?? process.env).BAND_TUNNEL_DNS_WAIT_MS);
  const dnsWaitMs =
    mode !== 'quick' ? 0 : (options.dnsWaitMs ?? (Number.isFinite(envDnsWait) && envDnsWait >= 0 ? envDnsWait : tunnelDefaults.dnsWaitMs));
  const guardian = resolveGuardian(options.guardian);
  const secrets = [options.token, (options.env ?? process.env).TUNNEL_TOKEN].filter((s): s is string => Boolean(s));
  // Discovery runs once per start() (so a cloudflared installed meanwhile is found) and is shared by retries.
  let discovery: Promise<CloudflaredBinary> | undefined;
  let binary: CloudflaredBinary | undefined;
  let warnedJson = false;
  const namedUrl = mode === 'named' ? `https://${options.hostname}` : undefined;

  // --- State ---
  const emitter = new Emitter<TunnelEvents>((error) => logger.error('tunnel listener threw', error));
  let machine: Machine = createMachine(mode, options.restart);
  if (options.protocol === 'http2') machine = { ...machine, protocol: 'http2' };
  const children = new Map<number, Child>();
  const ring = new LineRing(500);
  let retryTimer: NodeJS.Timeout | undefined;
  let readyTimer: NodeJS.Timeout | undefined;
  let degradedTimer: NodeJS.Timeout | undefined;
  let lastUrl: string | undefined;
  let publishedUrl: string | undefined;
  let restarts = 0;
  let stopPromise: Promise<void> | undefined;
  let reaped = false;
  const queue: MachineEvent[] = [];
  let dispatching = false;

  const urlOf = (s: TunnelState): string | undefined =>
    s.s === 'starting' || s.s === 'ready' || s.s === 'degraded' ? s.url : undefined;

  function dispatch(event: MachineEvent): void {
    queue.push(event);
    if (dispatching) return;
    dispatching = true;
    try {
      for (let next = queue.shift(); next; next = queue.shift()) step(next);
    } finally {
      dispatching = false;
    }
  }

  function step(event: MachineEvent): void {
    const prev = machine.state;
    const result = transition(machine, event);
    machine = result.state;
    const next = machine.state;
    if (next !== prev) onStateChange(next, prev);
    for (const effect of result.effects) perform(effect);
  }

  function onStateChange(next: TunnelState, prev: TunnelState): void {
    logger.debug(`tunnel: ${prev.s} -> ${next.s}`);
    // --- timers owned by states ---
    if (next.s !== 'starting' || (prev.s === 'starting' && prev.generation !== next.generation)) clearTimer('ready');
    if (next.s === 'starting' && (prev.s !== 'starting' || prev.generation !== next.generation)) {
      const gen = next.generation;
      readyTimer = setTimeout(() => dispatch({ t: 'fail', generation: gen, error: timeoutError(gen), now: d.now(), random: d.random() }), readyTimeoutMs);
    }
    if (next.s !== 'degraded') clearTimer('degraded');
    if (next.s === 'degraded' && prev.s !== 'degraded' && Number.isFinite(degradedRestartAfterMs)) {
      const gen = next.generation;
      degradedTimer = setTimeout(() => {
        const child = children.get(gen);
        const error = new TunnelError('EDGE_UNREACHABLE', `No edge connection for ${Math.round(degradedRestartAfterMs / 1000)} s`, {
          hint: errorHints.EDGE_UNREACHABLE,
          stderrTail: child?.ring.tail() ?? [],
        });
        dispatch({ t: 'fail', generation: gen, error, now: d.now(), random: d.random() });
      }, degradedRestartAfterMs);
    }
    // --- events ---
    emitter.emit('state', next, prev);
    const url = urlOf(next);
    if (url !== publishedUrl) {
      const previous = lastUrl;
      publishedUrl = url;
      if (url) lastUrl = url;
      emitter.emit('url', url, previous === url ? undefined : previous);
    }
    if (next.s === 'ready' && prev.s === 'degraded') emitter.emit('recovered');
    else if (next.s === 'ready' && prev.s !== 'ready') emitter.emit('ready', next.url);
    if (next.s === 'degraded' && prev.s === 'ready') emitter.emit('degraded', next.reason);
    if (next.s === 'restarting') {
      restarts++;
      logger.warn(`tunnel: ${next.error.message}; restarting in ${next.delayMs} ms`);
      emitter.emit('error', next.error);
      emitter.emit('restart', { attempt: next.attempt, delayMs: next.delayMs, reason: next.error });
    }
    if (next.s === 'failed') {
      logger.error(`tunnel failed: ${next.error.message}`);
      emitter.emit('error', next.error);
    }
    // Poll cadence depends on the state.
    for (const child of children.values()) if (child.generation === machine.generation && child.metrics) schedulePoll(child, 0);
  }

  function clearTimer(which: 'ready' | 'degraded' | 'retry'): void {
    if (which === 'ready' && readyTimer) {
      clearTimeout(readyTimer);
      readyTimer = undefined;
    }
    if (which === 'degraded' && degradedTimer) {
      clearTimeout(degradedTimer);
      degradedTimer = undefined;
    }
    if (which === 'retry' && retryTimer) {
      clearTimeout(retryTimer);
      retryTimer = undefined;
    }
  }

  function perform(effect: Effect): void {
    switch (effect.type) {
      case 'spawn':
        spawnChild(effect.generation, effect.protocol);
        return;
      case 'kill': {
        const child = children.get(effect.generation);
        if (child) void terminate(child);
        return;
      }
      case 'kill-all': {
        const live = [...children.values()];
        void Promise.all(live.map((c) => terminate(c))).then((exits) => {
          const last = exits.at(-1);
          dispatch(last ? { t: 'all-exited', exit: last } : { t: 'all-exited' });
        });
        return;
      }
      case 'schedule-retry':
        clearTimer('retry');
        retryTimer = setTimeout(() => {
          retryTimer = undefined;
          dispatch({ t: 'retry', now: d.now() });
        }, effect.delayMs);
        return;
      case 'cancel-retry':
        clearTimer('retry');
        return;
    }
  }

  function timeoutError(gen: number): TunnelError {
    const child = children.get(gen);
    const tail = child?.ring.tail() ?? [];
    if (child && child.edgeErrors > 0)
      return new TunnelError('EDGE_UNREACHABLE', `No edge connection within ${readyTimeoutMs} ms: ${child.lastEdgeError ?? ''}`.trim(), {
        hint: errorHints.EDGE_UNREACHABLE,
        stderrTail: tail,
      });
    return new TunnelError('READY_TIMEOUT', `cloudflared was not ready within ${readyTimeoutMs} ms`, {
      hint: errorHints.READY_TIMEOUT,
      stderrTail: tail,
    });
  }

  // --- spawning ---
  function spawnChild(generation: number, protocol: EdgeProtocol | undefined): void {
    const id = `${process.pid}-${generation}-${randomBytes(6).toString('hex')}`;
    let resolveExited!: (info: ExitInfo) => void;
    const exited = new Promise<ExitInfo>((r) => (resolveExited = r));
    const child: Child = {
      generation,
      id,
      marker: '',
      stateDir: '',
      dnsChecked: false,
      rateLimitCertain: false,
      dnsPending: false,
      hostnameChecked: false,
      edgeErrors: 0,
      authFailures: 0,
      hints: new Set(),
      hintMessages: new Map(),
      registered: false,
      notReady: 0,
      exited,
      resolveExited,
      polling: false,
      ring: new LineRing(200),
    };
    children.set(generation, child);
    const finish = (code: number | null, signal: string | null, error?: TunnelError) => {
      if (child.exit) return;
      child.exit = { code, signal, generation };
      if (child.pollTimer) clearTimeout(child.pollTimer);
      children.delete(generation);
      if (child.stateDir) void unregisterChild(child.stateDir, id).catch(() => {});
      emitter.emit('exit', child.exit);
      child.resolveExited(child.exit);
      dispatch({ t: 'exit', generation, error: error ?? classifyExit(child, code, signal), now: d.now(), random: d.random() });
    };

    const fail = (error: unknown) => {
      const err = error instanceof TunnelError ? error : new TunnelError('CONFIG_ERROR', `Cannot prepare the tunnel: ${String(error)}`, { cause: error });
      finish(null, null, err);
    };
    discovery ??= d
      .findCloudflared({
        launcher: options.launcher,
        binaryPath: options.binaryPath,
        configuredPath: options.configuredPath,
        env: options.env,
      } satisfies FindCloudflaredOptions)
      .then(({ binary: found, skipped }) => {
        for (const s of skipped) logger.warn(`tunnel: skipped ${s.path}: ${s.reason}`);
        logger.info(`tunnel: using cloudflared ${found.version} at ${found.args[0] ?? found.command}`);
        return found;
      });
    discovery.then(
      (found) => {
        if (child.exit || stopPromise || machine.generation !== generation) return finish(null, null, new TunnelError('STOPPED', 'Stopped before cloudflared started'));
        if (binary !== found) {
          binary = found;
          emitter.emit('binary', found);
        }
        try {
          launch(child, found, protocol, finish);
        } catch (error) {
          fail(error);
        }
      },
      (error: unknown) => {
        discovery = undefined; // the next start() looks again
        fail(error);
      },
    );
  }

  function launch(
    child: Child,
    found: CloudflaredBinary,
    protocol: EdgeProtocol | undefined,
    finish: (code: number | null, signal: string | null, error?: TunnelError) => void,
  ): void {
    const { generation, id } = child;
    const stateDir = prepareStateDir(options.stateDir, (why) => logger.warn(`tunnel: ${why}`));
    child.stateDir = stateDir;
    const marker = join(stateDir, `cloudflared-${id}.pid`);
    child.marker = marker;
    const configPath = join(stateDir, 'cloudflared-empty.yml');
    writePrivateFile(configPath, '{}\n');
    if (!reaped) {
      reaped = true;
      void reapOrphans({ stateDir }).then((pids) => {
        if (pids.length) logger.warn(`tunnel: killed ${pids.length} cloudflared left behind by a crashed run`);
      });
    }
    const launcher: Launcher = found;
    const version = found.version;
    if (options.logFormat === 'json' && !supports(version, 'jsonOutput') && !warnedJson) {
      warnedJson = true;
      logger.warn(`tunnel: cloudflared ${version} has no --output json (2025.6.1+); reading its text logs`);
    }
    const args = [...launcher.args, ...buildArgs({ ...options, mode }, { configPath, pidFile: marker, protocol, version })];
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(options.env ?? process.env)) if (!STRIPPED_ENV.test(k) && v !== undefined) env[k] = v;
    if (mode === 'named' && options.token) env.TUNNEL_TOKEN = options.token;
    else if (mode === 'named' && options.tokenFile && !supports(version, 'tokenFile')) {
      // No --token-file before 2025.4.0: hand the file's token over the environment, never argv.
      let token: string;
      try {
        token = readFileSync(options.tokenFile, 'utf8').trim();
      } catch (error) {
        throw new TunnelError('AUTH_FAILED', `Cannot read the tunnel token file ${options.tokenFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
          hint: 'Check tunnel.tokenFile: it must be a readable file holding the token from the Cloudflare dashboard.',
          cause: error,
        });
      }
      if (token.length >= 4 && !secrets.includes(token)) secrets.push(token);
      env.TUNNEL_TOKEN = token;
    } else if (mode === 'named' && (options.env ?? process.env).TUNNEL_TOKEN) env.TUNNEL_TOKEN = (options.env ?? process.env).TUNNEL_TOKEN;
    logger.debug(`tunnel: spawning ${redact([launcher.command, ...args].join(' '), secrets)}`);

    const preflight = checkLauncher(launcher);
    if (preflight) {
      queueMicrotask(() => finish(null, null, preflight));
      return;
    }
    let proc: ChildProcess;
    try {
      if (guardian.kind === 'node') {
        proc = d.spawn(process.execPath, ['-e', GUARDIAN_SOURCE, String(stopTimeoutMs), launcher.command, ...args], {
          stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
          env,
          windowsHide: true,
        });
      } else if (guardian.kind === 'setpriv') {
        // setpriv execs into cloudflared: same pid, and the kernel sends SIGTERM when we die.
        proc = d.spawn(guardian.path, ['--pdeathsig', 'SIGTERM', '--', launcher.command, ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env,
        });
      } else {
        proc = d.spawn(launcher.command, args, { stdio: ['ignore', 'pipe', 'pipe'], env, windowsHide: true, detached: false });
      }
    } catch (error) {
      queueMicrotask(() => finish(null, null, spawnError(launcher, error)));
      return;
    }
    child.proc = proc;
    if (guardian.kind !== 'node') child.pid = proc.pid;
    proc.on('error', (error) => finish(null, null, spawnError(launcher, error)));
    proc.on('exit', (code, signal) => {
      // Let buffered output drain into the ring so the error can explain itself.
      setImmediate(() => finish(code, signal));
    });
    proc.stdin?.on('error', () => {});
    attachLines(child, proc.stdout, 'stdout');
    attachLines(child, proc.stderr, 'stderr');
    const info = proc.stdio[3] as Readable | undefined;
    if (info) {
      const splitter = new LineSplitter((line) => {
        try {
          const msg = JSON.parse(line) as { pid?: number; error?: string };
          if (msg.pid) {
            child.pid = msg.pid;
            void registerChild(stateDir, id, { pid: msg.pid, guardianPid: proc.pid, ownerPid: process.pid, marker, startedAt: d.now() }).catch(
              () => {},
            );
          }
          if (msg.error) {
            const err = { code: msg.error } as NodeJS.ErrnoException;
            finish(null, null, spawnError(launcher, err));
          }
        } catch {
          // the guardian only writes JSON lines
        }
      });
      info.on('data', (chunk: Buffer) => splitter.push(chunk));
      info.on('error', () => {});
    } else if (proc.pid) {
      void registerChild(stateDir, id, { pid: proc.pid, ownerPid: process.pid, marker, startedAt: d.now() }).catch(() => {});
    }
    if (namedUrl) dispatch({ t: 'url', generation, url: namedUrl });
  }

  function spawnError(launcher: Launcher, error: unknown): TunnelError {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return binaryNotFound([{ path: launcher.command, source: launcher.source, reason: 'does not exist' }]);
    return binaryNotExecutable(launcher.command, error);
  }

  function attachLines(child: Child, stream: Readable | null, name: 'stdout' | 'stderr'): void {
    if (!stream) return;
    // Always drain: a full pipe blocks cloudflared's next log write and stalls the tunnel.
    const splitter = new LineSplitter((raw) => onLine(child, parseLogLine(redact(raw, secrets), name)));
    stream.on('data', (chunk: Buffer) => splitter.push(chunk));
    stream.on('end', () => splitter.end());
    stream.on('error', () => {});
  }

  function onLine(child: Child, line: LogLine): void {
    if (!line.raw.trim()) return;
    child.ring.push(line.raw);
    ring.push(line.raw);
    emitter.emit('log', line);
    if (child.generation !== machine.generation || child.exit) return; // a dying child only adds to its own tail
    for (const hint of recognize(line)) {
      child.hints.add(hint.kind);
      if ('message' in hint) child.hintMessages.set(hint.kind, hint.message);
      switch (hint.kind) {
        case 'url':
          child.bannerUrl = hint.url;
          dispatch({ t: 'url', generation: child.generation, url: hint.url });
          break;
        case 'metrics':
          child.metrics = hint.address;
          schedulePoll(child, 0);
          break;
        case 'registered':
          child.registered = true;
          child.edgeErrors = 0;
          emitter.emit('connection', { index: hint.index, id: hint.id, location: hint.location, protocol: hint.protocol });
          if (child.metrics) schedulePoll(child, 0);
          break;
        case 'unregistered':
          emitter.emit('disconnection', { index: hint.index, reason: 'unregistered' });
          break;
        case 'edge-error':
          child.edgeErrors++;
          child.lastEdgeError = hint.message;
          if (child.registered) emitter.emit('disconnection', { index: hint.index, reason: hint.message });
          if (child.metrics) schedulePoll(child, 0);
          // Before the first connection, a QUIC failure means UDP/7844 is probably blocked: restart on
          // http2 (TCP). cloudflared never falls back by itself for quick tunnels, and for named ones only
          // after minutes; the URL was not offered yet, so the restart costs the user nothing.
          if (
            machine.state.s === 'starting' &&
            !child.registered &&
            hint.quic &&
            machine.protocol !== 'http2' &&
            child.edgeErrors >= edgeErrorsBeforeFallback
          ) {
            const error = new TunnelError('EDGE_UNREACHABLE', `QUIC to the Cloudflare edge fails: ${hint.message}`, {
              hint: 'UDP port 7844 looks blocked; retrying over HTTP/2 (TCP 7844).',
              stderrTail: child.ring.tail(),
            });
            dispatch({ t: 'fail', generation: child.generation, error, now: d.now(), random: d.random() });
          } else if (machine.state.s === 'starting' && !child.registered && machine.protocol === 'http2' && child.edgeErrors >= Math.max(2, edgeErrorsBeforeFallback * 2)) {
            const error = new TunnelError('EDGE_UNREACHABLE', `The Cloudflare edge cannot be reached: ${hint.message}`, {
              hint: errorHints.EDGE_UNREACHABLE,
              stderrTail: child.ring.tail(),
            });
            dispatch({ t: 'fail', generation: child.generation, error, now: d.now(), random: d.random() });
          }
          break;
        case 'auth-failed':
          child.authFailures++;
          if (child.authFailures >= 3) {
            const error = new TunnelError('AUTH_FAILED', `Cloudflare refused the tunnel token: ${hint.message}`, {
              hint: errorHints.AUTH_FAILED,
              stderrTail: child.ring.tail(),
            });
            dispatch({ t: 'fail', generation: child.generation, error, now: d.now(), random: d.random() });
          }
          break;
        case 'rate-limited':
          if (hint.certain) child.rateLimitCertain = true;
          break;
        case 'origin-error':
          logger.warn(`tunnel: origin unreachable: ${hint.message}`);
          break;
        default:
          break;
      }
    }
  }

  function classifyExit(child: Child, code: number | null, signal: string | null): TunnelError {
    const tail = child.ring.tail();
    const has = (k: LogHint['kind']) => child.hints.has(k);
    const lastLine = [...tail].reverse().find((l) => l.trim()) ?? '';
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const opts = { stderrTail: tail, exitCode: code, signal };
    const make = (c: TunnelError['code'], message: string, hint = errorHints[c]) => new TunnelError(c, message, { ...opts, hint });
    if (/^setpriv: failed to execute/m.test(tail.join('\n')))
      return make('BINARY_NOT_EXECUTABLE', `cloudflared could not be executed: ${lastLine}`);
    if (has('usage') || (code === 0 && /Incorrect Usage/.test(tail.join('\n'))))
      return make(
        'USAGE',
        `cloudflared${binary ? ` ${binary.version}` : ''} rejected its arguments (${how}): ${child.hintMessages.get('usage') ?? lastLine}`,
        `${errorHints.USAGE}${options.extraArgs?.length ? ' Check extraArgs too.' : ''}`,
      );
    if (has('auth-failed') || code === 255)
      return make('AUTH_FAILED', `cloudflared refused the tunnel token (${how}): ${child.hintMessages.get('auth-failed') ?? lastLine}`);
    if (child.rateLimitCertain) return make('RATE_LIMITED', 'trycloudflare.com rate-limited the quick tunnel request (429, error 1015)');
    if (has('quick-service-error')) return make('QUICK_SERVICE_ERROR', `The quick-tunnel API failed: ${child.hintMessages.get('quick-service-error') ?? lastLine}`);
    if (has('rate-limited'))
      return make(
        'RATE_LIMITED',
        `trycloudflare.com answered the quick tunnel request with a Cloudflare "error code: …" page instead of JSON, which is how its rate limit (429, error 1015) reaches cloudflared ${binary?.version ?? ''} (older builds print no status): ${lastLine}`.replace('  ', ' '),
      );
    if (has('edge-dns'))
      return make('OFFLINE', `cloudflared could not look up the Cloudflare edge in DNS: ${child.hintMessages.get('edge-dns') ?? lastLine}`, EDGE_DNS_HINT);
    if (has('offline')) return make('OFFLINE', `Cannot reach the quick-tunnel API: ${lastLine}`);
    if (has('metrics-bind-failed')) return make('METRICS_BIND_FAILED', `cloudflared could not bind its metrics port: ${lastLine}`);
    if (has('config-error')) return make('CONFIG_ERROR', `cloudflared refused its configuration: ${lastLine}`);
    if (code === 11 || has('updated')) return make('UPDATED', 'cloudflared updated itself and exited (code 11)');
    if (child.edgeErrors > 0 && !child.registered)
      return make('EDGE_UNREACHABLE', `cloudflared gave up reaching the Cloudflare edge (${how}): ${child.lastEdgeError ?? lastLine}`);
    if (has('panic')) return make('CRASHED', `cloudflared panicked (${how})`);
    return make('CRASHED', `cloudflared ${how}${lastLine ? `: ${lastLine}` : ''}`);
  }

  // --- metrics polling: /ready is the truth, /quicktunnel the authoritative URL ---
  function schedulePoll(child: Child, delayMs: number): void {
    if (child.exit || child.generation !== machine.generation) return;
    if (child.pollTimer) clearTimeout(child.pollTimer);
    child.pollTimer = setTimeout(() => void poll(child), delayMs);
  }

  async function getJson(child: Child, path: string): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
    try {
      const { status, text } = deps.fetch
        ? await d.fetch(`http://${child.metrics}${path}`, { signal: AbortSignal.timeout(1_000) }).then(async (r) => ({ status: r.status, text: await r.text() }))
        : await httpGet(`http://${child.metrics}${path}`, 1_000);
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // a non-JSON body only matters through the status
      }
      return { status, body };
    } catch {
      return undefined;
    }
  }

  async function poll(child: Child): Promise<void> {
    if (child.polling) return schedulePoll(child, readyPollMs);
    child.polling = true;
    try {
      const ready = await getJson(child, '/ready');
      if (child.exit || child.generation !== machine.generation) return;
      const s = machine.state;
      const connections = Number(ready?.body.readyConnections ?? 0);
      const isReady = ready?.status === 200 && connections >= 1;
      if (s.s === 'starting' && isReady) {
        if (mode === 'quick' && !child.hostnameChecked) {
          const qt = await getJson(child, '/quicktunnel');
          if (child.exit || child.generation !== machine.generation) return;
          const host = typeof qt?.body.hostname === 'string' ? qt.body.hostname : '';
          if (host) {
            child.hostnameChecked = true;
            const url = host.startsWith('https://') ? host : `https://${host}`;
            if (child.bannerUrl && child.bannerUrl !== url) logger.warn(`tunnel: banner URL ${child.bannerUrl} differs from /quicktunnel ${url}; trusting /quicktunnel`);
            dispatch({ t: 'url', generation: child.generation, url });
          }
        }
        if (mode === 'quick' && dnsWaitMs > 0 && !child.dnsChecked) {
          child.dnsChecked = true;
          const url = urlOf(machine.state);
          if (url) {
            child.dnsPending = true;
            dispatch({ t: 'phase', generation: child.generation, phase: 'dns' });
            void waitForDns(child, new URL(url).hostname).finally(() => {
              child.dnsPending = false;
              schedulePoll(child, 0);
            });
          }
        }
        if (!child.dnsPending) dispatch({ t: 'ready', generation: child.generation, connections, now: d.now() });
      } else if (s.s === 'ready' || s.s === 'degraded') {
        if (isReady) {
          child.notReady = 0;
          dispatch({ t: 'ready', generation: child.generation, connections, now: d.now() });
        } else if (ready) {
          child.notReady++;
          if (child.notReady >= 2)
            dispatch({ t: 'not-ready', generation: child.generation, reason: child.lastEdgeError ?? 'no registered edge connection', now: d.now() });
        }
      }
    } finally {
      child.polling = false;
    }
    const s = machine.state;
    // A 503 while ready is re-checked quickly so a real drop is reported within ~2 polls.
    const delay =
      s.s === 'starting' || (s.s === 'ready' && child.notReady > 0)
        ? readyPollMs
        : s.s === 'degraded'
          ? Math.min(healthIntervalMs, 1_000)
          : healthIntervalMs;
    if (s.s === 'starting' || s.s === 'ready' || s.s === 'degraded') schedulePoll(child, delay);
  }

  // --- DNS wait (quick tunnels): a phone that resolves a brand-new hostname too early caches NXDOMAIN ---
  async function waitForDns(child: Child, hostname: string): Promise<void> {
    const deadline = d.now() + dnsWaitMs;
    const current = () => !child.exit && child.generation === machine.generation && machine.state.s === 'starting';
    while (current()) {
      let addresses: string[];
      try {
        addresses = await d.resolveHostname(hostname);
      } catch (error) {
        logger.info(`tunnel: DNS wait skipped, DNS cannot be queried from here (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
        return;
      }
      if (addresses.length) {
        logger.debug(`tunnel: ${hostname} resolves`);
        return;
      }
      if (d.now() >= deadline) {
        logger.warn(`tunnel: ${hostname} did not resolve within ${Math.round(dnsWaitMs / 1000)} s; offering the URL anyway`);
        return;
      }
      await new Promise((r) => setTimeout(r, Math.min(tunnelDefaults.dnsPollMs, Math.max(0, deadline - d.now()))));
    }
  }

  // --- stopping ---
  function terminate(child: Child): Promise<ExitInfo> {
    if (child.exit) return Promise.resolve(child.exit);
    if (child.terminating) return child.terminating;
    const proc = child.proc;
    if (!proc) return child.exited;
    child.terminating = (async () => {
      const bounded = (ms: number) =>
        Promise.race([child.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref?.())]);
      try {
        proc.kill('SIGTERM');
      } catch {
        // already gone
      }
      let info = await bounded(stopTimeoutMs);
      if (!info) {
        logger.warn(`tunnel: cloudflared ignored SIGTERM for ${stopTimeoutMs} ms; sending SIGKILL`);
        const kill = (pid: number | undefined) => {
          try {
            if (pid) process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        };
        kill(child.pid);
        // A Node guardian exits as its child did (and reaps it); SIGKILL it only if it does not.
        if (child.pid !== proc.pid) info = await bounded(1_000);
        if (!info) {
          kill(proc.pid);
          info = await bounded(2_000);
        }
      }
      return info ?? { code: null, signal: 'SIGKILL', generation: child.generation };
    })();
    return child.terminating;
  }

  function stop(): Promise<void> {
    if (stopPromise) return stopPromise;
    const s = machine.state.s;
    if (s === 'stopped' || s === 'idle') {
      dispatch({ t: 'stop' });
      return Promise.resolve();
    }
    stopPromise = new Promise<void>((resolve) => {
      const off = emitter.on('state', (next) => {
        if (next.s === 'stopped') {
          off();
          stopPromise = undefined;
          resolve();
        }
      });
      dispatch({ t: 'stop' });
    });
    return stopPromise;
  }

  // --- public API ---
  function waitFor(
    predicate: (state: TunnelState) => boolean,
    opts: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<TunnelState> {
    if (predicate(machine.state)) return Promise.resolve(machine.state);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const cleanup = () => {
        off();
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        cleanup();
        reject(new TunnelError('STOPPED', 'waitFor was aborted', { cause: opts.signal?.reason }));
      };
      const off = emitter.on('state', (next) => {
        if (predicate(next)) {
          cleanup();
          resolve(next);
        }
      });
      if (opts.timeoutMs !== undefined)
        timer = setTimeout(() => {
          cleanup();
          reject(new TunnelError('TIMEOUT', `The tunnel did not reach the expected state within ${opts.timeoutMs} ms (now ${machine.state.s})`, { hint: errorHints.TIMEOUT }));
        }, opts.timeoutMs);
      if (opts.signal?.aborted) onAbort();
      else opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async function start(): Promise<{ url: string }> {
    if (options.signal?.aborted) throw new TunnelError('STOPPED', 'The abort signal was already aborted');
    if (stopPromise) await stopPromise;
    const s = machine.state;
    if (s.s === 'ready') return { url: s.url };
    if (s.s === 'idle' || s.s === 'stopped' || s.s === 'failed') {
      discovery = undefined; // each start looks for cloudflared again (cheap: real binaries are cached by mtime)
      dispatch({ t: 'start', now: d.now() });
    }
    const final = await waitFor((st) => st.s === 'ready' || st.s === 'failed' || st.s === 'stopped' || st.s === 'stopping');
    if (final.s === 'ready') return { url: final.url };
    if (final.s === 'failed') throw final.error;
    throw new TunnelError('STOPPED', 'The tunnel was stopped before it was ready', { hint: errorHints.STOPPED });
  }

  async function restart(): Promise<{ url: string }> {
    await stop();
    return start(); // a fresh start() looks for cloudflared again: it may have been installed or upgraded
  }

  options.signal?.addEventListener('abort', () => void stop(), { once: true });

  return {
    start,
    stop,
    restart,
    get state() {
      return machine.state;
    },
    get url() {
      return urlOf(machine.state);
    },
    status() {
      const current = children.get(machine.generation);
      return {
        state: machine.state,
        url: urlOf(machine.state),
        version: binary?.version,
        binaryPath: binary ? (binary.command === process.execPath && binary.args[0] ? binary.args[0] : binary.command) : undefined,
        pid: current?.pid,
        generation: machine.generation,
        metricsAddress: current?.metrics,
        protocol: machine.protocol,
        restarts,
      };
    },
    logs(n = 50) {
      return ring.tail(n);
    },
    on: (event, listener) => emitter.on(event, listener),
    waitFor,
    [Symbol.asyncDispose]: stop,
  };
}

/** Create a tunnel, start it and wait until it is ready. Stops it again if the start fails. */
export async function startTunnel(options: TunnelOptions, deps?: Partial<TunnelDeps>): Promise<Tunnel & { url: string }> {
  const tunnel = createTunnel(options, deps);
  try {
    await tunnel.start();
  } catch (error) {
    await tunnel.stop();
    throw error;
  }
  return tunnel as Tunnel & { url: string };
}
