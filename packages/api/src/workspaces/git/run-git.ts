import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BandApiError } from '../../errors.js';
import { withoutBandVariables } from '@band/agents';
import { BandError } from '@band/internal';

export interface RunGitOptions {
  /** Working directory (the repository or worktree). */
  cwd: string;
  /** Environment base (PATH, HOME...). Git-specific safety variables are added on top. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, then closed. */
  input?: string | Buffer;
  /** Exit codes that are not failures (e.g. 1 for `diff --no-index` with differences). @default [0] */
  okCodes?: readonly number[];
  /** stdout beyond this is dropped and `truncated` is set; git is not killed. @default 16 MiB */
  maxOutputBytes?: number;
  /** Kill git after this long. @default 60_000 */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface GitResult {
  stdout: Buffer;
  stderr: string;
  code: number;
  /** stdout exceeded `maxOutputBytes`. */
  isTruncated: boolean;
}

interface GitCommandDetails {
  args: readonly string[];
  /** null when git was killed. */
  exitCode: number | null;
  /** Kept for classification (a branch in use, an unknown identity…). */
  stderr: string;
}

/** A git invocation that exited with an unexpected code (`GIT_FAILED`) or was killed (`GIT_KILLED`). */
export class GitCommandError extends BandError<'GIT_FAILED' | 'GIT_KILLED', GitCommandDetails> {
  override readonly name = 'GitCommandError';
  declare readonly args: readonly string[];
  declare readonly exitCode: number | null;
  declare readonly stderr: string;
}

export function gitCommandError(args: readonly string[], exitCode: number | null, stderr: string): GitCommandError {
  const how = exitCode === null ? 'killed' : `exit ${exitCode}`;
  return new GitCommandError(
    exitCode === null ? 'GIT_KILLED' : 'GIT_FAILED',
    `git ${args[0] ?? ''} failed (${how}): ${lastLines(stderr)}`,
    { args, exitCode, stderr },
  );
}

const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
const STDERR_KEEP_BYTES = 16 * 1024;

/**
 * Runs git with an argument array (never a shell string: DESIGN §4), with:
 * - GIT_LITERAL_PATHSPECS so a user path like `:(glob)**` or `:!x` is a file name, not pathspec magic;
 * - GIT_TERMINAL_PROMPT=0 so a credential prompt can never hang the server;
 * - LC_ALL=C so the messages we classify are stable;
 * - `-c core.quotepath=off` so non-ASCII paths come back as UTF-8.
 * Callers put `--` (or `--end-of-options`) before anything that came from a user.
 */
export function runGit(args: readonly string[], options: RunGitOptions): Promise<GitResult> {
  const okCodes = options.okCodes ?? [0];
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const fullArgs = ['-c', 'core.quotepath=off', '-c', 'color.ui=false', ...args];
  return new Promise((resolve, reject) => {
    const child = spawn('git', fullArgs, {
      cwd: options.cwd,
      env: {
        // Git runs the repository's hooks: they never see the server's BAND_* variables (BAND_TOKEN...).
        ...withoutBandVariables(options.env ?? process.env),
        GIT_LITERAL_PATHSPECS: '1',
        GIT_TERMINAL_PROMPT: '0',
        GIT_PAGER: 'cat',
        LC_ALL: 'C',
        LANGUAGE: 'C',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
      windowsHide: true,
      signal: options.signal,
      timeout: options.timeoutMs ?? 60_000,
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let isTruncated = false;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (outBytes >= maxOutputBytes) {
        isTruncated = true;
        return;
      }
      const room = maxOutputBytes - outBytes;
      if (chunk.length > room) {
        isTruncated = true;
        chunk = chunk.subarray(0, room);
      }
      out.push(chunk);
      outBytes += chunk.length;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEEP_BYTES);
    });
    child.stdin.on('error', () => {
      // git may exit before reading stdin (e.g. a usage error); the exit code tells the story.
    });
    child.stdin.end(options.input ?? '');
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' && !child.pid && !existsSync(options.cwd)) {
        // Node reports a missing cwd as ENOENT too: say which one it was.
        reject(
          new BandApiError('PRECONDITION_FAILED', `Directory does not exist: ${options.cwd}`, {
            reason: 'DIRECTORY_MISSING',
            hint: 'It may have been moved or deleted outside Band.',
            cause: error,
          }),
        );
      } else if (error.code === 'ENOENT' && !child.pid) {
        reject(
          new BandApiError('UNAVAILABLE', 'git was not found on PATH', {
            reason: 'GIT_NOT_FOUND',
            hint: 'Install git (https://git-scm.com/downloads) and restart the Band server.',
            cause: error,
          }),
        );
      } else {
        reject(error);
      }
    });
    child.on('close', (code) => {
      const result: GitResult = { stdout: Buffer.concat(out), stderr, code: code ?? -1, isTruncated };
      if (code !== null && okCodes.includes(code)) resolve(result);
      else reject(gitCommandError(args, code, stderr));
    });
  });
}

/** stdout as UTF-8 without the trailing newline. */
export async function gitText(args: readonly string[], options: RunGitOptions): Promise<string> {
  const { stdout } = await runGit(args, options);
  return stdout.toString('utf8').replace(/\n$/, '');
}

/** True when git exits 0, false when it exits 1 (e.g. `rev-parse --verify --quiet`); throws otherwise. */
export async function gitSucceeds(args: readonly string[], options: RunGitOptions): Promise<boolean> {
  const { code } = await runGit(args, { ...options, okCodes: [0, 1] });
  return code === 0;
}

function lastLines(text: string, n = 3): string {
  return text.trim().split('\n').slice(-n).join(' | ') || 'no output';
}
