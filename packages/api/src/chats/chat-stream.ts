import type { ChatEventRecord } from '@band/store';
import { createWakeup } from './wakeup.js';

/** Limits of one batch of a chat's events (one WebSocket frame of `chats.eventBatches`). */
export interface ChatBatchLimits {
  /** At most this many events in one batch. @default 1_000 */
  maxEvents?: number;
  /**
   * Stop adding events once a batch holds about this many characters of JSON (a batch always holds at least one
   * event, however large). @default 512 * 1024
   */
  maxChars?: number;
}

export const chatBatchDefaults = Object.freeze({ maxEvents: 1_000, maxChars: 512 * 1024 });

/** Subscribers buffer at most this many live events before falling back to reading SQLite. */
const LIVE_BUFFER_LIMIT = 10_000;
const BACKFILL_PAGE = 1_000;

/** The stream's two views of the log: what is stored, and what is being appended. No I/O of its own. */
export interface ChatStreamDeps<E> {
  /** Up to `limit` stored events of the chat with seq above `afterSeq`, in seq order (band.db). */
  listAfter(chatId: string, afterSeq: number, limit: number): ChatEventRecord<E>[];
  /** Registers a listener for events appended to any chat (already stored, seq final); returns its remover. */
  onEvent(listener: (envelope: ChatEventRecord<E>) => void): () => void;
  /** Live events buffered before falling back to `listAfter` (tests make it small). @default 10_000 */
  liveBufferLimit?: number;
}

/**
 * A chat's events after `afterSeq`, in batches: subscribes first, backfills from SQLite, dedupes, then goes
 * live. Every event is yielded exactly once, in seq order, whatever the timing; a batch is everything that
 * arrived since the previous one (up to the limits), so a subscriber that keeps up gets single events with no
 * added delay, and one that falls behind (a flood, 50 phones) gets one frame per tick instead of one per event.
 * Ends when `signal` aborts.
 */
export async function* streamChatEventBatches<E>(
  deps: ChatStreamDeps<E>,
  input: { chatId: string; afterSeq?: number },
  signal?: AbortSignal,
  limits: ChatBatchLimits = {},
): AsyncGenerator<ChatEventRecord<E>[]> {
  const chatId = input.chatId;
  const maxEvents = Math.max(1, limits.maxEvents ?? chatBatchDefaults.maxEvents);
  const maxChars = Math.max(1, limits.maxChars ?? chatBatchDefaults.maxChars);
  const liveBufferLimit = deps.liveBufferLimit ?? LIVE_BUFFER_LIMIT;
  let last = Number.isFinite(input.afterSeq) ? Math.max(0, Math.floor(input.afterSeq!)) : 0;
  // 1. Subscribe before reading the backlog, so nothing published in between is missed.
  let live: ChatEventRecord<E>[] = [];
  let head = 0; // live[head] is the next unread event (shift() on a long array is O(n))
  let overflowed = false;
  const wakeup = createWakeup(signal);
  const off = deps.onEvent((envelope) => {
    if (envelope.chatId !== chatId) return;
    if (live.length - head >= liveBufferLimit) {
      // A slow subscriber: drop the buffer, the events are in SQLite and are read from there instead.
      live = [];
      head = 0;
      overflowed = true;
    } else {
      live.push(envelope);
    }
    wakeup.wake();
  });
  try {
    for (;;) {
      // 2. Backfill (also after an overflow, or when a live event shows a gap).
      const backfillTo = overflowed ? Number.POSITIVE_INFINITY : (live[head]?.seq ?? Number.POSITIVE_INFINITY);
      overflowed = false;
      while (last + 1 < backfillTo) {
        if (signal?.aborted) return;
        const page = deps.listAfter(chatId, last, BACKFILL_PAGE);
        const upTo = page.findIndex((record) => record.seq >= backfillTo);
        const wanted = upTo === -1 ? page : page.slice(0, upTo);
        for (const batch of split(wanted, maxEvents, maxChars)) {
          last = batch.at(-1)!.seq;
          yield batch;
          if (signal?.aborted) return;
        }
        if (page.length < BACKFILL_PAGE || upTo !== -1) break;
      }
      // 3. Live, deduped against what was already yielded: everything queued now, as one batch (or a few).
      while (head < live.length && !overflowed) {
        const batch: ChatEventRecord<E>[] = [];
        let chars = 0;
        while (head < live.length && batch.length < maxEvents && chars < maxChars) {
          const envelope = live[head]!;
          if (envelope.seq <= last) {
            head++;
            continue;
          }
          if (envelope.seq > last + 1) break; // gap: fill it from SQLite first
          head++;
          last = envelope.seq;
          batch.push(envelope);
          chars += approximateJsonChars(envelope);
        }
        if (head === live.length) {
          live = [];
          head = 0;
        } else if (head > 4_096 && head * 2 > live.length) {
          live = live.slice(head); // a subscriber that never quite catches up must not keep what it has read
          head = 0;
        }
        if (batch.length === 0) break; // a gap
        yield batch;
        if (signal?.aborted) return;
      }
      if (signal?.aborted) return;
      if (head === live.length && !overflowed && !(await wakeup.sleep())) return;
    }
  } finally {
    off();
    wakeup.dispose();
  }
}

/** Splits stored records into batches within the limits (each at least one record). */
function* split<T>(records: readonly T[], maxEvents: number, maxChars: number): Generator<T[]> {
  let batch: T[] = [];
  let chars = 0;
  for (const record of records) {
    if (batch.length > 0 && (batch.length >= maxEvents || chars >= maxChars)) {
      yield batch;
      batch = [];
      chars = 0;
    }
    batch.push(record);
    chars += approximateJsonChars(record);
  }
  if (batch.length > 0) yield batch;
}

/**
 * About how many characters `JSON.stringify(value)` would take (strings and keys counted by length, escapes
 * ignored), without building the string. Deep structures past a few levels count as a fixed size.
 */
export function approximateJsonChars(value: unknown, depth = 0): number {
  if (typeof value === 'string') return value.length + 2;
  if (value === null || typeof value !== 'object') return 8;
  if (depth > 8) return 64;
  let chars = 2;
  if (Array.isArray(value)) {
    for (const item of value) chars += approximateJsonChars(item, depth + 1) + 1;
    return chars;
  }
  for (const key in value) {
    chars += key.length + 4 + approximateJsonChars((value as Record<string, unknown>)[key], depth + 1);
  }
  return chars;
}
