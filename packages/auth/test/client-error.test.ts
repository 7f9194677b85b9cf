// Issue 16 #7: what a listener answers when Node's parser refuses a request (cookie bombing → 431 help page).
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createClientErrorHandler, headerOverflowPage } from '../src/index.js';
import { hostOfOversizedRequest } from '../src/client-error.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()));
});

async function serve(listener: 'local' | 'tunnel', origins: string[]): Promise<number> {
  const server = createServer((_req, res) => res.end('ok'));
  server.on('clientError', createClientErrorHandler({ listener, localOrigins: () => origins, lingerMs: 500 }));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function send(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1').on('data', (c) => (received += c));
    socket.on('close', () => resolve(received));
    socket.on('error', () => {});
    socket.write(text);
  });
}

const bomb = Array.from({ length: 25 }, (_, i) => `c${i}=${'v'.repeat(4000)}`).join('; ');

describe('createClientErrorHandler', () => {
  it(
    'answers oversized headers once with the help page ' + 'naming the other origins, never reflecting unknown hosts',
    async () => {
      const origins = ['http://127.0.0.1:3456', 'http://[::1]:3456', 'http://localhost:3456'];
      const port = await serve('local', origins);
      const text = await send(port, `GET / HTTP/1.1\r\nHost: localhost:3456\r\nCookie: ${bomb}\r\n\r\n`);
      expect(text.match(/HTTP\/1\.1 431 /g)).toHaveLength(1);
      expect(text).toContain('href="http://127.0.0.1:3456/"');
      expect(text).toContain('href="http://[::1]:3456/"');
      expect(text).not.toContain('href="http://localhost:3456/"');
      expect(text).toContain('Clear the cookies of <b>localhost</b>');
      expect(text).not.toContain('vvvvvvvv');
    },
  );

  it("keeps Node's answers for other parser errors (400)", async () => {
    const port = await serve('local', []);
    expect(await send(port, 'NOT HTTP\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  });

  it("on the tunnel, says to clear the site's cookies and names no local address", async () => {
    const port = await serve('tunnel', ['http://127.0.0.1:3456']);
    const text = await send(port, `GET / HTTP/1.1\r\nHost: a-b.trycloudflare.com\r\nCookie: ${bomb}\r\n\r\n`);
    expect(text).toMatch(/^HTTP\/1\.1 431 /);
    expect(text).toContain('Strict-Transport-Security');
    expect(text).not.toContain('127.0.0.1');
  });
});

describe('hostOfOversizedRequest / headerOverflowPage', () => {
  it('reflects only a Host Band serves', () => {
    const origins = ['http://127.0.0.1:3456', 'http://localhost:3456'];
    const packet = (host: string) => Buffer.from(`GET / HTTP/1.1\r\nHost: ${host}\r\nCookie: x\r\n`, 'latin1');
    expect(hostOfOversizedRequest(packet('LOCALHOST:3456'), origins)).toBe('localhost:3456');
    expect(hostOfOversizedRequest(packet('<script>alert(1)</script>'), origins)).toBeUndefined();
    expect(hostOfOversizedRequest(packet('localhost:3457'), origins)).toBeUndefined();
    expect(hostOfOversizedRequest(undefined, origins)).toBeUndefined();
    const page = headerOverflowPage({ listener: 'local', host: undefined, origins });
    expect(page).toContain('href="http://127.0.0.1:3456/"');
    expect(page).toContain('band open');
  });
});
