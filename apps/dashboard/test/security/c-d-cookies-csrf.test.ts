// Attack matrix groups C (cookie properties) and D (CSRF and cross-origin HTTP) against the real server.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Band,
  SIDE_EFFECT_BODY,
  corsHeaders,
  expectNoSecretsLogged,
  expectNothingHappened,
  expectRefused,
  expectSomethingHappened,
  http,
  navHeaders,
  setCookies,
  signIn,
  snapshot,
  startBand,
} from './harness.js';

let band: Band;
let cookie: string;
beforeAll(async () => {
  band = await startBand({ tunnel: true });
  cookie = await signIn(band);
});
afterAll(async () => {
  await band?.close();
});
afterEach(() => {
  if (band) expectNoSecretsLogged(band, expect);
});

const post = (procedure: string, headers: Record<string, string>, body = SIDE_EFFECT_BODY) =>
  http(band.port, { method: 'POST', path: `/api/trpc/${procedure}`, headers: { host: band.host, ...headers }, body });

describe('C. cookie properties', () => {
  it(
    'C1: Set-Cookie on the tunnel listener is __Host-band_sess; Path=/; ' +
      'Secure; HttpOnly; SameSite=Strict; no Domain; bounded Max-Age',
    async () => {
      const t = band.tunnel!;
      const r = await http(t.port, {
        path: `/?token=${band.token()}`,
        headers: { host: t.host, 'sec-fetch-dest': 'document', 'cf-connecting-ip': '203.0.113.9' },
      });
      expect(r.status).toBe(303);
      const c = setCookies(r)[0]!;
      band.secrets.add(c.split(';')[0]!.split('=')[1]!);
      expect(c).toMatch(/^__Host-band_sess=v1\./);
      for (const flag of ['Path=/', 'Secure', 'HttpOnly', 'SameSite=Strict']) expect(c).toContain(flag);
      expect(c).not.toMatch(/Domain/i);
      const maxAge = Number(/Max-Age=(\d+)/.exec(c)![1]);
      expect(maxAge).toBeGreaterThan(0);
      expect(maxAge).toBeLessThanOrEqual(7 * 24 * 3600);
      expect(r.headers['strict-transport-security']).toBe('max-age=86400');
    },
  );

  it(
    'C2: Set-Cookie on the local listener is band_sess_<port>; ' + 'Path=/; HttpOnly; SameSite=Strict; not Secure',
    async () => {
      const r = await http(band.port, { path: `/?token=${band.token()}`, headers: navHeaders(band.host) });
      const c = setCookies(r)[0]!;
      band.secrets.add(c.split(';')[0]!.split('=')[1]!);
      expect(c).toMatch(new RegExp(`^band_sess_${band.port}=`));
      for (const flag of ['Path=/', 'HttpOnly', 'SameSite=Strict']) expect(c).toContain(flag);
      expect(c).not.toContain('Secure');
      expect(c).not.toMatch(/Domain/i);
    },
  );

  it(
    'C3/C4: the cookie is HttpOnly (never visible to page JS, ' +
      'here or on :5173) and is a revocable handle, not the token',
    async () => {
      const known = new Set(band.server.gate.listDevices().map((d) => d.id));
      const r = await http(band.port, { path: `/?token=${band.token()}`, headers: navHeaders(band.host) });
      const c = setCookies(r)[0]!;
      const session = c.split(';')[0]!;
      band.secrets.add(session.split('=')[1]!);
      expect(c).toContain('HttpOnly');
      expect(c).not.toContain(band.token());
      // The sign-in created exactly one device: the handle this cookie names.
      const added = band.server.gate.listDevices().filter((d) => !known.has(d.id));
      expect(added).toHaveLength(1);
      const health = () =>
        http(band.port, {
          path: '/api/trpc/health',
          headers: { host: band.host, cookie: session, 'sec-fetch-site': 'same-origin' },
        });
      expect((await health()).status).toBe(200);
      // Revoking that device, and only that, makes the same cookie worthless: a handle, not a credential of its own.
      expect(band.server.gate.revokeDevice(added[0]!.id)).toBe(true);
      const before = await snapshot(band);
      await expectRefused(band, before, await health(), expect, { status: 401 });
      expect(
        (
          await http(band.port, {
            path: '/api/trpc/health',
            headers: { host: band.host, cookie, 'sec-fetch-site': 'same-origin' },
          })
        ).status,
      ).toBe(200);
    },
  );

  it.each([
    ['%E0%A4%A'],
    ['="'],
    ['x'.repeat(8 * 1024)],
    ['ünïcödé'],
    ['v1.AAAAAAAAAAAAAAAAAAAAAA.99999999999999.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'],
  ])('C5: malformed cookie %# → 401 and a clearing Set-Cookie, never 500', async (value) => {
    const before = await snapshot(band);
    const r = await http(band.port, {
      path: '/api/trpc/health',
      headers: { host: band.host, cookie: `band_sess_${band.port}=${value}`, 'sec-fetch-site': 'same-origin' },
    });
    expect(r.status).toBe(401);
    expect(setCookies(r)[0]).toMatch(new RegExp(`^band_sess_${band.port}=; Path=/; Max-Age=0`));
    await expectNothingHappened(band, before, r, expect);
  });

  it('C6: a second, bogus band_sess cookie (another localhost app) does not mask the valid one', async () => {
    const r = await http(band.port, {
      path: '/api/trpc/health',
      headers: {
        host: band.host,
        cookie: `band_sess_${band.port}=tossed-by-other-app; ${cookie}`,
        'sec-fetch-site': 'same-origin',
      },
    });
    expect(r.status).toBe(200);
  });

  it('C7: a tunnel cookie replayed on the local listener → 401', async () => {
    const t = band.tunnel!;
    const tc = await signIn(band, { port: t.port, host: t.host, ip: '203.0.113.10' });
    const value = tc.split('=').slice(1).join('=');
    const before = await snapshot(band);
    const r = await http(band.port, {
      path: '/api/trpc/health',
      headers: { host: band.host, cookie: `band_sess_${band.port}=${value}`, 'sec-fetch-site': 'same-origin' },
    });
    await expectRefused(band, before, r, expect, { status: 401 });
    expect(
      (
        await http(t.port, {
          path: '/api/trpc/health',
          headers: { host: t.host, cookie: tc, 'sec-fetch-site': 'same-origin' },
        })
      ).status,
    ).toBe(200);
  });

  it('C8: a cookie whose session was revoked → 401 and a clearing Set-Cookie', async () => {
    const c = await signIn(band);
    const ids = new Set(band.server.gate.listDevices().map((d) => d.id));
    const r1 = await http(band.port, {
      path: '/api/trpc/devices.list',
      headers: { host: band.host, cookie: c, 'sec-fetch-site': 'same-origin' },
    });
    expect(r1.status).toBe(200);
    const newest = band.server.gate.listDevices().sort((a, b) => b.createdAt - a.createdAt)[0]!;
    expect(ids.has(newest.id)).toBe(true);
    const revoke = await post(
      'devices.revoke',
      { authorization: `Bearer ${band.token()}`, 'content-type': 'application/json' },
      JSON.stringify({ id: newest.id }),
    );
    expect(revoke.status).toBe(200);
    const before = await snapshot(band);
    const r = await http(band.port, { path: '/', headers: navHeaders(band.host, { cookie: c }) });
    await expectRefused(band, before, r, expect, { status: 401 });
    expect(setCookies(r)[0]).toContain('Max-Age=0');
  });

  it('C9: X-Forwarded-Proto: https on a direct local connection does not make the cookie Secure/__Host-', async () => {
    const r = await http(band.port, {
      path: `/?token=${band.token()}`,
      headers: navHeaders(band.host, { 'x-forwarded-proto': 'https' }),
    });
    const c = setCookies(r)[0]!;
    band.secrets.add(c.split(';')[0]!.split('=')[1]!);
    expect(c).not.toContain('Secure');
    expect(c).not.toContain('__Host-');
  });
});

describe('D. CSRF and cross-origin HTTP', () => {
  it(
    'D1: cross-site fetch replay with the cookie (Origin evil, ' + 'Sec-Fetch-Site cross-site) → 403, no side effect',
    async () => {
      const before = await snapshot(band);
      const r = await post('settings.set', {
        cookie,
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
        'content-type': 'application/json',
      });
      await expectRefused(band, before, r, expect, { status: 403 });
    },
  );

  it('D1: cross-site call to auth.revealToken with the cookie → 403 and the token is not in the body', async () => {
    const before = await snapshot(band);
    const r = await post(
      'auth.revealToken',
      { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
      '{}',
    );
    await expectRefused(band, before, r, expect, { status: 403 });
    expect(r.body).not.toContain(band.token());
  });

  it('D2: cross-site multipart form POST to tunnel.stop → 403, tunnel still running', async () => {
    const before = await snapshot(band);
    const r = await post(
      'tunnel.stop',
      {
        cookie,
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
        'content-type': 'multipart/form-data; boundary=X',
      },
      '--X--\r\n',
    );
    await expectRefused(band, before, r, expect, { status: 403 });
    expect(band.server.api.services.tunnel.status().state).toBe('ready');
  });

  it('D3: cross-site text/plain form POST → 403; the same-origin text/plain POST → 415', async () => {
    const before = await snapshot(band);
    const cross = await post('settings.set', {
      cookie,
      origin: 'https://evil.example',
      'sec-fetch-site': 'cross-site',
      'content-type': 'text/plain',
    });
    await expectRefused(band, before, cross, expect, { status: 403 });
    const same = await post('settings.set', {
      cookie,
      origin: band.origin,
      'sec-fetch-site': 'same-origin',
      'content-type': 'text/plain',
    });
    await expectRefused(band, before, same, expect, { status: 415 });
  });

  it('D4: same-site attacker on http://localhost:5173 with the cookie → 403', async () => {
    const before = await snapshot(band);
    const r = await post('settings.set', {
      cookie,
      origin: 'http://localhost:5173',
      'sec-fetch-site': 'same-site',
      'content-type': 'application/json',
    });
    await expectRefused(band, before, r, expect, { status: 403 });
  });

  it('D5: cookie POST with no Origin and no Sec-Fetch-Site → 403 (fail closed)', async () => {
    const before = await snapshot(band);
    const r = await post('settings.set', { cookie, 'content-type': 'application/json' });
    await expectRefused(band, before, r, expect, { status: 403 });
  });

  it('D6: Origin: null → 403', async () => {
    const before = await snapshot(band);
    const r = await post('settings.set', { cookie, origin: 'null', 'content-type': 'application/json' });
    await expectRefused(band, before, r, expect, { status: 403 });
  });

  it.each([
    ['suffix', (p: number) => `http://localhost:${p}.evil.example`],
    ['longer port', (p: number) => `http://localhost:${p}7`],
    ['trailing slash', (p: number) => `http://localhost:${p}/`],
    ['https scheme', (p: number) => `https://localhost:${p}`],
  ])('D7: Origin %s → 403', async (_n, make) => {
    const before = await snapshot(band);
    const r = await post('settings.set', { cookie, origin: make(band.port), 'content-type': 'application/json' });
    await expectRefused(band, before, r, expect, { status: 403 });
  });

  it('D7: Origin http://LOCALHOST:<port> is case-normalised and accepted (then reverted)', async () => {
    const original = band.server.settings.get().notifications.soundOnNeedsAttention;
    const set = (value: boolean) =>
      post(
        'settings.set',
        { cookie, origin: `http://LOCALHOST:${band.port}`, 'content-type': 'application/json' },
        JSON.stringify({ key: 'notifications.soundOnNeedsAttention', value }),
      );
    const before = await snapshot(band);
    expect((await set(!original)).status).toBe(200);
    await expectSomethingHappened(band, before, ['settingsText'], expect);
    expect(band.server.settings.get().notifications.soundOnNeedsAttention).toBe(!original);
    // Reverted: the file is back to what it was.
    expect((await set(original)).status).toBe(200);
    expect((await snapshot(band)).settingsText).toBe(before.settingsText);
  });

  it('D8: cross-site GET to an API query with the cookie (img/link) → 403', async () => {
    const before = await snapshot(band);
    const r = await http(band.port, {
      path: '/api/trpc/devices.list',
      headers: {
        host: band.host,
        cookie,
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'no-cors',
        'sec-fetch-dest': 'image',
      },
    });
    await expectRefused(band, before, r, expect, { status: 403 });
    expect(r.body).not.toContain('"result"');
  });

  it('D9: XSSI <script src=/api/trpc/settings.get> → 403; responses carry CORP same-origin and nosniff', async () => {
    const before = await snapshot(band);
    const r = await http(band.port, {
      path: '/api/trpc/settings.get',
      headers: {
        host: band.host,
        cookie,
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'no-cors',
        'sec-fetch-dest': 'script',
      },
    });
    await expectRefused(band, before, r, expect, { status: 403 });
    expect(r.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  it(
    'D9: a cross-site <script src=/_next/static/...> gets no readable ' +
      'asset without the cookie (SameSite=Strict) and CORP same-origin',
    async () => {
      const before = await snapshot(band);
      const r = await http(band.port, {
        path: '/_next/static/chunks/main.js',
        headers: { host: band.host, 'sec-fetch-site': 'cross-site', 'sec-fetch-dest': 'script' },
      });
      await expectRefused(band, before, r, expect, { status: 401 });
      expect(r.headers['cross-origin-resource-policy']).toBe('same-origin');
    },
  );

  it('D10: OPTIONS preflight with Access-Control-Request-Private-Network → 403 with no CORS headers', async () => {
    const before = await snapshot(band);
    const r = await http(band.port, {
      method: 'OPTIONS',
      path: '/api/trpc/settings.set',
      headers: {
        host: band.host,
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-private-network': 'true',
      },
    });
    await expectRefused(band, before, r, expect, { status: 403 });
    expect(corsHeaders(r)).toEqual([]);
  });

  it('D11: pages, API answers and refusals all forbid framing', async () => {
    for (const r of [
      await http(band.port, { path: '/', headers: navHeaders(band.host, { cookie }) }),
      await http(band.port, {
        path: '/api/trpc/health',
        headers: { host: band.host, cookie, 'sec-fetch-site': 'same-origin' },
      }),
      await http(band.port, { path: '/', headers: navHeaders(band.host) }),
    ]) {
      expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(r.headers['x-frame-options']).toBe('DENY');
    }
  });

  it('D12: a token login over a planted cookie always mints a fresh session id', async () => {
    const planted = await signIn(band);
    const r = await http(band.port, {
      path: `/?token=${band.token()}`,
      headers: navHeaders(band.host, { cookie: planted }),
    });
    const fresh = setCookies(r)[0]!.split(';')[0]!;
    band.secrets.add(fresh.split('=')[1]!);
    expect(fresh).not.toBe(planted);
    const login = await http(band.port, {
      method: 'POST',
      path: '/auth/login',
      headers: { host: band.host, origin: band.origin, 'content-type': 'application/json', cookie: planted },
      body: JSON.stringify({ token: band.token() }),
    });
    expect(login.status).toBe(204);
    const fresh2 = setCookies(login)[0]!.split(';')[0]!;
    band.secrets.add(fresh2.split('=')[1]!);
    expect(fresh2).not.toBe(planted);
  });
});
