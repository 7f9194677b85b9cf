import type Database from 'better-sqlite3';
import { likePrefix } from '../ids.js';

export type Db = Database.Database;

export interface RepoContext {
  db: Db;
  now(): number;
}

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

/**
 * Builds `UPDATE <table> SET a = @a, b = @b WHERE id = @id` for the keys present in a patch, caching one
 * prepared statement per key set. Keys are checked against `columns` (field → column), never interpolated raw.
 */
export function createPatcher(db: Db, table: string, columns: Record<string, string>, touchUpdatedAt: boolean) {
  const cache = new Map<string, Database.Statement>();
  return (id: string, patch: Record<string, unknown>, now: number): boolean => {
    const keys = Object.keys(patch)
      .filter((k) => patch[k] !== undefined && k in columns)
      .sort();
    if (keys.length === 0 && !touchUpdatedAt) return false;
    const cacheKey = keys.join(',');
    let stmt = cache.get(cacheKey);
    if (!stmt) {
      const sets = keys.map((k) => `${columns[k]} = @${k}`);
      if (touchUpdatedAt) sets.push('updated_at = @__now');
      stmt = db.prepare(`UPDATE ${table} SET ${sets.join(', ')} WHERE id = @__id`);
      cache.set(cacheKey, stmt);
    }
    const params: Record<string, unknown> = { __id: id };
    if (touchUpdatedAt) params.__now = now;
    for (const k of keys) params[k] = patch[k];
    return stmt.run(params).changes > 0;
  };
}

/** `get(id)` over `table` (a name of ours, never input): the row with that id as a record, or undefined. */
export function createGetById<Row, T>(db: Db, table: string, toRecord: (row: Row) => T) {
  const byId = db.prepare<[string], Row>(`SELECT * FROM ${table} WHERE id = ?`);
  return (id: string): T | undefined => {
    const row = byId.get(id);
    return row === undefined ? undefined : toRecord(row);
  };
}

/** `findByIdPrefix(prefix)` over `table`: up to 10 records, by id, whose id starts with `prefix` taken literally. */
export function createFindByIdPrefix<Row, T>(db: Db, table: string, toRecord: (row: Row) => T) {
  const byPrefix = db.prepare<[string], Row>(`SELECT * FROM ${table} WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 10`);
  return (prefix: string): T[] => byPrefix.all(likePrefix(prefix)).map(toRecord);
}
