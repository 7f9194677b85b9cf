import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimInstance, parseInstanceRecord, readInstanceRecord } from '../src/instance-lock.js';
import { tempDir } from './helpers.js';

async function lockFile() {
  return join(await tempDir(), 'run', 'desktop.json');
}

describe('claimInstance', () => {
  it('claims a free BAND_HOME and records the pid (0600)', async () => {
    const file = await lockFile();
    const claim = await claimInstance(file, { pid: 111, now: () => 5 });
    expect(claim.kind).toBe('claimed');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ pid: 111, state: 'starting', startedAt: 5 });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('reports a live owner instead of claiming', async () => {
    const file = await lockFile();
    const first = await claimInstance(file, { pid: 111, isAlive: () => true });
    if (first.kind !== 'claimed') throw new Error('expected a claim');
    await first.update({ state: 'ready', url: 'http://localhost:4000', port: 4000, serverPid: 222 });
    const second = await claimInstance(file, { pid: 333, isAlive: () => true });
    expect(second).toEqual({
      kind: 'taken',
      record: expect.objectContaining({ pid: 111, state: 'ready', url: 'http://localhost:4000' }),
    });
  });

  it('replaces the record of a crashed instance', async () => {
    const file = await lockFile();
    await claimInstance(file, { pid: 111 });
    const second = await claimInstance(file, { pid: 333, isAlive: (pid) => pid !== 111 });
    expect(second.kind).toBe('claimed');
    expect((await readInstanceRecord(file))?.pid).toBe(333);
  });

  it('replaces a corrupt or half-written record', async () => {
    const file = await lockFile();
    await mkdir(join(file, '..'), { recursive: true });
    for (const junk of ['', '{"pid":', 'null', '[]', '{"pid":-4,"state":"ready"}', '{"pid":1,"state":"weird"}']) {
      await writeFile(file, junk);
      const claim = await claimInstance(file, { pid: 333, isAlive: () => true });
      expect(claim.kind, junk).toBe('claimed');
      if (claim.kind === 'claimed') await claim.release();
    }
  });

  it('lets exactly one of many simultaneous launches claim', async () => {
    // 30 rounds of 8 launches: a record that exists before its content is written (open, then write) reads as
    // empty, and an empty record looks stale, so a second launch would remove it and claim as well.
    for (let round = 0; round < 30; round++) {
      const file = await lockFile();
      const results = await Promise.all(
        [1, 2, 3, 4, 5, 6, 7, 8].map((pid) => claimInstance(file, { pid: 1000 + pid, isAlive: () => true })),
      );
      expect(
        results.filter((r) => r.kind === 'claimed'),
        `round ${round}`,
      ).toHaveLength(1);
    }
  });

  it('a reader never sees the record empty or half-written, even while it is being created', async () => {
    const file = await lockFile();
    await mkdir(join(file, '..'), { recursive: true });
    // Another process reads the record in a tight loop (as a second app launched at that moment does).
    const reader = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs');const seen=new Set();const end=Date.now()+60000;process.stdin.on('data',` +
          `()=>{process.stdout.write(JSON.stringify([...seen]));process.exit(0)});(function ` +
          `loop(){for(let i=0;i<200;i++){try{seen.add(fs.readFileSync(${JSON.stringify(file)},` +
          `'utf8'))}catch{}}if(Date.now()<end)setImmediate(loop)})();`,
      ],
      { stdio: ['pipe', 'pipe', 'ignore'] },
    );
    let out = '';
    reader.stdout!.on('data', (d: Buffer) => (out += d));
    const done = new Promise((resolve) => reader.once('exit', resolve));
    for (let i = 0; i < 300; i++) {
      const claim = await claimInstance(file, { pid: 2000 + i, isAlive: () => true });
      if (claim.kind === 'claimed') await claim.release();
    }
    reader.stdin!.write('stop\n');
    await done;
    const bad = (JSON.parse(out) as string[]).filter((text) => !parseInstanceRecord(text));
    expect(bad).toEqual([]);
  });

  it('release removes only its own record', async () => {
    const file = await lockFile();
    const first = await claimInstance(file, { pid: 111 });
    if (first.kind !== 'claimed') throw new Error('expected a claim');
    await writeFile(file, JSON.stringify({ pid: 999, state: 'starting', startedAt: 1 }));
    await first.release();
    expect((await readInstanceRecord(file))?.pid).toBe(999);
    const fresh = await claimInstance(`${file}.2`, { pid: 5 });
    if (fresh.kind !== 'claimed') throw new Error('expected a claim');
    await fresh.release();
    await expect(stat(`${file}.2`)).rejects.toThrow();
    await fresh.update({ state: 'ready' }); // after release: ignored, never recreates the file
    await expect(stat(`${file}.2`)).rejects.toThrow();
  });
});

describe('parseInstanceRecord', () => {
  it('accepts only loopback server URLs (the desktop sends the bearer token there)', () => {
    const base = { pid: 1, state: 'ready', startedAt: 1 };
    expect(parseInstanceRecord(JSON.stringify({ ...base, url: 'http://localhost:3456' }))).toBeDefined();
    expect(parseInstanceRecord(JSON.stringify({ ...base, url: 'http://127.0.0.1:3456' }))).toBeDefined();
    expect(parseInstanceRecord(JSON.stringify({ ...base, url: 'http://evil.example:3456' }))).toBeUndefined();
    expect(parseInstanceRecord(JSON.stringify({ ...base, url: 'http://localhost.evil.example:80' }))).toBeUndefined();
    expect(parseInstanceRecord(JSON.stringify({ ...base, url: 'https://localhost:3456/path' }))).toBeUndefined();
    expect(parseInstanceRecord(JSON.stringify({ ...base, url: 7 }))).toBeUndefined();
  });
});
