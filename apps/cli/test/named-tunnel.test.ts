// `band tunnel setup` / `status` with a named tunnel whose ingress is configured "in Cloudflare" (the fake edge's
// remote-managed ingress), and `band token show|rotate` (issue 13).
import { chmod, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fakeAgentEnv } from '@band/agents/testing';
import {
  fakeCloudflaredEnv,
  fakeCloudflaredPath,
  fakeTunnelCredentials,
  fakeTunnelToken,
  startFakeEdge,
} from '@band/tunnel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { makeRepo, writeBandSettings } from './fixtures.js';
import { band, baseEnv, spawnBand, startTestServer, type TestServer, tempDir } from './helpers.js';

const HOST = 'band.example.test';
let srv: TestServer;
let edge: Awaited<ReturnType<typeof startFakeEdge>>;
let scratch: Awaited<ReturnType<typeof tempDir>>;
let env: NodeJS.ProcessEnv;
let originPort: number;
let caFile: string;
const CONNECT_TO = fileURLToPath(new URL('./fixtures/connect-to.mjs', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  scratch = await tempDir('band-cli-named-');
  originPort = await freePort();
  edge = await startFakeEdge({ ingress: { [HOST]: `http://127.0.0.1:${originPort}` } });
  caFile = join(scratch.path, 'edge.pem');
  await writeFile(caFile, edge.cert);
  await writeBandSettings(scratch.path);
  srv = await startTestServer({
    home: scratch.path,
    env: {
      // Each turn of the fake agent streams 20 chunks, 250 ms apart: time to cut the connection while it runs.
      ...fakeAgentEnv({ scenario: 'slow', events: 20, delayMs: 250 }),
      BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
      ...fakeCloudflaredEnv(),
      ...edge.env,
      BAND_TUNNEL_CONNECT_TO: `127.0.0.1:${edge.port}`,
      NODE_EXTRA_CA_CERTS: caFile,
    },
  });
  env = srv.env;
});

afterAll(async () => {
  await srv?.close();
  await edge?.close();
  await scratch?.cleanup();
});

describe('band tunnel setup', () => {
  it('refuses a token on the command line, a URL as hostname, and a file without a tunnel token', async () => {
    const onArgv = await band(['tunnel', 'setup', '--hostname', HOST, '--token', fakeTunnelToken()], { env });
    expect(onArgv.code).toBe(2);
    const url = await band(['tunnel', 'setup', '--hostname', `https://${HOST}/`, '--token-stdin'], {
      env,
      input: fakeTunnelToken(),
    });
    expect(url.code).toBe(2);
    expect(url.stderr).toContain('--hostname must be a hostname');
    const junk = join(scratch.path, 'junk');
    await writeFile(junk, 'not a token\n');
    const bad = await band(['tunnel', 'setup', '--hostname', HOST, '--token-file', junk], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('does not hold a Cloudflare tunnel token');
    expect(srv.server.settings.get().tunnel.mode).toBe('quick');
  });

  it(
    'saves the settings and prints exactly what to enter ' + 'in Cloudflare; status shows mode, stable URL and origin',
    async () => {
      const setup = await band(
        ['tunnel', 'setup', '--hostname', HOST.toUpperCase(), '--token-stdin', '--origin-port', String(originPort)],
        {
          env,
          input: `${fakeTunnelToken()}\n`,
        },
      );
      expect(setup.code, setup.stderr).toBe(0);
      expect(setup.stdout).toContain(`Hostname:  ${HOST}`);
      expect(setup.stdout).toContain(`Service:   HTTP  127.0.0.1:${originPort}`);
      expect(setup.stdout).toContain(`http://127.0.0.1:${originPort}`);
      const tokenFile = join(srv.home, 'tunnel-token');
      expect(srv.server.settings.get().tunnel).toMatchObject({ mode: 'named', hostname: HOST, tokenFile, originPort });
      expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
      expect((await readFile(tokenFile, 'utf8')).trim()).toBe(fakeTunnelToken());
      // The token is in neither output.
      expect(setup.stdout + setup.stderr).not.toContain(fakeTunnelToken());

      const status = JSON.parse((await band(['tunnel', 'status', '--output', 'json'], { env })).stdout);
      expect(status).toMatchObject({
        state: 'stopped',
        mode: 'named',
        url: null,
        stableUrl: `https://${HOST}`,
        origin: `http://127.0.0.1:${originPort}`,
        error: null,
      });
      expect(status).toHaveProperty('cloudflaredVersion');
    },
  );

  it(
    'band tunnel start serves the stable URL; ' + 'status --output json reports it with the origin and the version',
    async () => {
      const start = await band(['tunnel', 'start'], { env, timeoutMs: 40_000 });
      expect(start.code, start.stderr).toBe(0);
      expect(start.stdout).toBe(`https://${HOST}\n`);
      // Ready only after the hostname answered through "Cloudflare".
      expect(start.stderr).toContain(`checking that https://${HOST} reaches Band through Cloudflare`);
      const status = JSON.parse((await band(['tunnel', 'status', '--output', 'json'], { env })).stdout);
      expect(status).toMatchObject({
        state: 'ready',
        mode: 'named',
        url: `https://${HOST}`,
        origin: `http://127.0.0.1:${originPort}`,
        error: null,
      });
      expect(status.cloudflaredVersion).toMatch(/^\d{4}\.\d+\.\d+$/);
      const text = (await band(['tunnel', 'status'], { env })).stdout;
      expect(text).toMatch(/mode: +named/);
      expect(text).toContain(`origin:      http://127.0.0.1:${originPort}`);
    },
  );
});

describe('the remote CLI through the tunnel', () => {
  it('BAND_SERVER_URL=https://<host> BAND_TOKEN=… band workspaces list / tunnel status / chats ' +
    'send --watch (resuming after the edge cuts the connection), TLS trusted by NODE_EXTRA_CA_CERTS', async () => {
    const emptyHome = join(scratch.path, 'remote-home');
    const remote = (token: string) =>
      baseEnv({
        BAND_HOME: emptyHome,
        BAND_SERVER_URL: `https://${HOST}`,
        BAND_TOKEN: token,
        NODE_EXTRA_CA_CERTS: caFile,
        // A hosts entry for band.example.test, and Cloudflare's :443 being the fake edge's port.
        NODE_OPTIONS: `--import ${CONNECT_TO}`,
        BAND_TEST_CONNECT_TO: `${HOST}=127.0.0.1:${edge.port}`,
      });
    const token = srv.server.settings.get().tokenSecret;
    const list = await band(['workspaces', 'list', '--output', 'json'], { env: remote(token), timeoutMs: 30_000 });
    expect(list.code, list.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(list.stdout))).toBe(true);
    const status = await band(['tunnel', 'status', '--output', 'json'], { env: remote(token), timeoutMs: 30_000 });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'ready', mode: 'named', url: `https://${HOST}` });
    // Through the tunnel, a wrong token is refused, and the token stays local-only.
    const wrong = await band(['workspaces', 'list'], { env: remote('0'.repeat(64)), timeoutMs: 30_000 });
    expect(wrong.code).not.toBe(0);
    const show = await band(['token', 'show'], { env: remote(token) });
    expect(show.code).toBe(2);

    // `chats send --watch` through the tunnel resumes after Cloudflare cuts the connection: every event exactly once.
    const repo = await makeRepo(join(scratch.path, 'repos', 'demo'));
    expect((await band(['projects', 'add', repo], { env })).code).toBe(0);
    const ws = await band(['workspaces', 'create', 'demo', 'remote', '--output', 'json'], { env });
    const wsId = JSON.parse(ws.stdout).workspace.id;
    const watch = spawnBand(['chats', 'send', '--workspace', wsId, '--message', 'go', '--watch', '--output', 'json'], {
      env: remote(token),
      timeoutMs: 90_000,
    });
    await watch.waitFor(/chunk 3 /, 'stdout', 45_000);
    expect(edge.dropConnections()).toBeGreaterThan(0);
    await watch.waitFor(/Connection lost/, 'stderr', 20_000);
    const result = await watch.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/Reconnected/);
    const events = result.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; event: { type: string; text?: string; status?: string } });
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect(events.filter((e) => e.event.type === 'text-delta').map((e) => e.event.text?.trim())).toEqual(
      Array.from({ length: 20 }, (_, i) => `chunk ${i}`),
    );
    expect(events.at(-1)?.event).toMatchObject({ type: 'turn-end', status: 'done' });
  }, 180_000);
});

describe('band token', () => {
  it('show prints the token of settings.json, and refuses a remote server', async () => {
    const show = await band(['token', 'show'], { env });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toBe(`${srv.token}\n`);
    const remote = await band(['token', 'show'], { env: { ...env, BAND_SERVER_URL: `https://${HOST}` } });
    expect(remote.code).toBe(2);
    expect(remote.stdout).toBe('');
  });

  it(
    'rotate: a new token, the old one refused, every device ' + 'signed out, and a new QR code while the tunnel runs',
    async () => {
      // A device signed in before the rotation.
      const pair = srv.server.gate.createPairingCode('local');
      expect(pair.url).toContain('#c=');
      const rotate = await band(['token', 'rotate'], { env, timeoutMs: 30_000 });
      expect(rotate.code, rotate.stderr).toBe(0);
      expect(rotate.stdout).toContain('every device was signed out');
      expect(rotate.stdout).toContain(`https://${HOST}`);
      expect(rotate.stderr).toMatch(new RegExp(`https://${HOST.replace(/\./g, '\\.')}/pair#c=`));
      expect(rotate.stderr).toMatch(/[▄▀█]/);

      const fresh = (await band(['token', 'show'], { env })).stdout.trim();
      expect(fresh).toMatch(/^[0-9a-f]{64}$/);
      expect(fresh).not.toBe(srv.token);
      expect(srv.server.settings.get().tokenSecret).toBe(fresh);
      // The old token no longer opens anything; the new one does.
      const old = await fetch(`${srv.url}/api/trpc/tunnel.status`, {
        headers: { authorization: `Bearer ${srv.token}` },
      });
      expect(old.status).toBe(401);
      const now = await fetch(`${srv.url}/api/trpc/tunnel.status`, { headers: { authorization: `Bearer ${fresh}` } });
      expect(now.status).toBe(200);
      // The pairing code made before the rotation is void.
      const redeem = await fetch(`${srv.url}/auth/pair`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: srv.url },
        body: JSON.stringify({ code: new URL(pair.url).hash.slice(3) }),
      });
      expect(redeem.status).not.toBe(204);
      await band(['tunnel', 'stop'], { env });
    },
  );
});

describe('a locally managed tunnel (cloudflared tunnel create)', () => {
  it(
    'setup refuses cert.pem, a file every user can read ' + 'and a file without credentials; settings unchanged',
    async () => {
      const before = srv.server.settings.get().tunnel;
      const pem = join(scratch.path, 'cert.pem');
      await writeFile(pem, '-----BEGIN ARGO TUNNEL TOKEN-----\nabc\n', { mode: 0o600 });
      const cert = await band(['tunnel', 'setup', '--hostname', HOST, '--credentials-file', pem], { env });
      expect(cert.code).toBe(2);
      expect(cert.stderr).toContain('is an origin certificate (cert.pem');
      const open = fakeTunnelCredentials(await mkdtemp(join(scratch.path, 'open-')));
      await chmod(open.path, 0o644);
      const readable = await band(['tunnel', 'setup', '--hostname', HOST, '--credentials-file', open.path], { env });
      expect(readable.code).toBe(2);
      expect(readable.stderr).toContain('readable by every user');
      expect(readable.stderr).toContain(`chmod 600 ${open.path}`);
      const junk = join(scratch.path, 'junk.json');
      await writeFile(junk, '{"hello":1}', { mode: 0o600 });
      const bad = await band(['tunnel', 'setup', '--hostname', HOST, '--credentials-file', junk], { env });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('does not hold tunnel credentials');
      const both = await band(['tunnel', 'setup', '--hostname', HOST, '--credentials-file', junk, '--token-stdin'], {
        env,
        input: fakeTunnelToken(),
      });
      expect(both.code).toBe(2);
      expect(both.stderr).toContain('exactly one of --token-file <file>, --token-stdin or --credentials-file <file>');
      expect(srv.server.settings.get().tunnel).toEqual(before);
    },
  );

  it(
    'setup saves the credentials file instead of the token and prints the ' +
      'route dns command; start serves the hostname through the ingress Band wrote',
    async () => {
      const creds = fakeTunnelCredentials(await mkdtemp(join(scratch.path, 'creds-')));
      const setup = await band(
        ['tunnel', 'setup', '--hostname', HOST, '--credentials-file', creds.path, '--origin-port', String(originPort)],
        { env },
      );
      expect(setup.code, setup.stderr).toBe(0);
      expect(setup.stdout).toContain(`Locally managed tunnel ${creds.tunnelId} (band)`);
      expect(setup.stdout).toContain(`  cloudflared tunnel route dns ${creds.tunnelId} ${HOST}\n`);
      expect(setup.stdout).not.toContain('Service:');
      const saved = srv.server.settings.get().tunnel;
      expect(saved).toMatchObject({ mode: 'named', hostname: HOST, credentialsFile: creds.path, originPort });
      expect(saved.tokenFile).toBeUndefined();
      const json = await band(
        [
          'tunnel',
          'setup',
          '--hostname',
          HOST,
          '--credentials-file',
          creds.path,
          '--origin-port',
          String(originPort),
          '--output',
          'json',
        ],
        { env },
      );
      expect(JSON.parse(json.stdout)).toMatchObject({
        management: 'local',
        tunnelId: creds.tunnelId,
        routeDns: `cloudflared tunnel route dns ${creds.tunnelId} ${HOST}`,
      });

      const stopped = JSON.parse((await band(['tunnel', 'status', '--output', 'json'], { env })).stdout);
      expect(stopped).toMatchObject({
        state: 'stopped',
        mode: 'named',
        management: 'local',
        tunnelId: creds.tunnelId,
        stableUrl: `https://${HOST}`,
      });

      // What "the dashboard" says for the hostname does not matter: a locally managed tunnel brings its own ingress.
      edge.setIngress({ [HOST]: 'http_status:404' });
      try {
        const start = await band(['tunnel', 'start'], { env, timeoutMs: 40_000 });
        expect(start.code, start.stderr).toBe(0);
        expect(start.stdout).toBe(`https://${HOST}\n`);
        const status = JSON.parse((await band(['tunnel', 'status', '--output', 'json'], { env })).stdout);
        expect(status).toMatchObject({
          state: 'ready',
          management: 'local',
          tunnelId: creds.tunnelId,
          url: `https://${HOST}`,
          origin: `http://127.0.0.1:${originPort}`,
        });
        expect((await band(['tunnel', 'status'], { env })).stdout).toContain(
          `mode:        named (locally managed, tunnel ${creds.tunnelId})`,
        );
        expect(edge.routes().find((r) => r.hostname === HOST)).toMatchObject({
          origin: `http://127.0.0.1:${originPort}`,
          local: true,
        });
      } finally {
        await band(['tunnel', 'stop'], { env });
        edge.setIngress({ [HOST]: `http://127.0.0.1:${originPort}` });
      }
    },
  );
});
