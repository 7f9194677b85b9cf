// Runs the BUILT `band` binary as a subprocess against a real Band server started in this process.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeHelloProof, formatSocketAddress } from '@band/auth';
import type { BandServer } from '@band/server';

export const BAND_BIN = fileURLToPath(new URL('../bin/band.js', import.meta.url));

const silent = { debug() {}, info() {}, warn() {}, error() {} };

export interface TestServer {
  url: string;
  port: number;
  home: string;
  token: string;
  /** Environment for the band subprocess: BAND_HOME + BAND_SERVER_URL, nothing inherited that could leak. */
  env: NodeJS.ProcessEnv;
  server: BandServer;
  close(): Promise<void>;
}

/** A temporary directory removed by `cleanup`. */
export async function tempDir(prefix = 'band-cli-'): Promise<{ path: string; cleanup(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

export async function startTestServer(options: { env?: NodeJS.ProcessEnv; home?: string } = {}): Promise<TestServer> {
  const dir = options.home ? undefined : await tempDir('band-cli-home-');
  const home = options.home ?? dir!.path;
  const { startServer } = await import('@band/server/start');
  const server = await startServer({ home, port: 0, logger: silent, env: { ...process.env, ...options.env } });
  return {
    url: server.url,
    port: server.port,
    home,
    token: server.settings.get().tokenSecret,
    env: baseEnv({ BAND_HOME: home, BAND_SERVER_URL: server.url }),
    server,
    async close() {
      await server.close();
      await dir?.cleanup();
    },
  };
}

/** The test process's environment without any BAND_* variable, plus `extra`. */
export function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('BAND_') && key !== 'NO_COLOR' && key !== 'FORCE_COLOR') env[key] = value;
  return { ...env, ...extra };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  /** @default 20 s: a hung command fails the test instead of hanging it. */
  timeoutMs?: number;
}

/** Runs `band …args` to completion. */
export function band(args: string[], options: RunOptions): Promise<RunResult> {
  const child = spawnBand(args, options);
  if (options.input !== undefined) child.process.stdin!.end(options.input);
  else child.process.stdin!.end();
  return child.done;
}

export interface RunningBand {
  process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout (or stderr) matches. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<void>;
  done: Promise<RunResult>;
}

export function spawnBand(args: string[], options: RunOptions): RunningBand {
  return spawnCommand(process.execPath, [BAND_BIN, ...args], options);
}

/** Any command, with the same capture and waiting helpers (e.g. `script` to give band a terminal). */
export function spawnCommand(command: string, args: string[], options: RunOptions): RunningBand {
  const proc = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const w of waiters) w();
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const w of waiters) w();
  });
  const timeoutMs = options.timeoutMs ?? 20_000;
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const done = new Promise<RunResult>((resolve) => {
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      for (const w of waiters) w();
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    process: proc,
    stdout: () => stdout,
    stderr: () => stderr,
    done,
    waitFor(pattern, stream = 'stdout', waitMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(stream === 'stdout' ? stdout : stderr)) {
            waiters.delete(check);
            clearTimeout(t);
            resolve();
          } else if (proc.exitCode !== null || proc.signalCode !== null) {
            waiters.delete(check);
            clearTimeout(t);
            reject(new Error(`band exited before ${pattern} appeared.\nstdout: ${stdout}\nstderr: ${stderr}`));
          }
        };
        const t = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${pattern}.\nstdout: ${stdout}\nstderr: ${stderr}`));
        }, waitMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/**
 * A loopback proxy in front of the server that can drop every open connection (a network cut), to test that
 * streams resume. It rewrites Host and Origin to the server's, as a reverse proxy would, and answers `/auth/hello`
 * for its own Host with the server's token.
 */
export async function startDroppingProxy(
  target: { port: number; url: string; token: string },
  options: { rewriteOrigin?: boolean } = {},
) {
  const rewriteOrigin = options.rewriteOrigin ?? true;
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    // A trusted proxy that changes the Host vouches for the server itself (the server's proof is bound to its Host
    // and to the address the client reached, which is the proxy's).
    const hello = /^\/auth\/hello\?n=([0-9a-f]{32,128})$/.exec(req.url ?? '');
    if (hello) {
      res.setHeader('Content-Type', 'application/json');
      const address = formatSocketAddress(req.socket.localAddress, req.socket.localPort);
      res.end(
        JSON.stringify({
          proof: computeHelloProof(target.token, hello[1]!, req.headers.host ?? '', address),
          address,
          v: 2,
        }),
      );
      return;
    }
    const upstream = http.request(
      { host: '127.0.0.1', port: target.port, method: req.method, path: req.url, headers: rewrite(req) },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const rewrite = (req: IncomingMessage) => ({
    ...req.headers,
    host: new URL(target.url).host,
    ...(rewriteOrigin ? { origin: target.url } : {}),
  });
  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const upstream = net.connect(target.port, '127.0.0.1', () => {
      const headers = rewrite(req);
      const lines = [
        `${req.method} ${req.url} HTTP/1.1`,
        ...Object.entries(headers).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`),
      ];
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      client.pipe(upstream).pipe(client);
    });
    sockets.add(client).add(upstream);
    const forget = () => {
      sockets.delete(client);
      sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', forget).on('error', forget);
    upstream.on('close', forget).on('error', forget);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    /** Cuts every open connection (HTTP keep-alive and WebSocket). */
    dropAll() {
      const n = sockets.size;
      for (const s of sockets) s.destroy();
      return n;
    },
    openSockets: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
