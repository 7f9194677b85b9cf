import { type ChildProcess, spawn as nodeSpawn } from 'node:child_process';
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type CloudflaredBinary, type FindCloudflaredOptions, findCloudflared } from './binary.js';
import { resolveHostnameAuthoritatively } from './dns-check.js';
import { TunnelError, type TunnelErrorCode, errorHints } from './errors.js';
import { type ExitFacts, classifyExit, classifyReadyTimeout } from './exit-classification.js';
import { type HintReaction, reactToHint } from './hint-reactions.js';
import { Emitter } from './internal/emitter.js';
import {
  checkLauncher,
  planLaunch,
  readGuardianReports,
  resolveGuardian,
  spawnCloudflared,
  spawnError,
  writeChildConfig,
} from './launch.js';
import { LineRing, LineSplitter, type LogLine, parseLogLine, recognize, redact } from './log-parser.js';
import { createMetricsPoller } from './metrics.js';
import { type TunnelOptions, resolveTunnelOptions } from './options.js';
import { reapOrphans, registerChild, unregisterChild } from './orphans.js';
import { prepareStateDir } from './state-dir.js';
import {
  type Effect,
  type EdgeProtocol,
  type Machine,
  type MachineEvent,
  type TunnelState,
  createMachine,
  transition,
  urlOf,
} from './state.js';
import { type TunnelChild as Child, newTunnelChild, terminateTunnelChild } from './tunnel-child.js';
import type { Tunnel, TunnelDeps, TunnelEvents } from './tunnel-types.js';
import { supports } from './version.js';

export type { Tunnel, TunnelDeps, TunnelEvents, TunnelStatus } from './tunnel-types.js';

export function createTunnel(options: TunnelOptions, deps: Partial<TunnelDeps> = {}): Tunnel {
  // --- Resolve options ---
  const d: TunnelDeps = {
    spawn: deps.spawn ?? nodeSpawn,
    // Only used when injected; by default the metrics server is read with node:http (see metrics.ts).
    fetch: deps.fetch ?? globalThis.fetch,
    now: deps.now ?? Date.now,
    random: deps.random ?? Math.random,
    resolveHostname: deps.resolveHostname ?? resolveHostnameAuthoritatively,
    findCloudflared: deps.findCloudflared ?? findCloudflared,
  };
  const resolved = resolveTunnelOptions(options);
  const {
    mode,
    local,
    tunnelId,
    namedUrl,
    logger,
    stopTimeoutMs,
    readyTimeoutMs,
    degradedRestartAfterMs,
    edgeErrorsBeforeFallback,
  } = resolved;
  const guardian = resolveGuardian(options.guardian);
  const secrets = [options.token, local ? undefined : resolved.env.TUNNEL_TOKEN].filter((s): s is string => Boolean(s));
  // Discovery runs once per start() (so a cloudflared installed meanwhile is found) and is shared by retries.
  let discovery: Promise<CloudflaredBinary> | undefined;
  let binary: CloudflaredBinary | undefined;
  let warnedJson = false;

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
  // The pid registry's writes, one after another: a child that exits while its record is still being written would
  // otherwise have the record removed first and written after (a stale entry), and stop() would resolve with
  // writes still landing in stateDir. A record is not written for a child that has exited by its turn.
  let registry: Promise<void> = Promise.resolve();
  const queueRegistry = (op: () => Promise<void>) => {
    registry = registry.then(op).catch(() => {});
  };
  const queue: MachineEvent[] = [];
  let dispatching = false;

  const poller = createMetricsPoller({
    ...resolved,
    fetch: deps.fetch,
    now: d.now,
    resolveHostname: d.resolveHostname,
    machine: () => machine,
    dispatch,
  });

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
      readyTimer = setTimeout(
        () => dispatch({ t: 'fail', generation: gen, error: timeoutError(gen), now: d.now(), random: d.random() }),
        readyTimeoutMs,
      );
    }
    if (next.s !== 'degraded') clearTimer('degraded');
    if (next.s === 'degraded' && prev.s !== 'degraded' && Number.isFinite(degradedRestartAfterMs)) {
      const gen = next.generation;
      degradedTimer = setTimeout(() => {
        const child = children.get(gen);
        const error = new TunnelError(
          'EDGE_UNREACHABLE',
          `No edge connection for ${Math.round(degradedRestartAfterMs / 1000)} s`,
          {
            hint: errorHints.EDGE_UNREACHABLE,
            stderrTail: child?.ring.tail() ?? [],
          },
        );
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
    for (const child of children.values())
      if (child.generation === machine.generation && child.metrics) poller.schedule(child, 0);
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
    const facts = child
      ? { tail: child.ring.tail(), edgeErrors: child.edgeErrors, lastEdgeError: child.lastEdgeError }
      : { tail: [], edgeErrors: 0 };
    return classifyReadyTimeout(facts, readyTimeoutMs);
  }

  /** What an exit is judged by (see classifyExit). */
  function exitFacts(child: Child, code: number | null, signal: string | null): ExitFacts {
    return {
      code,
      signal,
      tail: child.ring.tail(),
      hints: child.hints,
      hintMessages: child.hintMessages,
      rateLimitCertain: child.rateLimitCertain,
      edgeErrors: child.edgeErrors,
      lastEdgeError: child.lastEdgeError,
      registered: child.registered,
      version: binary?.version,
      hasExtraArgs: Boolean(options.extraArgs?.length),
      local,
    };
  }

  // --- spawning ---
  function spawnChild(generation: number, protocol: EdgeProtocol | undefined): void {
    const child = newTunnelChild(generation);
    const { id } = child;
    children.set(generation, child);
    const finish = (code: number | null, signal: string | null, error?: TunnelError) => {
      if (child.exit) return;
      child.exit = { code, signal, generation };
      poller.cancel(child);
      children.delete(generation);
      if (child.stateDir) queueRegistry(() => unregisterChild(child.stateDir, id));
      if (child.configFile)
        try {
          unlinkSync(child.configFile);
        } catch {
          // already gone
        }
      emitter.emit('exit', child.exit);
      child.resolveExited(child.exit);
      dispatch({
        t: 'exit',
        generation,
        error: error ?? classifyExit(exitFacts(child, code, signal)),
        now: d.now(),
        random: d.random(),
      });
    };

    const fail = (error: unknown) => {
      const err =
        error instanceof TunnelError
          ? error
          : new TunnelError('CONFIG_ERROR', `Cannot prepare the tunnel: ${String(error)}`, { cause: error });
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
        if (child.exit || stopPromise || machine.generation !== generation)
          return finish(null, null, new TunnelError('STOPPED', 'Stopped before cloudflared started'));
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
    const { configPath, configFile } = writeChildConfig(options, resolved, stateDir, id, logger);
    child.configFile = configFile;
    if (!reaped) {
      reaped = true;
      void reapOrphans({ stateDir }).then((pids) => {
        if (pids.length) logger.warn(`tunnel: killed ${pids.length} cloudflared left behind by a crashed run`);
      });
    }
    const version = found.version;
    if (options.logFormat === 'json' && !supports(version, 'jsonOutput') && !warnedJson) {
      warnedJson = true;
      logger.warn(`tunnel: cloudflared ${version} has no --output json (2025.6.1+); reading its text logs`);
    }
    const plan = planLaunch(options, resolved, found, { configPath, pidFile: marker, protocol });
    const { launcher, args } = plan;
    if (plan.fileToken !== undefined && plan.fileToken.length >= 4 && !secrets.includes(plan.fileToken))
      secrets.push(plan.fileToken);
    logger.debug(`tunnel: spawning ${redact([launcher.command, ...args].join(' '), secrets)}`);

    const preflight = checkLauncher(launcher);
    if (preflight) {
      queueMicrotask(() => finish(null, null, preflight));
      return;
    }
    let proc: ChildProcess;
    try {
      proc = spawnCloudflared(d.spawn, guardian, plan, stopTimeoutMs);
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
      readGuardianReports(info, (msg) => {
        if (msg.pid) {
          child.pid = msg.pid;
          const record = { pid: msg.pid, guardianPid: proc.pid, ownerPid: process.pid, marker, startedAt: d.now() };
          queueRegistry(() => (child.exit ? Promise.resolve() : registerChild(stateDir, id, record)));
        }
        if (msg.error) {
          const err = { code: msg.error } as NodeJS.ErrnoException;
          finish(null, null, spawnError(launcher, err));
        }
      });
    } else if (proc.pid) {
      const record = { pid: proc.pid, ownerPid: process.pid, marker, startedAt: d.now() };
      queueRegistry(() => (child.exit ? Promise.resolve() : registerChild(stateDir, id, record)));
    }
    if (namedUrl) dispatch({ t: 'url', generation, url: namedUrl });
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
    for (const hint of recognize(line))
      for (const reaction of reactToHint(child, hint, { machine, edgeErrorsBeforeFallback, local }))
        react(child, reaction);
  }

  /** Does what a line from a live child calls for (see reactToHint). */
  function react(child: Child, reaction: HintReaction): void {
    switch (reaction.do) {
      case 'url':
        dispatch({ t: 'url', generation: child.generation, url: reaction.url });
        return;
      case 'poll':
        poller.schedule(child, 0);
        return;
      case 'connection':
        emitter.emit('connection', reaction.info);
        return;
      case 'disconnection':
        emitter.emit('disconnection', reaction.info);
        return;
      case 'fail':
        giveUp(child, reaction.code, reaction.message, reaction.hint);
        return;
      case 'warn':
        logger.warn(reaction.message);
        return;
    }
  }

  /** Give up on a live child (the machine kills it, then retries or fails). */
  function giveUp(child: Child, code: TunnelErrorCode, message: string, hint: string): void {
    const error = new TunnelError(code, message, { hint, stderrTail: child.ring.tail() });
    dispatch({ t: 'fail', generation: child.generation, error, now: d.now(), random: d.random() });
  }

  // --- stopping ---
  const terminate = (child: Child) => terminateTunnelChild(child, stopTimeoutMs, logger);

  function stop(): Promise<void> {
    if (stopPromise) return stopPromise;
    const s = machine.state.s;
    if (s === 'stopped' || s === 'idle') {
      dispatch({ t: 'stop' });
      return registry;
    }
    stopPromise = new Promise<void>((resolve) => {
      const off = emitter.on('state', (next) => {
        if (next.s === 'stopped') {
          off();
          stopPromise = undefined;
          // Every child has exited and queued its unregistration: stopped means nothing is left to write.
          void registry.then(() => resolve());
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
          reject(
            new TunnelError(
              'TIMEOUT',
              `The tunnel did not reach the expected state within ${opts.timeoutMs} ms (now ${machine.state.s})`,
              { hint: errorHints.TIMEOUT },
            ),
          );
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
    const final = await waitFor(
      (st) => st.s === 'ready' || st.s === 'failed' || st.s === 'stopped' || st.s === 'stopping',
    );
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
        binaryPath: binary
          ? binary.command === process.execPath && binary.args[0]
            ? binary.args[0]
            : binary.command
          : undefined,
        pid: current?.pid,
        ...(mode === 'named' ? { management: local ? ('local' as const) : ('remote' as const) } : {}),
        ...(tunnelId ? { tunnelId } : {}),
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
export async function startTunnel(
  options: TunnelOptions,
  deps?: Partial<TunnelDeps>,
): Promise<Tunnel & { url: string }> {
  const tunnel = createTunnel(options, deps);
  try {
    await tunnel.start();
  } catch (error) {
    await tunnel.stop();
    throw error;
  }
  return tunnel as Tunnel & { url: string };
}
