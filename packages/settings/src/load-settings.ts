import { EventEmitter } from 'node:events';
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { chmod, lstat, mkdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import {
  SettingsError,
  invalidField,
  invalidJson,
  ioError,
  lockTimeout,
  malformedToken,
  notAFile,
  listIndexOutOfRange,
  unknownKey,
  wrongOwner,
} from './errors.js';
import { acquireLock } from './internal/lock.js';
import { writeFileAtomic } from './internal/atomic-write.js';
import { settingsKeys, settingsSchema } from './schema.js';
import { generateTokenSecret } from './token.js';
import type { Settings } from './types.js';

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
        await write(file, filled.settings);
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
        if (await write(file, validated, unchanged)) return validated;
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
    throw refusals.find((error) => !WRONG_TYPE.has(error)) ?? refusals.at(-1);
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

async function readRaw(file: string): Promise<Record<string, unknown> | undefined> {
  const text = await readText(file);
  return text === undefined ? undefined : parseRaw(text, file);
}

/** The file's text, or undefined when there is none. */
async function readText(file: string): Promise<string | undefined> {
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
function readTextSync(file: string): string | undefined | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    return (cause as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : null;
  }
}

function parseRaw(text: string, file: string): Record<string, unknown> {
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

/** Fills generated fields (worktreesDir, tokenSecret) and schema defaults; reports whether anything was added. */
function fillAndValidate(
  raw: Record<string, unknown>,
  home: string,
  file: string,
): { settings: Settings; changed: boolean } {
  const input: Record<string, unknown> = { ...raw };
  if (input.worktreesDir === undefined) input.worktreesDir = join(home, 'worktrees');
  // Only an ABSENT token is generated. A present but malformed one stops the server (never silently replaced).
  if (input.tokenSecret === undefined) input.tokenSecret = generateTokenSecret();
  const settings = validate(input, file);
  return { settings, changed: !isDeepStrictEqual(raw, settings) };
}

function validate(input: unknown, file: string): Settings {
  const result = settingsSchema.safeParse(input);
  if (result.success) {
    const settings = result.data as Settings;
    if (settings.tunnel.originPort === settings.webServerPort) {
      throw invalidField(
        file,
        'tunnel.originPort',
        `must differ from webServerPort (${settings.webServerPort}): it is the named tunnel's own listener`,
      );
    }
    if (settings.tunnel.tokenFile !== undefined && settings.tunnel.credentialsFile !== undefined) {
      throw invalidField(
        file,
        'tunnel.credentialsFile',
        'cannot be set together with tunnel.tokenFile: a named tunnel runs either with a token (managed in ' +
          'Cloudflare) or with a credentials file (locally managed); `band tunnel setup` switches between them',
      );
    }
    return settings;
  }
  throw toSettingsError(result.error, file);
}

/** Refusals of a value of the wrong type, which `set` passes over when another reading of a CLI string got further. */
const WRONG_TYPE = new WeakSet<SettingsError>();

function toSettingsError(error: z.ZodError, file: string): SettingsError {
  const issue = error.issues[0];
  const field = issue?.path.map(String).join('.') || '(root)';
  if (field === 'tokenSecret') return malformedToken(file);
  const refusal = invalidField(file, field, describeIssue(issue));
  if (issue?.code === 'invalid_type') WRONG_TYPE.add(refusal);
  return refusal;
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'is invalid';
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${issue.expected}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'string' ? 'must not be empty' : `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    default:
      return `is invalid (${issue.message})`;
  }
}

/** For a CLI string, try its JSON reading first (4000, true, null, [..]) and fall back to the raw string. */
function coerceCandidates(value: unknown): unknown[] {
  if (typeof value !== 'string') return [value];
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed === 'string') return [parsed, value];
    return [parsed, value];
  } catch {
    return [value];
  }
}

/** A list position in a key path: `codingAgents.0.command`. */
const INDEX_SEGMENT = /^(0|[1-9][0-9]{0,5})$/;

/**
 * Sets `value` at `segments`, creating objects on the way. A number after a list names an element
 * (`codingAgents.0.command`), and the number one past the end adds one; any other key of a list is refused. A value
 * on the way that is neither is replaced by an object, and validation then says what is wrong with the result.
 */
function setPath(settings: Settings, segments: string[], value: unknown, file: string): Settings {
  let node: Record<string, unknown> | unknown[] = settings;
  const path: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const isLast = i === segments.length - 1;
    if (Array.isArray(node)) {
      const index = Number(segment);
      if (!INDEX_SEGMENT.test(segment) || index > node.length)
        throw listIndexOutOfRange(file, segments.join('.'), path.join('.'), node.length);
      if (isLast) node[index] = value;
      else {
        if (!node[index] || typeof node[index] !== 'object') node[index] = {};
        node = node[index] as Record<string, unknown> | unknown[];
      }
    } else if (isLast) {
      node[segment] = value;
    } else {
      const child = node[segment];
      if (!child || typeof child !== 'object') node[segment] = {};
      node = node[segment] as Record<string, unknown> | unknown[];
    }
    path.push(segment);
  }
  return settings;
}

/** Writes atomically; with `unchanged`, only if it still holds right before the rename (resolves false if not). */
async function write(file: string, settings: Settings, unchanged?: () => boolean): Promise<boolean> {
  try {
    return await writeFileAtomic(file, `${JSON.stringify(settings, null, 2)}\n`, { beforeRename: unchanged });
  } catch (cause) {
    throw ioError(file, cause);
  }
}

async function secureDirectory(home: string, logger: SettingsLogger): Promise<void> {
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

async function secureFile(file: string, home: string, logger: SettingsLogger): Promise<void> {
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

function freeze(settings: Settings): Settings {
  const deepFreeze = (value: unknown): void => {
    if (value && typeof value === 'object' && !Object.isFrozen(value)) {
      Object.freeze(value);
      for (const child of Object.values(value)) deepFreeze(child);
    }
  };
  deepFreeze(settings);
  return settings;
}
