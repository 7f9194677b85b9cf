// Attack matrix groups H (leakage), I (rotation and revocation), J (token file) and K (tRPC / Next specifics).
import { chmod, lstat, mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSettings } from '@band/settings';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type WebSocket from 'ws';
import { startServer } from '@band/server/start';
import { captureLogger, SLOW, tempHome } from '../helpers.js';
import {
  type Band,
  SIDE_EFFECT_BODY,
  expectNoSecretsLogged,
  expectRefused,
  http,
  navHeaders,
  openWs,
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

const closed = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
const same = () => ({ host: band.host, cookie, 'sec-fetch-site': 'same-origin' });
/** A request that must be refused, checked in full (status, headers, no side effect). */
const refused = async (port: number, options: Parameters<typeof http>[1], status: number) => {
  const before = await snapshot(band);
  const r = await http(port, options);
  await expectRefused(band, before, r, expect, { status });
  return r;
};

describe('H. leakage: logs, Referer, errors, headers', () => {
  it('H1: a request with the token in the query, a cookie and an Authorization header logs none of them', async () => {
    await http(band.port, {
      path: `/workspace/1?token=${band.token()}&x=1`,
      headers: navHeaders(band.host, {
        cookie,
        authorization: `Bearer ${band.token()}`,
        'sec-websocket-protocol': band.token(),
      }),
    });
    const text = band.logger.text();
    expect(text).not.toContain(band.token());
    expect(text).not.toContain(cookie.split('=')[1]!);
    expect(text).not.toContain('x=1');
    expect(text).toMatch(/local GET \/workspace\/1 /);
  });

  it(
    'H2: Referer: <tunnel>/?token=tok on a failing ' + 'request is not logged and the error body has no stack',
    async () => {
      const r = await refused(
        band.port,
        {
          method: 'POST',
          path: '/api/trpc/settings.set',
          headers: {
            ...same(),
            origin: band.origin,
            'content-type': 'application/json',
            referer: `${band.tunnel!.origin}/?token=${band.token()}`,
          },
          body: '{"key":',
        },
        400,
      );
      expect(r.body).not.toMatch(/at .*\.js:\d+/);
      expect(band.logger.text()).not.toContain('referer');
    },
  );

  it('H3: a wrong token differing from tok by one character is never logged', async () => {
    const near = `${band.token().slice(0, 63)}${band.token().endsWith('0') ? '1' : '0'}`;
    await refused(
      band.port,
      { path: '/api/trpc/health', headers: { host: band.host, authorization: `Bearer ${near}` } },
      401,
    );
    expect(band.logger.text()).not.toContain(near);
    expect(band.logger.text()).toMatch(/BAD_TOKEN/);
  });

  it('H4: every kind of response carries Referrer-Policy: no-referrer', async () => {
    for (const r of [
      await http(band.port, { path: '/', headers: navHeaders(band.host, { cookie }) }),
      await http(band.port, { path: '/', headers: navHeaders(band.host) }),
      await http(band.port, { path: `/?token=${band.token()}`, headers: navHeaders(band.host) }),
      await http(band.port, { path: '/api/trpc/health', headers: same() }),
      await http(band.port, { path: '/', headers: { host: 'evil.example' } }),
    ]) {
      expect(r.headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('H5: the dashboard HTML, settings.get and devices.list never contain tokenSecret', async () => {
    for (const path of ['/', '/settings', '/api/trpc/settings.get', '/api/trpc/devices.list']) {
      const r = await http(band.port, {
        path,
        headers: path.startsWith('/api') ? same() : navHeaders(band.host, { cookie }),
      });
      expect(r.body, path).not.toContain(band.token());
    }
  });

  it('H6: no Band child process (cloudflared) has the token in its argv', async () => {
    const pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p));
    let checked = 0;
    for (const pid of pids) {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (!cmdline.includes('cloudflared') && !cmdline.includes(band.home)) continue;
      checked++;
      expect(cmdline).not.toContain(band.token());
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('H5: through the tunnel, auth.revealToken never returns the token', async () => {
    const t = band.tunnel!;
    const tc = await signIn(band, { port: t.port, host: t.host, ip: '192.0.2.99' });
    const r = await refused(
      t.port,
      {
        method: 'POST',
        path: '/api/trpc/auth.revealToken',
        headers: {
          host: t.host,
          cookie: tc,
          origin: t.origin,
          'sec-fetch-site': 'same-origin',
          'content-type': 'application/json',
        },
        body: '{}',
      },
      403,
    );
    expect(r.body).not.toContain(band.token());
  });
});

describe('I. rotation and revocation', () => {
  it('I3: revoking one device (devices.revoke) closes its sockets; other sessions are unaffected', async () => {
    const a = await signIn(band);
    const idA = band.server.gate.listDevices().sort((x, y) => y.createdAt - x.createdAt)[0]!.id;
    const b = await signIn(band);
    const wsA = await openWs(band.port, '/api/trpc-ws', { host: band.host, cookie: a, origin: band.origin });
    const wsB = await openWs(band.port, '/api/trpc-ws', { host: band.host, cookie: b, origin: band.origin });
    expect([wsA.result, wsB.result]).toEqual(['open', 'open']);
    const codeA = closed(wsA.ws!);
    const r = await http(band.port, {
      method: 'POST',
      path: '/api/trpc/devices.revoke',
      headers: { ...same(), origin: band.origin, 'content-type': 'application/json' },
      body: JSON.stringify({ id: idA }),
    });
    expect(r.status).toBe(200);
    expect(await codeA).toBe(4401);
    expect(wsB.ws!.readyState).toBe(1);
    await refused(
      band.port,
      { path: '/api/trpc/health', headers: { host: band.host, cookie: a, 'sec-fetch-site': 'same-origin' } },
      401,
    );
    expect(
      (
        await http(band.port, {
          path: '/api/trpc/health',
          headers: { host: band.host, cookie: b, 'sec-fetch-site': 'same-origin' },
        })
      ).status,
    ).toBe(200);
    wsB.ws!.close();
  });

  it('I6: stopping the tunnel revokes tunnel sessions and closes their sockets; local sessions stay', async () => {
    const t = band.tunnel!;
    const tc = await signIn(band, { port: t.port, host: t.host, ip: '192.0.2.120' });
    const ws = await openWs(t.port, '/api/trpc-ws', { host: t.host, cookie: tc, origin: t.origin });
    expect(ws.result).toBe('open');
    const code = closed(ws.ws!);
    await band.server.api.services.tunnel.stop();
    expect(await code).toBe(4401);
    expect(band.server.gate.listDevices().some((d) => d.listener === 'tunnel')).toBe(false);
    expect((await http(band.port, { path: '/api/trpc/health', headers: same() })).status).toBe(200);
  });

  it(
    'I1/I2/I4/I5: a hand edit of tokenSecret signs everyone out, ' +
      'closes sockets (4401), old cookie and old bearer → 401',
    async () => {
      const oldToken = band.token();
      const ws = await openWs(band.port, '/api/trpc-ws', { host: band.host, cookie, origin: band.origin });
      expect(ws.result).toBe('open');
      const code = closed(ws.ws!);
      const onDisk = JSON.parse(await readFile(band.server.settings.file, 'utf8'));
      const fresh = 'd'.repeat(64);
      await writeFile(band.server.settings.file, JSON.stringify({ ...onDisk, tokenSecret: fresh }, null, 2));
      expect(await code).toBe(4401);
      await vi.waitFor(() => expect(band.token()).toBe(fresh), SLOW);
      await refused(band.port, { path: '/', headers: navHeaders(band.host, { cookie }) }, 401);
      await refused(
        band.port,
        { path: '/api/trpc/health', headers: { host: band.host, authorization: `Bearer ${oldToken}` } },
        401,
      );
      expect(
        (
          await http(band.port, {
            path: '/api/trpc/health',
            headers: { host: band.host, authorization: `Bearer ${fresh}` },
          })
        ).status,
      ).toBe(200);
      expect(band.server.gate.listDevices()).toEqual([]);
      expect(band.logger.text()).not.toContain(oldToken);
    },
  );
});

describe('J. token file handling', () => {
  it('J1: first launch creates the home 0700 and settings.json 0600 with a 64-hex token', async () => {
    expect((await stat(band.home)).mode & 0o777).toBe(0o700);
    expect((await stat(band.server.settings.file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(band.home, 'sessions.json'))).mode & 0o777).toBe(0o600);
  });

  it('J2: a 0644 settings.json and a 0755 home are fixed at start, with a warning', async () => {
    await using home = await tempHome();
    await mkdir(home.home, { recursive: true });
    const file = join(home.home, 'settings.json');
    await writeFile(file, JSON.stringify({ tokenSecret: 'e'.repeat(64) }));
    await chmod(file, 0o644);
    await chmod(home.home, 0o755);
    const logger = captureLogger();
    const server = await startServer({ home: home.home, port: 0, logger });
    await server.close();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(home.home)).mode & 0o777).toBe(0o700);
    expect(logger.text()).toMatch(/0600/);
    expect(logger.text()).not.toContain('e'.repeat(64));
  });

  it('J3: concurrent writes leave a complete JSON file and no temp files behind', async () => {
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => band.server.settings.update((s) => ({ ...s, labels: [...s.labels, i] }))),
    );
    const parsed = JSON.parse(await readFile(band.server.settings.file, 'utf8'));
    expect(parsed.labels).toHaveLength(10);
    expect((await readdir(band.home)).filter((f) => f.startsWith('.settings.json.'))).toEqual([]);
  });

  it(
    'J4: corrupt settings.json → the server refuses to ' + 'start with a clear error and does not overwrite it',
    async () => {
      await using home = await tempHome();
      const file = join(home.home, 'settings.json');
      await writeFile(file, '{"webServerPort": 3456,', { mode: 0o600 });
      await expect(startServer({ home: home.home, port: 0, logger: captureLogger() })).rejects.toMatchObject({
        code: 'INVALID_JSON',
        file,
      });
      expect(await readFile(file, 'utf8')).toBe('{"webServerPort": 3456,');
    },
  );

  it('J5: two processes starting on a fresh home end up with exactly one token', async () => {
    await using home = await tempHome();
    const [a, b] = await Promise.all([
      loadSettings({ home: join(home.home, 'x') }),
      loadSettings({ home: join(home.home, 'x') }),
    ]);
    expect(a.get().tokenSecret).toBe(b.get().tokenSecret);
    await a.close();
    await b.close();
  });

  it('J6: a symlinked settings.json is replaced by a file on write, never written through', async () => {
    await using home = await tempHome();
    const outside = join(home.home, 'outside.json');
    await writeFile(outside, JSON.stringify({ tokenSecret: 'f'.repeat(64) }), { mode: 0o600 });
    const bandHome = join(home.home, 'band');
    await mkdir(bandHome, { mode: 0o700 });
    await symlink(outside, join(bandHome, 'settings.json'));
    const logger = captureLogger();
    const server = await startServer({ home: bandHome, port: 0, logger });
    await server.close();
    expect((await lstat(join(bandHome, 'settings.json'))).isSymbolicLink()).toBe(false);
    expect(JSON.parse(await readFile(outside, 'utf8'))).toEqual({ tokenSecret: 'f'.repeat(64) });
    expect(logger.text()).toMatch(/symlink/);
  });
});

describe('K. tRPC / Next.js specifics', () => {
  it('K1: x-middleware-subrequest does not bypass anything', async () => {
    const before = await snapshot(band);
    const r = await http(band.port, {
      method: 'POST',
      path: '/api/trpc/settings.set',
      headers: {
        host: band.host,
        origin: band.origin,
        'content-type': 'application/json',
        'x-middleware-subrequest': 'middleware:middleware:middleware:middleware:middleware',
      },
      body: SIDE_EFFECT_BODY,
    });
    await expectRefused(band, before, r, expect, { status: 401 });
    await refused(
      band.port,
      {
        path: '/',
        headers: navHeaders(band.host, {
          'x-middleware-subrequest': 'middleware:middleware:middleware:middleware:middleware',
        }),
      },
      401,
    );
  });

  it.each([['health'], ['settings.get'], ['devices.list'], ['tunnel.status'], ['terminals.list']])(
    'K2: query %s without a session → 401',
    async (proc) => {
      await refused(band.port, { path: `/api/trpc/${proc}`, headers: { host: band.host } }, 401);
    },
  );

  it.each([['settings.set'], ['auth.revealToken'], ['auth.createPairingCode'], ['tunnel.start'], ['devices.revoke']])(
    'K2: mutation %s without a session → 401, nothing happens',
    async (proc) => {
      const before = await snapshot(band);
      const r = await http(band.port, {
        method: 'POST',
        path: `/api/trpc/${proc}`,
        headers: { host: band.host, origin: band.origin, 'content-type': 'application/json' },
        body: '{}',
      });
      await expectRefused(band, before, r, expect, { status: 401 });
    },
  );

  it('K3: a mutation via GET → 405, nothing happens', async () => {
    const before = await snapshot(band);
    const input = encodeURIComponent(SIDE_EFFECT_BODY);
    const r = await http(band.port, {
      path: `/api/trpc/settings.set?input=${input}`,
      headers: { host: band.host, authorization: `Bearer ${band.token()}` },
    });
    await expectRefused(band, before, r, expect, { status: 405 });
  });

  it('K4: Next static assets require a session (every route is gated)', async () => {
    const r = await refused(band.port, { path: '/_next/static/chunks/main.js', headers: { host: band.host } }, 401);
    expect(r.headers['cross-origin-resource-policy']).toBe('same-origin');
  });

  it('K5: a Server Action style POST from evil.example → 403 before Next', async () => {
    const victim = await signIn(band);
    const before = await snapshot(band);
    const r = await http(band.port, {
      method: 'POST',
      path: '/',
      headers: {
        host: band.host,
        cookie: victim,
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
        'next-action': 'abc',
        'content-type': 'text/plain',
      },
      body: '[]',
    });
    await expectRefused(band, before, r, expect, { status: 403 });
  });
});
