import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SLOW } from '../../../tooling/testing/slow.js';
import {
  isProcessAlive,
  listProcessesWithEnvironment,
  listProcStats,
  parseProcStat,
  readProcStat,
} from '../src/index.js';

const children: number[] = [];
afterEach(() => {
  for (const pid of children.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

describe('parseProcStat', () => {
  it('reads the fields after the last ")", so a command with spaces and parentheses does not shift them', () => {
    const fields = ['S', '10', '11', '12', ...Array.from({ length: 15 }, (_, i) => String(i)), '987654', '0'];
    const stat = parseProcStat(42, `42 (evil) name (x) S) ${fields.join(' ')}`);
    expect(stat).toEqual({ pid: 42, state: 'S', ppid: 10, pgrp: 11, sid: 12, startTime: '987654' });
  });

  it('refuses a truncated or foreign line instead of returning NaN fields', () => {
    expect(parseProcStat(1, 'no parentheses here')).toBeUndefined();
    expect(parseProcStat(1, '1 (init) S 0')).toBeUndefined();
    expect(parseProcStat(1, '1 (init) S 0 1 x')).toBeUndefined();
    // Cut short after the session: the ids are there, the start time is not.
    expect(parseProcStat(1, '1 (init) S 0 1 1 0')).toEqual({
      pid: 1,
      state: 'S',
      ppid: 0,
      pgrp: 1,
      sid: 1,
      startTime: undefined,
    });
  });
});

describe('on this machine', () => {
  it('reads this process: its parent, and a start time that stays the same', () => {
    const me = readProcStat(process.pid);
    expect(me).toMatchObject({ pid: process.pid, ppid: process.ppid });
    expect(readProcStat(process.pid)?.startTime).toBe(me?.startTime);
    expect(listProcStats()?.find((s) => s.pid === process.pid)).toEqual(me);
  });

  it('a running child is alive; once it has exited, it is not', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(child.pid!);
    expect(isProcessAlive(child.pid!)).toBe(true);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(isProcessAlive(child.pid!)).toBe(false);
  });

  it('a zombie (exited, not reaped by its parent) counts as gone', async () => {
    // `sleep 0` is started by sh, which then becomes `sleep 30` (exec) and never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0 & exec sleep 30'], { stdio: 'ignore' });
    children.push(parent.pid!);
    let zombie: number | undefined;
    await vi.waitFor(() => {
      zombie = listProcStats()?.find((s) => s.ppid === parent.pid && s.state === 'Z')?.pid;
      expect(zombie).toBeDefined();
    }, SLOW);
    expect(readProcStat(zombie!)?.state).toBe('Z');
    expect(isProcessAlive(zombie!)).toBe(false);
    expect(isProcessAlive(parent.pid!)).toBe(true);
  });

  it('a pid that is not a process is not alive; without a /proc, kill(0) alone decides', () => {
    for (const pid of [0, -1, 1.5, Number.NaN, 2 ** 31]) expect(isProcessAlive(pid)).toBe(false);
    const empty = mkdtempSync(join(tmpdir(), 'band-proc-'));
    try {
      // A /proc that has no entry for a live pid: it exited between the two checks.
      expect(isProcessAlive(process.pid, { procDir: empty })).toBe(false);
      // No /proc at all (macOS): the live pid counts.
      expect(isProcessAlive(process.pid, { procDir: join(empty, 'absent') })).toBe(true);
      expect(listProcStats(join(empty, 'absent'))).toBeUndefined();
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it(
    'finds a process by a marker in its environment, even one that left the session with setsid; a longer ' +
      'or partial value does not match',
    async () => {
      const marker = `t${process.pid}x${Date.now()}`;
      // The shell starts a setsid'd job (new session, re-parented to init once the shell exits) and exits at once.
      const shell = spawn('sh', ['-c', 'setsid sleep 30 >/dev/null 2>&1 < /dev/null & echo $!'], {
        env: { ...process.env, BAND_TEST_MARK: marker },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      // Listened for at once: the shell exits right after its echo, maybe before the pid below is read.
      const shellExited = new Promise((resolve) => shell.once('exit', resolve));
      const escaped = Number(
        await new Promise<string>((resolve) => shell.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()))),
      );
      children.push(escaped);
      const other = spawn('sleep', ['30'], {
        env: { ...process.env, BAND_TEST_MARK: `${marker}0`, OTHER: marker },
        stdio: 'ignore',
      });
      children.push(other.pid!);
      await shellExited;
      // `$!` is the forked shell that is about to exec setsid: it carries the marker before it has its own session.
      await vi.waitFor(() => {
        expect(readProcStat(escaped)?.sid).toBe(escaped); // its own session: a session walk would not find it
        expect(listProcessesWithEnvironment('BAND_TEST_MARK', marker)).toEqual([escaped]);
      }, SLOW);
      expect(listProcessesWithEnvironment('BAND_TEST_MARK', marker, join(tmpdir(), 'no-proc-here'))).toEqual([]);
    },
  );
});
