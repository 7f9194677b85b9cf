import { randomBytes } from 'node:crypto';
import { renameSync } from 'node:fs';
import { chmod, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface WriteFileAtomicOptions {
  /**
   * Checked right before the rename, synchronously (nothing else runs in between): return false to give up
   * (the temp file is removed, nothing is written, `writeFileAtomic` resolves false). For a read-modify-write,
   * "the file still holds what I read", so an edit saved meanwhile by another program is not overwritten.
   */
  beforeRename?: () => boolean;
}

/**
 * Writes `text` to `file` atomically: a temp file in the same directory created with O_EXCL and mode 0600, fsync,
 * rename over the target (a symlink is replaced, not followed), then fsync of the directory. Resolves true once
 * written, false when `beforeRename` said no.
 */
export async function writeFileAtomic(
  file: string,
  text: string,
  options: WriteFileAtomicOptions = {},
): Promise<boolean> {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}`);
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.chmod(0o600); // the create mode is masked by umask; set it explicitly
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw error;
  }
  await handle.close();
  try {
    if (options.beforeRename) {
      if (!options.beforeRename()) {
        await unlink(tmp).catch(() => {});
        return false;
      }
      renameSync(tmp, file); // in the same tick as the check: the window for another writer is microseconds
    } else {
      await rename(tmp, file);
    }
  } catch (error) {
    await unlink(tmp).catch(() => {});
    throw error;
  }
  await chmod(file, 0o600).catch(() => {});
  try {
    const dirHandle = await open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } catch {
    // fsync of a directory is not supported everywhere (Windows); the rename is still atomic.
  }
  return true;
}
