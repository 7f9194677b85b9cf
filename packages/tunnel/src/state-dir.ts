import { closeSync, constants, chmodSync, lstatSync, mkdirSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TunnelError } from './errors.js';

const uid = (): number | undefined => (typeof process.getuid === 'function' ? process.getuid() : undefined);

/** `<tmpdir>/band-tunnel-<uid>`: shared by every run of this user, so a crashed run's orphans are found. */
export function defaultStateDir(): string {
  return join(tmpdir(), `band-tunnel-${uid() ?? 'user'}`);
}

/** Why a directory may not hold our pid records and config, or undefined when it may. */
function whyUnsafe(dir: string): string | undefined {
  const s = lstatSync(dir);
  if (s.isSymbolicLink()) return 'is a symbolic link';
  if (!s.isDirectory()) return 'is not a directory';
  const me = uid();
  if (me !== undefined && s.uid !== me) return `belongs to uid ${s.uid}, not ${me}`;
  if ((s.mode & 0o077) !== 0) chmodSync(dir, 0o700); // ours, only too open: close it
  return undefined;
}

// One private fallback per process when the shared default was taken over by someone else.
let privateFallback: string | undefined;

/**
 * The directory for cloudflared's empty config, pid files and the child registry. It must belong to this
 * user with mode 0700: in a shared /tmp another local user could pre-create `band-tunnel-<uid>` (or a
 * symlink) and make us write through their links or kill a pid named in a forged record (auth.md, issue
 * "tunnel state directory"). A default directory that fails the check is replaced by a fresh private one;
 * an explicitly requested one is refused with `CONFIG_ERROR`.
 */
export function prepareStateDir(requested: string | undefined, onFallback?: (why: string) => void): string {
  const dir = requested ?? defaultStateDir();
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // EEXIST: a dangling symlink
  }
  let why: string | undefined;
  try {
    why = whyUnsafe(dir);
  } catch (error) {
    why = `cannot be checked (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
  if (!why) return dir;
  if (requested !== undefined)
    throw new TunnelError('CONFIG_ERROR', `The tunnel state directory ${dir} ${why}`, {
      hint: 'Use a directory that belongs to you with mode 0700, or leave stateDir unset.',
    });
  if (!privateFallback || whyUnsafeSafely(privateFallback))
    privateFallback = mkdtempSync(join(tmpdir(), `band-tunnel-${uid() ?? 'user'}-`));
  onFallback?.(`${dir} ${why}; using ${privateFallback} instead`);
  return privateFallback;
}

function whyUnsafeSafely(dir: string): string | undefined {
  try {
    return whyUnsafe(dir);
  } catch {
    return 'is gone';
  }
}

/** Write a file inside the state directory without following a link someone may have planted there. */
export function writePrivateFile(path: string, content: string): void {
  const fd = openSync(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (constants.O_NOFOLLOW ?? 0),
    0o600,
  );
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
}
