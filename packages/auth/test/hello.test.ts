// F11: `GET /auth/hello?n=<nonce>` proves the server holds the token without the caller sending one.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computeHelloProof, formatSocketAddress, HELLO_NONCE_PATTERN, HELLO_PROOF_VERSION } from '../src/index.js';
import {
  createTestGate,
  startGatedServer,
  type GatedServer,
  type TestGate,
  bearerHeader,
} from '../src/testing/index.js';
import { http } from './helpers.js';

let t: TestGate;
let srv: GatedServer;
let host: string;
/** The server's end of every test connection (the test server listens on 127.0.0.1). */
let local: string;
const nonce = 'ab'.repeat(32);

beforeEach(async () => {
  t = await createTestGate();
  srv = await startGatedServer(t.gate);
  t.gate.setLocalPort(srv.port);
  host = `127.0.0.1:${srv.port}`;
  local = host;
});

afterEach(async () => {
  expect(t.logger.text()).not.toContain(t.token);
  await srv.close();
  await t.close();
});

const hello = (n: string, headers: Record<string, string> = { host }, method = 'GET') =>
  http(srv.port, { method, path: `/auth/hello?n=${n}`, headers });

describe('GET /auth/hello (F11)', () => {
  it('answers the HMAC proof for the nonce and Host, without any credential, and only the proof', async () => {
    const r = await hello(nonce);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(r.body) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['proof', 'address', 'v']);
    expect(body).toMatchObject({ address: local, v: HELLO_PROOF_VERSION });
    expect(body.proof).toBe(computeHelloProof(t.token, nonce, host, local));
    expect(body.proof).toMatch(/^[0-9a-f]{64}$/);
    expect(r.body).not.toContain(t.token);
    expect(r.headers['set-cookie']).toBeUndefined();
    expect(srv.reached).toEqual([]);
  });

  it('is not cacheable and carries the security headers, with no CORS', async () => {
    const r = await hello(nonce);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['content-security-policy']).toContain(`frame-ancestors 'none'`);
    expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it(
    'binds the proof to the Host, the nonce and the local address: ' +
      'another port, host, address or nonce gives another proof',
    async () => {
      const proof = computeHelloProof(t.token, nonce, host, local);
      const other = JSON.parse((await hello(nonce, { host: `localhost:${srv.port}` })).body).proof;
      expect(other).toBe(computeHelloProof(t.token, nonce, `localhost:${srv.port}`, local));
      expect(other).not.toBe(proof);
      expect(computeHelloProof(t.token, nonce, '127.0.0.1:1', local)).not.toBe(proof);
      expect(computeHelloProof(t.token, 'cd'.repeat(32), host, local)).not.toBe(proof);
      // Relayed: the same nonce and Host, checked for the address a squatter listens on.
      expect(computeHelloProof(t.token, nonce, host, `[::1]:${srv.port}`)).not.toBe(proof);
      expect(computeHelloProof(t.token, nonce, host, `127.0.0.1:${srv.port + 1}`)).not.toBe(proof);
      // Upper-case hex is the same nonce.
      expect(JSON.parse((await hello(nonce.toUpperCase())).body).proof).toBe(proof);
    },
  );

  it('refuses malformed nonces with 400 and no proof', async () => {
    const bad = [
      '',
      'a'.repeat(31),
      'a'.repeat(129),
      'g'.repeat(32),
      `${'a'.repeat(32)}%00`,
      `${'a'.repeat(32)}&n=${'b'.repeat(32)}`,
      '%20'.repeat(32),
    ];
    for (const n of bad) {
      const r = await hello(n);
      expect(r.status, n).toBe(400);
      expect(r.body).not.toContain('proof');
    }
    const none = await http(srv.port, { path: '/auth/hello', headers: { host } });
    expect(none.status).toBe(400);
    expect(HELLO_NONCE_PATTERN.test('a'.repeat(32))).toBe(true);
    expect(HELLO_NONCE_PATTERN.test('a'.repeat(128))).toBe(true);
  });

  it('runs after the Host gate: a foreign Host gets 403 and no proof', async () => {
    for (const h of ['evil.example', `127.0.0.1:${srv.port + 1}`, `0.0.0.0:${srv.port}`]) {
      const r = await hello(nonce, { host: h });
      expect(r.status, h).toBe(403);
      expect(JSON.parse(r.body).error).toBe('HOST_NOT_ALLOWED');
    }
  });

  it('answers GET only', async () => {
    const r = await hello(nonce, { host, 'content-type': 'application/json' }, 'POST');
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET');
  });

  it('changes its proof when the token rotates', async () => {
    const before = JSON.parse((await hello(nonce)).body).proof;
    const oldToken = t.token;
    await t.settings.update((s) => ({ ...s, tokenSecret: 'c'.repeat(64) }));
    const after = JSON.parse((await hello(nonce)).body).proof;
    expect(after).not.toBe(before);
    expect(after).toBe(computeHelloProof('c'.repeat(64), nonce, host, local));
    expect(before).toBe(computeHelloProof(oldToken, nonce, host, local));
  });

  it('is rate-limit-neutral: many hellos and bad nonces do not lock out a valid bearer', async () => {
    for (let i = 0; i < 40; i++) {
      expect((await hello(i % 2 ? nonce : 'zz')).status).toBe(i % 2 ? 200 : 400);
    }
    expect((await http(srv.port, { path: '/api/trpc/x', headers: { host, ...bearerHeader(t.token) } })).status).toBe(
      200,
    );
    expect((await hello(nonce)).status).toBe(200);
  });
});

describe('formatSocketAddress', () => {
  it.each([
    ['127.0.0.1', 3456, '127.0.0.1:3456'],
    ['::ffff:127.0.0.1', 3456, '127.0.0.1:3456'],
    ['::1', 3456, '[::1]:3456'],
    ['::FFFF:7F00:1', 1, '[::ffff:7f00:1]:1'],
    [undefined, 3456, ''],
  ])('%s port %s → %s', (address, port, expected) => {
    expect(formatSocketAddress(address, port)).toBe(expected);
  });
});
