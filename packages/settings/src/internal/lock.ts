import { open, stat, unlink } from 'node:fs/promises';
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
      await handle.writeFile(`${process.pid} ${Date.now()}\n`);
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
      if (Date.now() - info.mtimeMs > staleMs) {
        await unlink(lockFile).catch(() => {});
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
