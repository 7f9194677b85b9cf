import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, openStore, SCHEMA_VERSION, StoreError } from '../src/index.js';
import { toStoreError } from '../src/errors.js';
import { tempDir } from './helpers.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function expectStoreError(fn: () => unknown, code: StoreError['code']): StoreError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe(code);
    return error as StoreError;
  }
  throw new Error(`expected StoreError ${code}`);
}

describe('openStore', () => {
  it('creates band.db (and missing parent dirs) with WAL, foreign keys and every migration applied', () => {
    const file = join(tempDir(), 'nested', 'home', 'band.db');
    const store = openStore(file);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    store.close();

    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const applied = raw.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    expect(applied).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    raw.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it(
    'band.db, band.db-wal and band.db-shm are 0600 from the ' + 'first open, whatever the umask (issue 16, finding 8)',
    () => {
      const previous = process.umask(0o022); // the usual umask, which made the -wal and -shm files 0644
      try {
        const file = join(tempDir(), 'band.db');
        const store = openStore(file);
        store.projects.create({ name: 'app', path: '/r/app', defaultBranch: 'main' }); // a write: the WAL is in use
        for (const name of [file, `${file}-wal`, `${file}-shm`]) {
          expect(existsSync(name), name).toBe(true);
          expect((statSync(name).mode & 0o777).toString(8), name).toBe('600');
        }
        store.close();
      } finally {
        process.umask(previous);
      }
    },
  );

  it('an existing database whose files are readable by others is made 0600 at open', () => {
    const file = join(tempDir(), 'band.db');
    openStore(file).close();
    chmodSync(file, 0o644);
    writeFileSync(`${file}-wal`, '');
    chmodSync(`${file}-wal`, 0o644);
    const store = openStore(file);
    for (const name of [file, `${file}-wal`, `${file}-shm`])
      expect((statSync(name).mode & 0o777).toString(8), name).toBe('600');
    store.close();
  });

  it('enforces foreign keys: a workspace of an unknown project is refused', () => {
    const store = openStore(join(tempDir(), 'band.db'));
    const error = expectStoreError(
      () => store.workspaces.create({ projectId: 'prj_nope', branch: 'x', baseBranch: 'main', path: '/x' }),
      'REFERENCE_MISSING',
    );
    expect(error.message).toMatch(/referenced/);
    store.close();
  });

  it('reopens an existing database without re-running migrations, keeping its data', () => {
    const file = join(tempDir(), 'band.db');
    const first = openStore(file);
    first.projects.create({ name: 'app', path: '/r/app', defaultBranch: 'main' });
    first.close();
    const second = openStore(file);
    expect(second.projects.list().map((p) => p.name)).toEqual(['app']);
    second.close();
  });

  it('applies a later migration to an older database', () => {
    const file = join(tempDir(), 'band.db');
    openStore(file, { migrations: MIGRATIONS.slice(0, 1) }).close();
    const next = [
      ...MIGRATIONS,
      { version: SCHEMA_VERSION + 1, name: 'labels', sql: 'ALTER TABLE projects ADD COLUMN label TEXT' },
    ];
    const store = openStore(file, { migrations: next });
    expect(store.schemaVersion).toBe(SCHEMA_VERSION + 1);
    store.close();
  });

  it('rolls back a failing migration and leaves the version unchanged', () => {
    const file = join(tempDir(), 'band.db');
    openStore(file).close();
    const broken = [
      ...MIGRATIONS,
      { version: SCHEMA_VERSION + 1, name: 'broken', sql: 'CREATE TABLE t (a); SELECT * FROM nope' },
    ];
    expectStoreError(() => openStore(file, { migrations: broken }), 'MIGRATION_FAILED');
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(raw.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 't'").get()).toEqual({ n: 0 });
    raw.close();
  });

  it('refuses a database written by a newer Band, with a hint, and does not touch it', () => {
    const file = join(tempDir(), 'band.db');
    openStore(file).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    raw.close();
    const before = sha(file);

    const error = expectStoreError(() => openStore(file), 'DATABASE_TOO_NEW');
    expect(error.message).toContain(`schema version ${SCHEMA_VERSION + 5}`);
    expect(error.hint).toMatch(/Upgrade Band/);
    expect(sha(file)).toBe(before);
  });

  it('refuses a corrupt file (not SQLite) with a hint and leaves it byte-for-byte untouched', () => {
    const dir = tempDir();
    const file = join(dir, 'band.db');
    writeFileSync(file, Buffer.concat([Buffer.from('this is not a database\n'), Buffer.alloc(8192, 0xab)]));
    const before = sha(file);

    const error = expectStoreError(() => openStore(file), 'DATABASE_CORRUPT');
    expect(error.message).toContain(file);
    expect(error.hint).toMatch(/untouched/);
    expect(sha(file)).toBe(before);
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it('refuses a database whose header was truncated mid-page', () => {
    const file = join(tempDir(), 'band.db');
    const store = openStore(file);
    for (let i = 0; i < 200; i++) store.projects.create({ name: `p${i}`, path: `/r/${i}`, defaultBranch: 'main' });
    store.close();
    const bytes = readFileSync(file);
    // Keep the header but damage page 1 (the schema): SQLite reports SQLITE_CORRUPT / NOTADB.
    bytes.fill(0xff, 100, 4096);
    writeFileSync(file, bytes);
    const before = sha(file);
    expectStoreError(() => openStore(file), 'DATABASE_CORRUPT');
    expect(sha(file)).toBe(before);
  });

  it('refuses a SQLite database that some other program created', () => {
    const file = join(tempDir(), 'band.db');
    const raw = new Database(file);
    raw.exec('CREATE TABLE notes (body TEXT)');
    raw.close();
    const error = expectStoreError(() => openStore(file), 'DATABASE_CORRUPT');
    expect(error.message).toMatch(/not one Band created/);
  });

  it('reports a path it cannot open as OPEN_FAILED', () => {
    const dir = tempDir();
    // A directory where the file should be.
    expectStoreError(() => openStore(dir), 'OPEN_FAILED');
  });

  it('close() is idempotent, checkpoints the WAL, and later calls fail with STORE_CLOSED', async () => {
    const file = join(tempDir(), 'band.db');
    const store = openStore(file);
    store.projects.create({ name: 'app', path: '/r/app', defaultBranch: 'main' });
    store.close();
    store.close();
    await store[Symbol.asyncDispose]();
    expect(store.isOpen).toBe(false);
    expect(existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0).toBe(0);
    expectStoreError(() => store.projects.list(), 'STORE_CLOSED');
  });

  it('reports a write blocked by another connection as DATABASE_BUSY after the busy timeout', () => {
    const file = join(tempDir(), 'band.db');
    const store = openStore(file, { busyTimeoutMs: 50 });
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      const error = expectStoreError(
        () => store.projects.create({ name: 'x', path: '/x', defaultBranch: 'main' }),
        'DATABASE_BUSY',
      );
      expect(error.hint).toMatch(/Another Band server/);
    } finally {
      other.exec('ROLLBACK');
      other.close();
      store.close();
    }
  });

  it('reports a full disk (SQLITE_FULL) as DISK_FULL, saying what to do (soak: full disk)', () => {
    const file = join(tempDir(), 'full.db');
    const db = new Database(file);
    db.exec('CREATE TABLE t (x TEXT)');
    db.pragma('max_page_count = 3'); // SQLite's own "the disk is full" past this size
    let sqliteError: unknown;
    try {
      db.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(100_000));
    } catch (error) {
      sqliteError = error;
    } finally {
      db.close();
    }
    expect((sqliteError as { code?: string }).code).toBe('SQLITE_FULL');
    const mapped = toStoreError(sqliteError, file) as StoreError;
    expect(mapped).toBeInstanceOf(StoreError);
    expect(mapped.code).toBe('DISK_FULL');
    expect(mapped.message).toContain(`The disk holding ${file} is full`);
    expect(mapped.hint).toMatch(/Free some space/);
  });

  it('runs the optional integrity check on open', () => {
    const file = join(tempDir(), 'band.db');
    openStore(file).close();
    const store = openStore(file, { shouldVerifyIntegrity: true });
    expect(store.isOpen).toBe(true);
    store.close();
  });
});
