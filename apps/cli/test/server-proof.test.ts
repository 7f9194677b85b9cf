// F11 in-process: the hello check itself (timeouts, https, caching) against small local servers.
import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { computeHelloProof, formatSocketAddress } from '@band/auth';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError } from '../src/errors.js';
import { needsServerProof, pinConnection, verifyServer, verifyServerOnce } from '../src/server-proof.js';

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

const conn = (serverUrl: string, token: string | null = TOKEN) => ({
  serverUrl,
  token,
  tokenSource: { kind: 'env' as const, name: 'BAND_TOKEN' as const },
});

const nonceOf = (req: http.IncomingMessage) => new URL(req.url ?? '/', 'http://x').searchParams.get('n') ?? '';
const localOf = (req: http.IncomingMessage) => formatSocketAddress(req.socket.localAddress, req.socket.localPort);

/** What Band answers: the proof for the nonce, the Host and its own end of the connection. */
const bandAnswer = (token: string, req: http.IncomingMessage, address = localOf(req)) =>
  JSON.stringify({ proof: computeHelloProof(token, nonceOf(req), req.headers.host ?? '', address), address, v: 2 });

/** A fake Band that answers /auth/hello with the right proof for its Host and address. */
const honest: http.RequestListener = (req, res) => {
  res.setHeader('Content-Type', 'application/json');
  res.end(bandAnswer(TOKEN, req));
};

async function failure(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
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
    const other = await serve((req, res) => res.end(bandAnswer('b'.repeat(64), req)));
    const e = await failure(verifyServer(conn(other.url)));
    expect(e.code).toBe('SERVER_UNVERIFIED');
    expect(e.exitCode).toBe(7);
    expect(e.message).toMatch(/is not your Band server .*the token was not sent/);
    expect(e.hint).toContain('BAND_TOKEN');
    const otherHost = await serve((req, res) => {
      res.end(
        JSON.stringify({
          proof: computeHelloProof(TOKEN, nonceOf(req), 'localhost:3456', localOf(req)),
          address: localOf(req),
          v: 2,
        }),
      );
    });
    expect((await failure(verifyServer(conn(otherHost.url)))).code).toBe('SERVER_UNVERIFIED');
  });

  it(
    'issue 16 #1: refuses a proof relayed from another address ' +
      '(the real server saw another local address) and says so',
    async () => {
      const real = await serve(honest);
      const realPort = Number(new URL(real.url).port);
      // The squatter forwards the CLI's hello, Host untouched, to the real server and relays its answer.
      const squatter = await serve((req, res) => {
        http.get(
          { host: '127.0.0.1', port: realPort, path: req.url, headers: { host: req.headers.host ?? '' }, agent: false },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
      });
      const e = await failure(verifyServer(conn(squatter.url)));
      expect(e.code).toBe('SERVER_UNVERIFIED');
      expect(e.exitCode).toBe(7);
      expect(e.message).toContain(`it relayed a proof made for another address (127.0.0.1:${realPort})`);
      expect(squatter.seen.every((h) => h.authorization === undefined)).toBe(true);
      // The same answer for the squatter's own address would have passed: the address is what failed it.
      const forged = await serve((req, res) => res.end(bandAnswer(TOKEN, req, `127.0.0.1:${realPort}`)));
      expect((await failure(verifyServer(conn(forged.url)))).message).toMatch(
        /relayed a proof made for another address/,
      );
    },
  );

  it('refuses an older server whose proof names no address (v1), with a hint to upgrade', async () => {
    const old = await serve((_req, res) => res.end(JSON.stringify({ proof: 'ab'.repeat(32) })));
    const e = await failure(verifyServer(conn(old.url)));
    expect(e.message).toMatch(/older \/auth\/hello proof/);
    expect(e.hint).toMatch(/Upgrade the Band server/);
  });

  it('returns the verified address; a host name is pinned to it, an IP literal is kept', async () => {
    const s = await serve(honest);
    const port = new URL(s.url).port;
    expect(await verifyServer(conn(s.url))).toEqual({ address: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}` });
    const verified = { address: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}` };
    expect(pinConnection({ serverUrl: `http://localhost:${port}` }, verified).serverUrl).toBe(
      `http://127.0.0.1:${port}`,
    );
    expect(
      pinConnection(
        { serverUrl: `http://localhost:${port}` },
        { address: `[::1]:${port}`, url: `http://[::1]:${port}` },
      ).serverUrl,
    ).toBe(`http://[::1]:${port}`);
    expect(pinConnection({ serverUrl: `http://127.0.0.1:${port}` }, verified).serverUrl).toBe(
      `http://127.0.0.1:${port}`,
    );
    expect(pinConnection({ serverUrl: 'https://abc.trycloudflare.com' }, undefined).serverUrl).toBe(
      'https://abc.trycloudflare.com',
    );
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
    expect(e.message).toMatch(/no answer to \/auth\/hello within 200 ms.*the token was not sent/);
    // Band answers whatever the token, so silence is never blamed on the token.
    expect(e.hint).toMatch(/too busy.*try again.*another program holds port/);
    expect(e.hint).not.toMatch(/tokenSecret/);
  });

  it('lets "nothing is listening" through as a network error (server not running)', async () => {
    const s = await serve(honest);
    const url = s.url;
    const closed = servers.pop()!;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await verifyServer(conn(url)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(CliError);
  });

  it('skips https (TLS proves the tunnel) and token-less connections', async () => {
    expect(needsServerProof(conn('https://abc.trycloudflare.com'))).toBe(false);
    expect(needsServerProof(conn('http://127.0.0.1:3456', null))).toBe(false);
    expect(needsServerProof(conn('http://localhost:3456'))).toBe(true);
    // Neither touches the network (port 1 would refuse; the tunnel host does not resolve here).
    expect(await verifyServer(conn('https://abc.trycloudflare.com'))).toBeUndefined();
    expect(await verifyServer(conn('http://127.0.0.1:1', null))).toBeUndefined();
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
