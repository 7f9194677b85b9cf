// @band/auth/client: the hello check a client makes before it sends the token (F11), and the redirect file that keeps
// a one-time link off the browser's command line. Small local servers stand in for Band and for squatters.
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AuthError,
  needsServerProof,
  pinServerUrl,
  REDIRECT_FILE_PATTERN,
  redirectPage,
  sweepRedirectFiles,
  verifyServer,
  writeRedirectFile,
} from '../src/client/index.js';
import { computeHelloProof, formatSocketAddress } from '../src/hello.js';
import { AuthError as MainAuthError } from '../src/index.js';

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

const nonceOf = (req: http.IncomingMessage) => new URL(req.url ?? '/', 'http://x').searchParams.get('n') ?? '';
const localOf = (req: http.IncomingMessage) => formatSocketAddress(req.socket.localAddress, req.socket.localPort);
const bandAnswer = (token: string, req: http.IncomingMessage, address = localOf(req)) =>
  JSON.stringify({ proof: computeHelloProof(token, nonceOf(req), req.headers.host ?? '', address), address, v: 2 });
const honest: http.RequestListener = (req, res) => {
  res.setHeader('Content-Type', 'application/json');
  res.end(bandAnswer(TOKEN, req));
};

async function failure(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  expect((error as AuthError).code).toBe('SERVER_UNVERIFIED');
  return error as AuthError;
}

describe('verifyServer (F11)', () => {
  it(
    'accepts a server that proves the token, ' + 'without ever sending it, and returns the address it reached',
    async () => {
      const s = await serve(honest);
      const port = new URL(s.url).port;
      expect(await verifyServer({ url: s.url, token: TOKEN })).toEqual({
        address: `127.0.0.1:${port}`,
        url: `http://127.0.0.1:${port}`,
      });
      expect(s.seen).toHaveLength(1);
      expect(JSON.stringify(s.seen)).not.toContain(TOKEN);
    },
  );

  it('refuses a proof for another token (WRONG_PROOF) and one relayed from another address (RELAYED)', async () => {
    const other = await serve((req, res) => res.end(bandAnswer('b'.repeat(64), req)));
    const e = await failure(verifyServer({ url: other.url, token: TOKEN }));
    expect(e.reason).toBe('WRONG_PROOF');
    expect(e.message).toMatch(/is not your Band server .*the token was not sent/);
    expect(e.hint).toBeTruthy();
    const real = await serve(honest);
    const realPort = Number(new URL(real.url).port);
    const squatter = await serve((req, res) => {
      http.get(
        { host: '127.0.0.1', port: realPort, path: req.url, headers: { host: req.headers.host ?? '' }, agent: false },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
    });
    const relayed = await failure(verifyServer({ url: squatter.url, token: TOKEN }));
    expect(relayed.reason).toBe('RELAYED');
    expect(relayed.message).toContain(`relayed a proof made for another address (127.0.0.1:${realPort})`);
    expect([...squatter.seen, ...other.seen].every((h) => h.authorization === undefined)).toBe(true);
  });

  it('names each way a non-Band answer fails', async () => {
    const cases: Array<[http.RequestListener, string]> = [
      [(_q, r) => r.writeHead(404).end('{}'), 'NO_HELLO'],
      [(_q, r) => r.writeHead(302, { location: 'http://evil.example/' }).end(), 'HTTP_STATUS'],
      [(_q, r) => r.end('<html>hi</html>'), 'NOT_BAND'],
      [(_q, r) => r.end('{"proof":"00"}'), 'NOT_BAND'],
      [(_q, r) => r.end(JSON.stringify({ proof: 'ab'.repeat(32) })), 'OLD_PROOF'],
    ];
    for (const [handler, reason] of cases) {
      const s = await serve(handler);
      expect((await failure(verifyServer({ url: s.url, token: TOKEN }))).reason, reason).toBe(reason);
    }
    const silent = await serve(() => {});
    const e = await failure(verifyServer({ url: silent.url, token: TOKEN, timeoutMs: 200 }));
    expect(e.reason).toBe('NO_ANSWER');
    // The same class as the main entry's (one shared chunk), so `instanceof` works whichever entry a caller imports.
    expect(e).toBeInstanceOf(MainAuthError);
  });

  it('rethrows "nothing is listening" as the network error it is; skips https and token-less calls', async () => {
    const s = await serve(honest);
    const closed = servers.pop()!;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await verifyServer({ url: s.url, token: TOKEN }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(needsServerProof('https://abc.trycloudflare.com', TOKEN)).toBe(false);
    expect(needsServerProof('http://localhost:3456', TOKEN)).toBe(true);
    expect(needsServerProof('http://localhost:3456', null)).toBe(false);
    expect(await verifyServer({ url: 'https://abc.trycloudflare.com', token: TOKEN })).toBeUndefined();
  });

  it('pins a host name to the verified address and keeps IP literals', () => {
    const v4 = { address: '127.0.0.1:3456', url: 'http://127.0.0.1:3456' };
    expect(pinServerUrl('http://localhost:3456', v4)).toBe('http://127.0.0.1:3456');
    expect(pinServerUrl('http://localhost:3456/', { address: '[::1]:3456', url: 'http://[::1]:3456' })).toBe(
      'http://[::1]:3456',
    );
    expect(pinServerUrl('http://127.0.0.1:3456', v4)).toBe('http://127.0.0.1:3456');
    expect(pinServerUrl('https://abc.trycloudflare.com', undefined)).toBe('https://abc.trycloudflare.com');
  });
});

describe('redirect files', () => {
  it(
    'writes a 0600 file that redirects to the URL, ' + 'escaped, and sweeps only old files of its own pattern',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'band-auth-redirect-'));
      try {
        const url = 'http://127.0.0.1:3456/pair#c=a"b<c>&d';
        const file = await writeRedirectFile(dir, url);
        expect(REDIRECT_FILE_PATTERN.test(file.slice(dir.length + 1))).toBe(true);
        expect((await stat(file)).mode & 0o777).toBe(0o600);
        const html = await readFile(file, 'utf8');
        expect(html).toBe(redirectPage(url));
        expect(html).toContain('location.replace("http://127.0.0.1:3456/pair#c=a\\"b\\u003cc>&d")');
        expect(html).toContain('content="1;url=http://127.0.0.1:3456/pair#c=a&quot;b&lt;c&gt;&amp;d"');
        const other = join(dir, 'notes.html');
        await writeFile(other, '');
        const old = new Date(Date.now() - 10 * 60_000);
        await utimes(other, old, old);
        await sweepRedirectFiles(dir, 5 * 60_000);
        expect(await readFile(file, 'utf8')).toBe(html); // young: kept
        await utimes(file, old, old);
        await sweepRedirectFiles(dir, 5 * 60_000);
        await expect(stat(file)).rejects.toThrow();
        expect((await stat(other)).isFile()).toBe(true);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
