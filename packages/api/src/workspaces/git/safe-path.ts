import { realpath } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { BandApiError } from '../../errors.js';

/** Longest path (characters) accepted from a client. */
export const MAX_PATH_LENGTH = 4096;

export interface ResolvedPath {
  /** Normalised path relative to the root, `/`-separated; `''` is the root itself. */
  relative: string;
  /** `root` joined with `relative` (symlinks not resolved). */
  absolute: string;
  /** The resolved real path, or undefined when nothing exists there yet. */
  real: string | undefined;
}

/**
 * Checks a client-supplied path lexically and returns it normalised, relative to the workspace root.
 * Untrusted input (the phone, a link, an agent): `..`, absolute paths and `.git` are refused outright
 * rather than "cleaned", so a hostile path is an error the user sees, not a silent redirect (DESIGN §4).
 */
export function normalizeRelativePath(userPath: string): string {
  if (typeof userPath !== 'string') throw invalidPath('Path must be a string');
  if (userPath.length > MAX_PATH_LENGTH) throw invalidPath(`Path is longer than ${MAX_PATH_LENGTH} characters`);
  if (userPath.includes('\0')) throw invalidPath('Path contains a NUL byte');
  if (userPath.startsWith('/') || userPath.startsWith('\\') || /^[A-Za-z]:[\\/]/.test(userPath)) {
    throw forbidden(
      `Absolute paths are not allowed: ${JSON.stringify(userPath)}`,
      'PATH_ABSOLUTE',
      'Pass a path relative to the workspace root.',
    );
  }
  const segments: string[] = [];
  // Backslash is a legal file name character on POSIX, but `..\\..` must not sneak past on any platform.
  for (const segment of userPath.split(sep === '\\' ? /[\\/]/ : '/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..' || (sep === '/' && /^\.\.\\|\\\.\.(\\|$)/.test(segment))) {
      throw forbidden(`".." is not allowed in paths: ${JSON.stringify(userPath)}`, 'PATH_OUTSIDE_WORKSPACE');
    }
    if (segment.toLowerCase() === '.git') {
      throw forbidden(`Git internals are not accessible: ${JSON.stringify(userPath)}`, 'PATH_IN_GIT_DIR');
    }
    segments.push(segment);
  }
  return segments.join('/');
}

export interface ResolveOptions {
  /**
   * Follow a symlink in the last component. `false` for operations on the entry itself (git diffs the link
   * text, unlink removes the link), where only the parent directories must resolve inside the root.
   * @default true
   */
  shouldFollowFinalSymlink?: boolean;
}

/**
 * Resolves a client path inside `root` and proves containment on the real filesystem: the realpath of the
 * target (or of its nearest existing ancestor, for a path that does not exist yet) must be the root or below
 * it, and must not be inside `.git`. A symlink in the worktree pointing outside it (an agent can create one)
 * is therefore refused.
 */
export async function resolveInside(
  root: string,
  userPath: string,
  options: ResolveOptions = {},
): Promise<ResolvedPath> {
  const rel = normalizeRelativePath(userPath);
  const absolute = rel === '' ? root : join(root, rel);
  const realRoot = await realpath(root);
  if (options.shouldFollowFinalSymlink === false && rel !== '') {
    // The entry itself (e.g. a symlink git tracks, or one to unlink): only its directory must be inside.
    const parent = await resolveInside(root, dirname(rel) === '.' ? '' : dirname(rel));
    const real = parent.real === undefined ? undefined : join(parent.real, basename(absolute));
    return { relative: rel, absolute, real };
  }
  let real: string | undefined;
  let probe = absolute;
  for (;;) {
    try {
      const resolved = await realpath(probe);
      ensureContained(realRoot, resolved, userPath);
      if (probe === absolute) real = resolved;
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      const parent = dirname(probe);
      if (parent === probe || probe === root) break;
      probe = parent;
    }
  }
  return { relative: rel, absolute, real };
}

/** Throws FORBIDDEN when `real` is not `realRoot` or below it, or lies in its `.git`. */
export function ensureContained(realRoot: string, real: string, userPath: string): void {
  const rel = relative(realRoot, real);
  if (rel === '') return;
  if (rel === '..' || rel.startsWith(`..${sep}`) || rel.startsWith(sep) || /^[A-Za-z]:/.test(rel)) {
    throw forbidden(
      `Path leaves the workspace: ${JSON.stringify(userPath)}`,
      'PATH_OUTSIDE_WORKSPACE',
      'Symlinks that point outside the workspace cannot be read through Band.',
    );
  }
  if (rel.split(sep)[0]!.toLowerCase() === '.git') {
    throw forbidden(`Git internals are not accessible: ${JSON.stringify(userPath)}`, 'PATH_IN_GIT_DIR');
  }
}

/**
 * Refuses a regular file with more than one hard link. A hard link shares the inode of a file that may live
 * anywhere on the same filesystem (`ln ~/.ssh/id_ed25519 notes.txt`), so realpath containment proves nothing
 * for it. Git never creates hard links in a worktree, so a legitimate one is rare; the user can copy the file.
 */
export function ensureSingleLink(info: { nlink: number; isFile(): boolean }, relPath: string): void {
  if (info.isFile() && info.nlink > 1) {
    throw forbidden(
      `${JSON.stringify(relPath)} has ${info.nlink} hard links; Band does not read hard-linked files ` +
        `(another link may be outside the workspace)`,
      'HARD_LINKED_FILE',
      'To read it through Band, replace the link with a copy of the file (cp <file> <file>.copy && mv ' +
        '<file>.copy <file>).',
    );
  }
}

function invalidPath(message: string): BandApiError {
  return new BandApiError('INVALID_INPUT', message, { reason: 'INVALID_PATH' });
}

function forbidden(message: string, reason: string, hint?: string): BandApiError {
  return new BandApiError('FORBIDDEN', message, { reason, hint });
}
