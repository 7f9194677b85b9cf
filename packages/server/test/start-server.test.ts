import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveDashboardDir, ServerStartError, startServer } from '../src/index.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function temp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'band-server-test-'));
  temps.push(dir);
  return dir;
}

describe('startServer', () => {
  it('serves the prebuilt dashboard to an authenticated GET /', async () => {
    await using server = await startServer({ home: await temp(), port: 0, logger: silent });
    const { tokenSecret } = JSON.parse(await readFile(join(server.home, 'settings.json'), 'utf8')) as {
      tokenSecret: string;
    };
    const res = await fetch(`${server.url}/`, { headers: { authorization: `Bearer ${tokenSecret}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('<title>Band</title>');
  });

  it('close() finishes while a client keeps a WebSocket open (the socket is ended, not waited for)', async () => {
    const server = await startServer({ home: await temp(), port: 0, logger: silent });
    const { tokenSecret } = JSON.parse(await readFile(join(server.home, 'settings.json'), 'utf8')) as {
      tokenSecret: string;
    };
    const socket = connect(server.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      [
        'GET /api/trpc-ws HTTP/1.1',
        `Host: 127.0.0.1:${server.port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version: 13',
        `Authorization: Bearer ${tokenSecret}`,
        '',
        '',
      ].join('\r\n'),
    );
    const [head] = (await once(socket, 'data')) as [Buffer];
    expect(head.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
    const closed = once(socket, 'close');
    await server.close(); // before the fix this never resolved: the upgraded socket held the listener open
    await closed;
  });

  it(
    'a second server in the same process (after close) answers route handlers too, ' +
      'not 500 from a spent Next waitUntil',
    async () => {
      const home = await temp();
      for (const round of [1, 2]) {
        await using server = await startServer({ home, port: 0, logger: silent });
        const { tokenSecret } = JSON.parse(await readFile(join(server.home, 'settings.json'), 'utf8')) as {
          tokenSecret: string;
        };
        for (const path of ['/', '/favicon.ico', '/icon.svg']) {
          const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${tokenSecret}` } });
          await res.arrayBuffer();
          expect(res.status, `round ${round}: ${path}`).toBe(200);
        }
      }
    },
  );

  it('names the directory and the fix when the dashboard is not built there', async () => {
    const empty = await temp();
    const error = await startServer({ home: await temp(), port: 0, dashboardDir: empty, logger: silent }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ServerStartError);
    expect(error).toMatchObject({
      code: 'NEXT_BUILD_MISSING',
      message: expect.stringContaining(empty),
      hint: expect.stringContaining('npm run build'),
    });
  });
});

describe('resolveDashboardDir', () => {
  it('prefers BAND_DASHBOARD_DIR, else the copy shipped inside the package', () => {
    expect(resolveDashboardDir({ env: { BAND_DASHBOARD_DIR: '/srv/band-dashboard' } })).toBe('/srv/band-dashboard');
    expect(resolveDashboardDir({ env: {} })).toMatch(/packages\/server\/dashboard\/apps\/dashboard$/);
  });

  it('uses the dashboard sources for Next dev mode in the repository', () => {
    expect(resolveDashboardDir({ dev: true, env: {} })).toMatch(/apps\/dashboard$/);
    expect(resolveDashboardDir({ dev: true, env: {} })).not.toContain('packages/server');
  });
});
