import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createBandClient } from '../src/band-client.js';
import { DesktopError } from '../src/errors.js';
import { TOKEN } from './helpers.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

async function startApi(answer: (seen: Seen) => { status?: number; body: string }) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const entry = { method: req.method!, url: req.url!, headers: req.headers, body };
      seen.push(entry);
      const { status = 200, body: out } = answer(entry);
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(out);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('createBandClient', () => {
  it('sends the token as a bearer header and never in the URL', async () => {
    const api = await startApi(() => ({ body: JSON.stringify({ result: { data: { ok: true, name: 'band' } } }) }));
    const client = createBandClient({ url: `${api.url}/`, token: TOKEN });
    expect(await client.health()).toEqual({ ok: true, name: 'band' });
    expect(api.seen[0]).toMatchObject({ method: 'GET', url: '/api/trpc/health' });
    expect(api.seen[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(api.seen[0]!.url).not.toContain(TOKEN);
  });

  it('posts mutations as JSON with the CSRF header', async () => {
    const api = await startApi(() => ({
      body: JSON.stringify({ result: { data: { code: 'c', expiresAt: 1, url: 'http://x/pair#c=c' } } }),
    }));
    const client = createBandClient({ url: api.url, token: TOKEN });
    expect((await client.createPairingCode()).url).toBe('http://x/pair#c=c');
    expect(api.seen[0]).toMatchObject({
      method: 'POST',
      url: '/api/trpc/auth.createPairingCode',
      body: '{"listener":"local"}',
    });
    expect(api.seen[0]!.headers['content-type']).toBe('application/json');
    expect(api.seen[0]!.headers['x-band-csrf']).toBe('1');
  });

  it('turns a tRPC error into a DesktopError carrying the server hint', async () => {
    const api = await startApi(() => ({
      status: 412,
      body: JSON.stringify({
        error: {
          message: 'cloudflared is not installed',
          data: { code: 'PRECONDITION_FAILED', hint: 'apt install cloudflared' },
        },
      }),
    }));
    const client = createBandClient({ url: api.url, token: TOKEN });
    await expect(client.startTunnel()).rejects.toMatchObject({
      code: 'REQUEST_FAILED',
      hint: 'apt install cloudflared',
    });
  });

  it('explains a 401 as a token mismatch', async () => {
    const api = await startApi(() => ({ status: 401, body: JSON.stringify({ error: { message: 'Sign in first' } }) }));
    await expect(createBandClient({ url: api.url, token: TOKEN }).health()).rejects.toMatchObject({
      hint: expect.stringContaining('token'),
    });
  });

  it('survives a non-JSON answer (another program on the port)', async () => {
    const api = await startApi(() => ({ body: '<html>not band</html>' }));
    await expect(createBandClient({ url: api.url, token: TOKEN }).health()).rejects.toBeInstanceOf(DesktopError);
  });

  it('reports an unreachable server with a hint', async () => {
    const api = await startApi(() => ({ body: '{}' }));
    const closedUrl = api.url;
    const client = createBandClient({ url: closedUrl.replace(/:\d+$/, ':1'), token: TOKEN, timeoutMs: 2_000 });
    await expect(client.health()).rejects.toMatchObject({
      code: 'REQUEST_FAILED',
      hint: expect.stringContaining('running'),
    });
  });

  it('times out on a server that never answers', async () => {
    const server = createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => {
      server.closeAllConnections();
      server.close();
    });
    const client = createBandClient({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      token: TOKEN,
      timeoutMs: 200,
    });
    await expect(client.tunnelStatus()).rejects.toMatchObject({ code: 'REQUEST_FAILED' });
  });
});
