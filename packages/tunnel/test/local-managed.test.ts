// Locally managed named tunnels (`cloudflared tunnel create`): credentials-file checks, the config Band writes, the
// argv, and the whole path through the fake cloudflared and the fake edge (issue 13).
import {
  chmodSync,
  existsSync,
  linkSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SLOW } from '../../../tooling/testing/slow.js';
import { TunnelError, buildArgs, buildLocalConfig, createTunnel, readTunnelCredentials } from '../src/index.js';
import {
  fakeCloudflaredEnv,
  fakeCloudflaredPath,
  fakeTunnelCredentials,
  fakeTunnelToken,
  startFakeEdge,
} from '../src/testing/index.js';
import { baseEnv, tempDir } from './helpers.js';

const HOST = 'band.example.test';
const ID = '6ff42ae2-765d-4adf-8112-31c55c1551ef';

function refused(fn: () => unknown): TunnelError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TunnelError);
    return error as TunnelError;
  }
  throw new Error('expected a TunnelError');
}

describe('readTunnelCredentials', () => {
  it('reads the tunnel id of a file from `cloudflared tunnel create` (keys in any case, as Go does)', () => {
    const dir = tempDir();
    const { path } = fakeTunnelCredentials(dir);
    expect(readTunnelCredentials(path)).toMatchObject({ path, tunnelId: ID, tunnelName: 'band', warnings: [] });
    const lower = join(dir, 'lower.json');
    writeFileSync(lower, JSON.stringify({ accounttag: 'abc', tunnelsecret: 'c2VjcmV0', tunnelid: ID.toUpperCase() }), {
      mode: 0o600,
    });
    expect(readTunnelCredentials(lower).tunnelId).toBe(ID);
  });

  it.each([
    ['a missing file', (dir: string) => join(dir, 'nope.json'), /does not exist/, /tunnel\.credentialsFile/],
    ['a directory', (dir: string) => dir, /not a regular file/, /cloudflared tunnel create/],
    [
      'cert.pem',
      (dir: string) => {
        const p = join(dir, 'cert.pem');
        writeFileSync(p, '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n', { mode: 0o600 });
        return p;
      },
      /origin certificate \(cert\.pem/,
      /<TunnelID>\.json/,
    ],
    [
      'not JSON',
      (dir: string) => {
        const p = join(dir, 'x.json');
        writeFileSync(p, 'TunnelID: 1', { mode: 0o600 });
        return p;
      },
      /not valid JSON/,
      /cloudflared tunnel create/,
    ],
    [
      'no TunnelID',
      (dir: string) => fakeTunnelCredentials(dir, { fields: { TunnelID: undefined } }).path,
      /no valid TunnelID/,
      /before 2020\.11/,
    ],
    [
      'no TunnelSecret',
      (dir: string) => fakeTunnelCredentials(dir, { fields: { TunnelSecret: undefined } }).path,
      /no valid TunnelSecret/,
      /cloudflared tunnel create/,
    ],
    [
      'a file every user can read',
      (dir: string) => {
        const { path } = fakeTunnelCredentials(dir);
        chmodSync(path, 0o644);
        return path;
      },
      /readable by every user .*mode 644/,
      /chmod 600/,
    ],
    [
      'a hard-linked file',
      (dir: string) => {
        const { path } = fakeTunnelCredentials(dir);
        linkSync(path, join(dir, 'other-link.json'));
        return path;
      },
      /2 hard links/,
      /cp .* && chmod 600/,
    ],
  ])('refuses %s with CREDENTIALS_INVALID and a hint', (_name, make, message, hint) => {
    const error = refused(() => readTunnelCredentials(make(tempDir())));
    expect(error.code).toBe('CREDENTIALS_INVALID');
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(hint);
  });

  it('warns about a group-readable file, follows a symlink, and checks a given tunnel id against the file', () => {
    const dir = tempDir();
    const { path } = fakeTunnelCredentials(dir);
    chmodSync(path, 0o640);
    expect(readTunnelCredentials(path).warnings[0]).toMatch(/readable by its group .*chmod 600/);
    chmodSync(path, 0o600);
    symlinkSync(path, join(dir, 'link.json'));
    expect(readTunnelCredentials(join(dir, 'link.json')).tunnelId).toBe(ID);
    const other = refused(() => readTunnelCredentials(path, { tunnelId: '11111111-2222-4333-8444-555555555555' }));
    expect(other).toMatchObject({ code: 'CREDENTIALS_INVALID' });
    expect(other.message).toContain(`is for tunnel ${ID}, not 11111111-2222-4333-8444-555555555555`);
    expect(refused(() => readTunnelCredentials(path, { tunnelId: 'band' })).code).toBe('CONFIG_ERROR');
    // An old file without TunnelID works when the id is given.
    const old = fakeTunnelCredentials(tempDir(), { fields: { TunnelID: undefined } });
    expect(readTunnelCredentials(old.path, { tunnelId: ID }).tunnelId).toBe(ID);
  });
});

describe('the generated config and argv', () => {
  it('holds the tunnel, the credentials file and the ingress: hostname to Band, then the 404 catch-all', () => {
    const yaml = buildLocalConfig({
      tunnelId: ID,
      credentialsFile: '/home/me/.cloudflared/a b.json',
      hostname: 'Band.Example.Test',
      url: 'http://127.0.0.1:3457',
    });
    expect(yaml).toContain(`tunnel: "${ID}"`);
    expect(yaml).toContain('credentials-file: "/home/me/.cloudflared/a b.json"');
    expect(yaml).toContain(
      'ingress:\n  - hostname: "band.example.test"\n    service: ' +
        '"http://127.0.0.1:3457"\n  - service: "http_status:404"\n',
    );
  });

  it('runs `tunnel --config <file> … run <TunnelID>`: no --url (refused next to ingress rules), no token', () => {
    const args = buildArgs(
      { url: 'http://127.0.0.1:3457', mode: 'named', credentialsFile: '/c.json', tunnelId: ID },
      { configPath: '/state/cfg.yml', pidFile: '/state/p.pid', version: '2025.8.1' },
    );
    expect(args.slice(0, 4)).toEqual(['tunnel', '--no-autoupdate', '--config', '/state/cfg.yml']);
    expect(args.slice(-2)).toEqual(['run', ID]);
    expect(args).not.toContain('--url');
    expect(args.join(' ')).not.toMatch(/token/);
  });

  it('refuses a credentials file together with a token, and a bad file before spawning anything', () => {
    const { path } = fakeTunnelCredentials(tempDir());
    const both = refused(() =>
      createTunnel({
        url: 'http://127.0.0.1:9',
        mode: 'named',
        hostname: HOST,
        credentialsFile: path,
        token: fakeTunnelToken(),
      }),
    );
    expect(both.code).toBe('CONFIG_ERROR');
    const missing = refused(() =>
      createTunnel({
        url: 'http://127.0.0.1:9',
        mode: 'named',
        hostname: HOST,
        credentialsFile: '/nonexistent/x.json',
      }),
    );
    expect(missing.code).toBe('CREDENTIALS_INVALID');
  });
});

async function startOrigin(): Promise<{ url: string; hosts: string[] }> {
  const hosts: string[] = [];
  const server = http.createServer((req, res) => {
    hosts.push(req.headers.host ?? '');
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('band origin\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hosts };
}

function get(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        servername: host,
        path: '/',
        headers: { host },
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('through the fake cloudflared and the fake edge', () => {
  it(
    'the hostname reaches the origin through the ingress ' + 'Band wrote; the config is 0600 and removed on stop',
    async () => {
      const origin = await startOrigin();
      // The dashboard's ingress would send the hostname elsewhere: a locally managed tunnel ignores it.
      const edge = await startFakeEdge({ hostnames: [HOST], ingress: { [HOST]: 'http_status:404' } });
      onTestFinished(() => edge.close());
      const creds = fakeTunnelCredentials(tempDir());
      const stateDir = tempDir();
      const fakeDir = join(tempDir(), 'fake');
      const lines: string[] = [];
      const tunnel = createTunnel({
        url: origin.url,
        mode: 'named',
        hostname: HOST,
        credentialsFile: creds.path,
        binaryPath: fakeCloudflaredPath,
        stateDir,
        readyPollMs: 40,
        env: baseEnv({ ...edge.env, ...fakeCloudflaredEnv({ stateDir: fakeDir }), TUNNEL_TOKEN: fakeTunnelToken() }),
      });
      tunnel.on('log', (l) => lines.push(l.raw));
      onTestFinished(() => tunnel.stop());
      expect(await tunnel.start()).toEqual({ url: `https://${HOST}` });
      expect(tunnel.status()).toMatchObject({ management: 'local', tunnelId: ID });
      await edge.waitForRoute(HOST, SLOW.timeout);
      expect(await get(edge.port, HOST)).toEqual({ status: 200, body: 'band origin\n' });
      expect(origin.hosts).toEqual([HOST]);
      // cloudflared's own words: the tunnel it starts, its credentials file among the settings; no remote
      // configuration.
      expect(lines.join('\n')).toContain(`Starting tunnel tunnelID=${ID}`);
      expect(lines.join('\n')).toContain(`credentials-file:${creds.path}`);
      expect(lines.join('\n')).not.toContain('Updated to new configuration');
      const record = JSON.parse(readFileSync(join(fakeDir, readdirSync(fakeDir)[0]!), 'utf8')) as {
        argv: string[];
        env: Record<string, string>;
      };
      expect(record.argv.slice(-2)).toEqual(['run', ID]);
      expect(record.env.TUNNEL_TOKEN).toBeUndefined(); // stripped: it would win over the credentials file
      const configPath = record.argv[record.argv.indexOf('--config') + 1]!;
      expect(readFileSync(configPath, 'utf8')).toContain(`service: "${origin.url}"`);
      expect(statSync(configPath).mode & 0o777).toBe(0o600);
      expect(readdirSync(stateDir).filter((f) => f.endsWith('.yml') && f !== 'cloudflared-empty.yml')).toHaveLength(1);
      await tunnel.stop();
      expect(existsSync(configPath)).toBe(false);
      expect((await get(edge.port, HOST)).status).toBe(530);
    },
  );

  it('a hostname DNS-routed to the tunnel without a rule gets the catch-all 404', async () => {
    const origin = await startOrigin();
    const edge = await startFakeEdge({ hostnames: [HOST, 'other.example.test'] });
    onTestFinished(() => edge.close());
    const tunnel = createTunnel({
      url: origin.url,
      mode: 'named',
      hostname: HOST,
      credentialsFile: fakeTunnelCredentials(tempDir()).path,
      binaryPath: fakeCloudflaredPath,
      stateDir: tempDir(),
      readyPollMs: 40,
      env: baseEnv({ ...edge.env, ...fakeCloudflaredEnv({ hostname: 'other.example.test' }) }),
    });
    onTestFinished(() => tunnel.stop());
    await tunnel.start();
    await edge.waitForRoute('other.example.test', SLOW.timeout);
    expect(await get(edge.port, 'other.example.test')).toEqual({ status: 404, body: '404 page not found\n' });
    expect(origin.hosts).toEqual([]);
  });

  it.each(['2022.10.3', '2023.7.3', '2026.5.0'])(
    'runs on cloudflared %s too (the fake in that version profile)',
    async (version) => {
      const origin = await startOrigin();
      const edge = await startFakeEdge({ hostnames: [HOST] });
      onTestFinished(() => edge.close());
      const tunnel = createTunnel({
        url: origin.url,
        mode: 'named',
        hostname: HOST,
        credentialsFile: fakeTunnelCredentials(tempDir()).path,
        binaryPath: fakeCloudflaredPath,
        stateDir: tempDir(),
        readyPollMs: 40,
        env: baseEnv({ ...edge.env, ...fakeCloudflaredEnv({ version }) }),
      });
      onTestFinished(() => tunnel.stop());
      await tunnel.start();
      expect(tunnel.status().version).toBe(version);
      await edge.waitForRoute(HOST, SLOW.timeout);
      expect((await get(edge.port, HOST)).status).toBe(200);
    },
  );

  it('credentials the edge refuses fail fast with AUTH_FAILED naming the credentials, not a hang', async () => {
    const tunnel = createTunnel({
      url: 'http://127.0.0.1:9',
      mode: 'named',
      hostname: HOST,
      credentialsFile: fakeTunnelCredentials(tempDir()).path,
      binaryPath: fakeCloudflaredPath,
      stateDir: tempDir(),
      readyPollMs: 40,
      env: baseEnv(fakeCloudflaredEnv({ scenario: 'auth-fail' })),
    });
    onTestFinished(() => tunnel.stop());
    const error = (await tunnel.start().catch((e: unknown) => e)) as TunnelError;
    expect(error.code).toBe('AUTH_FAILED');
    expect(error.message).toContain('Cloudflare refused the tunnel credentials: Unauthorized: Invalid tunnel secret');
    expect(error.hint).toContain('cloudflared tunnel list');
    expect(tunnel.state.s).toBe('failed');
  });

  it('a file that turns bad between two starts fails the next start with CREDENTIALS_INVALID', async () => {
    const dir = tempDir();
    const creds = fakeTunnelCredentials(dir);
    const tunnel = createTunnel({
      url: 'http://127.0.0.1:9',
      mode: 'named',
      hostname: HOST,
      credentialsFile: creds.path,
      binaryPath: fakeCloudflaredPath,
      stateDir: tempDir(),
      readyPollMs: 40,
      env: baseEnv(fakeCloudflaredEnv()),
    });
    onTestFinished(() => tunnel.stop());
    await tunnel.start();
    await tunnel.stop();
    writeFileSync(creds.path, 'garbage');
    const error = (await tunnel.start().catch((e: unknown) => e)) as TunnelError;
    expect(error).toMatchObject({ code: 'CREDENTIALS_INVALID' });
    expect(error.message).toContain('not valid JSON');
  });
});

describe('the fake refuses what cloudflared refuses, in its words', () => {
  // Band checks first, so these are driven through the fake directly, as a user's own config would.
  async function runFake(
    args: string[],
    env: Record<string, string> = {},
  ): Promise<{ code: number | null; stderr: string; stdout: string }> {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [fakeCloudflaredPath, ...args], {
      env: baseEnv({ ...fakeCloudflaredEnv(), ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    return { code, stderr, stdout };
  }

  it('a missing credentials file, invalid JSON, cert.pem, no tunnel to run', async () => {
    const dir = tempDir();
    const config = (creds: string) => {
      const p = join(dir, `cfg-${Math.random().toString(16).slice(2)}.yml`);
      writeFileSync(
        p,
        buildLocalConfig({ tunnelId: ID, credentialsFile: creds, hostname: HOST, url: 'http://127.0.0.1:9' }),
      );
      return p;
    };
    const missing = await runFake(['tunnel', '--config', config(join(dir, 'gone.json')), 'run', ID]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      new RegExp(
        `INF Starting tunnel tunnelID=${ID}\\nTunnel credentials file '${dir}/gone.json' doesn't ` +
          `exist or is not a file\\n$`,
      ),
    );

    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '{nope');
    const bad = await runFake(['tunnel', '--config', config(junk), 'run', ID]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`ERR The credentials file at ${junk} contained invalid JSON.`);
    expect(bad.stderr.trimEnd().split('\n').at(-1)).toBe('Invalid JSON when parsing tunnel credentials file');

    const pem = join(dir, 'cert.pem');
    writeFileSync(pem, '-----BEGIN ARGO TUNNEL TOKEN-----\n');
    expect((await runFake(['tunnel', '--config', config(pem), 'run', ID])).stderr).toContain(
      'should be .json but you gave a .pem',
    );

    const empty = join(dir, 'empty.yml');
    writeFileSync(empty, '{}\n');
    const none = await runFake(['tunnel', '--config', empty, 'run']);
    expect(none.code).toBe(255);
    expect(none.stderr).toContain('"cloudflared tunnel run" requires the ID or name of the tunnel to run');
  });

  it('Band classifies those exits: the fake behind a bypassed pre-check fails with CREDENTIALS_INVALID', async () => {
    // A file Band accepted whose JSON cloudflared cannot decode (TunnelSecret is not base64): cloudflared's own
    // refusal.
    const { path } = fakeTunnelCredentials(tempDir(), { fields: { TunnelSecret: 'not base64!' } });
    const tunnel = createTunnel({
      url: 'http://127.0.0.1:9',
      mode: 'named',
      hostname: HOST,
      credentialsFile: path,
      binaryPath: fakeCloudflaredPath,
      stateDir: tempDir(),
      readyPollMs: 40,
      env: baseEnv(fakeCloudflaredEnv()),
    });
    onTestFinished(() => tunnel.stop());
    const error = (await tunnel.start().catch((e: unknown) => e)) as TunnelError;
    expect(error.code).toBe('CREDENTIALS_INVALID');
    expect(error.message).toContain('Invalid JSON when parsing tunnel credentials file');
    expect(error.exitCode).toBe(1);
  });
});
