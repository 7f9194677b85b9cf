import { describe, expect, it } from 'vitest';
import { type Launcher, type ProbeResult, findCloudflared, listCandidates, resolveBinary } from './binary.js';
import { TunnelError } from './errors.js';

const none = () => false;
const answers =
  (table: Record<string, ProbeResult | string>) =>
  async (l: Launcher): Promise<ProbeResult> => {
    const a = table[l.args[0] ?? l.command];
    if (a === undefined) return { output: '', code: null, signal: null, error: 'ENOENT' };
    return typeof a === 'string' ? { output: a, code: 0, signal: null } : a;
  };

describe('listCandidates / resolveBinary', () => {
  it('orders option, BAND_CLOUDFLARED_PATH, the configured path, PATH, then well-known directories', () => {
    const { candidates } = listCandidates({
      binaryPath: '/opt/cf',
      configuredPath: '/from/settings',
      env: { BAND_CLOUDFLARED_PATH: '/from/env', PATH: '/a:/b', HOME: '/h' },
      platform: 'linux',
      isExecutable: (p) => p === '/b/cloudflared' || p === '/usr/local/bin/cloudflared',
    });
    expect(candidates.map((c) => [c.command, c.source])).toEqual([
      ['/opt/cf', 'option'],
      ['/from/env', 'env'],
      ['/from/settings', 'settings'],
      ['/b/cloudflared', 'path'],
      ['/usr/local/bin/cloudflared', 'well-known'],
    ]);
  });
  it('runs a .mjs path through this Node (the fake)', () => {
    expect(resolveBinary({ binaryPath: '/k/fake.mjs' })).toEqual({
      command: process.execPath,
      args: ['/k/fake.mjs'],
      source: 'option',
    });
  });
  it.each([
    ['darwin', /brew install cloudflared/],
    ['win32', /winget install/],
    ['linux', /pkg\.cloudflare\.com/],
  ] as const)('throws BINARY_NOT_FOUND with an install hint on %s', (platform, hint) => {
    try {
      resolveBinary({ env: { PATH: '/nowhere' }, platform, isExecutable: none });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TunnelError);
      expect((error as TunnelError).code).toBe('BINARY_NOT_FOUND');
      expect((error as TunnelError).hint).toMatch(hint);
      expect((error as TunnelError).hint).toMatch(/BAND_CLOUDFLARED_PATH/);
    }
  });
});

describe('findCloudflared', () => {
  const env = { PATH: '/proj/node_modules/.bin:/usr/bin', HOME: '/h' };
  const onPath = (p: string) => p === '/proj/node_modules/.bin/cloudflared' || p === '/usr/bin/cloudflared';

  it('skips a wrapper that does not answer --version like cloudflared and takes the next candidate', async () => {
    const { binary, skipped } = await findCloudflared({
      env,
      platform: 'linux',
      isExecutable: onPath,
      probe: answers({
        '/proj/node_modules/.bin/cloudflared': '',
        '/usr/bin/cloudflared': 'cloudflared version 2023.7.3 (built 2023-07-25-1208 UTC)\n',
      }),
    });
    expect(binary).toMatchObject({ command: '/usr/bin/cloudflared', source: 'path', version: '2023.7.3' });
    expect(skipped).toEqual([
      expect.objectContaining({
        path: '/proj/node_modules/.bin/cloudflared',
        source: 'path',
        reason: expect.stringMatching(/printed nothing and exited 0/),
      }),
    ]);
  });

  it('names each path tried and why when nothing fits, with the install hint', async () => {
    const error = (await findCloudflared({
      binaryPath: '/opt/missing/cloudflared',
      env,
      platform: 'linux',
      isExecutable: onPath,
      probe: answers({
        '/proj/node_modules/.bin/cloudflared': '',
        '/usr/bin/cloudflared': { output: 'Segmentation fault', code: 139, signal: null },
      }),
    }).catch((e: TunnelError) => e)) as TunnelError;
    expect(error).toBeInstanceOf(TunnelError);
    expect(error.code).toBe('BINARY_NOT_FOUND');
    expect(error.message).toContain('/opt/missing/cloudflared (option) does not exist');
    expect(error.message).toContain('/proj/node_modules/.bin/cloudflared (PATH) is not cloudflared');
    expect(error.message).toContain(
      '/usr/bin/cloudflared (PATH) is not cloudflared: `--version` printed "Segmentation fault" and exited 139',
    );
    expect(error.hint).toMatch(/pkg\.cloudflare\.com/);
  });

  it('refuses a cloudflared older than the oldest supported version, and says which', async () => {
    const error = (await findCloudflared({
      env,
      platform: 'linux',
      isExecutable: (p) => p === '/usr/bin/cloudflared',
      probe: answers({ '/usr/bin/cloudflared': 'cloudflared version 2021.5.0 (built 2021-05-01-0000 UTC)' }),
    }).catch((e: TunnelError) => e)) as TunnelError;
    expect(error.code).toBe('UNSUPPORTED_VERSION');
    expect(error.message).toMatch(
      /cloudflared 2021\.5\.0 at \/usr\/bin\/cloudflared is too old: Band needs 2022\.1\.0 or newer/,
    );
  });

  it('prefers a newer cloudflared later on PATH over a too-old one first', async () => {
    const { binary } = await findCloudflared({
      env: { PATH: '/old:/new' },
      platform: 'linux',
      isExecutable: (p) => p.startsWith('/old/') || p.startsWith('/new/'),
      probe: answers({
        '/old/cloudflared': 'cloudflared version 2021.5.0 (built x)',
        '/new/cloudflared': 'cloudflared version 2026.8.2 (built x)',
      }),
    });
    expect(binary).toMatchObject({ command: '/new/cloudflared', version: '2026.8.2' });
  });

  it('reports a named file without the execute bit as BINARY_NOT_EXECUTABLE', async () => {
    const error = (await findCloudflared({
      binaryPath: '/etc/hostname',
      env: { PATH: '' },
      platform: 'linux',
      isExecutable: none,
      probe: async () => ({ output: '', code: null, signal: null, error: 'EACCES' }),
    }).catch((e: TunnelError) => e)) as TunnelError;
    expect(error.code).toBe('BINARY_NOT_EXECUTABLE');
    expect(error.hint).toMatch(/chmod \+x/);
  });
});
