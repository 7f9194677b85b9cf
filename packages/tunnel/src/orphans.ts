import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { readFileSync, statSync } from 'node:fs';
import { isProcessAlive } from '@band/internal';
import { join, sep } from 'node:path';

/** One live cloudflared we started, recorded so a crashed run's leftovers can be found again. */
export interface ChildRecord {
  /** cloudflared's pid. */
  pid: number;
  /** The guardian's pid, when one was used. */
  guardianPid?: number;
  /** The process that owns the tunnel; only its death makes the child an orphan. */
  ownerPid: number;
  /** A unique string present on the child's command line (the nonce-bearing `--pidfile` path). */
  marker: string;
  startedAt: number;
}

export interface ReapDeps {
  isAlive(pid: number): boolean;
  readCommandLine(pid: number): string | undefined;
  /** The uid running `pid`, where the platform tells (Linux: /proc). */
  ownerUid(pid: number): number | undefined;
  kill(pid: number, signal: NodeJS.Signals): void;
}

function registryDir(stateDir: string): string {
  return join(stateDir, 'children');
}

export async function registerChild(stateDir: string, id: string, record: ChildRecord): Promise<void> {
  const dir = registryDir(stateDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${id}.${process.pid}.tmp`);
  await writeFile(tmp, JSON.stringify(record), { mode: 0o600, flag: 'wx' });
  await rename(tmp, join(dir, `${id}.json`));
}

export async function unregisterChild(stateDir: string, id: string): Promise<void> {
  await rm(join(registryDir(stateDir), `${id}.json`), { force: true });
}

/** Whether `pid` runs (a zombie waiting to be reaped counts as dead). */
export function isAlive(pid: number): boolean {
  return isProcessAlive(pid);
}

export function readCommandLine(pid: number): string | undefined {
  try {
    if (process.platform === 'linux') return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    if (process.platform === 'win32') return undefined;
    return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8', timeout: 2_000 }).trim();
  } catch {
    return undefined;
  }
}

function ownerUid(pid: number): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return statSync(`/proc/${pid}`).uid;
  } catch {
    return undefined;
  }
}

const defaultReapDeps: ReapDeps = {
  isAlive,
  readCommandLine,
  ownerUid,
  kill: (pid, signal) => process.kill(pid, signal),
};

/**
 * Kill cloudflared processes left behind by a run that died (its owner is gone), identified by pid
 * **and** the marker on their command line, never by name: a reused pid or someone else's cloudflared
 * is left alone. Returns the pids that were killed.
 */
export async function reapOrphans(options: { stateDir: string }, deps: Partial<ReapDeps> = {}): Promise<number[]> {
  const d = { ...defaultReapDeps, ...deps };
  const dir = registryDir(options.stateDir);
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const killed: number[] = [];
  for (const file of files) {
    let record: ChildRecord;
    try {
      record = JSON.parse(await readFile(join(dir, file), 'utf8')) as ChildRecord;
      if (
        !Number.isInteger(record.pid) ||
        !Number.isInteger(record.ownerPid) ||
        typeof record.marker !== 'string' ||
        !record.marker
      )
        throw new Error('malformed');
    } catch {
      await rm(join(dir, file), { force: true });
      continue;
    }
    if (record.ownerPid !== process.pid && d.isAlive(record.ownerPid)) continue; // another live supervisor owns it
    if (record.ownerPid === process.pid) continue; // ours, still managed
    // Our markers are pid-file paths inside our own 0700 state directory: a record naming anything else
    // was not written by us, and its marker could be any string on a victim's command line.
    if (
      !record.marker.startsWith(join(options.stateDir, 'cloudflared-')) ||
      record.marker.slice(options.stateDir.length + 1).includes(sep)
    ) {
      await rm(join(dir, file), { force: true });
      continue;
    }
    const me = typeof process.getuid === 'function' ? process.getuid() : undefined;
    for (const pid of [record.pid, record.guardianPid]) {
      if (pid === undefined || !d.isAlive(pid)) continue;
      const owner = d.ownerUid(pid);
      if (me !== undefined && owner !== undefined && owner !== me) continue; // never another user's process
      const cmd = d.readCommandLine(pid);
      if (cmd?.includes(record.marker)) {
        try {
          d.kill(pid, 'SIGKILL');
          killed.push(pid);
        } catch {
          // already gone
        }
      }
    }
    await rm(join(dir, file), { force: true });
  }
  return killed;
}
