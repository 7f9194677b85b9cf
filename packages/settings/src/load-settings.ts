// The settings store: `<home>/settings.json` loaded once, kept current when the file changes, and updated under a
// lock so that two processes on one home never lose each other's writes. The file itself is settings-file.ts's, and
// what a valid value is, validate-settings.ts's.
import { EventEmitter } from 'node:events';
import { type FSWatcher, watch } from 'node:fs';
import { lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ioError, lockTimeout, SettingsError, unknownKey } from './errors.js';
import { acquireLock } from './internal/lock.js';
import { settingsKeys } from './schema.js';
import {
  parseRaw,
  readRaw,
  readText,
  readTextSync,
  secureDirectory,
  secureFile,
  writeSettings,
} from './settings-file.js';
import type { Settings } from './types.js';
import { coerceCandidates, fillAndValidate, freeze, isWrongType, setPath, validate } from './validate-settings.js';

/** A consola-shaped logger; every method is optional. */
export interface SettingsLogger {
  debug?(message: string, ...args: unknown[]): void;
  info?(message: string, ...args: unknown[]): void;
  warn?(message: string, ...args: unknown[]): void;
  error?(message: string, ...args: unknown[]): void;
}

export interface LoadSettingsOptions {
  /** The Band home directory (see `resolveBandHome`). */
  home: string;
  logger?: SettingsLogger;
  /** Watch `settings.json` for hand edits and emit `change` / `error`. @default false */
  watch?: boolean;
  /** Debounce of the file watcher. @default 50 */
  watchDebounceMs?: number;
  /** A lock file older than this is broken. @default 10_000 */
  lockStaleMs?: number;
  /** Give up waiting for the lock after this long. @default 5_000 */
  lockTimeoutMs?: number;
}

export interface SettingsEvents {
  change: [next: Settings, prev: Settings];
  error: [error: SettingsError];
}

export interface SettingsStore extends AsyncDisposable {
  /** The Band home directory. */
  readonly home: string;
  /** Absolute path of `settings.json`. */
  readonly file: string;
  /** The last good settings (a frozen snapshot; never mutate it). */
  get(): Settings;
  /** Read-modify-write under the lock: re-reads the file, applies `mutate` to a copy, validates, writes atomically. */
  update(mutate: (settings: Settings) => Settings): Promise<Settings>;
  /** Sets a dotted key (`notifications.soundOnNeedsAttention`), coercing CLI strings (JSON, numbers, booleans). */
  set(path: string, value: unknown): Promise<Settings>;
  /** Re-reads the file now (what the watcher does), emitting `change` when it differs. */
  reload(): Promise<Settings>;
  on<E extends keyof SettingsEvents>(event: E, listener: (...args: SettingsEvents[E]) => void): () => void;
  close(): Promise<void>;
}

const FILE_NAME = 'settings.json';
const LOCK_NAME = 'settings.lock';
/** An update whose file keeps changing under it (an editor saving again and again) writes anyway at this attempt. */
const MAX_WRITE_ATTEMPTS = 10;
/** Per lock file, the last write queued in this process (every store on one home shares it). */
const turns = new Map<string, Promise<void>>();
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

/**
 * Loads `<home>/settings.json`, creating the directory (0700) and the file (0600, with a fresh `tokenSecret`) on first
 * launch. Missing fields are filled in and persisted; a file the user wrote is never replaced by defaults.
 * @throws SettingsError for invalid JSON, a wrong type, a malformed token or a file owned by someone else.
 */
export async function loadSettings(options: LoadSettingsOptions): Promise<SettingsStore> {
  const home = options.home;
  const file = join(home, FILE_NAME);
  const lockFile = join(home, LOCK_NAME);
  const logger = options.logger ?? {};
  const emitter = new EventEmitter<SettingsEvents>();
  // An 'error' event without listeners must not throw inside the watcher.
  emitter.on('error', () => {});

  try {
    await mkdir(home, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw ioError(home, cause);
  }
  await secureDirectory(home, logger);

  const withLock = <T>(fn: () => Promise<T>): Promise<T> => {
    // Writers in this process take turns before the file lock: 100 writes at once (the server answering
    // `band settings set` from many terminals) would otherwise all poll the lock file and time out.
    const previous = turns.get(lockFile) ?? Promise.resolve();
    const run = previous.then(() => withFileLock(fn));
    const settled = run.then(
      () => {},
      () => {},
    );
    turns.set(lockFile, settled);
    void settled.then(() => {
      if (turns.get(lockFile) === settled) turns.delete(lockFile);
    });
    return run;
  };

  const withFileLock = async <T>(fn: () => Promise<T>): Promise<T> => {
    let release: () => Promise<void>;
    try {
      release = await acquireLock(lockFile, { staleMs: options.lockStaleMs, timeoutMs: options.lockTimeoutMs });
    } catch (cause) {
      if ((cause as { code?: string }).code === 'LOCK_TIMEOUT') throw lockTimeout(file, lockFile);
      throw ioError(lockFile, cause);
    }
    try {
      return await fn();
    } finally {
      await release();
    }
  };

  /** Reads, validates and (under the lock) completes the file. */
  const readAndComplete = async (): Promise<Settings> => {
    const first = await readRaw(file);
    if (first !== undefined) {
      const filled = fillAndValidate(first, home, file);
      if (!filled.changed) return filled.settings;
    }
    return withLock(async () => {
      const raw = await readRaw(file);
      const filled = fillAndValidate(raw ?? {}, home, file);
      if (raw === undefined) logger.info?.(`Created ${file} with a new token`);
      if (filled.changed) {
        if (raw !== undefined) logger.info?.(`Added missing fields to ${file}`);
        await writeSettings(file, filled.settings);
      }
      return filled.settings;
    });
  };

  // Check an existing file before anything rewrites it (too-open mode, foreign owner, symlink), and again after.
  if (await lstat(file).catch(() => undefined)) await secureFile(file, home, logger);
  let current = freeze(await readAndComplete());
  await secureFile(file, home, logger);

  let closed = false;
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;

  const adopt = (next: Settings): Settings => {
    const prev = current;
    if (isDeepStrictEqual(prev, next)) return prev;
    current = freeze(next);
    emitter.emit('change', current, prev);
    return current;
  };

  const reload = async (): Promise<Settings> => {
    try {
      return adopt(await readAndComplete());
    } catch (error) {
      const err = error instanceof SettingsError ? error : ioError(file, error);
      logger.warn?.(
        `Ignoring the new content of ${file}; keeping the last good settings. ${err.message}\n  fix: ${err.hint}`,
      );
      emitter.emit('error', err);
      return current;
    }
  };

  if (options.watch) {
    try {
      // Watch the directory: the atomic rename replaces the file's inode, which a file watch would lose.
      watcher = watch(home, { persistent: false }, (_event, name) => {
        if (name !== null && name !== FILE_NAME) return;
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          timer = undefined;
          if (!closed) void reload();
        }, options.watchDebounceMs ?? 50);
      });
      watcher.on('error', (cause) => emitter.emit('error', ioError(file, cause)));
    } catch (cause) {
      logger.warn?.(`Cannot watch ${file}; edits made by hand apply after a restart (${String(cause)})`);
    }
  }

  const update = async (mutate: (settings: Settings) => Settings): Promise<Settings> => {
    const next = await withLock(async () => {
      // The lock keeps Band's writers in turn; an editor saving by hand does not take it. So the write goes
      // through only if the file still holds what this update read, else it starts again from the new content.
      for (let attempt = 1; ; attempt++) {
        const text = await readText(file);
        const raw = text === undefined ? undefined : parseRaw(text, file);
        const base = fillAndValidate(raw ?? {}, home, file).settings;
        const mutated = mutate(structuredClone(base));
        const validated = validate(mutated, file);
        const unchanged = attempt >= MAX_WRITE_ATTEMPTS ? undefined : () => readTextSync(file) === text;
        if (await writeSettings(file, validated, unchanged)) return validated;
      }
    });
    return adopt(next);
  };

  const set = async (path: string, value: unknown): Promise<Settings> => {
    const segments = path.split('.');
    const top = segments[0] ?? '';
    if (!path || segments.some((s) => !s || FORBIDDEN_SEGMENTS.has(s)) || !settingsKeys.includes(top)) {
      throw unknownKey(file, path);
    }
    const candidates = coerceCandidates(value);
    const refusals: SettingsError[] = [];
    for (const candidate of candidates) {
      try {
        return await update((s) => setPath(s, segments, candidate, file));
      } catch (error) {
        if (!(error instanceof SettingsError) || (error.code !== 'INVALID_FIELD' && error.code !== 'MALFORMED_TOKEN')) {
          throw error;
        }
        refusals.push(error);
      }
    }
    // The reading of the right type says what is wrong: `70000` is "at most 65535", not "must be number" (which is
    // what the raw string "70000" gets).
    throw refusals.find((error) => !isWrongType(error)) ?? refusals.at(-1);
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    if (timer) clearTimeout(timer);
    watcher?.close();
    emitter.removeAllListeners();
  };

  return {
    home,
    file,
    get: () => current,
    update,
    set,
    reload,
    on(event, listener) {
      emitter.on(event, listener as never);
      return () => emitter.off(event, listener as never);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
