import { describe, expect, it } from 'vitest';
import { clearSessionCookie, cookieValues, serializeSessionCookie } from './cookies.js';
import { createPairingCodes } from './pairing.js';
import { createRateLimiter } from './rate-limiter.js';
import { deriveCookieKey, newSessionId, signSessionCookie, verifySessionCookie } from './session-cookie.js';
import { createTokenVerifier } from './token-verifier.js';

const TOK = '0123456789abcdef'.repeat(4);

describe('token verifier (A3-A6)', () => {
  const v = createTokenVerifier(TOK);
  it.each([
    [TOK, true],
    [TOK.toUpperCase(), false],
    [`${TOK}\n`, false],
    [` ${TOK}`, false],
    [TOK.slice(0, 63), false],
    [`${TOK}0`, false],
    ['', false],
    ['x'.repeat(10_000), false],
    [`${TOK.slice(0, 63)}0`, false],
    [`1${TOK.slice(1)}`, false],
  ])('%j → %s, never throws', (presented, ok) => {
    expect(v.verify(presented)).toBe(ok);
  });
  it('rejects non-strings', () => expect(v.verify(42 as never)).toBe(false));
  it('once it accepted the token (cached), still refuses every near miss, and accepts the token again', () => {
    const cached = createTokenVerifier(TOK);
    expect(cached.verify(TOK)).toBe(true);
    for (let i = 0; i < 64; i++) {
      const flipped = `${TOK.slice(0, i)}${TOK[i] === 'f' ? 'e' : 'f'}${TOK.slice(i + 1)}`;
      expect(cached.verify(flipped)).toBe(false);
    }
    expect(cached.verify(TOK.toUpperCase())).toBe(false);
    expect(cached.verify(TOK)).toBe(true);
  });
  it("a rotated token's verifier refuses the old token at once, even after the old one was accepted", () => {
    const old = createTokenVerifier(TOK);
    expect(old.verify(TOK)).toBe(true);
    const rotated = createTokenVerifier('f'.repeat(64));
    expect(rotated.verify(TOK)).toBe(false);
    expect(rotated.verify('f'.repeat(64))).toBe(true);
    expect(rotated.verify(TOK)).toBe(false);
  });
});

describe('session cookie MAC', () => {
  const key = deriveCookieKey(TOK);
  const sid = newSessionId();
  const value = signSessionCookie(key, sid, 2_000, 'local', 'local:3456');
  it('verifies for the same listener and binding before expiry', () => {
    expect(verifySessionCookie(key, value, 'local', 'local:3456', 1_000)).toEqual({ sid, expiry: 2_000 });
  });
  it.each([
    ['another key', deriveCookieKey('f'.repeat(64)), value, 'local', 'local:3456', 1_000],
    ['another listener', key, value, 'tunnel', 'local:3456', 1_000],
    ['another binding', key, value, 'local', 'local:9999', 1_000],
    ['expired', key, value, 'local', 'local:3456', 2_000],
    ['tampered expiry', key, value.replace('.2000.', '.9000.'), 'local', 'local:3456', 1_000],
    ['tampered sid', key, value.replace(sid, 'A'.repeat(22)), 'local', 'local:3456', 1_000],
    ['garbage', key, 'v1...', 'local', 'local:3456', 1_000],
    ['huge', key, 'x'.repeat(5000), 'local', 'local:3456', 1_000],
  ] as const)('refuses %s', (_n, k, v, listener, binding, now) => {
    expect(verifySessionCookie(k, v, listener, binding, now)).toBeUndefined();
  });
});

describe('cookies', () => {
  it('cookieValues returns every value of a name and never throws', () => {
    expect(cookieValues('a=1; b=2; a=3', 'a')).toEqual(['1', '3']);
    expect(cookieValues('a="q"', 'a')).toEqual(['q']);
    expect(cookieValues('%E0%A4%A; =; a', 'a')).toEqual([]);
    expect(cookieValues(undefined, 'a')).toEqual([]);
    expect(cookieValues('a=1'.padEnd(20_000, ' '), 'a')).toEqual([]);
  });
  it('serializes the flags per listener', () => {
    expect(serializeSessionCookie('tunnel', '__Host-band_sess', 'v', 60)).toBe(
      '__Host-band_sess=v; Path=/; Max-Age=60; HttpOnly; SameSite=Strict; Secure',
    );
    expect(serializeSessionCookie('local', 'band_sess_3456', 'v', 60)).toBe(
      'band_sess_3456=v; Path=/; Max-Age=60; HttpOnly; SameSite=Strict',
    );
    expect(clearSessionCookie('local', 'band_sess_1')).toContain('Max-Age=0');
  });
});

describe('rate limiter', () => {
  it('empties after capacity failures and refills with time; check never consumes', () => {
    let now = 0;
    const rl = createRateLimiter(
      () => ({ capacity: 3, refillPerMinute: 6 }),
      () => now,
    );
    expect(rl.check(['k']).ok).toBe(true);
    expect([rl.fail(['k']).ok, rl.fail(['k']).ok, rl.fail(['k']).ok]).toEqual([true, true, true]);
    const limited = rl.fail(['k']);
    expect(limited).toEqual({ ok: false, retryAfterSec: 10 });
    expect(rl.check(['other']).ok).toBe(true);
    now += 10_000;
    expect(rl.check(['k']).ok).toBe(true);
  });
  it('keeps memory bounded under many keys', () => {
    const rl = createRateLimiter(
      () => ({ capacity: 1, refillPerMinute: 1 }),
      () => 0,
      100,
    );
    for (let i = 0; i < 1000; i++) rl.fail([`ip:${i}`]);
    expect(rl.size()).toBeLessThanOrEqual(100);
  });
});

describe('pairing codes', () => {
  it('are single use, expire, and are bound to listener and binding', () => {
    const p = createPairingCodes({ ttlMs: 100 });
    const a = p.mint('local', 'local:1', 0);
    expect(a.code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(p.redeem(a.code, 'tunnel', 'local:1', 1)).toBeUndefined();
    expect(p.redeem(a.code, 'local', 'local:2', 1)).toBeUndefined();
    expect(p.redeem(a.code, 'local', 'local:1', 1)).toBeDefined();
    expect(p.redeem(a.code, 'local', 'local:1', 1)).toBeUndefined();
    const b = p.mint('local', 'local:1', 0);
    expect(p.redeem(b.code, 'local', 'local:1', 100)).toBeUndefined();
    expect(p.redeem('../../etc', 'local', 'local:1', 0)).toBeUndefined();
  });

  it("invalidate only the failing listener's codes after maxFailures; a mint on that listener resets its count", () => {
    const p = createPairingCodes({ maxFailures: 3 });
    const local = p.mint('local', 'local:1', 0);
    const tunnel = p.mint('tunnel', 'tunnel:h', 0);
    for (let i = 0; i < 3; i++) p.recordFailure('tunnel');
    expect(p.redeem(tunnel.code, 'tunnel', 'tunnel:h', 1)).toBeUndefined();
    expect(p.redeem(local.code, 'local', 'local:1', 1)).toBeDefined();
    p.recordFailure('tunnel');
    p.recordFailure('tunnel');
    const fresh = p.mint('tunnel', 'tunnel:h', 2);
    expect(p.failures('tunnel')).toBe(0);
    p.recordFailure('tunnel');
    p.recordFailure('tunnel');
    expect(p.redeem(fresh.code, 'tunnel', 'tunnel:h', 3)).toBeDefined();
  });
});
