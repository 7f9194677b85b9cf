import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** `.band/config.json` (band-docs §2.6): each command is one shell string, run with `bash -c` in the worktree. */
export interface BandProjectConfig {
  setup?: string;
  teardown?: string;
}

export type ReadConfigResult =
  | { kind: 'none' }
  | { kind: 'ok'; config: BandProjectConfig; file: string }
  | { kind: 'invalid'; file: string; message: string };

/**
 * Reads `<worktree>/.band/config.json`, falling back to `<project>/.band/config.json` (a config kept on the main
 * checkout but gitignored). These commands are the user's own configuration, so running them through a shell
 * is intended; nothing from an API request is ever interpolated into them.
 */
export async function readBandConfig(worktree: string, projectRoot: string): Promise<ReadConfigResult> {
  for (const dir of [worktree, projectRoot]) {
    const file = join(dir, '.band', 'config.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR')
        continue;
      return { kind: 'invalid', file, message: (error as Error).message };
    }
    try {
      const raw = JSON.parse(text) as unknown;
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('expected a JSON object');
      const config: BandProjectConfig = {};
      for (const key of ['setup', 'teardown'] as const) {
        const value = (raw as Record<string, unknown>)[key];
        if (value === undefined || value === null || value === '') continue;
        // The legacy schema had arrays of commands run in order; join them so old configs keep working.
        if (Array.isArray(value) && value.every((v) => typeof v === 'string')) config[key] = value.join(' && ');
        else if (typeof value === 'string') config[key] = value;
        else throw new Error(`"${key}" must be a string`);
      }
      return { kind: 'ok', config, file };
    } catch (error) {
      return { kind: 'invalid', file, message: (error as Error).message };
    }
  }
  return { kind: 'none' };
}

export interface RunHookOptions {
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  onOutput?: (chunk: string) => void;
  /** Aborting kills the whole process group. */
  signal?: AbortSignal;
  /** @default 1_800_000 (30 min) */
  timeoutMs?: number;
  /** Output kept for the record (the tail). @default 65_536 */
  maxOutputBytes?: number;
  /** Grace between SIGTERM and SIGKILL. @default 3_000 */
  killGraceMs?: number;
}

export interface HookResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Combined stdout+stderr tail. */
  output: string;
  isTimedOut: boolean;
  isAborted: boolean;
}

/** Homebrew and /usr/local first, as band-docs §2.6 documents for setup. */
const EXTRA_PATH = ['/opt/homebrew/bin', '/usr/local/bin'];

export function runHook(options: RunHookOptions): Promise<HookResult> {
  const maxOutputBytes = options.maxOutputBytes ?? 65_536;
  const path = [...EXTRA_PATH, options.env.PATH ?? ''].filter(Boolean).join(':');
  return new Promise((resolve) => {
    let output = '';
    let isTimedOut = false;
    let isAborted = false;
    const append = (chunk: string) => {
      output = (output + chunk).slice(-maxOutputBytes);
      options.onOutput?.(chunk);
    };
    // detached: the hook gets its own process group, so abort/timeout kill `npm install` and its children too.
    const child = spawn('bash', ['-c', options.command], {
      cwd: options.cwd,
      env: { ...options.env, PATH: path },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      shell: false,
    });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = () => {
      if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      killTimer = setTimeout(() => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }, options.killGraceMs ?? 3_000);
      killTimer.unref();
    };
    const timer = setTimeout(() => {
      isTimedOut = true;
      killGroup();
    }, options.timeoutMs ?? 1_800_000);
    timer.unref();
    const onAbort = () => {
      isAborted = true;
      killGroup();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ exitCode, signal, output, isTimedOut, isAborted });
    };
    child.on('error', (error) => {
      append(`\n[band] could not start bash: ${error.message}\n`);
      finish(null, null);
    });
    child.on('close', (code, signal) => finish(code, signal));
  });
}
