import { existsSync } from 'node:fs';
import { lstat, readFile, unlink } from 'node:fs/promises';
import type { Store, Workspace } from '@band/store';
import { BandApiError } from '../errors.js';
import {
  type ChangeStatus,
  hasNulByte,
  isBinaryPatch,
  parseNameStatus,
  parseNulList,
  parseNumstat,
  truncateAtLine,
} from './git/parse.js';
import { resolveCommit } from './git/repo.js';
import { GitCommandError, gitCommandError, gitText, runGit } from './git/run-git.js';
import { ensureSingleLink, normalizeRelativePath, resolveInside } from './git/safe-path.js';
import type { Logger } from '../internal/logger.js';
import { resolveWorkspaceRecord } from './workspace-service.js';

/** What to compare the worktree with: the merge-base with the base branch, or HEAD (uncommitted changes only). */
export type CompareTarget = 'base' | 'uncommitted';

export interface ChangedFile {
  path: string;
  /** Previous path of a rename. */
  oldPath?: string;
  status: ChangeStatus;
  /** An unmerged path (a conflict). */
  conflicted: boolean;
  /** null for binary files. */
  additions: number | null;
  deletions: number | null;
  binary: boolean;
}

export interface ChangesStatus {
  workspaceId: string;
  branch: string;
  baseBranch: string;
  against: CompareTarget;
  /** The commit compared with (merge-base for `base`, HEAD for `uncommitted`). */
  compareCommit: string;
  /** Commits on the branch that the base does not have, and the reverse. */
  ahead: number;
  behind: number;
  /** At most `maxFiles` files are listed (sorted by path); the rest were left out. */
  truncated: boolean;
  files: ChangedFile[];
}

export interface FileDiff {
  path: string;
  oldPath?: string;
  status: ChangeStatus;
  binary: boolean;
  /** The file is above `maxFileBytes`: no patch is computed. */
  tooLarge: boolean;
  /** The patch was cut at `maxPatchBytes` (at a line boundary). */
  truncated: boolean;
  /** Unified diff (git format), or null when binary / too large. Untrusted text: render as text. */
  patch: string | null;
}

export interface ChangeService {
  status(input: { workspace: string; against?: CompareTarget }): Promise<ChangesStatus>;
  diff(input: { workspace: string; path: string; against?: CompareTarget }): Promise<FileDiff>;
  /**
   * Reverts one file: a tracked file is restored from the compare commit (HEAD for `uncommitted`, the merge-base
   * for `base`), a file added since is deleted, an untracked file is deleted, a rename is undone.
   */
  revert(input: { workspace: string; path: string; against?: CompareTarget }): Promise<{ reverted: string[] }>;
  /** Stages everything (`git add -A`) and commits. */
  commit(input: { workspace: string; message: string }): Promise<{ commit: string; summary: string; files: number }>;
}

export interface ChangeServiceDeps {
  store: Store;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** @default 2 MiB: files above this get `tooLarge` instead of a patch. */
  maxFileBytes?: number;
  /** @default 512 KiB: patches above this are cut and `truncated`. */
  maxPatchBytes?: number;
  /** @default 5_000: status lists at most this many files (a forgotten node_modules must not flood a phone). */
  maxFiles?: number;
}

export const changeDefaults = Object.freeze({
  maxFileBytes: 2 * 1024 * 1024,
  maxPatchBytes: 512 * 1024,
  maxFiles: 5_000,
});

/** Untracked files whose lines are counted for the status list; beyond this, counts are null. */
const COUNTED_UNTRACKED_FILES = 500;

/** Longest commit message accepted. */
const MAX_MESSAGE_BYTES = 64 * 1024;

export function createChangeService(deps: ChangeServiceDeps): ChangeService {
  const { store } = deps;
  const env = deps.env ?? process.env;
  const maxFileBytes = deps.maxFileBytes ?? changeDefaults.maxFileBytes;
  const maxPatchBytes = deps.maxPatchBytes ?? changeDefaults.maxPatchBytes;
  const maxFiles = deps.maxFiles ?? changeDefaults.maxFiles;

  const git = (
    ws: Workspace,
    args: string[],
    extra: { okCodes?: number[]; maxOutputBytes?: number; input?: string } = {},
  ) => runGit(args, { cwd: ws.path, env, ...extra });

  function workspaceOf(ref: string): Workspace {
    const ws = resolveWorkspaceRecord(store, ref);
    if (ws.status !== 'ready') {
      throw new BandApiError('PRECONDITION_FAILED', `Workspace ${ws.branch} is ${ws.status}`, {
        reason: 'WORKSPACE_NOT_READY',
      });
    }
    ensureWorktreeExists(ws);
    return ws;
  }

  async function compareCommit(ws: Workspace, against: CompareTarget): Promise<string> {
    if (against === 'uncommitted') {
      const head = await resolveCommit(ws.path, 'HEAD', { env });
      if (!head)
        throw new BandApiError('PRECONDITION_FAILED', `Workspace ${ws.branch} has no HEAD commit`, {
          reason: 'NO_HEAD',
        });
      return head;
    }
    // One git call on the common path (each spawn costs tens of ms); the base was validated when it was stored.
    const result = await git(ws, ['merge-base', 'HEAD', ws.baseBranch], { okCodes: [0, 1, 128] });
    if (result.code === 0) return result.stdout.toString('utf8').trim();
    const base = await resolveCommit(ws.path, ws.baseBranch, { env });
    if (!base) {
      throw new BandApiError('PRECONDITION_FAILED', `Base branch "${ws.baseBranch}" no longer exists`, {
        reason: 'BASE_NOT_FOUND',
        hint: 'Compare against uncommitted changes instead.',
      });
    }
    if (result.code === 1) return base; // unrelated histories
    throw gitCommandError(['merge-base'], result.code, result.stderr);
  }

  async function listChanges(ws: Workspace, commit: string): Promise<ChangedFile[]> {
    // The worktree (committed + staged + unstaged) against `commit`, then untracked files.
    const [nameStatus, numstat, untracked] = await Promise.all([
      git(ws, ['diff', '--no-ext-diff', '--no-textconv', '--name-status', '-z', '-M', commit]),
      git(ws, ['diff', '--no-ext-diff', '--no-textconv', '--numstat', '-z', '-M', commit]),
      git(ws, ['ls-files', '--others', '--exclude-standard', '-z']),
    ]);
    const counts = new Map(parseNumstat(numstat.stdout.toString('utf8')).map((e) => [e.path, e]));
    const files: ChangedFile[] = parseNameStatus(nameStatus.stdout.toString('utf8')).map((entry) => {
      const count = counts.get(entry.path);
      return {
        ...entry,
        additions: count?.additions ?? null,
        deletions: count?.deletions ?? null,
        binary: count ? count.additions === null : false,
      };
    });
    const untrackedPaths = parseNulList(untracked.stdout.toString('utf8'));
    for (const [i, path] of untrackedPaths.entries()) {
      const counts =
        i < COUNTED_UNTRACKED_FILES
          ? await countUntracked(ws, path)
          : { additions: null, deletions: null, binary: false };
      files.push({ path, status: 'U', conflicted: false, ...counts });
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async function countUntracked(
    ws: Workspace,
    path: string,
  ): Promise<Pick<ChangedFile, 'additions' | 'deletions' | 'binary'>> {
    try {
      const info = await lstat(`${ws.path}/${path}`);
      // A hard-linked file may be a file outside the worktree: not even its line count is read.
      if (!info.isFile() || info.size > maxFileBytes || info.nlink > 1)
        return { additions: null, deletions: 0, binary: false };
      const buf = await readFile(`${ws.path}/${path}`);
      if (hasNulByte(buf)) return { additions: null, deletions: null, binary: true };
      const text = buf.toString('utf8');
      const lines = text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
      return { additions: lines, deletions: 0, binary: false };
    } catch {
      return { additions: null, deletions: null, binary: false };
    }
  }

  async function findChange(ws: Workspace, commit: string, userPath: string): Promise<ChangedFile> {
    const path = normalizeRelativePath(userPath);
    if (path === '') throw new BandApiError('INVALID_INPUT', 'A file path is required', { reason: 'INVALID_PATH' });
    // Tracked changes need the whole-tree name-status (rename detection pairs paths); untracked only this path.
    const [nameStatus, untracked] = await Promise.all([
      git(ws, ['diff', '--no-ext-diff', '--no-textconv', '--name-status', '-z', '-M', commit]),
      git(ws, ['ls-files', '--others', '--exclude-standard', '-z', '--', path]),
    ]);
    const tracked = parseNameStatus(nameStatus.stdout.toString('utf8')).find(
      (f) => f.path === path || f.oldPath === path,
    );
    const isUntracked = parseNulList(untracked.stdout.toString('utf8')).includes(path);
    const change: ChangedFile | undefined = tracked
      ? { ...tracked, additions: null, deletions: null, binary: false }
      : isUntracked
        ? { path, status: 'U', conflicted: false, additions: null, deletions: null, binary: false }
        : undefined;
    if (!change) {
      throw new BandApiError('NOT_FOUND', `No change to ${path} in this workspace`, {
        reason: 'FILE_NOT_CHANGED',
        hint: 'Reload the list of changes; the file may have been reverted or committed.',
      });
    }
    return change;
  }

  async function blobSize(ws: Workspace, commit: string, path: string): Promise<number> {
    const { code, stdout } = await git(ws, ['cat-file', '-s', `${commit}:${path}`], { okCodes: [0, 128] });
    return code === 0 ? Number(stdout.toString('utf8').trim()) : 0;
  }

  async function worktreeSize(ws: Workspace, path: string): Promise<number> {
    try {
      return (await lstat(`${ws.path}/${path}`)).size;
    } catch {
      return 0;
    }
  }

  return {
    async status({ workspace, against = 'base' }) {
      const ws = workspaceOf(workspace);
      const commit = await compareCommit(ws, against);
      const [files, counts] = await Promise.all([
        listChanges(ws, commit),
        git(ws, ['rev-list', '--left-right', '--count', `${ws.baseBranch}...HEAD`, '--'], { okCodes: [0, 128] }),
      ]);
      // A vanished base branch leaves ahead/behind at 0 (status against uncommitted still works).
      const [behind = 0, ahead = 0] =
        counts.code === 0 ? counts.stdout.toString('utf8').trim().split(/\s+/).map(Number) : [];
      return {
        workspaceId: ws.id,
        branch: ws.branch,
        baseBranch: ws.baseBranch,
        against,
        compareCommit: commit,
        ahead,
        behind,
        truncated: files.length > maxFiles,
        files: files.slice(0, maxFiles),
      };
    },

    async diff({ workspace, path, against = 'base' }) {
      const ws = workspaceOf(workspace);
      const commit = await compareCommit(ws, against);
      const change = await findChange(ws, commit, path);
      // A symlink is diffed as its link text (git never follows it), so only its directory must be inside.
      const target = await resolveInside(ws.path, change.path, { shouldFollowFinalSymlink: false });
      // git reads the worktree file's content: a hard link to a file outside the worktree would show it.
      const entry = target.real === undefined ? undefined : await lstat(target.real).catch(() => undefined);
      if (entry) ensureSingleLink(entry, change.path);
      const result: FileDiff = {
        path: change.path,
        oldPath: change.oldPath,
        status: change.status,
        binary: change.binary,
        tooLarge: false,
        truncated: false,
        patch: null,
      };
      const sizes = await Promise.all([
        worktreeSize(ws, change.path),
        change.status !== 'U' && change.status !== 'A' ? blobSize(ws, commit, change.oldPath ?? change.path) : 0,
      ]);
      if (Math.max(...sizes) > maxFileBytes) return { ...result, tooLarge: true };

      const out =
        change.status === 'U'
          ? await git(ws, ['diff', '--no-ext-diff', '--no-textconv', '--no-index', '--', '/dev/null', change.path], {
              okCodes: [0, 1],
              maxOutputBytes: maxPatchBytes + 1,
            })
          : await git(
              ws,
              [
                'diff',
                '--no-ext-diff',
                '--no-textconv',
                '-M',
                commit,
                '--',
                ...(change.oldPath ? [change.oldPath] : []),
                change.path,
              ],
              { maxOutputBytes: maxPatchBytes + 1 },
            );
      const text = out.stdout.toString('utf8');
      if (isBinaryPatch(text) || hasNulByte(out.stdout)) return { ...result, binary: true };
      const cut = truncateAtLine(text, maxPatchBytes);
      return { ...result, patch: cut.text, truncated: cut.truncated || out.isTruncated };
    },

    async revert({ workspace, path, against = 'uncommitted' }) {
      const ws = workspaceOf(workspace);
      const commit = await compareCommit(ws, against);
      const change = await findChange(ws, commit, path);
      const reverted: string[] = [];
      const deleteFile = async (rel: string) => {
        // unlink removes a symlink itself, never what it points to.
        const target = await resolveInside(ws.path, rel, { shouldFollowFinalSymlink: false });
        await unlink(target.absolute).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        });
        reverted.push(rel);
      };
      const inCommit = async (rel: string) =>
        (await git(ws, ['cat-file', '-e', `${commit}:${rel}`], { okCodes: [0, 128] })).code === 0;
      const restore = async (rel: string) => {
        await resolveInside(ws.path, rel, { shouldFollowFinalSymlink: false });
        await git(ws, ['restore', `--source=${commit}`, '--staged', '--worktree', '--', rel]);
        reverted.push(rel);
      };

      if (change.status === 'U') {
        await deleteFile(change.path);
      } else if (change.status === 'R') {
        await git(ws, ['rm', '--cached', '--quiet', '--ignore-unmatch', '--', change.path]);
        await deleteFile(change.path);
        await restore(change.oldPath!);
      } else if (await inCommit(change.path)) {
        await restore(change.path);
      } else {
        // Added since the compare commit: unstage and delete.
        await git(ws, ['rm', '--cached', '--quiet', '--ignore-unmatch', '--', change.path]);
        await deleteFile(change.path);
      }
      deps.logger.info(`reverted ${reverted.join(', ')} in ${ws.path}`);
      return { reverted };
    },

    async commit({ workspace, message }) {
      const ws = workspaceOf(workspace);
      const trimmed = message.trim();
      if (!trimmed)
        throw new BandApiError('INVALID_INPUT', 'A commit message is required', { reason: 'EMPTY_MESSAGE' });
      if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) {
        throw new BandApiError('INVALID_INPUT', 'The commit message is too long', { reason: 'MESSAGE_TOO_LONG' });
      }
      await git(ws, ['add', '-A']);
      const staged = parseNulList((await git(ws, ['diff', '--cached', '--name-only', '-z'])).stdout.toString('utf8'));
      if (staged.length === 0) {
        throw new BandApiError('PRECONDITION_FAILED', 'Nothing to commit: the workspace has no changes', {
          reason: 'NOTHING_TO_COMMIT',
        });
      }
      try {
        // The message goes through stdin (--file=-), never argv.
        await git(ws, ['commit', '--quiet', '--file=-'], { input: message });
      } catch (error) {
        if (
          error instanceof GitCommandError &&
          /Please tell me who you are|empty ident|user\.email/i.test(error.stderr)
        ) {
          throw new BandApiError('PRECONDITION_FAILED', 'Git does not know who you are', {
            reason: 'GIT_IDENTITY_MISSING',
            hint:
              'Run `git config --global user.name "Your Name"` and `git config --global user.email ' +
              'you@example.com`.',
            cause: error,
          });
        }
        if (error instanceof GitCommandError) {
          throw new BandApiError(
            'PRECONDITION_FAILED',
            `git commit failed: ${error.stderr.trim().split('\n').slice(-3).join(' | ')}`,
            {
              reason: 'COMMIT_FAILED',
              hint: 'A pre-commit hook may have refused the commit; its output is above.',
              cause: error,
            },
          );
        }
        throw error;
      }
      const commit = await gitText(['rev-parse', 'HEAD'], { cwd: ws.path, env });
      const summary = await gitText(['log', '-1', '--format=%s'], { cwd: ws.path, env });
      return { commit, summary, files: staged.length };
    },
  };
}

/** The record exists but its directory is gone (deleted by hand): say so instead of failing inside git. */
export function ensureWorktreeExists(ws: Workspace): void {
  if (!existsSync(ws.path)) {
    throw new BandApiError('PRECONDITION_FAILED', `The worktree of ${ws.branch} is missing: ${ws.path}`, {
      reason: 'WORKTREE_MISSING',
      hint: 'Create the workspace again (band workspaces create) to restore it, or remove it.',
    });
  }
}
