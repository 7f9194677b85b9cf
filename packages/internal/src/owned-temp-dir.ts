import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive } from './proc.js';

/**
 * A private temp folder named after the process that owns it: `<prefix><pid>-XXXXXX` (mode 0700). A process killed
 * with SIGKILL cannot remove its folders; the pid in the name lets a later process tell they are orphans
 * (`sweepOwnedTempDirs`).
 */
export function makeOwnedTempDir(prefix: string, parent: string = tmpdir()): string {
  return mkdtempSync(join(parent, `${prefix}${process.pid}-`));
}

/**
 * Removes `makeOwnedTempDir` folders whose owner has exited: only this user's, never one of a running process
 * (this one included). Errors are skipped (a folder removed meanwhile, or not ours). @returns the removed paths
 */
export function sweepOwnedTempDirs(prefix: string, parent: string = tmpdir()): string[] {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(\d+)-[A-Za-z0-9]{6}$/.exec(name.slice(prefix.length));
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isProcessAlive(pid)) continue;
    const path = join(parent, name);
    try {
      if (uid !== undefined && statSync(path).uid !== uid) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return removed;
}
