// Shared harness of the attack-matrix suite: the real Band server (startServer from dist), real HTTP on 127.0.0.1,
// a capturing logger, and (optionally) a real tunnel listener opened by the tunnel service with a fake cloudflared.
import { readdir, readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fakeCloudflaredEnv, fakeCloudflaredPath, startFakeEdge, type FakeEdge } from '@band/tunnel/testing';
import WebSocket from 'ws';
// The process entry that `npm start`, `band start` and the desktop app run (one prebuilt file), not the library.
import { type BandServer, startServer } from '@band/server/start';
import { descendantsOf } from '../../../../tooling/testing/processes.mjs';
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
  const server = await startServer({
    home: home.home,
    port: 0,
    logger,
    env,
    headersTimeoutMs: options.headersTimeoutMs,
  });
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
export async function openTunnel(
  band: Band,
  stateDir: string,
): Promise<{ port: number; host: string; origin: string }> {
  const status = await band.server.api.services.tunnel.start();
  const host = new URL(status.url!).host;
  const files = await readdir(stateDir);
  const records = await Promise.all(
    files.filter((f) => f.endsWith('.json')).map(async (f) => JSON.parse(await readFile(join(stateDir, f), 'utf8'))),
  );
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
    const req = request(
      { host: '127.0.0.1', port, method: o.method ?? 'GET', path: o.path ?? '/', headers: o.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
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

/** Opens a WebSocket with `ws`; resolves 'open' (and the socket) or the refusal status with its headers. */
export function openWs(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ result: 'open'; ws: WebSocket } | { result: number; ws?: undefined; headers?: HttpResult['headers'] }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers, perMessageDeflate: false });
    ws.on('open', () => resolve({ result: 'open', ws }));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ result: res.statusCode ?? 0, headers: res.headers });
      ws.terminate();
    });
    ws.on('error', () => resolve({ result: 0 }));
  });
}

/** A raw HTTP answer (from `raw`) parsed into status, headers and body, for the same checks as `http` results. */
export function parseRaw(text: string): HttpResult {
  const [head = '', ...rest] = text.split('\r\n\r\n');
  const [line = '', ...lines] = head.split('\r\n');
  const headers: HttpResult['headers'] = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i <= 0) continue;
    const name = l.slice(0, i).trim().toLowerCase();
    const value = l.slice(i + 1).trim();
    const previous = headers[name];
    headers[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(line)?.[1] ?? 0), headers, body: rest.join('\r\n\r\n') };
}

/** Signs in with `?token=` like a browser and returns `name=value` of the session cookie. */
export async function signIn(
  band: Band,
  where: { port: number; host: string; ip?: string } = { port: band.port, host: band.host },
): Promise<string> {
  const r = await http(where.port, {
    path: `/?token=${band.token()}`,
    headers: {
      host: where.host,
      'sec-fetch-dest': 'document',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-site': 'none',
      ...(where.ip ? { 'cf-connecting-ip': where.ip } : {}),
    },
  });
  if (r.status !== 303) throw new Error(`sign-in failed: ${r.status}`);
  const cookie = setCookies(r)[0]!.split(';')[0]!;
  band.secrets.add(cookie.slice(cookie.indexOf('=') + 1));
  return cookie;
}

/** A tRPC mutation body/headers for a same-origin browser call. */
export const trpcPath = (procedure: string) => `/api/trpc/${procedure}`;

/**
 * What "nothing happened" means: the settings file, the signed-in devices, the database (projects, workspaces,
 * chats and their events) and the terminals, and the processes the server runs (it runs in this process, so they
 * are this process's descendants: agents, shells, language servers, git).
 */
export interface Snapshot {
  settingsText: string;
  devices: number;
  deviceIds: string[];
  projects: string[];
  workspaces: string[];
  chats: string[];
  chatEvents: number;
  terminals: string[];
  processes: string[];
}

export async function snapshot(band: Band): Promise<Snapshot> {
  const services = band.server.api.services;
  const chats = services.chats
    .list()
    .map((c) => c.id)
    .sort();
  return {
    settingsText: await readFile(band.server.settings.file, 'utf8'),
    devices: band.server.gate.listDevices().length,
    deviceIds: band.server.gate
      .listDevices()
      .map((d) => d.id)
      .sort(),
    projects: services.projects
      .list()
      .map((p) => `${p.id} ${p.path}`)
      .sort(),
    workspaces: services.workspaces
      .list()
      .map((w) => `${w.id} ${w.branch}`)
      .sort(),
    chats,
    chatEvents: chats.reduce((sum, id) => sum + services.store.chatEvents.lastSeq(id), 0),
    terminals: services.terminals
      .list()
      .map((t) => `${t.id} ${t.pid}`)
      .sort(),
    // The test's own browser (Chromium, launched by Playwright in this process too) opens renderers as it likes.
    processes: descendantsOf(process.pid)
      // An empty command line is a process on its way out (or not yet exec'd): not one that runs.
      .filter((p) => p.cmdline !== '' && p.cmdline !== '?' && !/\/chrom(e|ium)\b/.test(p.cmdline.split(' ')[0] ?? ''))
      .map((p) => `${p.pid} ${p.cmdline}`)
      .sort(),
  };
}

/** Asserts a refused request had no effect: no cookie, no CORS, and nothing in `Snapshot` changed. */
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
  expect(await snapshot(band)).toEqual(before);
}

/** Asserts a request with valid credentials did change the state: the positive control of `expectNothingHappened`. */
export async function expectSomethingHappened(
  band: Band,
  before: Snapshot,
  keys: Array<keyof Snapshot>,
  expect: typeof import('vitest').expect,
): Promise<void> {
  const after = await snapshot(band);
  for (const key of keys) expect(after[key], `${key} changed`).not.toEqual(before[key]);
}

/**
 * A refusal, checked in full: the status; the headers every refusal carries (the gate's security headers, no-store,
 * a content type that matches the body; no session cookie, no CORS); and no side effect (`expectNothingHappened`).
 * `from: 'node'` is for answers Node's HTTP parser gives before the gate runs (bare status, `Connection: close`).
 */
export async function expectRefused(
  band: Band,
  before: Snapshot,
  r: HttpResult,
  expect: typeof import('vitest').expect,
  options: { status: number | number[]; from?: 'gate' | 'node' },
): Promise<void> {
  const statuses = Array.isArray(options.status) ? options.status : [options.status];
  expect(statuses, `status ${r.status}: ${r.body.slice(0, 200)}`).toContain(r.status);
  if ((options.from ?? 'gate') === 'gate') {
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('DENY');
    if (r.body) expect(String(r.headers['content-type'])).toMatch(/^(application\/json|text\/html|text\/plain)/);
  } else {
    expect(String(r.headers.connection ?? 'close').toLowerCase()).toBe('close');
  }
  await expectNothingHappened(band, before, r, expect);
}

/**
 * A refused WebSocket upgrade, checked in full: the status before any handshake, the refusal's headers (no
 * `Sec-WebSocket-Accept`, `Connection: close`, an empty body; no cookie, no CORS) and no side effect.
 */
export async function expectWsRefused(
  band: Band,
  before: Snapshot,
  r: Awaited<ReturnType<typeof openWs>>,
  expect: typeof import('vitest').expect,
  options: { status: number },
): Promise<void> {
  expect(r.result).toBe(options.status);
  const headers = r.ws ? {} : (r.headers ?? {});
  expect(headers['sec-websocket-accept']).toBeUndefined();
  expect(String(headers.connection).toLowerCase()).toBe('close');
  expect(headers['content-length']).toBe('0');
  await expectNothingHappened(band, before, { status: r.result as number, headers, body: '' }, expect);
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
