import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeOwnedTempDir, sweepOwnedTempDirs } from '../src/index.js';

let parent: string;
beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'band-internal-owned-'));
});
afterEach(() => rmSync(parent, { recursive: true, force: true }));

describe('owned temp folders', () => {
  it('carry the owner pid in their name and are private', () => {
    const dir = makeOwnedTempDir('band-x-', parent);
    expect(dir).toMatch(new RegExp(`/band-x-${process.pid}-[A-Za-z0-9]{6}$`));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it(
    "a sweep removes only folders whose owner has exited: not a live process's, not this one's, not " + 'other names',
    () => {
      const dead = spawnSync(process.execPath, ['-e', '']).pid; // has exited
      const orphan = join(parent, `band-x-${dead}-AbC123`);
      const live = join(parent, `band-x-${process.ppid}-XyZ789`);
      const other = join(parent, 'band-x-notes');
      const otherPrefix = join(parent, `band-y-${dead}-AbC123`);
      for (const d of [orphan, live, other, otherPrefix]) mkdirSync(d);
      const mine = makeOwnedTempDir('band-x-', parent);
      expect(sweepOwnedTempDirs('band-x-', parent)).toEqual([orphan]);
      expect(existsSync(orphan)).toBe(false);
      expect(readdirSync(parent).sort()).toEqual(
        [
          `band-x-${process.ppid}-XyZ789`,
          'band-x-notes',
          mine.slice(parent.length + 1),
          `band-y-${dead}-AbC123`,
        ].sort(),
      );
    },
  );

  it('a missing parent folder is not an error', () => {
    expect(sweepOwnedTempDirs('band-x-', join(parent, 'missing'))).toEqual([]);
  });
});
