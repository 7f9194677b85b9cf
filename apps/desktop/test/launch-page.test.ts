import { once } from 'node:events';
import { request } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startLaunchPage } from '../src/launch-page.js';

async function page(options?: Parameters<typeof startLaunchPage>[0]) {
  const launch = await startLaunchPage(options);
  onTestFinished(() => launch.close());
  return launch;
}

/** A raw request, so the Host header and method can be anything. */
function raw(url: string, options: { method?: string; host?: string } = {}): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname: u.hostname,
        port: u.port,
        path: u.pathname,
        method: options.method ?? 'GET',
        headers: { host: options.host ?? u.host },
      },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('startLaunchPage', () => {
  it('serves a loading page whose only script is the nonce-allowed one', async () => {
    const launch = await page();
    expect(launch.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/$/);
    const res = await fetch(launch.url);
    const csp = res.headers.get('content-security-policy')!;
    const html = await res.text();
    expect(html).toContain('Starting Band…');
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1]!;
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(csp).toContain("default-src 'none'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('hands the one-time link to the first poll only', async () => {
    const launch = await page();
    const poll = fetch(`${launch.url}next`).then((r) => r.json());
    launch.proceed('http://localhost:3456/pair#c=one');
    expect(await poll).toEqual({ url: 'http://localhost:3456/pair#c=one' });
    await launch.delivered;
    const again = await fetch(`${launch.url}next`);
    expect(again.status).toBe(410);
    expect(JSON.stringify(await again.json())).not.toContain('c=one');
  });

  it('keeps the link for a window that polls only after the server is ready', async () => {
    const launch = await page();
    launch.proceed('http://localhost:3456/pair#c=late');
    expect(await (await fetch(`${launch.url}next`)).json()).toEqual({ url: 'http://localhost:3456/pair#c=late' });
  });

  it('answers "pending" when a poll times out with no news', async () => {
    const launch = await page({ pollMs: 50 });
    expect(await (await fetch(`${launch.url}next`)).json()).toEqual({ pending: true });
  });

  it('sends the window to an escaped error page on failure', async () => {
    const launch = await page();
    expect((await fetch(`${launch.url}error`)).status).toBe(404); // nothing failed yet
    launch.fail({ message: 'settings.json <script>x</script> is broken', hint: 'fix it', code: 'INVALID_JSON' });
    expect(await (await fetch(`${launch.url}next`)).json()).toEqual({ failed: true });
    const res = await fetch(`${launch.url}error`);
    const html = await res.text();
    expect(html).toContain('Band could not start');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('<script>x');
    expect(res.headers.get('content-security-policy')).not.toContain('script-src');
    launch.proceed('http://localhost:1/pair#c=too-late'); // ignored after a failure
    expect(await (await fetch(`${launch.url}next`)).json()).toEqual({ failed: true });
  });

  it('refuses other paths, other methods and other Host names (DNS rebinding)', async () => {
    const launch = await page();
    const { origin } = new URL(launch.url);
    expect((await raw(`${origin}/`)).status).toBe(404);
    expect((await raw(`${origin}/${'0'.repeat(32)}/next`)).status).toBe(404);
    expect((await raw(launch.url, { method: 'POST' })).status).toBe(403);
    expect((await raw(`${launch.url}next`, { host: `evil.example:${new URL(launch.url).port}` })).status).toBe(403);
    expect((await raw(`${launch.url}next`, { host: `localhost:${new URL(launch.url).port}` })).status).toBe(403);
  });

  it('close() ends polls in flight and stops listening', async () => {
    let pollWaiting!: () => void;
    const waiting = new Promise<void>((resolve) => (pollWaiting = resolve));
    const launch = await page({ onPollWaiting: () => pollWaiting() });
    const poll = fetch(`${launch.url}next`).then((r) => r.json());
    await waiting; // the server holds the poll
    await launch.close();
    expect(await poll).toEqual({ pending: true });
    await expect(fetch(launch.url)).rejects.toThrow();
    await launch.close();
  });

  it('close() ends connections that have not sent a whole request', async () => {
    const launch = await page();
    const { port, host } = new URL(launch.url);
    const open = async (bytes: string) => {
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => {}); // a reset is as good as a close here
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      await once(socket, 'connect');
      socket.write(bytes);
      return { closed };
    };
    // One says nothing; one stops half-way through its headers (a stalled or malicious client).
    const sockets = [
      await open(''),
      await open(`GET ${new URL(launch.url).pathname}next HTTP/1.1\r\nHost: ${host}\r\n`),
    ];
    await launch.close(); // resolves only once every connection is gone
    await Promise.all(sockets.map((s) => s.closed));
  });
});
