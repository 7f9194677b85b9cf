import type { Gate } from '@band/auth';
import type { SettingsStore } from '@band/settings';
import { createTunnel, type Tunnel, type TunnelOptions } from '@band/tunnel';
import { BandApiError } from '../errors.js';
import { createEmitter } from '../events.js';
import type { Logger } from '../logger.js';
import type { ServiceDeps } from './index.js';

/** What the dashboard, the CLI and the desktop menu see of the tunnel. */
export interface TunnelStatus {
  state: 'stopped' | 'starting' | 'ready' | 'degraded' | 'stopping' | 'failed';
  /**
   * While `starting`: `connecting` to Cloudflare's edge, then `dns` while a new quick-tunnel hostname is
   * not yet resolvable (the URL is held back so a phone does not cache NXDOMAIN). Otherwise null.
   */
  phase: 'connecting' | 'dns' | null;
  /** The public https URL while the tunnel runs. */
  url: string | null;
  /** The cloudflared version in use (from `cloudflared --version`), once found. */
  cloudflaredVersion: string | null;
  error: { code: string; message: string; hint?: string } | null;
  startedAt: number | null;
}

export interface TunnelService {
  status(): TunnelStatus;
  /** Starts the tunnel (or joins a start in progress) and resolves once it is ready. */
  start(): Promise<TunnelStatus>;
  /** Stops the tunnel: the public URL stops working, tunnel sessions are revoked and their sockets closed. */
  stop(): Promise<TunnelStatus>;
  /** Every status change, starting with the current status. */
  watch(signal?: AbortSignal): AsyncIterable<TunnelStatus>;
  close(): Promise<void>;
}

export interface TunnelServiceDeps {
  settings: SettingsStore;
  gate: Gate;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  openTunnelListener?: ServiceDeps['openTunnelListener'];
  /** @default createTunnel from @band/tunnel */
  createTunnel?: (options: TunnelOptions) => Tunnel;
}

const STOPPED: TunnelStatus = Object.freeze({ state: 'stopped', phase: null, url: null, cloudflaredVersion: null, error: null, startedAt: null });

export function createTunnelService(deps: TunnelServiceDeps): TunnelService {
  const makeTunnel = deps.createTunnel ?? ((options: TunnelOptions) => createTunnel(options));
  const changes = createEmitter<{ status: [TunnelStatus] }>();
  let status: TunnelStatus = STOPPED;
  let current: { tunnel: Tunnel; closeListener: () => Promise<void>; unsubscribe: Array<() => void> } | undefined;
  let starting: Promise<TunnelStatus> | undefined;
  let stopping: Promise<TunnelStatus> | undefined;

  // The version outlives a stop: it says which cloudflared the next start will most likely use.
  let cloudflaredVersion: string | null = null;
  const publish = (next: Omit<TunnelStatus, 'cloudflaredVersion' | 'phase'> & Partial<Pick<TunnelStatus, 'phase'>>) => {
    status = { ...next, phase: next.state === 'starting' ? (next.phase ?? 'connecting') : null, cloudflaredVersion };
    changes.emit('status', status);
  };

  const toError = (error: unknown): TunnelStatus['error'] => {
    const e = error as { code?: string; message?: string; hint?: string };
    return { code: e.code ?? 'TUNNEL_FAILED', message: e.message ?? String(error), hint: e.hint };
  };

  async function doStart(): Promise<TunnelStatus> {
    if (!deps.openTunnelListener) {
      throw new BandApiError('UNAVAILABLE', 'This server cannot open a tunnel listener');
    }
    const settings = deps.settings.get();
    publish({ state: 'starting', url: null, error: null, startedAt: Date.now() });
    const listener = await deps.openTunnelListener();
    const tunnelSettings = settings.tunnel ?? { mode: 'quick' as const };
    let tunnel: Tunnel;
    try {
      tunnel = makeTunnel({
        url: listener.url,
        mode: tunnelSettings.mode,
        hostname: tunnelSettings.hostname,
        tokenFile: tunnelSettings.tokenFile,
        // Checked after BAND_CLOUDFLARED_PATH, and like every candidate with `--version`.
        configuredPath: tunnelSettings.cloudflaredPath,
        env: deps.env,
        logger: deps.logger,
      } as TunnelOptions);
    } catch (error) {
      await listener.close();
      publish({ ...STOPPED, state: 'failed', error: toError(error) });
      throw error;
    }
    const startedAt = Date.now();
    const unsubscribe = [
      tunnel.on('binary', (binary) => {
        cloudflaredVersion = binary.version;
        if (!stopping && status.state === 'starting') publish({ ...status });
      }),
      tunnel.on('url', (url) => {
        // Only the current public host is allowed on the tunnel listener (DNS rebinding, auth.md F).
        deps.gate.setTunnelHost(url ? new URL(url).host : null);
      }),
      tunnel.on('state', (next) => {
        if (stopping) return;
        const url = ('url' in next ? next.url : undefined) ?? tunnel.url ?? null;
        switch (next.s) {
          case 'ready':
            return publish({ state: 'ready', url, error: null, startedAt });
          case 'degraded':
            return publish({ state: 'degraded', url, error: null, startedAt });
          case 'failed':
            return publish({ state: 'failed', url: null, error: toError(next.error), startedAt });
          case 'restarting':
            // A real failure with a retry scheduled: still "starting" for the user, with the reason shown.
            return publish({ state: 'starting', url: null, error: toError(next.error), startedAt });
          case 'starting':
            // The URL is offered only once it works: a phone that resolves it too early caches NXDOMAIN.
            return publish({ state: 'starting', phase: next.phase ?? 'connecting', url: null, error: null, startedAt });
          default:
            return;
        }
      }),
    ];
    current = { tunnel, closeListener: listener.close, unsubscribe };
    try {
      const { url } = await tunnel.start();
      deps.gate.setTunnelHost(new URL(url).host);
      publish({ state: 'ready', url, error: null, startedAt });
      deps.logger.info(`tunnel ready: ${url}`);
      return status;
    } catch (error) {
      await teardown();
      publish({ ...STOPPED, state: 'failed', error: toError(error), startedAt });
      throw error;
    }
  }

  async function teardown() {
    const was = current;
    current = undefined;
    deps.gate.setTunnelHost(null);
    if (!was) return;
    for (const off of was.unsubscribe) off();
    await was.tunnel.stop();
    await was.closeListener();
  }

  return {
    status: () => status,
    start() {
      if (status.state === 'ready' || status.state === 'degraded') return Promise.resolve(status);
      starting ??= doStart().finally(() => {
        starting = undefined;
      });
      return starting;
    },
    stop() {
      if (!current && !starting) {
        if (status.state !== 'stopped') publish(STOPPED);
        return Promise.resolve(status);
      }
      stopping ??= (async () => {
        publish({ ...status, state: 'stopping' });
        await starting?.catch(() => {});
        await teardown();
        publish(STOPPED);
        return status;
      })().finally(() => {
        stopping = undefined;
      });
      return stopping;
    },
    async *watch(signal) {
      // Subscribe before reading the current status, so no change falls in between.
      const iterator = changes.iterate('status', signal);
      yield status;
      try {
        for await (const [next] of iterator) yield next;
      } catch (error) {
        if ((error as Error).name !== 'AbortError') throw error;
      }
    },
    async close() {
      await this.stop();
    },
  };
}
