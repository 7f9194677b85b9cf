import http from 'node:http';
import { type TunnelLogger, tunnelDefaults } from './options.js';
import { type ExitInfo, type Machine, type MachineEvent, type TunnelMode, type TunnelState, urlOf } from './state.js';

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

/** The per-child bookkeeping the poller reads and writes. */
export interface PolledChild {
  readonly generation: number;
  exit?: ExitInfo;
  /** `host:port` of cloudflared's metrics server, once it logged it. */
  metrics?: string;
  /** The URL from the banner, checked against `/quicktunnel`. */
  bannerUrl?: string;
  lastEdgeError?: string;
  hostnameChecked: boolean;
  /** The quick-tunnel DNS wait ran (or was skipped) for this child. */
  dnsChecked: boolean;
  /** Connected, waiting for the quick-tunnel hostname to resolve before `ready`. */
  dnsPending: boolean;
  /** Consecutive non-ready answers while ready or degraded. */
  notReady: number;
  pollTimer?: NodeJS.Timeout;
  polling: boolean;
}

export interface MetricsPollerOptions {
  mode: TunnelMode;
  readyPollMs: number;
  healthIntervalMs: number;
  dnsWaitMs: number;
  logger: TunnelLogger;
  /** Reads the metrics server when injected; by default node:http does (see httpGet). */
  fetch?: typeof fetch;
  now(): number;
  resolveHostname(hostname: string): Promise<string[]>;
  /** The supervisor's machine as it is now. */
  machine(): Machine;
  dispatch(event: MachineEvent): void;
}

export interface MetricsPoller {
  /** Poll `child` after `delayMs` (replacing a poll already scheduled); a no-op for an old or exited child. */
  schedule(child: PolledChild, delayMs: number): void;
  cancel(child: PolledChild): void;
}

/**
 * The next poll's delay: fast while starting, and while ready after a 503 so a real drop is reported
 * within ~2 polls; at most a second while degraded; the health interval otherwise. `undefined`: stop polling.
 */
export function pollDelayMs(
  state: TunnelState,
  notReady: number,
  { readyPollMs, healthIntervalMs }: { readyPollMs: number; healthIntervalMs: number },
): number | undefined {
  if (state.s === 'starting' || (state.s === 'ready' && notReady > 0)) return readyPollMs;
  if (state.s === 'degraded') return Math.min(healthIntervalMs, 1_000);
  if (state.s === 'ready') return healthIntervalMs;
  return undefined;
}

/** Metrics polling: `/ready` is the truth, `/quicktunnel` the authoritative URL. */
export function createMetricsPoller(o: MetricsPollerOptions): MetricsPoller {
  const isCurrent = (child: PolledChild) => !child.exit && child.generation === o.machine().generation;

  function schedule(child: PolledChild, delayMs: number): void {
    if (!isCurrent(child)) return;
    if (child.pollTimer) clearTimeout(child.pollTimer);
    child.pollTimer = setTimeout(() => void poll(child), delayMs);
  }

  async function getJson(
    child: PolledChild,
    path: string,
  ): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
    try {
      const { status, text } = o.fetch
        ? await o
            .fetch(`http://${child.metrics}${path}`, { signal: AbortSignal.timeout(1_000) })
            .then(async (r) => ({ status: r.status, text: await r.text() }))
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

  async function poll(child: PolledChild): Promise<void> {
    if (child.polling) return schedule(child, o.readyPollMs);
    child.polling = true;
    try {
      const ready = await getJson(child, '/ready');
      if (!isCurrent(child)) return;
      const s = o.machine().state;
      const connections = Number(ready?.body.readyConnections ?? 0);
      const isReady = ready?.status === 200 && connections >= 1;
      if (s.s === 'starting' && isReady) {
        if (o.mode === 'quick' && !child.hostnameChecked) {
          const qt = await getJson(child, '/quicktunnel');
          if (!isCurrent(child)) return;
          const host = typeof qt?.body.hostname === 'string' ? qt.body.hostname : '';
          if (host) {
            child.hostnameChecked = true;
            const url = host.startsWith('https://') ? host : `https://${host}`;
            if (child.bannerUrl && child.bannerUrl !== url)
              o.logger.warn(
                `tunnel: banner URL ${child.bannerUrl} differs from /quicktunnel ${url}; trusting /quicktunnel`,
              );
            o.dispatch({ t: 'url', generation: child.generation, url });
          }
        }
        if (o.mode === 'quick' && o.dnsWaitMs > 0 && !child.dnsChecked) {
          child.dnsChecked = true;
          const url = urlOf(o.machine().state);
          if (url) {
            child.dnsPending = true;
            o.dispatch({ t: 'phase', generation: child.generation, phase: 'dns' });
            void waitForDns(child, new URL(url).hostname).finally(() => {
              child.dnsPending = false;
              schedule(child, 0);
            });
          }
        }
        if (!child.dnsPending) o.dispatch({ t: 'ready', generation: child.generation, connections, now: o.now() });
      } else if (s.s === 'ready' || s.s === 'degraded') {
        if (isReady) {
          child.notReady = 0;
          o.dispatch({ t: 'ready', generation: child.generation, connections, now: o.now() });
        } else if (ready) {
          child.notReady++;
          if (child.notReady >= 2)
            o.dispatch({
              t: 'not-ready',
              generation: child.generation,
              reason: child.lastEdgeError ?? 'no registered edge connection',
              now: o.now(),
            });
        }
      }
    } finally {
      child.polling = false;
    }
    const delay = pollDelayMs(o.machine().state, child.notReady, o);
    if (delay !== undefined) schedule(child, delay);
  }

  // --- DNS wait (quick tunnels): a phone that resolves a brand-new hostname too early caches NXDOMAIN ---
  async function waitForDns(child: PolledChild, hostname: string): Promise<void> {
    const deadline = o.now() + o.dnsWaitMs;
    const waiting = () => isCurrent(child) && o.machine().state.s === 'starting';
    while (waiting()) {
      let addresses: string[];
      try {
        addresses = await o.resolveHostname(hostname);
      } catch (error) {
        o.logger.info(
          `tunnel: DNS wait skipped, ` +
            `DNS cannot be queried from here (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        );
        return;
      }
      if (addresses.length) {
        o.logger.debug(`tunnel: ${hostname} resolves`);
        return;
      }
      if (o.now() >= deadline) {
        o.logger.warn(
          `tunnel: ${hostname} did not resolve within ${Math.round(o.dnsWaitMs / 1000)} s; offering the URL anyway`,
        );
        return;
      }
      await new Promise((r) => setTimeout(r, Math.min(tunnelDefaults.dnsPollMs, Math.max(0, deadline - o.now()))));
    }
  }

  return {
    schedule,
    cancel(child) {
      if (child.pollTimer) clearTimeout(child.pollTimer);
    },
  };
}
