import { lstat, open, stat, unlink } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

export interface LockOptions {
  /** A lock older than this is considered abandoned (its holder crashed) and is broken. @default 10_000 */
  staleMs?: number;
  /** Give up after this long. @default 5_000 */
  timeoutMs?: number;
  /** Poll interval while waiting. @default 15 */
  retryMs?: number;
}

/**
 * Takes an advisory lock file (created with O_EXCL) and returns its release function.
 * @throws Error with code 'LOCK_TIMEOUT' when the lock stays held longer than `timeoutMs`.
 */
export async function acquireLock(lockFile: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  const staleMs = options.staleMs ?? 10_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const retryMs = options.retryMs ?? 15;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid} ${Date.now()}\n`);
      } catch (error) {
        // A full disk: the lock exists but is empty. Remove it, or every later write waits for it to go stale.
        await handle.close().catch(() => {});
        await unlink(lockFile).catch(() => {});
        throw error;
      }
      await handle.close();
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await unlink(lockFile).catch(() => {});
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    try {
      const info = await stat(lockFile);
      if (Date.now() - info.mtimeMs > staleMs || (await holderIsGone(lockFile, info.ino))) {
        // Broken only if it is still the lock we looked at (not one another waiter has taken since).
        if ((await lstat(lockFile).catch(() => undefined))?.ino === info.ino) await unlink(lockFile).catch(() => {});
        continue;
      }
    } catch {
      continue; // released between our open and stat
    }
    if (Date.now() >= deadline) {
      throw Object.assign(new Error(`lock ${lockFile} is held`), { code: 'LOCK_TIMEOUT' });
    }
    await delay(retryMs);
  }
}

/**
 * True when the lock names a process on this machine that no longer exists: its holder crashed (or was killed
 * between writing and renaming), so waiting for the lock to go stale would only block every writer meanwhile.
 * A lock being written (no pid yet), our own pid, or a pid that is alive (or not ours to signal) is kept.
 */
async function holderIsGone(lockFile: string, ino: number): Promise<boolean> {
  let text: string;
  try {
    const handle = await open(lockFile, 'r');
    try {
      if ((await handle.stat()).ino !== ino) return false;
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
  const pid = Number(/^(\d+) \d+\n$/.exec(text)?.[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
