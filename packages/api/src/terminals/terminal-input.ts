// What a request may ask of a terminal, checked before any PTY exists: its size, and a working directory that
// stays inside the worktree.
import { randomBytes } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { BandApiError } from '../errors.js';

/** PTY sizes outside this range are refused rather than clamped (a 0-column PTY breaks most programs). */
export const TERMINAL_SIZE_LIMITS = Object.freeze({ minCols: 2, maxCols: 1000, minRows: 1, maxRows: 500 });

export function newTerminalId(): string {
  // 10 base36 chars from 8 random bytes: unguessable enough that ids in URLs leak nothing useful.
  return `t_${randomBytes(8).readBigUInt64BE().toString(36).padStart(10, '0').slice(-10)}`;
}

export function ensureTerminalSize(cols: number, rows: number): void {
  const { minCols, maxCols, minRows, maxRows } = TERMINAL_SIZE_LIMITS;
  if (
    !Number.isInteger(cols) ||
    !Number.isInteger(rows) ||
    cols < minCols ||
    cols > maxCols ||
    rows < minRows ||
    rows > maxRows
  ) {
    throw new BandApiError('INVALID_INPUT', `Terminal size ${cols}x${rows} is out of range`, {
      reason: 'BAD_TERMINAL_SIZE',
      hint: `cols ${minCols}–${maxCols}, rows ${minRows}–${maxRows}`,
    });
  }
}

/**
 * Resolves `cwd` against the worktree and refuses anything that leaves it, symlinks included
 * (DESIGN §4: every path resolves inside the workspace).
 */
export async function resolveTerminalCwd(workspacePath: string, cwd: string | undefined): Promise<string> {
  const root = await realpath(workspacePath).catch((cause) => {
    throw new BandApiError('PRECONDITION_FAILED', 'The workspace directory does not exist', {
      reason: 'WORKSPACE_DIR_MISSING',
      hint: 'Recreate the workspace',
      cause,
    });
  });
  if (cwd === undefined || cwd === '' || cwd === '.') return root;
  if (cwd.includes('\0')) throw new BandApiError('INVALID_INPUT', 'cwd contains a NUL byte', { reason: 'BAD_CWD' });
  const wanted = path.resolve(root, cwd);
  let real: string;
  try {
    real = await realpath(wanted);
  } catch (cause) {
    throw new BandApiError('INVALID_INPUT', `cwd does not exist: ${cwd}`, {
      reason: 'BAD_CWD',
      hint: 'Give a directory relative to the workspace root',
      cause,
    });
  }
  const relative = path.relative(root, real);
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new BandApiError('FORBIDDEN', `cwd leaves the workspace: ${cwd}`, {
      reason: 'CWD_OUTSIDE_WORKSPACE',
      hint: 'Give a directory inside the workspace',
    });
  }
  if (!(await stat(real)).isDirectory()) {
    throw new BandApiError('INVALID_INPUT', `cwd is not a directory: ${cwd}`, { reason: 'BAD_CWD' });
  }
  return real;
}
