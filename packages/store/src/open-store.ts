import { chmodSync, closeSync, constants, fchmodSync, lstatSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { databaseCorrupt, databaseTooNew, openFailed, StoreError, toStoreError } from './errors.js';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.js';
import { type ChatEventsRepository, createChatEventsRepository } from './repositories/chat-events.js';
import { type ChatsRepository, createChatsRepository } from './repositories/chats.js';
import { createProjectsRepository, type ProjectsRepository } from './repositories/projects.js';
import type { Db } from './repositories/shared.js';
import { createTurnsRepository, type TurnsRepository } from './repositories/turns.js';
import { createWorkspacesRepository, type WorkspacesRepository } from './repositories/workspaces.js';

export interface StoreOptions {
  /** How long a write waits for another connection's lock before failing with `DATABASE_BUSY`. @default 5_000 */
  busyTimeoutMs?: number;
  /** Clock for `createdAt`/`updatedAt` (tests pin it). @default Date.now */
  now?: () => number;
  /**
   * Run `PRAGMA quick_check` at open. It reads every page (O(size)), so it is off by default: a damaged header
   * or schema is caught anyway, and a damaged data page surfaces as `DATABASE_CORRUPT` when it is read.
   * @default false
   */
  shouldVerifyIntegrity?: boolean;
  /** Migrations to apply; only tests pass their own. @default MIGRATIONS */
  migrations?: readonly Migration[];
}

/** Band's state in one SQLite file. Every method is synchronous (better-sqlite3); errors are `StoreError`s. */
export interface Store {
  /** Absolute path of the database file. */
  readonly file: string;
  /** Schema version of the open database (equals `SCHEMA_VERSION` after open). */
  readonly schemaVersion: number;
  readonly projects: ProjectsRepository;
  readonly workspaces: WorkspacesRepository;
  readonly chats: ChatsRepository;
  readonly turns: TurnsRepository;
  readonly chatEvents: ChatEventsRepository;
  /** Runs `fn` in one IMMEDIATE transaction (all repository calls inside commit or roll back together). */
  transaction<T>(fn: () => T): T;
  readonly isOpen: boolean;
  /** Checkpoints the WAL into the main file and closes. Idempotent. */
  close(): void;
  [Symbol.dispose](): void;
  [Symbol.asyncDispose](): Promise<void>;
}

/** The database file and its SQLite companions: every one is 0600. */
const COMPANION_SUFFIXES = ['', '-wal', '-shm', '-journal'];

/** Creates an empty file with mode 0600 (exactly: the umask is undone by fchmod). An existing file is left alone. */
function createPrivateFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0), 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return; // another process created it meanwhile
    throw error;
  }
  try {
    if (process.platform !== 'win32') fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
}

/**
 * chmod 0600 the database and its -wal/-shm/-journal files when group or others may read them (a file from an older
 * Band).
 */
function restrictModes(path: string): void {
  if (process.platform === 'win32') return;
  for (const suffix of COMPANION_SUFFIXES) {
    try {
      const info = lstatSync(path + suffix);
      if (info.isFile() && (info.mode & 0o077) !== 0) chmodSync(path + suffix, 0o600);
    } catch {
      // Missing (the usual case for the companions), or a filesystem without modes.
    }
  }
}

export const storeDefaults = Object.freeze({ busyTimeoutMs: 5_000 });

/**
 * Opens (creating if needed) a Band database and brings its schema up to date.
 * A file that is not a Band database, or one written by a newer Band, is refused with a `StoreError`
 * and left byte-for-byte untouched: the store never recreates a file it cannot read.
 */
export function openStore(file: string, options: StoreOptions = {}): Store {
  const path = resolve(file);
  const busyTimeoutMs = options.busyTimeoutMs ?? storeDefaults.busyTimeoutMs;
  const now = options.now ?? Date.now;
  const migrations = options.migrations ?? MIGRATIONS;
  const latest = migrations.length ? migrations[migrations.length - 1]!.version : 0;

  let existed = false;
  try {
    existed = statSync(path).isFile();
  } catch {
    // A missing file is created below.
  }
  let db: Db;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // Chat history and prompts are private. A new database file is created 0600 before SQLite opens it, because
    // SQLite gives the -wal, -shm and -journal files it creates the mode of the database file (chmod after the
    // open was too late: journal_mode=WAL had already made them 0644). Existing files that are too open are fixed.
    if (!existed) createPrivateFile(path);
    restrictModes(path);
    db = new Database(path, { timeout: busyTimeoutMs });
  } catch (error) {
    throw openFailed(path, error);
  }

  try {
    // --- validate before writing anything (journal_mode=WAL would already write the header) ---
    const found = readVersion(db, path);
    if (found > latest) throw databaseTooNew(path, found, latest);
    if (found === 0 && hasForeignTables(db)) {
      throw new StoreError('DATABASE_CORRUPT', `${path} is a SQLite database, but not one Band created`, {
        hint: 'Band left the file untouched. Move it aside or point BAND_HOME at another directory.',
      });
    }
    if (options.shouldVerifyIntegrity) {
      const result = db.pragma('quick_check', { simple: true });
      if (result !== 'ok') throw databaseCorrupt(path, new Error(String(result)));
    }

    // --- connection settings ---
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw openFailed(path, new Error(`journal_mode is ${String(mode)}, WAL unavailable`));
    db.pragma('foreign_keys = ON');
    // NORMAL is durable against application crashes in WAL mode; a power loss may drop the last commits only.
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);

    migrate(db, path, migrations, now);
  } catch (error) {
    db.close();
    throw toStoreError(error, path);
  }

  const ctx = { db, now };
  const wrap = <T extends object>(repo: T): T => wrapRepository(repo, path);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // A reader in another process may hold the WAL; closing still checkpoints what it can.
    }
    db.close();
  };
  const store: Store = {
    file: path,
    schemaVersion: db.pragma('user_version', { simple: true }) as number,
    projects: wrap(createProjectsRepository(ctx)),
    workspaces: wrap(createWorkspacesRepository(ctx)),
    chats: wrap(createChatsRepository(ctx)),
    turns: wrap(createTurnsRepository(ctx)),
    chatEvents: wrap(createChatEventsRepository(ctx)),
    transaction<T>(fn: () => T): T {
      try {
        return db.transaction(fn).immediate();
      } catch (error) {
        throw toStoreError(error, path);
      }
    },
    get isOpen() {
      return !closed;
    },
    close,
    [Symbol.dispose]: close,
    async [Symbol.asyncDispose]() {
      close();
    },
  };
  return store;
}

function readVersion(db: Db, path: string): number {
  try {
    // Reading the schema parses the header and page 1: a non-SQLite file fails here with SQLITE_NOTADB.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db.pragma('user_version', { simple: true }) as number;
  } catch (error) {
    const mapped = toStoreError(error, path);
    throw mapped instanceof StoreError ? mapped : databaseCorrupt(path, error);
  }
}

function hasForeignTables(db: Db): boolean {
  const row = db
    .prepare<[], { n: number }>(
      "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .get();
  return (row?.n ?? 0) > 0;
}

function migrate(db: Db, path: string, migrations: readonly Migration[], now: () => number): void {
  // Up to date (every start after the first): one read, no write transaction per migration.
  const last = migrations.at(-1)?.version ?? 0;
  if ((db.pragma('user_version', { simple: true }) as number) >= last) return;
  for (const migration of migrations) {
    const apply = db.transaction(() => {
      // Re-read inside the write lock: another process may have migrated while we waited.
      const current = db.pragma('user_version', { simple: true }) as number;
      if (current >= migration.version) return;
      db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`);
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        now(),
      );
      db.pragma(`user_version = ${migration.version}`);
    });
    try {
      apply.immediate();
    } catch (error) {
      const mapped = toStoreError(error, path);
      if (mapped instanceof StoreError && mapped.code === 'DATABASE_BUSY') throw mapped;
      throw new StoreError('MIGRATION_FAILED', `Migration ${migration.version} (${migration.name}) failed on ${path}`, {
        hint: 'The database was left at its previous version. Report this with the message above.',
        cause: error,
      });
    }
  }
}

/** Maps better-sqlite3 errors thrown by any repository method to `StoreError`s. */
function wrapRepository<T extends object>(repo: T, path: string): T {
  const wrapped: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(repo)) {
    wrapped[key] =
      typeof value === 'function'
        ? (...args: unknown[]) => {
            try {
              return (value as (...a: unknown[]) => unknown)(...args);
            } catch (error) {
              throw toStoreError(error, path);
            }
          }
        : value;
  }
  return Object.freeze(wrapped) as T;
}

export { SCHEMA_VERSION };
