import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isProcessAlive } from './process-tree.js';

/** The content of `BAND_HOME/run/desktop.json`. */
export interface InstanceRecord {
  /** The desktop app's pid. */
  pid: number;
  state: 'starting' | 'ready';
  /** The server's local URL, once ready. */
  url?: string;
  port?: number;
  /** The server child's pid, once ready. */
  serverPid?: number;
  startedAt: number;
}

export type ClaimResult =
  | { kind: 'claimed'; update(patch: Partial<InstanceRecord>): Promise<void>; release(): Promise<void> }
  | { kind: 'taken'; record: InstanceRecord };

export interface InstanceLockOptions {
  /** @default process.pid */
  pid?: number;
  /** Test seam: whether a recorded pid still runs. @default isProcessAlive */
  isAlive?: (pid: number) => boolean;
  now?: () => number;
}

/** Parses the record; anything malformed (hand-edited, half-written by a crash) counts as absent. */
export function parseInstanceRecord(text: string): InstanceRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<InstanceRecord>;
    if (!value || typeof value !== 'object') return undefined;
    if (!Number.isInteger(value.pid) || (value.pid as number) <= 0) return undefined;
    if (value.state !== 'starting' && value.state !== 'ready') return undefined;
    if (
      value.url !== undefined &&
      (typeof value.url !== 'string' || !/^http:\/\/(localhost|127\.0\.0\.1|\[::1\]):\d+$/.test(value.url))
    ) {
      // Only a loopback URL: the desktop sends the bearer token to it.
      return undefined;
    }
    return value as InstanceRecord;
  } catch {
    return undefined;
  }
}

export async function readInstanceRecord(file: string): Promise<InstanceRecord | undefined> {
  try {
    return parseInstanceRecord(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Single instance per BAND_HOME: creates the record exclusively (a hard link that fails if it exists), so of two apps
 * launched at the same moment exactly one starts the server. A record whose pid is gone (crash, SIGKILL) or that cannot
 * be parsed is stale and replaced.
 */
export async function claimInstance(file: string, options: InstanceLockOptions = {}): Promise<ClaimResult> {
  const pid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? isProcessAlive;
  const now = options.now ?? Date.now;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let record: InstanceRecord = { pid, state: 'starting', startedAt: now() };
  // Three rounds are enough: each round either claims, finds a live owner, or removes one stale record.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // Written whole, then linked into place: `link` fails if the record exists (exclusive, like O_EXCL), and no
      // reader ever sees the record empty. (Opening it O_EXCL and then writing left a moment where another launch
      // read an empty record, judged it stale and removed it.)
      const draft = `${file}.${pid}.${randomBytes(4).toString('hex')}.new`;
      await writeFile(draft, JSON.stringify(record), { mode: 0o600, flag: 'wx' });
      try {
        await link(draft, file);
      } finally {
        await unlink(draft).catch(() => {});
      }
      let released = false;
      return {
        kind: 'claimed',
        async update(patch) {
          if (released) return;
          record = { ...record, ...patch, pid };
          // Write-then-rename so a reader never sees half a record.
          const temp = `${file}.${pid}.tmp`;
          await writeFile(temp, JSON.stringify(record), { mode: 0o600 });
          await rename(temp, file);
        },
        async release() {
          if (released) return;
          released = true;
          // Never remove a record another instance wrote after ours went stale.
          if ((await readInstanceRecord(file))?.pid === pid) await unlink(file).catch(() => {});
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const text = await readFile(file, 'utf8').catch(() => '');
    const existing = parseInstanceRecord(text);
    if (existing && existing.pid !== pid && isAlive(existing.pid)) return { kind: 'taken', record: existing };
    // Stale: remove it only if it is still the same content we judged.
    if ((await readFile(file, 'utf8').catch(() => '')) === text) await unlink(file).catch(() => {});
  }
  const existing = await readInstanceRecord(file);
  if (existing) return { kind: 'taken', record: existing };
  throw new Error(`Could not claim ${file}`);
}
