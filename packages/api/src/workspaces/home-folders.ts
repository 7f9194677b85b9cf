// Picking a project folder without typing a server path (issue 22): directories under the home directory only,
// confined like Files confines to a worktree (no `..`, no absolute path outside home, no symlink out of it), and
// the git repositories found under home, most recently used first.
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, isAbsolute, join, relative, sep } from 'node:path';
import { BandApiError } from '../errors.js';
import { ensureContained, resolveInside } from './git/safe-path.js';

/** The home directory the server runs with (`HOME` of its environment, else the OS's). */
export function homeDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir();
}

/** `~` and `~/…` become the home directory; `~user` is refused (the server has one user). */
export function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  if (path.startsWith('~')) {
    throw new BandApiError('INVALID_INPUT', `Only ~ (your home directory) is expanded, not ${path.split('/')[0]}`, {
      reason: 'PATH_NOT_ABSOLUTE',
      hint: 'Start the path with ~/ or give an absolute path.',
    });
  }
  return path;
}

export interface FolderEntry {
  name: string;
  /** Relative to home, `/`-separated. */
  path: string;
  /** Absolute (what `projects.register` takes). */
  absolute: string;
  /** The folder is a git repository (has `.git`). */
  isRepository: boolean;
}

export interface FolderListing {
  /** The real home directory. */
  home: string;
  /** The listed folder, relative to home (`''` is home itself). */
  path: string;
  absolute: string;
  /** Relative path of the parent, or null at home. */
  parent: string | null;
  isRepository: boolean;
  /** Sub-directories, sorted by name (hidden ones only with `showHidden`). */
  entries: FolderEntry[];
  /** More than `MAX_ENTRIES` sub-directories: the rest are left out. */
  truncated: boolean;
}

const MAX_ENTRIES = 1_000;

/**
 * Lists the sub-directories of a folder under home. `path` is relative to home, or `~/…`, or absolute (inside
 * home). Anything that leaves home (`..`, another absolute path, a symlink pointing out) is FORBIDDEN; a
 * symlinked sub-directory that points out of home is left out of the listing.
 */
export async function listHomeFolder(
  input: { path?: string; showHidden?: boolean },
  env?: NodeJS.ProcessEnv,
): Promise<FolderListing> {
  const home = homeDirectory(env);
  const realHome = await realpath(home);
  let rel = input.path ?? '';
  if (rel.startsWith('~')) rel = expandHome(rel, home);
  if (isAbsolute(rel)) {
    // An absolute path is accepted when it is home or below it (as the user sees it or as it resolves).
    const fromHome = [home, realHome]
      .map((root) => relative(root, rel))
      .find((r) => r === '' || !(r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r)));
    if (fromHome === undefined) {
      throw new BandApiError(
        'FORBIDDEN',
        `Only folders in your home directory can be browsed: ${JSON.stringify(input.path)}`,
        {
          reason: 'PATH_OUTSIDE_HOME',
          hint: `Pick a folder under ${home}.`,
        },
      );
    }
    rel = fromHome;
  }
  const resolved = await resolveInside(realHome, rel).catch((error: BandApiError) => {
    if (error.reason === 'PATH_OUTSIDE_WORKSPACE') throw outsideHome(input.path ?? '');
    throw error;
  });
  if (!resolved.real) throw notFolder(input.path ?? '');
  const info = await stat(resolved.real).catch(() => undefined);
  if (!info?.isDirectory()) throw notFolder(input.path ?? '');

  let dirents: Dirent[];
  try {
    dirents = await readdir(resolved.real, { withFileTypes: true });
  } catch (error) {
    throw new BandApiError(
      'FORBIDDEN',
      `Cannot read ${JSON.stringify(input.path ?? '~')}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      { reason: 'FOLDER_UNREADABLE' },
    );
  }
  const entries: FolderEntry[] = [];
  let truncated = false;
  for (const dirent of dirents.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!input.showHidden && dirent.name.startsWith('.')) continue;
    if (dirent.name === '.git') continue;
    const absolute = join(resolved.absolute, dirent.name);
    if (dirent.isSymbolicLink()) {
      // Followed only when it stays inside home and is a directory.
      try {
        const target = await realpath(absolute);
        ensureContained(realHome, target, dirent.name);
        if (!(await stat(target)).isDirectory()) continue;
      } catch {
        continue;
      }
    } else if (!dirent.isDirectory()) {
      continue;
    }
    if (entries.length >= MAX_ENTRIES) {
      truncated = true;
      break;
    }
    const path = resolved.relative ? `${resolved.relative}/${dirent.name}` : dirent.name;
    entries.push({ name: dirent.name, path, absolute, isRepository: await exists(join(absolute, '.git')) });
  }
  const parent =
    resolved.relative === ''
      ? null
      : resolved.relative.includes('/')
        ? resolved.relative.slice(0, resolved.relative.lastIndexOf('/'))
        : '';
  return {
    home: realHome,
    path: resolved.relative,
    absolute: resolved.absolute,
    parent,
    isRepository: await exists(join(resolved.real, '.git')),
    entries,
    truncated,
  };
}

export interface FoundRepository {
  name: string;
  /** Absolute (what `projects.register` takes). */
  path: string;
  /** Relative to home. */
  relative: string;
  /** Last activity (the newest of `.git/HEAD` and `.git/index`), ISO time. */
  modifiedAt: string;
}

export interface FindRepositoriesOptions {
  /** Folder levels below home searched. @default 4 */
  maxDepth?: number;
  /** Stop searching after this long (a huge home stays responsive). @default 2000 */
  timeBudgetMs?: number;
  /** At most this many repositories. @default 200 */
  limit?: number;
}

/** Folders never searched: caches, dependencies, OS folders. Hidden folders are skipped too. */
const SKIP = new Set([
  'node_modules',
  'Library',
  'Applications',
  'snap',
  'go',
  'venv',
  '__pycache__',
  'target',
  'dist',
  'build',
  'vendor',
  'Pictures',
  'Music',
  'Movies',
  'Videos',
]);

/**
 * The git repositories under home, breadth-first to `maxDepth` levels, within `timeBudgetMs`; not inside a
 * repository, not through symlinks, not into hidden or dependency folders. Most recently active first.
 */
export async function findHomeRepositories(
  options: FindRepositoriesOptions = {},
  env?: NodeJS.ProcessEnv,
): Promise<{ repositories: FoundRepository[]; truncated: boolean }> {
  const maxDepth = options.maxDepth ?? 4;
  const limit = options.limit ?? 200;
  const deadline = Date.now() + (options.timeBudgetMs ?? 2_000);
  const home = await realpath(homeDirectory(env));
  const found: FoundRepository[] = [];
  let truncated = false;
  let level = [home];
  for (let depth = 0; depth <= maxDepth && level.length > 0; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      if (Date.now() > deadline || found.length >= limit) {
        truncated = true;
        break;
      }
      let dirents: Dirent[];
      try {
        dirents = await readdir(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      if (dir !== home && dirents.some((d) => d.name === '.git')) {
        found.push({
          name: basename(dir),
          path: dir,
          relative: relative(home, dir).split(sep).join('/'),
          modifiedAt: await lastActivity(join(dir, '.git')),
        });
        continue;
      }
      for (const d of dirents) {
        if (d.isDirectory() && !d.isSymbolicLink() && !d.name.startsWith('.') && !SKIP.has(d.name))
          next.push(join(dir, d.name));
      }
    }
    if (truncated) break;
    level = next;
  }
  found.sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt) || a.relative.localeCompare(b.relative));
  return { repositories: found, truncated };
}

async function lastActivity(gitDir: string): Promise<string> {
  const times = await Promise.all(
    ['HEAD', 'index', ''].map((f) =>
      stat(join(gitDir, f)).then(
        (s) => s.mtimeMs,
        () => 0,
      ),
    ),
  );
  return new Date(Math.max(...times)).toISOString();
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function outsideHome(path: string): BandApiError {
  return new BandApiError('FORBIDDEN', `This folder is outside your home directory: ${JSON.stringify(path)}`, {
    reason: 'PATH_OUTSIDE_HOME',
    hint: 'Symlinks that point outside your home directory cannot be browsed.',
  });
}

function notFolder(path: string): BandApiError {
  return new BandApiError('NOT_FOUND', `No such folder: ${JSON.stringify(path)}`, { reason: 'FOLDER_NOT_FOUND' });
}
