import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { isProcessAlive, killTree, listDescendants, listProcessGroup, RecordedTree } from '../src/process-tree.js';
import { tempDir, SLOW } from './helpers.js';

/** A node process that starts a grandchild and prints its pid. */
async function spawnTree(options: { stubborn?: boolean } = {}) {
  const trap = options.stubborn ? "process.on('SIGTERM', () => {});" : '';
  const script = `
    const { spawn } = require('node:child_process');
    const g = spawn(process.execPath, ['-e', "${trap.replace(/'/g, "\\'")} setInterval(() => {}, 1000)"], { stdio: \
'ignore' });
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

describe('RecordedTree and listProcessGroup', () => {
  /** A stat line: pid, name, state, ppid, pgrp, then fields 6..21, then starttime (field 22). */
  const statLine = (pid: number, state: string, ppid: number, pgrp: number, start: number) =>
    `${pid} (node) ${state} ${ppid} ${pgrp} ${Array.from({ length: 16 }, () => '0').join(' ')} ${start} 0 0`;

  it('keeps what it saw under the root after the root is gone, and drops a pid reused by another process', async () => {
    const proc = await tempDir();
    const stat = async (pid: number, line: string) => {
      await mkdir(join(proc, String(pid)), { recursive: true });
      await writeFile(join(proc, String(pid), 'stat'), line);
    };
    await stat(20, statLine(20, 'S', 1, 20, 100));
    await stat(21, statLine(21, 'S', 20, 20, 101));
    await stat(22, statLine(22, 'S', 21, 22, 102)); // its own session and group, like a PTY shell
    const tree = new RecordedTree(20, proc);
    tree.record();
    expect(listProcessGroup(20, proc).sort()).toEqual([20, 21]);
    // The root dies: its children are re-parented to init and cannot be found from it any more.
    await rm(join(proc, '20'), { recursive: true });
    await stat(21, statLine(21, 'S', 1, 20, 101));
    await stat(22, statLine(22, 'S', 1, 22, 102));
    expect(listDescendants(20, proc)).toEqual([]);
    expect(tree.alive()).toEqual([21, 22]);
    // 22 exits and its pid goes to an unrelated process: never signalled.
    await stat(22, statLine(22, 'S', 1, 22, 999));
    expect(tree.alive()).toEqual([21]);
    await stat(21, statLine(21, 'Z', 1, 20, 101));
    expect(tree.alive()).toEqual([]);
    expect(listProcessGroup(20, proc)).toEqual([]);
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
