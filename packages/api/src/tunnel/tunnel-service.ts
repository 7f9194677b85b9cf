import type { Gate } from '@band/auth';
import type { Settings, SettingsStore } from '@band/settings';
import { createTunnel, readTunnelCredentials, type Tunnel, type TunnelOptions } from '@band/tunnel';
import { BandApiError } from '../errors.js';
import { createEmitter } from '../events.js';
import type { Logger } from '../internal/logger.js';
import type { ServiceDeps } from '../create-services.js';
import { checkHostname, TunnelCheckError } from './tunnel-checks.js';

/** What the dashboard, the CLI and the desktop menu see of the tunnel. */
export interface TunnelStatus {
  state: 'stopped' | 'starting' | 'ready' | 'degraded' | 'stopping' | 'failed';
  /**
   * While `starting`: `connecting` to Cloudflare's edge, then `dns` while a new quick-tunnel hostname is
   * not yet resolvable (the URL is held back so a phone does not cache NXDOMAIN), or, for a named tunnel, `check`
   * while Band checks that its hostname reaches this server through the tunnel. Otherwise null.
   */
  phase: 'connecting' | 'dns' | 'check' | null;
  /**
   * `quick` (a new `*.trycloudflare.com` URL at each start) or `named` (your hostname): the running tunnel's, else the
   * settings'.
   */
  mode: 'quick' | 'named';
  /**
   * A named tunnel's kind. `remote`: made in Cloudflare's dashboard, run with a token (`tunnel.tokenFile`); its public
   * hostname's service, set in Cloudflare, must be `origin`. `local`: made with `cloudflared tunnel create`, run with
   * its credentials file (`tunnel.credentialsFile`); Band writes its ingress, and Cloudflare only needs the DNS route
   * (`cloudflared tunnel route dns <tunnelId> <hostname>`). Null for quick tunnels and an incomplete named setup.
   */
  management: 'local' | 'remote' | null;
  /** A locally managed tunnel's UUID (from its credentials file, once readable); else null. */
  tunnelId: string | null;
  /** The public https URL while the tunnel runs. */
  url: string | null;
  /** A named tunnel's stable URL (`https://<tunnel.hostname>`), known even while stopped; null for quick tunnels. */
  stableUrl: string | null;
  /**
   * The local URL cloudflared forwards to. For a named tunnel `http://127.0.0.1:<tunnel.originPort>`, even while
   * stopped: the service to enter for the public hostname in Cloudflare's dashboard. For a quick tunnel, its
   * ephemeral listener while it runs, else null.
   */
  origin: string | null;
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

type Where = Pick<TunnelStatus, 'mode' | 'management' | 'tunnelId' | 'origin' | 'stableUrl'>;
type Core = Omit<TunnelStatus, 'cloudflaredVersion' | 'phase' | keyof Where>;
const STOPPED: Core = Object.freeze({ state: 'stopped', url: null, error: null, startedAt: null });

/** What the settings say about the next start. */
function configured(settings: Settings): Where {
  const t = settings.tunnel;
  if (t?.mode !== 'named') return { mode: 'quick', management: null, tunnelId: null, origin: null, stableUrl: null };
  let tunnelId: string | null = null;
  if (t.credentialsFile) {
    try {
      tunnelId = readTunnelCredentials(t.credentialsFile).tunnelId;
    } catch {
      // shown when a start fails on it (CREDENTIALS_INVALID, with the fix)
    }
  }
  return {
    mode: 'named',
    management: t.credentialsFile ? 'local' : t.tokenFile ? 'remote' : null,
    tunnelId,
    origin: `http://127.0.0.1:${t.originPort ?? 3457}`,
    stableUrl: t.hostname ? `https://${t.hostname.toLowerCase()}` : null,
  };
}

export function createTunnelService(deps: TunnelServiceDeps): TunnelService {
  const makeTunnel = deps.createTunnel ?? ((options: TunnelOptions) => createTunnel(options));
  const changes = createEmitter<{ status: [TunnelStatus] }>();
  let running: Where | undefined;
  let status: TunnelStatus = { ...STOPPED, phase: null, cloudflaredVersion: null, ...configured(deps.settings.get()) };
  let current: { tunnel: Tunnel; closeListener: () => Promise<void>; unsubscribe: Array<() => void> } | undefined;
  // While a named tunnel's hostname is being checked, the supervisor's `ready` is not ready yet for the user.
  let checking = false;
  let starting: Promise<TunnelStatus> | undefined;
  let stopping: Promise<TunnelStatus> | undefined;

  // The version outlives a stop: it says which cloudflared the next start will most likely use.
  let cloudflaredVersion: string | null = null;
  const publish = (next: Core & Partial<Pick<TunnelStatus, 'phase'>>) => {
    const where =
      next.state === 'stopped' || next.state === 'failed' || !running ? configured(deps.settings.get()) : running;
    status = {
      state: next.state,
      phase: next.state === 'starting' ? (next.phase ?? 'connecting') : null,
      ...where,
      url: next.url,
      cloudflaredVersion,
      error: next.error,
      startedAt: next.startedAt,
    };
    changes.emit('status', status);
  };
  // Switching mode needs no restart: each start reads the settings, and a stopped tunnel shows what the next start
  // uses.
  const offSettings = deps.settings.on('change', () => {
    if (!current && !starting && !stopping) publish(status);
  });

  const toError = (error: unknown): TunnelStatus['error'] => {
    const e = error as { code?: string; message?: string; hint?: string };
    return { code: e.code ?? 'TUNNEL_FAILED', message: e.message ?? String(error), hint: e.hint };
  };

  async function doStart(): Promise<TunnelStatus> {
    if (!deps.openTunnelListener) {
      throw new BandApiError('UNAVAILABLE', 'This server cannot open a tunnel listener');
    }
    const settings = deps.settings.get();
    const tunnelSettings = settings.tunnel ?? { mode: 'quick' as const, originPort: 3457 };
    const named = tunnelSettings.mode === 'named';
    running = configured(settings);
    const fail = (error: unknown, startedAt: number | null = null) => {
      publish({ ...STOPPED, state: 'failed', error: toError(error), startedAt });
      running = undefined;
      return error;
    };
    publish({ state: 'starting', url: null, error: null, startedAt: Date.now() });
    if (named && (!tunnelSettings.hostname || (!tunnelSettings.tokenFile && !tunnelSettings.credentialsFile))) {
      throw fail(
        new TunnelCheckError(
          'NAMED_TUNNEL_INCOMPLETE',
          `A named tunnel needs ${
            !tunnelSettings.hostname
              ? 'tunnel.hostname'
              : "tunnel.tokenFile (a tunnel made in Cloudflare's dashboard) or tunnel.credentialsFile " +
                '(one made with `cloudflared tunnel create`)'
          } in ${deps.settings.file}`,
          {
            hint:
              'Run `band tunnel setup --hostname <your hostname> --token-file <file>` or `band tunnel setup ' +
              '--hostname <your hostname> --credentials-file ~/.cloudflared/<TunnelID>.json` ' +
              '(see docs/named-tunnel.md), or `band settings set tunnel.mode quick`.',
          },
        ),
      );
    }
    let listener: { url: string; close(): Promise<void> };
    try {
      // Named: the stable origin entered in Cloudflare's dashboard. Quick: a fresh ephemeral port.
      listener = await deps.openTunnelListener({ port: named ? tunnelSettings.originPort : 0 });
    } catch (error) {
      throw fail(error);
    }
    running = { ...running, origin: listener.url };
    let tunnel: Tunnel;
    try {
      tunnel = makeTunnel({
        url: listener.url,
        mode: tunnelSettings.mode,
        hostname: tunnelSettings.hostname,
        tokenFile: tunnelSettings.credentialsFile ? undefined : tunnelSettings.tokenFile,
        credentialsFile: named ? tunnelSettings.credentialsFile : undefined,
        // Checked after BAND_CLOUDFLARED_PATH, and like every candidate with `--version`.
        configuredPath: tunnelSettings.cloudflaredPath,
        env: deps.env,
        logger: deps.logger,
      } as TunnelOptions);
    } catch (error) {
      await listener.close();
      throw fail(error);
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
            if (checking) return publish({ state: 'starting', phase: 'check', url: null, error: null, startedAt });
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
      checking = named;
      const { url } = await tunnel.start();
      deps.gate.setTunnelHost(new URL(url).host);
      if (named) {
        publish({ state: 'starting', phase: 'check', url: null, error: null, startedAt });
        await checkHostname(url, listener.url, deps.settings.get().tokenSecret, deps.env, {
          management: running?.management ?? 'remote',
          tunnelId: tunnel.status().tunnelId ?? running?.tunnelId ?? undefined,
        });
        checking = false;
      }
      publish({ state: 'ready', url, error: null, startedAt });
      deps.logger.info(`tunnel ready: ${url}`);
      return status;
    } catch (error) {
      checking = false;
      await teardown();
      throw fail(error, startedAt);
    }
  }

  /**
   * Stops cloudflared and closes the listener. `keepSessions`: the server shuts down with a named tunnel running, so
   * its phones stay signed in for the same hostname after a restart (a stop, or a quick tunnel, signs them out).
   */
  async function teardown(keepSessions = false) {
    const was = current;
    current = undefined;
    if (!keepSessions) deps.gate.setTunnelHost(null);
    if (!was) return;
    for (const off of was.unsubscribe) off();
    await was.tunnel.stop();
    await was.closeListener();
  }

  function stopTunnel(keepSessions: boolean): Promise<TunnelStatus> {
    if (!current && !starting) {
      if (status.state !== 'stopped') publish(STOPPED);
      return Promise.resolve(status);
    }
    stopping ??= (async () => {
      publish({ ...status, state: 'stopping' });
      await starting?.catch(() => {});
      await teardown(keepSessions);
      running = undefined;
      publish(STOPPED);
      return status;
    })().finally(() => {
      stopping = undefined;
    });
    return stopping;
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
      return stopTunnel(false);
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
      offSettings();
      // Shutting down is not "Stop Tunnel": a named tunnel's sessions stay for its next start on the same hostname.
      await stopTunnel(running?.mode === 'named');
    },
  };
}
