// Attack matrix group F (Host header, DNS rebinding, proxy headers, loopback trust) against the real server.
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { readFileSync } from 'node:fs';
import { computeHelloProof } from '@band/auth';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reportMissing } from '../../../../tooling/testing/prerequisites.js';
import {
  type Band,
  SIDE_EFFECT_BODY,
  expectNoSecretsLogged,
  expectRefused,
  http,
  parseRaw,
  raw,
  signIn,
  snapshot,
  startBand,
  statusLine,
} from './harness.js';

let band: Band;
beforeAll(async () => {
  band = await startBand({ tunnel: true });
});
afterAll(async () => {
  await band?.close();
});
afterEach(() => {
  if (band) expectNoSecretsLogged(band, expect);
});

const bearer = () => ({ authorization: `Bearer ${band.token()}` });
const healthAs = (port: number, headers: Record<string, string>) => http(port, { path: '/api/trpc/health', headers });
/** GET health as `headers` and expect a refusal, checked in full (status, headers, no side effect). */
const refusedAs = async (port: number, headers: Record<string, string>, status: number) => {
  const before = await snapshot(band);
  await expectRefused(band, before, await healthAs(port, headers), expect, { status });
};
/** A raw request Node's parser refuses before the gate runs (400, Connection: close), and nothing happened. */
const refusedRaw = async (text: string) => {
  const before = await snapshot(band);
  await expectRefused(band, before, parseRaw(await raw(band.port, text)), expect, { status: 400, from: 'node' });
};

/** The local addresses listening on `port`, from /proc/net/tcp and tcp6; undefined without /proc (not Linux). */
function listeningAddresses(port: number): string[] | undefined {
  const addresses = new Set<string>();
  for (const [file, v6] of [
    ['/proc/net/tcp', false],
    ['/proc/net/tcp6', true],
  ] as const) {
    let table: string;
    try {
      table = readFileSync(file, 'utf8');
    } catch {
      if (v6) continue;
      return undefined;
    }
    for (const line of table.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== '0A' || !local) continue; // 0A: LISTEN
      const [hex, portHex] = local.split(':');
      if (Number.parseInt(portHex!, 16) !== port) continue;
      if (!v6) addresses.add(Buffer.from(hex!, 'hex').reverse().join('.'));
      else addresses.add(hex === '00000000000000000000000001000000' ? '::1' : hex === '0'.repeat(32) ? '::' : hex!);
    }
  }
  return [...addresses].sort();
}

describe('F. Host header, DNS rebinding, proxy headers, loopback trust', () => {
  it('F1: Host: evil.example:<port> with no cookie → 403 before auth, minimal body', async () => {
    const before = await snapshot(band);
    const r = await healthAs(band.port, { host: `evil.example:${band.port}` });
    await expectRefused(band, before, r, expect, { status: 403 });
    expect(JSON.parse(r.body)).toEqual({ error: 'HOST_NOT_ALLOWED', message: 'Forbidden' });
  });

  it('F2: Host: evil.example:<port> with a valid bearer → still 403, the mutation does not run', async () => {
    const before = await snapshot(band);
    const r = await http(band.port, {
      method: 'POST',
      path: '/api/trpc/settings.set',
      headers: { host: `evil.example:${band.port}`, ...bearer(), 'content-type': 'application/json' },
      body: SIDE_EFFECT_BODY,
    });
    await expectRefused(band, before, r, expect, { status: 403 });
  });

  it.each([['0.0.0.0'], ['192.168.1.20'], ['127.0.0.2'], ['[::ffff:127.0.0.1]']])(
    'F3: Host: %s:<port> → 403 even with the bearer',
    async (name) => {
      await refusedAs(band.port, { host: `${name}:${band.port}`, ...bearer() }, 403);
    },
  );

  it.each([['localhost'], ['127.0.0.1'], ['[::1]']])('F3: Host: %s:<port> is allowed', async (name) => {
    expect((await healthAs(band.port, { host: `${name}:${band.port}`, ...bearer() })).status).toBe(200);
  });

  it('F4: trailing dot and missing port → 403; LOCALHOST is normalised', async () => {
    await refusedAs(band.port, { host: `localhost.:${band.port}`, ...bearer() }, 403);
    await refusedAs(band.port, { host: 'localhost', ...bearer() }, 403);
    expect((await healthAs(band.port, { host: `LOCALHOST:${band.port}`, ...bearer() })).status).toBe(200);
  });

  it('F4: no Host (HTTP/1.0) or two Host headers → 400', async () => {
    await refusedRaw(`GET /api/trpc/health HTTP/1.0\r\nAuthorization: Bearer ${band.token()}\r\n\r\n`);
    await refusedRaw(
      `GET /api/trpc/health HTTP/1.1\r\nHost: ${band.host}\r\nHost: evil.example\r\n` +
        `Authorization: Bearer ${band.token()}\r\nConnection: close\r\n\r\n`,
    );
  });

  it('F5: Host: sub.localhost:<port> → 403', async () => {
    await refusedAs(band.port, { host: `sub.localhost:${band.port}`, ...bearer() }, 403);
  });

  it(
    'F6: on the tunnel listener, Host: localhost:<port> ' + '→ 403 (remote by listener, whatever the Host says)',
    async () => {
      await refusedAs(band.tunnel!.port, { host: band.host, ...bearer() }, 403);
      const ok = await healthAs(band.tunnel!.port, { host: band.tunnel!.host, ...bearer() });
      expect(JSON.parse(ok.body).result.data.listener).toBe('tunnel');
    },
  );

  it('F7: CF-Connecting-IP / X-Forwarded-For / X-Forwarded-Host on a direct local request grant nothing', async () => {
    const spoof = {
      'cf-connecting-ip': '1.2.3.4',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-host': band.tunnel!.host,
    };
    await refusedAs(band.port, { host: band.host, ...spoof }, 401);
    const r = await healthAs(band.port, { host: band.host, ...spoof, ...bearer() });
    expect(JSON.parse(r.body).result.data.listener).toBe('local');
    const c = await signIn(band);
    expect(c.startsWith(`band_sess_${band.port}=`)).toBe(true);
    expect(band.server.gate.listDevices().every((d) => d.listener === 'tunnel' || d.address === undefined)).toBe(true);
  });

  it(
    'F8: on the tunnel, the rate-limit key is CF-Connecting-IP only; ' + 'rotating X-Forwarded-For does not escape it',
    async () => {
      const t = band.tunnel!;
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const r = await healthAs(t.port, {
          host: t.host,
          'cf-connecting-ip': '198.51.100.8',
          'x-forwarded-for': `10.0.0.${i}`,
          authorization: `Bearer ${'4'.repeat(64)}`,
        });
        statuses.push(r.status);
      }
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(statuses.slice(10)).toEqual([429, 429]);
      const before = await snapshot(band);
      const limited = await healthAs(t.port, {
        host: t.host,
        'cf-connecting-ip': '198.51.100.8',
        'x-forwarded-for': '10.0.1.1',
        authorization: `Bearer ${'4'.repeat(64)}`,
      });
      await expectRefused(band, before, limited, expect, { status: 429 });
    },
  );

  it('F10: Host: <tunnel host> on the local listener → 403', async () => {
    await refusedAs(band.port, { host: band.tunnel!.host, ...bearer() }, 403);
  });

  it(
    'F11: GET /auth/hello proves the token for the Host ' + 'without a credential; a foreign Host gets no proof',
    async () => {
      const nonce = '5a'.repeat(32);
      const host = `127.0.0.1:${band.port}`;
      const r = await http(band.port, { path: `/auth/hello?n=${nonce}`, headers: { host } });
      expect(r.status).toBe(200);
      const address = `127.0.0.1:${band.port}`; // the server's own end of this connection (issue 16 #1)
      expect(JSON.parse(r.body)).toEqual({
        proof: computeHelloProof(band.token(), nonce, host, address),
        address,
        v: 2,
      });
      expect(r.headers['cache-control']).toBe('no-store');
      const before = await snapshot(band);
      await expectRefused(
        band,
        before,
        await http(band.port, { path: '/auth/hello?n=xyz', headers: { host } }),
        expect,
        {
          status: 400,
        },
      );
      const foreign = await http(band.port, {
        path: `/auth/hello?n=${nonce}`,
        headers: { host: `evil.example:${band.port}` },
      });
      await expectRefused(band, before, foreign, expect, { status: 403 });
      expect(foreign.body).not.toContain('proof');
    },
  );

  it('F12: the local listener is bound to loopback only, never 0.0.0.0', async () => {
    // What the kernel says is listening on the port: 127.0.0.1 and ::1 (both loopbacks, issue 16 #1; ::1 only when
    // the machine has one), never a wildcard.
    const listening = listeningAddresses(band.port);
    if (listening === undefined) reportMissing('F12 needs /proc/net/tcp (Linux) to read the bound address');
    else
      expect(listening).toEqual(
        band.server.origins.includes(`http://[::1]:${band.port}`) ? ['127.0.0.1', '::1'] : ['127.0.0.1'],
      );
    // And from the outside: another interface's address does not reach it.
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && !i.internal && i.family === 'IPv4');
    if (!external) reportMissing('F12 needs a non-loopback IPv4 interface to connect from');
    else {
      const reached = await new Promise<boolean>((resolve) => {
        const s = connect(band.port, external.address);
        s.on('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
      expect(reached).toBe(false);
    }
    expect(
      statusLine(await raw(band.port, `GET / HTTP/1.1\r\nHost: ${band.host}\r\nConnection: close\r\n\r\n`)),
    ).toMatch(/ 401 /);
  });

  it('F9: after the tunnel stops, its host is refused everywhere and tunnel sessions are gone', async () => {
    const t = band.tunnel!;
    const tc = await signIn(band, { port: t.port, host: t.host, ip: '198.51.100.77' });
    expect((await healthAs(t.port, { host: t.host, cookie: tc, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    await band.server.api.services.tunnel.stop();
    expect(band.server.gate.listDevices().filter((d) => d.listener === 'tunnel')).toEqual([]);
    await refusedAs(band.port, { host: t.host, ...bearer() }, 403);
  });
});
