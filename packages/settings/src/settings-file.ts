// settings.json on disk: read (and parsed as a JSON object), written atomically, and kept private to its owner
// (the home 0700 and the file 0600, and refused when another user owns them).
import { readFileSync } from 'node:fs';
import { chmod, lstat, readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import { SettingsError, invalidField, invalidJson, ioError, notAFile, wrongOwner } from './errors.js';
import { writeFileAtomic } from './internal/atomic-write.js';
import type { SettingsLogger } from './load-settings.js';
import type { Settings } from './types.js';

export async function readRaw(file: string): Promise<Record<string, unknown> | undefined> {
  const text = await readText(file);
  return text === undefined ? undefined : parseRaw(text, file);
}

/** The file's text, or undefined when there is none. */
export async function readText(file: string): Promise<string | undefined> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw notAFile(file);
    return await readFile(file, 'utf8');
  } catch (cause) {
    if (cause instanceof SettingsError) throw cause;
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(file, cause);
  }
}

/** `readText` without yielding (the check right before a rename); an unreadable file counts as changed. */
export function readTextSync(file: string): string | undefined | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    return (cause as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : null;
  }
}

export function parseRaw(text: string, file: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw invalidJson(file, cause);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw invalidField(file, '(root)', 'must be a JSON object');
  }
  return raw as Record<string, unknown>;
}

/** Writes atomically; with `unchanged`, only if it still holds right before the rename (resolves false if not). */
export async function writeSettings(file: string, settings: Settings, unchanged?: () => boolean): Promise<boolean> {
  try {
    return await writeFileAtomic(file, `${JSON.stringify(settings, null, 2)}\n`, { beforeRename: unchanged });
  } catch (cause) {
    throw ioError(file, cause);
  }
}

export async function secureDirectory(home: string, logger: SettingsLogger): Promise<void> {
  if (process.platform === 'win32') return;
  const info = await lstat(home).catch((cause) => {
    throw ioError(home, cause);
  });
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) throw wrongOwner(home, uid, info.uid);
  if ((info.mode & 0o077) !== 0 && info.isDirectory()) {
    logger.warn?.(`${home} was accessible to other users (mode ${(info.mode & 0o777).toString(8)}); set to 0700`);
    await chmod(home, 0o700).catch((cause) => {
      throw ioError(home, cause);
    });
  }
}

export async function secureFile(file: string, home: string, logger: SettingsLogger): Promise<void> {
  if (process.platform === 'win32') return;
  const link = await lstat(file).catch(() => undefined);
  if (link?.isSymbolicLink()) {
    const target = await realpath(file).catch(() => file);
    const realHome = await realpath(home).catch(() => home);
    const rel = relative(realHome, target);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      logger.warn?.(`${file} is a symlink to a file outside ${home}; the next write replaces the link with a file`);
    }
  }
  const info = await stat(file).catch((cause) => {
    throw ioError(file, cause);
  });
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) throw wrongOwner(file, uid, info.uid);
  if ((info.mode & 0o077) !== 0) {
    logger.warn?.(`${file} was readable by other users (mode ${(info.mode & 0o777).toString(8)}); set to 0600`);
    await chmod(file, 0o600).catch((cause) => {
      throw ioError(file, cause);
    });
  }
}
