import { DesktopError } from './errors.js';

/** `tunnel.status` (see the tunnel contract). */
export interface TunnelStatus {
  state: 'stopped' | 'starting' | 'ready' | 'degraded' | 'stopping' | 'failed';
  url: string | null;
  error: { code: string; message: string; hint?: string } | null;
  startedAt: number | null;
}

export interface HealthInfo {
  ok: true;
  name: 'band';
  version: string;
  uptimeMs: number;
  listener: 'local' | 'tunnel';
}

export interface PairingLink {
  code: string;
  expiresAt: number;
  /** `<origin>/pair#c=<code>`: single use, short expiry. */
  url: string;
}

export interface DeviceInfo {
  id: string;
  listener: 'local' | 'tunnel';
  label: string;
  createdAt: number;
  lastSeenAt: number;
}

/**
 * The few tRPC procedures the desktop needs, over plain HTTP with the bearer token (no tRPC client, no
 * router types: the desktop must not depend on @band/api's internals to show a window).
 */
export interface BandClient {
  readonly url: string;
  health(): Promise<HealthInfo>;
  createPairingCode(): Promise<PairingLink>;
  tunnelStatus(): Promise<TunnelStatus>;
  startTunnel(): Promise<TunnelStatus>;
  stopTunnel(): Promise<TunnelStatus>;
  listDevices(): Promise<DeviceInfo[]>;
}

export interface BandClientOptions {
  /** Base URL of the local listener, e.g. http://localhost:3456 */
  url: string;
  /** `tokenSecret` from settings.json; sent only as a header, never in a URL. */
  token: string;
  /** Per-request timeout. @default 10000 */
  timeoutMs?: number;
  /** Test seam. @default globalThis.fetch */
  fetch?: typeof fetch;
}

export function createBandClient(options: BandClientOptions): BandClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  const base = options.url.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function call<T>(
    path: string,
    kind: 'query' | 'mutation',
    input?: unknown,
    callTimeoutMs = timeoutMs,
  ): Promise<T> {
    const url = `${base}/api/trpc/${path}`;
    let response: Response;
    try {
      response = await doFetch(url, {
        method: kind === 'query' ? 'GET' : 'POST',
        headers: {
          authorization: `Bearer ${options.token}`,
          'x-band-csrf': '1',
          ...(kind === 'mutation' ? { 'content-type': 'application/json' } : {}),
        },
        body: kind === 'mutation' ? JSON.stringify(input ?? null) : undefined,
        redirect: 'manual',
        signal: AbortSignal.timeout(callTimeoutMs),
      });
    } catch (error) {
      throw new DesktopError('REQUEST_FAILED', `Could not reach Band at ${base}: ${(error as Error).message}`, {
        hint: 'Is the server running? Start it with `npx band-desktop` or `band start`.',
        cause: error,
      });
    }
    let body:
      | { result?: { data?: T }; error?: { message?: string; data?: { code?: string; hint?: string } } }
      | undefined;
    try {
      body = (await response.json()) as typeof body;
    } catch {
      body = undefined;
    }
    if (!response.ok || !body?.result) {
      const message = body?.error?.message ?? `HTTP ${response.status}`;
      throw new DesktopError('REQUEST_FAILED', `${path} failed: ${message}`, {
        hint:
          body?.error?.data?.hint ??
          (response.status === 401 ? 'The token in settings.json does not match this server.' : undefined),
      });
    }
    return body.result.data as T;
  }

  return {
    url: base,
    health: () => call('health', 'query'),
    createPairingCode: () => call('auth.createPairingCode', 'mutation', { listener: 'local' }),
    tunnelStatus: () => call('tunnel.status', 'query'),
    // Starting waits for cloudflared to be ready, which takes longer than an ordinary request.
    startTunnel: () => call('tunnel.start', 'mutation', undefined, Math.max(timeoutMs, 60_000)),
    stopTunnel: () => call('tunnel.stop', 'mutation', undefined, Math.max(timeoutMs, 30_000)),
    listDevices: () => call('devices.list', 'query'),
  };
}
