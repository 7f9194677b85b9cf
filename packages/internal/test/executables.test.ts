// The one executable lookup that the agents (an agent's command) and the desktop app (the browser) share.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findExecutable, isExecutableFile } from '../src/index.js';

let dir: string;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function setup() {
  dir = mkdtempSync(join(tmpdir(), 'band-exec-'));
  const bin = join(dir, 'bin');
  mkdirSync(join(bin, 'folder-named-tool'), { recursive: true });
  writeFileSync(join(bin, 'tool'), '#!/bin/sh\n');
  chmodSync(join(bin, 'tool'), 0o755);
  writeFileSync(join(bin, 'plain'), 'not executable');
  return bin;
}

describe('findExecutable', () => {
  it('finds a name on PATH, skipping empty entries, folders and files without the execute bit', () => {
    const bin = setup();
    expect(findExecutable('tool', { PATH: `::${join(dir, 'missing')}:${bin}` })).toBe(join(bin, 'tool'));
    expect(findExecutable('plain', { PATH: bin })).toBeUndefined();
    expect(findExecutable('folder-named-tool', { PATH: bin })).toBeUndefined();
    expect(findExecutable('tool', { PATH: '' })).toBeUndefined();
    expect(findExecutable('', { PATH: bin })).toBeUndefined();
  });

  it('resolves a path as given: absolute as is, relative against cwd, never searched on PATH', () => {
    const bin = setup();
    expect(findExecutable(join(bin, 'tool'), { PATH: '' })).toBe(join(bin, 'tool'));
    expect(findExecutable('./bin/tool', { PATH: '' }, dir)).toBe(join(bin, 'tool'));
    expect(findExecutable('bin/tool', { PATH: bin }, join(dir, 'elsewhere'))).toBeUndefined();
  });

  it('takes a test seam for the executable check', () => {
    expect(findExecutable('anything', { PATH: '/nowhere' }, undefined, (f) => f === '/nowhere/anything')).toBe(
      '/nowhere/anything',
    );
    expect(isExecutableFile('/nowhere/anything')).toBe(false);
  });
});
