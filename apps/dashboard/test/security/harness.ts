// Shared harness of the attack-matrix suite: the real Band server (startServer from dist), real HTTP on 127.0.0.1,
// a capturing logger, and (optionally) a real tunnel listener opened by the tunnel service with a fake cloudflared.
import { readdir, readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fakeCloudflaredEnv, fakeCloudflaredPath, startFakeEdge, type FakeEdge } from '@band/tunnel/testing';
import WebSocket from 'ws';
import { type BandServer, startServer } from '@band/server';
import { captureLogger, tempHome } from '../helpers.js';

export interface Band {
  server: BandServer;
  home: string;
  port: number;
  /** `localhost:<port>` */
  host: string;
  /** `http://localhost:<port>` */
  origin: string;
  token: () => string;
  logger: ReturnType<typeof captureLogger>;
  /** Every secret that must never appear in a log line (token, cookies minted during the test). */
  secrets: Set<string>;
  tunnel?: { port: number; host: string; origin: string };
  close(): Promise<void>;
}

export async function startBand(options: { tunnel?: boolean; headersTimeoutMs?: number } = {}): Promise<Band> {
  const home = await tempHome();
  const logger = captureLogger();
  let edge: FakeEdge | undefined;
  const stateDir = join(home.home, 'fake-cfd');
  let env: NodeJS.ProcessEnv = { ...process.env };
  if (options.tunnel) {
    edge = await startFakeEdge();
    env = { ...env, ...edge.env, ...fakeCloudflaredEnv({ stateDir }), BAND_CLOUDFLARED_PATH: fakeCloudflaredPath };
  }
  const server = await startServer({ home: home.home, port: 0, logger, env, headersTimeoutMs: options.headersTimeoutMs });
  const band: Band = {
    server,
    home: home.home,
    port: server.port,
    host: `localhost:${server.port}`,
    origin: `http://localhost:${server.port}`,
    token: () => server.settings.get().tokenSecret,
    logger,
    secrets: new Set(),
    async close() {
      await server.close();
      await edge?.close();
      await home[Symbol.asyncDispose]();
    },
  };
  if (options.tunnel) band.tunnel = await openTunnel(band, stateDir);
  return band;
}

/** Starts the tunnel through the API service and finds the tunnel listener from the fake cloudflared's argv. */
export async function openTunnel(band: Band, stateDir: string): Promise<{ port: number; host: string; origin: string }> {
  const status = await band.server.api.services.tunnel.start();
  const host = new URL(status.url!).host;
  const files = await readdir(stateDir);
  const records = await Promise.all(files.filter((f) => f.endsWith('.json')).map(async (f) => JSON.parse(await readFile(join(stateDir, f), 'utf8'))));
  const argv: string[] = records.map((r) => r.argv).find(Boolean) ?? [];
  const urlArg = argv[argv.indexOf('--url') + 1] ?? '';
  const port = Number(new URL(urlArg).port);
  return { port, host, origin: `https://${host}` };
}

/** Asserts no secret (token, cookie values, pairing codes) appears in the captured logs. */
export function expectNoSecretsLogged(band: Band, expect: (v: unknown) => { not: { toContain(s: string): void } }) {
  const text = band.logger.text();
  expect(text).not.toContain(band.token());
  for (const secret of band.secrets) expect(text).not.toContain(secret);
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function http(
  port: number,
  o: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: o.method ?? 'GET', path: o.path ?? '/', headers: o.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

export function raw(port: number, text: string | Buffer, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    }, timeoutMs);
    socket.on('data', (c) => chunks.push(c));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.on('error', () => {});
    socket.write(text);
  });
}

export const statusLine = (text: string) => text.split('\r\n')[0] ?? '';

export function setCookies(r: HttpResult): string[] {
  const v = r.headers['set-cookie'];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export function corsHeaders(r: HttpResult): string[] {
  return Object.keys(r.headers).filter((h) => h.startsWith('access-control-'));
}

/** Opens a WebSocket with `ws`; resolves 'open' (and the socket) or the refusal status. */
export function openWs(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ result: 'open'; ws: WebSocket } | { result: number; ws?: undefined }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers, perMessageDeflate: false });
    ws.on('open', () => resolve({ result: 'open', ws }));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ result: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.on('error', () => resolve({ result: 0 }));
  });
}

/** Signs in with `?token=` like a browser and returns `name=value` of the session cookie. */
export async function signIn(band: Band, where: { port: number; host: string; ip?: string } = { port: band.port, host: band.host }): Promise<string> {
  const r = await http(where.port, {
    path: `/?token=${band.token()}`,
    headers: { host: where.host, 'sec-fetch-dest': 'document', 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'none', ...(where.ip ? { 'cf-connecting-ip': where.ip } : {}) },
  });
  if (r.status !== 303) throw new Error(`sign-in failed: ${r.status}`);
  const cookie = setCookies(r)[0]!.split(';')[0]!;
  band.secrets.add(cookie.slice(cookie.indexOf('=') + 1));
  return cookie;
}

/** A tRPC mutation body/headers for a same-origin browser call. */
export const trpcPath = (procedure: string) => `/api/trpc/${procedure}`;

/** What "nothing happened" means: settings file, devices and sessions unchanged. */
export interface Snapshot {
  settingsText: string;
  devices: number;
}

export async function snapshot(band: Band): Promise<Snapshot> {
  return { settingsText: await readFile(band.server.settings.file, 'utf8'), devices: band.server.gate.listDevices().length };
}

/** Asserts a refused request had no effect: no cookie, no CORS, no settings change, no new device. */
export async function expectNothingHappened(
  band: Band,
  before: Snapshot,
  r: HttpResult | undefined,
  expect: typeof import('vitest').expect,
): Promise<void> {
  if (r) {
    expect(setCookies(r).filter((c) => !/Max-Age=0/.test(c))).toEqual([]);
    expect(corsHeaders(r)).toEqual([]);
    expect(r.body).not.toContain(band.token());
  }
  const after = await snapshot(band);
  expect(after.settingsText).toBe(before.settingsText);
  expect(after.devices).toBe(before.devices);
}

export const navHeaders = (host: string, extra: Record<string, string> = {}) => ({
  host,
  accept: 'text/html,application/xhtml+xml',
  'sec-fetch-dest': 'document',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-site': 'none',
  ...extra,
});

/** A mutation with a visible side effect: flips notifications.soundOnNeedsAttention to false (default true). */
export const SIDE_EFFECT_BODY = JSON.stringify({ key: 'notifications.soundOnNeedsAttention', value: false });
