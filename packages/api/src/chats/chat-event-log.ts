import type { ChatEventInput, Store } from '@band/store';
import type { TypedEmitter } from '../events.js';
import type { Logger } from '../internal/logger.js';
import type { ChatBusEvents, ChatEvent, ChatEventEnvelope } from './chat-types.js';

/** Writes a chat's events to band.db and publishes each one, as stored, on the bus. */
export interface ChatEventLog {
  /** Queues an agent event for the next batch write (end of this tick). */
  enqueue(chatId: string, turnId: string | null, event: ChatEvent): void;
  /** Stores one event now (after anything queued for the chat, so seq order is send order) and publishes it. */
  append(chatId: string, turnId: string | null, event: ChatEvent): void;
  /** Writes what is queued for the chat now. */
  flush(chatId: string): void;
}

export interface ChatEventLogDeps {
  store: Store;
  events: TypedEmitter<ChatBusEvents>;
  logger: Logger;
  /** A batch write failed (the chat may have been deleted under a running agent). */
  onWriteFailed?(chatId: string): void;
}

/**
 * Agent events are written in batches: everything parsed from one stdout read goes into SQLite in one
 * transaction at the end of the tick (one commit instead of one per line), then is published in seq order.
 */
export function createChatEventLog({ store, events, logger, onWriteFailed }: ChatEventLogDeps): ChatEventLog {
  const pending = new Map<string, { turnId: string | null; events: ChatEvent[] }>();
  let isFlushScheduled = false;

  /** Publishes stored events as stored (seq and createdAt from band.db), so live equals what a backfill reads. */
  function publish(records: readonly ChatEventEnvelope[]) {
    for (const record of records) events.emit('chat.event', record);
  }

  function write(chatId: string, turnId: string | null, batch: readonly ChatEvent[]) {
    publish(
      store.chatEvents.appendRecords(
        chatId,
        turnId,
        batch as unknown as ChatEventInput[],
      ) as unknown as ChatEventEnvelope[],
    );
  }

  function flush(chatId: string) {
    const batch = pending.get(chatId);
    if (!batch) return;
    pending.delete(chatId);
    if (!store.isOpen) return;
    write(chatId, batch.turnId, batch.events);
  }

  function flushAll() {
    isFlushScheduled = false;
    for (const chatId of [...pending.keys()]) {
      try {
        flush(chatId);
      } catch (error) {
        logger.error(`chat ${chatId}: could not store events: ${(error as Error).message}`);
        onWriteFailed?.(chatId);
      }
    }
  }

  return {
    enqueue(chatId, turnId, event) {
      let batch = pending.get(chatId);
      // One batch is one turn's: a write carries a single turn id.
      if (batch && batch.turnId !== turnId) {
        flush(chatId);
        batch = undefined;
      }
      if (!batch) pending.set(chatId, (batch = { turnId, events: [] }));
      batch.events.push(event);
      if (!isFlushScheduled) {
        isFlushScheduled = true;
        setImmediate(flushAll);
      }
    },
    append(chatId, turnId, event) {
      flush(chatId);
      write(chatId, turnId, [event]);
    },
    flush,
  };
}
