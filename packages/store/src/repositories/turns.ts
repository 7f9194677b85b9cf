import { newId } from '../ids.js';
import type { Turn, TurnStatus } from '../types.js';
import { createGetById, isoOrNull, iso, type RepoContext } from './shared.js';

interface TurnRow {
  id: string;
  chat_id: string;
  prompt: string;
  status: TurnStatus;
  error: string | null;
  cost_usd: number | null;
  duration_ms: number | null;
  num_turns: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

const toTurn = (r: TurnRow): Turn => ({
  id: r.id,
  chatId: r.chat_id,
  prompt: r.prompt,
  status: r.status,
  error: r.error,
  costUsd: r.cost_usd,
  durationMs: r.duration_ms,
  numTurns: r.num_turns,
  createdAt: iso(r.created_at),
  startedAt: isoOrNull(r.started_at),
  finishedAt: isoOrNull(r.finished_at),
});

export interface NewTurn {
  chatId: string;
  prompt: string;
  /** Generated (`turn_…`) when omitted. */
  id?: string;
}

/** Summary fields set when a turn ends. */
export interface TurnResult {
  error?: string | null;
  costUsd?: number | null;
  durationMs?: number | null;
  numTurns?: number | null;
}

const FINAL: ReadonlySet<TurnStatus> = new Set(['done', 'failed', 'aborted']);

export interface TurnsRepository {
  /** Adds a `queued` turn. Throws StoreError `REFERENCE_MISSING` when the chat does not exist. */
  create(input: NewTurn): Turn;
  get(id: string): Turn | undefined;
  /** A chat's turns in the order they were sent. */
  list(chatId: string): Turn[];
  /** The running turn of a chat, if any. */
  running(chatId: string): Turn | undefined;
  /** Queued turns of a chat, oldest first. */
  queued(chatId: string): Turn[];
  /**
   * Atomically: when the chat has no running turn, moves its oldest queued turn to `running` (sets
   * `startedAt`) and returns it. Returns undefined when a turn is already running or none is queued.
   * This is how "one running turn per chat, further messages queue" stays true across callers.
   * `skip`: queued turns that must not start now (a paused queue holds them); the oldest other one starts.
   */
  startNext(chatId: string, skip?: ReadonlySet<string>): Turn | undefined;
  /** Ends a queued or running turn with a final status; returns undefined if it was already final or missing. */
  finish(id: string, status: 'done' | 'failed' | 'aborted', result?: TurnResult): Turn | undefined;
  /**
   * Marks every `running` turn `failed` (and, when `includeQueued`, every queued one `aborted`) with `reason`.
   * For startup: a turn cannot still be running after the server restarted. Returns the ids touched.
   */
  failInterrupted(reason: string, options?: { includeQueued?: boolean }): string[];
}

export function createTurnsRepository({ db, now }: RepoContext): TurnsRepository {
  const insert = db.prepare(
    "INSERT INTO turns (id, chat_id, prompt, status, created_at) VALUES (@id, @chatId, @prompt, 'queued', @now)",
  );
  const ofChat = db.prepare<[string], TurnRow>('SELECT * FROM turns WHERE chat_id = ? ORDER BY created_at, rowid');
  const runningOf = db.prepare<[string], TurnRow>(
    "SELECT * FROM turns WHERE chat_id = ? AND status = 'running' LIMIT 1",
  );
  const queuedOf = db.prepare<[string], TurnRow>(
    "SELECT * FROM turns WHERE chat_id = ? AND status = 'queued' ORDER BY created_at, rowid",
  );
  const start = db.prepare("UPDATE turns SET status = 'running', started_at = ? WHERE id = ? AND status = 'queued'");
  const finishStmt = db.prepare(`
    UPDATE turns SET status = @status, finished_at = @now,
      error = COALESCE(@error, error), cost_usd = COALESCE(@costUsd, cost_usd),
      duration_ms = COALESCE(@durationMs, duration_ms), num_turns = COALESCE(@numTurns, num_turns)
    WHERE id = @id AND status IN ('queued', 'running')`);
  const runningAll = db.prepare<[], { id: string }>("SELECT id FROM turns WHERE status = 'running'");
  const queuedAll = db.prepare<[], { id: string }>("SELECT id FROM turns WHERE status = 'queued'");
  const setFinal = db.prepare('UPDATE turns SET status = ?, error = ?, finished_at = ? WHERE id = ?');

  const get = createGetById(db, 'turns', toTurn);
  const startNextTx = db.transaction((chatId: string, skip?: ReadonlySet<string>): Turn | undefined => {
    if (runningOf.get(chatId)) return undefined;
    const next = skip?.size ? queuedOf.all(chatId).find((t) => !skip.has(t.id)) : queuedOf.get(chatId);
    if (!next) return undefined;
    start.run(now(), next.id);
    return get(next.id);
  });
  const failInterruptedTx = db.transaction((reason: string, includeQueued: boolean) => {
    const touched: string[] = [];
    const at = now();
    for (const { id } of runningAll.all()) {
      setFinal.run('failed', reason, at, id);
      touched.push(id);
    }
    if (includeQueued) {
      for (const { id } of queuedAll.all()) {
        setFinal.run('aborted', reason, at, id);
        touched.push(id);
      }
    }
    return touched;
  });

  return {
    create(input) {
      const id = input.id ?? newId('turn');
      insert.run({ id, chatId: input.chatId, prompt: input.prompt, now: now() });
      return get(id)!;
    },
    get,
    list: (chatId) => ofChat.all(chatId).map(toTurn),
    running(chatId) {
      const row = runningOf.get(chatId);
      return row && toTurn(row);
    },
    queued: (chatId) => queuedOf.all(chatId).map(toTurn),
    startNext: (chatId, skip) => startNextTx.immediate(chatId, skip),
    finish(id, status, result = {}) {
      if (!FINAL.has(status)) throw new TypeError(`finish() takes a final status, got ${status}`);
      const changes = finishStmt.run({
        id,
        status,
        now: now(),
        error: result.error ?? null,
        costUsd: result.costUsd ?? null,
        durationMs: result.durationMs ?? null,
        numTurns: result.numTurns ?? null,
      }).changes;
      return changes > 0 ? get(id) : undefined;
    },
    failInterrupted: (reason, options = {}) => failInterruptedTx.immediate(reason, options.includeQueued ?? false),
  };
}
