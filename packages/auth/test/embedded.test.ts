// @band/auth without the rest of Band: no @band/settings, no Band home, no sessions.json. A plain node:http server
// behind the gate, with a fixed token or a token source that rotates.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createGate, type Gate, memorySessionStore, staticToken, type TokenSource } from '../src/index.js';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function gatedServer(token: string | TokenSource): Promise<{ url: string; gate: Gate }> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const gate = createGate({ token, localPort: port });
  server.on('request', async (req, res) => {
    const principal = await gate.handleRequest(req, res, 'local');
    if (!principal) return;
    res.end(`hello ${principal.kind}`);
  });
  closers.push(
    () => new Promise<void>((resolve) => server.close(() => resolve())),
    () => gate.close(),
  );
  return { url: `http://127.0.0.1:${port}`, gate };
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('an embedded gate', () => {
  it('guards a plain node:http server with a fixed token: no credential 401, the token 200', async () => {
    const token = randomBytes(32).toString('hex');
    const { url, gate } = await gatedServer(token);
    expect((await fetch(url, { headers: { accept: 'application/json' } })).status).toBe(401);
    expect((await fetch(url, bearer(randomBytes(32).toString('hex')))).status).toBe(401);
    const ok = await fetch(url, bearer(token));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('hello root');
    expect(ok.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(gate.listDevices()).toEqual([]);
  });

  it('follows a token source: a new token works at once and the old one stops working', async () => {
    let current = randomBytes(32).toString('hex');
    const listeners = new Set<(token: string) => void>();
    const source: TokenSource = {
      get: () => current,
      onChange(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const { url } = await gatedServer(source);
    const old = current;
    expect((await fetch(url, bearer(old))).status).toBe(200);
    current = randomBytes(32).toString('hex');
    for (const listener of listeners) listener(current);
    expect((await fetch(url, bearer(current))).status).toBe(200);
    expect((await fetch(url, bearer(old))).status).toBe(401);
  });

  it('keeps browser sessions in memory when it has no home', async () => {
    const token = randomBytes(32).toString('hex');
    const { url, gate } = await gatedServer(staticToken(token));
    const login = await fetch(`${url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: url, 'sec-fetch-site': 'same-origin' },
      body: JSON.stringify({ token }),
    });
    expect(login.status).toBeLessThan(300);
    const cookie = login.headers.get('set-cookie')?.split(';')[0];
    expect(cookie).toMatch(/^band_sess_\d+=/);
    expect((await fetch(url, { headers: { cookie: cookie! } })).status).toBe(200);
    expect(gate.listDevices()).toHaveLength(1);
    gate.revokeDevice(gate.listDevices()[0]!.id);
    expect((await fetch(url, { headers: { cookie: cookie!, accept: 'application/json' } })).status).toBe(401);
  });

  it('refuses a malformed token or a missing one with a message that says what a token is', () => {
    expect(() => createGate({ token: 'secret', localPort: 1 })).toThrow(/64 lowercase hex/);
    expect(() => createGate({ localPort: 1, sessions: memorySessionStore() })).toThrow(/a token is required/);
  });
});
