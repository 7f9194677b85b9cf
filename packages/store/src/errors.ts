import { BandError, type BandErrorOptions } from '@band/internal';

/** Every failure @band/store reports, as a closed union. */
export type StoreErrorCode =
  /** The file exists but is not a SQLite database, or SQLite found a damaged page. */
  | 'DATABASE_CORRUPT'
  /** The database was written by a newer Band (its schema version is above the one this build knows). */
  | 'DATABASE_TOO_NEW'
  /** The file could not be opened (permissions, a directory in the way, a full disk...). */
  | 'OPEN_FAILED'
  /** Applying a migration failed; the transaction was rolled back and the file is unchanged. */
  | 'MIGRATION_FAILED'
  /** The database is locked by another process for longer than the busy timeout. */
  | 'DATABASE_BUSY'
  /** The disk holding band.db is full (SQLITE_FULL): the write was rolled back, nothing else changed. */
  | 'DISK_FULL'
  /** A unique constraint was violated (e.g. a project name that already exists). */
  | 'CONFLICT'
  /** A referenced row does not exist (e.g. appending an event to a chat that was deleted). */
  | 'REFERENCE_MISSING'
  /** The store was used after `close()`. */
  | 'STORE_CLOSED';

export type StoreErrorOptions = BandErrorOptions;

/** The one error class of @band/store. */
export class StoreError extends BandError<StoreErrorCode> {
  override readonly name = 'StoreError';
}

export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}

// --- factories ---

export const databaseCorrupt = (file: string, cause?: unknown) =>
  new StoreError('DATABASE_CORRUPT', `${file} is not a valid Band database (${sqliteMessage(cause)})`, {
    hint:
      `Band left the file untouched. ` +
      `Move it aside (e.g. mv "${file}" "${file}.broken") and restart Band to start with ` +
      `an empty database, or restore a backup.`,
    cause,
  });

export const databaseTooNew = (file: string, found: number, known: number) =>
  new StoreError(
    'DATABASE_TOO_NEW',
    `${file} has schema version ${found}, but this Band only knows up to version ${known}`,
    {
      hint:
        'A newer Band wrote this database. Upgrade Band (npm ' +
        'install -g band@latest), or point BAND_HOME elsewhere.',
    },
  );

export const openFailed = (file: string, cause: unknown) =>
  new StoreError('OPEN_FAILED', `Cannot open ${file} (${sqliteMessage(cause)})`, {
    hint: 'Check that the directory exists and is writable by you, and that the disk is not full.',
    cause,
  });

export const storeClosed = () =>
  new StoreError('STORE_CLOSED', 'The Band store is closed', {
    hint: 'This is a bug: a request arrived after shutdown.',
  });

function sqliteMessage(cause: unknown): string {
  if (cause instanceof Error)
    return (cause as { code?: string }).code ? `${(cause as { code?: string }).code}: ${cause.message}` : cause.message;
  return String(cause);
}

/**
 * Maps an error thrown by better-sqlite3 to a StoreError where we know what it means; anything else is
 * returned unchanged so a bug stays visible.
 */
export function toStoreError(error: unknown, file: string): unknown {
  if (error instanceof StoreError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof TypeError && /database connection is not open/i.test(error.message)) return storeClosed();
  if (typeof code !== 'string') return error;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new StoreError('CONFLICT', `Already exists (${(error as Error).message})`, { cause: error });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new StoreError('REFERENCE_MISSING', 'A referenced record does not exist', { cause: error });
  }
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED') {
    return new StoreError('DATABASE_BUSY', `${file} is locked by another process`, {
      hint: 'Another Band server may be running with the same BAND_HOME; stop it first.',
      cause: error,
    });
  }
  if (code === 'SQLITE_FULL') {
    return new StoreError('DISK_FULL', `The disk holding ${file} is full: the change was not saved`, {
      hint: 'Free some space on that disk, then try again (everything saved before is intact).',
      cause: error,
    });
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT_')) {
    return databaseCorrupt(file, error);
  }
  return error;
}
