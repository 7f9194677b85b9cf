import type { ChatEventInput, ChatEventRecord } from '../types.js';
import { StoreError } from '../errors.js';
import { iso, type RepoContext } from './shared.js';

interface EventRow {
  chat_id: string;
  seq: number;
  turn_id: string | null;
  type: string;
  payload: string;
  created_at: number;
}

const toRecord = <E>(r: EventRow): ChatEventRecord<E> => ({
  chatId: r.chat_id,
  seq: r.seq,
  turnId: r.turn_id,
  type: r.type,
  event: JSON.parse(r.payload) as E,
  createdAt: iso(r.created_at),
});

/** @default 500 — one page of backfill for a reconnecting subscriber. */
export const DEFAULT_EVENTS_PAGE = 500;
/** Upper bound for one `listAfter` page, whatever the caller asks. */
export const MAX_EVENTS_PAGE = 5_000;

export interface ChatEventsRepository {
  /**
   * Stores one event and returns its sequence number: the chat's previous last seq + 1, assigned in an
   * IMMEDIATE transaction, so it is strictly increasing per chat even with several writers (processes) on the
   * same file. Throws StoreError `REFERENCE_MISSING` when the chat does not exist.
   */
  append(chatId: string, turnId: string | null, event: ChatEventInput): number;
  /** Stores several events in one transaction (one fsync); returns their seqs in order. */
  appendMany(chatId: string, turnId: string | null, events: readonly ChatEventInput[]): number[];
  /**
   * `appendMany`, returning each event as stored: its seq and the `createdAt` written with it, so what is
   * published live is exactly what `listAfter` reads back later (`event` is the object given).
   */
  appendRecords<E extends ChatEventInput>(
    chatId: string,
    turnId: string | null,
    events: readonly E[],
  ): ChatEventRecord<E>[];
  /**
   * Events with `seq > afterSeq`, oldest first, at most `limit` (default 500, max 5000). Use 0 for "from the start".
   */
  listAfter<E = ChatEventInput>(chatId: string, afterSeq: number, limit?: number): ChatEventRecord<E>[];
  /**
   * A page backwards: the `limit` newest events with `seq < beforeSeq` (default 500, max 5000), returned oldest
   * first. Give `lastSeq + 1` (or any larger number) to open a chat at its end; read by the primary key, newest
   * first, so a page costs the same at any depth of a long chat.
   */
  listBefore<E = ChatEventInput>(chatId: string, beforeSeq: number, limit?: number): ChatEventRecord<E>[];
  /** The last assigned seq of a chat (0 when it has none or does not exist). */
  lastSeq(chatId: string): number;
  /** A turn's events, oldest first. */
  listByTurn<E = ChatEventInput>(turnId: string): ChatEventRecord<E>[];
}

export function createChatEventsRepository({ db, now }: RepoContext): ChatEventsRepository {
  // The counter lives on the chat row (not MAX(seq)+1) so a seq is never reused, even if old events are pruned.
  const bump = db.prepare<[number, string], { last_seq: number }>(
    'UPDATE chats SET last_seq = last_seq + ? WHERE id = ? RETURNING last_seq',
  );
  const insert = db.prepare(
    'INSERT INTO chat_events (chat_id, seq, turn_id, type, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const after = db.prepare<[string, number, number], EventRow>(
    'SELECT * FROM chat_events WHERE chat_id = ? AND seq > ? ORDER BY seq LIMIT ?',
  );
  const before = db.prepare<[string, number, number], EventRow>(
    'SELECT * FROM chat_events WHERE chat_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
  );
  const last = db.prepare<[string], { last_seq: number }>('SELECT last_seq FROM chats WHERE id = ?');
  const ofTurn = db.prepare<[string], EventRow>('SELECT * FROM chat_events WHERE turn_id = ? ORDER BY seq');

  const appendManyTx = db.transaction(
    <E extends ChatEventInput>(chatId: string, turnId: string | null, events: readonly E[]): ChatEventRecord<E>[] => {
      if (events.length === 0) return [];
      const row = bump.get(events.length, chatId);
      if (!row) throw new StoreError('REFERENCE_MISSING', `Chat not found: ${chatId}`);
      const first = row.last_seq - events.length + 1;
      const at = now();
      const createdAt = iso(at);
      return events.map((event, i) => {
        if (typeof event?.type !== 'string') throw new TypeError('A chat event needs a string `type`');
        insert.run(chatId, first + i, turnId, event.type, JSON.stringify(event), at);
        return { chatId, seq: first + i, turnId, type: event.type, event, createdAt };
      });
    },
  );

  const pageSize = (limit: number) =>
    Number.isFinite(limit) ? Math.max(1, Math.min(MAX_EVENTS_PAGE, Math.floor(limit))) : DEFAULT_EVENTS_PAGE;

  return {
    append: (chatId, turnId, event) => appendManyTx.immediate(chatId, turnId, [event])[0]!.seq,
    appendMany: (chatId, turnId, events) => appendManyTx.immediate(chatId, turnId, events).map((r) => r.seq),
    appendRecords: (chatId, turnId, events) =>
      appendManyTx.immediate(chatId, turnId, events) as ChatEventRecord<never>[],
    listAfter(chatId, afterSeq, limit = DEFAULT_EVENTS_PAGE) {
      // Subscribers send lastEventId from the network: anything odd means "from the start" / "one default page".
      const from = Number.isFinite(afterSeq) ? Math.max(0, Math.floor(afterSeq)) : 0;
      return after.all(chatId, from, pageSize(limit)).map((r) => toRecord(r));
    },
    listBefore(chatId, beforeSeq, limit = DEFAULT_EVENTS_PAGE) {
      // Infinity or a huge number means "from the end"; NaN or below 1 means nothing is before it.
      const below =
        beforeSeq === Number.POSITIVE_INFINITY
          ? Number.MAX_SAFE_INTEGER
          : Number.isFinite(beforeSeq)
            ? Math.ceil(beforeSeq)
            : 0;
      if (below <= 1) return [];
      return before
        .all(chatId, Math.min(below, Number.MAX_SAFE_INTEGER), pageSize(limit))
        .reverse()
        .map((r) => toRecord(r));
    },
    lastSeq: (chatId) => last.get(chatId)?.last_seq ?? 0,
    listByTurn: (turnId) => ofTurn.all(turnId).map((r) => toRecord(r)),
  };
}
