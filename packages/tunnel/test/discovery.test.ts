import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type TunnelLogger, type TunnelState, createTunnel } from '../src/index.js';
import { fakeCloudflaredEnv, fakeCloudflaredPath, fakeTunnelToken } from '../src/testing/index.js';
import { baseEnv, harness, rejection, tempDir } from './helpers.js';

function recordingLogger(): TunnelLogger & { lines: string[] } {
  const lines: string[] = [];
  const push = (m: string) => lines.push(m);
  return { lines, debug: push, info: push, warn: push, error: push };
}

/** A directory holding an executable `cloudflared` with the given shell body. */
function binDir(body: string): string {
  const dir = tempDir();
  const file = join(dir, 'cloudflared');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return dir;
}

describe('discovery on PATH, as `npm start` finds it', () => {
  it('the workspace installs no `cloudflared` launcher where npm scripts put their PATH (node_modules/.bin)', () => {
    // npm start, the CLI and the desktop app run with node_modules/.bin on PATH: the bench's comparison
    // libraries live in bench/compare with their own install for that reason.
    const bin = new URL('../../../node_modules/.bin/', import.meta.url);
    expect(existsSync(new URL('./untun', bin))).toBe(false);
    expect(existsSync(new URL('./cloudflared', bin))).toBe(false);
  });

  it('skips the npm "cloudflared" launcher (prints nothing, exits 0) and runs the real one behind it', async () => {
    const wrapper = binDir('exit 0'); // what node_modules/.bin/cloudflared of the npm package does offline
    const real = binDir(`exec "${process.execPath}" "${fakeCloudflaredPath}" "$@"`);
    const logger = recordingLogger();
    const stateDir = tempDir();
    const tunnel = createTunnel({
      url: 'http://127.0.0.1:9',
      stateDir,
      readyPollMs: 40,
      logger,
      env: baseEnv({ ...fakeCloudflaredEnv({ version: '2024.2.1' }), PATH: `${wrapper}:${real}:/usr/bin:/bin` }),
    });
    try {
      await tunnel.start();
      expect(tunnel.status()).toMatchObject({ version: '2024.2.1', binaryPath: join(real, 'cloudflared') });
      expect(logger.lines.join('\n')).toContain(`skipped ${join(wrapper, 'cloudflared')}: is not cloudflared`);
    } finally {
      await tunnel.stop();
    }
  });

  it('fails with every path tried when PATH holds only wrappers', async () => {
    const wrapper = binDir('echo "Installing cloudflared…" >&2; exit 1');
    const tunnel = createTunnel({
      url: 'http://127.0.0.1:9',
      stateDir: tempDir(),
      env: baseEnv({ PATH: `${wrapper}:/nonexistent`, HOME: tempDir() }),
    });
    const error = await rejection(tunnel.start());
    expect(error.code).toBe('BINARY_NOT_FOUND');
    expect(error.message).toContain(
      `${join(wrapper, 'cloudflared')} (PATH) is not cloudflared: \`--version\` ` +
        `printed "Installing cloudflared…" and exited 1`,
    );
    expect(error.hint).toMatch(/BAND_CLOUDFLARED_PATH/);
  });

  it('the configured path (settings) comes after BAND_CLOUDFLARED_PATH and before PATH', async () => {
    const configured = binDir(`exec "${process.execPath}" "${fakeCloudflaredPath}" "$@"`);
    const h = harness('ok', {
      binaryPath: undefined,
      configuredPath: join(configured, 'cloudflared'),
      env: { PATH: '/usr/bin:/bin' },
    });
    await h.tunnel.start();
    expect(h.tunnel.status().binaryPath).toBe(join(configured, 'cloudflared'));
  });
});

describe('flags follow the version', () => {
  it('cloudflared 2023.7.3 gets the token file through TUNNEL_TOKEN, not --token-file, and connects', async () => {
    const dir = tempDir();
    const file = join(dir, 'token');
    const token = fakeTunnelToken();
    writeFileSync(file, `${token}\n`);
    const h = harness(
      'ok',
      { mode: 'named', hostname: 'band.example.com', tokenFile: file },
      { FAKE_CFD_VERSION: '2023.7.3' },
    );
    const { url } = await h.tunnel.start();
    expect(url).toBe('https://band.example.com');
    const [rec] = h.records();
    expect(rec?.argv).not.toContain('--token-file');
    expect(rec?.argv.join(' ')).not.toContain(token);
    expect(rec?.env.TUNNEL_TOKEN).toBe('<set>');
    expect(h.tunnel.logs().join('\n')).not.toContain(token);
  });

  it('cloudflared 2025.8.1 gets --token-file', async () => {
    const dir = tempDir();
    const file = join(dir, 'token');
    writeFileSync(file, fakeTunnelToken());
    const h = harness(
      'ok',
      { mode: 'named', hostname: 'band.example.com', tokenFile: file },
      { FAKE_CFD_VERSION: '2025.8.1' },
    );
    await h.tunnel.start();
    expect(h.records()[0]?.argv).toEqual(expect.arrayContaining(['--token-file', file]));
    expect(h.records()[0]?.env).not.toHaveProperty('TUNNEL_TOKEN');
  });

  it('logFormat json on 2023.7.3 reads text logs (the flag would be Incorrect Usage) and says so', async () => {
    const logger = recordingLogger();
    const h = harness('ok', { logFormat: 'json', logger }, { FAKE_CFD_VERSION: '2023.7.3' });
    await h.tunnel.start();
    expect(h.records()[0]?.argv).not.toContain('--output');
    expect(logger.lines.join('\n')).toMatch(/2023\.7\.3 has no --output json/);
  });

  it('a missing token file is a clear AUTH_FAILED before anything runs', async () => {
    const h = harness(
      'ok',
      { mode: 'named', hostname: 'band.example.com', tokenFile: '/nonexistent/token' },
      { FAKE_CFD_VERSION: '2023.7.3' },
    );
    const error = await rejection(h.tunnel.start());
    expect(error.code).toBe('AUTH_FAILED');
    expect(error.message).toMatch(/Cannot read the tunnel token file \/nonexistent\/token: ENOENT/);
    expect(h.records()).toHaveLength(0);
  });
});

describe('the DNS wait before a quick tunnel is offered', () => {
  it('stays starting (phase dns) until the new hostname resolves, then is ready', async () => {
    let calls = 0;
    const resolveHostname = async () => (++calls >= 3 ? ['104.16.230.132'] : []);
    const tunnel = createTunnel(
      {
        url: 'http://127.0.0.1:9',
        binaryPath: fakeCloudflaredPath,
        stateDir: tempDir(),
        readyPollMs: 40,
        dnsWaitMs: 10_000,
        env: baseEnv(fakeCloudflaredEnv()),
      },
      { resolveHostname },
    );
    const seen: TunnelState[] = [];
    tunnel.on('state', (s) => seen.push(s));
    let urlAtReady: string | undefined;
    tunnel.on('ready', (u) => (urlAtReady = u));
    try {
      const { url } = await tunnel.start();
      expect(calls).toBe(3);
      expect(urlAtReady).toBe(url);
      const dns = seen.findIndex((s) => s.s === 'starting' && s.phase === 'dns');
      expect(dns).toBeGreaterThan(-1);
      expect(seen.findIndex((s) => s.s === 'ready')).toBeGreaterThan(dns);
    } finally {
      await tunnel.stop();
    }
  });

  it('is bounded: a name that never resolves is offered after dnsWaitMs, with a warning', async () => {
    const logger = recordingLogger();
    const tunnel = createTunnel(
      {
        url: 'http://127.0.0.1:9',
        binaryPath: fakeCloudflaredPath,
        stateDir: tempDir(),
        readyPollMs: 40,
        dnsWaitMs: 600,
        logger,
        env: baseEnv(fakeCloudflaredEnv()),
      },
      { resolveHostname: async () => [] },
    );
    try {
      await tunnel.start();
      expect(logger.lines.join('\n')).toMatch(/did not resolve within 1 s; offering the URL anyway/);
    } finally {
      await tunnel.stop();
    }
  });

  it('is skipped when DNS cannot be queried at all from here', async () => {
    const logger = recordingLogger();
    const tunnel = createTunnel(
      {
        url: 'http://127.0.0.1:9',
        binaryPath: fakeCloudflaredPath,
        stateDir: tempDir(),
        readyPollMs: 40,
        dnsWaitMs: 60_000,
        logger,
        env: baseEnv(fakeCloudflaredEnv()),
      },
      { resolveHostname: async () => Promise.reject(Object.assign(new Error('offline'), { code: 'ECONNREFUSED' })) },
    );
    try {
      await tunnel.start();
      expect(logger.lines.join('\n')).toMatch(/DNS wait skipped, DNS cannot be queried from here \(ECONNREFUSED\)/);
    } finally {
      await tunnel.stop();
    }
  });

  it('named tunnels do not wait: their hostname is the user’s, long in DNS', async () => {
    let calls = 0;
    const tunnel = createTunnel(
      {
        url: 'http://127.0.0.1:9',
        mode: 'named',
        hostname: 'band.example.com',
        token: fakeTunnelToken(),
        binaryPath: fakeCloudflaredPath,
        stateDir: tempDir(),
        readyPollMs: 40,
        dnsWaitMs: 60_000,
        env: baseEnv(fakeCloudflaredEnv()),
      },
      {
        resolveHostname: async () => {
          calls++;
          return [];
        },
      },
    );
    try {
      await tunnel.start();
      expect(calls).toBe(0);
    } finally {
      await tunnel.stop();
    }
  });
});

describe('restart() and connection events', () => {
  it('restart() gives a quick tunnel a new URL and a named tunnel the same one', async () => {
    const quick = harness('ok');
    const a = await quick.tunnel.start();
    const b = await quick.tunnel.restart();
    expect(b.url).not.toBe(a.url);
    expect(quick.tunnel.state.s).toBe('ready');
    const named = harness('ok', { mode: 'named', hostname: 'band.example.com', token: fakeTunnelToken() });
    const c = await named.tunnel.start();
    const d = await named.tunnel.restart();
    expect(d.url).toBe(c.url);
    expect(named.records()).toHaveLength(2);
  });

  it('emits connection and disconnection as the edge drops and comes back', async () => {
    const h = harness('drop-after=300,400');
    const events: string[] = [];
    h.tunnel.on('connection', (c) => events.push(`connection ${c.index} ${c.protocol}`));
    h.tunnel.on('disconnection', (c) => events.push(`disconnection ${c.index}`));
    await h.tunnel.start();
    await h.tunnel.waitFor((s) => s.s === 'degraded', { timeoutMs: 5_000 });
    await h.tunnel.waitFor((s) => s.s === 'ready', { timeoutMs: 5_000 });
    expect(events).toEqual(['connection 0 quic', 'disconnection 0', 'connection 0 quic']);
  });
});

describe('the state directory', () => {
  const savedTmp = process.env.TMPDIR;
  afterEach(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  });
  const uid = process.getuid?.() ?? 0;

  it('a default directory planted as a symlink by someone else is not used: a private one is', async () => {
    const tmp = tempDir();
    const target = join(tmp, 'attacker');
    mkdirSync(target);
    symlinkSync(target, join(tmp, `band-tunnel-${uid}`));
    process.env.TMPDIR = tmp;
    const logger = recordingLogger();
    const tunnel = createTunnel({
      url: 'http://127.0.0.1:9',
      binaryPath: fakeCloudflaredPath,
      readyPollMs: 40,
      logger,
      env: baseEnv(fakeCloudflaredEnv()),
    });
    try {
      await tunnel.start();
      expect(readdirSync(target)).toEqual([]);
      expect(logger.lines.join('\n')).toMatch(/is a symbolic link; using .*band-tunnel-\d+-\w+ instead/);
    } finally {
      await tunnel.stop();
    }
  });

  it('a default directory owned by another user is not used (needs root to stage; CI runs as root)', async () => {
    const tmp = tempDir();
    const foreign = join(tmp, `band-tunnel-${uid}`);
    mkdirSync(foreign, { mode: 0o777 });
    if (uid === 0) chownSync(foreign, 65534, 65534);
    else expect(process.env.CI, 'staging another user’s directory needs root').toBeUndefined();
    process.env.TMPDIR = tmp;
    const logger = recordingLogger();
    const tunnel = createTunnel({
      url: 'http://127.0.0.1:9',
      binaryPath: fakeCloudflaredPath,
      readyPollMs: 40,
      logger,
      env: baseEnv(fakeCloudflaredEnv()),
    });
    try {
      await tunnel.start();
      if (uid === 0) {
        expect(logger.lines.join('\n')).toMatch(/belongs to uid 65534/);
        expect(existsSync(join(foreign, 'cloudflared-empty.yml'))).toBe(false);
      }
    } finally {
      await tunnel.stop();
    }
  });

  it('an explicit stateDir that is a symlink is refused with CONFIG_ERROR', async () => {
    const tmp = tempDir();
    mkdirSync(join(tmp, 'real'));
    symlinkSync(join(tmp, 'real'), join(tmp, 'link'));
    const h = harness('ok', { stateDir: join(tmp, 'link') });
    const error = await rejection(h.tunnel.start());
    expect(error.code).toBe('CONFIG_ERROR');
    expect(error.message).toMatch(/is a symbolic link/);
  });
});
