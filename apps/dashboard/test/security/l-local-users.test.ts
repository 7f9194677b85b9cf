// Attack matrix group L (issue 16): another user on this machine, a page in the browser filling its cookie jar, and
// the internet through the tunnel stopping local sign-in. Against the real server, with a real second listener on
// [::1]:<port> and the real `band` CLI (built) where the CLI is what must hold.
import { execFile } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeHelloProof } from '@band/auth';
import { startServer } from '@band/server/start';
import { afterEach, describe, expect, it } from 'vitest';
import { reportMissing } from '../../../../tooling/testing/prerequisites.js';
import { captureLogger, tempHome } from '../helpers.js';
import { type Band, expectNoSecretsLogged, http, navHeaders, raw, startBand, statusLine } from './harness.js';

const BAND_BIN = fileURLToPath(new URL('../../../cli/bin/band.js', import.meta.url));

const open: Array<{ close(): Promise<void> | void }> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

async function band(options: { tunnel?: boolean } = {}): Promise<Band> {
  const b = await startBand(options);
  open.push({ close: () => b.close() });
  return b;
}

/** The test's own process environment without BAND_* (so nothing leaks in), plus `extra`. */
function cliEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('BAND_')) delete env[key];
  return Object.assign(env, { NO_COLOR: '1' }, extra);
}

/** Runs the built `band` CLI to completion. */
function runBand(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BAND_BIN, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Listens like another local user would on [::1]:<port>; resolves the server, or the listen error's code. */
function squat(port: number, onConnection?: (socket: Socket) => void): Promise<Server | string> {
  return new Promise((resolve) => {
    const server = createServer(onConnection);
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'ERROR'));
    server.listen({ port, host: '::1', ipv6Only: true }, () => {
      open.push({ close: () => new Promise<void>((done) => server.close(() => done())) });
      resolve(server);
    });
  });
}

const hasIpv6Loopback = (b: Band) => b.server.origins.includes(`http://[::1]:${b.port}`);

describe('L. local users, a page in the browser, the tunnel against local sign-in (issue 16)', () => {
  it(
    'L1 (#1): Band holds [::1]:<port> too, so a second listener ' +
      'there fails with EADDRINUSE and ::1 reaches Band itself',
    async () => {
      const b = await band();
      if (!hasIpv6Loopback(b)) {
        // Without an IPv6 loopback nobody can listen on ::1, so there is nothing to squat.
        reportMissing('L1 needs an IPv6 loopback (::1) to run the squatter');
        return;
      }
      const squatter = await squat(b.port);
      expect(squatter).toBe('EADDRINUSE');
      // What a client that resolves localhost to ::1 reaches is Band: its proof names [::1]:<port>.
      const nonce = 'c3'.repeat(32);
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          {
            host: '::1',
            port: b.port,
            path: `/auth/hello?n=${nonce}`,
            headers: { host: `localhost:${b.port}` },
            agent: false,
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (c) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(answer.status).toBe(200);
      const address = `[::1]:${b.port}`;
      expect(JSON.parse(answer.body)).toEqual({
        proof: computeHelloProof(b.token(), nonce, `localhost:${b.port}`, address),
        address,
        v: 2,
      });
      expectNoSecretsLogged(b, expect);
    },
  );

  it(
    'L2 (#1): when another process already holds [::1]:<port>, ' +
      'Band refuses to start and names the port and webServerPort',
    async () => {
      const squatter = await squat(0);
      if (typeof squatter === 'string') {
        reportMissing(`L2 needs an IPv6 loopback (::1) to run the squatter (${squatter})`);
        return;
      }
      const port = (squatter.address() as { port: number }).port;
      const home = await tempHome();
      open.push({ close: () => home[Symbol.asyncDispose]() });
      const error = await startServer({ home: home.home, port, logger: captureLogger() }).then(
        async (server) => {
          await server.close();
          return undefined;
        },
        (e: unknown) => e as Error & { code?: string; hint?: string },
      );
      expect(error).toBeDefined();
      expect(error!.code).toBe('PORT_IN_USE');
      expect(error!.message).toContain(`Port ${port} is taken on [::1]`);
      expect(error!.message).toContain('webServerPort');
      expect(error!.hint).toMatch(/band settings set webServerPort/);
      // Nothing was left listening on 127.0.0.1:<port> either.
      const reached = await new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.on('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
      expect(reached).toBe(false);
    },
  );

  it(
    'L3 (#1): a squatter on [::1]:<port> relaying /auth/hello to the real Band gets ' +
      'a proof for 127.0.0.1; the CLI rejects it (exit 7) and never sends the token',
    async () => {
      // A Band that holds 127.0.0.1 only (an older Band, or `host` set): the relay can be placed, and the proof alone
      // must stop it.
      const home = await tempHome();
      open.push({ close: () => home[Symbol.asyncDispose]() });
      const server = await startServer({ home: home.home, port: 0, host: '127.0.0.1', logger: captureLogger() });
      open.push({ close: () => server.close() });
      const token = server.settings.get().tokenSecret;
      const relayed: Buffer[] = [];
      // A transparent TCP relay: Host, nonce and everything else reach Band untouched.
      const squatter = await squat(server.port, (client) => {
        const upstream = connect(server.port, '127.0.0.1');
        client.on('data', (chunk: Buffer) => relayed.push(chunk));
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      if (typeof squatter === 'string') {
        reportMissing(`L3 needs an IPv6 loopback (::1) to run the squatter (${squatter})`);
        return;
      }

      const result = await runBand(
        ['status'],
        cliEnv({ BAND_HOME: home.home, BAND_SERVER_URL: `http://[::1]:${server.port}` }),
      );
      expect(result.code).toBe(7);
      expect(result.stderr).toContain(`relayed a proof made for another address (127.0.0.1:${server.port})`);
      expect(result.stderr).toMatch(/the token was not sent/);
      const seen = Buffer.concat(relayed).toString('latin1');
      expect(seen).toContain('GET /auth/hello?n=');
      expect(seen.toLowerCase()).not.toContain('authorization');
      expect(seen).not.toContain(token);
      expect(result.stderr).not.toContain(token);

      // The same CLI straight to Band's own address works (the proof is right when nothing is in between).
      const direct = await runBand(
        ['status', '--output', 'json'],
        cliEnv({ BAND_HOME: home.home, BAND_SERVER_URL: server.url }),
      );
      expect(direct.code).toBe(0);
      expect(JSON.parse(direct.stdout).health.ok).toBe(true);
    },
  );

  it('L4 (#1): every URL Band prints or opens names the bound address (127.0.0.1), never localhost', async () => {
    const b = await band();
    expect(b.server.url).toBe(`http://127.0.0.1:${b.port}`);
    expect(b.server.createSignInUrl()).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${b.port}/pair#c=`));
    const printed = await runBand(['open', '--print'], cliEnv({ BAND_HOME: b.home, BAND_SERVER_URL: b.server.url }));
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${b.port}/pair#c=[A-Za-z0-9_-]{22}\\n$`));
    // The CLI's default server URL is 127.0.0.1 as well: with the port in settings.json and no BAND_SERVER_URL.
    const settingsFile = join(b.home, 'settings.json');
    const settings = JSON.parse(await readFile(settingsFile, 'utf8'));
    await writeFile(settingsFile, JSON.stringify({ ...settings, webServerPort: b.port }, null, 2));
    const status = await runBand(['status', '--output', 'json'], cliEnv({ BAND_HOME: b.home }));
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).url).toBe(`http://127.0.0.1:${b.port}`);
  });

  it(
    'L5 (#4): 40 bad pairing codes through the tunnel (40 addresses) ' +
      'invalidate only tunnel codes: a local pairing still signs in',
    async () => {
      const b = await band({ tunnel: true });
      const local = b.server.gate.createPairingCode('local');
      const tunnelCode = b.server.gate.createPairingCode('tunnel');
      b.secrets.add(local.code).add(tunnelCode.code);
      const tunnelPair = (code: string, ip: string) =>
        http(b.tunnel!.port, {
          method: 'POST',
          path: '/auth/pair',
          headers: {
            host: b.tunnel!.host,
            origin: b.tunnel!.origin,
            'content-type': 'application/json',
            'cf-connecting-ip': ip,
          },
          body: JSON.stringify({ code }),
        });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await tunnelPair('A'.repeat(22), `198.51.100.${i}`)).status);
      expect(statuses).toEqual(Array(40).fill(401));
      // The local pairing (the desktop's `band open`) is untouched by the tunnel's failures.
      const r = await http(b.port, {
        method: 'POST',
        path: '/auth/pair',
        headers: {
          host: `127.0.0.1:${b.port}`,
          origin: `http://127.0.0.1:${b.port}`,
          'sec-fetch-site': 'same-origin',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ code: local.code }),
      });
      expect(r.status).toBe(204);
      expect(String(r.headers['set-cookie'])).toMatch(/^band_sess_/);
      b.secrets.add(String(r.headers['set-cookie']).split(';')[0]!.split('=')[1]!);
      // The tunnel's own outstanding code was invalidated (20 counted failures on that listener).
      expect((await tunnelPair(tunnelCode.code, '198.51.100.200')).status).toBe(401);
      expectNoSecretsLogged(b, expect);
    },
  );

  it(
    'L6 (#4): bad tunnel attempts already answered 429 do not count: ' +
      'after 40 from one address the phone still pairs',
    async () => {
      const b = await band({ tunnel: true });
      const phoneCode = b.server.gate.createPairingCode('tunnel');
      b.secrets.add(phoneCode.code);
      const tunnelPair = (code: string, ip: string) =>
        http(b.tunnel!.port, {
          method: 'POST',
          path: '/auth/pair',
          headers: {
            host: b.tunnel!.host,
            origin: b.tunnel!.origin,
            'content-type': 'application/json',
            'cf-connecting-ip': ip,
          },
          body: JSON.stringify({ code }),
        });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await tunnelPair('B'.repeat(22), '192.0.2.66')).status);
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(statuses.slice(10)).toEqual(Array(30).fill(429)); // 30 answered 429: not let through, not counted
      const phone = await tunnelPair(phoneCode.code, '192.0.2.77');
      expect(phone.status).toBe(204);
      expect(String(phone.headers['set-cookie'])).toMatch(/^__Host-band_sess=/);
      b.secrets.add(String(phone.headers['set-cookie']).split(';')[0]!.split('=')[1]!);
      expectNoSecretsLogged(b, expect);
    },
  );

  it(
    'L7 (#5): `band open` puts no pairing code on the browser command line: ' +
      'the browser gets a 0600 redirect file, removed after the sign-in',
    async () => {
      const b = await band();
      const dir = await tempHome();
      open.push({ close: () => dir[Symbol.asyncDispose]() });
      const record = join(dir.home, 'browser.json');
      const browser = join(dir.home, 'browser.mjs');
      // The "browser": records its own /proc cmdline and the file's mode, then does what /pair does with the code.
      await writeFile(
        browser,
        `#!${process.execPath}
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
const file = fileURLToPath(process.argv[2]);
const cmdline = readFileSync('/proc/self/cmdline', 'utf8').split('\\0').filter(Boolean);
const parentCmdline = readFileSync('/proc/' + process.ppid + '/cmdline', 'utf8').split('\\0').filter(Boolean);
const html = readFileSync(file, 'utf8');
writeFileSync(${JSON.stringify(record)}, JSON.stringify({ argv: process.argv.slice(2), cmdline, parentCmdline, file, \
mode: statSync(file).mode & 0o777 }));
const url = new URL(/location\\.replace\\("([^"]+)"\\)/.exec(html)[1]);
const code = new URLSearchParams(url.hash.slice(1)).get('c');
const req = request({ host: url.hostname, port: url.port, path: '/auth/pair', method: 'POST', headers: { \
'content-type': 'application/json', origin: url.origin } }, (res) => { res.resume(); res.on('end', () => \
process.exit(res.statusCode === 204 ? 0 : 1)); });
req.end(JSON.stringify({ code }));
`,
      );
      await chmod(browser, 0o755);
      const devices = b.server.gate.listDevices().length;
      const result = await runBand(
        ['open'],
        cliEnv({ BAND_HOME: b.home, BAND_SERVER_URL: b.server.url, BROWSER: browser }),
      );
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/Signed in\./);
      const seen = JSON.parse(await readFile(record, 'utf8')) as {
        argv: string[];
        cmdline: string[];
        parentCmdline: string[];
        file: string;
        mode: number;
      };
      for (const argv of [seen.argv, seen.cmdline, seen.parentCmdline]) {
        expect(argv.join(' ')).not.toMatch(/#c=|\/pair/);
      }
      expect(seen.argv).toEqual([`file://${seen.file}`]);
      expect(seen.file.startsWith(`${b.home}/band-open-`)).toBe(true);
      expect(seen.mode).toBe(0o600);
      expect(existsSync(seen.file)).toBe(false); // removed once the browser signed in
      expect(b.server.gate.listDevices().length).toBe(devices + 1);
    },
  );

  it(
    'L8 (#7): a cookie-bombed request (25 × 4 KB localhost cookies) ' +
      'gets a page that says how to get in, not a bare 431; 127.0.0.1 still works',
    async () => {
      const b = await band();
      const bomb = Array.from({ length: 25 }, (_, i) => `junk${i}=${'x'.repeat(4000)}`).join('; ');
      const bombed = (host: string) =>
        `GET / HTTP/1.1\r\nHost: ${host}\r\nAccept: text/html\r\nSec-Fetch-Dest: document\r\n` +
        `Sec-Fetch-Mode: navigate\r\nCookie: ${bomb}\r\nConnection: close\r\n\r\n`;
      const text = await raw(b.port, bombed(`localhost:${b.port}`));
      expect(statusLine(text)).toBe('HTTP/1.1 431 Request Header Fields Too Large');
      const [head, body] = [text.slice(0, text.indexOf('\r\n\r\n')), text.slice(text.indexOf('\r\n\r\n') + 4)];
      expect(head).toMatch(/\r\ncontent-type: text\/html; charset=utf-8/i);
      expect(head).toMatch(/\r\ncontent-security-policy: default-src 'none'/i);
      expect(body).toContain('too many cookies');
      expect(body).toContain(`href="http://127.0.0.1:${b.port}/"`);
      expect(body).toContain('band open');
      expect(body).toMatch(/Clear the cookies of <b>localhost<\/b>/);
      // The owner's way in: 127.0.0.1 has its own cookie jar, so the same browser's next request there is normal.
      const clean = await http(b.port, { path: '/', headers: navHeaders(`127.0.0.1:${b.port}`) });
      expect(clean.status).toBe(401);
      expect(clean.body).toContain('data-testid="sign-in"');
      // Bombed on 127.0.0.1 instead: the page points at the other host names (their jars are separate too).
      const other = await raw(b.port, bombed(`127.0.0.1:${b.port}`));
      expect(statusLine(other)).toMatch(/ 431 /);
      expect(other).toContain(`href="http://localhost:${b.port}/"`);
      if (hasIpv6Loopback(b)) expect(other).toContain(`href="http://[::1]:${b.port}/"`);
      expect(other).not.toContain(`href="http://127.0.0.1:${b.port}/"`);
      // The server is unharmed, and nothing of the cookies reached a log line.
      expect(
        (
          await http(b.port, {
            path: '/api/trpc/health',
            headers: { host: `127.0.0.1:${b.port}`, authorization: `Bearer ${b.token()}` },
          })
        ).status,
      ).toBe(200);
      expect(b.logger.text()).not.toContain('xxxxxxxx');
      expectNoSecretsLogged(b, expect);
    },
  );
});
