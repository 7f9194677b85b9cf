// Attack matrix groups A (credential presentation) and B (token in URL, pairing) against the real server.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '@band/server/start';
import { captureLogger, tempHome } from '../helpers.js';
import {
  type Band,
  SIDE_EFFECT_BODY,
  expectNoSecretsLogged,
  expectNothingHappened,
  expectRefused,
  expectSomethingHappened,
  http,
  navHeaders,
  parseRaw,
  raw,
  setCookies,
  signIn,
  snapshot,
  startBand,
  statusLine,
} from './harness.js';

let band: Band;
beforeAll(async () => {
  band = await startBand();
});
afterAll(async () => {
  await band?.close();
});
afterEach(() => {
  if (band) expectNoSecretsLogged(band, expect);
});

const api = '/api/trpc/settings.set';
/** Puts back the setting SIDE_EFFECT_BODY flips (after a request that was meant to succeed). */
const mutateBack = async () =>
  expect(
    (await bearerPost(`Bearer ${band.token()}`, {}, { key: 'notifications.soundOnNeedsAttention', value: true }))
      .status,
  ).toBe(200);
const bearerPost = (authorization: string, extra: Record<string, string> = {}, input?: unknown) =>
  http(band.port, {
    method: 'POST',
    path: api,
    headers: { host: band.host, authorization, 'content-type': 'application/json', ...extra },
    body: input === undefined ? SIDE_EFFECT_BODY : JSON.stringify(input),
  });

/** A tRPC mutation as the CLI sends it (bearer, no Origin); `authorization: null` sends none (same Origin instead). */
const mutate = (procedure: string, input: unknown, authorization: string | null = `Bearer ${band.token()}`) =>
  http(band.port, {
    method: 'POST',
    path: `/api/trpc/${procedure}`,
    headers: {
      host: band.host,
      'content-type': 'application/json',
      ...(authorization === null ? { origin: band.origin } : { authorization }),
    },
    body: JSON.stringify(input),
  });

describe('A0. the side-effect detector works (positive controls)', () => {
  // Every refusal below asserts that nothing happened. These show that the same requests, with valid credentials,
  // do change each thing `snapshot` watches, so "nothing happened" is a measurement, not a tautology.
  it('settings: settings.set with the token changes settings.json; without it, nothing changes', async () => {
    const refusedBefore = await snapshot(band);
    await expectRefused(band, refusedBefore, await mutate('settings.set', JSON.parse(SIDE_EFFECT_BODY), null), expect, {
      status: 401,
    });
    const before = await snapshot(band);
    expect((await mutate('settings.set', JSON.parse(SIDE_EFFECT_BODY))).status).toBe(200);
    await expectSomethingHappened(band, before, ['settingsText'], expect);
    expect((await mutate('settings.set', { key: 'notifications.soundOnNeedsAttention', value: true })).status).toBe(
      200,
    );
  });

  it('devices: a sign-in adds a device', async () => {
    const before = await snapshot(band);
    await signIn(band);
    await expectSomethingHappened(band, before, ['devices', 'deviceIds'], expect);
  });

  it('database and processes: a project, a workspace, ' +
    'a chat and a terminal (a shell process) are each seen', async () => {
    const repo = join(band.home, 'control-repo');
    await mkdir(repo, { recursive: true });
    await writeFile(join(repo, 'README.md'), '# control\n');
    const env = {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    };
    for (const args of [
      ['init', '-q', '-b', 'main'],
      ['add', '-A'],
      ['commit', '-q', '-m', 'init'],
    ])
      execFileSync('git', args, { cwd: repo, env });

    // Each mutation: refused without a credential (nothing happens), then done with the token (the detector sees it).
    const step = async (
      procedure: string,
      input: unknown,
      changes: Array<keyof Awaited<ReturnType<typeof snapshot>>>,
    ) => {
      const refusedBefore = await snapshot(band);
      await expectRefused(band, refusedBefore, await mutate(procedure, input, null), expect, { status: 401 });
      const before = await snapshot(band);
      const r = await mutate(procedure, input);
      expect(r.status, r.body).toBe(200);
      await expectSomethingHappened(band, before, changes, expect);
      return JSON.parse(r.body).result.data;
    };
    await step('projects.register', { path: repo, name: 'control' }, ['projects']);
    const { workspace } = await step(
      'workspaces.create',
      { project: 'control', branch: 'control/detector', waitForSetup: true },
      ['workspaces'],
    );
    await step('chats.create', { workspaceId: workspace.id }, ['chats']);
    const terminal = await step('terminals.create', { workspaceId: workspace.id }, ['terminals', 'processes']);
    expect((await snapshot(band)).processes.some((p) => p.startsWith(`${terminal.pid} `))).toBe(true);
    expect((await mutate('terminals.kill', { id: terminal.id })).status).toBe(200);
    expect((await mutate('projects.remove', { project: 'control', cascade: true })).status).toBe(200);
  }, 120_000);
});

describe('A. credential presentation', () => {
  it('A1: GET /api/trpc/health with no credential → 401 JSON, no cookie, nothing executed', async () => {
    const before = await snapshot(band);
    const r = await http(band.port, { path: '/api/trpc/health', headers: { host: band.host } });
    await expectRefused(band, before, r, expect, { status: 401 });
    expect(r.headers['content-type']).toContain('application/json');
    expect(JSON.parse(r.body).error).toBe('NO_CREDENTIALS');
  });

  it('A1: an HTML navigation with no credential → 401 sign-in page (never a page of Next)', async () => {
    const before = await snapshot(band);
    const r = await http(band.port, { path: '/workspace/1', headers: navHeaders(band.host) });
    await expectRefused(band, before, r, expect, { status: 401 });
    expect(r.headers['content-type']).toContain('text/html');
    expect(r.body).toContain('<title>Band · Sign in</title>');
    expect(r.body).not.toContain('/_next/');
  });

  it('A1: an unauthenticated mutation POST → 401 and the setting is unchanged', async () => {
    const before = await snapshot(band);
    const r = await http(band.port, {
      method: 'POST',
      path: api,
      headers: { host: band.host, origin: band.origin, 'content-type': 'application/json' },
      body: SIDE_EFFECT_BODY,
    });
    await expectRefused(band, before, r, expect, { status: 401 });
  });

  it('A2: Bearer <64 random hex> → 401, mutation not executed', async () => {
    const before = await snapshot(band);
    const r = await bearerPost(`Bearer ${'1'.repeat(64)}`);
    await expectRefused(band, before, r, expect, { status: 401 });
  });

  it.each([
    ['63 chars', () => band.token().slice(1)],
    ['65 chars', () => `${band.token()}0`],
    ['empty', () => ''],
    ['10 kB', () => 'a'.repeat(10_000)],
  ])('A3: bearer %s → 401, never 500', async (_name, value) => {
    const before = await snapshot(band);
    const r = await bearerPost(`Bearer ${value()}`);
    await expectRefused(band, before, r, expect, { status: 401 });
  });

  it(
    'A4: near-miss tokens (last char / first char differ) ' +
      'are both refused the same way (timing: see packages/auth bench)',
    async () => {
      const t = band.token();
      const flip = (c: string) => (c === '0' ? '1' : '0');
      const before = await snapshot(band);
      const last = await bearerPost(`Bearer ${t.slice(0, 63)}${flip(t[63]!)}`);
      await expectRefused(band, before, last, expect, { status: 401 });
      const first = await bearerPost(`Bearer ${flip(t[0]!)}${t.slice(1)}`);
      await expectRefused(band, before, first, expect, { status: 401 });
      expect(last.body).toBe(first.body);
    },
  );

  it('A5: the token in UPPERCASE → 401', async () => {
    const before = await snapshot(band);
    const r = await bearerPost(`Bearer ${band.token().toUpperCase()}`);
    await expectRefused(band, before, r, expect, { status: 401 });
  });

  it(
    'A6: the token followed by a space or tab and more text ' +
      '→ 401 (the value is compared whole, not up to whitespace)',
    async () => {
      const before = await snapshot(band);
      for (const suffix of [' x', '\tx', ' ', '\t']) {
        const line = `Authorization: Bearer ${band.token()}${suffix}`;
        const out = await raw(
          band.port,
          `POST ${api} HTTP/1.1\r\nHost: ${band.host}\r\n${line}\r\nContent-Type: ` +
            `application/json\r\nContent-Length: ${SIDE_EFFECT_BODY.length}\r\n` +
            `Connection: close\r\n\r\n${SIDE_EFFECT_BODY}`,
        );
        if (suffix.trim()) {
          await expectRefused(band, before, parseRaw(out), expect, { status: 401 });
        } else {
          // Trailing whitespace alone is not part of a header's value (RFC 9110 §5.5: Node strips it before Band
          // sees it), so this is the token itself. Not a bypass: the same bytes as a valid request.
          expect(statusLine(out)).toBe('HTTP/1.1 200 OK');
          await mutateBack();
        }
      }
    },
  );

  it.each([
    ['Token tok', (t: string) => `Token ${t}`],
    ['bearer tok (lowercase scheme is fine)', (t: string) => `bearer ${t}`],
    ['Bearer  tok (two spaces)', (t: string) => `Bearer  ${t}`],
    ['Basic …', (t: string) => `Basic ${Buffer.from(`band:${t}`).toString('base64')}`],
  ])('A7: Authorization: %s', async (name, make) => {
    const before = await snapshot(band);
    const r = await http(band.port, {
      path: '/api/trpc/health',
      headers: { host: band.host, authorization: make(band.token()) },
    });
    if (name.startsWith('bearer tok')) {
      expect(r.status).toBe(200);
      expect(setCookies(r)).toEqual([]);
    } else await expectRefused(band, before, r, expect, { status: 401 });
  });

  it('A8: non-ASCII / multibyte bytes in Authorization → 400 or 401, never 500', async () => {
    const before = await snapshot(band);
    const out = parseRaw(
      await raw(
        band.port,
        Buffer.concat([
          Buffer.from(`GET /api/trpc/health HTTP/1.1\r\nHost: ${band.host}\r\nAuthorization: Bearer `),
          Buffer.from('€ÿ\u{1F600}', 'utf8'),
          Buffer.from('\r\nConnection: close\r\n\r\n'),
        ]),
      ),
    );
    // 400 from Node's parser (before the gate), or 401 from the gate.
    await expectRefused(band, before, out, expect, {
      status: out.status === 400 ? 400 : 401,
      from: out.status === 400 ? 'node' : 'gate',
    });
  });

  it.each([
    ['empty', ''],
    ['short', 'abc123'],
    ['not hex', 'z'.repeat(64)],
  ])(
    'A9: tokenSecret %s in settings.json → the server refuses to start and leaves the file alone',
    async (_name, tokenSecret) => {
      await using home = await tempHome();
      await mkdir(home.home, { recursive: true, mode: 0o700 });
      const file = join(home.home, 'settings.json');
      await writeFile(file, JSON.stringify({ tokenSecret }), { mode: 0o600 });
      const logger = captureLogger();
      await expect(startServer({ home: home.home, port: 0, logger })).rejects.toMatchObject({
        code: 'MALFORMED_TOKEN',
        field: 'tokenSecret',
      });
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ tokenSecret });
    },
  );

  it('A10: ?token=tok on an API request → 401, no cookie minted', async () => {
    const before = await snapshot(band);
    const r = await http(band.port, {
      path: `/api/trpc/health?token=${band.token()}`,
      headers: { host: band.host, 'sec-fetch-dest': 'empty', 'sec-fetch-mode': 'cors' },
    });
    await expectRefused(band, before, r, expect, { status: 401 });
  });

  it('A11: a valid cookie plus a wrong bearer → 401', async () => {
    const cookie = await signIn(band);
    const before = await snapshot(band);
    const r = await http(band.port, {
      path: '/api/trpc/health',
      headers: { host: band.host, cookie, 'sec-fetch-site': 'same-origin', authorization: `Bearer ${'2'.repeat(64)}` },
    });
    await expectRefused(band, before, r, expect, { status: 401 });
  });

  it('A12: a valid bearer with Origin: https://evil.example → 403, no ACAO, no cookie, no side effect', async () => {
    const before = await snapshot(band);
    const r = await bearerPost(`Bearer ${band.token()}`, { origin: 'https://evil.example' });
    await expectRefused(band, before, r, expect, { status: 403 });
  });

  it('A12: a valid bearer without Origin (the CLI) passes', async () => {
    const r = await http(band.port, {
      path: '/api/trpc/health',
      headers: { host: band.host, authorization: `Bearer ${band.token()}` },
    });
    expect(r.status).toBe(200);
    expect(setCookies(r)).toEqual([]);
  });
});

describe('B. token in URL, then cookie, then strip', () => {
  it(
    'B1: GET /?token=tok → 303 to /, a session cookie ' + '(not the token), no-referrer, no-store, empty body',
    async () => {
      const r = await http(band.port, { path: `/?token=${band.token()}`, headers: navHeaders(band.host) });
      expect(r.status).toBe(303);
      expect(r.headers.location).toBe('/');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.body).toBe('');
      const cookie = setCookies(r)[0]!;
      band.secrets.add(cookie.split(';')[0]!.split('=')[1]!);
      expect(cookie).toMatch(new RegExp(`^band_sess_${band.port}=v1\\.`));
      expect(cookie).not.toContain(band.token());
    },
  );

  it('B2: /workspace/42?tab=chat&token=tok → 303 to /workspace/42?tab=chat', async () => {
    const r = await http(band.port, {
      path: `/workspace/42?tab=chat&token=${band.token()}`,
      headers: navHeaders(band.host),
    });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/workspace/42?tab=chat');
  });

  it.each([
    ['//evil.example/', '/evil.example/'],
    ['/\\evil.example', '/evil.example'],
    ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
  ])('B3: %s?token=tok → Location is a single-slash relative path', async (path, location) => {
    const r = await http(band.port, { path: `${path}?token=${band.token()}`, headers: navHeaders(band.host) });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe(location);
    expect(String(r.headers.location)).toMatch(/^\/[^/\\]/);
  });

  it('B4: /?token=WRONG → 303 to / without the param, no cookie', async () => {
    const before = await snapshot(band);
    const r = await http(band.port, { path: `/?token=${'3'.repeat(64)}`, headers: navHeaders(band.host) });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/');
    await expectNothingHappened(band, before, r, expect);
    const next = await http(band.port, { path: '/', headers: navHeaders(band.host) });
    expect(next.status).toBe(401);
    expect(next.body).toContain('name="token"');
  });

  it.each([
    ['duplicate token params', () => `token=${band.token()}&token=other`],
    ['token[]', () => `token[]=${band.token()}`],
  ])('B5: %s → 400, no cookie', async (_n, query) => {
    const before = await snapshot(band);
    const r = await http(band.port, { path: `/?${query()}`, headers: navHeaders(band.host) });
    await expectRefused(band, before, r, expect, { status: 400 });
  });

  it('B6: POST /?token=tok → no cookie minted', async () => {
    const before = await snapshot(band);
    const r = await http(band.port, {
      method: 'POST',
      path: `/?token=${band.token()}`,
      headers: { host: band.host, origin: band.origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    await expectRefused(band, before, r, expect, { status: 401 });
  });

  it('B6: <img src="/?token=tok"> (subresource) → no cookie minted', async () => {
    const before = await snapshot(band);
    const r = await http(band.port, {
      path: `/?token=${band.token()}`,
      headers: {
        host: band.host,
        'sec-fetch-dest': 'image',
        'sec-fetch-mode': 'no-cors',
        'sec-fetch-site': 'cross-site',
      },
    });
    await expectRefused(band, before, r, expect, { status: 401 });
  });

  it('B7: /pair page + POST /auth/pair {code} signs in once; the same code again → 401', async () => {
    const url = band.server.createSignInUrl();
    const code = new URL(url).hash.slice(3);
    band.secrets.add(code);
    expect(url).toBe(`http://127.0.0.1:${band.port}/pair#c=${code}`);
    const page = await http(band.port, { path: '/pair', headers: navHeaders(band.host) });
    expect(page.status).toBe(200);
    expect(page.body).toContain("history.replaceState(null,'','/pair')");
    const post = () =>
      http(band.port, {
        method: 'POST',
        path: '/auth/pair',
        headers: {
          host: band.host,
          origin: band.origin,
          'sec-fetch-site': 'same-origin',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ code }),
      });
    const first = await post();
    expect(first.status).toBe(204);
    const cookie = setCookies(first)[0]!.split(';')[0]!;
    band.secrets.add(cookie.split('=')[1]!);
    expect(
      (
        await http(band.port, {
          path: '/api/trpc/health',
          headers: { host: band.host, cookie, 'sec-fetch-site': 'same-origin' },
        })
      ).status,
    ).toBe(200);
    const before = await snapshot(band);
    const second = await post();
    await expectRefused(band, before, second, expect, { status: 401 });
  });

  it(
    'B8: a used pairing URL replayed on a second phone → 401 "expired ' +
      'or used" (expiry itself: packages/auth gate test with a clock)',
    async () => {
      const code = new URL(band.server.createSignInUrl()).hash.slice(3);
      band.secrets.add(code);
      const post = (ua: string) =>
        http(band.port, {
          method: 'POST',
          path: '/auth/pair',
          headers: { host: band.host, origin: band.origin, 'content-type': 'application/json', 'user-agent': ua },
          body: JSON.stringify({ code }),
        });
      expect((await post('phone-1')).status).toBe(204);
      const before = await snapshot(band);
      const replay = await post('phone-2');
      await expectRefused(band, before, replay, expect, { status: 401 });
      expect(JSON.parse(replay.body).message).toMatch(/expired or was already used/);
    },
  );
});
