// Issue 16, finding 2: another local user pre-creates the tunnel state directory `$TMPDIR/band-tunnel-<uid>` to make
// `band tunnel start` write through their symlinks or kill a process named in a forged pid record.
// (Before the fix: the planted file was truncated and the victim SIGKILLed.)
import { type ChildProcess, spawn } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Band, startBand } from './harness.js';

const uid = process.getuid?.() ?? 0;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('N: the tunnel state directory in a shared /tmp', () => {
  const saved = process.env.TMPDIR;
  let band: Band | undefined;
  let victim: ChildProcess | undefined;
  let tmp: string | undefined;
  afterEach(async () => {
    await band?.close();
    band = undefined;
    victim?.kill('SIGKILL');
    victim = undefined;
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function plant(
    kind: 'symlink' | 'foreign-owner',
  ): Promise<{ dir: string; precious: string; victimPid: number }> {
    tmp = await mkdtemp(join(tmpdir(), 'band-sec-n-'));
    // A process of "someone else" with a recognizable command line, and a file of theirs.
    victim = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)', '--', 'victim-job-marker'], {
      stdio: 'ignore',
    });
    const precious = join(tmp, 'precious.txt');
    writeFileSync(precious, 'do not truncate me\n');
    const dir = join(tmp, `band-tunnel-${uid}`);
    const planted = kind === 'symlink' ? join(tmp, 'attacker-dir') : dir;
    mkdirSync(join(planted, 'children'), { recursive: true, mode: 0o777 });
    // The config file Band writes there points at the victim's file; a forged record names the victim's process.
    symlinkSync(precious, join(planted, 'cloudflared-empty.yml'));
    writeFileSync(
      join(planted, 'children', 'forged.json'),
      JSON.stringify({ pid: victim.pid, ownerPid: 999_999, marker: 'victim-job-marker', startedAt: 0 }),
    );
    if (kind === 'symlink') symlinkSync(planted, dir);
    else if (uid === 0) chownSync(dir, 65534, 65534);
    process.env.TMPDIR = tmp;
    return { dir, precious, victimPid: victim.pid! };
  }

  it.each(['symlink', 'foreign-owner'] as const)(
    'N1/N2 (%s): band tunnel start neither writes through a planted link nor kills a process a forged record names',
    async (kind) => {
      if (kind === 'foreign-owner' && uid !== 0)
        expect(process.env.CI, 'staging another user’s directory needs root (CI is root)').toBeUndefined();
      const { precious, victimPid } = await plant(kind);
      band = await startBand({ tunnel: true });
      expect(band.server.api.services.tunnel.status().state).toBe('ready');
      // Reaping runs at the first spawn; give it its turn, then look.
      await new Promise((r) => setTimeout(r, 300));
      expect(readFileSync(precious, 'utf8')).toBe('do not truncate me\n');
      expect(alive(victimPid)).toBe(true);
      // The tunnel logged where it went instead.
      expect(band.logger.text()).toMatch(
        /band-tunnel-\d+ (is a symbolic link|belongs to uid 65534, not \d+); using .*band-tunnel-\d+-\w+ instead/,
      );
      expect(readdirSync(tmp!).some((f) => new RegExp(`^band-tunnel-${uid}-`).test(f))).toBe(true);
    },
  );
});
