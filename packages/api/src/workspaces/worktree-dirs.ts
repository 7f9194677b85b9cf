// Where a workspace's worktree lives on disk, and how its directory goes away: never outside worktreesDir, and
// taking the empty directories of a nested branch (feat/x → feat/) with it.
import { existsSync } from 'node:fs';
import { lstat, readdir, realpath, rm, rmdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { BandApiError } from '../errors.js';

/** `<worktreesDir>/<project>/<branch>`; slashes in the branch become nested directories (git forbids `..`). */
export function getWorktreePath(worktreesDir: string, projectName: string, branch: string): string {
  const path = join(worktreesDir, projectName, ...branch.split('/'));
  if (!isInside(worktreesDir, path)) {
    throw new BandApiError(
      'INVALID_INPUT',
      `Branch ${JSON.stringify(branch)} does not map to a directory under worktreesDir`,
      { reason: 'INVALID_BRANCH_NAME' },
    );
  }
  return path;
}

/**
 * Deletes a leftover worktree directory, but only when its real path is below worktreesDir's: a symlink planted
 * at the worktree's path must not make Band delete what it points to. `outside` when it refused.
 */
export async function deleteWorktreeDir(path: string, worktreesDir: string): Promise<'deleted' | 'absent' | 'outside'> {
  if (!existsSync(path)) return 'absent';
  let realRoot: string;
  let real: string;
  try {
    realRoot = await realpath(worktreesDir);
    real = await realpath(path);
  } catch {
    return 'absent';
  }
  if (!isInside(realRoot, real)) return 'outside';
  await rm(real, { recursive: true, force: true });
  return 'deleted';
}

/** Removes now-empty directories left by nested branch paths (feat/x → feat/), up to and including `stop`. */
export async function removeEmptyParents(from: string, stop: string): Promise<void> {
  let dir = from;
  while (dir.length >= stop.length && (dir === stop || dir.startsWith(stop + sep))) {
    if (!(await isEmptyDir(dir))) return;
    await rmdir(dir).catch(() => {});
    if (dir === stop) return;
    dir = dirname(dir);
  }
}

/** A directory with nothing in it (false for a file, a link, or what cannot be read). */
export async function isEmptyDir(path: string): Promise<boolean> {
  try {
    if (!(await lstat(path)).isDirectory()) return false;
    return (await readdir(path)).length === 0;
  } catch {
    return false;
  }
}

/** The resolved path, or the path itself while it does not exist. */
export async function realpathOrSelf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

/** Strictly below `root` (not `root` itself). */
function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
