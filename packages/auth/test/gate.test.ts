import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ClosableSocket, createGate, type Principal } from '../src/index.js';
import {
  createTestGate,
  startGatedServer,
  type GatedServer,
  type TestGate,
  bearerHeader,
  signInCookie,
} from '../src/testing/index.js';
import { SLOW } from '../../../tooling/testing/slow.js';
import { http, raw, setCookies, statusLine, upgradeRequest } from './helpers.js';

let t: TestGate;
let srv: GatedServer;
let host: string;
let origin: string;
let clock: number;

beforeEach(async () => {
  clock = 1_800_000_000_000;
  t = await createTestGate({ now: () => clock });
  srv = await startGatedServer(t.gate);
  t.gate.setLocalPort(srv.port);
  host = `localhost:${srv.port}`;
  origin = `http://${host}`;
});

afterEach(async () => {
  // H1: no log line of any test ever contains the token.
  expect(t.logger.text()).not.toContain(t.token);
  await srv.close();
  await t.close();
});

const nav = (extra: Record<string, string> = {}) => ({
  host,
  accept: 'text/html',
  'sec-fetch-dest': 'document',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-site': 'none',
  ...extra,
});
const sameOriginJson = (extra: Record<string, string> = {}) => ({
  host,
  origin,
  'sec-fetch-site': 'same-origin',
  'content-type': 'application/json',
  ...extra,
});

async function cookie(): Promise<string> {
  const c = await signInCookie(t.gate, t.token, { host });
  return c;
}

describe('credentials', () => {
  it(
    'A1: no credential → 401 JSON for the API, ' + 'the sign-in page for a navigation, nothing reaches the app',
    async () => {
      const api = await http(srv.port, { path: '/api/trpc/x', headers: { host } });
      expect(api.status).toBe(401);
      expect(JSON.parse(api.body).error).toBe('NO_CREDENTIALS');
      expect(setCookies(api)).toEqual([]);
      const page = await http(srv.port, { path: '/', headers: nav() });
      expect(page.status).toBe(401);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.body).toContain('name="token"');
      const nonce = /'nonce-([^']+)'/.exec(String(page.headers['content-security-policy']))![1]!;
      expect(page.body).toContain(`<script nonce="${nonce}">`);
      expect(page.body).toContain(`<style nonce="${nonce}">`);
      expect(srv.reached).toEqual([]);
    },
  );

  it('A2/A3/A5/A7: wrong or malformed bearer → 401, never 500', async () => {
    for (const value of [
      `Bearer ${'b'.repeat(64)}`,
      `Bearer ${t.token.slice(1)}`,
      `Bearer ${t.token}0`,
      'Bearer ',
      `Bearer ${'x'.repeat(10_000)}`,
      `Bearer ${t.token.toUpperCase()}`,
      `Token ${t.token}`,
      `Bearer  ${t.token}`,
    ]) {
      const r = await http(srv.port, { path: '/api/trpc/x', headers: { host, authorization: value } });
      expect(r.status).toBe(401);
    }
    expect(srv.reached).toEqual([]);
  });

  it('A4: the right bearer token reaches the app as root and sets no cookie', async () => {
    const r = await http(srv.port, { path: '/api/trpc/x', headers: { host, ...bearerHeader(t.token) } });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).principal).toEqual({ kind: 'root', listener: 'local' });
    expect(setCookies(r)).toEqual([]);
  });

  it('A11: a valid cookie does not rescue a wrong bearer header', async () => {
    const c = await cookie();
    const r = await http(srv.port, {
      path: '/api/trpc/x',
      headers: { host, cookie: c, 'sec-fetch-site': 'same-origin', authorization: `Bearer ${'c'.repeat(64)}` },
    });
    expect(r.status).toBe(401);
  });

  it('A12: bearer with a foreign Origin → 403 without ACAO or cookie', async () => {
    const r = await http(srv.port, {
      path: '/api/trpc/x',
      headers: { host, origin: 'https://evil.example', ...bearerHeader(t.token) },
    });
    expect(r.status).toBe(403);
    expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control'))).toEqual([]);
    expect(setCookies(r)).toEqual([]);
  });

  it('A8: non-ASCII bytes in Authorization → 400/401, never 500', async () => {
    const out = await raw(
      srv.port,
      Buffer.from(
        `GET /api/x HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer \xff\xfe\r\nConnection: close\r\n\r\n`,
        'latin1',
      ),
    );
    expect(statusLine(out)).toMatch(/^HTTP\/1\.1 (400|401)/);
  });
});

describe('?token= exchange', () => {
  it(
    'B1: GET /?token=tok → 303 to /, a session cookie ' + '(not the token), no-referrer, no-store, empty body',
    async () => {
      const r = await http(srv.port, { path: `/?token=${t.token}`, headers: nav() });
      expect(r.status).toBe(303);
      expect(r.headers.location).toBe('/');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.body).toBe('');
      const [set] = setCookies(r);
      expect(set).toMatch(new RegExp(`^band_sess_${srv.port}=v1\\.`));
      expect(set).toContain('HttpOnly');
      expect(set).toContain('SameSite=Strict');
      expect(set).toContain('Path=/');
      expect(set).not.toContain('Domain');
      expect(set).not.toContain(t.token);
      const follow = await http(srv.port, { path: '/', headers: nav({ cookie: set!.split(';')[0]! }) });
      expect(follow.status).toBe(200);
      expect(JSON.parse(follow.body).principal.kind).toBe('session');
    },
  );

  it('B2/B3: the Location keeps other params and is always a single-slash relative path', async () => {
    const cases: Array<[string, string]> = [
      [`/workspace/42?tab=chat&token=${t.token}`, '/workspace/42?tab=chat'],
      [`//evil.example/?token=${t.token}`, '/evil.example/'],
      [`/\\evil.example?token=${t.token}`, '/evil.example'],
      [`/%2F%2Fevil.example?token=${t.token}`, '/%2F%2Fevil.example'],
    ];
    for (const [path, location] of cases) {
      const r = await http(srv.port, { path, headers: nav() });
      expect(r.status).toBe(303);
      expect(r.headers.location).toBe(location);
    }
  });

  it('B4: a wrong ?token= → 303 without the param and without a cookie', async () => {
    const r = await http(srv.port, { path: `/x?token=${'d'.repeat(64)}`, headers: nav() });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/x');
    expect(setCookies(r)).toEqual([]);
  });

  it('B5: duplicate or array token params → 400, no cookie', async () => {
    for (const q of [`token=${t.token}&token=${t.token}`, `token[]=${t.token}`]) {
      const r = await http(srv.port, { path: `/?${q}`, headers: nav() });
      expect(r.status).toBe(400);
      expect(setCookies(r)).toEqual([]);
    }
  });

  it('A10/B6: ?token= on an API call, a POST or a subresource mints nothing', async () => {
    const api = await http(srv.port, { path: `/api/trpc/x?token=${t.token}`, headers: { host } });
    expect(api.status).toBe(401);
    const post = await http(srv.port, {
      method: 'POST',
      path: `/?token=${t.token}`,
      headers: { host, 'sec-fetch-dest': 'document' },
    });
    expect(post.status).toBe(401);
    const img = await http(srv.port, {
      path: `/?token=${t.token}`,
      headers: { host, 'sec-fetch-dest': 'image', 'sec-fetch-mode': 'no-cors' },
    });
    expect(img.status).toBe(401);
    for (const r of [api, post, img]) expect(setCookies(r)).toEqual([]);
    expect(srv.reached).toEqual([]);
    expect(t.gate.listDevices()).toEqual([]);
  });
});

describe('cookies', () => {
  it('C1: tunnel cookies are __Host-, Secure, HttpOnly, SameSite=Strict, Path=/', async () => {
    await using tunnel = await startGatedServer(t.gate, { listener: 'tunnel' });
    t.gate.setTunnelHost('abc-def.trycloudflare.com');
    const r = await http(tunnel.port, {
      path: `/?token=${t.token}`,
      headers: { host: 'abc-def.trycloudflare.com', 'sec-fetch-dest': 'document', 'cf-connecting-ip': '1.2.3.4' },
    });
    expect(r.status).toBe(303);
    const [set] = setCookies(r);
    expect(set).toMatch(/^__Host-band_sess=v1\./);
    for (const flag of ['Secure', 'HttpOnly', 'SameSite=Strict', 'Path=/']) expect(set).toContain(flag);
    expect(set).not.toContain('Domain');
    expect(r.headers['strict-transport-security']).toBe('max-age=86400');
    const device = t.gate.listDevices()[0]!;
    expect(device).toMatchObject({ listener: 'tunnel', address: '1.2.3.4' });
  });

  it('C5: malformed cookies → 401 and a clearing Set-Cookie, never 500', async () => {
    const name = `band_sess_${srv.port}`;
    for (const value of [
      '%E0%A4%A',
      '"',
      'x'.repeat(8000),
      'v1.äöü.1.2',
      'v1.a.b.c.d',
      `v1.${'A'.repeat(22)}.99999999999999.${'B'.repeat(43)}`,
    ]) {
      const r = await http(srv.port, {
        path: '/api/trpc/x',
        headers: { host, cookie: `${name}=${value}`, 'sec-fetch-site': 'same-origin' },
      });
      expect(r.status).toBe(401);
      expect(setCookies(r)[0]).toMatch(new RegExp(`^${name}=; Path=/; Max-Age=0`));
    }
  });

  it('C6: a bogus duplicate cookie does not mask the valid one', async () => {
    const c = await cookie();
    const name = c.split('=')[0];
    const r = await http(srv.port, {
      path: '/api/trpc/x',
      headers: { host, cookie: `${name}=garbage; ${c}`, 'sec-fetch-site': 'same-origin' },
    });
    expect(r.status).toBe(200);
  });

  it('C7: a tunnel cookie replayed on the local listener, or to a new tunnel host, is refused', async () => {
    await using tunnel = await startGatedServer(t.gate, { listener: 'tunnel' });
    t.gate.setTunnelHost('a.trycloudflare.com');
    const tc = await signInCookie(t.gate, t.token, { listener: 'tunnel', host: 'a.trycloudflare.com' });
    const ok = await http(tunnel.port, { path: '/', headers: { host: 'a.trycloudflare.com', cookie: tc } });
    expect(ok.status).toBe(200);
    const value = tc.split('=').slice(1).join('=');
    const onLocal = await http(srv.port, { path: '/', headers: nav({ cookie: `band_sess_${srv.port}=${value}` }) });
    expect(onLocal.status).toBe(401);
    t.gate.setTunnelHost('b.trycloudflare.com');
    const newHost = await http(tunnel.port, { path: '/', headers: { host: 'b.trycloudflare.com', cookie: tc } });
    expect(newHost.status).toBe(401);
  });

  it(
    "C7b: a named tunnel's session survives a server " + 'restart (same host again), not a stop or another host',
    async () => {
      await using tunnel = await startGatedServer(t.gate, { listener: 'tunnel' });
      t.gate.setTunnelHost('band.example.test');
      const tc = await signInCookie(t.gate, t.token, { listener: 'tunnel', host: 'band.example.test' });
      const get = () => http(tunnel.port, { path: '/', headers: { host: 'band.example.test', cookie: tc } });
      expect((await get()).status).toBe(200);
      // A new gate over the same home (the server restarted; the tunnel was not stopped), then the same host again.
      await t.gate.close();
      const again = createGate({
        settings: t.settings,
        home: t.home,
        localPort: srv.port,
        logger: {},
        now: () => clock,
      });
      await using tunnel2 = await startGatedServer(again, { listener: 'tunnel' });
      const get2 = () => http(tunnel2.port, { path: '/', headers: { host: 'band.example.test', cookie: tc } });
      expect((await get2()).status).toBe(403); // no tunnel host yet: the Host is refused
      again.setTunnelHost('band.example.test');
      expect((await get2()).status).toBe(200);
      // Another host revokes it; so does a stop.
      again.setTunnelHost('other.example.test');
      again.setTunnelHost('band.example.test');
      expect((await get2()).status).toBe(401);
      const tc2 = await signInCookie(again, t.token, { listener: 'tunnel', host: 'band.example.test' });
      again.setTunnelHost(null);
      again.setTunnelHost('band.example.test');
      expect(
        (await http(tunnel2.port, { path: '/', headers: { host: 'band.example.test', cookie: tc2 } })).status,
      ).toBe(401);
      await again.close();
    },
  );

  it('C8: an expired (idle) session → 401 with a clearing cookie', async () => {
    const c = await cookie();
    clock += 8 * 24 * 3600_000;
    const r = await http(srv.port, { path: '/', headers: nav({ cookie: c }) });
    expect(r.status).toBe(401);
    expect(setCookies(r)[0]).toContain('Max-Age=0');
    expect(t.gate.listDevices()).toEqual([]);
  });

  it('C9: X-Forwarded-Proto on the local listener does not make the cookie Secure', async () => {
    const r = await http(srv.port, { path: `/?token=${t.token}`, headers: nav({ 'x-forwarded-proto': 'https' }) });
    expect(setCookies(r)[0]).not.toContain('Secure');
    expect(setCookies(r)[0]).not.toContain('__Host-');
  });

  it('sessions.json is 0600 and never holds a sid or the token', async () => {
    const c = await cookie();
    const sid = c.split('.')[1]!;
    await vi.waitFor(async () => expect((await stat(join(t.home, 'sessions.json'))).mode & 0o777).toBe(0o600), SLOW);
    const text = await readFile(join(t.home, 'sessions.json'), 'utf8');
    expect(text).not.toContain(sid);
    expect(text).not.toContain(t.token);
  });
});

describe('cross-origin (D)', () => {
  it('D1/D4/D5/D6: cookie POSTs without exact same-origin proof → 403, nothing reaches the app', async () => {
    const c = await cookie();
    const cases: Array<Record<string, string>> = [
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      { origin: 'http://localhost:5173', 'sec-fetch-site': 'same-site' },
      {},
      { origin: 'null' },
      { origin: `http://localhost:${srv.port}.evil.example` },
      { origin: `http://localhost:${srv.port}/` },
    ];
    for (const extra of cases) {
      const r = await http(srv.port, {
        method: 'POST',
        path: '/api/trpc/agent.send',
        headers: { host, cookie: c, 'content-type': 'application/json', ...extra },
        body: '{}',
      });
      expect(r.status).toBe(403);
      expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control'))).toEqual([]);
    }
    expect(srv.reached).toEqual([]);
  });

  it('D2/D3: multipart and text/plain posts are refused (403 cross-site, 415 same-origin)', async () => {
    const c = await cookie();
    const cross = await http(srv.port, {
      method: 'POST',
      path: '/api/trpc/tunnel.stop',
      headers: { host, cookie: c, origin: 'https://evil.example', 'content-type': 'multipart/form-data; boundary=x' },
      body: '--x--',
    });
    expect(cross.status).toBe(403);
    const same = await http(srv.port, {
      method: 'POST',
      path: '/api/trpc/tunnel.stop',
      headers: { ...sameOriginJson({ cookie: c }), 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(same.status).toBe(415);
    const ok = await http(srv.port, {
      method: 'POST',
      path: '/api/trpc/tunnel.stop',
      headers: sameOriginJson({ cookie: c }),
      body: '{}',
    });
    expect(ok.status).toBe(200);
    expect(srv.reached.map((r) => r.url)).toEqual(['/api/trpc/tunnel.stop']);
  });

  it('D8/D9: cookie GETs to the API need same-origin fetch metadata', async () => {
    const c = await cookie();
    const xssi = await http(srv.port, {
      path: '/api/trpc/settings.get',
      headers: { host, cookie: c, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' },
    });
    expect(xssi.status).toBe(403);
    expect(xssi.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(xssi.headers['x-content-type-options']).toBe('nosniff');
  });

  it('D10: preflights get 403 with no CORS headers', async () => {
    const r = await http(srv.port, {
      method: 'OPTIONS',
      path: '/api/trpc/x',
      headers: {
        host,
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-private-network': 'true',
      },
    });
    expect(r.status).toBe(403);
    expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control'))).toEqual([]);
  });

  it('D11: every response forbids framing and carries the security headers', async () => {
    for (const r of [
      await http(srv.port, { path: '/', headers: nav() }),
      await http(srv.port, { path: '/api/trpc/x', headers: { host, ...bearerHeader(t.token) } }),
      await http(srv.port, { path: '/', headers: { host: 'evil.example' } }),
    ]) {
      expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(r.headers['permissions-policy']).toContain('camera=()');
    }
  });

  it("lets this browser keep Next's hashed build output, and nothing else (private, immutable)", async () => {
    const chunk = '/_next/static/chunks/app-0a1b2c.js';
    const signedIn = await http(srv.port, { path: chunk, headers: { host, ...bearerHeader(t.token) } });
    expect(signedIn.status).toBe(200);
    expect(signedIn.headers['cache-control']).toBe('private, max-age=31536000, immutable');
    // A refusal, a page, the API and the rest of /_next/ are never kept.
    expect((await http(srv.port, { path: chunk, headers: { host } })).headers['cache-control']).toBe('no-store');
    for (const path of ['/', '/api/trpc/x', '/_next/image?url=x', '/_next/data/b/x.json']) {
      const r = await http(srv.port, { path, headers: { host, ...bearerHeader(t.token) } });
      expect(r.headers['cache-control'], path).toBe('no-store');
    }
  });

  it('D12: a token login always mints a fresh session, replacing a planted cookie', async () => {
    const planted = await cookie();
    const r = await http(srv.port, { path: `/?token=${t.token}`, headers: nav({ cookie: planted }) });
    const fresh = setCookies(r)[0]!.split(';')[0]!;
    expect(fresh).not.toBe(planted);
    expect(t.gate.listDevices()).toHaveLength(2);
  });
});

describe('host and headers (F, K)', () => {
  it('F1/F2/F3/F4: foreign Hosts → 403 before auth, even with a valid bearer', async () => {
    for (const h of [
      'evil.example',
      `0.0.0.0:${srv.port}`,
      `127.0.0.2:${srv.port}`,
      `localhost.:${srv.port}`,
      'localhost',
      `sub.localhost:${srv.port}`,
    ]) {
      const r = await http(srv.port, { path: '/api/trpc/x', headers: { host: h, ...bearerHeader(t.token) } });
      expect(r.status).toBe(403);
      expect(JSON.parse(r.body).error).toBe('HOST_NOT_ALLOWED');
    }
    for (const h of [`127.0.0.1:${srv.port}`, `LOCALHOST:${srv.port}`]) {
      const r = await http(srv.port, { path: '/api/trpc/x', headers: { host: h, ...bearerHeader(t.token) } });
      expect(r.status).toBe(200);
    }
  });

  it('F4: a missing Host (HTTP/1.0) or two Host headers → 400', async () => {
    expect(statusLine(await raw(srv.port, 'GET / HTTP/1.0\r\n\r\n'))).toMatch(/ 400 /);
    expect(
      statusLine(
        await raw(srv.port, `GET / HTTP/1.1\r\nHost: ${host}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`),
      ),
    ).toMatch(/ 400 /);
  });

  it('F6/F9/F10: the tunnel listener only answers the current tunnel host; local never answers it', async () => {
    await using tunnel = await startGatedServer(t.gate, { listener: 'tunnel' });
    const none = await http(tunnel.port, {
      path: '/',
      headers: { host: 'abc.trycloudflare.com', ...bearerHeader(t.token) },
    });
    expect(none.status).toBe(403);
    t.gate.setTunnelHost('abc.trycloudflare.com');
    expect(
      (await http(tunnel.port, { path: '/', headers: { host: 'abc.trycloudflare.com', ...bearerHeader(t.token) } }))
        .status,
    ).toBe(200);
    expect((await http(tunnel.port, { path: '/', headers: { host, ...bearerHeader(t.token) } })).status).toBe(403);
    expect(
      (await http(srv.port, { path: '/', headers: { host: 'abc.trycloudflare.com', ...bearerHeader(t.token) } }))
        .status,
    ).toBe(403);
    t.gate.setTunnelHost(null);
    expect(
      (await http(tunnel.port, { path: '/', headers: { host: 'abc.trycloudflare.com', ...bearerHeader(t.token) } }))
        .status,
    ).toBe(403);
  });

  it('F7/K1: forwarding, cf-* and x-middleware-* headers never reach the app from the local listener', async () => {
    const r = await http(srv.port, {
      path: '/',
      headers: {
        host,
        ...bearerHeader(t.token),
        'x-middleware-subrequest': 'middleware:middleware:middleware',
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-host': 'abc-def.trycloudflare.com',
        forwarded: 'for=1.2.3.4',
        'cf-connecting-ip': '1.2.3.4',
        'x-nonce': 'attacker',
      },
    });
    expect(r.status).toBe(200);
    const seen = srv.reached[0]!.headers;
    for (const name of [
      'x-middleware-subrequest',
      'x-forwarded-for',
      'x-forwarded-host',
      'forwarded',
      'cf-connecting-ip',
    ]) {
      expect(seen[name]).toBeUndefined();
    }
    // The app gets the response CSP and the same nonce (Next reads it from the request).
    expect(seen['content-security-policy']).toBe(r.headers['content-security-policy']);
    expect(String(seen['content-security-policy'])).toContain(`'nonce-${seen['x-nonce']}'`);
    expect(seen['x-nonce']).not.toBe('attacker');
  });

  it("F7b: an API call reaches the app with no nonce or CSP request header, not even a client's own", async () => {
    const r = await http(srv.port, {
      path: '/api/trpc/health',
      headers: {
        host,
        ...bearerHeader(t.token),
        'x-nonce': 'attacker',
        'content-security-policy': "script-src 'nonce-attacker'",
      },
    });
    expect(r.status).toBe(200);
    const seen = srv.reached.at(-1)!.headers;
    expect(seen['x-nonce']).toBeUndefined();
    expect(seen['content-security-policy']).toBeUndefined();
    // The response still carries the policy, with a fresh nonce.
    expect(r.headers['content-security-policy']).toMatch(/'nonce-[A-Za-z0-9+/]{22}=='/);
  });

  it('gives every request its own nonce (pooled random bytes are never reused)', async () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 600; i++) {
      const r = await http(srv.port, { path: '/', headers: { host, ...bearerHeader(t.token) } });
      nonces.add(String(r.headers['content-security-policy']).match(/'nonce-([^']+)'/)![1]!);
    }
    expect(nonces.size).toBe(600);
  });

  it('K4: static assets need a session too', async () => {
    const r = await http(srv.port, {
      path: '/_next/static/chunks/app.js',
      headers: { host, 'sec-fetch-dest': 'script' },
    });
    expect(r.status).toBe(401);
  });

  it('G6/G8: oversized URLs, headers and declared bodies are refused without a crash', async () => {
    expect((await http(srv.port, { path: `/${'a'.repeat(9000)}`, headers: { host } })).status).toBe(414);
    expect(
      statusLine(await raw(srv.port, `GET / HTTP/1.1\r\nHost: ${host}\r\nCookie: ${'a'.repeat(64 * 1024)}\r\n\r\n`)),
    ).toMatch(/ 431 /);
    const big = await http(srv.port, {
      method: 'POST',
      path: '/api/trpc/x',
      headers: { ...sameOriginJson(), ...bearerHeader(t.token), 'content-length': String(5 * 1024 * 1024) },
    }).catch(() => ({ status: 413 }));
    expect(big.status).toBe(413);
  });

  it('dev mode allows unsafe-eval and /_next/hmr; production does not', async () => {
    const prod = await http(srv.port, { path: '/', headers: nav() });
    expect(prod.headers['content-security-policy']).not.toContain('unsafe-eval');
    await using dev = await createTestGate({ dev: true });
    await using devSrv = await startGatedServer(dev.gate);
    dev.gate.setLocalPort(devSrv.port);
    const r = await http(devSrv.port, { path: '/', headers: { host: `localhost:${devSrv.port}` } });
    expect(r.headers['content-security-policy']).toContain("'unsafe-eval'");
  });
});

describe('pairing (B7, B8, G5)', () => {
  it('B7: a pairing code is redeemed once by a same-origin JSON POST, then refused', async () => {
    const pairing = t.gate.createPairingCode('local');
    expect(pairing.url).toBe(`http://127.0.0.1:${srv.port}/pair#c=${pairing.code}`);
    const page = await http(srv.port, { path: '/pair', headers: nav() });
    expect(page.status).toBe(200);
    expect(page.body).toContain("history.replaceState(null,'','/pair')");
    const first = await http(srv.port, {
      method: 'POST',
      path: '/auth/pair',
      headers: sameOriginJson(),
      body: JSON.stringify({ code: pairing.code }),
    });
    expect(first.status).toBe(204);
    expect(setCookies(first)[0]).toMatch(/^band_sess_/);
    const second = await http(srv.port, {
      method: 'POST',
      path: '/auth/pair',
      headers: sameOriginJson(),
      body: JSON.stringify({ code: pairing.code }),
    });
    expect(second.status).toBe(401);
    expect(JSON.parse(second.body).message).toMatch(/expired or was already used/);
    expect(setCookies(second)).toEqual([]);
    expect(t.logger.text()).not.toContain(pairing.code);
  });

  it('B8: a code older than 120 s is refused', async () => {
    const pairing = t.gate.createPairingCode('local');
    clock += 121_000;
    const r = await http(srv.port, {
      method: 'POST',
      path: '/auth/pair',
      headers: sameOriginJson(),
      body: JSON.stringify({ code: pairing.code }),
    });
    expect(r.status).toBe(401);
  });

  it('a cross-site or non-JSON redemption is refused and does not burn the code', async () => {
    const pairing = t.gate.createPairingCode('local');
    const body = JSON.stringify({ code: pairing.code });
    expect(
      (
        await http(srv.port, {
          method: 'POST',
          path: '/auth/pair',
          headers: { ...sameOriginJson(), origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
          body,
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await http(srv.port, {
          method: 'POST',
          path: '/auth/pair',
          headers: { host, 'content-type': 'application/json' },
          body,
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await http(srv.port, {
          method: 'POST',
          path: '/auth/pair',
          headers: { ...sameOriginJson(), 'content-type': 'text/plain' },
          body,
        })
      ).status,
    ).toBe(415);
    expect((await http(srv.port, { method: 'POST', path: '/auth/pair', headers: sameOriginJson(), body })).status).toBe(
      204,
    );
  });

  it('a local code does not work on the tunnel listener; a tunnel code needs a running tunnel', async () => {
    expect(() => t.gate.createPairingCode('tunnel')).toThrow(/no tunnel/);
    await using tunnel = await startGatedServer(t.gate, { listener: 'tunnel' });
    t.gate.setTunnelHost('p.trycloudflare.com');
    const localCode = t.gate.createPairingCode('local');
    const r = await http(tunnel.port, {
      method: 'POST',
      path: '/auth/pair',
      headers: {
        host: 'p.trycloudflare.com',
        origin: 'https://p.trycloudflare.com',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ code: localCode.code }),
    });
    expect(r.status).toBe(401);
    const tunnelCode = t.gate.createPairingCode('tunnel');
    expect(tunnelCode.url).toBe(`https://p.trycloudflare.com/pair#c=${tunnelCode.code}`);
    const ok = await http(tunnel.port, {
      method: 'POST',
      path: '/auth/pair',
      headers: {
        host: 'p.trycloudflare.com',
        origin: 'https://p.trycloudflare.com',
        'content-type': 'application/json',
        'cf-connecting-ip': '5.6.7.8',
      },
      body: JSON.stringify({ code: tunnelCode.code }),
    });
    expect(ok.status).toBe(204);
    expect(setCookies(ok)[0]).toMatch(/^__Host-band_sess=/);
  });

  it('G5: after 20 failed redemptions every outstanding code is invalidated', async () => {
    const pairing = t.gate.createPairingCode('local');
    for (let i = 0; i < 20; i++) {
      await http(srv.port, {
        method: 'POST',
        path: '/auth/pair',
        headers: sameOriginJson(),
        body: JSON.stringify({ code: 'A'.repeat(22) }),
      });
    }
    clock += 3_600_000; // let the limiter refill: only the code invalidation is under test
    const r = await http(srv.port, {
      method: 'POST',
      path: '/auth/pair',
      headers: sameOriginJson(),
      body: JSON.stringify({ code: pairing.code }),
    });
    expect(r.status).toBe(401);
  });
});

describe('login and logout', () => {
  it('POST /auth/login with the token mints a session; a wrong token is 401', async () => {
    const bad = await http(srv.port, {
      method: 'POST',
      path: '/auth/login',
      headers: sameOriginJson(),
      body: JSON.stringify({ token: 'e'.repeat(64) }),
    });
    expect(bad.status).toBe(401);
    expect(setCookies(bad)).toEqual([]);
    const ok = await http(srv.port, {
      method: 'POST',
      path: '/auth/login',
      headers: sameOriginJson(),
      body: JSON.stringify({ token: t.token }),
    });
    expect(ok.status).toBe(204);
    const c = setCookies(ok)[0]!.split(';')[0]!;
    expect((await http(srv.port, { path: '/', headers: nav({ cookie: c }) })).status).toBe(200);
    const out = await http(srv.port, {
      method: 'POST',
      path: '/auth/logout',
      headers: sameOriginJson({ cookie: c }),
      body: '{}',
    });
    expect(out.status).toBe(204);
    expect(setCookies(out)[0]).toContain('Max-Age=0');
    expect((await http(srv.port, { path: '/', headers: nav({ cookie: c }) })).status).toBe(401);
  });

  it('a login body over 4 KiB → 413', async () => {
    const r = await http(srv.port, {
      method: 'POST',
      path: '/auth/login',
      headers: sameOriginJson(),
      body: JSON.stringify({ token: 'x'.repeat(10_000) }),
    });
    expect(r.status).toBe(413);
  });

  it('unknown /auth paths are 404, GET on /auth/login is 405', async () => {
    expect((await http(srv.port, { path: '/auth/whatever', headers: { host } })).status).toBe(404);
    expect((await http(srv.port, { path: '/auth/login', headers: { host } })).status).toBe(405);
  });
});

describe('rate limiting (G1-G4)', () => {
  it('G1/G2: tunnel failures per IP hit 429 + Retry-After; another IP and valid credentials still pass', async () => {
    await using tunnel = await startGatedServer(t.gate, { listener: 'tunnel' });
    const th = 'g.trycloudflare.com';
    t.gate.setTunnelHost(th);
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof http>> | undefined;
    for (let i = 0; i < 15; i++) {
      last = await http(tunnel.port, {
        path: '/api/x',
        headers: { host: th, 'cf-connecting-ip': '6.6.6.6', authorization: `Bearer ${'f'.repeat(64)}` },
      });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(5).fill(429));
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    // Valid credentials are never blocked, from the same IP either.
    expect(
      (
        await http(tunnel.port, {
          path: '/api/x',
          headers: { host: th, 'cf-connecting-ip': '6.6.6.6', ...bearerHeader(t.token) },
        })
      ).status,
    ).toBe(200);
    // Another IP still gets a normal 401; the local listener has its own bucket.
    expect(
      (
        await http(tunnel.port, {
          path: '/api/x',
          headers: { host: th, 'cf-connecting-ip': '7.7.7.7', authorization: `Bearer ${'f'.repeat(64)}` },
        })
      ).status,
    ).toBe(401);
    expect(
      (await http(srv.port, { path: '/api/x', headers: { host, authorization: `Bearer ${'f'.repeat(64)}` } })).status,
    ).toBe(401);
    // One summary line per key, not one per attempt.
    expect(t.logger.lines.filter((l) => l.includes('rate-limited') && l.includes('6.6.6.6'))).toHaveLength(1);
    // The bucket refills over time.
    clock += 60_000;
    expect(
      (
        await http(tunnel.port, {
          path: '/api/x',
          headers: { host: th, 'cf-connecting-ip': '6.6.6.6', authorization: `Bearer ${'f'.repeat(64)}` },
        })
      ).status,
    ).toBe(401);
  });

  it('G3: failures spread over many IPs trip the global tunnel bucket', async () => {
    await using tunnel = await startGatedServer(t.gate, { listener: 'tunnel' });
    const th = 'h.trycloudflare.com';
    t.gate.setTunnelHost(th);
    for (let i = 0; i < 100; i++) {
      await http(tunnel.port, {
        path: '/api/x',
        headers: {
          host: th,
          'cf-connecting-ip': `10.0.${i >> 8}.${i & 255}`,
          authorization: `Bearer ${'f'.repeat(64)}`,
        },
      });
    }
    const r = await http(tunnel.port, {
      path: '/api/x',
      headers: { host: th, 'cf-connecting-ip': '10.9.9.9', authorization: `Bearer ${'f'.repeat(64)}` },
    });
    expect(r.status).toBe(429);
    expect(
      (
        await http(tunnel.port, {
          path: '/api/x',
          headers: { host: th, 'cf-connecting-ip': '10.9.9.9', ...bearerHeader(t.token) },
        })
      ).status,
    ).toBe(200);
    expect(
      (await http(srv.port, { path: '/api/x', headers: { host, authorization: `Bearer ${'f'.repeat(64)}` } })).status,
    ).toBe(401);
  });

  it('G4: wrong ?token= navigations on the local listener turn into 429 after 30', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++)
      statuses.push((await http(srv.port, { path: `/?token=${'0'.repeat(64)}`, headers: nav() })).status);
    expect(statuses.slice(0, 30).every((s) => s === 303)).toBe(true);
    expect(statuses.slice(30)).toEqual([429, 429]);
    const c = await cookie();
    expect((await http(srv.port, { path: '/', headers: nav({ cookie: c }) })).status).toBe(200);
  });
});

describe('upgrades (E)', () => {
  const ws = (path: string, headers: Record<string, string>) => raw(srv.port, upgradeRequest(path, headers));

  it('E3: no credential → 401 before the handshake, socket destroyed', async () => {
    expect(statusLine(await ws('/api/trpc-ws', { Host: host, Origin: origin }))).toBe('HTTP/1.1 401 Unauthorized');
  });

  it('E1/E2: a cookie upgrade from a foreign Origin → 403', async () => {
    const c = await cookie();
    for (const o of ['https://evil.example', 'http://localhost:5173']) {
      expect(statusLine(await ws('/api/terminals/t_1', { Host: host, Origin: o, Cookie: c }))).toBe(
        'HTTP/1.1 403 Forbidden',
      );
    }
    expect(statusLine(await ws('/api/terminals/t_1', { Host: host, Cookie: c }))).toBe('HTTP/1.1 403 Forbidden');
  });

  it('E4/E5: bearer without Origin is accepted; bearer with a foreign Origin is not', async () => {
    let accepted = 0;
    srv.server.removeAllListeners('upgrade');
    srv.server.on('upgrade', async (req, socket) => {
      const p = await t.gate.handleUpgrade(req, socket, 'local');
      if (p) {
        accepted++;
        expect(t.gate.principalOf(req)).toEqual(p);
        socket.end('HTTP/1.1 101 Switching Protocols\r\n\r\n');
      }
    });
    expect(statusLine(await ws('/api/trpc-ws', { Host: host, Authorization: `Bearer ${t.token}` }))).toBe(
      'HTTP/1.1 101 Switching Protocols',
    );
    expect(
      statusLine(
        await ws('/api/trpc-ws', { Host: host, Authorization: `Bearer ${t.token}`, Origin: 'https://evil.example' }),
      ),
    ).toBe('HTTP/1.1 403 Forbidden');
    const c = await cookie();
    expect(statusLine(await ws('/api/lsp/ws_1/typescript', { Host: host, Origin: origin, Cookie: c }))).toBe(
      'HTTP/1.1 101 Switching Protocols',
    );
    expect(accepted).toBe(2);
  });

  it('E6: unknown upgrade paths → 404, even with credentials', async () => {
    for (const p of ['/_next/webpack-hmr', '/foo', '/api/trpc/../../x', '/_next/hmr']) {
      expect(statusLine(await ws(p, { Host: host, Authorization: `Bearer ${t.token}` }))).toBe(
        'HTTP/1.1 404 Not Found',
      );
    }
  });

  it('E6: a foreign Host on an upgrade → 403; a query token is never accepted', async () => {
    expect(statusLine(await ws('/api/trpc-ws', { Host: 'evil.example', Authorization: `Bearer ${t.token}` }))).toBe(
      'HTTP/1.1 403 Forbidden',
    );
    expect(statusLine(await ws(`/api/trpc-ws?token=${t.token}`, { Host: host, Origin: origin }))).toBe(
      'HTTP/1.1 401 Unauthorized',
    );
  });

  it('E9: a session may hold at most 64 sockets', async () => {
    const c = await cookie();
    const principal: Principal = { kind: 'session', listener: 'local', sessionId: t.gate.listDevices()[0]!.id };
    for (let i = 0; i < 64; i++) t.gate.trackSocket(principal, { close() {} });
    expect(statusLine(await ws('/api/trpc-ws', { Host: host, Origin: origin, Cookie: c }))).toBe(
      'HTTP/1.1 429 Too Many Requests',
    );
  });
});

describe('rotation and revocation (I)', () => {
  const fakeSocket = () => {
    const closes: Array<[number | undefined, string | undefined]> = [];
    const socket: ClosableSocket & { closes: typeof closes } = {
      closes,
      close: (code, reason) => closes.push([code, reason]),
    };
    return socket;
  };

  it('I1/I2/I5: a new tokenSecret signs everyone out and closes every tracked socket with 4401', async () => {
    const c = await cookie();
    const sessionSocket = fakeSocket();
    const rootSocket = fakeSocket();
    t.gate.trackSocket({ kind: 'session', listener: 'local', sessionId: t.gate.listDevices()[0]!.id }, sessionSocket);
    t.gate.trackSocket({ kind: 'root', listener: 'local' }, rootSocket);
    const oldToken = t.token;
    await t.settings.update((s) => ({ ...s, tokenSecret: 'a'.repeat(64) }));
    expect(sessionSocket.closes).toEqual([[4401, 'token rotated']]);
    expect(rootSocket.closes).toEqual([[4401, 'token rotated']]);
    expect((await http(srv.port, { path: '/', headers: nav({ cookie: c }) })).status).toBe(401);
    expect((await http(srv.port, { path: '/api/x', headers: { host, ...bearerHeader(oldToken) } })).status).toBe(401);
    expect((await http(srv.port, { path: '/api/x', headers: { host, ...bearerHeader('a'.repeat(64)) } })).status).toBe(
      200,
    );
    expect(t.gate.listDevices()).toEqual([]);
    expect(t.logger.text()).not.toContain(oldToken);
  });

  it('I5: a hand edit of settings.json is picked up by the watcher', async () => {
    await using w = await createTestGate({ watch: true });
    await using ws = await startGatedServer(w.gate);
    w.gate.setLocalPort(ws.port);
    const h = `localhost:${ws.port}`;
    const c = await signInCookie(w.gate, w.token, { host: h });
    const { writeFile } = await import('node:fs/promises');
    const next = { ...w.settings.get(), tokenSecret: 'b'.repeat(64) };
    await writeFile(w.settings.file, JSON.stringify(next));
    await vi.waitFor(
      async () => {
        expect((await http(ws.port, { path: '/', headers: { host: h, cookie: c } })).status).toBe(401);
      },
      { timeout: 5_000 },
    );
  });

  it('a socket tracked after its session was revoked is closed at once', async () => {
    await cookie();
    const id = t.gate.listDevices()[0]!.id;
    t.gate.revokeDevice(id);
    const s = fakeSocket();
    t.gate.trackSocket({ kind: 'session', listener: 'local', sessionId: id }, s);
    expect(s.closes).toEqual([[4401, 'session revoked']]);
  });

  it('expired sessions drop out of the devices list and their sockets close', async () => {
    await cookie();
    const id = t.gate.listDevices()[0]!.id;
    const s = fakeSocket();
    t.gate.trackSocket({ kind: 'session', listener: 'local', sessionId: id }, s);
    clock += 31 * 24 * 3600_000;
    expect(t.gate.listDevices()).toEqual([]);
    expect(s.closes).toEqual([[4401, 'session expired']]);
  });

  it('I3: revoking one device closes its sockets only', async () => {
    const c1 = await cookie();
    const c2 = await cookie();
    const [d1, d2] = t.gate.listDevices();
    const s1 = fakeSocket();
    const s2 = fakeSocket();
    t.gate.trackSocket({ kind: 'session', listener: 'local', sessionId: d1!.id }, s1);
    t.gate.trackSocket({ kind: 'session', listener: 'local', sessionId: d2!.id }, s2);
    expect(t.gate.revokeDevice(d1!.id)).toBe(true);
    expect(t.gate.revokeDevice(d1!.id)).toBe(false);
    expect(s1.closes).toEqual([[4401, 'session revoked']]);
    expect(s2.closes).toEqual([]);
    const statuses = await Promise.all(
      [c1, c2].map(async (c) => (await http(srv.port, { path: '/', headers: nav({ cookie: c }) })).status),
    );
    expect(statuses.sort()).toEqual([200, 401]);
  });

  it('I6: stopping the tunnel revokes tunnel sessions and closes their sockets; local ones survive', async () => {
    t.gate.setTunnelHost('i.trycloudflare.com');
    await signInCookie(t.gate, t.token, { listener: 'tunnel', host: 'i.trycloudflare.com' });
    const lc = await cookie();
    const tunnelDevice = t.gate.listDevices().find((d) => d.listener === 'tunnel')!;
    const ts = fakeSocket();
    const rootTunnel = fakeSocket();
    const ls = fakeSocket();
    t.gate.trackSocket({ kind: 'session', listener: 'tunnel', sessionId: tunnelDevice.id }, ts);
    t.gate.trackSocket({ kind: 'root', listener: 'tunnel' }, rootTunnel);
    t.gate.trackSocket({ kind: 'root', listener: 'local' }, ls);
    t.gate.setTunnelHost(null);
    expect(ts.closes).toEqual([[4401, 'tunnel stopped']]);
    expect(rootTunnel.closes).toHaveLength(1);
    expect(ls.closes).toEqual([]);
    expect(t.gate.listDevices().map((d) => d.listener)).toEqual(['local']);
    expect((await http(srv.port, { path: '/', headers: nav({ cookie: lc }) })).status).toBe(200);
  });

  it('sessions survive a restart of the gate, but not a restart with a new token', async () => {
    const c = await cookie();
    await t.gate.close();
    const { createGate } = await import('../src/index.js');
    const again = createGate({ settings: t.settings, home: t.home, localPort: srv.port, now: () => clock });
    await using again2 = await startGatedServer(again);
    expect((await http(again2.port, { path: '/', headers: nav({ cookie: c }) })).status).toBe(200);
    await again.close();
    await t.settings.update((s) => ({ ...s, tokenSecret: 'c'.repeat(64) }));
    const third = createGate({ settings: t.settings, home: t.home, localPort: srv.port, now: () => clock });
    await using third2 = await startGatedServer(third);
    expect((await http(third2.port, { path: '/', headers: nav({ cookie: c }) })).status).toBe(401);
    await third.close();
  });
});

describe('the gate names its own failures (issue 15: no BAD_REQUEST for a closed gate or a crash)', () => {
  it('a closed gate answers 503 CLOSED, to requests and upgrades, and logs the reason', async () => {
    const token = 'd'.repeat(64);
    const lines: string[] = [];
    const gate = createGate({
      token,
      localPort: 1,
      logger: { info: (m) => lines.push(m), warn: (m) => lines.push(m) },
    });
    await using server = await startGatedServer(gate);
    gate.setLocalPort(server.port);
    const h = { host: `localhost:${server.port}`, authorization: `Bearer ${token}` };
    expect((await http(server.port, { path: '/api/trpc/health', headers: h })).status).toBe(200);
    await gate.close();
    const answer = await http(server.port, { path: '/api/trpc/health', headers: h });
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'CLOSED' });
    expect(
      statusLine(await raw(server.port, upgradeRequest('/api/trpc-ws', { Host: h.host, Origin: `http://${h.host}` }))),
    ).toMatch(/ 503 /);
    expect(lines.join('\n')).toMatch(/503.*CLOSED/);
    expect(lines.join('\n')).not.toContain('BAD_REQUEST');
  });

  it('a step that throws answers 500 INTERNAL with an id that the error log line also has', async () => {
    const token = 'e'.repeat(64);
    let broken = false;
    const errors: string[] = [];
    // The clock stands in for any dependency of a step (a session store, a token source) that fails.
    const now = () => {
      if (broken) throw new Error('clock unreadable');
      return Date.now();
    };
    const gate = createGate({ token, localPort: 1, now, logger: { error: (m) => errors.push(m) } });
    await using server = await startGatedServer(gate);
    gate.setLocalPort(server.port);
    const h = { host: `localhost:${server.port}`, authorization: `Bearer ${token}` };
    expect((await http(server.port, { path: '/api/trpc/health', headers: h })).status).toBe(200);
    broken = true;
    // A request without credentials: refusing it consults the rate limiter, which reads the clock.
    const answer = await http(server.port, { path: '/api/trpc/health', headers: { host: h.host } });
    expect(answer.status).toBe(500);
    const body = JSON.parse(answer.body) as { error: string; id: string };
    expect(body.error).toBe('INTERNAL');
    expect(errors.join('\n')).toContain(`gate error ${body.id}: Error: clock unreadable`);
    expect(
      statusLine(await raw(server.port, upgradeRequest('/api/trpc-ws', { Host: h.host, Origin: `http://${h.host}` }))),
    ).toMatch(/ 500 /);
    await gate.close();
  });
});
