import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { isProcessAlive, killTree, listDescendants } from '../src/process-tree.js';
import { tempDir, SLOW } from './helpers.js';

/** A node process that starts a grandchild and prints its pid. */
async function spawnTree(options: { stubborn?: boolean } = {}) {
  const trap = options.stubborn ? "process.on('SIGTERM', () => {});" : '';
  const script = `
    const { spawn } = require('node:child_process');
    const g = spawn(process.execPath, ['-e', "${trap.replace(/'/g, "\\'")} setInterval(() => {}, 1000)"], { stdio: 'ignore' });
    ${trap}
    console.log(g.pid);
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  onTestFinished(() => {
    for (const pid of [child.pid!, grandchild]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  const grandchild = Number(chunk.toString().trim());
  return { child, grandchild };
}

describe('listDescendants', () => {
  it('finds children and grandchildren', async () => {
    const { child, grandchild } = await spawnTree();
    expect(listDescendants(process.pid)).toEqual(expect.arrayContaining([child.pid, grandchild]));
    expect(listDescendants(child.pid!)).toEqual([grandchild]);
  });

  it('returns nothing for a pid that does not exist or a missing /proc', async () => {
    expect(listDescendants(2 ** 22 + 12345)).toEqual([]);
    expect(listDescendants(1, join(await tempDir(), 'no-proc'))).toEqual([]);
  });

  it('parses stat lines whose command name contains spaces and parentheses, and skips garbage', async () => {
    const proc = await tempDir();
    const stat = async (pid: number, content: string) => {
      await mkdir(join(proc, String(pid)));
      await writeFile(join(proc, String(pid), 'stat'), content);
    };
    await stat(10, '10 (init) S 1 10 10 0');
    await stat(11, '11 (evil) S 1 (x) S 10 11 11 0');
    await stat(12, '12 (a b) R 11 12 12 0');
    await stat(13, 'garbage');
    await stat(14, '14 (zombie) Z 11 14 14 0');
    await mkdir(join(proc, 'self'));
    expect(listDescendants(10, proc)).toEqual([11, 12]);
  });
});

describe('killTree', () => {
  it('stops a process and its grandchild', async () => {
    const { child, grandchild } = await spawnTree();
    await killTree(child.pid!, { graceMs: 2_000 });
    expect(isProcessAlive(child.pid!)).toBe(false);
    expect(isProcessAlive(grandchild)).toBe(false);
  });

  it('escalates to SIGKILL for processes that ignore SIGTERM', async () => {
    const { child, grandchild } = await spawnTree({ stubborn: true });
    await vi.waitFor(() => expect(listDescendants(child.pid!)).toEqual([grandchild]), SLOW);
    const started = Date.now();
    await killTree(child.pid!, { graceMs: 300 });
    expect(isProcessAlive(child.pid!)).toBe(false);
    expect(isProcessAlive(grandchild)).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reaches a detached child’s whole process group even without /proc (macOS)', async () => {
    const script = `
      const { spawn } = require('node:child_process');
      const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      console.log(g.pid);
      setInterval(() => {}, 1000);`;
    const leader = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    const [chunk] = (await once(leader.stdout!, 'data')) as [Buffer];
    const grandchild = Number(chunk.toString().trim());
    onTestFinished(() => {
      for (const pid of [leader.pid!, grandchild]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    });
    await killTree(leader.pid!, { graceMs: 2_000, procDir: join(await tempDir(), 'no-proc') });
    await vi.waitFor(() => expect(isProcessAlive(grandchild)).toBe(false), SLOW);
    expect(isProcessAlive(leader.pid!)).toBe(false);
  });

  it('treats invalid pids as not alive', () => {
    expect(isProcessAlive(-1)).toBe(false);
    expect(isProcessAlive(0)).toBe(false);
    expect(isProcessAlive(1.5)).toBe(false);
  });
});
