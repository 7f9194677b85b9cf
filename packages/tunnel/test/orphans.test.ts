import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { skipWhenMissing } from '../../../tooling/testing/prerequisites.js';
import { reapOrphans } from '../src/index.js';
import { isAlive } from '../src/orphans.js';
import { harness, tempDir } from './helpers.js';

const dist = new URL('../dist/index.js', import.meta.url);

function track(child: ChildProcess): ChildProcess {
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

function killLater(pid: number | undefined): void {
  onTestFinished(() => {
    if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
  });
}

async function startParent(
  stateDir: string,
  mode: 'node' | 'setpriv' | 'no-guardian',
): Promise<{ parent: ChildProcess; pid: number }> {
  const parent = track(
    spawn(process.execPath, [new URL('./fixtures/parent.mjs', import.meta.url).pathname, stateDir, mode], {
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const rl = createInterface({ input: parent.stdout! });
  const [line] = (await once(rl, 'line')) as [string];
  const { pid } = JSON.parse(line) as { pid: number };
  killLater(pid);
  return { parent, pid };
}

const needsBuild = [
  ...(existsSync(dist) ? [] : ['packages/tunnel/dist (npm run build)']),
  ...(process.platform === 'win32' ? ['a POSIX system'] : []),
];
const needsSetpriv = existsSync('/usr/bin/setpriv') ? [] : ['/usr/bin/setpriv (Debian: util-linux)'];

describe.skipIf(skipWhenMissing('the no-orphans tests', needsBuild))('no orphans', () => {
  const guardianTest = (mode: 'node' | 'setpriv', why: string) => async () => {
    const stateDir = tempDir();
    const { parent, pid } = await startParent(stateDir, mode);
    expect(isAlive(pid)).toBe(true);
    parent.kill('SIGKILL');
    await once(parent, 'exit');
    await vi.waitFor(() => expect(isAlive(pid), why).toBe(false), { timeout: 10_000, interval: 50 });
  };
  it(
    'cloudflared dies when its parent is SIGKILLed (guardian node: the Node guardian sees its pipe close)',
    guardianTest('node', 'the Node guardian sees its pipe close'),
  );
  it.skipIf(skipWhenMissing('the setpriv guardian test', needsSetpriv))(
    'cloudflared dies when its parent is SIGKILLed (guardian setpriv: the kernel sends the parent-death signal)',
    guardianTest('setpriv', 'the kernel sends the parent-death signal'),
  );

  it('without a guardian the leftover is reaped by pid + marker on the next start', async () => {
    const stateDir = tempDir();
    const { parent, pid } = await startParent(stateDir, 'no-guardian');
    parent.kill('SIGKILL');
    await once(parent, 'exit');
    expect(isAlive(pid)).toBe(true); // the orphan a crashed run leaves behind
    const h = harness('ok', { stateDir });
    await h.tunnel.start();
    await vi.waitFor(() => expect(isAlive(pid)).toBe(false), { timeout: 10_000, interval: 50 });
  });
});

describe('reapOrphans', () => {
  function spawnSleeper(marker: string): ChildProcess {
    return track(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)', '--', marker], { stdio: 'ignore' }));
  }
  async function deadPid(): Promise<number> {
    const p = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await once(p, 'exit');
    return p.pid!;
  }

  it('kills only processes whose owner is dead and whose command line carries the marker', async () => {
    const stateDir = tempDir();
    const dir = join(stateDir, 'children');
    mkdirSync(dir, { recursive: true });
    const marked = spawnSleeper(join(stateDir, 'cloudflared-abc.pid'));
    const unmarked = spawnSleeper('/somewhere/else');
    const ownedByLive = spawnSleeper(join(stateDir, 'cloudflared-live.pid'));
    const victim = spawnSleeper('/home/other/important-job');
    const owner = await deadPid();
    writeFileSync(
      join(dir, 'a.json'),
      JSON.stringify({ pid: marked.pid, ownerPid: owner, marker: join(stateDir, 'cloudflared-abc.pid'), startedAt: 0 }),
    );
    // A reused pid: alive, but not ours (no marker) => left alone.
    writeFileSync(
      join(dir, 'b.json'),
      JSON.stringify({
        pid: unmarked.pid,
        ownerPid: owner,
        marker: join(stateDir, 'cloudflared-zzz.pid'),
        startedAt: 0,
      }),
    );
    // Owned by a live supervisor (our parent here) => left alone.
    writeFileSync(
      join(dir, 'c.json'),
      JSON.stringify({
        pid: ownedByLive.pid,
        ownerPid: process.ppid,
        marker: join(stateDir, 'cloudflared-live.pid'),
        startedAt: 0,
      }),
    );
    // A forged record whose "marker" is any string from a victim's command line => never trusted.
    writeFileSync(
      join(dir, 'e.json'),
      JSON.stringify({ pid: victim.pid, ownerPid: owner, marker: 'important-job', startedAt: 0 }),
    );
    writeFileSync(join(dir, 'd.json'), '{ not json');
    const markedExit = once(marked, 'exit');
    const killed = await reapOrphans({ stateDir });
    expect(killed).toEqual([marked.pid]);
    await markedExit;
    expect(isAlive(unmarked.pid!)).toBe(true);
    expect(isAlive(ownedByLive.pid!)).toBe(true);
    expect(isAlive(victim.pid!)).toBe(true);
    expect(existsSync(join(dir, 'd.json'))).toBe(false);
    expect(existsSync(join(dir, 'c.json'))).toBe(true);
  });

  it('returns nothing for a missing state directory', async () => {
    expect(await reapOrphans({ stateDir: join(tempDir(), 'missing') })).toEqual([]);
  });
});
