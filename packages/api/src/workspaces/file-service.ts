import { constants } from 'node:fs';
import { lstat, open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store, Workspace } from '@band/store';
import { BandApiError } from '../errors.js';
import { hasNulByte } from './git/parse.js';
import { ensureSingleLink, resolveInside } from './git/safe-path.js';
import { ensureWorktreeExists } from './change-service.js';
import { resolveWorkspaceRecord } from './workspace-service.js';

export interface FileEntry {
  name: string;
  /** Relative to the workspace root, `/`-separated. */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  /** Bytes (files only). */
  size?: number;
}

export interface DirectoryListing {
  path: string;
  /** Directories first, then by name. `.git` is never listed. */
  entries: FileEntry[];
  /** More than `maxEntries` entries: the rest were left out. */
  truncated: boolean;
}

export type FileContent =
  | { path: string; size: number; binary: false; tooLarge: false; content: string }
  | { path: string; size: number; binary: true; tooLarge: false }
  | { path: string; size: number; binary: false; tooLarge: true };

export interface FileService {
  /** One directory of the worktree (lazy tree): `path` '' is the root. */
  list(input: { workspace: string; path?: string }): Promise<DirectoryListing>;
  /** A file's content as UTF-8 text, or `{ binary: true }` / `{ tooLarge: true }`. Untrusted: render as text. */
  read(input: { workspace: string; path: string }): Promise<FileContent>;
}

export interface FileServiceDeps {
  store: Store;
  /** @default 1 MiB */
  maxFileBytes?: number;
  /** @default 5_000 */
  maxEntries?: number;
}

export const fileDefaults = Object.freeze({ maxFileBytes: 1024 * 1024, maxEntries: 5_000 });

export function createFileService(deps: FileServiceDeps): FileService {
  const maxFileBytes = deps.maxFileBytes ?? fileDefaults.maxFileBytes;
  const maxEntries = deps.maxEntries ?? fileDefaults.maxEntries;

  function workspaceOf(ref: string): Workspace {
    const ws = resolveWorkspaceRecord(deps.store, ref);
    ensureWorktreeExists(ws);
    return ws;
  }

  return {
    async list({ workspace, path = '' }) {
      const ws = workspaceOf(workspace);
      const target = await resolveInside(ws.path, path);
      if (!target.real) throw notFound(path);
      const info = await stat(target.real);
      if (!info.isDirectory()) {
        throw new BandApiError('INVALID_INPUT', `Not a directory: ${target.relative}`, { reason: 'NOT_A_DIRECTORY' });
      }
      const dirents = await readdir(target.real, { withFileTypes: true });
      const entries: FileEntry[] = [];
      for (const d of dirents) {
        if (d.name === '.git') continue;
        const rel = target.relative ? `${target.relative}/${d.name}` : d.name;
        const type: FileEntry['type'] = d.isDirectory()
          ? 'directory'
          : d.isFile()
            ? 'file'
            : d.isSymbolicLink()
              ? 'symlink'
              : 'other';
        entries.push({ name: d.name, path: rel, type });
      }
      entries.sort((a, b) =>
        a.type === 'directory' && b.type !== 'directory'
          ? -1
          : b.type === 'directory' && a.type !== 'directory'
            ? 1
            : a.name < b.name
              ? -1
              : a.name > b.name
                ? 1
                : 0,
      );
      const truncated = entries.length > maxEntries;
      const kept = entries.slice(0, maxEntries);
      await Promise.all(
        kept
          .filter((e) => e.type === 'file')
          .map(async (e) => {
            try {
              e.size = (await lstat(join(target.real!, e.name))).size;
            } catch {
              // Deleted meanwhile.
            }
          }),
      );
      return { path: target.relative, entries: kept, truncated };
    },

    async read({ workspace, path }) {
      const ws = workspaceOf(workspace);
      const target = await resolveInside(ws.path, path);
      if (!target.real) throw notFound(path);
      const before = await stat(target.real);
      if (before.isDirectory()) {
        throw new BandApiError('INVALID_INPUT', `${target.relative || '/'} is a directory`, {
          reason: 'IS_A_DIRECTORY',
        });
      }
      if (!before.isFile())
        throw new BandApiError('INVALID_INPUT', `Not a regular file: ${target.relative}`, { reason: 'NOT_A_FILE' });
      ensureSingleLink(before, target.relative);
      if (before.size > maxFileBytes)
        return { path: target.relative, size: before.size, binary: false, tooLarge: true };
      // O_NOFOLLOW + same inode: if the path was swapped for a symlink after the containment check, refuse.
      const handle = await open(target.real, constants.O_RDONLY | constants.O_NOFOLLOW).catch(
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ELOOP') throw changedUnderUs(path);
          throw error;
        },
      );
      try {
        const info = await handle.stat();
        if (info.ino !== before.ino || info.dev !== before.dev) throw changedUnderUs(path);
        ensureSingleLink(info, target.relative); // linked after the first check
        const length = Math.min(info.size, maxFileBytes);
        const buf = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buf, 0, length, 0);
        const content = buf.subarray(0, bytesRead);
        if (hasNulByte(content)) return { path: target.relative, size: info.size, binary: true, tooLarge: false };
        return {
          path: target.relative,
          size: info.size,
          binary: false,
          tooLarge: false,
          content: content.toString('utf8'),
        };
      } finally {
        await handle.close();
      }
    },
  };
}

function notFound(path: string): BandApiError {
  return new BandApiError('NOT_FOUND', `No such file or directory: ${path}`, { reason: 'FILE_NOT_FOUND' });
}

function changedUnderUs(path: string): BandApiError {
  return new BandApiError('CONFLICT', `${path} changed while it was being read`, {
    reason: 'FILE_CHANGED',
    hint: 'Try again.',
  });
}
