import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteWorktreeDir, getWorktreePath, isEmptyDir, removeEmptyParents } from './worktree-dirs.js';

let root: string;
let worktrees: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'band-worktree-dirs-'));
  worktrees = join(root, 'worktrees');
  mkdirSync(worktrees);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('getWorktreePath', () => {
  it.each([
    ['main', ['app', 'main']],
    ['feat/login', ['app', 'feat', 'login']],
    ['a/b/c', ['app', 'a', 'b', 'c']],
  ])('puts %s under <worktreesDir>/<project>/', (branch, parts) => {
    expect(getWorktreePath('/w', 'app', branch)).toBe(join('/w', ...parts));
  });

  it('refuses a branch that would leave worktreesDir', () => {
    expect(() => getWorktreePath('/w', 'app', '../../etc')).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', reason: 'INVALID_BRANCH_NAME' }),
    );
  });
});

describe('deleteWorktreeDir', () => {
  it('deletes a directory below worktreesDir, with its files', async () => {
    const dir = join(worktrees, 'app', 'feat');
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'src', 'a.ts'), 'x');
    expect(await deleteWorktreeDir(dir, worktrees)).toBe('deleted');
    expect(existsSync(dir)).toBe(false);
  });

  it('says absent when there is nothing to delete', async () => {
    expect(await deleteWorktreeDir(join(worktrees, 'app', 'gone'), worktrees)).toBe('absent');
  });

  it('refuses a link planted at the worktree path that points outside, and leaves its target alone', async () => {
    const precious = join(root, 'precious');
    mkdirSync(precious);
    writeFileSync(join(precious, 'keep.txt'), 'mine');
    mkdirSync(join(worktrees, 'app'));
    const planted = join(worktrees, 'app', 'feat');
    symlinkSync(precious, planted);
    expect(await deleteWorktreeDir(planted, worktrees)).toBe('outside');
    expect(readFileSync(join(precious, 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('refuses worktreesDir itself and a path outside it', async () => {
    expect(await deleteWorktreeDir(worktrees, worktrees)).toBe('outside');
    expect(await deleteWorktreeDir(root, worktrees)).toBe('outside');
    expect(existsSync(worktrees)).toBe(true);
  });
});

describe('removeEmptyParents', () => {
  it('removes the empty directories of a nested branch up to and including the project folder', async () => {
    const project = join(worktrees, 'app');
    mkdirSync(join(project, 'feat', 'deep'), { recursive: true });
    await removeEmptyParents(join(project, 'feat', 'deep'), project);
    expect(existsSync(project)).toBe(false);
    expect(existsSync(worktrees)).toBe(true);
  });

  it('stops at the first directory that still holds something', async () => {
    const project = join(worktrees, 'app');
    mkdirSync(join(project, 'feat', 'x'), { recursive: true });
    mkdirSync(join(project, 'feat', 'y'));
    await removeEmptyParents(join(project, 'feat', 'x'), project);
    expect(existsSync(join(project, 'feat', 'x'))).toBe(false);
    expect(existsSync(join(project, 'feat', 'y'))).toBe(true);
  });

  it('never climbs above the stop directory', async () => {
    const outside = join(root, 'empty-elsewhere');
    mkdirSync(outside);
    await removeEmptyParents(outside, join(worktrees, 'app'));
    expect(existsSync(outside)).toBe(true);
  });
});

describe('isEmptyDir', () => {
  it('is true only for an existing directory with nothing in it', async () => {
    const file = join(root, 'file');
    writeFileSync(file, '');
    expect(await isEmptyDir(worktrees)).toBe(true);
    expect(await isEmptyDir(root)).toBe(false);
    expect(await isEmptyDir(file)).toBe(false);
    expect(await isEmptyDir(join(root, 'missing'))).toBe(false);
  });
});
