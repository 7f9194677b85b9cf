// F11 in-process: the hello check itself (timeouts, https, caching) against small local servers.
import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { computeHelloProof } from '@band/auth';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError } from '../src/errors.js';
import { needsServerProof, verifyServer, verifyServerOnce } from '../src/server-proof.js';

const TOKEN = 'a'.repeat(64);
const servers: Server[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

async function serve(handler: http.RequestListener): Promise<{ url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const conn = (serverUrl: string, token: string | null = TOKEN) => ({ serverUrl, token, tokenSource: { kind: 'env' as const, name: 'BAND_TOKEN' as const } });

/** A fake Band that answers /auth/hello with the right proof for its Host. */
const honest: http.RequestListener = (req, res) => {
  const n = new URL(req.url ?? '/', 'http://x').searchParams.get('n') ?? '';
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ proof: computeHelloProof(TOKEN, n, req.headers.host ?? '') }));
};

async function failure(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

describe('server proof before the token (F11)', () => {
  it('accepts a server that proves the token, without ever sending it', async () => {
    const s = await serve(honest);
    await verifyServer(conn(s.url));
    expect(s.seen).toHaveLength(1);
    expect(s.seen[0]!.authorization).toBeUndefined();
    expect(JSON.stringify(s.seen)).not.toContain(TOKEN);
  });

  it('refuses a proof made for another token or another Host', async () => {
    const other = await serve((req, res) => {
      const n = new URL(req.url ?? '/', 'http://x').searchParams.get('n') ?? '';
      res.end(JSON.stringify({ proof: computeHelloProof('b'.repeat(64), n, req.headers.host ?? '') }));
    });
    const e = await failure(verifyServer(conn(other.url)));
    expect(e.code).toBe('SERVER_UNVERIFIED');
    expect(e.exitCode).toBe(7);
    expect(e.message).toMatch(/is not your Band server .*the token was not sent/);
    expect(e.hint).toContain('BAND_TOKEN');
    const relay = await serve((req, res) => {
      const n = new URL(req.url ?? '/', 'http://x').searchParams.get('n') ?? '';
      res.end(JSON.stringify({ proof: computeHelloProof(TOKEN, n, 'localhost:3456') }));
    });
    expect((await failure(verifyServer(conn(relay.url)))).code).toBe('SERVER_UNVERIFIED');
  });

  it('refuses non-Band answers: HTML, empty JSON, a short proof, a redirect, a 500', async () => {
    const answers: Array<[number, string, Record<string, string>?]> = [
      [200, '<html>hi</html>'],
      [200, '{}'],
      [200, '{"proof":"00"}'],
      [200, `{"proof":"${'0'.repeat(63)}g"}`],
      [200, 'null'],
      [302, '', { location: 'http://evil.example/' }],
      [500, 'oops'],
    ];
    for (const [status, body, headers] of answers) {
      const s = await serve((_req, res) => {
        res.writeHead(status, headers);
        res.end(body);
      });
      const e = await failure(verifyServer(conn(s.url)));
      expect(e.code, body).toBe('SERVER_UNVERIFIED');
      expect(s.seen.every((h) => h.authorization === undefined)).toBe(true);
    }
  });

  it('says to upgrade an older Band that answers 404', async () => {
    const s = await serve((_req, res) => {
      res.statusCode = 404;
      res.end('{"error":"NOT_FOUND"}');
    });
    const e = await failure(verifyServer(conn(s.url)));
    expect(e.code).toBe('SERVER_UNVERIFIED');
    expect(e.message).toMatch(/no \/auth\/hello.*the token was not sent/);
    expect(e.hint).toMatch(/upgrade/);
  });

  it('gives up on a process that never answers', async () => {
    const s = await serve(() => {});
    const e = await failure(verifyServer(conn(s.url), { timeoutMs: 200 }));
    expect(e.code).toBe('SERVER_UNVERIFIED');
    expect(e.message).toMatch(/no answer/);
  });

  it('lets "nothing is listening" through as a network error (server not running)', async () => {
    const s = await serve(honest);
    const url = s.url;
    const closed = servers.pop()!;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await verifyServer(conn(url)).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(CliError);
  });

  it('skips https (TLS proves the tunnel) and token-less connections', async () => {
    expect(needsServerProof(conn('https://abc.trycloudflare.com'))).toBe(false);
    expect(needsServerProof(conn('http://127.0.0.1:3456', null))).toBe(false);
    expect(needsServerProof(conn('http://localhost:3456'))).toBe(true);
    let calls = 0;
    const fetch = (async () => {
      calls += 1;
      throw new Error('must not be called');
    }) as typeof globalThis.fetch;
    await verifyServer(conn('https://abc.trycloudflare.com'), { fetch });
    await verifyServer(conn('http://127.0.0.1:1', null), { fetch });
    expect(calls).toBe(0);
  });

  it('checks once per process', async () => {
    const s = await serve(honest);
    const first = verifyServerOnce(conn(s.url));
    expect(verifyServerOnce(conn(s.url))).toBe(first);
    await first;
    await verifyServerOnce(conn(s.url));
    expect(s.seen).toHaveLength(1);
  });
});
