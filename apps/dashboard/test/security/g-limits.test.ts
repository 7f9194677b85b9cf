// Attack matrix group G (brute force, lockout, resource exhaustion) against the real server.
import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Band,
  expectNoSecretsLogged,
  expectNothingHappened,
  expectRefused,
  http,
  type HttpResult,
  navHeaders,
  parseRaw,
  raw,
  signIn,
  snapshot,
  startBand,
  statusLine,
} from './harness.js';

let band: Band;
let localCookie: string;
beforeAll(async () => {
  band = await startBand({ tunnel: true });
  localCookie = await signIn(band);
});
afterAll(async () => {
  await band?.close();
});
afterEach(() => {
  if (band) expectNoSecretsLogged(band, expect);
});

const wrong = `Bearer ${'5'.repeat(64)}`;
const tunnelHealth = (ip: string, authorization: string) =>
  http(band.tunnel!.port, {
    path: '/api/trpc/health',
    headers: { host: band.tunnel!.host, 'cf-connecting-ip': ip, authorization },
  });

describe('G. brute force, lockout, resource exhaustion', () => {
  it(
    'G1: wrong bearer tokens from one IP through the tunnel: ' +
      '10 × 401, then 429 + Retry-After; one summary log line',
    async () => {
      const before = await snapshot(band);
      const statuses: number[] = [];
      let retryAfter: string | string[] | undefined;
      const answers: HttpResult[] = [];
      for (let i = 0; i < 40; i++) {
        const r = await tunnelHealth('192.0.2.1', wrong);
        statuses.push(r.status);
        answers.push(r);
        if (r.status === 429) retryAfter = r.headers['retry-after'];
      }
      // The first refusal and the last, checked in full.
      await expectRefused(band, before, answers[0]!, expect, { status: 401 });
      await expectRefused(band, before, answers.at(-1)!, expect, { status: 429 });
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(statuses.slice(10).every((s) => s === 429)).toBe(true);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter)).toBeLessThanOrEqual(60);
      expect(band.logger.lines.filter((l) => l.includes('rate-limited') && l.includes('192.0.2.1'))).toHaveLength(1);
      await expectNothingHappened(band, before, undefined, expect);
    },
  );

  it(
    'G2: during G1, the real phone (another IP, ' + 'valid cookie/bearer) and the desktop (local) all succeed',
    async () => {
      const phone = await signIn(band, { port: band.tunnel!.port, host: band.tunnel!.host, ip: '192.0.2.200' });
      expect(
        (
          await http(band.tunnel!.port, {
            path: '/api/trpc/health',
            headers: {
              host: band.tunnel!.host,
              cookie: phone,
              'sec-fetch-site': 'same-origin',
              'cf-connecting-ip': '192.0.2.200',
            },
          })
        ).status,
      ).toBe(200);
      expect((await tunnelHealth('192.0.2.1', `Bearer ${band.token()}`)).status).toBe(200);
      expect(
        (
          await http(band.port, {
            path: '/api/trpc/health',
            headers: { host: band.host, cookie: localCookie, 'sec-fetch-site': 'same-origin' },
          })
        ).status,
      ).toBe(200);
      const before = await snapshot(band);
      await expectRefused(
        band,
        before,
        await http(band.port, { path: '/api/trpc/health', headers: { host: band.host, authorization: wrong } }),
        expect,
        { status: 401 },
      );
    },
  );

  it(
    'G3: wrong tokens spread over many IPs trip the ' + 'global tunnel bucket; existing sessions are unaffected',
    async () => {
      let status = 0;
      for (let i = 0; i < 120 && status !== 429; i++) status = (await tunnelHealth(`203.0.113.${i}`, wrong)).status;
      expect(status).toBe(429);
      const before = await snapshot(band);
      await expectRefused(band, before, await tunnelHealth('203.0.113.250', wrong), expect, { status: 429 });
      expect((await tunnelHealth('203.0.113.251', `Bearer ${band.token()}`)).status).toBe(200);
    },
  );

  it(
    'G4: wrong ?token= navigations on the local listener: ' +
      '303 each (no cookie), then 429 once the local bucket is empty',
    async () => {
      const before = await snapshot(band);
      const statuses: number[] = [];
      const answers: HttpResult[] = [];
      for (let i = 0; i < 31; i++) {
        const r = await http(band.port, { path: `/?token=${'6'.repeat(64)}`, headers: navHeaders(band.host) });
        statuses.push(r.status);
        answers.push(r);
      }
      await expectRefused(band, before, answers[0]!, expect, { status: 303 });
      await expectRefused(band, before, answers.at(-1)!, expect, { status: 429 });
      expect(statuses.every((s) => s === 303 || s === 429)).toBe(true);
      await expectNothingHappened(band, before, undefined, expect);
      expect(
        (await http(band.port, { path: '/', headers: navHeaders(band.host, { cookie: localCookie }) })).status,
      ).toBe(200);
    },
  );

  it('G5: wrong pairing codes are 401 (or 429 when limited) and never sign in', async () => {
    const before = await snapshot(band);
    for (let i = 0; i < 10; i++) {
      const r = await http(band.tunnel!.port, {
        method: 'POST',
        path: '/auth/pair',
        headers: {
          host: band.tunnel!.host,
          origin: band.tunnel!.origin,
          'content-type': 'application/json',
          'cf-connecting-ip': `192.0.2.${50 + i}`,
        },
        body: JSON.stringify({ code: 'A'.repeat(22) }),
      });
      await expectRefused(band, before, r, expect, { status: [401, 429] });
    }
    await expectNothingHappened(band, before, undefined, expect);
  });

  it.each([
    [
      'a 64 KB Cookie header',
      `GET / HTTP/1.1\r\nHost: HOST\r\nCookie: ${'a'.repeat(64 * 1024)}\r\nConnection: close\r\n\r\n`,
      /^HTTP\/1\.1 431 /,
    ],
    [
      '100 headers of 1 KB',
      `GET / HTTP/1.1\r\nHost: HOST\r\n` +
        `${Array.from({ length: 100 }, (_, i) => `X-H${i}: ${'b'.repeat(1024)}\r\n`).join('')}` +
        `Connection: close\r\n\r\n`,
      /^HTTP\/1\.1 431 /,
    ],
    [
      'a 1 MB URL',
      `GET /${'c'.repeat(1024 * 1024)} HTTP/1.1\r\nHost: HOST\r\nConnection: close\r\n\r\n`,
      /^HTTP\/1\.1 (414|431) /,
    ],
  ])('G6: %s → 431/414, no crash', async (_n, text, expected) => {
    const before = await snapshot(band);
    const out = await raw(band.port, text.replace('HOST', band.host));
    expect(statusLine(out)).toMatch(expected);
    // Refused by Node's parser limits, before the gate: Connection: close, no cookie, no CORS, nothing changed.
    const answer = parseRaw(out);
    await expectRefused(band, before, answer, expect, { status: answer.status, from: 'node' });
    expect(
      (
        await http(band.port, {
          path: '/api/trpc/health',
          headers: { host: band.host, authorization: `Bearer ${band.token()}` },
        })
      ).status,
    ).toBe(200);
  });

  it('G8: a 5 MB JSON body to a mutation → 413 (declared length), and 413 when streamed without a length', async () => {
    const before = await snapshot(band);
    const declared = await raw(
      band.port,
      `POST /api/trpc/settings.set HTTP/1.1\r\nHost: ${band.host}\r\nAuthorization: Bearer ${band.token()}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${5 * 1024 * 1024}\r\n` +
        `Connection: close\r\n\r\n{"key":"labels","value":[`,
    );
    expect(statusLine(declared)).toBe('HTTP/1.1 413 Payload Too Large');
    await expectRefused(band, before, parseRaw(declared), expect, { status: 413 });
    const chunked = await new Promise<number>((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: band.port,
          method: 'POST',
          path: '/api/trpc/settings.set',
          headers: {
            host: band.host,
            authorization: `Bearer ${band.token()}`,
            'content-type': 'application/json',
            'transfer-encoding': 'chunked',
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', () => resolve(-1));
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 5 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect([413, -1]).toContain(chunked);
    await expectNothingHappened(band, before, undefined, expect);
  });

  it('G9: ?batch=1 with 1000 procedure paths → 400', async () => {
    const paths = Array(1000).fill('health').join(',');
    const before = await snapshot(band);
    const r = await http(band.port, {
      path: `/api/trpc/${paths}?batch=1`,
      headers: { host: band.host, authorization: `Bearer ${band.token()}` },
    });
    await expectRefused(band, before, r, expect, { status: 400 });
  });

  it('G7: slowloris: a client that never finishes its headers is cut off (408) after headersTimeout', async () => {
    // A second server with a short headersTimeout, so the test does not wait the 10 s default.
    const slow = await startBand({ headersTimeoutMs: 1_000 });
    try {
      const { connect } = await import('node:net');
      const before = await snapshot(slow);
      const socket = connect(slow.port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk) => (received += chunk));
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write(`GET / HTTP/1.1\r\nHost: ${slow.host}\r\nX-Slow: 1`);
      const started = Date.now();
      await closed;
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(received.startsWith('HTTP/1.1 408')).toBe(true);
      await expectRefused(slow, before, parseRaw(received), expect, { status: 408, from: 'node' });
      expectNoSecretsLogged(slow, expect);
    } finally {
      await slow.close();
    }
  });
});
