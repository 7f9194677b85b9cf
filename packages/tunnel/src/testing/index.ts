// Test kit for @band/tunnel: shipped as @band/tunnel/testing.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Absolute path of the fake cloudflared (an executable Node script with a shebang). Spawn it directly
 * on POSIX, or as `process.execPath <path>` anywhere; `createTunnel({ binaryPath })` and
 * `BAND_CLOUDFLARED_PATH` accept it as is. Scenarios: see `fakeScenarios`.
 */
export const fakeCloudflaredPath: string = fileURLToPath(new URL('./fake-cloudflared.mjs', import.meta.url));

/** Every scenario the fake understands (`FAKE_CFD_SCENARIO`; combine with `+`). */
export const fakeScenarios = Object.freeze([
  'ok',
  'rate-limit',
  'api-5xx-html',
  'api-json-error',
  'offline',
  'api-timeout=<ms>',
  'edge-unreachable',
  'quic-blocked',
  'slow-register=<ms>',
  'drop-after=<ms>,<down-ms>',
  'crash-after=<ms>',
  'exit-after=<ms>:<code>',
  'autoupdate-after=<ms>',
  'metrics-port-busy',
  'ignore-sigterm',
  'origin-errors',
  'auth-fail',
  'no-dns',
  'legacy=2022',
  'legacy=2026.5',
] as const);

export interface FakeEnvOptions {
  /** e.g. `crash-after=500` or `ignore-sigterm+slow-register=300`. @default 'ok' */
  scenario?: string;
  version?: string;
  hostname?: string;
  seed?: string;
  /** Multiply every delay of the fake (backoff, registration spacing). */
  timeScale?: number;
  /** Directory where the fake writes `<pid>.json` with its argv, env subset and events. */
  stateDir?: string;
  /** A transcript of a real cloudflared to replay (`FAKE_CFD_REPLAY`); see `cloudflaredTranscripts`. */
  replay?: string;
  /**
   * The supervisor's DNS wait for a new quick-tunnel hostname (`BAND_TUNNEL_DNS_WAIT_MS`). The fake's
   * hostnames exist only at the fake edge, so the wait is off unless a test sets it. @default 0
   */
  dnsWaitMs?: number;
  /**
   * Named: the remote-managed ingress "configured in Cloudflare" (`FAKE_CFD_INGRESS`), public hostname -> service.
   * `startFakeEdge({ ingress })` puts it in `edge.env` already (and routes by it).
   */
  ingress?: Record<string, string>;
}

/** Environment variables selecting the fake's behaviour; merge with `edge.env`. */
export function fakeCloudflaredEnv(options: FakeEnvOptions = {}): Record<string, string> {
  const env: Record<string, string> = { FAKE_CFD_SCENARIO: options.scenario ?? 'ok' };
  if (options.version) env.FAKE_CFD_VERSION = options.version;
  if (options.hostname) env.FAKE_CFD_HOSTNAME = options.hostname;
  if (options.seed) env.FAKE_CFD_SEED = options.seed;
  if (options.timeScale !== undefined) env.FAKE_CFD_TIME_SCALE = String(options.timeScale);
  if (options.stateDir) env.FAKE_CFD_STATE_DIR = options.stateDir;
  if (options.replay) env.FAKE_CFD_REPLAY = options.replay;
  if (options.ingress) env.FAKE_CFD_INGRESS = JSON.stringify(options.ingress);
  env.BAND_TUNNEL_DNS_WAIT_MS = String(options.dnsWaitMs ?? 0);
  return env;
}

/** A valid-looking named-tunnel token (base64 JSON with `a`, `t`, `s`) for the fake. */
export function fakeTunnelToken(): string {
  const json = JSON.stringify({
    a: '0123456789abcdef0123456789abcdef',
    t: FAKE_TUNNEL_ID,
    s: Buffer.from('fake-secret-32-bytes-long-value!').toString('base64'),
  });
  return Buffer.from(json).toString('base64');
}

/** The tunnel id in `fakeTunnelToken()` and, by default, in `fakeTunnelCredentials()`. */
const FAKE_TUNNEL_ID = '6ff42ae2-765d-4adf-8112-31c55c1551ef';

/**
 * Writes a credentials file as `cloudflared tunnel create` does (`<dir>/<TunnelID>.json`, mode 0600: AccountTag,
 * TunnelSecret, TunnelID, TunnelName) for a locally managed tunnel on the fake. `fields` overrides or removes
 * (`undefined`) fields, for the broken-file cases.
 */
export function fakeTunnelCredentials(
  dir: string,
  options: { tunnelId?: string; name?: string; fields?: Record<string, unknown> } = {},
): { path: string; tunnelId: string } {
  const tunnelId = options.tunnelId ?? FAKE_TUNNEL_ID;
  const body: Record<string, unknown> = {
    AccountTag: '0123456789abcdef0123456789abcdef',
    TunnelSecret: Buffer.from('fake-secret-32-bytes-long-value!').toString('base64'),
    TunnelID: tunnelId,
    TunnelName: options.name ?? 'band',
    ...options.fields,
  };
  const path = join(dir, `${tunnelId}.json`);
  writeFileSync(path, JSON.stringify(body), { mode: 0o600 });
  return { path, tunnelId };
}

export { startFakeEdge } from './fake-edge.js';
export type { EdgeRoute, FakeEdge, FakeEdgeOptions } from './fake-edge.js';
